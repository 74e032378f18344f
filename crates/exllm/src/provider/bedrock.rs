//! AWS Bedrock Converse (`/model/{id}/converse`) and ConverseStream (`/converse-stream`, an AWS
//! event stream). Content blocks are keyed objects (`{"text": ...}`, `{"toolUse": ...}`,
//! `{"reasoningContent": ...}`, `{"cachePoint": ...}`); model ids and inference-profile ARNs
//! are percent-encoded into the path (SigV4 then encodes the canonical path again, as AWS
//! requires). Exception messages inside a stream end the answer with an error.

use super::common::{self, put, str_at};
use super::encode::{args_object, dropped, push_turn, JsonBody};
use super::{Api, Codec, Encoded, Endpoint, StreamDecoder};
use crate::error::{Error, ErrorKind, Result};
use crate::types::{
    ChatRequest, ChatResponse, FinishKind, FinishReason, JsonMap, MediaSource, Part, ProviderItem,
    Reasoning, ReasoningEffort, ResponseError, Role, StreamEvent, ToolCall, ToolChoice, ToolResult,
    Usage, Warning,
};
use crate::wire::{Frame, Framing};
use crate::Collector;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde::Deserialize;
use serde_json::{json, Value};

/// The Bedrock Converse codec.
#[derive(Debug, Clone, Copy, Default)]
pub struct BedrockCodec;

const API: &str = "bedrock";
/// Characters left as they are in a path segment (RFC 3986 unreserved).
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');
/// Frame name prefix of exception messages (see the AWS event-stream framer).
const EXCEPTION_PREFIX: &str = "exception:";

impl Codec for BedrockCodec {
    fn unsupported_settings(&self) -> &'static [&'static str] {
        &[
            "audio",
            "seed",
            "n",
            "prediction",
            "frequency_penalty",
            "presence_penalty",
            "logprobs",
            "top_logprobs",
            "response_format",
            "parallel_tool_calls",
            "user",
        ]
    }

    fn api(&self) -> Api {
        Api::Bedrock
    }

    fn encode(
        &self,
        req: &ChatRequest,
        model: &str,
        ep: &Endpoint,
        stream: bool,
    ) -> Result<Encoded> {
        let anthropic_model = model.contains("anthropic") || model.contains("claude");
        let mut body = JsonBody::default();
        let (system, messages) = encode_messages(req, &mut body.warnings);
        if !system.is_empty() {
            body.insert("system".into(), Value::Array(system));
        }
        body.insert("messages".into(), Value::Array(messages));
        let mut inference = JsonMap::new();
        put(&mut inference, "maxTokens", req.max_tokens);
        put(&mut inference, "temperature", req.temperature);
        put(&mut inference, "topP", req.top_p);
        if !req.stop.is_empty() {
            inference.insert("stopSequences".into(), json!(req.stop));
        }
        if !inference.is_empty() {
            body.insert("inferenceConfig".into(), Value::Object(inference));
        }
        if !req.tools.is_empty() {
            let tools: Vec<Value> = req
                .tools
                .iter()
                .map(|t| {
                    let mut spec =
                        json!({"name": t.name, "inputSchema": {"json": t.parameters_or_empty()}});
                    if let Some(d) = &t.description {
                        spec["description"] = d.as_str().into();
                    }
                    json!({ "toolSpec": spec })
                })
                .collect();
            let mut cfg = json!({ "tools": tools });
            match &req.tool_choice {
                Some(ToolChoice::Auto) => cfg["toolChoice"] = json!({"auto": {}}),
                Some(ToolChoice::Required) => cfg["toolChoice"] = json!({"any": {}}),
                Some(ToolChoice::Tool(name)) => cfg["toolChoice"] = json!({"tool": {"name": name}}),
                Some(ToolChoice::None) => body
                    .warnings
                    .push(Warning::unsupported("tool_choice none", &ep.provider)),
                _ => {}
            }
            body.insert("toolConfig".into(), cfg);
        }
        let mut extra = JsonMap::new();
        if let Some(k) = req.top_k {
            if anthropic_model {
                extra.insert("top_k".into(), k.into());
            } else {
                body.warnings
                    .push(Warning::unsupported("top_k", &ep.provider));
            }
        }
        if let Some(r) = req
            .reasoning
            .as_ref()
            .filter(|r| r.effort != Some(ReasoningEffort::None))
        {
            match (anthropic_model, r.budget()) {
                (true, Some(b)) => {
                    extra.insert(
                        "thinking".into(),
                        json!({"type": "enabled", "budget_tokens": b.max(1024)}),
                    );
                }
                _ => body
                    .warnings
                    .push(Warning::unsupported("reasoning", &ep.provider)),
            }
        }
        if !extra.is_empty() {
            body.insert("additionalModelRequestFields".into(), Value::Object(extra));
        }
        if let Some(tier) = &req.service_tier {
            body.insert("serviceTier".into(), json!({ "type": tier }));
        }
        let id = path_id(model);
        let (path, accept) = if stream {
            (
                format!("/model/{id}/converse-stream"),
                "application/vnd.amazon.eventstream",
            )
        } else {
            (format!("/model/{id}/converse"), "application/json")
        };
        body.finish(req, ep, self.unsupported_settings(), &path, accept)
    }

    fn decode(&self, body: &[u8]) -> Result<ChatResponse> {
        let resp: WireResponse = common::parse(body, "Bedrock Converse response")?;
        let mut c = Collector::new();
        let blocks = resp
            .output
            .as_ref()
            .and_then(|o| o.get("message"))
            .and_then(|m| m.get("content"))
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for block in blocks {
            if let Some(t) = block.get("text").and_then(Value::as_str) {
                c.push(StreamEvent::TextDelta(t.to_owned()));
            } else if let Some(r) = block.get("reasoningContent") {
                if let Some(rt) = r.get("reasoningText") {
                    let text = str_at(rt, "text");
                    if !text.is_empty() {
                        c.push(StreamEvent::ReasoningDelta(text));
                    }
                    c.push(StreamEvent::ReasoningDone {
                        signature: rt
                            .get("signature")
                            .and_then(Value::as_str)
                            .map(str::to_owned),
                        encrypted: None,
                        id: None,
                    });
                } else {
                    c.push(StreamEvent::ReasoningDone {
                        signature: None,
                        encrypted: r
                            .get("redactedContent")
                            .and_then(Value::as_str)
                            .map(str::to_owned),
                        id: None,
                    });
                }
            } else if let Some(t) = block.get("toolUse") {
                c.push(StreamEvent::ToolCall(ToolCall {
                    id: str_at(t, "toolUseId"),
                    name: str_at(t, "name"),
                    arguments: match t.get("input") {
                        None | Some(Value::Null) => json!({}),
                        Some(Value::String(s)) => ToolCall::parse_arguments(s),
                        Some(v) => v.clone(),
                    },
                    provider_meta: None,
                }));
            } else {
                c.push(provider_item(block));
            }
        }
        for (k, v) in [
            ("metrics", resp.metrics),
            (
                "additionalModelResponseFields",
                resp.additional_model_response_fields,
            ),
            ("trace", resp.trace),
        ] {
            if let Some(v) = v.filter(|v| !v.is_null()) {
                c.push(StreamEvent::Metadata {
                    key: k.into(),
                    value: v,
                });
            }
        }
        if let Some(u) = resp.usage {
            c.push(StreamEvent::usage(usage(u)));
        }
        if let Some(r) = resp.stop_reason {
            c.push(StreamEvent::Finish(finish_reason(&r)));
        }
        Ok(c.finish())
    }

    fn framing(&self) -> Framing {
        Framing::AwsEventStream
    }

    fn stream_decoder(&self) -> Box<dyn StreamDecoder> {
        Box::<BedrockStreamDecoder>::default()
    }

    fn encode_embed(
        &self,
        req: &crate::types::EmbedRequest,
        model: &str,
        ep: &Endpoint,
    ) -> Result<Encoded> {
        super::retrieval::bedrock::encode(req, model, ep, &path_id(model))
    }

    fn decode_embed(&self, body: &[u8]) -> Result<crate::types::EmbedResponse> {
        super::retrieval::bedrock::decode(body)
    }

    fn embed_batch_limit(&self, model: &str) -> usize {
        super::retrieval::bedrock::batch_limit(model)
    }

    fn list_models(&self, ep: &Endpoint) -> Result<http::Request<bytes::Bytes>> {
        Err(Error::new(
            ErrorKind::InvalidInput,
            "Bedrock lists models through its control-plane API (bedrock, not bedrock-runtime), which exllm does not call",
        )
        .with_provider(ep.provider.clone()))
    }
}

/// A model id or inference-profile ARN as one path segment (`:` and `/` percent-encoded).
fn path_id(model: &str) -> String {
    utf8_percent_encode(model, SEGMENT).to_string()
}

fn provider_item(block: Value) -> StreamEvent {
    let kind = block
        .as_object()
        .and_then(|o| o.keys().next().cloned())
        .unwrap_or_default();
    StreamEvent::ProviderItem(ProviderItem {
        api: API.into(),
        item_type: kind,
        raw: block,
    })
}

fn finish_reason(raw: &str) -> FinishReason {
    let kind = match raw {
        "end_turn" | "stop_sequence" => FinishKind::Stop,
        "max_tokens" | "model_context_window_exceeded" => FinishKind::Length,
        "tool_use" => FinishKind::ToolCalls,
        "guardrail_intervened" | "content_filtered" => FinishKind::ContentFilter,
        _ => FinishKind::Other,
    };
    FinishReason::new(kind, raw)
}

/// Input is plain + cache read + cache write tokens.
fn usage(raw: Value) -> Usage {
    let n = |k: &str| raw.get(k).and_then(Value::as_u64);
    let (plain, read, write) = (
        n("inputTokens"),
        n("cacheReadInputTokens"),
        n("cacheWriteInputTokens"),
    );
    let input = Usage::sum_known(&[plain, read, write]);
    Usage {
        input_tokens: input,
        output_tokens: n("outputTokens"),
        cache_read_tokens: read,
        cache_write_tokens: write,
        reasoning_tokens: None,
        details: Default::default(),
        raw: Some(raw.into()),
    }
}

/// Image format names Bedrock takes, from a media type.
fn format_of(media_type: Option<&str>, default: &str) -> String {
    media_type
        .and_then(|m| m.rsplit('/').next())
        .map(|f| if f == "jpg" { "jpeg" } else { f })
        .unwrap_or(default)
        .to_owned()
}

/// Document format names Bedrock takes (`pdf`, `csv`, `doc`, `docx`, `xls`, `xlsx`, `html`,
/// `txt`, `md`), from a media type.
fn document_format(media_type: Option<&str>) -> String {
    let format = match media_type {
        Some("text/plain") => "txt",
        Some("text/markdown") => "md",
        Some("application/msword") => "doc",
        Some("application/vnd.openxmlformats-officedocument.wordprocessingml.document") => "docx",
        Some("application/vnd.ms-excel") => "xls",
        Some("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet") => "xlsx",
        other => return format_of(other, "pdf"),
    };
    format.to_owned()
}

fn media_block(
    kind: &str,
    source: &MediaSource,
    media_type: Option<&str>,
    name: Option<&str>,
) -> Option<Value> {
    let mut media_type = media_type;
    let source = match source {
        MediaSource::Base64(d) => json!({ "bytes": d }),
        MediaSource::Url(u) if crate::media::parse_data_url(u).is_some() => {
            let (mt, d) = crate::media::parse_data_url(u)?;
            media_type = mt.or(media_type);
            json!({ "bytes": d })
        }
        MediaSource::Url(u) if u.starts_with("s3://") => json!({"s3Location": {"uri": u}}),
        _ => return None,
    };
    let format = if kind == "image" {
        format_of(media_type, "png")
    } else {
        document_format(media_type)
    };
    let mut v = json!({"format": format, "source": source});
    if kind == "document" {
        v["name"] = document_name(name.unwrap_or("document")).into();
    }
    Some(json!({ kind: v }))
}

fn encode_messages(req: &ChatRequest, warnings: &mut Vec<Warning>) -> (Vec<Value>, Vec<Value>) {
    let mut system = Vec::new();
    let mut out: Vec<Value> = Vec::new();
    for m in &req.messages {
        if matches!(m.role, Role::System | Role::Developer) {
            for p in &m.content {
                match p {
                    Part::Text { text } => system.push(json!({ "text": text })),
                    Part::CacheBreakpoint(b) => {
                        system.push(cache_point(b.ttl.as_deref(), warnings))
                    }
                    other => warnings.push(dropped(other, "a Bedrock system prompt")),
                }
            }
            continue;
        }
        let role = if m.role == Role::Assistant {
            "assistant"
        } else {
            "user"
        };
        let mut blocks = Vec::new();
        for p in &m.content {
            let block = match p {
                Part::Text { text } => Some(json!({ "text": text })),
                Part::Image {
                    source, media_type, ..
                } => media_block("image", source, media_type.as_deref(), None),
                Part::File {
                    source,
                    media_type,
                    filename,
                } => media_block(
                    "document",
                    source,
                    media_type.as_deref(),
                    filename.as_deref(),
                ),
                Part::ToolCall(c) => Some(json!({"toolUse": {
                    "toolUseId": c.id,
                    "name": c.name,
                    "input": args_object(c, warnings),
                }})),
                Part::ToolResult(r) => Some(tool_result(r, warnings)),
                Part::Reasoning(Reasoning {
                    text,
                    signature,
                    encrypted,
                    ..
                }) => match (signature, encrypted) {
                    (Some(sig), _) => Some(
                        json!({"reasoningContent": {"reasoningText": {"text": text, "signature": sig}}}),
                    ),
                    (None, Some(data)) => {
                        Some(json!({"reasoningContent": {"redactedContent": data}}))
                    }
                    (None, None) => None,
                },
                Part::CacheBreakpoint(b) => Some(cache_point(b.ttl.as_deref(), warnings)),
                Part::ProviderItem(item) if item.api == API => Some(item.raw.clone()),
                _ => None,
            };
            match block {
                Some(b) => blocks.push(b),
                None => warnings.push(dropped(
                    p,
                    "Bedrock (media must be base64 or s3://, reasoning needs its signature)",
                )),
            }
        }
        push_turn(&mut out, role, "content", blocks);
    }
    (system, out)
}

/// A cache point; Bedrock takes the TTLs `5m` and `1h` (`CachePointBlock.ttl`), no other.
fn cache_point(ttl: Option<&str>, warnings: &mut Vec<Warning>) -> Value {
    match ttl {
        Some(t @ ("5m" | "1h")) => json!({"cachePoint": {"type": "default", "ttl": t}}),
        Some(_) => {
            warnings.push(Warning::unsupported("cache breakpoint ttl", "Bedrock"));
            json!({"cachePoint": {"type": "default"}})
        }
        None => json!({"cachePoint": {"type": "default"}}),
    }
}

fn tool_result(r: &ToolResult, warnings: &mut Vec<Warning>) -> Value {
    let content: Vec<Value> = r
        .content
        .iter()
        .filter_map(|p| match p {
            Part::Text { text } => Some(json!({ "text": text })),
            Part::Image {
                source, media_type, ..
            } => media_block("image", source, media_type.as_deref(), None),
            other => {
                warnings.push(dropped(other, "a Bedrock tool result"));
                None
            }
        })
        .collect();
    let mut v = json!({"toolUseId": r.call_id, "content": content});
    if r.is_error {
        v["status"] = "error".into();
    }
    json!({ "toolResult": v })
}

/// Bedrock document names allow letters, digits, single spaces, hyphens, parentheses and
/// square brackets; anything else becomes a hyphen.
fn document_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        let keep = c.is_ascii_alphanumeric() || matches!(c, '-' | '(' | ')' | '[' | ']');
        if keep {
            out.push(c);
        } else if c.is_whitespace() && !out.ends_with(' ') {
            out.push(' ');
        } else if !c.is_whitespace() {
            out.push('-');
        }
    }
    let out = out.trim().to_owned();
    if out.is_empty() {
        "document".into()
    } else {
        out
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireResponse {
    #[serde(default)]
    output: Option<Value>,
    #[serde(default)]
    stop_reason: Option<String>,
    #[serde(default)]
    usage: Option<Value>,
    #[serde(default)]
    metrics: Option<Value>,
    #[serde(default)]
    additional_model_response_fields: Option<Value>,
    #[serde(default)]
    trace: Option<Value>,
}

mod stream;
use stream::BedrockStreamDecoder;

#[cfg(test)]
mod tests;
