//! Shared transport: HTTP over reqwest (rustls), the body framings providers stream in (SSE,
//! NDJSON), the retry policy, and the stream that ties a body, a framer and a codec's stream
//! decoder together without an extra task or channel. Codecs never see any of this.

mod framing;
mod http;
mod ndjson;
mod retry;
mod sse;
mod stream;

pub use framing::{Frame, Framer, Framing};
pub use http::HttpTransport;
pub use ndjson::NdjsonFramer;
pub use retry::RetryPolicy;
pub use sse::SseFramer;
pub(crate) use stream::HttpEventStream;
