//! The wire level that codecs and transport share, below both: a streamed body's frames and
//! the framers that cut them (SSE, NDJSON, AWS event-stream), the stream-decoder trait codecs
//! implement, the signer trait auth schemes implement, and the mapping of an HTTP error status
//! and body to an [`Error`](crate::Error). Pure functions and traits over bytes: no I/O.

#[cfg(feature = "bedrock")]
mod aws_event_stream;
mod decoder;
pub(crate) mod errors;
mod framing;
mod ndjson;
mod rate_limit;
mod signer;
mod sse;

#[cfg(feature = "bedrock")]
pub use aws_event_stream::{AwsEventStreamFramer, EXCEPTION_PREFIX};
pub use decoder::StreamDecoder;
pub use errors::error_from_response;
pub use framing::{Frame, Framer, Framing};
pub use ndjson::NdjsonFramer;
pub use rate_limit::{RateLimits, RATE_LIMITS_KEY};
pub use signer::Signer;
pub use sse::SseFramer;
