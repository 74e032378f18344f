//! Mistral's own way of streaming the Chat Completions format, for its matrix row.

use super::*;

fn chunk(delta: Value, finish: Option<&str>) -> String {
    let mut c = json!({
        "id": "cmpl-e5cc70bb28c444948073e77776eb30ef", "object": "chat.completion.chunk",
        "created": 1_730_000_000, "model": "mistral-small-latest",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": null}]
    });
    if finish.is_some() {
        c["usage"] = chat::usage();
    }
    data(&c)
}

pub fn text_stream(deltas: &[&str]) -> Reply {
    let mut ev = vec![chunk(json!({"role": "assistant", "content": ""}), None)];
    let n = deltas.len();
    for (i, d) in deltas.iter().enumerate() {
        ev.push(chunk(
            json!({ "content": d }),
            (i + 1 == n).then_some("stop"),
        ));
    }
    ev.push("data: [DONE]\n\n".to_owned());
    sse(ev)
}

pub fn tool_calls_stream(calls: &[Call]) -> Reply {
    let calls: Vec<Value> = calls
        .iter()
        .enumerate()
        .map(|(i, (id, name, args))| {
            json!({"id": id, "function": {"name": name, "arguments": whole_args(args)},
                   "index": i})
        })
        .collect();
    sse(vec![
        chunk(json!({"role": "assistant", "content": ""}), None),
        chunk(json!({ "tool_calls": calls }), Some("tool_calls")),
        "data: [DONE]\n\n".to_owned(),
    ])
}
