//! Gemini response bodies as the API documents them, whole and as SSE chunks.

use crate::support::fixtures::TEXT_DELTAS;
use crate::support::weather_args;
use serde_json::{json, Value};

pub const MODEL: &str = "gemini-2.5-flash";

pub const RESPONSE_ID: &str = "mKQ0aP2aBPqmz7IP8qvG6Qk";

pub fn usage_metadata() -> Value {
    json!({
        "promptTokenCount": 9,
        "candidatesTokenCount": 6,
        "thoughtsTokenCount": 12,
        "cachedContentTokenCount": 4,
        "totalTokenCount": 27,
        "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 9}]
    })
}

pub fn safety() -> Value {
    json!([{"category": "HARM_CATEGORY_HARASSMENT", "probability": "NEGLIGIBLE"}])
}

/// A whole answer with these parts.
pub fn answer(parts: Value, finish: &str) -> String {
    json!({
        "candidates": [{
            "content": {"parts": parts, "role": "model"},
            "finishReason": finish,
            "index": 0,
            "safetyRatings": safety()
        }],
        "usageMetadata": usage_metadata(),
        "modelVersion": MODEL,
        "responseId": RESPONSE_ID
    })
    .to_string()
}

/// The same answer streamed: one chunk per part, the last with the finish reason. Gemini ends
/// its SSE events with CRLF pairs.
pub fn answer_stream(parts: &[Value], finish: &str) -> String {
    let mut out = String::new();
    for (i, p) in parts.iter().enumerate() {
        let last = i + 1 == parts.len();
        let mut cand = json!({"content": {"parts": [p], "role": "model"}, "index": 0});
        let mut usage = json!({"promptTokenCount": 9, "totalTokenCount": 9});
        if last {
            cand["finishReason"] = finish.into();
            cand["safetyRatings"] = safety();
            usage = usage_metadata();
        }
        let chunk = json!({
            "candidates": [cand],
            "usageMetadata": usage,
            "modelVersion": MODEL,
            "responseId": RESPONSE_ID
        });
        out.push_str(&format!("data: {chunk}\r\n\r\n"));
    }
    out
}

pub fn text_parts() -> Vec<Value> {
    TEXT_DELTAS.iter().map(|t| json!({ "text": t })).collect()
}

pub fn call(name: &str, args: Value) -> Value {
    json!({"functionCall": {"name": name, "args": args}})
}

pub fn thinking_parts() -> Vec<Value> {
    vec![
        json!({"text": "The user wants weather; ", "thought": true}),
        json!({"text": "call the tool.", "thought": true}),
        json!({"text": "Let me check.", "thoughtSignature": "SIG_TEXT_b64=="}),
        json!({"functionCall": {"name": "get_weather", "args": weather_args()}, "thoughtSignature": "SIG_CALL_b64=="}),
    ]
}

/// What the model's turn must look like when sent back.
pub fn thinking_parts_sent_back() -> Value {
    json!([
        {"text": "The user wants weather; call the tool.", "thought": true},
        {"text": "Let me check.", "thoughtSignature": "SIG_TEXT_b64=="},
        {"functionCall": {"name": "get_weather", "args": weather_args()}, "thoughtSignature": "SIG_CALL_b64=="}
    ])
}

pub fn models_page(names: &[&str], next: Option<&str>) -> String {
    let models: Vec<Value> = names
        .iter()
        .map(|n| {
            json!({
                "name": format!("models/{n}"),
                "version": "001",
                "displayName": format!("Display {n}"),
                "inputTokenLimit": 1_048_576,
                "supportedGenerationMethods": ["generateContent", "countTokens"]
            })
        })
        .collect();
    let mut v = json!({ "models": models });
    if let Some(t) = next {
        v["nextPageToken"] = t.into();
    }
    v.to_string()
}

pub const EXHAUSTED: &str = r#"{"error":{"code":429,"message":"Resource has been exhausted (e.g. check quota).","status":"RESOURCE_EXHAUSTED"}}"#;
