//! OpenAI Chat Completions for the matrix: answers whole and streamed, and readers of the
//! request's tools, tool choice, turns and schema (Mistral's rows reuse them).

use super::*;

pub fn usage() -> Value {
    json!({"prompt_tokens": USAGE_IN, "completion_tokens": USAGE_OUT,
           "total_tokens": USAGE_IN + USAGE_OUT})
}

fn completion(message: Value, finish: &str) -> Reply {
    Reply::json(
        200,
        json!({
            "id": "chatcmpl-matrix", "object": "chat.completion", "created": 1_730_000_000,
            "model": "m",
            "choices": [{"index": 0, "message": message, "logprobs": null, "finish_reason": finish}],
            "usage": usage()
        })
        .to_string(),
    )
}

fn chunk(delta: Value, finish: Option<&str>) -> String {
    data(&json!({
        "id": "chatcmpl-matrix", "object": "chat.completion.chunk", "created": 1_730_000_000,
        "model": "m",
        "choices": [{"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish}]
    }))
}

fn tail(finish: &str) -> Vec<String> {
    vec![
        chunk(json!({}), Some(finish)),
        data(
            &json!({"id": "chatcmpl-matrix", "object": "chat.completion.chunk",
                     "created": 1_730_000_000, "model": "m", "choices": [], "usage": usage()}),
        ),
        "data: [DONE]\n\n".to_owned(),
    ]
}

pub fn text(t: &str) -> Reply {
    completion(
        json!({"role": "assistant", "content": t, "refusal": null}),
        "stop",
    )
}

pub fn text_stream(deltas: &[&str]) -> Reply {
    let mut ev = vec![chunk(json!({"role": "assistant", "content": ""}), None)];
    ev.extend(deltas.iter().map(|d| chunk(json!({ "content": d }), None)));
    ev.extend(tail("stop"));
    sse(ev)
}

pub fn tool_calls(calls: &[Call]) -> Reply {
    let calls: Vec<Value> = calls
        .iter()
        .map(|(id, name, args)| {
            json!({"id": id, "type": "function",
                   "function": {"name": name, "arguments": whole_args(args)}})
        })
        .collect();
    completion(
        json!({"role": "assistant", "content": null, "tool_calls": calls}),
        "tool_calls",
    )
}

pub fn tool_calls_stream(calls: &[Call]) -> Reply {
    let mut ev = vec![chunk(json!({"role": "assistant", "content": null}), None)];
    for (i, (id, name, args)) in calls.iter().enumerate() {
        ev.push(chunk(
            json!({"tool_calls": [{"index": i, "id": id, "type": "function",
                                    "function": {"name": name, "arguments": ""}}]}),
            None,
        ));
        for p in pieces(args, 3) {
            ev.push(chunk(
                json!({"tool_calls": [{"index": i, "function": {"arguments": p}}]}),
                None,
            ));
        }
    }
    ev.extend(tail("tool_calls"));
    sse(ev)
}

pub fn tools_in(body: &Value) -> Vec<(String, Value)> {
    arr(&body["tools"])
        .iter()
        .map(|t| {
            assert_eq!(t["type"], "function", "{t}");
            (
                str_of(&t["function"]["name"]),
                t["function"]["parameters"].clone(),
            )
        })
        .collect()
}

pub fn choice(c: &ToolChoice) -> Value {
    match c {
        ToolChoice::Auto => json!("auto"),
        ToolChoice::None => json!("none"),
        ToolChoice::Required => json!("required"),
        ToolChoice::Tool(n) => json!({"type": "function", "function": {"name": n}}),
        other => panic!("unexpected tool choice {other:?}"),
    }
}

pub fn turns(body: &Value) -> Vec<Turn> {
    arr(&body["messages"])
        .iter()
        .map(|m| {
            let role = str_of(&m["role"]);
            let mut t = Turn {
                text: text_of(&m["content"]),
                role: role.clone(),
                ..Default::default()
            };
            for c in arr(&m["tool_calls"]) {
                t.calls.push((
                    str_of(&c["id"]),
                    str_of(&c["function"]["name"]),
                    args_value(c["function"]["arguments"].as_str().unwrap_or("")),
                ));
            }
            if role == "tool" {
                t.results.push(SentResult {
                    refers: str_of(&m["tool_call_id"]),
                    text: t.text.clone(),
                    error: None,
                });
            }
            t
        })
        .collect()
}

pub fn schema_in(body: &Value) -> Value {
    let f = &body["response_format"];
    if f["type"] == "json_schema" {
        f["json_schema"]["schema"].clone()
    } else {
        Value::Null
    }
}

pub fn embed_inputs(body: &Value) -> Vec<String> {
    arr(&body["input"]).iter().map(str_of).collect()
}

pub fn embed_answer(vectors: &[Vec<f32>]) -> String {
    let data: Vec<Value> = vectors
        .iter()
        .enumerate()
        .map(|(i, v)| json!({"object": "embedding", "index": i, "embedding": v}))
        .collect();
    json!({"object": "list", "data": data, "model": "m",
           "usage": {"prompt_tokens": vectors.len(), "total_tokens": vectors.len()}})
    .to_string()
}
