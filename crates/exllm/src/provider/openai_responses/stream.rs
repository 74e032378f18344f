//! Stream decoding for the Responses API: typed events per output item and content part,
//! with a part's whole text kept when it came without deltas.

use super::*;
use crate::provider::decode::{ended, event, index_field, str_field};

#[derive(Deserialize)]
struct WireEvent {
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    output_index: Option<u32>,
    #[serde(default)]
    content_index: Option<u32>,
    #[serde(default)]
    delta: Option<String>,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    item: Option<Value>,
    #[serde(default)]
    response: Option<WireResponse>,
    #[serde(default)]
    annotation: Option<Value>,
    #[serde(default)]
    logprobs: Option<Value>,
    #[serde(default)]
    error: Option<Value>,
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    message: Option<String>,
}

impl WireEvent {
    /// The event with each field read only if it has the expected shape; `None` for an event
    /// that ends the answer whose `response` is unreadable (its finish and usage would be
    /// lost without a word).
    fn lenient(v: &Value) -> Option<Self> {
        let kind = str_field(v, "type").unwrap_or_default();
        let response: Option<WireResponse> = match v.get("response") {
            Some(r) => match serde_json::from_value(r.clone()) {
                Ok(r) => Some(r),
                Err(_) if ENDS.contains(&kind.as_str()) => return None,
                Err(_) => None,
            },
            None => None,
        };
        Some(WireEvent {
            kind,
            output_index: index_field(v, "output_index"),
            content_index: index_field(v, "content_index"),
            delta: str_field(v, "delta"),
            text: str_field(v, "text"),
            item: v.get("item").cloned(),
            response,
            annotation: v.get("annotation").cloned(),
            logprobs: v.get("logprobs").cloned(),
            error: v.get("error").cloned(),
            code: str_field(v, "code"),
            message: str_field(v, "message"),
        })
    }
}

/// The events that end an answer.
const ENDS: &[&str] = &[
    "response.completed",
    "response.incomplete",
    "response.failed",
    "response.cancelled",
];

#[derive(Default)]
pub(super) struct ResponsesStreamDecoder {
    started: bool,
    finished: bool,
    /// (output_index, content_index) of text parts that had deltas.
    text_with_deltas: Vec<(u32, u32)>,
    /// Output indexes of reasoning items and function calls that had deltas.
    reasoning_with_deltas: Vec<u32>,
    calls_with_deltas: Vec<u32>,
    annotations: Vec<Value>,
    logprobs: Vec<Value>,
}

impl StreamDecoder for ResponsesStreamDecoder {
    fn decode(&mut self, frame: Frame<'_>, out: &mut Vec<StreamEvent>) -> Result<()> {
        let data = frame.data.trim_ascii();
        if data.is_empty() || data == b"[DONE]" {
            return Ok(());
        }
        let ev: WireEvent = event(data, "Responses stream event", WireEvent::lenient)?;
        let oi = ev.output_index.unwrap_or(0);
        let key = (oi, ev.content_index.unwrap_or(0));
        match ev.kind.as_str() {
            "response.created" | "response.in_progress" | "response.queued" => {
                if let (false, Some(r)) = (self.started, &ev.response) {
                    self.started = true;
                    out.push(StreamEvent::Start {
                        id: r.id.clone(),
                        model: r.model.clone(),
                    });
                }
            }
            "response.output_text.delta" => {
                if !self.text_with_deltas.contains(&key) {
                    self.text_with_deltas.push(key);
                }
                if let Some(Value::Array(l)) = ev.logprobs {
                    self.logprobs.extend(l);
                }
                out.push(StreamEvent::TextDelta(ev.delta.unwrap_or_default()));
            }
            // A part that came whole, without deltas.
            "response.output_text.done" if !self.text_with_deltas.contains(&key) => {
                self.text_with_deltas.push(key);
                out.push(StreamEvent::TextDelta(ev.text.unwrap_or_default()));
            }
            "response.output_text.annotation.added" => {
                if let Some(a) = ev.annotation {
                    out.extend(citations::from_object(&a).map(StreamEvent::Citation));
                    self.annotations.push(a);
                }
            }
            "response.refusal.delta" => {
                out.push(StreamEvent::RefusalDelta(ev.delta.unwrap_or_default()))
            }
            "response.reasoning_summary_text.delta" | "response.reasoning_text.delta" => {
                if !self.reasoning_with_deltas.contains(&oi) {
                    self.reasoning_with_deltas.push(oi);
                }
                out.push(StreamEvent::ReasoningDelta(ev.delta.unwrap_or_default()));
            }
            "response.output_item.added" => {
                if let Some(item) = ev.item.filter(|i| i["type"] == "function_call") {
                    out.push(StreamEvent::ToolCallStart {
                        index: oi,
                        id: str_at(&item, "call_id"),
                        name: str_at(&item, "name"),
                    });
                }
            }
            "response.function_call_arguments.delta" => {
                if !self.calls_with_deltas.contains(&oi) {
                    self.calls_with_deltas.push(oi);
                }
                out.push(StreamEvent::ToolCallDelta {
                    index: oi,
                    arguments: ev.delta.unwrap_or_default(),
                });
            }
            "response.output_item.done" => {
                let Some(item) = ev.item else { return Ok(()) };
                match item.get("type").and_then(Value::as_str).unwrap_or("") {
                    // Text of parts that had neither deltas nor a `.done` event.
                    "message" => {
                        let parts = item.get("content").and_then(Value::as_array);
                        for (ci, part) in parts.into_iter().flatten().enumerate() {
                            // Annotations that came without `annotation.added` events; the
                            // collector drops the urls it already has.
                            out.extend(citations::events(part.get("annotations")));
                            let key = (oi, ci as u32);
                            if part["type"] == "output_text"
                                && !self.text_with_deltas.contains(&key)
                            {
                                self.text_with_deltas.push(key);
                                out.push(StreamEvent::TextDelta(str_at(part, "text")));
                            }
                        }
                    }
                    "reasoning" => {
                        if !self.reasoning_with_deltas.contains(&oi) {
                            let text = reasoning_text(&item);
                            if !text.is_empty() {
                                out.push(StreamEvent::ReasoningDelta(text));
                            }
                        }
                        out.push(reasoning_done(&item));
                    }
                    "function_call" => {
                        out.push(StreamEvent::ToolCallStart {
                            index: oi,
                            id: str_at(&item, "call_id"),
                            name: str_at(&item, "name"),
                        });
                        if !self.calls_with_deltas.contains(&oi) {
                            out.push(StreamEvent::ToolCallDelta {
                                index: oi,
                                arguments: str_at(&item, "arguments"),
                            });
                        }
                        out.push(StreamEvent::ToolCallEnd { index: oi });
                    }
                    _ => out.push(provider_item(&item)),
                }
            }
            kind if ENDS.contains(&kind) => {
                self.finished = true;
                if let Some(r) = &ev.response {
                    self.flush(out);
                    finish_events(r, &mut |e| out.push(e));
                }
            }
            "error" => {
                self.finished = true;
                let e = ev
                    .error
                    .clone()
                    .unwrap_or_else(|| json!({"message": ev.message, "code": ev.code}));
                out.push(StreamEvent::Error(crate::wire::errors::response_error(&e)));
            }
            _ => {}
        }
        Ok(())
    }

    fn finish(&mut self, out: &mut Vec<StreamEvent>) -> Result<()> {
        self.flush(out);
        ended(self.finished, "the stream ended before response.completed")
    }
}

impl ResponsesStreamDecoder {
    fn flush(&mut self, out: &mut Vec<StreamEvent>) {
        if !self.annotations.is_empty() {
            out.push(StreamEvent::Metadata {
                key: "annotations".into(),
                value: Value::Array(std::mem::take(&mut self.annotations)),
            });
        }
        if !self.logprobs.is_empty() {
            out.push(StreamEvent::Metadata {
                key: "logprobs".into(),
                value: Value::Array(std::mem::take(&mut self.logprobs)),
            });
        }
    }
}
