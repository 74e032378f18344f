//! The streamed answer of a SageMaker endpoint: AWS event-stream `PayloadPart` messages whose
//! bytes are pieces of the container's own stream, cut anywhere. The pieces are joined into
//! lines again; each line (`data:` prefixed or a bare JSON line) is a TGI / LMI token event or,
//! for the Messages API, a chat-completion chunk handed to the OpenAI stream decoder.

use super::{finish, Details};
use crate::error::Result;
use crate::provider::common;
use crate::provider::decode::ended;
use crate::provider::{Codec, OpenAiChatCodec, StreamDecoder};
use crate::types::{ResponseError, StreamEvent, Usage};
use crate::wire::Frame;
use serde::Deserialize;
use serde_json::Value;

/// Frame names of exception messages (the framer's `exception:<type>`).
const EXCEPTION: &str = "exception:";

/// Stream decoder for `InvokeEndpointWithResponseStream`.
pub(crate) struct SageMakerStreamDecoder {
    /// The Messages API: lines are chat-completion chunks.
    chat: Option<Box<dyn StreamDecoder>>,
    /// Bytes of a line not ended yet.
    line: Vec<u8>,
    started: bool,
    complete: bool,
}

impl SageMakerStreamDecoder {
    pub(crate) fn new(messages: bool) -> Self {
        SageMakerStreamDecoder {
            chat: messages.then(|| OpenAiChatCodec.stream_decoder()),
            line: Vec::new(),
            started: false,
            complete: false,
        }
    }

    fn line(&mut self, raw: &[u8], out: &mut Vec<StreamEvent>) -> Result<()> {
        let mut l = raw.trim_ascii();
        if let Some(rest) = l.strip_prefix(b"data:") {
            l = rest.trim_ascii();
        }
        // Blank lines and the other SSE fields (`event:`, `id:`, comments) carry no data.
        if l.is_empty() || l.starts_with(b":") || l.starts_with(b"event:") || l.starts_with(b"id:")
        {
            return Ok(());
        }
        if let Some(chat) = &mut self.chat {
            return chat.decode(Frame { event: "", data: l }, out);
        }
        let ev: TokenEvent = serde_json::from_slice(l)
            .map_err(|e| common::decode_error("SageMaker stream line", l, e))?;
        if !self.started {
            self.started = true;
            out.push(StreamEvent::Start {
                id: None,
                model: None,
            });
        }
        if let Some(message) = ev.error {
            self.complete = true;
            out.push(StreamEvent::Error(ResponseError {
                code: ev.error_type,
                message,
            }));
            return Ok(());
        }
        if let Some(t) = ev.token.filter(|t| !t.special) {
            if let Some(text) = t.text.filter(|t| !t.is_empty()) {
                out.push(StreamEvent::TextDelta(text));
            }
        }
        if let Some(d) = ev.details {
            if let Some(n) = d.generated_tokens {
                out.push(StreamEvent::usage(Usage {
                    output_tokens: Some(n),
                    ..Default::default()
                }));
            }
            if let Some(f) = d.finish_reason.as_deref() {
                self.complete = true;
                out.push(StreamEvent::Finish(finish(f)));
            }
        }
        // The last event of TGI and LMI carries the whole text.
        self.complete |= ev.generated_text.is_some();
        Ok(())
    }
}

#[derive(Deserialize)]
struct TokenEvent {
    #[serde(default)]
    token: Option<Token>,
    #[serde(default)]
    generated_text: Option<String>,
    #[serde(default)]
    details: Option<Details>,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    error_type: Option<String>,
}

#[derive(Deserialize)]
struct Token {
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    special: bool,
}

impl StreamDecoder for SageMakerStreamDecoder {
    fn decode(&mut self, frame: Frame<'_>, out: &mut Vec<StreamEvent>) -> Result<()> {
        if let Some(kind) = frame.event.strip_prefix(EXCEPTION) {
            self.complete = true;
            let v: Value = serde_json::from_slice(frame.data).unwrap_or(Value::Null);
            let message = ["Message", "message"]
                .iter()
                .find_map(|k| v.get(*k).and_then(Value::as_str))
                .unwrap_or(kind)
                .to_owned();
            out.push(StreamEvent::Error(ResponseError {
                code: Some(kind.to_owned()),
                message,
            }));
            return Ok(());
        }
        if frame.event != "PayloadPart" {
            return Ok(());
        }
        self.line.extend_from_slice(frame.data);
        while let Some(end) = self.line.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = self.line.drain(..=end).collect();
            self.line(&line, out)?;
        }
        Ok(())
    }

    fn finish(&mut self, out: &mut Vec<StreamEvent>) -> Result<()> {
        let rest = std::mem::take(&mut self.line);
        // A last line that does not parse was cut short: the stream broke off.
        if self.line(&rest, out).is_err() {
            return ended(false, "the stream ended inside a line");
        }
        match &mut self.chat {
            Some(chat) if !self.complete => chat.finish(out),
            _ => ended(
                self.complete,
                "the stream ended before the answer was complete (no final generation)",
            ),
        }
    }
}
