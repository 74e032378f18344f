//! Stream decoding for ConverseStream: AWS event-stream messages named by event type, content
//! blocks by index, exceptions as errors in the answer.

use super::*;
use crate::provider::decode::ended;

#[derive(Default)]
pub(super) struct BedrockStreamDecoder {
    started: bool,
    finished: bool,
    /// Open reasoning blocks by index, with the signature received so far.
    reasoning: Vec<(u32, Option<String>)>,
    /// Indexes of open tool-use blocks.
    tools: Vec<u32>,
    meta: JsonMap,
}

impl StreamDecoder for BedrockStreamDecoder {
    fn decode(&mut self, frame: Frame<'_>, out: &mut Vec<StreamEvent>) -> Result<()> {
        let v: Value = if frame.data.trim_ascii().is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(frame.data)
                .map_err(|e| common::decode_error("Bedrock stream event", frame.data, e))?
        };
        // Some servers wrap the event in an object keyed by its type.
        let ev = frame.event;
        let v = match v.get(ev) {
            Some(inner) if !ev.is_empty() => inner.clone(),
            _ => v,
        };
        if let Some(kind) = ev.strip_prefix(EXCEPTION_PREFIX) {
            self.finished = true;
            out.push(StreamEvent::Error(ResponseError {
                code: Some(kind.to_owned()),
                message: v
                    .get("message")
                    .or_else(|| v.get("Message"))
                    .and_then(Value::as_str)
                    .unwrap_or(kind)
                    .to_owned(),
            }));
            return Ok(());
        }
        let index = v
            .get("contentBlockIndex")
            .and_then(Value::as_u64)
            .unwrap_or(0) as u32;
        match ev {
            "messageStart" if !self.started => {
                self.started = true;
                out.push(StreamEvent::Start {
                    id: None,
                    model: None,
                });
            }
            "contentBlockStart" => {
                if let Some(t) = v.get("start").and_then(|s| s.get("toolUse")) {
                    self.tools.push(index);
                    out.push(StreamEvent::ToolCallStart {
                        index,
                        id: str_at(t, "toolUseId"),
                        name: str_at(t, "name"),
                    });
                }
            }
            "contentBlockDelta" => {
                let delta = v.get("delta").cloned().unwrap_or(Value::Null);
                if let Some(t) = delta.get("text").and_then(Value::as_str) {
                    out.push(StreamEvent::TextDelta(t.to_owned()));
                } else if let Some(t) = delta.get("toolUse") {
                    if !self.tools.contains(&index) {
                        self.tools.push(index);
                    }
                    let input = match t.get("input") {
                        Some(Value::String(s)) => s.clone(),
                        Some(Value::Null) | None => String::new(),
                        Some(other) => other.to_string(),
                    };
                    out.push(StreamEvent::ToolCallDelta {
                        index,
                        arguments: input,
                    });
                } else if let Some(r) = delta.get("reasoningContent") {
                    let slot = match self.reasoning.iter().position(|(i, _)| *i == index) {
                        Some(p) => p,
                        None => {
                            self.reasoning.push((index, None));
                            self.reasoning.len() - 1
                        }
                    };
                    if let Some(t) = r.get("text").and_then(Value::as_str) {
                        out.push(StreamEvent::ReasoningDelta(t.to_owned()));
                    }
                    if let Some(s) = r.get("signature").and_then(Value::as_str) {
                        self.reasoning[slot]
                            .1
                            .get_or_insert_with(String::new)
                            .push_str(s);
                    }
                    if let Some(d) = r.get("redactedContent").and_then(Value::as_str) {
                        self.reasoning.remove(slot);
                        out.push(StreamEvent::ReasoningDone {
                            signature: None,
                            encrypted: Some(d.to_owned()),
                            id: None,
                        });
                    }
                } else if !delta.is_null() {
                    out.push(provider_item(delta));
                }
            }
            "contentBlockStop" => {
                if let Some(p) = self.reasoning.iter().position(|(i, _)| *i == index) {
                    let (_, signature) = self.reasoning.remove(p);
                    out.push(StreamEvent::ReasoningDone {
                        signature,
                        encrypted: None,
                        id: None,
                    });
                }
                if let Some(p) = self.tools.iter().position(|i| *i == index) {
                    self.tools.remove(p);
                    out.push(StreamEvent::ToolCallEnd { index });
                }
            }
            "messageStop" => {
                self.finished = true;
                if let Some(f) = v
                    .get("additionalModelResponseFields")
                    .filter(|f| !f.is_null())
                {
                    self.meta
                        .insert("additionalModelResponseFields".into(), f.clone());
                }
                if let Some(r) = v.get("stopReason").and_then(Value::as_str) {
                    out.push(StreamEvent::Finish(finish_reason(r)));
                }
            }
            "metadata" => {
                for k in ["metrics", "trace"] {
                    if let Some(x) = v.get(k).filter(|x| !x.is_null()) {
                        self.meta.insert(k.into(), x.clone());
                    }
                }
                if let Some(u) = v.get("usage").filter(|u| !u.is_null()) {
                    out.push(StreamEvent::usage(usage(u.clone())));
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn finish(&mut self, out: &mut Vec<StreamEvent>) -> Result<()> {
        for (key, value) in std::mem::take(&mut self.meta) {
            out.push(StreamEvent::Metadata { key, value });
        }
        ended(self.finished, "the stream ended before messageStop")
    }
}
