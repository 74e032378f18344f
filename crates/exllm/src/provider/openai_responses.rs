//! OpenAI Responses (`/responses`), spoken by OpenAI and xAI. Output is a list of items:
//! `message` items carry text, `reasoning` items carry summaries and encrypted content (kept so
//! they can be sent back), `function_call` items are the caller's tool calls, and every other
//! item (web search, file search, code interpreter, MCP, shell, ...) is run by the provider and
//! kept verbatim as a [`ProviderItem`].

use super::citations;
use super::common::{self, data_url, put, str_at};
use super::encode::{dropped, openai_response_format, JsonBody};
use super::{Api, Codec, Encoded, Endpoint, StreamDecoder};
use crate::error::Result;
use crate::types::{
    ChatRequest, ChatResponse, EmbedRequest, EmbedResponse, FinishKind, FinishReason, JsonMap,
    MediaSource, Part, ProviderItem, Role, StreamEvent, ToolCall, ToolChoice, Usage, UsageDetails,
    Warning,
};
use crate::wire::Frame;
use crate::Collector;
use serde::Deserialize;
use serde_json::{json, Value};

/// The Responses codec.
#[derive(Debug, Clone, Copy, Default)]
pub struct OpenAiResponsesCodec;

const API: &str = "openai-responses";

impl Codec for OpenAiResponsesCodec {
    fn unsupported_settings(&self) -> &'static [&'static str] {
        &[
            "audio",
            "top_k",
            "stop",
            "seed",
            "n",
            "prediction",
            "frequency_penalty",
            "presence_penalty",
        ]
    }

    fn api(&self) -> Api {
        Api::OpenAiResponses
    }

    fn encode(
        &self,
        req: &ChatRequest,
        model: &str,
        ep: &Endpoint,
        stream: bool,
    ) -> Result<Encoded> {
        let mut body = JsonBody::with_model(model);
        let input = encode_input(req, &mut body.warnings);
        body.insert("input".into(), Value::Array(input));
        if !req.tools.is_empty() {
            let tools = req
                .tools
                .iter()
                .map(|t| {
                    let mut f = json!({"type": "function", "name": t.name, "parameters": t.parameters_or_empty()});
                    if let Some(d) = &t.description {
                        f["description"] = d.as_str().into();
                    }
                    if let Some(s) = t.strict {
                        f["strict"] = s.into();
                    }
                    f
                })
                .collect();
            body.insert("tools".into(), Value::Array(tools));
        }
        if let Some(c) = &req.tool_choice {
            body.insert(
                "tool_choice".into(),
                match c {
                    ToolChoice::Auto => "auto".into(),
                    ToolChoice::None => "none".into(),
                    ToolChoice::Required => "required".into(),
                    ToolChoice::Tool(name) => json!({"type": "function", "name": name}),
                },
            );
        }
        put(&mut body, "parallel_tool_calls", req.parallel_tool_calls);
        put(&mut body, "temperature", req.temperature);
        put(&mut body, "top_p", req.top_p);
        put(&mut body, "max_output_tokens", req.max_tokens);
        put(&mut body, "service_tier", req.service_tier.clone());
        put(&mut body, "user", req.user.clone());
        put(&mut body, "top_logprobs", req.top_logprobs);
        if req.logprobs == Some(true) {
            body.insert("include".into(), json!(["message.output_text.logprobs"]));
        }
        if let Some(f) = &req.response_format {
            let format = openai_response_format(f, false);
            body.insert("text".into(), json!({"format": format}));
        }
        if let Some(r) = &req.reasoning {
            let mut reasoning = JsonMap::new();
            put(&mut reasoning, "effort", r.effort.map(|e| e.as_str()));
            put(&mut reasoning, "summary", r.summary.clone());
            if r.budget_tokens.is_some() {
                body.warnings.push(Warning::unsupported(
                    "reasoning.budget_tokens",
                    "the Responses API",
                ));
            }
            if !reasoning.is_empty() {
                body.insert("reasoning".into(), Value::Object(reasoning));
            }
        }
        if stream {
            body.insert("stream".into(), true.into());
        }
        let accept = common::accept(stream);
        body.finish(req, ep, self.unsupported_settings(), "/responses", accept)
    }

    fn decode(&self, body: &[u8]) -> Result<ChatResponse> {
        let resp: WireResponse = common::parse(body, "Responses API response")?;
        let mut c = Collector::new();
        let mut annotations = Vec::new();
        let mut logprobs = Vec::new();
        c.push(StreamEvent::Start {
            id: resp.id.clone(),
            model: resp.model.clone(),
        });
        for item in resp.output.iter() {
            match item.get("type").and_then(Value::as_str).unwrap_or("") {
                "message" => {
                    for part in item
                        .get("content")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                    {
                        match part.get("type").and_then(Value::as_str) {
                            Some("output_text") => {
                                c.push(StreamEvent::TextDelta(str_at(part, "text")));
                                citations::events(part.get("annotations")).for_each(|e| c.push(e));
                                if let Some(Value::Array(a)) = part.get("annotations") {
                                    annotations.extend(a.iter().cloned());
                                }
                                if let Some(Value::Array(l)) = part.get("logprobs") {
                                    logprobs.extend(l.iter().cloned());
                                }
                            }
                            Some("refusal") => {
                                c.push(StreamEvent::RefusalDelta(str_at(part, "refusal")))
                            }
                            _ => {}
                        }
                    }
                }
                "reasoning" => {
                    let text = reasoning_text(item);
                    if !text.is_empty() {
                        c.push(StreamEvent::ReasoningDelta(text));
                    }
                    c.push(reasoning_done(item));
                }
                "function_call" => c.push(StreamEvent::ToolCall(ToolCall {
                    id: str_at(item, "call_id"),
                    name: str_at(item, "name"),
                    arguments: ToolCall::parse_arguments(&str_at(item, "arguments")),
                    provider_meta: None,
                })),
                _ => c.push(provider_item(item)),
            }
        }
        if !annotations.is_empty() {
            c.push(StreamEvent::Metadata {
                key: "annotations".into(),
                value: Value::Array(annotations),
            });
        }
        if !logprobs.is_empty() {
            c.push(StreamEvent::Metadata {
                key: "logprobs".into(),
                value: Value::Array(logprobs),
            });
        }
        finish_events(&resp, &mut |e| c.push(e));
        Ok(c.finish())
    }

    fn stream_decoder(&self) -> Box<dyn StreamDecoder> {
        Box::<ResponsesStreamDecoder>::default()
    }
    fn encode_embed(&self, req: &EmbedRequest, model: &str, ep: &Endpoint) -> Result<Encoded> {
        super::retrieval::openai::encode(req, model, ep)
    }

    fn decode_embed(&self, body: &[u8]) -> Result<EmbedResponse> {
        super::retrieval::openai::decode(body)
    }
}

fn encode_input(req: &ChatRequest, warnings: &mut Vec<Warning>) -> Vec<Value> {
    let mut out = Vec::new();
    for m in &req.messages {
        let role = match m.role {
            Role::System => "system",
            Role::Developer => "developer",
            Role::User | Role::Tool => "user",
            Role::Assistant => "assistant",
        };
        let mut content = Vec::new();
        let flush = |content: &mut Vec<Value>, out: &mut Vec<Value>| {
            if !content.is_empty() {
                out.push(json!({"role": role, "content": std::mem::take(content)}));
            }
        };
        for p in &m.content {
            match p {
                Part::Text { text } if m.role == Role::Assistant => {
                    content.push(json!({"type": "output_text", "text": text}))
                }
                Part::Text { text } => content.push(json!({"type": "input_text", "text": text})),
                Part::Refusal { text } => content.push(json!({"type": "refusal", "refusal": text})),
                Part::Image {
                    source,
                    media_type,
                    detail,
                } => {
                    let mut v = json!({"type": "input_image", "detail": detail.map(|d| d.as_str()).unwrap_or("auto")});
                    match source {
                        MediaSource::Url(u) => v["image_url"] = u.as_str().into(),
                        MediaSource::Base64(d) => {
                            v["image_url"] = data_url(media_type.as_deref(), d).into()
                        }
                        MediaSource::FileId(id) => v["file_id"] = id.as_str().into(),
                    }
                    content.push(v);
                }
                Part::File {
                    source,
                    media_type,
                    filename,
                } => {
                    let mut v = json!({"type": "input_file"});
                    match source {
                        // A data: URL is inline data, which Responses takes as `file_data`.
                        MediaSource::Url(u) if crate::media::parse_data_url(u).is_some() => {
                            v["file_data"] = u.as_str().into()
                        }
                        MediaSource::Url(u) => v["file_url"] = u.as_str().into(),
                        MediaSource::Base64(d) => {
                            v["file_data"] = data_url(media_type.as_deref(), d).into()
                        }
                        MediaSource::FileId(id) => v["file_id"] = id.as_str().into(),
                    }
                    if let Some(f) = filename {
                        v["filename"] = f.as_str().into();
                    }
                    content.push(v);
                }
                Part::CacheBreakpoint(_) => {}
                // Items stand between messages: flush the message so far to keep the order.
                Part::ToolCall(c) => {
                    flush(&mut content, &mut out);
                    out.push(json!({"type": "function_call", "call_id": c.id, "name": c.name, "arguments": c.arguments_text()}));
                }
                Part::ToolResult(r) => {
                    flush(&mut content, &mut out);
                    out.push(json!({"type": "function_call_output", "call_id": r.call_id, "output": r.text_content()}));
                }
                Part::Reasoning(r) => {
                    flush(&mut content, &mut out);
                    if let Some(id) = &r.id {
                        let summary: Vec<Value> = if r.text.is_empty() {
                            Vec::new()
                        } else {
                            vec![json!({"type": "summary_text", "text": r.text})]
                        };
                        let mut v = json!({"type": "reasoning", "id": id, "summary": summary});
                        if let Some(e) = &r.encrypted {
                            v["encrypted_content"] = e.as_str().into();
                        }
                        out.push(v);
                    }
                }
                Part::ProviderItem(item) if item.api == API => {
                    flush(&mut content, &mut out);
                    out.push(item.raw.clone());
                }
                other => warnings.push(dropped(other, "the Responses API")),
            }
        }
        flush(&mut content, &mut out);
    }
    out
}

/// Summary text (or, where a server sends it, raw reasoning text) of a reasoning item.
fn reasoning_text(item: &Value) -> String {
    let mut text = String::new();
    for key in ["summary", "content"] {
        for s in item
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(t) = s.get("text").and_then(Value::as_str) {
                text.push_str(t);
            }
        }
    }
    text
}

fn reasoning_done(item: &Value) -> StreamEvent {
    StreamEvent::ReasoningDone {
        signature: None,
        encrypted: item
            .get("encrypted_content")
            .and_then(Value::as_str)
            .map(str::to_owned),
        id: item.get("id").and_then(Value::as_str).map(str::to_owned),
    }
}

fn provider_item(item: &Value) -> StreamEvent {
    StreamEvent::ProviderItem(ProviderItem {
        api: API.into(),
        item_type: str_at(item, "type"),
        raw: item.clone(),
    })
}

/// Usage, finish reason and error of a finished (or failed) response.
fn finish_events(resp: &WireResponse, emit: &mut dyn FnMut(StreamEvent)) {
    if let Some(t) = resp.service_tier.as_ref().filter(|t| !t.is_empty()) {
        emit(StreamEvent::ServiceTier(t.clone()));
    }
    if let Some(u) = resp.usage.as_ref().filter(|u| !u.is_null()) {
        emit(StreamEvent::usage(usage(u.clone())));
    }
    if let Some(e) = resp.error.as_ref().filter(|e| !e.is_null()) {
        emit(StreamEvent::Error(crate::wire::errors::response_error(e)));
    }
    let status = resp.status.as_deref().unwrap_or("");
    let reason = resp
        .incomplete_details
        .as_ref()
        .and_then(|d| d.get("reason"))
        .and_then(Value::as_str);
    let finish = match (status, reason) {
        ("completed", _) => Some(FinishReason::new(FinishKind::Stop, "completed")),
        ("incomplete", Some("max_output_tokens")) => {
            Some(FinishReason::new(FinishKind::Length, "max_output_tokens"))
        }
        ("incomplete", Some("content_filter")) => Some(FinishReason::new(
            FinishKind::ContentFilter,
            "content_filter",
        )),
        ("incomplete", r) => Some(FinishReason::new(
            FinishKind::Other,
            r.unwrap_or("incomplete"),
        )),
        ("failed", _) => Some(FinishReason::new(FinishKind::Error, "failed")),
        ("", _) | ("in_progress", _) | ("queued", _) => None,
        (other, _) => Some(FinishReason::new(FinishKind::Other, other)),
    };
    if let Some(f) = finish {
        emit(StreamEvent::Finish(f));
    }
}

/// Maps a Responses usage object.
fn usage(raw: Value) -> Usage {
    let n = |path: &[&str]| {
        path.iter()
            .try_fold(&raw, |v, k| v.get(k))
            .and_then(Value::as_u64)
    };
    Usage {
        input_tokens: n(&["input_tokens"]),
        output_tokens: n(&["output_tokens"]),
        cache_read_tokens: n(&["input_tokens_details", "cached_tokens"]),
        cache_write_tokens: None,
        reasoning_tokens: n(&["output_tokens_details", "reasoning_tokens"]),
        details: UsageDetails {
            audio_input_tokens: n(&["input_tokens_details", "audio_tokens"]),
            audio_output_tokens: n(&["output_tokens_details", "audio_tokens"]),
            ..Default::default()
        },
        raw: Some(raw.into()),
    }
}

#[derive(Deserialize, Default)]
struct WireResponse {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    output: Vec<Value>,
    #[serde(default)]
    usage: Option<Value>,
    #[serde(default)]
    error: Option<Value>,
    #[serde(default)]
    incomplete_details: Option<Value>,
    #[serde(default)]
    service_tier: Option<String>,
}

/// One streamed event; only the fields exllm reads.
mod stream;
use stream::ResponsesStreamDecoder;

#[cfg(test)]
mod tests;
