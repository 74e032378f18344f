//! A Replicate prediction as a response, and the events of its stream. The prediction's
//! `output` is the text (a list of pieces is joined), its `status` the finish reason
//! (`succeeded` → stop, `failed` → error, `canceled` / `aborted` → other; a running one has
//! none), `metrics.input_token_count` / `output_token_count` the usage, `error` the
//! provider's error. The stream sends `output` events of plain text, then `done` (whose
//! `reason` says `canceled` or `error`), or an `error` event.

use crate::error::Result;
use crate::provider::common;
use crate::provider::decode::{ended, Count};
use crate::types::{ChatResponse, FinishKind, FinishReason, StreamEvent, Usage};
use crate::wire::errors::response_error;
use crate::wire::Frame;
use crate::wire::StreamDecoder;
use crate::Collector;
use serde::Deserialize;
use serde_json::{json, Value};

/// The fields of a prediction exllm reads.
#[derive(Deserialize, Default)]
pub(crate) struct Prediction {
    #[serde(default)]
    pub(crate) id: Option<String>,
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    output: Option<Value>,
    #[serde(default)]
    error: Option<Value>,
    #[serde(default)]
    metrics: Option<Value>,
    #[serde(default)]
    urls: Option<Urls>,
}

#[derive(Deserialize, Default)]
struct Urls {
    #[serde(default)]
    stream: Option<String>,
}

#[derive(Deserialize)]
struct Metrics {
    #[serde(default)]
    input_token_count: Count,
    #[serde(default)]
    output_token_count: Count,
}

/// Parses a prediction body.
pub(crate) fn parse(body: &[u8]) -> Result<Prediction> {
    common::parse(body, "Replicate prediction")
}

/// Decodes a whole prediction.
pub(crate) fn decode(body: &[u8]) -> Result<ChatResponse> {
    Ok(parse(body)?.into_response())
}

impl Prediction {
    /// Whether the prediction has ended (or says nothing of its state: then there is nothing
    /// to wait for either).
    pub(crate) fn is_terminal(&self) -> bool {
        match self.status.as_deref() {
            None => true,
            Some(s) => finish_kind(s).is_some(),
        }
    }

    /// Whether the output holds any text yet.
    pub(crate) fn has_output(&self) -> bool {
        !output_text(self.output.as_ref()).is_empty()
    }

    /// The URL of the prediction's event stream, when it has one.
    pub(crate) fn stream_url(&self) -> Option<&str> {
        self.urls
            .as_ref()
            .and_then(|u| u.stream.as_deref())
            .filter(|u| !u.is_empty())
    }

    /// The prediction's id and model as a stream's first event.
    pub(crate) fn start_events(&self) -> Vec<StreamEvent> {
        vec![StreamEvent::Start {
            id: self.id.clone(),
            model: self.model.clone(),
        }]
    }

    /// The prediction as a response.
    pub(crate) fn into_response(self) -> ChatResponse {
        let mut events = self.start_events();
        let text = output_text(self.output.as_ref());
        if !text.is_empty() {
            events.push(StreamEvent::TextDelta(text));
        }
        if let Some(status) = &self.status {
            events.push(StreamEvent::Metadata {
                key: "status".into(),
                value: status.as_str().into(),
            });
        }
        if let Some(m) = self.metrics.filter(Value::is_object) {
            if let Ok(counts) = serde_json::from_value::<Metrics>(m.clone()) {
                let (input, output) = (counts.input_token_count.0, counts.output_token_count.0);
                if input.is_some() || output.is_some() {
                    events.push(StreamEvent::usage(Usage {
                        input_tokens: input,
                        output_tokens: output,
                        raw: Some(m.clone().into()),
                        ..Default::default()
                    }));
                }
            }
            if let Some(t) = m.get("predict_time").filter(|t| t.is_number()) {
                events.push(StreamEvent::Metadata {
                    key: "predict_time".into(),
                    value: t.clone(),
                });
            }
        }
        let status = self.status.as_deref().unwrap_or("");
        let kind = finish_kind(status);
        match self.error.filter(|e| !e.is_null()) {
            Some(e) => events.push(StreamEvent::Error(response_error(&json!({ "error": e })))),
            None if kind == Some(FinishKind::Error) => {
                events.push(StreamEvent::Error(response_error(&Value::Null)))
            }
            None => {}
        }
        if let Some(kind) = kind {
            events.push(StreamEvent::Finish(FinishReason::new(kind, status)));
        }
        Collector::collect(events)
    }
}

/// The finish of a terminal status; `None` while the prediction runs.
fn finish_kind(status: &str) -> Option<FinishKind> {
    match status {
        "succeeded" => Some(FinishKind::Stop),
        "failed" => Some(FinishKind::Error),
        "canceled" | "cancelled" | "aborted" => Some(FinishKind::Other),
        _ => None,
    }
}

/// The text of an `output`: a string, or a list of pieces joined (pieces that are not
/// strings as their JSON text); other values as their JSON text.
fn output_text(output: Option<&Value>) -> String {
    match output {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| match v {
                Value::String(s) => s.clone(),
                Value::Null => String::new(),
                other => other.to_string(),
            })
            .collect(),
        Some(other) => other.to_string(),
    }
}

/// Decodes a prediction's event stream.
#[derive(Debug, Default)]
pub(crate) struct ReplicateStreamDecoder {
    done: bool,
}

impl StreamDecoder for ReplicateStreamDecoder {
    fn decode(&mut self, frame: Frame<'_>, out: &mut Vec<StreamEvent>) -> Result<()> {
        if self.done {
            return Ok(());
        }
        match frame.event {
            "output" if !frame.data.is_empty() => out.push(StreamEvent::TextDelta(
                String::from_utf8_lossy(frame.data).into_owned(),
            )),
            "error" => {
                self.done = true;
                let v = serde_json::from_slice::<Value>(frame.data).unwrap_or_else(|_| {
                    Value::String(String::from_utf8_lossy(frame.data).into_owned())
                });
                out.push(StreamEvent::Error(response_error(&v)));
            }
            "done" => {
                self.done = true;
                let v = serde_json::from_slice::<Value>(frame.data).unwrap_or(Value::Null);
                let reason = v.get("reason").and_then(Value::as_str).unwrap_or("");
                let finish = match reason {
                    "" => FinishReason::new(FinishKind::Stop, "succeeded"),
                    "error" => FinishReason::new(FinishKind::Error, reason),
                    "canceled" | "cancelled" | "aborted" => {
                        FinishReason::new(FinishKind::Other, reason)
                    }
                    other => FinishReason::new(FinishKind::Other, other),
                };
                out.push(StreamEvent::Finish(finish));
            }
            // `logs` and events added later carry no part of the answer.
            _ => {}
        }
        Ok(())
    }

    fn finish(&mut self, _out: &mut Vec<StreamEvent>) -> Result<()> {
        ended(self.done, "the stream ended before its `done` event")
    }
}
