//! Anthropic Messages (`/messages`). Content is a list of typed blocks: `text` (with
//! citations), `thinking` / `redacted_thinking` (signatures kept for the round trip), `tool_use`
//! (the caller's tools), and blocks the provider runs itself (`server_tool_use`,
//! `*_tool_result`, MCP, ...) which are kept verbatim. Input tokens are reported in three parts
//! (plain, cache write, cache read) and summed into `input_tokens`.

use super::citations;
use super::common::{self, opt_str, put, str_at};
use super::encode::{args_object, dropped, JsonBody};
use super::{Api, Codec, Encoded, Endpoint, ListedModel, StreamDecoder};
use crate::error::Result;
use crate::types::{
    ChatRequest, ChatResponse, FinishKind, FinishReason, JsonMap, MediaSource, Message, Part,
    ProviderItem, Reasoning, ReasoningEffort, Role, StreamEvent, ToolCall, ToolChoice, Usage,
    Warning,
};
use crate::wire::Frame;
use crate::Collector;
use serde::Deserialize;
use serde_json::{json, Value};

/// The Anthropic Messages codec.
#[derive(Debug, Clone, Copy, Default)]
pub struct AnthropicCodec;

const API: &str = "anthropic";
/// The API version Anthropic-on-Vertex takes in the body.
const VERTEX_VERSION: &str = "vertex-2023-10-16";
/// Output limit sent when the caller sets none (the API requires one).
pub const DEFAULT_MAX_TOKENS: u32 = 4096;

impl Codec for AnthropicCodec {
    fn unsupported_settings(&self) -> &'static [&'static str] {
        &[
            "audio",
            "seed",
            "n",
            "prediction",
            "frequency_penalty",
            "presence_penalty",
            "logprobs",
            "response_format",
        ]
    }

    fn api(&self) -> Api {
        Api::Anthropic
    }

    fn encode(
        &self,
        req: &ChatRequest,
        model: &str,
        ep: &Endpoint,
        stream: bool,
    ) -> Result<Encoded> {
        let mut body = JsonBody::with_model(model);
        let (system, messages) = encode_messages(&req.messages, &mut body.warnings);
        if !system.is_empty() {
            body.insert("system".into(), Value::Array(system));
        }
        body.insert("messages".into(), Value::Array(messages));
        let budget = req
            .reasoning
            .as_ref()
            .filter(|r| r.effort != Some(ReasoningEffort::None))
            .and_then(|r| r.budget());
        let max_tokens = req
            .max_tokens
            .unwrap_or(DEFAULT_MAX_TOKENS + budget.unwrap_or(0));
        body.insert("max_tokens".into(), max_tokens.into());
        if let Some(b) = budget {
            body.insert(
                "thinking".into(),
                json!({"type": "enabled", "budget_tokens": b.max(1024)}),
            );
        }
        if !req.tools.is_empty() {
            let tools = req
                .tools
                .iter()
                .map(|t| {
                    let mut v = json!({"name": t.name, "input_schema": t.parameters_or_empty()});
                    if let Some(d) = &t.description {
                        v["description"] = d.as_str().into();
                    }
                    if let Some(s) = t.strict {
                        v["strict"] = s.into();
                    }
                    v
                })
                .collect();
            body.insert("tools".into(), Value::Array(tools));
        }
        let mut choice = req.tool_choice.as_ref().map(|c| match c {
            ToolChoice::Auto => json!({"type": "auto"}),
            ToolChoice::None => json!({"type": "none"}),
            ToolChoice::Required => json!({"type": "any"}),
            ToolChoice::Tool(name) => json!({"type": "tool", "name": name}),
        });
        if req.parallel_tool_calls == Some(false) {
            choice
                .get_or_insert_with(|| json!({"type": "auto"}))
                .as_object_mut()
                .map(|o| o.insert("disable_parallel_tool_use".into(), true.into()));
        }
        put(&mut body, "tool_choice", choice);
        put(&mut body, "temperature", req.temperature);
        put(&mut body, "top_p", req.top_p);
        put(&mut body, "top_k", req.top_k);
        if !req.stop.is_empty() {
            body.insert("stop_sequences".into(), json!(req.stop));
        }
        put(&mut body, "service_tier", req.service_tier.clone());
        if let Some(u) = &req.user {
            body.insert("metadata".into(), json!({"user_id": u}));
        }
        if stream {
            body.insert("stream".into(), true.into());
        }
        body.settle(req, ep, self.unsupported_settings());
        let path = if ep.quirks.vertex {
            // Vertex names the model in the path and the API version in the body.
            body.remove("model");
            body.insert("anthropic_version".into(), VERTEX_VERSION.into());
            let verb = if stream {
                "streamRawPredict"
            } else {
                "rawPredict"
            };
            format!("/publishers/anthropic/models/{model}:{verb}")
        } else {
            "/messages".to_owned()
        };
        let mut enc = body.send(ep, &path, common::accept(stream))?;
        enc.request = super::batch::files::with_files_beta(req, enc.request);
        Ok(enc)
    }

    fn encode_count_tokens(
        &self,
        req: &ChatRequest,
        model: &str,
        ep: &Endpoint,
    ) -> Result<Encoded> {
        super::count_tokens::anthropic(req, model, ep)
    }

    fn decode_count_tokens(&self, body: &[u8]) -> Result<u64> {
        super::count_tokens::decode_anthropic(body)
    }

    fn decode(&self, body: &[u8]) -> Result<ChatResponse> {
        let msg: WireMessage = common::parse(body, "Anthropic message")?;
        let mut c = Collector::new();
        c.push(StreamEvent::Start {
            id: msg.id,
            model: msg.model,
        });
        let mut citations = Vec::new();
        for block in msg.content {
            match block.get("type").and_then(Value::as_str).unwrap_or("") {
                "text" => {
                    c.push(StreamEvent::TextDelta(str_at(&block, "text")));
                    if let Some(Value::Array(cs)) = block.get("citations") {
                        citations.extend(cs.iter().cloned());
                    }
                }
                "thinking" => {
                    let text = str_at(&block, "thinking");
                    if !text.is_empty() {
                        c.push(StreamEvent::ReasoningDelta(text));
                    }
                    c.push(StreamEvent::ReasoningDone {
                        signature: opt_str(&block, "signature"),
                        encrypted: None,
                        id: None,
                    });
                }
                "redacted_thinking" => c.push(StreamEvent::ReasoningDone {
                    signature: None,
                    encrypted: opt_str(&block, "data"),
                    id: None,
                }),
                "tool_use" => c.push(StreamEvent::ToolCall(ToolCall {
                    id: str_at(&block, "id"),
                    name: str_at(&block, "name"),
                    arguments: input_of(block.get("input")),
                    provider_meta: None,
                })),
                _ => c.push(provider_item(block)),
            }
        }
        let mut meta = Meta {
            citations,
            ..Default::default()
        };
        meta.absorb(&msg.rest);
        for e in meta.events() {
            c.push(e);
        }
        if let Some(u) = msg.usage {
            service_tier(&u).into_iter().for_each(|e| c.push(e));
            c.push(StreamEvent::usage(usage(u)));
        }
        if let Some(r) = msg.stop_reason {
            c.push(StreamEvent::Finish(finish_reason(&r)));
        }
        Ok(c.finish())
    }

    fn stream_decoder(&self) -> Box<dyn StreamDecoder> {
        Box::<AnthropicStreamDecoder>::default()
    }

    fn decode_models(&self, body: &[u8]) -> Result<Vec<ListedModel>> {
        common::decode_model_list(body)
    }

    fn next_models_page(&self, body: &[u8]) -> Option<String> {
        let v: Value = serde_json::from_slice(body).ok()?;
        if v.get("has_more").and_then(Value::as_bool) != Some(true) {
            return None;
        }
        opt_str(&v, "last_id")
    }

    fn list_models_page(&self, ep: &Endpoint, token: &str) -> Result<http::Request<bytes::Bytes>> {
        let token =
            percent_encoding::utf8_percent_encode(token, percent_encoding::NON_ALPHANUMERIC);
        common::get(ep, &format!("/models?after_id={token}"))
    }
}

/// A tool input: an object as sent; `null` or nothing becomes `{}`.
fn input_of(v: Option<&Value>) -> Value {
    match v {
        None | Some(Value::Null) => json!({}),
        Some(v) => v.clone(),
    }
}

fn provider_item(raw: Value) -> StreamEvent {
    StreamEvent::ProviderItem(ProviderItem {
        api: API.into(),
        item_type: str_at(&raw, "type"),
        raw,
    })
}

/// Maps a stop reason.
fn finish_reason(raw: &str) -> FinishReason {
    let kind = match raw {
        "end_turn" | "stop_sequence" => FinishKind::Stop,
        "max_tokens" | "model_context_window_exceeded" => FinishKind::Length,
        "tool_use" => FinishKind::ToolCalls,
        "refusal" => FinishKind::ContentFilter,
        _ => FinishKind::Other,
    };
    FinishReason::new(kind, raw)
}

/// The tier that served the request, which Anthropic reports inside `usage`.
fn service_tier(usage: &Value) -> Option<StreamEvent> {
    let tier = usage
        .get("service_tier")?
        .as_str()
        .filter(|t| !t.is_empty())?;
    Some(StreamEvent::ServiceTier(tier.to_owned()))
}

/// Maps a usage object: input is plain + cache write + cache read.
fn usage(raw: Value) -> Usage {
    let n = |k: &str| raw.get(k).and_then(Value::as_u64);
    let plain = n("input_tokens");
    let write = n("cache_creation_input_tokens");
    let read = n("cache_read_input_tokens");
    let input = Usage::sum_known(&[plain, write, read]);
    Usage {
        input_tokens: input,
        output_tokens: n("output_tokens"),
        cache_read_tokens: read,
        cache_write_tokens: write,
        reasoning_tokens: None,
        details: Default::default(),
        raw: Some(raw.into()),
    }
}

/// Message-level metadata kept in `provider_meta`.
#[derive(Default)]
struct Meta {
    citations: Vec<Value>,
    fields: JsonMap,
}

impl Meta {
    const KEYS: [&'static str; 3] = ["stop_sequence", "container", "context_management"];

    fn absorb(&mut self, obj: &JsonMap) {
        for k in Self::KEYS {
            if let Some(v) = obj.get(k).filter(|v| !v.is_null()) {
                self.fields.insert(k.into(), v.clone());
            }
        }
    }

    fn events(&mut self) -> Vec<StreamEvent> {
        let mut out = Vec::new();
        // Web-search result locations carry url and title; document locations carry none.
        for c in &self.citations {
            out.extend(citations::from_object(c).map(StreamEvent::Citation));
        }
        if !self.citations.is_empty() {
            out.push(StreamEvent::Metadata {
                key: "citations".into(),
                value: Value::Array(std::mem::take(&mut self.citations)),
            });
        }
        for (key, value) in std::mem::take(&mut self.fields) {
            out.push(StreamEvent::Metadata { key, value });
        }
        out
    }
}

fn encode_messages(messages: &[Message], warnings: &mut Vec<Warning>) -> (Vec<Value>, Vec<Value>) {
    let mut system: Vec<Value> = Vec::new();
    let mut out: Vec<Value> = Vec::new();
    for m in messages {
        if matches!(m.role, Role::System | Role::Developer) {
            for p in &m.content {
                match p {
                    Part::Text { text } => system.push(json!({"type": "text", "text": text})),
                    Part::CacheBreakpoint(b) => mark_cache(&mut system, b.ttl.as_deref()),
                    other => warnings.push(dropped(other, "an Anthropic system prompt")),
                }
            }
            continue;
        }
        let role = if m.role == Role::Assistant {
            "assistant"
        } else {
            "user"
        };
        // Consecutive messages of one role become one message.
        if out.last().map(|l| l["role"] != role).unwrap_or(true) {
            out.push(json!({"role": role, "content": []}));
        }
        let Some(Value::Array(blocks)) = out.last_mut().and_then(|l| l.get_mut("content")) else {
            continue;
        };
        for p in &m.content {
            let block = match p {
                Part::Text { text } => json!({"type": "text", "text": text}),
                Part::Image {
                    source, media_type, ..
                } => json!({"type": "image", "source": source_of(source, media_type.as_deref())}),
                Part::File {
                    source,
                    media_type,
                    filename,
                } => {
                    let mut v = json!({"type": "document", "source": source_of(source, media_type.as_deref().or(Some("application/pdf")))});
                    if let Some(f) = filename {
                        v["title"] = f.as_str().into();
                    }
                    v
                }
                Part::ToolCall(c) => json!({
                    "type": "tool_use",
                    "id": c.id,
                    "name": c.name,
                    "input": args_object(c, warnings),
                }),
                Part::ToolResult(r) => {
                    let content: Vec<Value> = r
                        .content
                        .iter()
                        .filter_map(|p| match p {
                            Part::Text { text } => Some(json!({"type": "text", "text": text})),
                            Part::Image { source, media_type, .. } => Some(json!({"type": "image", "source": source_of(source, media_type.as_deref())})),
                            other => {
                                warnings.push(dropped(other, "an Anthropic tool result"));
                                None
                            }
                        })
                        .collect();
                    let mut v = json!({"type": "tool_result", "tool_use_id": r.call_id, "content": content});
                    if r.is_error {
                        v["is_error"] = true.into();
                    }
                    v
                }
                Part::Reasoning(Reasoning {
                    text,
                    signature,
                    encrypted,
                    ..
                }) => match (signature, encrypted) {
                    (Some(sig), _) => {
                        json!({"type": "thinking", "thinking": text, "signature": sig})
                    }
                    (None, Some(data)) => json!({"type": "redacted_thinking", "data": data}),
                    // Reasoning without a signature (another provider's) cannot be sent back.
                    (None, None) => continue,
                },
                Part::CacheBreakpoint(b) => {
                    mark_cache(blocks, b.ttl.as_deref());
                    continue;
                }
                Part::ProviderItem(item) if item.api == API => item.raw.clone(),
                other => {
                    warnings.push(dropped(other, "Anthropic"));
                    continue;
                }
            };
            blocks.push(block);
        }
    }
    out.retain(|m| m["content"].as_array().is_some_and(|c| !c.is_empty()));
    (system, out)
}

fn mark_cache(blocks: &mut [Value], ttl: Option<&str>) {
    if let Some(last) = blocks.last_mut() {
        let mut cc = json!({"type": "ephemeral"});
        if let Some(t) = ttl {
            cc["ttl"] = t.into();
        }
        last["cache_control"] = cc;
    }
}

fn source_of(source: &MediaSource, media_type: Option<&str>) -> Value {
    match source {
        // Anthropic fetches only http(s) URLs: a data: URL goes as the inline data it is.
        MediaSource::Url(u) => match crate::media::parse_data_url(u) {
            Some((mt, d)) => {
                json!({"type": "base64", "media_type": mt.or(media_type).unwrap_or("application/octet-stream"), "data": d})
            }
            None => json!({"type": "url", "url": u}),
        },
        MediaSource::Base64(d) => {
            json!({"type": "base64", "media_type": media_type.unwrap_or("application/octet-stream"), "data": d})
        }
        MediaSource::FileId(id) => json!({"type": "file", "file_id": id}),
    }
}

#[derive(Deserialize)]
struct WireMessage {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    content: Vec<Value>,
    #[serde(default)]
    stop_reason: Option<String>,
    #[serde(default)]
    usage: Option<Value>,
    #[serde(flatten)]
    rest: JsonMap,
}

mod stream;
use stream::AnthropicStreamDecoder;

#[cfg(test)]
mod tests;
