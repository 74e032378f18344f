//! The OpenAI Responses format (`/v1/responses`) as a gateway speaks it to its callers:
//! requests (input items, instructions, function tools, text format, reasoning) decoded into
//! exllm's canonical [`exllm::ChatRequest`], answers encoded as response objects and as the
//! Responses event stream (`response.created` ... `response.completed`, numbered by
//! `sequence_number`), errors as OpenAI error objects. It is the library's client-side
//! [`exllm::provider::OpenAiResponsesCodec`] run the other way round, and is tested against
//! it. The gateway keeps no conversation state, so `previous_response_id` is refused.

use super::{ApiError, Format, Inbound, StreamEncoder};
use crate::wire::anthropic::new_id;
use exllm::{ChatResponse, FinishKind, FinishReason, Part, Reasoning, ToolCall, Usage};
use serde_json::{json, Value};

mod request;
mod stream;

/// The `api` of the provider items that are Responses items (the library's name).
const API_NAME: &str = "openai-responses";

/// The OpenAI Responses caller format.
#[derive(Debug, Clone, Copy, Default)]
pub struct OpenAiResponses;

impl Format for OpenAiResponses {
    fn pass_api() -> Option<exllm::Api> {
        Some(exllm::Api::OpenAiResponses)
    }

    fn decode_request(body: &[u8]) -> Result<Inbound, ApiError> {
        request::decode(body)
    }

    fn encode_response(response: &ChatResponse, model: &str) -> Vec<u8> {
        let output = output_items(&response.content);
        let id = response.id.clone().unwrap_or_else(|| new_id("resp_"));
        let obj = response_object(&Head::new(id, model), output, &Outcome::of(response));
        serde_json::to_vec(&obj).unwrap_or_default()
    }

    fn stream_encoder(inbound: &Inbound) -> Box<dyn StreamEncoder> {
        Box::new(stream::ResponsesStream::new(&inbound.request.model))
    }

    fn encode_error(error: &ApiError) -> Vec<u8> {
        let obj = json!({"error": {
            "message": error.message,
            "type": error.kind,
            "param": null,
            "code": code(error),
        }});
        serde_json::to_vec(&obj).unwrap_or_default()
    }
}

/// Decodes a `/v1/responses/input_tokens` body (the shape of a Responses request) for a count
/// with [`crate::wire::anthropic::count_tokens`].
pub fn decode_input_tokens(body: &[u8]) -> Result<exllm::ChatRequest, ApiError> {
    request::decode(body).map(|inbound| inbound.request)
}

/// The `/v1/responses/input_tokens` answer.
pub fn encode_input_tokens(input_tokens: u64) -> Vec<u8> {
    format!("{{\"object\":\"response.input_tokens\",\"input_tokens\":{input_tokens}}}").into_bytes()
}

/// The `code` OpenAI puts beside an error's type.
fn code(error: &ApiError) -> Value {
    match error.status {
        401 => "invalid_api_key".into(),
        404 => "model_not_found".into(),
        429 => "rate_limit_exceeded".into(),
        500..=599 => "server_error".into(),
        _ => Value::Null,
    }
}

/// What every response object of one answer repeats: id, model, creation time.
struct Head {
    id: String,
    model: String,
    created_at: u64,
}

impl Head {
    fn new(id: String, model: &str) -> Self {
        let created_at = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        Head {
            id,
            model: model.to_owned(),
            created_at,
        }
    }
}

/// How an answer ended, in Responses terms.
#[derive(Default)]
struct Outcome {
    /// `None` while in progress.
    finish: Option<FinishReason>,
    usage: Option<Usage>,
    /// An error: the status is `failed`.
    error: Option<(String, String)>,
}

impl Outcome {
    fn of(r: &ChatResponse) -> Self {
        Outcome {
            finish: r
                .finish
                .clone()
                .or_else(|| Some(FinishReason::kind(FinishKind::Stop))),
            usage: r.usage.clone(),
            error: r.error.as_ref().map(|e| {
                let code = e.code.clone().unwrap_or_else(|| "server_error".into());
                (code, e.message.clone())
            }),
        }
    }

    /// `status` and `incomplete_details`.
    fn status(&self) -> (&'static str, Value) {
        if self.error.is_some() {
            return ("failed", Value::Null);
        }
        match self.finish.as_ref().map(|f| f.kind) {
            None => ("in_progress", Value::Null),
            Some(FinishKind::Length) => ("incomplete", json!({"reason": "max_output_tokens"})),
            Some(FinishKind::ContentFilter) => ("incomplete", json!({"reason": "content_filter"})),
            Some(FinishKind::Error) => ("failed", Value::Null),
            Some(_) => ("completed", Value::Null),
        }
    }
}

/// A response object.
fn response_object(head: &Head, output: Vec<Value>, outcome: &Outcome) -> Value {
    let (status, incomplete) = outcome.status();
    let error = match (&outcome.error, status) {
        (Some((code, message)), _) => json!({"code": code, "message": message}),
        (None, "failed") => json!({"code": "server_error", "message": "the model failed"}),
        _ => Value::Null,
    };
    json!({
        "id": head.id,
        "object": "response",
        "created_at": head.created_at,
        "status": status,
        "error": error,
        "incomplete_details": incomplete,
        "instructions": null,
        "model": head.model,
        "output": output,
        "parallel_tool_calls": true,
        "tool_choice": "auto",
        "tools": [],
        "usage": outcome.usage.as_ref().map(usage_object),
    })
}

/// A usage object; counts the backend did not report are 0, as the format has no way to
/// say unknown.
fn usage_object(u: &Usage) -> Value {
    let input = u.input_tokens.unwrap_or(0);
    let output = u.output_tokens.unwrap_or(0);
    json!({
        "input_tokens": input,
        "input_tokens_details": {"cached_tokens": u.cache_read_tokens.unwrap_or(0)},
        "output_tokens": output,
        "output_tokens_details": {"reasoning_tokens": u.reasoning_tokens.unwrap_or(0)},
        "total_tokens": input.saturating_add(output),
    })
}

/// The output items of an answer's parts: consecutive text and refusal parts share one
/// message item; reasoning and each tool call are items of their own.
fn output_items(parts: &[Part]) -> Vec<Value> {
    let mut out = Vec::new();
    let mut content: Vec<Value> = Vec::new();
    let flush = |content: &mut Vec<Value>, out: &mut Vec<Value>| {
        if !content.is_empty() {
            out.push(message_item(
                &new_id("msg_"),
                std::mem::take(content),
                "completed",
            ));
        }
    };
    for p in parts {
        match p {
            Part::Text { text } => content.push(text_part(text)),
            Part::Refusal { text } => content.push(json!({"type": "refusal", "refusal": text})),
            Part::Reasoning(r) => {
                flush(&mut content, &mut out);
                out.push(reasoning_item(&reasoning_id(r), r));
            }
            Part::ToolCall(c) => {
                flush(&mut content, &mut out);
                out.push(call_item(&new_id("fc_"), c, "completed"));
            }
            Part::ProviderItem(item) if item.api == API_NAME => {
                flush(&mut content, &mut out);
                out.push(item.raw.clone());
            }
            _ => {}
        }
    }
    flush(&mut content, &mut out);
    out
}

fn text_part(text: &str) -> Value {
    json!({"type": "output_text", "text": text, "annotations": [], "logprobs": []})
}

fn message_item(id: &str, content: Vec<Value>, status: &str) -> Value {
    json!({"id": id, "type": "message", "status": status, "role": "assistant", "content": content})
}

/// A reasoning item's id: the backend's own (an OpenAI backend needs it back), else a new one.
fn reasoning_id(r: &Reasoning) -> String {
    r.id.clone().unwrap_or_else(|| new_id("rs_"))
}

fn reasoning_item(id: &str, r: &Reasoning) -> Value {
    let summary: Vec<Value> = if r.text.is_empty() {
        Vec::new()
    } else {
        vec![json!({"type": "summary_text", "text": r.text})]
    };
    let mut v = json!({"id": id, "type": "reasoning", "summary": summary});
    // Only an item the backend made carries its own opaque content (an Anthropic signature
    // is not a Responses `encrypted_content`).
    if let (Some(e), Some(_)) = (&r.encrypted, &r.id) {
        v["encrypted_content"] = e.as_str().into();
    }
    v
}

fn call_item(id: &str, c: &ToolCall, status: &str) -> Value {
    let call_id = if c.id.is_empty() {
        new_id("call_")
    } else {
        c.id.clone()
    };
    json!({
        "id": id,
        "type": "function_call",
        "status": status,
        "call_id": call_id,
        "name": c.name,
        "arguments": c.arguments_text(),
    })
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_stream;
