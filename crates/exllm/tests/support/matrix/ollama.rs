//! Ollama's chat API for the matrix: answers whole and streamed (NDJSON), and readers of
//! the request.

use super::*;

const MODEL: &str = "qwen3:8b";
const CREATED: &str = "2025-10-17T09:12:43.416799Z";

fn done(reason: &str) -> Value {
    json!({"model": MODEL, "created_at": CREATED,
           "message": {"role": "assistant", "content": ""},
           "done": true, "done_reason": reason, "total_duration": 5_191_566_416u64,
           "prompt_eval_count": USAGE_IN, "eval_count": USAGE_OUT})
}

fn line(message: Value) -> Value {
    json!({"model": MODEL, "created_at": CREATED, "message": message, "done": false})
}

fn calls_json(calls: &[Call]) -> Value {
    calls
        .iter()
        .map(|(_, name, args)| json!({"function": {"name": name, "arguments": args_value(args)}}))
        .collect()
}

/// NDJSON lines, cut into 9-byte pieces.
fn stream(lines: Vec<Value>) -> Reply {
    let body: String = lines.iter().map(|l| format!("{l}\n")).collect();
    Reply::stream("application/x-ndjson", split_every(body.as_bytes(), 9))
}

fn whole(message: Value) -> Reply {
    let mut v = done("stop");
    v["message"] = message;
    Reply::json(200, v.to_string())
}

pub fn text(t: &str) -> Reply {
    whole(json!({"role": "assistant", "content": t}))
}

pub fn text_stream(deltas: &[&str]) -> Reply {
    let mut lines: Vec<Value> = deltas
        .iter()
        .map(|d| line(json!({"role": "assistant", "content": d})))
        .collect();
    lines.push(done("stop"));
    stream(lines)
}

pub fn tool_calls(calls: &[Call]) -> Reply {
    whole(json!({"role": "assistant", "content": "", "tool_calls": calls_json(calls)}))
}

/// Ollama sends each call whole, one line per call, then the `done` line.
pub fn tool_calls_stream(calls: &[Call]) -> Reply {
    let mut lines: Vec<Value> = calls
        .iter()
        .map(|c| line(json!({"role": "assistant", "content": "", "tool_calls": calls_json(&[*c])})))
        .collect();
    lines.push(done("stop"));
    stream(lines)
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
                    String::new(),
                    str_of(&c["function"]["name"]),
                    c["function"]["arguments"].clone(),
                ));
            }
            if role == "tool" {
                t.results.push(SentResult {
                    refers: str_of(&m["tool_name"]),
                    text: t.text.clone(),
                    error: None,
                });
            }
            t
        })
        .collect()
}

pub fn embed_answer(vectors: &[Vec<f32>]) -> String {
    json!({"model": "nomic-embed-text", "embeddings": vectors, "prompt_eval_count": vectors.len()})
        .to_string()
}
