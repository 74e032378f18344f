//! Answers that are not the end of a call. Most APIs answer a request with the answer; some
//! start a job and answer with where to find it (Replicate creates a prediction, then its
//! result is polled at one URL or streamed from another). A codec says what the next request
//! is as a [`Step`], still without I/O; the client sends it through the same transport,
//! retries and timeouts as the first request.

use crate::types::{ChatResponse, StreamEvent};
use bytes::Bytes;

/// What a codec makes of one whole answer: the final response, or the request to send next.
// One step exists at a time, once per request: boxing its requests would only add allocations.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
#[non_exhaustive]
pub enum Step {
    /// The answer is complete.
    Done(Box<ChatResponse>),
    /// The work is still running: send this request after a wait (the client's bounded
    /// backoff) and give its answer to the codec again.
    Poll(http::Request<Bytes>),
    /// The answer streams: open this request and decode its body with the codec's framing
    /// and stream decoder.
    Stream {
        /// The request that opens the stream.
        request: http::Request<Bytes>,
        /// The request that stops the work, sent when the stream is dropped before its end
        /// (the provider would otherwise finish, and bill, an answer nobody reads).
        cancel: Option<http::Request<Bytes>>,
        /// Events known before the stream opens (the job's id and model), sent first.
        head: Vec<StreamEvent>,
    },
}

/// A copy of a request (its extensions left behind), for sending it again.
pub(crate) fn copy_request(r: &http::Request<Bytes>) -> http::Request<Bytes> {
    let mut out = http::Request::new(r.body().clone());
    *out.method_mut() = r.method().clone();
    *out.uri_mut() = r.uri().clone();
    *out.headers_mut() = r.headers().clone();
    *out.version_mut() = r.version();
    out
}
