//! The content of the open message and reasoning items: text and refusal parts of a message,
//! the summary of a reasoning item, and their `.done` events.

use super::{
    message_item, new_id, reasoning_item, text_part, write_delta, Extra, Open, PartKind,
    ResponsesStream,
};
use exllm::Reasoning;
use serde_json::{json, Value};

impl ResponsesStream {
    /// Ends a content part: its `.done` event and `response.content_part.done`; returns it.
    pub(super) fn close_part(
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
    pub(super) fn close_reasoning(
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
        // The item keeps the id it was added with (clients check that it does not change);
        // a backend's own id, known only now, is used when the item opens at its end.
        self.item_done(index, reasoning_item(&id, &r), out);
    }

    /// Makes a message with a `kind` part the open item.
    fn ensure_part(&mut self, kind: PartKind, out: &mut Vec<u8>) {
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
            return;
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
        self.open = Open::Message {
            id,
            index,
            done,
            part,
        };
    }

    pub(super) fn text(&mut self, kind: PartKind, t: &str, out: &mut Vec<u8>) {
        if !matches!(&self.open, Open::Message { part: Some((k, _)), .. } if *k == kind) {
            self.ensure_part(kind, out);
        }
        let name = match kind {
            PartKind::Text => "response.output_text.delta",
            PartKind::Refusal => "response.refusal.delta",
        };
        if let Open::Message {
            id,
            index,
            done,
            part: Some((_, text)),
        } = &mut self.open
        {
            let extra = Extra::Content(done.len() as u32);
            write_delta(out, &mut self.seq, name, id, *index, extra, t);
            text.push_str(t);
        }
    }

    /// A fragment of reasoning: into the open reasoning item, or a new one.
    pub(super) fn reasoning_delta(&mut self, t: &str, out: &mut Vec<u8>) {
        self.ensure_reasoning(None, out);
        let Open::Reasoning { id, index, text } = &self.open else {
            return;
        };
        if text.is_empty() {
            let part = json!({"type": "summary_text", "text": ""});
            let added =
                json!({"item_id": id, "output_index": index, "summary_index": 0, "part": part});
            self.emit(out, "response.reasoning_summary_part.added", added);
        }
        if let Open::Reasoning { id, index, text } = &mut self.open {
            let kind = "response.reasoning_summary_text.delta";
            write_delta(out, &mut self.seq, kind, id, *index, Extra::Summary, t);
            text.push_str(t);
        }
    }

    /// The reasoning is complete: its item closes with the backend's id and opaque content
    /// (an item of its own when it had no text).
    pub(super) fn reasoning_done(
        &mut self,
        encrypted: &Option<String>,
        id: &Option<String>,
        out: &mut Vec<u8>,
    ) {
        if !matches!(self.open, Open::Reasoning { .. }) && encrypted.is_none() && id.is_none() {
            return;
        }
        self.ensure_reasoning(id.as_deref(), out);
        self.close_reasoning(Some((encrypted, id)), out);
    }

    /// Makes a reasoning item the open one, with `id` (else a new one) when it is added now.
    fn ensure_reasoning(&mut self, id: Option<&str>, out: &mut Vec<u8>) {
        if !matches!(self.open, Open::Reasoning { .. }) {
            let id = id.map_or_else(|| new_id("rs_"), str::to_owned);
            let index = self.add_item(json!({"id": id, "type": "reasoning", "summary": []}), out);
            self.open = Open::Reasoning {
                id,
                index,
                text: String::new(),
            };
        }
    }
}
