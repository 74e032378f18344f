//! OpenAI Chat Completions, the API most providers copy. One codec serves OpenAI, Groq, xAI,
//! Mistral, Perplexity, DeepSeek, OpenRouter, Together, Fireworks, DeepInfra, LM Studio, vLLM
//! and any compatible server; their differences are [`Quirks`] flags and the decoder's
//! tolerance for each one's extras (`reasoning_content`, `reasoning`, Mistral and Databricks
//! content lists, `x_groq.usage`, Perplexity citations, usage chunks with no choices). Cited sources (url
//! annotations, Perplexity search results) also become the canonical citation list.

use super::citations;
use super::common;
use super::decode::{parse_raw, Count};
use super::openai_media as media;
use super::{Api, Codec, Encoded, Endpoint, StreamDecoder};
use crate::error::Result;
use crate::types::{
    Alternative, AudioPart, ChatRequest, ChatResponse, EmbedRequest, EmbedResponse, FinishKind,
    FinishReason, ImageRequest, ImageResponse, ModerationRequest, ModerationResponse, Part,
    RawJson, RerankRequest, RerankResponse, SpeechRequest, SpeechResponse, StreamEvent, ToolCall,
    TranscriptFormat, Transcription, TranscriptionRequest, Usage, UsageDetails,
};
use crate::wire::errors::response_error;
use crate::wire::Frame;
use crate::Collector;
use bytes::Bytes;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;
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
        request::encode(req, model, ep, stream)
    }

    fn decode(&self, body: &[u8]) -> Result<ChatResponse> {
        let mut resp: Completion = common::parse(body, "chat completion")?;
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
        if let Some(tier) = resp.service_tier.take().filter(|t| !t.is_empty()) {
            c.push(StreamEvent::ServiceTier(tier.into_owned()));
        }
        let mut choices = resp.choices.into_iter().flatten();
        if let Some(choice) = choices.next() {
            if let Some(m) = choice.message {
                push_message(&mut c, m);
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
        // The other choices (`n` > 1), each folded on its own.
        for (pos, choice) in (1u32..).zip(choices) {
            let mut alt = Collector::new();
            if let Some(m) = choice.message {
                push_message(&mut alt, m);
            }
            if let Some(f) = choice.finish_reason {
                alt.push(StreamEvent::Finish(finish_reason(&f)));
            }
            c.push(alternative(choice.index.unwrap_or(pos), alt));
        }
        perplexity_citations(&meta).for_each(|e| c.push(e));
        for (k, v) in META_KEYS.iter().zip(meta) {
            if let Some(v) = v {
                c.push(StreamEvent::Metadata {
                    key: (*k).into(),
                    value: v,
                });
            }
        }
        if let Some(u) = usage_raw {
            c.push(StreamEvent::usage(usage(u)));
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

    // The endpoints below are OpenAI's, also served by hosts copying them (`/rerank` is
    // Jina's, served by Voyage, Together and others); each delegates to its own codec file.

    fn encode_rerank(&self, req: &RerankRequest, model: &str, ep: &Endpoint) -> Result<Encoded> {
        super::retrieval::rerank::encode(req, model, ep)
    }

    fn decode_rerank(&self, body: &[u8]) -> Result<RerankResponse> {
        super::retrieval::rerank::decode(body)
    }

    fn encode_image(&self, req: &ImageRequest, model: &str, ep: &Endpoint) -> Result<Encoded> {
        media::images::encode(req, model, ep)
    }

    fn decode_image(&self, body: &[u8]) -> Result<ImageResponse> {
        media::images::decode(body)
    }

    fn encode_transcription(
        &self,
        req: &TranscriptionRequest,
        model: &str,
        ep: &Endpoint,
    ) -> Result<Encoded> {
        media::transcribe::encode(req, model, ep)
    }

    fn decode_transcription(
        &self,
        body: &[u8],
        format: Option<TranscriptFormat>,
    ) -> Result<Transcription> {
        media::transcribe::decode(body, format)
    }

    fn encode_speech(&self, req: &SpeechRequest, model: &str, ep: &Endpoint) -> Result<Encoded> {
        media::speech::encode(req, model, ep)
    }

    fn decode_speech(&self, body: Bytes, content_type: Option<&str>) -> Result<SpeechResponse> {
        media::speech::decode(body, content_type)
    }

    fn encode_moderation(
        &self,
        req: &ModerationRequest,
        model: &str,
        ep: &Endpoint,
    ) -> Result<Encoded> {
        media::moderation::encode(req, model, ep)
    }

    fn decode_moderation(&self, body: &[u8]) -> Result<ModerationResponse> {
        media::moderation::decode(body)
    }
}

/// Perplexity's sources, from the [`META_KEYS`] values: `search_results` (url and title)
/// first, then the bare urls of `citations`.
fn perplexity_citations(meta: &[Option<Value>; 5]) -> impl Iterator<Item = StreamEvent> + '_ {
    citations::events(meta[1].as_ref()).chain(citations::events(meta[0].as_ref()))
}

/// Maps a Chat Completions finish reason.
pub(crate) fn finish_reason(raw: &str) -> FinishReason {
    let kind = match raw {
        // Together ends a natural stop with `eos` (end of sequence).
        "stop" | "eos" => FinishKind::Stop,
        "length" => FinishKind::Length,
        "tool_calls" | "function_call" => FinishKind::ToolCalls,
        "content_filter" => FinishKind::ContentFilter,
        // OpenRouter ends a choice that failed mid-generation with `error`.
        "error" => FinishKind::Error,
        _ => FinishKind::Other,
    };
    FinishReason::new(kind, raw)
}

/// Maps a Chat Completions usage object, kept as sent. When `total_tokens` shows reasoning
/// tokens counted outside `completion_tokens` (xAI), they are added to the output. Counts
/// that are not whole numbers are unknown; an object of another shape keeps only its text.
pub(crate) fn usage(raw: RawJson) -> Usage {
    let w: WireUsage = raw.parse().unwrap_or_default();
    let input = w.prompt_tokens.0;
    let completion = w.completion_tokens.0;
    let detail = |d: &Option<Details>, f: fn(&Details) -> Count| d.as_ref().and_then(|d| f(d).0);
    let reasoning = detail(&w.completion_tokens_details, |d| d.reasoning_tokens);
    let output = match (input, completion, reasoning, w.total_tokens.0) {
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
        cache_read_tokens: detail(&w.prompt_tokens_details, |d| d.cached_tokens)
            .or(w.prompt_cache_hit_tokens.0),
        cache_write_tokens: None,
        reasoning_tokens: reasoning,
        details: UsageDetails {
            audio_input_tokens: detail(&w.prompt_tokens_details, |d| d.audio_tokens),
            audio_output_tokens: detail(&w.completion_tokens_details, |d| d.audio_tokens),
            accepted_prediction_tokens: detail(&w.completion_tokens_details, |d| {
                d.accepted_prediction_tokens
            }),
            rejected_prediction_tokens: detail(&w.completion_tokens_details, |d| {
                d.rejected_prediction_tokens
            }),
            image_output_tokens: None,
        },
        raw: Some(raw),
    }
}

/// The counts of a usage object that [`usage`] reads.
#[derive(Deserialize, Default)]
struct WireUsage {
    #[serde(default)]
    prompt_tokens: Count,
    #[serde(default)]
    completion_tokens: Count,
    #[serde(default)]
    total_tokens: Count,
    /// DeepSeek's cache hits.
    #[serde(default)]
    prompt_cache_hit_tokens: Count,
    #[serde(default)]
    prompt_tokens_details: Option<Details>,
    #[serde(default)]
    completion_tokens_details: Option<Details>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Details {
    cached_tokens: Count,
    reasoning_tokens: Count,
    audio_tokens: Count,
    accepted_prediction_tokens: Count,
    rejected_prediction_tokens: Count,
}

/// A whole message's parts: reasoning, content, refusal, cited sources, tool calls.
fn push_message(c: &mut Collector, m: ChoiceMessage) {
    push_reasoning(c, m.reasoning_content.or(m.reasoning));
    if let Some(content) = m.content {
        push_content(c, content);
    }
    if let Some(r) = m.refusal {
        c.push(StreamEvent::RefusalDelta(r));
    }
    if let Some(a) = m.audio {
        c.push(StreamEvent::Media(Part::Audio(a.into_part())));
    }
    citations::events(m.annotations.as_deref()).for_each(|e| c.push(e));
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

/// The event carrying another choice, from what its collector gathered.
fn alternative(index: u32, choice: Collector) -> StreamEvent {
    let r = choice.finish();
    StreamEvent::Alternative(Alternative {
        index,
        content: r.content,
        finish: r.finish,
    })
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
                    "reasoning" => push_reasoning(c, Some(thinking_text(p.summary))),
                    _ => {}
                }
            }
        }
    }
}

/// Mistral's `thinking` value (or Databricks' reasoning `summary`): a string or a list of
/// `{"type": "text", "text"}` chunks.
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
    /// `null` is taken as none.
    #[serde(default = "Option::default")]
    choices: Option<Vec<C>>,
    #[serde(default, borrow)]
    usage: Option<&'a RawValue>,
    /// Groq streams put usage here.
    #[serde(default, borrow)]
    x_groq: Option<XGroq<'a>>,
    /// Boxed: rare, and inline it made every chunk's envelope larger to move.
    #[serde(default)]
    error: Option<Box<Value>>,
    /// The tier that served the request (OpenAI, Groq); streams repeat it in every chunk.
    #[serde(default, borrow)]
    service_tier: Option<Cow<'a, str>>,
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
struct XGroq<'a> {
    #[serde(default, borrow)]
    usage: Option<&'a RawValue>,
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
    fn take_usage(&mut self) -> Option<RawJson> {
        let present = |u: &&RawValue| u.get() != "null";
        let top = self.usage.take().filter(present);
        top.or_else(|| self.x_groq.take().and_then(|x| x.usage))
            .filter(present)
            .map(RawJson::from_raw)
    }
}

type Completion<'a> = Envelope<'a, Choice>;

#[derive(Deserialize)]
struct Choice {
    #[serde(default)]
    index: Option<u32>,
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
    /// `url_citation` annotations (web search).
    /// Boxed: rare, and a `Value` inline made every delta of every stream larger to move.
    #[serde(default)]
    annotations: Option<Box<Value>>,
    /// A spoken answer (audio models), or a piece of one in a stream. Boxed as rare.
    #[serde(default)]
    audio: Option<Box<WireAudio>>,
}

/// `message.audio` / `delta.audio`: `{id, data, transcript, expires_at}`, each optional in a
/// delta.
#[derive(Deserialize, Default)]
struct WireAudio {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    data: Option<String>,
    #[serde(default)]
    transcript: Option<String>,
    #[serde(default)]
    expires_at: Option<u64>,
}

impl WireAudio {
    fn into_part(self) -> AudioPart {
        AudioPart {
            data: self.data.unwrap_or_default(),
            format: None,
            transcript: self.transcript,
            id: self.id,
            expires_at: self.expires_at,
        }
    }
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
    /// Databricks' `reasoning` parts: `[{"type": "summary_text", "text"}]`.
    #[serde(default)]
    summary: Option<Value>,
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

mod request;
mod stream;
use stream::ChatStreamDecoder;

#[cfg(test)]
mod tests;
