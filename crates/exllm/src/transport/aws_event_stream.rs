//! AWS event-stream framing (`application/vnd.amazon.eventstream`), decoded with the official
//! `aws-smithy-eventstream` crate: binary messages with a CRC-checked prelude, string headers
//! and a payload. Each message becomes a frame named after its `:event-type`; exception and
//! error messages become frames named `exception:<type>`.

use super::framing::{Frame, Framer};
use crate::error::{Error, ErrorKind, Result};
use aws_smithy_eventstream::frame::{DecodedFrame, MessageFrameDecoder};
use aws_smithy_types::event_stream::{HeaderValue, Message};
use bytes::{Buf, BytesMut};

/// Frame name prefix for exception messages.
pub const EXCEPTION_PREFIX: &str = "exception:";

/// AWS event-stream framer.
#[derive(Debug, Default)]
pub struct AwsEventStreamFramer {
    buf: BytesMut,
    decoder: MessageFrameDecoder,
}

fn header<'a>(m: &'a Message, name: &str) -> Option<&'a str> {
    m.headers()
        .iter()
        .find(|h| h.name().as_str() == name)
        .and_then(|h| match h.value() {
            HeaderValue::String(s) => Some(s.as_str()),
            _ => None,
        })
}

fn emit(m: &Message, sink: &mut dyn FnMut(Frame<'_>) -> Result<()>) -> Result<()> {
    let message_type = header(m, ":message-type").unwrap_or("event");
    let name = match message_type {
        "event" => header(m, ":event-type").unwrap_or("").to_owned(),
        "exception" => format!(
            "{EXCEPTION_PREFIX}{}",
            header(m, ":exception-type").unwrap_or("exception")
        ),
        _ => format!(
            "{EXCEPTION_PREFIX}{}",
            header(m, ":error-code").unwrap_or("error")
        ),
    };
    sink(Frame {
        event: &name,
        data: m.payload(),
    })
}

impl Framer for AwsEventStreamFramer {
    fn feed(&mut self, chunk: &[u8], sink: &mut dyn FnMut(Frame<'_>) -> Result<()>) -> Result<()> {
        self.buf.extend_from_slice(chunk);
        loop {
            match self.decoder.decode_frame(&mut self.buf) {
                Ok(DecodedFrame::Complete(m)) => emit(&m, sink)?,
                Ok(DecodedFrame::Incomplete) => return Ok(()),
                Err(e) => {
                    return Err(Error::new(
                        ErrorKind::Decode,
                        format!("malformed AWS event-stream message: {e}"),
                    ))
                }
            }
        }
    }

    fn finish(&mut self, _sink: &mut dyn FnMut(Frame<'_>) -> Result<()>) -> Result<()> {
        if self.buf.has_remaining() {
            return Err(Error::new(
                ErrorKind::Truncated,
                format!(
                    "the stream ended inside an event-stream message ({} bytes left)",
                    self.buf.remaining()
                ),
            ));
        }
        Ok(())
    }
}
