//! OpenAI Chat Completions as a caller-facing format (`POST /v1/chat/completions`): the
//! request decoder (`request.rs`), the `chat.completion` encoder (`response.rs`), the
//! `chat.completion.chunk` stream encoder (`stream.rs`) and OpenAI's error object.

mod request;
mod response;
mod stream;
#[cfg(test)]
mod tests;

pub use stream::ChunkEncoder;

use super::{ApiError, Format, Inbound, StreamEncoder};
use exllm::ChatResponse;
use serde::Serialize;
use std::sync::atomic::{AtomicU64, Ordering};

/// The Chat Completions format.
#[derive(Debug, Clone, Copy, Default)]
pub struct OpenAiChat;

impl Format for OpenAiChat {
    fn pass_api() -> Option<exllm::Api> {
        Some(exllm::Api::OpenAiChat)
    }

    fn decode_request(body: &[u8]) -> Result<Inbound, ApiError> {
        request::decode(body)
    }

    fn encode_response(response: &ChatResponse, model: &str) -> Vec<u8> {
        response::encode(response, model)
    }

    fn stream_encoder(inbound: &Inbound) -> Box<dyn StreamEncoder> {
        Box::new(ChunkEncoder::new(inbound))
    }

    fn encode_error(error: &ApiError) -> Vec<u8> {
        encode_error(error)
    }
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: ErrorObject<'a>,
}

#[derive(Serialize)]
struct ErrorObject<'a> {
    message: &'a str,
    #[serde(rename = "type")]
    kind: &'a str,
    param: Option<&'a str>,
    code: Option<&'a str>,
}

/// OpenAI's error object: `{"error": {"message", "type", "param", "code"}}`, with the codes
/// OpenAI uses for the statuses its SDKs tell apart.
pub fn encode_error(error: &ApiError) -> Vec<u8> {
    let code = match (error.status, error.kind) {
        (401, _) => Some("invalid_api_key"),
        (404, "not_found_error") => Some("model_not_found"),
        (429, _) => Some("rate_limit_exceeded"),
        (413, _) => Some("request_too_large"),
        (400, "context_length_exceeded") => Some("context_length_exceeded"),
        _ => None,
    };
    let body = ErrorBody {
        error: ErrorObject {
            message: &error.message,
            kind: error.kind,
            param: None,
            code,
        },
    };
    serde_json::to_vec(&body).unwrap_or_default()
}

/// A fresh id: `prefix` and 24 hex digits from the clock and a process counter (unique per
/// process, which is all a response id needs to be).
pub(crate) fn new_id(prefix: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    format!("{prefix}{:016x}{:08x}", t, n as u32)
}

/// Seconds since the Unix epoch.
pub(crate) fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}
