//! OpenAI Chat Completions, the API most providers copy. One codec serves OpenAI, Groq, xAI,
//! Mistral, Perplexity, DeepSeek, OpenRouter, Together, Fireworks, DeepInfra, LM Studio, vLLM
//! and any compatible server; their differences are [`Quirks`] flags and the decoder's
//! tolerance for each one's extras (`reasoning_content`, `reasoning`, Mistral content lists,
//! `x_groq.usage`, Perplexity citations, usage chunks with no choices).

use super::encode::{dropped, function_tools};
use super::errors::response_error;
use super::wire::{self, data_url, merge_options, put};
use super::{Api, Codec, Encoded, Endpoint, Quirks, StreamDecoder};
use crate::error::{Error, ErrorKind, Result};
use crate::transport::Frame;
use crate::types::{
    ChatRequest, ChatResponse, EmbedRequest, EmbedResponse, FinishKind, FinishReason, JsonMap,
    MediaSource, Message, Part, ResponseFormat, Role, StreamEvent, ToolCall, ToolChoice, Usage,
    Warning,
};
use crate::Collector;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{json, Value};
use std::borrow::Cow;

/// The Chat Completions codec.
#[derive(Debug, Clone, Copy, Default)]
pub struct OpenAiChatCodec;

/// Metadata keys copied from responses and chunks into `provider_meta`.
const META_KEYS: [&str; 5] = [
    "citations",
    "search_results",
    "related_questions",
    "images",
    "system_fingerprint",
];

impl Codec for OpenAiChatCodec {
    fn api(&self) -> Api {
        Api::OpenAiChat
    }

    fn encode(
        &self,
        req: &ChatRequest,
        model: &str,
        ep: &Endpoint,
        stream: bool,
    ) -> Result<Encoded> {
        let mut warnings = Vec::new();
        let q = ep.quirks;
        let mut body = JsonMap::new();
        body.insert("model".into(), model.into());
        body.insert(
            "messages".into(),
            Value::Array(encode_messages(&req.messages, q, &mut warnings)),
        );
        if !req.tools.is_empty() {
            body.insert("tools".into(), function_tools(&req.tools, true));
        }
        if let Some(c) = &req.tool_choice {
            body.insert(
                "tool_choice".into(),
                match c {
                    ToolChoice::Auto => "auto".into(),
                    ToolChoice::None => "none".into(),
                    ToolChoice::Required => "required".into(),
                    ToolChoice::Tool(name) => {
                        json!({"type": "function", "function": {"name": name}})
                    }
                },
            );
        }
        put(&mut body, "parallel_tool_calls", req.parallel_tool_calls);
        put(&mut body, "temperature", req.temperature);
        put(&mut body, "top_p", req.top_p);
        if req.top_k.is_some() {
            if q.top_k {
                put(&mut body, "top_k", req.top_k);
            } else {
                warnings.push(Warning::unsupported("top_k", &ep.provider));
            }
        }
        let max_key = if q.max_completion_tokens {
            "max_completion_tokens"
        } else {
            "max_tokens"
        };
        put(&mut body, max_key, req.max_tokens);
        if !req.stop.is_empty() {
            body.insert("stop".into(), json!(req.stop));
        }
        put(&mut body, "seed", req.seed);
        put(&mut body, "n", req.n);
        put(&mut body, "frequency_penalty", req.frequency_penalty);
        put(&mut body, "presence_penalty", req.presence_penalty);
        put(&mut body, "service_tier", req.service_tier.clone());
        put(&mut body, "user", req.user.clone());
        put(&mut body, "logprobs", req.logprobs);
        put(&mut body, "top_logprobs", req.top_logprobs);
        if let Some(f) = &req.response_format {
            body.insert("response_format".into(), response_format(f));
        }
        if let Some(r) = &req.reasoning {
            match (r.effort, q.reasoning_effort) {
                (Some(e), true) => {
                    body.insert("reasoning_effort".into(), e.as_str().into());
                }
                (Some(_), false) => {
                    warnings.push(Warning::unsupported("reasoning.effort", &ep.provider))
                }
                (None, _) => {}
            }
            if r.budget_tokens.is_some() {
                warnings.push(Warning::unsupported(
                    "reasoning.budget_tokens",
                    &ep.provider,
                ));
            }
            if r.summary.is_some() {
                warnings.push(Warning::unsupported("reasoning.summary", &ep.provider));
            }
        }
        if stream {
            body.insert("stream".into(), true.into());
            if q.stream_usage {
                body.insert("stream_options".into(), json!({"include_usage": true}));
            }
        }
        merge_options(&mut body, &req.provider_options);
        let path = if q.deployment_path {
            body.remove("model");
            format!("/deployments/{model}/chat/completions")
        } else {
            "/chat/completions".to_owned()
        };
        let request = wire::post_json(ep, &path, &Value::Object(body), stream)?;
        Ok(Encoded { request, warnings })
    }

    fn decode(&self, body: &[u8]) -> Result<ChatResponse> {
        let mut resp: Completion = wire::parse(body, "chat completion")?;
        let meta = resp.raw_meta().map(|m| m.and_then(parse_raw));
        let usage_raw = resp.take_usage();
        let mut c = Collector::new();
        c.push(StreamEvent::Start {
            id: resp.id.take().map(Cow::into_owned),
            model: resp.model.take().map(Cow::into_owned),
        });
        if let Some(e) = resp.error {
            c.push(StreamEvent::Error(response_error(&e)));
        }
        if let Some(choice) = resp.choices.into_iter().next() {
            if let Some(m) = choice.message {
                push_reasoning(&mut c, m.reasoning_content.or(m.reasoning));
                if let Some(content) = m.content {
                    push_content(&mut c, content);
                }
                if let Some(r) = m.refusal {
                    c.push(StreamEvent::RefusalDelta(r));
                }
                for call in m.tool_calls.unwrap_or_default() {
                    let f = call.function.unwrap_or_default();
                    c.push(StreamEvent::ToolCall(ToolCall {
                        id: call.id.unwrap_or_default(),
                        name: f.name.unwrap_or_default(),
                        arguments: ToolCall::parse_arguments(&args_text(f.arguments)),
                        provider_meta: None,
                    }));
                }
            }
            if let Some(lp) = choice.logprobs.and_then(|l| l.get("content").cloned()) {
                c.push(StreamEvent::Metadata {
                    key: "logprobs".into(),
                    value: lp,
                });
            }
            if let Some(f) = choice.finish_reason {
                c.push(StreamEvent::Finish(finish_reason(&f)));
            }
        }
        for (k, v) in META_KEYS.iter().zip(meta) {
            if let Some(v) = v {
                c.push(StreamEvent::Metadata {
                    key: (*k).into(),
                    value: v,
                });
            }
        }
        if let Some(u) = usage_raw {
            c.push(StreamEvent::Usage(usage(u)));
        }
        Ok(c.finish())
    }

    fn stream_decoder(&self) -> Box<dyn StreamDecoder> {
        Box::<ChatStreamDecoder>::default()
    }
    fn encode_embed(&self, req: &EmbedRequest, model: &str, ep: &Endpoint) -> Result<Encoded> {
        super::retrieval::openai::encode(req, model, ep)
    }

    fn decode_embed(&self, body: &[u8]) -> Result<EmbedResponse> {
        super::retrieval::openai::decode(body)
    }
}

fn encode_messages(messages: &[Message], q: Quirks, warnings: &mut Vec<Warning>) -> Vec<Value> {
    let mut out = Vec::with_capacity(messages.len());
    for m in messages {
        match m.role {
            Role::System | Role::Developer => {
                let role = if m.role == Role::Developer && q.developer_role {
                    "developer"
                } else {
                    "system"
                };
                out.push(json!({"role": role, "content": m.text()}));
            }
            Role::User | Role::Tool => {
                let mut parts = Vec::new();
                for p in &m.content {
                    match p {
                        Part::ToolResult(r) => out.push(json!({
                            "role": "tool",
                            "tool_call_id": r.call_id,
                            "content": r.text_content(),
                        })),
                        Part::CacheBreakpoint(_) => {}
                        other => {
                            if let Some(v) = user_part(other, warnings) {
                                parts.push(v);
                            }
                        }
                    }
                }
                if parts.is_empty() {
                    continue;
                }
                let content = match parts.as_slice() {
                    [one] if one["type"] == "text" => one["text"].clone(),
                    _ => Value::Array(parts),
                };
                let mut msg = json!({"role": "user", "content": content});
                if let Some(n) = &m.name {
                    msg["name"] = n.as_str().into();
                }
                out.push(msg);
            }
            Role::Assistant => out.push(assistant_message(m)),
        }
    }
    out
}

fn user_part(p: &Part, warnings: &mut Vec<Warning>) -> Option<Value> {
    Some(match p {
        Part::Text { text } => json!({"type": "text", "text": text}),
        Part::Image {
            source,
            media_type,
            detail,
        } => {
            let url = match source {
                MediaSource::Url(u) => u.clone(),
                MediaSource::Base64(d) => data_url(media_type.as_deref(), d),
                MediaSource::FileId(id) => {
                    return Some(json!({"type": "file", "file": {"file_id": id}}))
                }
            };
            let mut image = json!({"url": url});
            if let Some(d) = detail {
                image["detail"] = d.as_str().into();
            }
            json!({"type": "image_url", "image_url": image})
        }
        Part::File {
            source,
            media_type,
            filename,
        } => {
            let mut file = match source {
                MediaSource::Base64(d) => json!({"file_data": data_url(media_type.as_deref(), d)}),
                MediaSource::FileId(id) => json!({"file_id": id}),
                MediaSource::Url(u) if crate::media::parse_data_url(u).is_some() => {
                    json!({"file_data": u})
                }
                MediaSource::Url(_) => {
                    warnings.push(Warning {
                        setting: Some("file".into()),
                        message: "Chat Completions takes files as data or file ids, not URLs; the file was not sent".into(),
                    });
                    return None;
                }
            };
            if let Some(f) = filename {
                file["filename"] = f.as_str().into();
            }
            json!({"type": "file", "file": file})
        }
        other => {
            warnings.push(dropped(other, "a Chat Completions user message"));
            return None;
        }
    })
}

fn assistant_message(m: &Message) -> Value {
    let mut text = String::new();
    let mut calls = Vec::new();
    let mut refusal = None;
    for p in &m.content {
        match p {
            Part::Text { text: t } => text.push_str(t),
            Part::Refusal { text: t } => refusal = Some(t.clone()),
            Part::ToolCall(c) => calls.push(json!({
                "id": c.id,
                "type": "function",
                "function": {"name": c.name, "arguments": c.arguments_text()},
            })),
            // Reasoning and provider-run items of other APIs have no place in this format.
            _ => {}
        }
    }
    let mut msg = json!({"role": "assistant"});
    msg["content"] = if text.is_empty() && !calls.is_empty() {
        Value::Null
    } else {
        text.into()
    };
    if !calls.is_empty() {
        msg["tool_calls"] = Value::Array(calls);
    }
    if let Some(r) = refusal {
        msg["refusal"] = r.into();
    }
    msg
}

fn response_format(f: &ResponseFormat) -> Value {
    match f {
        ResponseFormat::Text => json!({"type": "text"}),
        ResponseFormat::JsonObject => json!({"type": "json_object"}),
        ResponseFormat::JsonSchema {
            name,
            schema,
            description,
            strict,
        } => {
            let mut s = json!({"name": name, "schema": schema});
            if let Some(d) = description {
                s["description"] = d.as_str().into();
            }
            if let Some(st) = strict {
                s["strict"] = (*st).into();
            }
            json!({"type": "json_schema", "json_schema": s})
        }
    }
}

/// Maps a Chat Completions finish reason.
pub(crate) fn finish_reason(raw: &str) -> FinishReason {
    let kind = match raw {
        "stop" => FinishKind::Stop,
        "length" => FinishKind::Length,
        "tool_calls" | "function_call" => FinishKind::ToolCalls,
        "content_filter" => FinishKind::ContentFilter,
        // OpenRouter ends a choice that failed mid-generation with `error`.
        "error" => FinishKind::Error,
        _ => FinishKind::Other,
    };
    FinishReason::new(kind, raw)
}

/// Maps a Chat Completions usage object. When `total_tokens` shows reasoning tokens counted
/// outside `completion_tokens` (xAI), they are added to the output.
pub(crate) fn usage(raw: Value) -> Usage {
    let n = |v: &Value, path: &[&str]| {
        path.iter()
            .try_fold(v, |v, k| v.get(k))
            .and_then(Value::as_u64)
    };
    let input = n(&raw, &["prompt_tokens"]);
    let completion = n(&raw, &["completion_tokens"]);
    let reasoning = n(&raw, &["completion_tokens_details", "reasoning_tokens"]);
    let total = n(&raw, &["total_tokens"]);
    let output = match (input, completion, reasoning, total) {
        (Some(i), Some(c), Some(r), Some(t))
            if r > 0 && i.checked_add(c).and_then(|x| x.checked_add(r)) == Some(t) =>
        {
            Some(c.saturating_add(r))
        }
        _ => completion,
    };
    Usage {
        input_tokens: input,
        output_tokens: output,
        cache_read_tokens: n(&raw, &["prompt_tokens_details", "cached_tokens"])
            .or_else(|| n(&raw, &["prompt_cache_hit_tokens"])),
        cache_write_tokens: None,
        reasoning_tokens: reasoning,
        raw: Some(raw),
    }
}

fn push_reasoning(c: &mut Collector, text: Option<String>) {
    if let Some(t) = text.filter(|t| !t.is_empty()) {
        c.push(StreamEvent::ReasoningDelta(t));
    }
}

fn push_content(c: &mut Collector, content: Content) {
    match content {
        Content::Text(t) => c.push(StreamEvent::TextDelta(t)),
        Content::Parts(parts) => {
            for p in parts {
                match p.kind.as_str() {
                    "text" => c.push(StreamEvent::TextDelta(p.text.unwrap_or_default())),
                    "thinking" => push_reasoning(c, Some(thinking_text(p.thinking))),
                    _ => {}
                }
            }
        }
    }
}

/// Mistral's `thinking` value: a string or a list of `{"type": "text", "text"}` chunks.
fn thinking_text(v: Option<Value>) -> String {
    match v {
        Some(Value::String(s)) => s,
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|i| i.get("text").and_then(Value::as_str))
            .collect(),
        _ => String::new(),
    }
}

fn args_text(v: Option<Value>) -> String {
    match v {
        Some(Value::String(s)) => s,
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

/// A whole completion (`C` = [`Choice`]) or a stream chunk (`C` = `stream::ChunkChoice`).
/// The metadata fields are listed here rather than in a `#[serde(flatten)]` struct: flatten
/// makes serde buffer every field through its private `Content` tree, which profiled as the
/// largest cost of decoding a chunk.
#[derive(Deserialize)]
struct Envelope<'a, C> {
    /// Borrowed: a stream repeats id and model in every chunk, and only the first is kept.
    #[serde(default, borrow)]
    id: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    model: Option<Cow<'a, str>>,
    #[serde(default = "Vec::new")]
    choices: Vec<C>,
    #[serde(default)]
    usage: Option<Value>,
    /// Groq streams put usage here.
    #[serde(default)]
    x_groq: Option<XGroq>,
    #[serde(default)]
    error: Option<Value>,
    /// The [`META_KEYS`] fields, unparsed: streams repeat them in every chunk, so they are
    /// parsed only when they change.
    #[serde(default, borrow)]
    citations: Option<&'a RawValue>,
    #[serde(default, borrow)]
    search_results: Option<&'a RawValue>,
    #[serde(default, borrow)]
    related_questions: Option<&'a RawValue>,
    #[serde(default, borrow)]
    images: Option<&'a RawValue>,
    #[serde(default, borrow)]
    system_fingerprint: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct XGroq {
    #[serde(default)]
    usage: Option<Value>,
}

impl<'a, C> Envelope<'a, C> {
    /// The fields named in [`META_KEYS`], in that order, unparsed, nulls dropped.
    fn raw_meta(&self) -> [Option<&'a RawValue>; 5] {
        [
            self.citations,
            self.search_results,
            self.related_questions,
            self.images,
            self.system_fingerprint,
        ]
        .map(|v| v.filter(|v| v.get() != "null"))
    }

    /// The usage object, top-level or Groq's.
    fn take_usage(&mut self) -> Option<Value> {
        self.usage
            .take()
            .filter(|u| !u.is_null())
            .or_else(|| self.x_groq.take().and_then(|x| x.usage))
            .filter(|u| !u.is_null())
    }
}

/// A raw JSON value as a [`Value`] (it was valid JSON when it was read).
fn parse_raw(raw: &RawValue) -> Option<Value> {
    serde_json::from_str(raw.get()).ok()
}

type Completion<'a> = Envelope<'a, Choice>;

#[derive(Deserialize)]
struct Choice {
    #[serde(default)]
    message: Option<ChoiceMessage>,
    #[serde(default)]
    finish_reason: Option<String>,
    #[serde(default)]
    logprobs: Option<Value>,
}

#[derive(Deserialize, Default)]
struct ChoiceMessage {
    #[serde(default)]
    content: Option<Content>,
    #[serde(default)]
    reasoning_content: Option<String>,
    #[serde(default)]
    reasoning: Option<String>,
    #[serde(default)]
    refusal: Option<String>,
    #[serde(default)]
    tool_calls: Option<Vec<WireToolCall>>,
}

/// `content`: a string or a list of parts. Deserialised by hand: `#[serde(untagged)]` would
/// buffer every value before trying each form.
enum Content {
    Text(String),
    Parts(Vec<ContentPart>),
}

impl<'de> Deserialize<'de> for Content {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Content;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string or a list of content parts")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> std::result::Result<Content, E> {
                Ok(Content::Text(v.to_owned()))
            }
            fn visit_string<E: serde::de::Error>(
                self,
                v: String,
            ) -> std::result::Result<Content, E> {
                Ok(Content::Text(v))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                seq: A,
            ) -> std::result::Result<Content, A::Error> {
                Deserialize::deserialize(serde::de::value::SeqAccessDeserializer::new(seq))
                    .map(Content::Parts)
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Deserialize)]
struct ContentPart {
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    thinking: Option<Value>,
}

#[derive(Deserialize, Default)]
struct WireToolCall {
    #[serde(default)]
    index: Option<u32>,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    function: Option<WireFunction>,
}

#[derive(Deserialize, Default)]
struct WireFunction {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    arguments: Option<Value>,
}

mod stream;
use stream::ChatStreamDecoder;

#[cfg(test)]
mod tests;
