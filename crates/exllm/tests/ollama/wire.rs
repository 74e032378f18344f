//! Ollama bodies as its API documentation shows them: `/api/chat` whole and as NDJSON lines,
//! `/api/generate`, and the management endpoints' answers.

#![allow(dead_code)]

use crate::support::fixtures::{TEXT, TEXT_DELTAS};
use serde_json::{json, Value};

pub const MODEL: &str = "qwen3:8b";
pub const CREATED: &str = "2025-10-17T09:12:43.416799Z";

/// The timing and count fields of the last (`done`) object.
pub fn done_fields() -> Value {
    json!({
        "done": true,
        "done_reason": "stop",
        "total_duration": 5_191_566_416u64,
        "load_duration": 2_154_458u64,
        "prompt_eval_count": 26,
        "prompt_eval_duration": 383_809_000u64,
        "eval_count": 298,
        "eval_duration": 4_799_921_000u64
    })
}

fn merge(mut a: Value, b: Value) -> Value {
    for (k, v) in b.as_object().unwrap() {
        a[k] = v.clone();
    }
    a
}

/// A whole chat answer with this message.
pub fn chat(message: Value) -> String {
    merge(
        json!({"model": MODEL, "created_at": CREATED, "message": message}),
        done_fields(),
    )
    .to_string()
}

/// A text answer.
pub fn chat_text() -> String {
    chat(json!({"role": "assistant", "content": TEXT}))
}

/// One streamed line with this message, not done.
pub fn line(message: Value) -> Value {
    json!({"model": MODEL, "created_at": CREATED, "message": message, "done": false})
}

/// The last streamed line: an empty message and the counts.
pub fn last_line() -> Value {
    merge(
        json!({"model": MODEL, "created_at": CREATED,
               "message": {"role": "assistant", "content": ""}}),
        done_fields(),
    )
}

/// The text answer as NDJSON lines.
pub fn chat_text_lines() -> Vec<Value> {
    let mut out: Vec<Value> = TEXT_DELTAS
        .iter()
        .map(|t| line(json!({"role": "assistant", "content": t})))
        .collect();
    out.push(last_line());
    out
}

/// Lines as one NDJSON body.
pub fn ndjson(lines: &[Value]) -> String {
    lines.iter().map(|l| format!("{l}\n")).collect()
}

/// Two tool calls without ids (arguments are objects).
pub fn tool_calls() -> Value {
    json!([
        {"function": {"name": "get_weather", "arguments": {"city": "Paris", "unit": "celsius"}}},
        {"function": {"name": "get_weather", "arguments": {"city": "Tokyo", "unit": "celsius"}}}
    ])
}

/// A model in `/api/tags`.
pub fn tag(name: &str, size: u64) -> Value {
    json!({
        "name": name,
        "model": name,
        "modified_at": "2025-10-01T18:40:21.185735349+02:00",
        "size": size,
        "digest": "a80c4f17acd55265feec403c7aef86be0c25983ab279d83f3bcd3abbcb5b8b72",
        "details": {
            "parent_model": "",
            "format": "gguf",
            "family": "qwen3",
            "families": ["qwen3"],
            "parameter_size": "8.2B",
            "quantization_level": "Q4_K_M"
        }
    })
}

/// Pull progress: manifest, one layer in three steps, verification, success.
pub fn pull_progress() -> Vec<Value> {
    let layer = "sha256:a3de86cd1c132c822487ededd47a324c50491393e6565cd14bafa40d0b8e686f";
    vec![
        json!({"status": "pulling manifest"}),
        json!({"status": "pulling a3de86cd1c13", "digest": layer, "total": 5_225_376_047u64}),
        json!({"status": "pulling a3de86cd1c13", "digest": layer, "total": 5_225_376_047u64, "completed": 1_306_344_011u64}),
        json!({"status": "pulling a3de86cd1c13", "digest": layer, "total": 5_225_376_047u64, "completed": 5_225_376_047u64}),
        json!({"status": "verifying sha256 digest"}),
        json!({"status": "writing manifest"}),
        json!({"status": "success"}),
    ]
}

/// Push progress.
pub fn push_progress() -> Vec<Value> {
    let layer = "sha256:bc07c81de745696fdf5afca05e065818a8149fb0c77266fb584d9b2cba3711ab";
    vec![
        json!({"status": "retrieving manifest"}),
        json!({"status": "starting upload", "digest": layer, "total": 1_928_429_856u64}),
        json!({"status": "starting upload", "digest": layer, "total": 1_928_429_856u64, "completed": 964_214_928u64}),
        json!({"status": "pushing manifest"}),
        json!({"status": "success"}),
    ]
}

/// Create progress.
pub fn create_progress() -> Vec<Value> {
    vec![
        json!({"status": "reading model metadata"}),
        json!({"status": "creating system layer"}),
        json!({"status": "using already created layer sha256:22f7f8ef5f4c791c1b03d7eb414399294764d7cc82c7e94aa81a1feb80a983a2"}),
        json!({"status": "writing manifest"}),
        json!({"status": "success"}),
    ]
}

/// Generate pieces: text, then the last one with `context` and counts.
pub fn generate_lines(context: &[i64]) -> Vec<Value> {
    let mut out: Vec<Value> = ["The sky", " is blue", " because of Rayleigh scattering."]
        .iter()
        .map(|t| json!({"model": MODEL, "created_at": CREATED, "response": t, "done": false}))
        .collect();
    out.push(merge(
        json!({"model": MODEL, "created_at": CREATED, "response": "", "context": context}),
        done_fields(),
    ));
    out
}
