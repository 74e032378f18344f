//! Decoding Gemini responses and stream chunks. Typed and borrowing: a part is read field by
//! field (a `Value` tree is built only for parts other than text, thoughts and function
//! calls), metadata and usage are kept as raw text and parsed only when they change — Gemini
//! repeats `usageMetadata` and `safetyRatings` in every chunk, so parsing them again for
//! each chunk would be most of the work.

use super::super::citations;
use super::super::common;
use super::super::decode::{ended, Count, Latest};
use super::super::StreamDecoder;
use super::{finish_reason, API};
use crate::error::Result;
use crate::types::{
    Alternative, AudioPart, FinishKind, FinishReason, JsonMap, MediaSource, Part, ProviderItem,
    RawJson, StreamEvent, ToolCall, Usage, UsageDetails,
};
use crate::wire::errors::response_error;
use crate::wire::Frame;
use crate::Collector;
use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;
use serde_json::{json, Value};
use std::borrow::Cow;

/// Candidate fields kept in `provider_meta` (the latest chunk's value counts).
const META_KEYS: [&str; 4] = [
    "groundingMetadata",
    "safetyRatings",
    "citationMetadata",
    "urlContextMetadata",
];

/// Input is prompt + tool-use prompt tokens (cached ones are inside the prompt count);
/// output is candidates + thoughts.
pub(super) fn usage(raw: RawJson) -> Usage {
    #[derive(Deserialize, Default)]
    #[serde(rename_all = "camelCase", default)]
    struct W {
        prompt_token_count: Count,
        tool_use_prompt_token_count: Count,
        candidates_token_count: Count,
        thoughts_token_count: Count,
        cached_content_token_count: Count,
        /// Per-modality counts, read leniently (any shape parses).
        prompt_tokens_details: Value,
        candidates_tokens_details: Value,
    }
    let w: W = raw.parse().unwrap_or_default();
    // `[{"modality": "AUDIO", "tokenCount": n}, ...]`
    let modality = |details: &Value, name: &str| {
        let d = details.as_array()?.iter().find(|d| d["modality"] == name)?;
        d.get("tokenCount")?.as_u64()
    };
    let sum = |a: Count, b: Count| Usage::sum_known(&[a.0, b.0]);
    Usage {
        input_tokens: sum(w.prompt_token_count, w.tool_use_prompt_token_count),
        output_tokens: sum(w.candidates_token_count, w.thoughts_token_count),
        cache_read_tokens: w.cached_content_token_count.0,
        cache_write_tokens: None,
        reasoning_tokens: w.thoughts_token_count.0,
        details: UsageDetails {
            audio_input_tokens: modality(&w.prompt_tokens_details, "AUDIO"),
            audio_output_tokens: modality(&w.candidates_tokens_details, "AUDIO"),
            image_output_tokens: modality(&w.candidates_tokens_details, "IMAGE"),
            ..Default::default()
        },
        raw: Some(raw),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireChunk<'a> {
    #[serde(default, borrow)]
    candidates: Vec<Candidate<'a>>,
    #[serde(default, borrow)]
    usage_metadata: Option<&'a RawValue>,
    #[serde(default, borrow)]
    model_version: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    response_id: Option<Cow<'a, str>>,
    #[serde(default)]
    prompt_feedback: Option<Value>,
    #[serde(default)]
    error: Option<Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Candidate<'a> {
    #[serde(default)]
    index: u32,
    #[serde(default)]
    content: Option<Content>,
    #[serde(default)]
    finish_reason: Option<String>,
    #[serde(default, borrow)]
    grounding_metadata: Option<&'a RawValue>,
    #[serde(default, borrow)]
    safety_ratings: Option<&'a RawValue>,
    #[serde(default, borrow)]
    citation_metadata: Option<&'a RawValue>,
    #[serde(default, borrow)]
    url_context_metadata: Option<&'a RawValue>,
}

impl<'a> Candidate<'a> {
    /// The [`META_KEYS`] fields, in that order.
    fn meta(&self) -> [Option<&'a RawValue>; 4] {
        [
            self.grounding_metadata,
            self.safety_ratings,
            self.citation_metadata,
            self.url_context_metadata,
        ]
    }
}

#[derive(Deserialize)]
struct Content {
    #[serde(default)]
    parts: Vec<WirePart>,
}

/// One part, read field by field: text, thought flag and signature, function call, and any
/// other field (which makes it a provider item).
#[derive(Default)]
struct WirePart {
    text: Option<String>,
    thought: Option<bool>,
    signature: Option<String>,
    function_call: Option<Value>,
    /// Every other field, and the known ones when they had an unexpected type.
    other: JsonMap,
}

impl<'de> Deserialize<'de> for WirePart {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = WirePart;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a Gemini part object")
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<WirePart, A::Error> {
                let mut p = WirePart::default();
                while let Some(key) = map.next_key::<Cow<'de, str>>()? {
                    let v: Value = map.next_value()?;
                    match (key.as_ref(), v) {
                        ("text", Value::String(s)) => p.text = Some(s),
                        ("thought", Value::Bool(b)) => p.thought = Some(b),
                        ("thoughtSignature", Value::String(s)) => p.signature = Some(s),
                        ("functionCall", v) if v.is_object() => p.function_call = Some(v),
                        (_, v) => {
                            p.other.insert(key.into_owned(), v);
                        }
                    }
                }
                Ok(p)
            }
        }
        d.deserialize_map(V)
    }
}

impl WirePart {
    /// The part as the provider sent it, and its type (its first field other than the
    /// signature), for a provider item.
    fn into_raw(self) -> (String, Value) {
        let mut o = self.other;
        if let Some(t) = self.text {
            o.insert("text".into(), t.into());
        }
        if let Some(t) = self.thought {
            o.insert("thought".into(), t.into());
        }
        if let Some(s) = self.signature {
            o.insert("thoughtSignature".into(), s.into());
        }
        if let Some(c) = self.function_call {
            o.insert("functionCall".into(), c);
        }
        let kind = o.keys().find(|k| *k != "thoughtSignature").cloned();
        (kind.unwrap_or_default(), Value::Object(o))
    }
}

/// The media of an `inlineData` (`{mimeType, data}`) or `fileData` (`{mimeType, fileUri}`)
/// part the model answered with, taken out of the part's fields: images as image parts,
/// audio (speech models) as audio parts, anything else as a file.
fn media_part(fields: &mut JsonMap) -> Option<Part> {
    let (inline, key) = match (fields.get("inlineData"), fields.get("fileData")) {
        (Some(v), _) if v.is_object() => (true, "inlineData"),
        (_, Some(v)) if v.is_object() => (false, "fileData"),
        _ => return None,
    };
    let Some(Value::Object(mut m)) = fields.remove(key) else {
        return None;
    };
    let take = |m: &mut JsonMap, k: &str| match m.remove(k) {
        Some(Value::String(s)) => Some(s),
        _ => None,
    };
    let media_type = take(&mut m, "mimeType");
    let source = if inline {
        MediaSource::Base64(take(&mut m, "data").unwrap_or_default())
    } else {
        MediaSource::Url(take(&mut m, "fileUri").unwrap_or_default())
    };
    let kind = media_type.as_deref().unwrap_or("").to_ascii_lowercase();
    Some(match (kind.split('/').next(), source) {
        (Some("image"), source) => Part::Image {
            source,
            media_type,
            detail: None,
        },
        (Some("audio"), MediaSource::Base64(data)) => Part::Audio(AudioPart {
            data,
            format: media_type,
            ..Default::default()
        }),
        (_, source) => Part::File {
            source,
            media_type,
            filename: None,
        },
    })
}

#[derive(Default)]
pub(super) struct GeminiStreamDecoder {
    ids: common::CallIds,
    started: bool,
    finished: bool,
    /// The latest value of each [`META_KEYS`] field.
    meta: [Latest; 4],
    prompt_feedback: Option<Value>,
    usage: Option<RawJson>,
    /// The other candidates (`candidateCount` > 1) by index, each folded on its own.
    others: Vec<(u32, Collector)>,
}

impl GeminiStreamDecoder {
    pub(super) fn chunk(&mut self, data: &[u8], out: &mut Vec<StreamEvent>) -> Result<()> {
        let chunk: WireChunk = serde_json::from_slice(data)
            .map_err(|e| common::decode_error("Gemini response", data, e))?;
        if let Some(e) = chunk.error {
            self.finished = true;
            out.push(StreamEvent::Error(response_error(&json!({ "error": e }))));
            return Ok(());
        }
        if !self.started && (chunk.response_id.is_some() || chunk.model_version.is_some()) {
            self.started = true;
            out.push(StreamEvent::Start {
                id: chunk.response_id.map(Cow::into_owned),
                model: chunk.model_version.map(Cow::into_owned),
            });
        }
        if let Some(u) = chunk.usage_metadata.filter(|u| u.get() != "null") {
            if self.usage.as_ref().map(RawJson::get) != Some(u.get()) {
                self.usage = Some(RawJson::from_raw(u));
            }
        }
        if let Some(pf) = chunk.prompt_feedback {
            if let Some(reason) = pf.get("blockReason").and_then(Value::as_str) {
                self.finished = true;
                out.push(StreamEvent::Finish(FinishReason::new(
                    FinishKind::ContentFilter,
                    reason,
                )));
            }
            self.prompt_feedback = Some(pf);
        }
        for cand in chunk.candidates {
            if cand.index != 0 {
                self.other_candidate(cand);
                continue;
            }
            for ((key, slot), raw) in META_KEYS.iter().zip(&mut self.meta).zip(cand.meta()) {
                let new = slot.see(raw);
                // A stream may send grounding in several chunks: each new value's sources
                // are read; the collector keeps one entry per url.
                if let (&"groundingMetadata", Some(grounding)) = (key, new) {
                    out.extend(citations::gemini_grounding(grounding));
                }
            }
            for part in cand.content.map(|c| c.parts).unwrap_or_default() {
                self.part_events(part, out);
            }
            if let Some(r) = cand.finish_reason {
                self.finished = true;
                out.push(StreamEvent::Finish(finish_reason(&r)));
            }
        }
        Ok(())
    }

    /// Folds a candidate other than the first into that candidate's collector.
    fn other_candidate(&mut self, cand: Candidate<'_>) {
        let mut events = Vec::new();
        for part in cand.content.map(|c| c.parts).unwrap_or_default() {
            self.part_events(part, &mut events);
        }
        if let Some(r) = cand.finish_reason {
            events.push(StreamEvent::Finish(finish_reason(&r)));
        }
        let pos = match self.others.iter().position(|(i, _)| *i == cand.index) {
            Some(pos) => pos,
            None => {
                self.others.push((cand.index, Collector::new()));
                self.others.len() - 1
            }
        };
        let collector = &mut self.others[pos].1;
        events.into_iter().for_each(|e| collector.push(e));
    }

    pub(super) fn flush(&mut self, out: &mut Vec<StreamEvent>) {
        let mut others = std::mem::take(&mut self.others);
        others.sort_by_key(|(i, _)| *i);
        for (index, c) in others {
            let r = c.finish();
            out.push(StreamEvent::Alternative(Alternative {
                index,
                content: r.content,
                finish: r.finish,
            }));
        }
        // In key order, as one map of them.
        let mut meta: JsonMap = META_KEYS
            .iter()
            .zip(&mut self.meta)
            .filter_map(|(k, v)| Some(((*k).to_owned(), v.take()?)))
            .collect();
        if let Some(pf) = self.prompt_feedback.take() {
            meta.insert("promptFeedback".into(), pf);
        }
        for (key, value) in meta {
            out.push(StreamEvent::Metadata { key, value });
        }
        if let Some(u) = self.usage.take() {
            out.push(StreamEvent::usage(usage(u)));
        }
    }

    fn part_events(&mut self, mut part: WirePart, out: &mut Vec<StreamEvent>) {
        if part.thought != Some(true) {
            if let Some(media) = media_part(&mut part.other) {
                out.push(StreamEvent::Media(media));
                if part.signature.is_some() {
                    out.push(StreamEvent::ReasoningDone {
                        signature: part.signature,
                        encrypted: None,
                        id: None,
                    });
                }
                return;
            }
        }
        if part.function_call.is_none() && part.text.is_none() {
            let (item_type, raw) = part.into_raw();
            out.push(StreamEvent::ProviderItem(ProviderItem {
                api: API.into(),
                item_type,
                raw,
            }));
            return;
        }
        let signature = part.signature;
        if let Some(call) = part.function_call {
            out.push(StreamEvent::ToolCall(ToolCall {
                id: self.ids.next(call.get("id").and_then(Value::as_str)),
                name: common::str_at(&call, "name"),
                arguments: match call.get("args") {
                    None | Some(Value::Null) => json!({}),
                    Some(v) => v.clone(),
                },
                provider_meta: signature.map(|s| json!({ "thoughtSignature": s })),
            }));
            return;
        }
        let text = part.text.unwrap_or_default();
        if !text.is_empty() {
            out.push(if part.thought == Some(true) {
                StreamEvent::ReasoningDelta(text)
            } else {
                StreamEvent::TextDelta(text)
            });
        }
        if signature.is_some() {
            out.push(StreamEvent::ReasoningDone {
                signature,
                encrypted: None,
                id: None,
            });
        }
    }
}

impl StreamDecoder for GeminiStreamDecoder {
    fn decode(&mut self, frame: Frame<'_>, out: &mut Vec<StreamEvent>) -> Result<()> {
        let data = frame.data.trim_ascii();
        if data.is_empty() {
            return Ok(());
        }
        self.chunk(data, out)
    }

    fn finish(&mut self, out: &mut Vec<StreamEvent>) -> Result<()> {
        self.flush(out);
        ended(self.finished, "the stream ended before a finishReason")
    }
}
