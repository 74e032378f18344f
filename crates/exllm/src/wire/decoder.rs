//! The stream-decoder trait: what a codec implements to turn the frames of a streamed body
//! into events. It lives below both the codecs (which implement it) and the transport (which
//! drives it).

use super::Frame;
use crate::error::Result;
use crate::types::StreamEvent;

/// Decodes the frames of one streamed body into items (chat [`StreamEvent`]s by default).
pub trait StreamDecoder<T = StreamEvent>: Send {
    /// Decodes one frame, appending items to `out`.
    fn decode(&mut self, frame: Frame<'_>, out: &mut Vec<T>) -> Result<()>;

    /// The body ended: flushes what is held back and reports a stream that ended early.
    fn finish(&mut self, out: &mut Vec<T>) -> Result<()>;
}
