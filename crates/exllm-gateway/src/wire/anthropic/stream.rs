//! The Anthropic event stream for one answer: `message_start`, then per content block
//! `content_block_start`, its deltas (`text_delta`, `thinking_delta`, `signature_delta`,
//! `input_json_delta`) and `content_block_stop` with increasing indexes, then `message_delta`
//! (stop reason, usage) and `message_stop`. Canonical events arrive as increments of any
//! backend; one block is open at a time and switching between text, reasoning and a tool call
//! closes it, as Anthropic's own streams do. A stream that breaks ends with an `error` event.

use super::calls::{Action, Calls};
use super::response::{input_object, tool_id};
use super::{error_object, input_parts, new_id, stop_reason, usage_object, API_NAME};
use crate::wire::{ApiError, StreamEncoder};
use exllm::{FinishReason, ResponseError, StreamEvent, Usage};
use serde_json::{json, Value};
use std::io::Write;

/// What the open block is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Open {
    None,
    Text,
    Thinking,
    /// A tool call.
    Tool,
    /// A block sent whole (redacted thinking, a whole tool call, a server-run block).
    Other,
}

/// The Anthropic stream encoder.
pub(super) struct AnthropicStream {
    model: String,
    id: Option<String>,
    started: bool,
    done: bool,
    open: Open,
    next_block: u32,
    calls: Calls,
    /// Whether a whole tool call was sent.
    has_calls: bool,
    usage: Usage,
    finish: Option<FinishReason>,
    stop_sequence: Option<Value>,
    error: Option<ResponseError>,
}

impl AnthropicStream {
    pub(super) fn new(model: &str) -> Self {
        AnthropicStream {
            model: model.to_owned(),
            id: None,
            started: false,
            done: false,
            open: Open::None,
            next_block: 0,
            calls: Calls::default(),
            has_calls: false,
            usage: Usage::default(),
            finish: None,
            stop_sequence: None,
            error: None,
        }
    }

    /// `message_start`, once, before the first block; lazily, so that the input counts a
    /// backend reports at its start are in it.
    fn start(&mut self, out: &mut Vec<u8>) {
        if self.started {
            return;
        }
        self.started = true;
        let id = self.id.clone().unwrap_or_else(|| new_id("msg_"));
        let msg = json!({
            "type": "message_start",
            "message": {
                "id": id,
                "type": "message",
                "role": "assistant",
                "model": self.model,
                "content": [],
                "stop_reason": null,
                "stop_sequence": null,
                "usage": usage_object(Some(&self.usage)),
            },
        });
        frame(out, "message_start", &msg);
    }

    /// Closes the open block, if any.
    fn close(&mut self, out: &mut Vec<u8>) {
        if self.open == Open::None {
            return;
        }
        self.open = Open::None;
        let index = self.next_block - 1;
        let _ = write!(
            out,
            "event: content_block_stop\ndata: {{\"type\":\"content_block_stop\",\"index\":{index}}}\n\n"
        );
    }

    /// Opens a block of `kind` with its start object, closing the one before; returns its
    /// index.
    fn open_block(&mut self, kind: Open, block: Value, out: &mut Vec<u8>) -> u32 {
        self.start(out);
        self.close(out);
        let index = self.next_block;
        self.next_block += 1;
        self.open = kind;
        frame(
            out,
            "content_block_start",
            &json!({"type": "content_block_start", "index": index, "content_block": block}),
        );
        index
    }

    /// Makes `kind` (text or thinking) the open block.
    fn ensure(&mut self, kind: Open, out: &mut Vec<u8>) -> u32 {
        if self.open != kind {
            let block = match kind {
                Open::Thinking => json!({"type": "thinking", "thinking": "", "signature": ""}),
                _ => json!({"type": "text", "text": ""}),
            };
            self.open_block(kind, block, out);
        }
        self.next_block - 1
    }

    /// Emits what the call queue decided.
    fn apply(&mut self, action: Action, calls: &mut Calls, out: &mut Vec<u8>) {
        match action {
            Action::Open(i) => {
                let c = calls.get_mut(i);
                if c.id.is_empty() {
                    c.id = new_id("toolu_");
                }
                let block = json!({"type": "tool_use", "id": c.id, "name": c.name, "input": {}});
                let index = self.open_block(Open::Tool, block, out);
                if !c.args.is_empty() {
                    delta(out, index, "input_json_delta", "partial_json", &c.args);
                }
            }
            Action::Delta(i, from) => {
                let text = calls.get(i).args.get(from..).unwrap_or("");
                delta(
                    out,
                    self.next_block - 1,
                    "input_json_delta",
                    "partial_json",
                    text,
                );
            }
            Action::Close(_) => self.close(out),
        }
    }

    /// Runs `f` on the call queue with `apply` emitting its actions.
    fn with_calls(
        &mut self,
        out: &mut Vec<u8>,
        f: impl FnOnce(&mut Calls, &mut dyn FnMut(Action, &mut Calls)),
    ) {
        let mut calls = std::mem::take(&mut self.calls);
        f(&mut calls, &mut |a, c| self.apply(a, c, out));
        self.calls = calls;
    }

    /// Shows and closes the calls in flight, before something else is shown.
    fn flush_calls(&mut self, out: &mut Vec<u8>) {
        if self.calls.pending() {
            self.with_calls(out, |c, act| c.flush(act));
        }
    }
}

impl StreamEncoder for AnthropicStream {
    fn event(&mut self, event: &StreamEvent, out: &mut Vec<u8>) {
        if self.done {
            return;
        }
        match event {
            StreamEvent::Start { id, .. } if self.id.is_none() => self.id = id.clone(),
            StreamEvent::TextDelta(t) | StreamEvent::RefusalDelta(t) if !t.is_empty() => {
                self.flush_calls(out);
                let index = self.ensure(Open::Text, out);
                delta(out, index, "text_delta", "text", t);
            }
            StreamEvent::Citation(c) => {
                self.flush_calls(out);
                let index = self.ensure(Open::Text, out);
                frame(
                    out,
                    "content_block_delta",
                    &json!({"type": "content_block_delta", "index": index,
                        "delta": {"type": "citations_delta", "citation": super::response::citation(c)}}),
                );
            }
            StreamEvent::ReasoningDelta(t) if !t.is_empty() => {
                self.flush_calls(out);
                let index = self.ensure(Open::Thinking, out);
                delta(out, index, "thinking_delta", "thinking", t);
            }
            StreamEvent::ReasoningDone {
                signature,
                encrypted,
                id,
            } => {
                self.flush_calls(out);
                let signature = signature.as_deref().filter(|s| !s.is_empty());
                if self.open != Open::Thinking {
                    match (signature, encrypted) {
                        (Some(_), _) => {
                            self.ensure(Open::Thinking, out);
                        }
                        // Opaque reasoning with an item id is another API's, not Anthropic's
                        // to send back as redacted thinking.
                        (None, Some(data)) if id.is_none() => {
                            let block = json!({"type": "redacted_thinking", "data": data});
                            self.open_block(Open::Other, block, out);
                        }
                        _ => {}
                    }
                }
                if let (Open::Thinking, Some(sig)) = (self.open, signature) {
                    delta(
                        out,
                        self.next_block - 1,
                        "signature_delta",
                        "signature",
                        sig,
                    );
                }
                self.close(out);
            }
            StreamEvent::ToolCallStart { index, id, name } => {
                self.with_calls(out, |c, act| c.start(*index, id, name, act));
            }
            StreamEvent::ToolCallDelta { index, arguments } if !arguments.is_empty() => {
                self.with_calls(out, |c, act| c.delta(*index, arguments, act));
            }
            StreamEvent::ToolCallEnd { index } => {
                self.with_calls(out, |c, act| c.end(*index, act));
            }
            StreamEvent::ToolCall(call) => {
                self.flush_calls(out);
                let block = json!({"type": "tool_use", "id": tool_id(call), "name": call.name, "input": {}});
                self.has_calls = true;
                let index = self.open_block(Open::Other, block, out);
                let input = input_object(call);
                if input.as_object().is_some_and(|o| !o.is_empty()) {
                    delta(
                        out,
                        index,
                        "input_json_delta",
                        "partial_json",
                        &input.to_string(),
                    );
                }
                self.close(out);
            }
            StreamEvent::ProviderItem(item) if item.api == API_NAME => {
                self.flush_calls(out);
                self.open_block(Open::Other, item.raw.clone(), out);
                self.close(out);
            }
            StreamEvent::Usage(u) => self.usage.merge((**u).clone()),
            StreamEvent::Finish(f) => self.finish = Some(f.clone()),
            StreamEvent::Metadata { key, value } if key == "stop_sequence" => {
                self.stop_sequence = Some(value.clone());
            }
            StreamEvent::Error(e) => self.error = Some(e.clone()),
            _ => {}
        }
    }

    fn finish(&mut self, out: &mut Vec<u8>) {
        if self.done {
            return;
        }
        if let Some(e) = self.error.take() {
            return self.error(&ApiError::in_stream("api_error", e.message), out);
        }
        self.start(out);
        self.flush_calls(out);
        self.close(out);
        self.done = true;
        let reason = stop_reason(
            self.finish.as_ref(),
            self.has_calls || !self.calls.is_empty(),
        );
        let stop_sequence = match reason {
            "stop_sequence" => self.stop_sequence.take(),
            _ => None,
        };
        let (plain, write, read) = input_parts(&self.usage);
        let mut usage = json!({"output_tokens": self.usage.output_tokens.unwrap_or(0)});
        if let Some(plain) = plain {
            usage["input_tokens"] = plain.into();
            usage["cache_creation_input_tokens"] = write.into();
            usage["cache_read_input_tokens"] = read.into();
        }
        let delta = json!({
            "type": "message_delta",
            "delta": {"stop_reason": reason, "stop_sequence": stop_sequence},
            "usage": usage,
        });
        frame(out, "message_delta", &delta);
        frame(out, "message_stop", &json!({"type": "message_stop"}));
    }

    fn error(&mut self, error: &ApiError, out: &mut Vec<u8>) {
        if self.done {
            return;
        }
        self.done = true;
        frame(out, "error", &error_object(error));
    }
}

/// One SSE frame: `event: {event}` and the JSON data.
fn frame(out: &mut Vec<u8>, event: &str, data: &Value) {
    out.extend_from_slice(b"event: ");
    out.extend_from_slice(event.as_bytes());
    out.extend_from_slice(b"\ndata: ");
    let _ = serde_json::to_writer(&mut *out, data);
    out.extend_from_slice(b"\n\n");
}

/// A `content_block_delta` frame, written without building a JSON value (the hot path).
fn delta(out: &mut Vec<u8>, index: u32, kind: &str, field: &str, text: &str) {
    let _ = write!(
        out,
        "event: content_block_delta\ndata: {{\"type\":\"content_block_delta\",\"index\":{index},\"delta\":{{\"type\":\"{kind}\",\"{field}\":"
    );
    let _ = serde_json::to_writer(&mut *out, text);
    out.extend_from_slice(b"}}\n\n");
}
