//! The Anthropic Messages format (`/v1/messages`, `/v1/messages/count_tokens`) as a gateway
//! speaks it to its callers: requests decoded into exllm's canonical [`ChatRequest`], answers
//! encoded as Anthropic message objects and as the exact server-sent event sequence Anthropic
//! streams, errors as Anthropic error objects. It is the library's client-side
//! [`exllm::provider::AnthropicCodec`] run the other way round, and is tested against it.

use super::{ApiError, Format, Inbound, StreamEncoder};
use exllm::{ChatRequest, ChatResponse, FinishKind, FinishReason, Usage};
use serde_json::{json, Value};

pub(crate) mod calls;
mod request;
pub(crate) use request::{inbound, number, string, text_at, uint};
mod response;
mod stream;

/// The `api` of the provider items that are Anthropic's own blocks (the library's name).
const API_NAME: &str = "anthropic";

/// The Anthropic Messages caller format.
#[derive(Debug, Clone, Copy, Default)]
pub struct AnthropicMessages;

impl Format for AnthropicMessages {
    fn pass_api() -> Option<exllm::Api> {
        Some(exllm::Api::Anthropic)
    }

    fn decode_request(body: &[u8]) -> Result<Inbound, ApiError> {
        request::decode(body, true)
    }

    fn encode_response(response: &ChatResponse, model: &str) -> Vec<u8> {
        response::encode(response, model)
    }

    fn stream_encoder(inbound: &Inbound) -> Box<dyn StreamEncoder> {
        Box::new(stream::AnthropicStream::new(&inbound.request.model))
    }

    fn encode_error(error: &ApiError) -> Vec<u8> {
        serde_json::to_vec(&error_object(error)).unwrap_or_default()
    }
}

/// The `ping` event Anthropic sends to keep a quiet stream alive (a backend thinking without
/// showing it); clients ignore it. The server may write it between any two frames.
pub const PING_EVENT: &[u8] = b"event: ping\ndata: {\"type\":\"ping\"}\n\n";

/// Decodes a `/v1/messages/count_tokens` body: the shape of a messages request without
/// `max_tokens` (nor `stream`).
pub fn decode_count_tokens(body: &[u8]) -> Result<ChatRequest, ApiError> {
    request::decode(body, false).map(|inbound| inbound.request)
}

/// Counts the input tokens of a decoded request for the backend `model` (`provider/model`)
/// with the library's counter: exact for OpenAI encodings, a calibrated estimate otherwise.
pub fn count_tokens(request: &ChatRequest, model: &str) -> u64 {
    exllm::tokens::count_messages(model, &request.messages, &request.tools).tokens
}

/// The `/v1/messages/count_tokens` answer: `{"input_tokens": N}`.
pub fn encode_count_tokens(input_tokens: u64) -> Vec<u8> {
    format!("{{\"input_tokens\":{input_tokens}}}").into_bytes()
}

/// The Anthropic error type for an [`ApiError`]: its kind when that is already one of
/// Anthropic's, else what its status means.
pub fn error_type(error: &ApiError) -> &'static str {
    const TYPES: [&str; 8] = [
        "invalid_request_error",
        "authentication_error",
        "permission_error",
        "not_found_error",
        "request_too_large",
        "rate_limit_error",
        "api_error",
        "overloaded_error",
    ];
    if let Some(t) = TYPES.iter().find(|t| **t == error.kind) {
        return t;
    }
    match error.status {
        401 => "authentication_error",
        402 | 403 => "permission_error",
        404 => "not_found_error",
        413 => "request_too_large",
        429 => "rate_limit_error",
        503 | 529 => "overloaded_error",
        400..=499 => "invalid_request_error",
        _ => "api_error",
    }
}

/// `{"type":"error","error":{"type":...,"message":...}}`, the body of an error answer and the
/// data of a stream's `error` event.
fn error_object(error: &ApiError) -> Value {
    json!({"type": "error", "error": {"type": error_type(error), "message": error.message}})
}

/// A 400 `invalid_request_error`, the answer to a body that is not a valid request.
pub(crate) fn invalid(message: impl Into<String>) -> ApiError {
    ApiError {
        status: 400,
        kind: "invalid_request_error",
        message: message.into(),
        retry_after: None,
    }
}

/// A fresh id with a prefix (`msg_`, `toolu_`, `resp_`, ...) for answers whose backend gave
/// none: unique within the process and unlikely to repeat across processes.
pub(crate) fn new_id(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    // splitmix64 of the time and counter, so ids do not look sequential.
    let mut z = nanos ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    format!("{prefix}{z:016x}{n:06x}")
}

/// Anthropic's `stop_reason` for a canonical finish reason; `has_calls` decides when the
/// backend said nothing.
fn stop_reason(finish: Option<&FinishReason>, has_calls: bool) -> &'static str {
    const RAW: [&str; 7] = [
        "end_turn",
        "max_tokens",
        "stop_sequence",
        "tool_use",
        "pause_turn",
        "refusal",
        "model_context_window_exceeded",
    ];
    let Some(f) = finish else {
        return if has_calls { "tool_use" } else { "end_turn" };
    };
    // An Anthropic backend's own value, when it agrees with the normalised kind.
    if let Some(raw) = f.raw.as_deref().and_then(|r| RAW.iter().find(|v| **v == r)) {
        let agrees = match f.kind {
            FinishKind::Stop => matches!(*raw, "end_turn" | "stop_sequence"),
            FinishKind::Length => matches!(*raw, "max_tokens" | "model_context_window_exceeded"),
            FinishKind::ToolCalls => *raw == "tool_use",
            FinishKind::ContentFilter => *raw == "refusal",
            _ => true,
        };
        if agrees {
            return raw;
        }
    }
    match f.kind {
        FinishKind::Length => "max_tokens",
        FinishKind::ToolCalls => "tool_use",
        FinishKind::ContentFilter => "refusal",
        _ if has_calls => "tool_use",
        _ => "end_turn",
    }
}

/// Anthropic's three input counts from canonical usage, whose `input_tokens` includes the
/// cached ones: (plain input, cache write, cache read); unknown input is `None`.
fn input_parts(u: &Usage) -> (Option<u64>, u64, u64) {
    let read = u.cache_read_tokens.unwrap_or(0);
    let write = u.cache_write_tokens.unwrap_or(0);
    let plain = u
        .input_tokens
        .map(|i| i.saturating_sub(read.saturating_add(write)));
    (plain, write, read)
}

/// A usage object as Anthropic sends it in a message and in `message_start`.
fn usage_object(u: Option<&Usage>) -> Value {
    let u = u.cloned().unwrap_or_default();
    let (plain, write, read) = input_parts(&u);
    json!({
        "input_tokens": plain.unwrap_or(0),
        "cache_creation_input_tokens": write,
        "cache_read_input_tokens": read,
        "output_tokens": u.output_tokens.unwrap_or(0),
    })
}

#[cfg(test)]
pub(crate) mod test_support;
#[cfg(test)]
pub(crate) mod tests;
#[cfg(test)]
mod tests_request;
#[cfg(test)]
mod tests_stream;
