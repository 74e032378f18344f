//! Stream decoding for Anthropic Messages: typed SSE events over content blocks by index
//! (text, thinking with signature deltas, tool input JSON fragments, provider-run blocks).

use super::*;
use crate::provider::decode::{ended, event, index_field, str_field};

#[derive(Deserialize)]
struct WireEvent {
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    index: Option<u32>,
    #[serde(default)]
    message: Option<Value>,
    #[serde(default)]
    content_block: Option<Value>,
    #[serde(default)]
    delta: Option<Value>,
    #[serde(default)]
    usage: Option<Value>,
    #[serde(default)]
    error: Option<Value>,
}

impl WireEvent {
    /// The event with each field read only if it has the expected shape.
    fn lenient(v: &Value) -> Option<Self> {
        Some(WireEvent {
            kind: str_field(v, "type").unwrap_or_default(),
            index: index_field(v, "index"),
            message: v.get("message").cloned(),
            content_block: v.get("content_block").cloned(),
            delta: v.get("delta").cloned(),
            usage: v.get("usage").cloned(),
            error: v.get("error").cloned(),
        })
    }
}

/// What an open content block is, by its index.
enum Block {
    Text,
    Thinking { signature: Option<String> },
    Tool { start_input: Value, had_delta: bool },
    Other { raw: Value, json: String },
}

#[derive(Default)]
pub(super) struct AnthropicStreamDecoder {
    blocks: Vec<(u32, Block)>,
    usage: JsonMap,
    meta: Meta,
    finished: bool,
    stopped: bool,
}

impl AnthropicStreamDecoder {
    fn block(&mut self, index: u32) -> Option<&mut Block> {
        self.blocks
            .iter_mut()
            .find(|(i, _)| *i == index)
            .map(|(_, b)| b)
    }

    fn flush(&mut self, out: &mut Vec<StreamEvent>) {
        out.extend(self.meta.events());
        if !self.usage.is_empty() {
            let u = Value::Object(std::mem::take(&mut self.usage));
            out.extend(service_tier(&u));
            out.push(StreamEvent::usage(usage(u)));
        }
    }

    fn merge_usage(&mut self, u: Option<&Value>) {
        if let Some(Value::Object(u)) = u {
            for (k, v) in u {
                if !v.is_null() {
                    self.usage.insert(k.clone(), v.clone());
                }
            }
        }
    }
}

impl StreamDecoder for AnthropicStreamDecoder {
    fn decode(&mut self, frame: Frame<'_>, out: &mut Vec<StreamEvent>) -> Result<()> {
        let data = frame.data.trim_ascii();
        if data.is_empty() {
            return Ok(());
        }
        let ev: WireEvent = event(data, "Anthropic stream event", WireEvent::lenient)?;
        let index = ev.index.unwrap_or(0);
        match ev.kind.as_str() {
            "message_start" => {
                if let Some(m) = &ev.message {
                    out.push(StreamEvent::Start {
                        id: opt_str(m, "id"),
                        model: opt_str(m, "model"),
                    });
                    self.merge_usage(m.get("usage"));
                    // Reported now as well as at the end, so a stream that breaks still
                    // carries the input it was billed for.
                    if !self.usage.is_empty() {
                        out.push(StreamEvent::usage(usage(Value::Object(self.usage.clone()))));
                    }
                }
            }
            "content_block_start" => {
                let Some(block) = ev.content_block else {
                    return Ok(());
                };
                let state = match block.get("type").and_then(Value::as_str).unwrap_or("") {
                    "text" => {
                        let t = str_at(&block, "text");
                        if !t.is_empty() {
                            out.push(StreamEvent::TextDelta(t));
                        }
                        if let Some(Value::Array(cs)) = block.get("citations") {
                            self.meta.citations.extend(cs.iter().cloned());
                        }
                        Block::Text
                    }
                    "thinking" => {
                        let t = str_at(&block, "thinking");
                        if !t.is_empty() {
                            out.push(StreamEvent::ReasoningDelta(t));
                        }
                        Block::Thinking {
                            signature: opt_str(&block, "signature").filter(|s| !s.is_empty()),
                        }
                    }
                    "redacted_thinking" => {
                        out.push(StreamEvent::ReasoningDone {
                            signature: None,
                            encrypted: opt_str(&block, "data"),
                            id: None,
                        });
                        Block::Text
                    }
                    "tool_use" => {
                        out.push(StreamEvent::ToolCallStart {
                            index,
                            id: str_at(&block, "id"),
                            name: str_at(&block, "name"),
                        });
                        Block::Tool {
                            start_input: input_of(block.get("input")),
                            had_delta: false,
                        }
                    }
                    _ => Block::Other {
                        raw: block,
                        json: String::new(),
                    },
                };
                self.blocks.retain(|(i, _)| *i != index);
                self.blocks.push((index, state));
            }
            "content_block_delta" => {
                let Some(delta) = ev.delta else { return Ok(()) };
                let kind = delta.get("type").and_then(Value::as_str).unwrap_or("");
                match kind {
                    "text_delta" => out.push(StreamEvent::TextDelta(str_at(&delta, "text"))),
                    "thinking_delta" => {
                        out.push(StreamEvent::ReasoningDelta(str_at(&delta, "thinking")))
                    }
                    "signature_delta" => {
                        if let Some(Block::Thinking { signature }) = self.block(index) {
                            signature
                                .get_or_insert_with(String::new)
                                .push_str(&str_at(&delta, "signature"));
                        }
                    }
                    "citations_delta" => {
                        if let Some(c) = delta.get("citation") {
                            self.meta.citations.push(c.clone());
                        }
                    }
                    "input_json_delta" => {
                        let part = str_at(&delta, "partial_json");
                        match self.block(index) {
                            Some(Block::Tool { had_delta, .. }) if !part.is_empty() => {
                                *had_delta = true;
                                out.push(StreamEvent::ToolCallDelta {
                                    index,
                                    arguments: part,
                                });
                            }
                            Some(Block::Other { json, .. }) => json.push_str(&part),
                            _ => {}
                        }
                    }
                    _ => {}
                }
            }
            "content_block_stop" => {
                let Some(pos) = self.blocks.iter().position(|(i, _)| *i == index) else {
                    return Ok(());
                };
                match self.blocks.remove(pos).1 {
                    Block::Text => {}
                    Block::Thinking { signature } => out.push(StreamEvent::ReasoningDone {
                        signature,
                        encrypted: None,
                        id: None,
                    }),
                    Block::Tool {
                        start_input,
                        had_delta,
                    } => {
                        if !had_delta && start_input.as_object().is_some_and(|o| !o.is_empty()) {
                            out.push(StreamEvent::ToolCallDelta {
                                index,
                                arguments: start_input.to_string(),
                            });
                        }
                        out.push(StreamEvent::ToolCallEnd { index });
                    }
                    Block::Other { mut raw, json } => {
                        if !json.trim().is_empty() {
                            raw["input"] = ToolCall::parse_arguments(&json);
                        }
                        out.push(provider_item(raw));
                    }
                }
            }
            "message_delta" => {
                if let Some(Value::Object(d)) = &ev.delta {
                    self.meta.absorb(d);
                    if let Some(r) = d.get("stop_reason").and_then(Value::as_str) {
                        self.finished = true;
                        out.push(StreamEvent::Finish(finish_reason(r)));
                    }
                }
                self.merge_usage(ev.usage.as_ref());
            }
            "message_stop" => {
                self.stopped = true;
                self.flush(out);
            }
            "error" => {
                self.finished = true;
                let e = ev.error.unwrap_or(Value::Null);
                out.push(StreamEvent::Error(crate::wire::errors::response_error(&e)));
            }
            _ => {}
        }
        Ok(())
    }

    fn finish(&mut self, out: &mut Vec<StreamEvent>) -> Result<()> {
        self.flush(out);
        ended(
            self.finished || self.stopped,
            "the stream ended before message_delta / message_stop",
        )
    }
}
