//! Cohere v2 chat (`/v2/chat`). Content is a list of `text` and `thinking` items; tool calls
//! carry OpenAI-style JSON argument strings; a `tool_plan` (the model's plan before calling
//! tools) is neither text nor reasoning and is kept in `provider_meta`, as are citations.
//! Streams are typed SSE events (`content-delta`, `tool-call-start`, `message-end`, ...).

use super::common::{self, data_url, put};
use super::decode::{ended, event, index_field, str_field};
use super::encode::{dropped, function_tools, JsonBody};
use super::{Api, Codec, Encoded, Endpoint, StreamDecoder};
use crate::error::Result;
use crate::types::{
    ChatRequest, ChatResponse, FinishKind, FinishReason, MediaSource, Part, ReasoningEffort,
    ResponseError, ResponseFormat, Role, StreamEvent, ToolCall, ToolChoice, Usage, Warning,
};
use crate::wire::Frame;
use crate::Collector;
use serde::Deserialize;
use serde_json::{json, Value};

/// The Cohere v2 chat codec.
#[derive(Debug, Clone, Copy, Default)]
pub struct CohereCodec;

impl Codec for CohereCodec {
    fn unsupported_settings(&self) -> &'static [&'static str] {
        &[
            "audio",
            "n",
            "prediction",
            "parallel_tool_calls",
            "top_logprobs",
            "service_tier",
            "user",
        ]
    }

    fn api(&self) -> Api {
        Api::Cohere
    }

    fn encode(
        &self,
        req: &ChatRequest,
        model: &str,
        ep: &Endpoint,
        stream: bool,
    ) -> Result<Encoded> {
        let mut body = JsonBody::with_model(model);
        let messages = encode_messages(req, &mut body.warnings);
        body.insert("messages".into(), Value::Array(messages));
        if !req.tools.is_empty() {
            body.insert("tools".into(), function_tools(&req.tools, false));
            if req.tools.iter().any(|t| t.strict == Some(true)) {
                body.insert("strict_tools".into(), true.into());
            }
        }
        let choice = match &req.tool_choice {
            Some(ToolChoice::Required) => Some("REQUIRED"),
            Some(ToolChoice::None) => Some("NONE"),
            Some(ToolChoice::Tool(_)) => {
                body.warnings.push(Warning {
                    setting: Some("tool_choice".into()),
                    message: "Cohere cannot force one named tool; sent as REQUIRED".into(),
                });
                Some("REQUIRED")
            }
            _ => None,
        };
        put(&mut body, "tool_choice", choice);
        put(&mut body, "temperature", req.temperature);
        put(&mut body, "p", req.top_p);
        put(&mut body, "k", req.top_k);
        put(&mut body, "max_tokens", req.max_tokens);
        put(&mut body, "seed", req.seed);
        put(&mut body, "frequency_penalty", req.frequency_penalty);
        put(&mut body, "presence_penalty", req.presence_penalty);
        put(&mut body, "logprobs", req.logprobs);
        if !req.stop.is_empty() {
            body.insert("stop_sequences".into(), json!(req.stop));
        }
        match &req.response_format {
            Some(ResponseFormat::JsonObject) => {
                body.insert("response_format".into(), json!({"type": "json_object"}));
            }
            Some(ResponseFormat::JsonSchema { schema, .. }) => {
                body.insert(
                    "response_format".into(),
                    json!({"type": "json_object", "json_schema": schema}),
                );
            }
            _ => {}
        }
        if let Some(r) = &req.reasoning {
            let mut t = json!({"type": "enabled"});
            if r.effort == Some(ReasoningEffort::None) {
                t = json!({"type": "disabled"});
            } else if let Some(b) = r.budget() {
                t["token_budget"] = b.into();
            }
            body.insert("thinking".into(), t);
        }
        if stream {
            body.insert("stream".into(), true.into());
        }
        let accept = common::accept(stream);
        body.finish(req, ep, self.unsupported_settings(), "/chat", accept)
    }

    fn decode(&self, body: &[u8]) -> Result<ChatResponse> {
        let resp: WireResponse = common::parse(body, "Cohere chat response")?;
        let mut c = Collector::new();
        c.push(StreamEvent::Start {
            id: resp.id,
            model: None,
        });
        if let Some(m) = resp.message {
            for item in m.content.unwrap_or_default() {
                content_event(&item, &mut |e| c.push(e));
            }
            for call in m.tool_calls.unwrap_or_default() {
                c.push(StreamEvent::ToolCall(ToolCall {
                    id: str_of(&call, &["id"]),
                    name: str_of(&call, &["function", "name"]),
                    arguments: ToolCall::parse_arguments(&str_of(
                        &call,
                        &["function", "arguments"],
                    )),
                    provider_meta: None,
                }));
            }
            let mut meta = Meta {
                tool_plan: m.tool_plan.unwrap_or_default(),
                citations: m.citations.unwrap_or_default(),
            };
            meta.emit(&mut |e| c.push(e));
        }
        if let Some(u) = resp.usage {
            c.push(StreamEvent::usage(usage(u)));
        }
        if let Some(r) = resp.finish_reason {
            c.push(StreamEvent::Finish(finish_reason(&r)));
        }
        Ok(c.finish())
    }

    fn stream_decoder(&self) -> Box<dyn StreamDecoder> {
        Box::<CohereStreamDecoder>::default()
    }

    fn encode_embed(
        &self,
        req: &crate::types::EmbedRequest,
        model: &str,
        ep: &Endpoint,
    ) -> Result<Encoded> {
        super::retrieval::cohere::encode_embed(req, model, ep)
    }

    fn decode_embed(&self, body: &[u8]) -> Result<crate::types::EmbedResponse> {
        super::retrieval::cohere::decode_embed(body)
    }

    fn embed_batch_limit(&self, _model: &str) -> usize {
        super::retrieval::cohere::BATCH_LIMIT
    }

    fn encode_rerank(
        &self,
        req: &crate::types::RerankRequest,
        model: &str,
        ep: &Endpoint,
    ) -> Result<Encoded> {
        super::retrieval::cohere::encode_rerank(req, model, ep)
    }

    fn decode_rerank(&self, body: &[u8]) -> Result<crate::types::RerankResponse> {
        super::retrieval::cohere::decode_rerank(body)
    }
}

fn encode_messages(req: &ChatRequest, warnings: &mut Vec<Warning>) -> Vec<Value> {
    let mut out = Vec::new();
    for m in &req.messages {
        let mut text = String::new();
        let mut thinking = String::new();
        let mut calls = Vec::new();
        // Content items in order, used instead of the plain text once there is an image.
        let mut items = Vec::new();
        let mut has_image = false;
        for p in &m.content {
            match p {
                Part::Text { text: t } => {
                    text.push_str(t);
                    items.push(json!({"type": "text", "text": t}));
                }
                Part::Image {
                    source,
                    media_type,
                    detail,
                } if m.role != Role::Assistant && !matches!(source, MediaSource::FileId(_)) => {
                    let url = match source {
                        MediaSource::Base64(d) => data_url(media_type.as_deref(), d),
                        MediaSource::Url(u) | MediaSource::FileId(u) => u.clone(),
                    };
                    let mut image = json!({ "url": url });
                    if let Some(d) = detail {
                        image["detail"] = d.as_str().into();
                    }
                    items.push(json!({"type": "image_url", "image_url": image}));
                    has_image = true;
                }
                Part::Reasoning(r) if m.role == Role::Assistant => thinking.push_str(&r.text),
                Part::ToolCall(c) => calls.push(json!({
                    "id": c.id,
                    "type": "function",
                    "function": {"name": c.name, "arguments": c.arguments_text()},
                })),
                Part::ToolResult(r) => {
                    if r.is_error {
                        warnings.push(Warning::unsupported("tool result is_error", "Cohere"));
                    }
                    out.push(json!({
                        "role": "tool",
                        "tool_call_id": r.call_id,
                        "content": [{"type": "document", "document": {"data": r.text_content()}}],
                    }))
                }
                Part::CacheBreakpoint(_) => {}
                other => warnings.push(dropped(other, "Cohere")),
            }
        }
        let role = match m.role {
            Role::System | Role::Developer => "system",
            Role::User | Role::Tool => "user",
            Role::Assistant => "assistant",
        };
        if text.is_empty() && calls.is_empty() && thinking.is_empty() && !has_image {
            continue;
        }
        // Reasoning goes back as `thinking` content beside the text.
        let content = if has_image {
            Value::Array(items)
        } else if thinking.is_empty() {
            Value::from(text)
        } else {
            let mut items = vec![json!({"type": "thinking", "thinking": thinking})];
            if !text.is_empty() {
                items.push(json!({"type": "text", "text": text}));
            }
            Value::Array(items)
        };
        let mut v = json!({"role": role, "content": content});
        if !calls.is_empty() {
            v["tool_calls"] = Value::Array(calls);
        }
        out.push(v);
    }
    out
}

fn str_of(v: &Value, path: &[&str]) -> String {
    path.iter()
        .try_fold(v, |v, k| v.get(k))
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned()
}

/// A content item or delta: `thinking` is reasoning, `text` is text (stream deltas carry the
/// key alone, without a type).
fn content_event(item: &Value, emit: &mut dyn FnMut(StreamEvent)) {
    if let Some(t) = item.get("thinking").and_then(Value::as_str) {
        if !t.is_empty() {
            emit(StreamEvent::ReasoningDelta(t.to_owned()));
        }
    } else if let Some(t) = item.get("text").and_then(Value::as_str) {
        if !t.is_empty() {
            emit(StreamEvent::TextDelta(t.to_owned()));
        }
    }
}

fn finish_reason(raw: &str) -> FinishReason {
    let kind = match raw {
        "COMPLETE" | "STOP_SEQUENCE" => FinishKind::Stop,
        "MAX_TOKENS" => FinishKind::Length,
        "TOOL_CALL" => FinishKind::ToolCalls,
        "ERROR" | "TIMEOUT" => FinishKind::Error,
        _ => FinishKind::Other,
    };
    FinishReason::new(kind, raw)
}

/// `usage.tokens` counts what the model processed; `billed_units` only stands in without it.
fn usage(raw: Value) -> Usage {
    let n = |group: &str, k: &str| {
        raw.get(group)
            .and_then(|g| g.get(k))
            .and_then(Value::as_f64)
            .map(|f| f as u64)
    };
    let pick = |k: &str| n("tokens", k).or_else(|| n("billed_units", k));
    Usage {
        input_tokens: pick("input_tokens"),
        output_tokens: pick("output_tokens"),
        cache_read_tokens: raw
            .get("cached_tokens")
            .and_then(Value::as_f64)
            .map(|f| f as u64),
        raw: Some(raw.into()),
        ..Default::default()
    }
}

#[derive(Default)]
struct Meta {
    tool_plan: String,
    citations: Vec<Value>,
}

impl Meta {
    fn emit(&mut self, emit: &mut dyn FnMut(StreamEvent)) {
        if !self.tool_plan.is_empty() {
            emit(StreamEvent::Metadata {
                key: "tool_plan".into(),
                value: std::mem::take(&mut self.tool_plan).into(),
            });
        }
        if !self.citations.is_empty() {
            emit(StreamEvent::Metadata {
                key: "citations".into(),
                value: Value::Array(std::mem::take(&mut self.citations)),
            });
        }
    }
}

#[derive(Deserialize)]
struct WireResponse {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    finish_reason: Option<String>,
    #[serde(default)]
    message: Option<WireMessage>,
    #[serde(default)]
    usage: Option<Value>,
}

#[derive(Deserialize)]
struct WireMessage {
    #[serde(default)]
    content: Option<Vec<Value>>,
    #[serde(default)]
    tool_plan: Option<String>,
    #[serde(default)]
    tool_calls: Option<Vec<Value>>,
    #[serde(default)]
    citations: Option<Vec<Value>>,
}

#[derive(Deserialize)]
struct WireEvent {
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    index: Option<u32>,
    #[serde(default)]
    delta: Option<Value>,
}

#[derive(Default)]
struct CohereStreamDecoder {
    meta: Meta,
    finished: bool,
}

impl StreamDecoder for CohereStreamDecoder {
    fn decode(&mut self, frame: Frame<'_>, out: &mut Vec<StreamEvent>) -> Result<()> {
        let data = frame.data.trim_ascii();
        if data.is_empty() || data == b"[DONE]" {
            return Ok(());
        }
        let ev: WireEvent = event(data, "Cohere stream event", |v| {
            Some(WireEvent {
                kind: str_field(v, "type").unwrap_or_default(),
                id: str_field(v, "id"),
                index: index_field(v, "index"),
                delta: v.get("delta").cloned(),
            })
        })?;
        let delta = ev.delta.unwrap_or(Value::Null);
        let message = &delta["message"];
        let index = ev.index.unwrap_or(0);
        match ev.kind.as_str() {
            "message-start" => out.push(StreamEvent::Start {
                id: ev.id,
                model: None,
            }),
            "content-start" | "content-delta" => {
                content_event(&message["content"], &mut |e| out.push(e))
            }
            "tool-plan-delta" => self
                .meta
                .tool_plan
                .push_str(&str_of(message, &["tool_plan"])),
            "tool-call-start" => {
                let call = &message["tool_calls"];
                out.push(StreamEvent::ToolCallStart {
                    index,
                    id: str_of(call, &["id"]),
                    name: str_of(call, &["function", "name"]),
                });
                let args = str_of(call, &["function", "arguments"]);
                if !args.is_empty() {
                    out.push(StreamEvent::ToolCallDelta {
                        index,
                        arguments: args,
                    });
                }
            }
            "tool-call-delta" => out.push(StreamEvent::ToolCallDelta {
                index,
                arguments: str_of(message, &["tool_calls", "function", "arguments"]),
            }),
            "tool-call-end" => out.push(StreamEvent::ToolCallEnd { index }),
            "citation-start" => {
                if let Some(c) = message.get("citations").filter(|c| !c.is_null()) {
                    self.meta.citations.push(c.clone());
                }
            }
            "message-end" => {
                self.finished = true;
                self.meta.emit(&mut |e| out.push(e));
                if let Some(u) = delta.get("usage").filter(|u| !u.is_null()) {
                    out.push(StreamEvent::usage(usage(u.clone())));
                }
                if let Some(r) = delta.get("finish_reason").and_then(Value::as_str) {
                    out.push(StreamEvent::Finish(finish_reason(r)));
                }
                if let Some(e) = delta.get("error").and_then(Value::as_str) {
                    // The finish reason (`ERROR`) stays the raw value.
                    out.push(StreamEvent::Error(ResponseError {
                        code: delta
                            .get("finish_reason")
                            .and_then(Value::as_str)
                            .map(str::to_owned),
                        message: e.to_owned(),
                    }));
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn finish(&mut self, out: &mut Vec<StreamEvent>) -> Result<()> {
        self.meta.emit(&mut |e| out.push(e));
        ended(self.finished, "the stream ended before message-end")
    }
}

#[cfg(test)]
mod tests;
