//! The caller-facing wire formats: each decodes a caller's request body into an [`Inbound`]
//! and encodes answers, stream events and errors back in the same format. No I/O here: the
//! server feeds these functions bytes and canonical types, which keeps every format testable
//! as round trips against the library's own (client-side) decoders.

pub mod anthropic;
pub mod batch_file;
pub mod media;
pub mod multipart;
pub mod pass;
pub mod responses;

use exllm::{ChatRequest, ChatResponse, StreamEvent};

/// A caller's chat request, decoded from its wire format.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Inbound {
    /// The canonical request; `model` is the name the caller used (a configured group or
    /// `provider/model` entry), resolved by the server, never trusted as a path or URL.
    pub request: ChatRequest,
    /// Whether the caller asked for a stream.
    pub stream: bool,
    /// OpenAI `stream_options.include_usage`: a final chunk carrying usage.
    pub include_usage: bool,
}

/// An error as a caller sees it: HTTP status, the format's error type string and a message.
/// Each format renders it in its own error object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status.
    pub status: u16,
    /// The error category, in OpenAI's vocabulary (`invalid_request_error`,
    /// `authentication_error`, `rate_limit_error`, `not_found_error`, `api_error`, ...); each
    /// format maps it to its own.
    pub kind: &'static str,
    /// What went wrong, for people. Never contains a key.
    pub message: String,
    /// Seconds for a `Retry-After` header.
    pub retry_after: Option<u64>,
}

impl ApiError {
    /// The error a backend reported inside its stream (not a complete answer), as a
    /// format's stream ends with it: status 500, of the format's server-side `kind`.
    pub(crate) fn in_stream(kind: &'static str, message: String) -> Self {
        ApiError {
            status: 500,
            kind,
            message,
            retry_after: None,
        }
    }
}

/// Incremental encoder of one streamed answer in a caller's format. The server calls
/// [`StreamEncoder::event`] for each event in order, then exactly one of
/// [`StreamEncoder::finish`] (the stream ended cleanly) or [`StreamEncoder::error`] (it broke):
/// a broken stream must end with an error event, never with frames that look complete.
pub trait StreamEncoder: Send {
    /// Appends the frames (SSE bytes) for `event` to `out`; may append nothing.
    fn event(&mut self, event: &StreamEvent, out: &mut Vec<u8>);
    /// Appends the closing frames.
    fn finish(&mut self, out: &mut Vec<u8>);
    /// Appends an error event for a stream that broke after it started.
    fn error(&mut self, error: &ApiError, out: &mut Vec<u8>);
}

/// A caller-facing chat format.
pub trait Format {
    /// Decodes a request body.
    fn decode_request(body: &[u8]) -> Result<Inbound, ApiError>;
    /// Encodes a whole answer; `model` is the name the caller asked for.
    fn encode_response(response: &ChatResponse, model: &str) -> Vec<u8>;
    /// A stream encoder for one answer to `inbound`.
    fn stream_encoder(inbound: &Inbound) -> Box<dyn StreamEncoder>;
    /// Encodes an error body (the status and `Retry-After` come from `error` itself).
    fn encode_error(error: &ApiError) -> Vec<u8>;
    /// The provider API that speaks this format as it is, whose answers can be passed
    /// through without re-encoding.
    fn pass_api() -> Option<exllm::Api> {
        None
    }
}

pub mod openai;
