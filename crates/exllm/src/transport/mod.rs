//! Shared transport: HTTP over reqwest (rustls), the body framings providers stream in (SSE,
//! NDJSON, AWS event-stream), per-request signers (AWS SigV4, Google OAuth), the retry policy, and the stream that ties a body, a framer and a codec's stream
//! decoder together without an extra task or channel. Codecs never see any of this.

#[cfg(feature = "bedrock")]
mod aws_event_stream;
mod breaker;
mod framing;
#[cfg(feature = "vertex")]
mod google;
mod http;
mod ndjson;
mod retry;
mod signer;
#[cfg(feature = "bedrock")]
mod sigv4;
mod sse;
mod stream;
mod timeouts;
mod token;

#[cfg(feature = "bedrock")]
pub use aws_event_stream::{AwsEventStreamFramer, EXCEPTION_PREFIX};
pub use breaker::{Breaker, BreakerPolicy, BreakerState};
pub use framing::{Frame, Framer, Framing};
#[cfg(feature = "vertex")]
pub use google::GoogleAuth;
pub use http::HttpTransport;
pub use ndjson::NdjsonFramer;
pub use retry::RetryPolicy;
pub use signer::Signer;
#[cfg(feature = "bedrock")]
pub use sigv4::SigV4Auth;
pub use sse::SseFramer;
pub(crate) use stream::FramedStream;
pub(crate) use timeouts::limit;
pub use timeouts::Timeouts;
pub use token::TokenAuth;
