//! Anthropic Messages for the matrix: answers whole and streamed, and readers of the request.

use super::*;

fn message(content: Vec<Value>, stop: &str) -> Reply {
    Reply::json(
        200,
        json!({"id": "msg_matrix", "type": "message", "role": "assistant", "model": "m",
               "content": content, "stop_reason": stop, "stop_sequence": null,
               "usage": {"input_tokens": USAGE_IN, "output_tokens": USAGE_OUT}})
        .to_string(),
    )
}

fn stream(blocks: Vec<(Value, Vec<Value>)>, stop: &str) -> Reply {
    let mut ev = vec![event(
        "message_start",
        &json!({"type": "message_start", "message": {
            "id": "msg_matrix", "type": "message", "role": "assistant", "model": "m",
            "content": [], "stop_reason": null, "stop_sequence": null,
            "usage": {"input_tokens": USAGE_IN, "output_tokens": 1}}}),
    )];
    for (i, (start, deltas)) in blocks.into_iter().enumerate() {
        ev.push(event(
            "content_block_start",
            &json!({"type": "content_block_start", "index": i, "content_block": start}),
        ));
        for d in deltas {
            ev.push(event(
                "content_block_delta",
                &json!({"type": "content_block_delta", "index": i, "delta": d}),
            ));
        }
        ev.push(event(
            "content_block_stop",
            &json!({"type": "content_block_stop", "index": i}),
        ));
    }
    ev.push(event(
        "message_delta",
        &json!({"type": "message_delta", "delta": {"stop_reason": stop, "stop_sequence": null},
                "usage": {"output_tokens": USAGE_OUT}}),
    ));
    ev.push(event("message_stop", &json!({"type": "message_stop"})));
    sse(ev)
}

pub fn text(t: &str) -> Reply {
    message(vec![json!({"type": "text", "text": t})], "end_turn")
}

pub fn text_stream(deltas: &[&str]) -> Reply {
    let d = deltas
        .iter()
        .map(|t| json!({"type": "text_delta", "text": t}))
        .collect();
    stream(vec![(json!({"type": "text", "text": ""}), d)], "end_turn")
}

pub fn tool_calls(calls: &[Call]) -> Reply {
    message(
        calls
            .iter()
            .map(|(id, name, args)| {
                json!({"type": "tool_use", "id": id, "name": name, "input": args_value(args)})
            })
            .collect(),
        "tool_use",
    )
}

pub fn tool_calls_stream(calls: &[Call]) -> Reply {
    let blocks = calls
        .iter()
        .map(|(id, name, args)| {
            // Anthropic opens every tool_use block with an empty `partial_json`.
            let mut d = vec![json!({"type": "input_json_delta", "partial_json": ""})];
            d.extend(
                pieces(args, 3)
                    .into_iter()
                    .map(|p| json!({"type": "input_json_delta", "partial_json": p})),
            );
            (
                json!({"type": "tool_use", "id": id, "name": name, "input": {}}),
                d,
            )
        })
        .collect();
    stream(blocks, "tool_use")
}

pub fn tools_in(body: &Value) -> Vec<(String, Value)> {
    arr(&body["tools"])
        .iter()
        .map(|t| (str_of(&t["name"]), t["input_schema"].clone()))
        .collect()
}

pub fn choice(c: &ToolChoice) -> Value {
    match c {
        ToolChoice::Auto => json!({"type": "auto"}),
        ToolChoice::None => json!({"type": "none"}),
        ToolChoice::Required => json!({"type": "any"}),
        ToolChoice::Tool(n) => json!({"type": "tool", "name": n}),
        other => panic!("unexpected tool choice {other:?}"),
    }
}

pub fn turns(body: &Value) -> Vec<Turn> {
    let mut out = Vec::new();
    if !body["system"].is_null() {
        out.push(Turn {
            role: "system".into(),
            text: text_of(&body["system"]),
            ..Default::default()
        });
    }
    for m in arr(&body["messages"]) {
        let mut t = Turn {
            role: str_of(&m["role"]),
            ..Default::default()
        };
        match &m["content"] {
            Value::String(s) => t.text = s.clone(),
            c => {
                for b in arr(c) {
                    match b["type"].as_str() {
                        Some("text") => t.text.push_str(b["text"].as_str().unwrap_or("")),
                        Some("tool_use") => {
                            t.calls
                                .push((str_of(&b["id"]), str_of(&b["name"]), b["input"].clone()))
                        }
                        Some("tool_result") => t.results.push(SentResult {
                            refers: str_of(&b["tool_use_id"]),
                            text: text_of(&b["content"]),
                            error: Some(b["is_error"].as_bool().unwrap_or(false)),
                        }),
                        _ => {}
                    }
                }
            }
        }
        out.push(t);
    }
    out
}
