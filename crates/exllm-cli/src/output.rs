//! What the CLI prints: the one-object JSON form scripts and the conformance kit read, and
//! error reports.

use exllm::{ChatResponse, Error, ErrorKind};
use serde_json::{json, Value};

/// The `--json` object: text, reasoning, tool calls, finish reason and usage, always present.
pub fn response_json(resp: &ChatResponse) -> Value {
    let calls: Vec<Value> = resp
        .tool_calls()
        .iter()
        .map(|c| json!({"id": c.id, "name": c.name, "arguments": c.arguments}))
        .collect();
    let usage = resp.usage.as_ref().map(|u| {
        json!({
            "input_tokens": u.input_tokens,
            "output_tokens": u.output_tokens,
            "cache_read_tokens": u.cache_read_tokens,
            "cache_write_tokens": u.cache_write_tokens,
            "reasoning_tokens": u.reasoning_tokens,
        })
    });
    let mut v = json!({
        "text": resp.text(),
        "reasoning": resp.reasoning_text(),
        "tool_calls": calls,
        "finish_reason": resp.finish.as_ref().map(|f| f.kind.as_str()),
        "usage": usage,
        "id": resp.id,
        "model": resp.model,
    });
    if let Some(raw) = resp.finish.as_ref().and_then(|f| f.raw.as_deref()) {
        v["finish_reason_raw"] = raw.into();
    }
    if let Some(e) = &resp.error {
        v["error"] = json!({"code": e.code, "message": e.message});
    }
    if !resp.warnings.is_empty() {
        v["warnings"] = resp
            .warnings
            .iter()
            .map(|w| Value::from(w.message.as_str()))
            .collect();
    }
    v
}

/// The error object printed with `--json`.
pub fn error_json(e: &Error) -> Value {
    json!({"error": {
        "status": e.status(),
        "message": e.message(),
        "kind": format!("{:?}", e.kind()),
        "code": e.code(),
        "provider": e.provider(),
        "request_id": e.request_id(),
    }})
}

/// Exit code for an error.
pub fn exit_code(e: &Error) -> u8 {
    match e.kind() {
        ErrorKind::Config | ErrorKind::InvalidInput => crate::EXIT_CONFIG,
        _ => crate::EXIT_FAILURE,
    }
}

/// Reports an error: JSON on stdout with `--json`, always one line on stderr.
pub fn report(e: &Error, json: bool) -> u8 {
    if json {
        println!("{}", error_json(e));
    }
    eprintln!("exllm: {e}");
    exit_code(e)
}
