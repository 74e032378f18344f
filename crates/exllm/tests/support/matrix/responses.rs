//! OpenAI Responses for the matrix: answers whole and streamed, and readers of the request.

use super::*;

fn usage() -> Value {
    json!({"input_tokens": USAGE_IN, "input_tokens_details": {"cached_tokens": 0},
           "output_tokens": USAGE_OUT, "output_tokens_details": {"reasoning_tokens": 0},
           "total_tokens": USAGE_IN + USAGE_OUT})
}

fn response(status: &str, output: Value, usage: Value) -> Value {
    json!({"id": "resp_matrix", "object": "response", "created_at": 1_730_000_000,
           "status": status, "error": null, "incomplete_details": null, "model": "m",
           "output": output, "parallel_tool_calls": true, "usage": usage})
}

fn message(t: &str) -> Value {
    json!({"id": "msg_matrix", "type": "message", "status": "completed", "role": "assistant",
           "content": [{"type": "output_text", "text": t, "annotations": []}]})
}

fn call_item(i: usize, (id, name, _): &Call, status: &str, arguments: &str) -> Value {
    json!({"id": format!("fc_matrix_{i}"), "type": "function_call", "status": status,
           "call_id": id, "name": name, "arguments": arguments})
}

/// Numbers the events' `sequence_number`s and writes them as SSE.
fn stream(events: Vec<Value>) -> Reply {
    sse(events
        .into_iter()
        .enumerate()
        .map(|(i, mut e)| {
            e["sequence_number"] = i.into();
            event(e["type"].as_str().unwrap(), &e)
        })
        .collect())
}

fn head() -> Vec<Value> {
    let r = response("in_progress", json!([]), Value::Null);
    vec![
        json!({"type": "response.created", "response": r}),
        json!({"type": "response.in_progress", "response": r}),
    ]
}

pub fn text(t: &str) -> Reply {
    Reply::json(
        200,
        response("completed", json!([message(t)]), usage()).to_string(),
    )
}

pub fn text_stream(deltas: &[&str]) -> Reply {
    let full: String = deltas.concat();
    let mut ev = head();
    ev.push(
        json!({"type": "response.output_item.added", "output_index": 0,
        "item": {"id": "msg_matrix", "type": "message", "status": "in_progress",
                 "role": "assistant", "content": []}}),
    );
    ev.push(
        json!({"type": "response.content_part.added", "item_id": "msg_matrix",
        "output_index": 0, "content_index": 0,
        "part": {"type": "output_text", "text": "", "annotations": []}}),
    );
    for d in deltas {
        ev.push(
            json!({"type": "response.output_text.delta", "item_id": "msg_matrix",
            "output_index": 0, "content_index": 0, "delta": d, "logprobs": []}),
        );
    }
    ev.push(
        json!({"type": "response.output_text.done", "item_id": "msg_matrix",
        "output_index": 0, "content_index": 0, "text": full, "logprobs": []}),
    );
    ev.push(
        json!({"type": "response.output_item.done", "output_index": 0,
        "item": message(&full)}),
    );
    ev.push(json!({"type": "response.completed",
        "response": response("completed", json!([message(&full)]), usage())}));
    stream(ev)
}

pub fn tool_calls(calls: &[Call]) -> Reply {
    let out: Vec<Value> = calls
        .iter()
        .enumerate()
        .map(|(i, c)| call_item(i, c, "completed", whole_args(c.2)))
        .collect();
    Reply::json(
        200,
        response("completed", Value::Array(out), usage()).to_string(),
    )
}

pub fn tool_calls_stream(calls: &[Call]) -> Reply {
    let mut ev = head();
    let mut done = Vec::new();
    for (i, c) in calls.iter().enumerate() {
        ev.push(
            json!({"type": "response.output_item.added", "output_index": i,
            "item": call_item(i, c, "in_progress", "")}),
        );
        for p in pieces(c.2, 3) {
            ev.push(json!({"type": "response.function_call_arguments.delta",
                "item_id": format!("fc_matrix_{i}"), "output_index": i, "delta": p}));
        }
        ev.push(json!({"type": "response.function_call_arguments.done",
            "item_id": format!("fc_matrix_{i}"), "output_index": i, "arguments": c.2}));
        let item = call_item(i, c, "completed", whole_args(c.2));
        ev.push(json!({"type": "response.output_item.done", "output_index": i, "item": item}));
        done.push(item);
    }
    ev.push(json!({"type": "response.completed",
        "response": response("completed", Value::Array(done), usage())}));
    stream(ev)
}

pub fn tools_in(body: &Value) -> Vec<(String, Value)> {
    arr(&body["tools"])
        .iter()
        .map(|t| {
            assert_eq!(t["type"], "function", "{t}");
            (str_of(&t["name"]), t["parameters"].clone())
        })
        .collect()
}

pub fn choice(c: &ToolChoice) -> Value {
    match c {
        ToolChoice::Tool(n) => json!({"type": "function", "name": n}),
        other => chat::choice(other),
    }
}

pub fn turns(body: &Value) -> Vec<Turn> {
    let mut out = Vec::new();
    if let Some(i) = body["instructions"].as_str() {
        out.push(Turn {
            role: "system".into(),
            text: i.into(),
            ..Default::default()
        });
    }
    for item in arr(&body["input"]) {
        let t = match item["type"].as_str() {
            Some("function_call") => Turn {
                role: "assistant".into(),
                calls: vec![(
                    str_of(&item["call_id"]),
                    str_of(&item["name"]),
                    args_value(item["arguments"].as_str().unwrap_or("")),
                )],
                ..Default::default()
            },
            Some("function_call_output") => Turn {
                role: "tool".into(),
                results: vec![SentResult {
                    refers: str_of(&item["call_id"]),
                    text: text_of(&item["output"]),
                    error: None,
                }],
                ..Default::default()
            },
            _ => {
                // The API takes `output_text` in the model's turns, `input_text` elsewhere.
                let role = str_of(&item["role"]);
                let want = if role == "assistant" {
                    "output_text"
                } else {
                    "input_text"
                };
                for part in arr(&item["content"]) {
                    assert_eq!(part["type"], want, "{role} content: {item}");
                }
                Turn {
                    text: text_of(&item["content"]),
                    role,
                    ..Default::default()
                }
            }
        };
        out.push(t);
    }
    out
}

pub fn schema_in(body: &Value) -> Value {
    let f = &body["text"]["format"];
    if f["type"] == "json_schema" {
        f["schema"].clone()
    } else {
        Value::Null
    }
}
