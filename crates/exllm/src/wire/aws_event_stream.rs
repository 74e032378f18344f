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
    /// The decoder took a message's prelude out of `buf` and waits for the rest.
    in_message: bool,
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
            let before = self.buf.remaining();
            match self.decoder.decode_frame(&mut self.buf) {
                Ok(DecodedFrame::Complete(m)) => {
                    self.in_message = false;
                    emit(&m, sink)?
                }
                Ok(DecodedFrame::Incomplete) => {
                    self.in_message |= self.buf.remaining() < before;
                    return Ok(());
                }
                Err(e) => {
                    self.in_message = false;
                    return Err(Error::new(
                        ErrorKind::Decode,
                        format!("malformed AWS event-stream message: {e}"),
                    ));
                }
            }
        }
    }

    fn finish(&mut self, _sink: &mut dyn FnMut(Frame<'_>) -> Result<()>) -> Result<()> {
        if self.in_message || self.buf.has_remaining() {
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

#[cfg(test)]
mod tests {
    use super::*;
    use aws_smithy_eventstream::frame::write_message_to;
    use aws_smithy_types::event_stream::Header;

    fn string(name: &'static str, value: &'static str) -> Header {
        Header::new(name, HeaderValue::String(value.into()))
    }

    fn message(headers: Vec<Header>, payload: &'static str) -> Vec<u8> {
        let m = Message::new_from_parts(headers, payload.as_bytes());
        let mut out = Vec::new();
        write_message_to(&m, &mut out).unwrap();
        out
    }

    fn event(kind: &'static str, payload: &'static str) -> Vec<u8> {
        message(
            vec![
                string(":message-type", "event"),
                string(":event-type", kind),
                string(":content-type", "application/json"),
            ],
            payload,
        )
    }

    /// A text delta, a throttling exception and a service error, as Bedrock sends them.
    fn body() -> Vec<u8> {
        let mut body = event(
            "contentBlockDelta",
            r#"{"contentBlockIndex":0,"delta":{"text":"Hi"},"p":"abcd"}"#,
        );
        body.extend(message(
            vec![
                string(":message-type", "exception"),
                string(":exception-type", "throttlingException"),
                string(":content-type", "application/json"),
            ],
            r#"{"message":"Too many requests, please wait before trying again."}"#,
        ));
        body.extend(message(
            vec![
                string(":message-type", "error"),
                string(":error-code", "InternalFailure"),
                string(":error-message", "An internal error occurred"),
            ],
            "",
        ));
        body
    }

    fn expected() -> Vec<(String, String)> {
        vec![
            (
                "contentBlockDelta".into(),
                r#"{"contentBlockIndex":0,"delta":{"text":"Hi"},"p":"abcd"}"#.into(),
            ),
            (
                "exception:throttlingException".into(),
                r#"{"message":"Too many requests, please wait before trying again."}"#.into(),
            ),
            ("exception:InternalFailure".into(), String::new()),
        ]
    }

    /// Feeds `chunks` and finishes; returns the frames and the outcome.
    fn run(chunks: &[&[u8]]) -> (Vec<(String, String)>, std::result::Result<(), ErrorKind>) {
        let mut framer = AwsEventStreamFramer::default();
        let mut frames = Vec::new();
        let mut sink = |f: Frame<'_>| {
            let data = String::from_utf8(f.data.to_vec()).unwrap();
            frames.push((f.event.to_owned(), data));
            Ok(())
        };
        let mut outcome = Ok(());
        for chunk in chunks {
            outcome = framer.feed(chunk, &mut sink);
            if outcome.is_err() {
                break;
            }
        }
        if outcome.is_ok() {
            outcome = framer.finish(&mut sink);
        }
        (frames, outcome.map_err(|e| e.kind()))
    }

    #[test]
    fn messages_become_named_frames_whatever_the_split() {
        let body = body();
        assert_eq!(run(&[&body]), (expected(), Ok(())));
        for cut in 0..=body.len() {
            let (frames, outcome) = run(&[&body[..cut], &body[cut..]]);
            outcome.unwrap_or_else(|e| panic!("cut at {cut}: {e:?}"));
            assert_eq!(frames, expected(), "cut at {cut}");
        }
        let bytes: Vec<&[u8]> = body.chunks(1).collect();
        assert_eq!(run(&bytes), (expected(), Ok(())));
    }

    #[test]
    fn missing_or_non_string_type_headers_fall_back() {
        let untyped = message(vec![string(":event-type", "messageStop")], "{}");
        let nameless = message(vec![string(":message-type", "event")], "{}");
        let numeric = message(
            vec![Header::new(":event-type", HeaderValue::Int32(7))],
            "{}",
        );
        let exception = message(vec![string(":message-type", "exception")], "{}");
        let error = message(vec![string(":message-type", "error")], "");
        let body = [untyped, nameless, numeric, exception, error].concat();
        let (frames, outcome) = run(&[&body]);
        outcome.unwrap();
        let names: Vec<&str> = frames.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "messageStop",
                "",
                "",
                "exception:exception",
                "exception:error"
            ]
        );
    }

    #[test]
    fn corrupted_crcs_are_decode_errors() {
        let good = event("contentBlockDelta", r#"{"delta":{"text":"Hi"}}"#);
        // Byte 8..12 is the prelude CRC; the last four bytes are the message CRC; a flipped
        // payload byte breaks the message CRC too.
        for at in [9, good.len() - 1, good.len() - 8] {
            let mut bad = good.clone();
            bad[at] ^= 0x5a;
            let (frames, outcome) = run(&[&bad]);
            assert_eq!(outcome.unwrap_err(), ErrorKind::Decode, "byte {at}");
            assert!(frames.is_empty());
        }
        // A good message before the bad one is still delivered.
        let mut bad = good.clone();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        let (frames, outcome) = run(&[&[good.clone(), bad].concat()]);
        assert_eq!(outcome.unwrap_err(), ErrorKind::Decode);
        assert_eq!(frames.len(), 1);
    }

    #[test]
    fn a_message_cut_short_at_the_end_is_truncated() {
        let body = body();
        let last = event("messageStop", r#"{"stopReason":"end_turn"}"#);
        for cut in 1..last.len() {
            let (frames, outcome) = run(&[&body, &last[..cut]]);
            assert_eq!(outcome, Err(ErrorKind::Truncated), "cut at {cut}");
            assert_eq!(frames, expected(), "cut at {cut}");
        }
        assert_eq!(run(&[]), (Vec::new(), Ok(())));
    }

    #[test]
    fn sink_errors_stop_the_feed() {
        let body = body();
        let mut framer = AwsEventStreamFramer::default();
        let mut seen = 0;
        let mut sink = |_: Frame<'_>| {
            seen += 1;
            Err(crate::Error::new(ErrorKind::Decode, "stop"))
        };
        let err = framer.feed(&body, &mut sink).unwrap_err();
        assert_eq!(err.message(), "stop");
        assert_eq!(seen, 1);
    }
}
