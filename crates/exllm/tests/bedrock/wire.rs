//! Bedrock bodies as AWS documents them: Converse JSON, and ConverseStream as real binary
//! `application/vnd.amazon.eventstream` messages (CRC-checked prelude, `:event-type`,
//! `:content-type` and `:message-type` headers, JSON payload with the `p` padding field),
//! written with the official `aws-smithy-eventstream` encoder.

use crate::support::fixtures::{ARGS_FRAGMENTS, TEXT, TEXT_DELTAS};
use crate::support::Reply;
use aws_smithy_eventstream::frame::write_message_to;
use aws_smithy_types::event_stream::{Header, HeaderValue, Message};
use serde_json::{json, Value};

pub const TOOL_USE_ID: &str = "tooluse_kZJMlvQmRJ6eAyJE5GIl7Q";
pub const THINKING: [&str; 2] = ["The user wants ", "the weather."];
pub const SIGNATURE: &str = "EqoBCkgIARABGAIiQLx8dmZ0c2lnbmF0dXJl";

fn message(headers: &[(&str, &str)], payload: &Value) -> Vec<u8> {
    let mut m = Message::new(payload.to_string().into_bytes());
    for (k, v) in headers {
        m = m.add_header(Header::new(
            k.to_string(),
            HeaderValue::String(v.to_string().into()),
        ));
    }
    let mut buf = Vec::new();
    write_message_to(&m, &mut buf).expect("encodes");
    buf
}

/// One event message; the payload gets the padding field AWS adds.
pub fn event(kind: &str, mut payload: Value) -> Vec<u8> {
    payload["p"] = "abcdefghijklmnopqrstuvwxyzABCDEF".into();
    message(
        &[
            (":event-type", kind),
            (":content-type", "application/json"),
            (":message-type", "event"),
        ],
        &payload,
    )
}

/// An exception message (`:message-type: exception`).
pub fn exception(kind: &str, text: &str) -> Vec<u8> {
    message(
        &[
            (":exception-type", kind),
            (":content-type", "application/json"),
            (":message-type", "exception"),
        ],
        &json!({ "message": text }),
    )
}

/// A `200` event-stream reply cut into `n`-byte pieces (boundaries fall inside messages).
pub fn stream_reply(messages: &[Vec<u8>], n: usize) -> Reply {
    let body: Vec<u8> = messages.concat();
    Reply::stream(
        "application/vnd.amazon.eventstream",
        crate::support::split_every(&body, n),
    )
    .header("x-amzn-requestid", "5d4c2f3b-8e1a-4c6f-9b2d-7e0a1f3c5b9d")
}

pub fn usage() -> Value {
    json!({
        "inputTokens": 12,
        "outputTokens": 6,
        "totalTokens": 24,
        "cacheReadInputTokens": 4,
        "cacheWriteInputTokens": 2
    })
}

pub fn metrics() -> Value {
    json!({ "latencyMs": 412 })
}

/// A whole Converse answer with these content blocks.
pub fn converse(content: Value, stop: &str) -> String {
    json!({
        "output": {"message": {"role": "assistant", "content": content}},
        "stopReason": stop,
        "usage": usage(),
        "metrics": metrics()
    })
    .to_string()
}

fn tail(stop: &str) -> Vec<Vec<u8>> {
    vec![
        event("messageStop", json!({ "stopReason": stop })),
        event("metadata", json!({"usage": usage(), "metrics": metrics()})),
    ]
}

/// The text answer as ConverseStream events, up to the text deltas.
pub fn text_stream_head() -> Vec<Vec<u8>> {
    let mut out = vec![event("messageStart", json!({"role": "assistant"}))];
    for t in TEXT_DELTAS {
        out.push(event(
            "contentBlockDelta",
            json!({"contentBlockIndex": 0, "delta": {"text": t}}),
        ));
    }
    out
}

/// The text answer as ConverseStream events.
pub fn text_stream() -> Vec<Vec<u8>> {
    let mut out = text_stream_head();
    out.push(event("contentBlockStop", json!({"contentBlockIndex": 0})));
    out.extend(tail("end_turn"));
    out
}

pub fn text() -> String {
    converse(json!([{ "text": TEXT }]), "end_turn")
}

/// Reasoning with a signature, a text block, then a tool use with its input in fragments.
pub fn tool_stream() -> Vec<Vec<u8>> {
    let mut out = vec![event("messageStart", json!({"role": "assistant"}))];
    for t in THINKING {
        out.push(event(
            "contentBlockDelta",
            json!({"contentBlockIndex": 0, "delta": {"reasoningContent": {"text": t}}}),
        ));
    }
    out.push(event(
        "contentBlockDelta",
        json!({"contentBlockIndex": 0, "delta": {"reasoningContent": {"signature": SIGNATURE}}}),
    ));
    out.push(event("contentBlockStop", json!({"contentBlockIndex": 0})));
    out.push(event(
        "contentBlockDelta",
        json!({"contentBlockIndex": 1, "delta": {"text": "Checking."}}),
    ));
    out.push(event("contentBlockStop", json!({"contentBlockIndex": 1})));
    out.push(event(
        "contentBlockStart",
        json!({"contentBlockIndex": 2, "start": {"toolUse": {"toolUseId": TOOL_USE_ID, "name": "get_weather"}}}),
    ));
    for a in ARGS_FRAGMENTS {
        out.push(event(
            "contentBlockDelta",
            json!({"contentBlockIndex": 2, "delta": {"toolUse": {"input": a}}}),
        ));
    }
    out.push(event("contentBlockStop", json!({"contentBlockIndex": 2})));
    out.extend(tail("tool_use"));
    out
}

/// The same answer whole.
pub fn tool() -> String {
    converse(
        json!([
            {"reasoningContent": {"reasoningText": {"text": THINKING.concat(), "signature": SIGNATURE}}},
            {"text": "Checking."},
            {"toolUse": {"toolUseId": TOOL_USE_ID, "name": "get_weather", "input": crate::support::weather_args()}}
        ]),
        "tool_use",
    )
}
