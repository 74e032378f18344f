//! The Responses event stream for one answer: `response.created` and `response.in_progress`,
//! then per output item `response.output_item.added`, its content (`content_part.added`,
//! `output_text.delta` / `.done`, `content_part.done` for messages;
//! `reasoning_summary_part.added`, `reasoning_summary_text.delta` / `.done` for reasoning;
//! `function_call_arguments.delta` / `.done` for calls) and `response.output_item.done`, then
//! `response.completed` (or `.incomplete`, `.failed`) with the whole response. Every event
//! carries an increasing `sequence_number`. One item is open at a time; a stream that breaks
//! ends with an `error` event and `response.failed`.

use super::{
    call_item, message_item, new_id, reasoning_item, response_object, text_part, Head, Outcome,
    API_NAME,
};
use crate::wire::{ApiError, StreamEncoder};
use exllm::{FinishReason, Reasoning, ResponseError, StreamEvent, ToolCall, Usage};
use serde_json::{json, Value};
use std::io::Write;

/// The open message's current content part.
#[derive(Clone, Copy, PartialEq, Eq)]
enum PartKind {
    Text,
    Refusal,
}

/// The open output item.
enum Open {
    None,
    Message {
        id: String,
        index: u32,
        done: Vec<Value>,
        part: Option<(PartKind, String)>,
    },
    Reasoning {
        id: String,
        index: u32,
        text: String,
    },
    /// A function call, by its position in `calls`.
    Call(usize),
}

/// A function call of the stream.
struct Call {
    /// The canonical index.
    key: u32,
    /// Output index, once its item was added.
    index: Option<u32>,
    item_id: String,
    call_id: String,
    name: String,
    args: String,
}

/// The Responses stream encoder.
pub(super) struct ResponsesStream {
    head: Head,
    seq: u64,
    started: bool,
    done: bool,
    open: Open,
    next_index: u32,
    calls: Vec<Call>,
    /// Finished items by output index.
    output: Vec<(u32, Value)>,
    usage: Option<Usage>,
    finish: Option<FinishReason>,
    error: Option<ResponseError>,
}

impl ResponsesStream {
    pub(super) fn new(model: &str) -> Self {
        ResponsesStream {
            head: Head::new(String::new(), model),
            seq: 0,
            started: false,
            done: false,
            open: Open::None,
            next_index: 0,
            calls: Vec::new(),
            output: Vec::new(),
            usage: None,
            finish: None,
            error: None,
        }
    }

    /// One event: its `type` and `sequence_number` are added to `data`.
    fn emit(&mut self, out: &mut Vec<u8>, kind: &str, mut data: Value) {
        data["type"] = kind.into();
        data["sequence_number"] = self.seq.into();
        self.seq += 1;
        let _ = write!(out, "event: {kind}\ndata: ");
        let _ = serde_json::to_writer(&mut *out, &data);
        out.extend_from_slice(b"\n\n");
    }

    /// A delta event, written without building a JSON value (the hot path).
    fn delta(
        &mut self,
        out: &mut Vec<u8>,
        kind: &str,
        item_id: &str,
        index: u32,
        extra: &str,
        delta: &str,
    ) {
        let seq = self.seq;
        self.seq += 1;
        let _ = write!(
            out,
            "event: {kind}\ndata: {{\"type\":\"{kind}\",\"item_id\":\"{item_id}\",\"output_index\":{index},{extra}\"sequence_number\":{seq},\"delta\":"
        );
        let _ = serde_json::to_writer(&mut *out, delta);
        out.extend_from_slice(b"}\n\n");
    }

    fn start(&mut self, out: &mut Vec<u8>) {
        if self.started {
            return;
        }
        self.started = true;
        if self.head.id.is_empty() {
            self.head.id = new_id("resp_");
        }
        let r = response_object(&self.head, Vec::new(), &Outcome::default());
        self.emit(out, "response.created", json!({"response": r}));
        let r = response_object(&self.head, Vec::new(), &Outcome::default());
        self.emit(out, "response.in_progress", json!({"response": r}));
    }

    /// Adds an item: a new output index, and `response.output_item.added`.
    fn add_item(&mut self, item: Value, out: &mut Vec<u8>) -> u32 {
        self.start(out);
        self.close(out);
        let index = self.next_index;
        self.next_index += 1;
        self.emit(
            out,
            "response.output_item.added",
            json!({"output_index": index, "item": item}),
        );
        index
    }

    fn item_done(&mut self, index: u32, item: Value, out: &mut Vec<u8>) {
        self.emit(
            out,
            "response.output_item.done",
            json!({"output_index": index, "item": item}),
        );
        self.output.push((index, item));
    }

    /// Closes the open item, if any.
    fn close(&mut self, out: &mut Vec<u8>) {
        self.close_reasoning(None, out);
        match std::mem::replace(&mut self.open, Open::None) {
            Open::None | Open::Reasoning { .. } => {}
            Open::Message {
                id,
                index,
                mut done,
                part,
            } => {
                if let Some(p) = part {
                    done.push(self.close_part(&id, index, done.len() as u32, p, out));
                }
                self.item_done(index, message_item(&id, done, "completed"), out);
            }
            Open::Call(i) => {
                let c = &self.calls[i];
                let (item_id, index) = (c.item_id.clone(), c.index.unwrap_or(0));
                let done = json!({"item_id": item_id, "output_index": index, "name": c.name, "arguments": c.args});
                let item = call_item(&item_id, &self.tool_call(i), "completed");
                self.emit(out, "response.function_call_arguments.done", done);
                self.item_done(index, item, out);
            }
        }
    }

    /// Ends a content part: its `.done` event and `response.content_part.done`; returns it.
    fn close_part(
        &mut self,
        id: &str,
        index: u32,
        ci: u32,
        (kind, text): (PartKind, String),
        out: &mut Vec<u8>,
    ) -> Value {
        let part = match kind {
            PartKind::Text => {
                let done = json!({"item_id": id, "output_index": index, "content_index": ci, "text": text, "logprobs": []});
                self.emit(out, "response.output_text.done", done);
                text_part(&text)
            }
            PartKind::Refusal => {
                let done = json!({"item_id": id, "output_index": index, "content_index": ci, "refusal": text});
                self.emit(out, "response.refusal.done", done);
                json!({"type": "refusal", "refusal": text})
            }
        };
        let done = json!({"item_id": id, "output_index": index, "content_index": ci, "part": part});
        self.emit(out, "response.content_part.done", done);
        part
    }

    /// Closes an open reasoning item, with what must travel back with it.
    fn close_reasoning(
        &mut self,
        done: Option<(&Option<String>, &Option<String>)>,
        out: &mut Vec<u8>,
    ) {
        if !matches!(self.open, Open::Reasoning { .. }) {
            return;
        }
        let Open::Reasoning { id, index, text } = std::mem::replace(&mut self.open, Open::None)
        else {
            return;
        };
        if !text.is_empty() {
            let part = json!({"type": "summary_text", "text": text});
            let base =
                json!({"item_id": id, "output_index": index, "summary_index": 0, "text": text});
            self.emit(out, "response.reasoning_summary_text.done", base);
            let base =
                json!({"item_id": id, "output_index": index, "summary_index": 0, "part": part});
            self.emit(out, "response.reasoning_summary_part.done", base);
        }
        let (encrypted, backend_id) = done
            .map(|(e, i)| (e.clone(), i.clone()))
            .unwrap_or_default();
        let r = Reasoning {
            text,
            signature: None,
            encrypted,
            id: backend_id.clone(),
        };
        // The backend's own id (known only now) is the one it needs back.
        self.item_done(
            index,
            reasoning_item(backend_id.as_deref().unwrap_or(&id), &r),
            out,
        );
    }

    /// Makes a message with a `kind` part the open item; returns (item id, output index,
    /// content index).
    fn ensure_part(&mut self, kind: PartKind, out: &mut Vec<u8>) -> (String, u32, u32) {
        if !matches!(self.open, Open::Message { .. }) {
            let id = new_id("msg_");
            let index = self.add_item(message_item(&id, Vec::new(), "in_progress"), out);
            self.open = Open::Message {
                id,
                index,
                done: Vec::new(),
                part: None,
            };
        }
        let Open::Message {
            id,
            index,
            mut done,
            part,
        } = std::mem::replace(&mut self.open, Open::None)
        else {
            unreachable!("a message was opened above")
        };
        let part = match part {
            Some(p) if p.0 == kind => Some(p),
            other => {
                if let Some(p) = other {
                    done.push(self.close_part(&id, index, done.len() as u32, p, out));
                }
                let empty = match kind {
                    PartKind::Text => text_part(""),
                    PartKind::Refusal => json!({"type": "refusal", "refusal": ""}),
                };
                let added = json!({"item_id": id, "output_index": index, "content_index": done.len(), "part": empty});
                self.emit(out, "response.content_part.added", added);
                Some((kind, String::new()))
            }
        };
        let ci = done.len() as u32;
        let result = (id.clone(), index, ci);
        self.open = Open::Message {
            id,
            index,
            done,
            part,
        };
        result
    }

    fn text(&mut self, kind: PartKind, t: &str, out: &mut Vec<u8>) {
        let (id, index, ci) = self.ensure_part(kind, out);
        let name = match kind {
            PartKind::Text => "response.output_text.delta",
            PartKind::Refusal => "response.refusal.delta",
        };
        let extra = format!("\"content_index\":{ci},\"logprobs\":[],");
        self.delta(out, name, &id, index, &extra, t);
        if let Open::Message {
            part: Some((_, text)),
            ..
        } = &mut self.open
        {
            text.push_str(t);
        }
    }

    /// The position of call `key` in `self.calls`, adding it when new.
    fn call(&mut self, key: u32) -> usize {
        if let Some(i) = self.calls.iter().position(|c| c.key == key) {
            return i;
        }
        self.calls.push(Call {
            key,
            index: None,
            item_id: new_id("fc_"),
            call_id: String::new(),
            name: String::new(),
            args: String::new(),
        });
        self.calls.len() - 1
    }

    fn tool_call(&self, i: usize) -> ToolCall {
        let c = &self.calls[i];
        ToolCall {
            id: c.call_id.clone(),
            name: c.name.clone(),
            arguments: Value::String(c.args.clone()),
            provider_meta: None,
        }
    }

    /// Adds the item of call `i` and makes it the open one.
    fn open_call(&mut self, i: usize, out: &mut Vec<u8>) {
        if self.calls[i].call_id.is_empty() {
            self.calls[i].call_id = new_id("call_");
        }
        let item = call_item(&self.calls[i].item_id, &self.tool_call(i), "in_progress");
        let index = self.add_item(item, out);
        self.calls[i].index = Some(index);
        self.open = Open::Call(i);
    }

    fn call_delta(&mut self, i: usize, args: &str, out: &mut Vec<u8>) {
        if self.calls[i].index.is_none() {
            self.open_call(i, out);
        }
        let (id, index) = (
            self.calls[i].item_id.clone(),
            self.calls[i].index.unwrap_or(0),
        );
        self.delta(
            out,
            "response.function_call_arguments.delta",
            &id,
            index,
            "",
            args,
        );
        self.calls[i].args.push_str(args);
        // A fragment of a call already closed (a backend interleaving parallel calls) is
        // still delivered, and the finished item is kept whole for `response.completed`.
        if let Some((_, item)) = self.output.iter_mut().find(|(n, _)| *n == index) {
            item["arguments"] = self.calls[i].args.as_str().into();
        }
    }

    fn end(&mut self, kind: &str, error: Option<(String, String)>, out: &mut Vec<u8>) {
        self.done = true;
        self.output.sort_by_key(|(i, _)| *i);
        let output = self.output.iter().map(|(_, v)| v.clone()).collect();
        let outcome = Outcome {
            finish: self
                .finish
                .clone()
                .or_else(|| Some(FinishReason::kind(exllm::FinishKind::Stop))),
            usage: self.usage.clone(),
            error,
        };
        let kind = match (kind, outcome.status().0) {
            ("", "incomplete") => "response.incomplete",
            ("", "failed") => "response.failed",
            ("", _) => "response.completed",
            (k, _) => k,
        };
        let r = response_object(&self.head, output, &outcome);
        self.emit(out, kind, json!({"response": r}));
    }
}

impl StreamEncoder for ResponsesStream {
    fn event(&mut self, event: &StreamEvent, out: &mut Vec<u8>) {
        if self.done {
            return;
        }
        match event {
            StreamEvent::Start { id, .. } => {
                if let (false, Some(id)) = (self.started, id) {
                    self.head.id = id.clone();
                }
            }
            StreamEvent::TextDelta(t) if !t.is_empty() => self.text(PartKind::Text, t, out),
            StreamEvent::RefusalDelta(t) if !t.is_empty() => self.text(PartKind::Refusal, t, out),
            StreamEvent::ReasoningDelta(t) if !t.is_empty() => {
                if !matches!(self.open, Open::Reasoning { .. }) {
                    let id = new_id("rs_");
                    let index =
                        self.add_item(json!({"id": id, "type": "reasoning", "summary": []}), out);
                    self.open = Open::Reasoning {
                        id,
                        index,
                        text: String::new(),
                    };
                }
                let Open::Reasoning { id, index, text } = &mut self.open else {
                    return;
                };
                let (id, index, first) = (id.clone(), *index, text.is_empty());
                text.push_str(t);
                if first {
                    let part = json!({"type": "summary_text", "text": ""});
                    let added = json!({"item_id": id, "output_index": index, "summary_index": 0, "part": part});
                    self.emit(out, "response.reasoning_summary_part.added", added);
                }
                self.delta(
                    out,
                    "response.reasoning_summary_text.delta",
                    &id,
                    index,
                    "\"summary_index\":0,",
                    t,
                );
            }
            StreamEvent::ReasoningDone { encrypted, id, .. } => {
                if !matches!(self.open, Open::Reasoning { .. }) {
                    if encrypted.is_none() && id.is_none() {
                        return;
                    }
                    let rid = new_id("rs_");
                    let index =
                        self.add_item(json!({"id": rid, "type": "reasoning", "summary": []}), out);
                    self.open = Open::Reasoning {
                        id: rid,
                        index,
                        text: String::new(),
                    };
                }
                self.close_reasoning(Some((encrypted, id)), out);
            }
            StreamEvent::ToolCallStart { index, id, name } => {
                let i = self.call(*index);
                let c = &mut self.calls[i];
                if c.call_id.is_empty() {
                    c.call_id = id.clone();
                }
                if c.name.is_empty() {
                    c.name = name.clone();
                }
                if c.index.is_none() && !c.name.is_empty() {
                    self.open_call(i, out);
                }
            }
            StreamEvent::ToolCallDelta { index, arguments } if !arguments.is_empty() => {
                let i = self.call(*index);
                self.call_delta(i, arguments, out);
            }
            StreamEvent::ToolCallEnd { index } => {
                let i = self.call(*index);
                if self.calls[i].index.is_none() {
                    self.open_call(i, out);
                }
                if matches!(self.open, Open::Call(j) if j == i) {
                    self.close(out);
                }
            }
            StreamEvent::ToolCall(call) => {
                // A whole call: a key no streamed call uses.
                let i = self.call(u32::MAX - self.calls.len() as u32);
                self.calls[i].call_id = call.id.clone();
                self.calls[i].name = call.name.clone();
                self.open_call(i, out);
                self.call_delta(i, &call.arguments_text(), out);
                self.close(out);
            }
            StreamEvent::ProviderItem(item) if item.api == API_NAME => {
                let index = self.add_item(item.raw.clone(), out);
                self.item_done(index, item.raw.clone(), out);
            }
            StreamEvent::Usage(u) => self
                .usage
                .get_or_insert_with(Usage::default)
                .merge(u.clone()),
            StreamEvent::Finish(f) => self.finish = Some(f.clone()),
            StreamEvent::Error(e) => self.error = Some(e.clone()),
            _ => {}
        }
    }

    fn finish(&mut self, out: &mut Vec<u8>) {
        if self.done {
            return;
        }
        if let Some(e) = self.error.take() {
            let error = ApiError {
                status: 500,
                kind: "server_error",
                message: e.message,
                retry_after: None,
            };
            return self.error(&error, out);
        }
        self.start(out);
        self.close(out);
        self.end("", None, out);
    }

    fn error(&mut self, error: &ApiError, out: &mut Vec<u8>) {
        if self.done {
            return;
        }
        if self.head.id.is_empty() {
            self.head.id = new_id("resp_");
        }
        let code = error.kind.to_owned();
        let data = json!({
            "code": code,
            "message": error.message,
            "param": null,
            "error": {"type": error.kind, "code": code, "message": error.message},
        });
        self.emit(out, "error", data);
        self.end("response.failed", Some((code, error.message.clone())), out);
    }
}
