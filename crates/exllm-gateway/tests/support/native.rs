//! Loopback providers of other wire APIs, served by the same test provider beside its
//! OpenAI-style routes: Anthropic Messages (`/v1/messages`) and Gemini (`/v1beta/models/...`),
//! so the SDK tests reach backends that do not speak the caller's format.
//!
//! Anthropic models: `think` (a thinking block with its signature, then text "the answer"),
//! `tools` (one `tool_use` whose input streams as `input_json_delta` fragments), `overloaded`
//! (a 529 Anthropic error object); usage 20 in (+5 cache read, +2 cache write) / 9 out.
//! Gemini: any model answers the text "hello from gemini" (usage 6 in / 4 out).

use axum::body::Bytes;
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use serde_json::{json, Value};

use super::{json_response, sse};

fn anthropic_usage(output: u32) -> Value {
    json!({"input_tokens": 20, "cache_read_input_tokens": 5, "cache_creation_input_tokens": 2,
        "output_tokens": output})
}

/// The blocks of an answer, as the streamed events of each block.
fn blocks(model: &str) -> (Vec<(Value, Vec<Value>)>, &'static str) {
    match model {
        "tools" => (
            vec![
                (
                    json!({"type": "text", "text": ""}),
                    vec![json!({"type": "text_delta", "text": "Let me look."})],
                ),
                (
                    json!({"type": "tool_use", "id": "toolu_1", "name": "weather", "input": {}}),
                    vec![
                        json!({"type": "input_json_delta", "partial_json": ""}),
                        json!({"type": "input_json_delta", "partial_json": "{\"city\": "}),
                        json!({"type": "input_json_delta", "partial_json": "\"Paris\"}"}),
                    ],
                ),
            ],
            "tool_use",
        ),
        _ => (
            vec![
                (
                    json!({"type": "thinking", "thinking": "", "signature": ""}),
                    vec![
                        json!({"type": "thinking_delta", "thinking": "Let me "}),
                        json!({"type": "thinking_delta", "thinking": "think."}),
                        json!({"type": "signature_delta", "signature": "sig-abc"}),
                    ],
                ),
                (
                    json!({"type": "text", "text": ""}),
                    vec![
                        json!({"type": "text_delta", "text": "the "}),
                        json!({"type": "text_delta", "text": "answer"}),
                    ],
                ),
            ],
            "end_turn",
        ),
    }
}

/// A block with its deltas applied, as a whole message carries it.
fn whole(start: &Value, deltas: &[Value]) -> Value {
    let mut b = start.clone();
    let mut json_text = String::new();
    for d in deltas {
        match d["type"].as_str().unwrap_or("") {
            "text_delta" => {
                b["text"] = json!(format!(
                    "{}{}",
                    b["text"].as_str().unwrap_or(""),
                    d["text"].as_str().unwrap_or("")
                ))
            }
            "thinking_delta" => {
                b["thinking"] = json!(format!(
                    "{}{}",
                    b["thinking"].as_str().unwrap_or(""),
                    d["thinking"].as_str().unwrap_or("")
                ))
            }
            "signature_delta" => b["signature"] = d["signature"].clone(),
            "input_json_delta" => json_text += d["partial_json"].as_str().unwrap_or(""),
            _ => {}
        }
    }
    if !json_text.is_empty() {
        b["input"] = serde_json::from_str(&json_text).unwrap_or_default();
    }
    b
}

fn event(kind: &str, v: Value) -> String {
    format!("event: {kind}\ndata: {v}\n\n")
}

/// `POST /v1/messages`.
pub async fn messages(body: Bytes) -> Response {
    let req: Value = serde_json::from_slice(&body).unwrap_or_default();
    let model = req["model"].as_str().unwrap_or("");
    if model == "overloaded" {
        return json_response(
            StatusCode::from_u16(529).unwrap(),
            json!({"type": "error", "error": {"type": "overloaded_error", "message": "busy"}}),
        );
    }
    let (blocks, stop) = blocks(model);
    let message = |content: Vec<Value>, stop: Value, output: u32| {
        json!({"id": "msg_up", "type": "message", "role": "assistant", "model": model,
            "content": content, "stop_reason": stop, "stop_sequence": null,
            "usage": anthropic_usage(output)})
    };
    if req["stream"] != true {
        let content = blocks.iter().map(|(s, d)| whole(s, d)).collect();
        return json_response(StatusCode::OK, message(content, json!(stop), 9));
    }
    let mut pieces = vec![event(
        "message_start",
        json!({"type": "message_start", "message": message(vec![], Value::Null, 1)}),
    )];
    pieces.push(event("ping", json!({"type": "ping"})));
    for (i, (start, deltas)) in blocks.iter().enumerate() {
        pieces.push(event(
            "content_block_start",
            json!({"type": "content_block_start", "index": i, "content_block": start}),
        ));
        for d in deltas {
            pieces.push(event(
                "content_block_delta",
                json!({"type": "content_block_delta", "index": i, "delta": d}),
            ));
        }
        pieces.push(event(
            "content_block_stop",
            json!({"type": "content_block_stop", "index": i}),
        ));
    }
    pieces.push(event(
        "message_delta",
        json!({"type": "message_delta", "delta": {"stop_reason": stop, "stop_sequence": null},
            "usage": {"output_tokens": 9}}),
    ));
    pieces.push(event("message_stop", json!({"type": "message_stop"})));
    sse(pieces)
}

/// Gemini's `models/M:generateContent` and `:streamGenerateContent`.
pub async fn gemini(uri: Uri) -> Response {
    let path = uri.path();
    let usage = json!({"promptTokenCount": 6, "candidatesTokenCount": 4, "totalTokenCount": 10});
    let chunk = |text: &str, finish: Option<&str>| {
        let mut c = json!({"candidates": [{"content": {"role": "model", "parts": [{"text": text}]}, "index": 0}]});
        if let Some(f) = finish {
            c["candidates"][0]["finishReason"] = json!(f);
            c["usageMetadata"] = usage.clone();
        }
        c
    };
    if path.ends_with(":streamGenerateContent") {
        sse(vec![
            format!("data: {}\r\n\r\n", chunk("hello ", None)),
            format!("data: {}\r\n\r\n", chunk("from gemini", Some("STOP"))),
        ])
    } else if path.ends_with(":generateContent") {
        json_response(StatusCode::OK, chunk("hello from gemini", Some("STOP")))
    } else {
        json_response(
            StatusCode::NOT_FOUND,
            json!({"error": {"code": 404, "message": "no such route", "status": "NOT_FOUND"}}),
        )
    }
}
