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
use crate::wire::anthropic::calls::{Action, Calls};
use crate::wire::{ApiError, StreamEncoder};
use exllm::{FinishReason, ResponseError, StreamEvent, ToolCall, Usage};
use serde_json::{json, Value};
use std::io::Write;

mod content;

/// What a delta event carries beside its item and output index.
#[derive(Clone, Copy)]
enum Extra {
    None,
    /// A message's content part.
    Content(u32),
    /// A reasoning item's (only) summary part.
    Summary,
}

/// A delta event, written without building a JSON value (the hot path). Item ids are ours
/// (made by [`new_id`]), so they need no escaping.
fn write_delta(
    out: &mut Vec<u8>,
    seq: &mut u64,
    kind: &str,
    item_id: &str,
    index: u32,
    extra: Extra,
    delta: &str,
) {
    let n = *seq;
    *seq += 1;
    let _ = write!(
        out,
        "event: {kind}\ndata: {{\"type\":\"{kind}\",\"item_id\":\"{item_id}\",\"output_index\":{index},"
    );
    let _ = match extra {
        Extra::None => Ok(()),
        Extra::Content(ci) => write!(out, "\"content_index\":{ci},\"logprobs\":[],"),
        Extra::Summary => write!(out, "\"summary_index\":0,"),
    };
    let _ = write!(out, "\"sequence_number\":{n},\"delta\":");
    let _ = serde_json::to_writer(&mut *out, delta);
    out.extend_from_slice(b"}\n\n");
}

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
    /// A function call: its item id, output index, id and name, and arguments so far.
    Call {
        item_id: String,
        index: u32,
        call: ToolCall,
        args: String,
    },
}

/// The Responses stream encoder.
pub(super) struct ResponsesStream {
    head: Head,
    seq: u64,
    started: bool,
    done: bool,
    open: Open,
    next_index: u32,
    calls: Calls,
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
            calls: Calls::default(),
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
            Open::Call {
                item_id,
                index,
                mut call,
                args,
            } => {
                let done = json!({"item_id": item_id, "output_index": index, "name": call.name, "arguments": args});
                self.emit(out, "response.function_call_arguments.done", done);
                call.arguments = Value::String(args);
                self.item_done(index, call_item(&item_id, &call, "completed"), out);
            }
        }
    }

    /// Emits what the call queue decided.
    fn apply(&mut self, action: Action, calls: &mut Calls, out: &mut Vec<u8>) {
        match action {
            Action::Open(i) => {
                let c = calls.get_mut(i);
                if c.id.is_empty() {
                    c.id = new_id("call_");
                }
                let (call_id, name, args) = (c.id.clone(), c.name.clone(), c.args.clone());
                self.open_call(call_id, name, out);
                if !args.is_empty() {
                    self.call_delta(&args, out);
                }
            }
            Action::Delta(i, from) => {
                self.call_delta(calls.get(i).args.get(from..).unwrap_or(""), out);
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

    /// Adds a function call item and makes it the open one.
    fn open_call(&mut self, call_id: String, name: String, out: &mut Vec<u8>) {
        let item_id = new_id("fc_");
        let call = ToolCall {
            id: call_id,
            name,
            ..Default::default()
        };
        let index = self.add_item(call_item(&item_id, &call, "in_progress"), out);
        self.open = Open::Call {
            item_id,
            index,
            call,
            args: String::new(),
        };
    }

    /// A fragment of the open call's arguments.
    fn call_delta(&mut self, text: &str, out: &mut Vec<u8>) {
        if let Open::Call {
            item_id,
            index,
            args,
            ..
        } = &mut self.open
        {
            args.push_str(text);
            let kind = "response.function_call_arguments.delta";
            write_delta(out, &mut self.seq, kind, item_id, *index, Extra::None, text);
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
            StreamEvent::Start { id: Some(id), .. } if !self.started => self.head.id = id.clone(),
            StreamEvent::TextDelta(t) if !t.is_empty() => {
                self.flush_calls(out);
                self.text(PartKind::Text, t, out);
            }
            StreamEvent::RefusalDelta(t) if !t.is_empty() => {
                self.flush_calls(out);
                self.text(PartKind::Refusal, t, out);
            }
            StreamEvent::ReasoningDelta(t) if !t.is_empty() => {
                self.flush_calls(out);
                self.reasoning_delta(t, out);
            }
            StreamEvent::ReasoningDone { encrypted, id, .. } => {
                self.flush_calls(out);
                self.reasoning_done(encrypted, id, out);
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
                let id = if call.id.is_empty() {
                    new_id("call_")
                } else {
                    call.id.clone()
                };
                self.open_call(id, call.name.clone(), out);
                self.call_delta(&call.arguments_text(), out);
                self.close(out);
            }
            StreamEvent::ProviderItem(item) if item.api == API_NAME => {
                self.flush_calls(out);
                let index = self.add_item(item.raw.clone(), out);
                self.item_done(index, item.raw.clone(), out);
            }
            StreamEvent::Usage(u) => self
                .usage
                .get_or_insert_with(Usage::default)
                .merge((**u).clone()),
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
            return self.error(&ApiError::in_stream("server_error", e.message), out);
        }
        self.start(out);
        self.flush_calls(out);
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
