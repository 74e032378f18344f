//! How a streamed body is cut into frames before a codec's stream decoder sees them.

use super::{NdjsonFramer, SseFramer};
use crate::error::Result;

/// One frame of a streamed body: an SSE event, an NDJSON line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frame<'a> {
    /// The SSE `event:` name (empty when absent or for NDJSON).
    pub event: &'a str,
    /// The payload (SSE `data:` lines joined with `\n`, or the NDJSON line).
    pub data: &'a [u8],
}

/// Cuts a byte stream into frames, whatever the chunk boundaries.
pub trait Framer: Send {
    /// Feeds the next chunk of the body; `sink` is called for every complete frame.
    fn feed(&mut self, chunk: &[u8], sink: &mut dyn FnMut(Frame<'_>) -> Result<()>) -> Result<()>;
    /// The body ended: emits a last frame that was not terminated, if any.
    fn finish(&mut self, sink: &mut dyn FnMut(Frame<'_>) -> Result<()>) -> Result<()>;
}

/// The framing a wire API streams in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Framing {
    /// `text/event-stream`.
    Sse,
    /// Newline-delimited JSON.
    Ndjson,
    /// AWS event stream (`application/vnd.amazon.eventstream`, feature `bedrock`).
    AwsEventStream,
}

impl Framing {
    /// A fresh framer for one body.
    pub fn framer(self) -> Box<dyn Framer> {
        match self {
            Framing::Sse => Box::new(SseFramer::default()),
            Framing::Ndjson => Box::new(NdjsonFramer::default()),
            #[cfg(feature = "bedrock")]
            Framing::AwsEventStream => Box::new(super::AwsEventStreamFramer::default()),
            #[cfg(not(feature = "bedrock"))]
            Framing::AwsEventStream => Box::new(Unsupported),
        }
    }
}

/// Stands in for a framing this build leaves out.
#[cfg(not(feature = "bedrock"))]
struct Unsupported;

#[cfg(not(feature = "bedrock"))]
impl Framer for Unsupported {
    fn feed(&mut self, _: &[u8], _: &mut dyn FnMut(Frame<'_>) -> Result<()>) -> Result<()> {
        Err(crate::Error::new(
            crate::ErrorKind::Config,
            "AWS event streams need exllm's `bedrock` feature",
        ))
    }

    fn finish(&mut self, _: &mut dyn FnMut(Frame<'_>) -> Result<()>) -> Result<()> {
        Ok(())
    }
}
