//! Google Gemini `generateContent` / `streamGenerateContent?alt=sse` (AI Studio; Vertex AI uses
//! the same bodies at another URL). Parts are text (`thought: true` for reasoning), function
//! calls (no ids: exllm makes them up), inline or file data, and code execution parts the
//! provider runs itself. Thought signatures ride on any part and are kept so the conversation
//! can be sent back. Every stream chunk is a whole response object with partial candidates.

use super::encode::{args_object, dropped, push_turn, tool_name, warn_unsupported};
use super::wire::{self, merge_options, put};
use super::{Api, Codec, Encoded, Endpoint, ModelEntry, StreamDecoder};
use crate::error::{Error, ErrorKind, Result};
use crate::transport::Frame;
use crate::types::{
    ChatRequest, ChatResponse, FinishKind, FinishReason, JsonMap, MediaSource, Part, ProviderItem,
    ReasoningEffort, ResponseFormat, Role, StreamEvent, ToolCall, ToolChoice, Usage, Warning,
};
use crate::Collector;
use serde::Deserialize;
use serde_json::{json, Value};

/// The Gemini codec.
#[derive(Debug, Clone, Copy, Default)]
pub struct GeminiCodec;

const API: &str = "gemini";
/// Response fields kept in `provider_meta` (the latest chunk's value counts).
const META_KEYS: [&str; 5] = [
    "groundingMetadata",
    "safetyRatings",
    "citationMetadata",
    "urlContextMetadata",
    "promptFeedback",
];

impl Codec for GeminiCodec {
    fn api(&self) -> Api {
        Api::Gemini
    }

    fn encode(
        &self,
        req: &ChatRequest,
        model: &str,
        ep: &Endpoint,
        stream: bool,
    ) -> Result<Encoded> {
        let mut warnings = Vec::new();
        let mut body = JsonMap::new();
        let (system, contents) = encode_contents(req, &mut warnings);
        if !system.is_empty() {
            body.insert("systemInstruction".into(), json!({"parts": system}));
        }
        body.insert("contents".into(), Value::Array(contents));
        if !req.tools.is_empty() {
            let decls: Vec<Value> = req
                .tools
                .iter()
                .map(|t| {
                    let mut d = json!({"name": t.name, "parameters": t.parameters_or_empty()});
                    if let Some(desc) = &t.description {
                        d["description"] = desc.as_str().into();
                    }
                    d
                })
                .collect();
            body.insert("tools".into(), json!([{"functionDeclarations": decls}]));
        }
        if let Some(c) = &req.tool_choice {
            let cfg = match c {
                ToolChoice::Auto => json!({"mode": "AUTO"}),
                ToolChoice::None => json!({"mode": "NONE"}),
                ToolChoice::Required => json!({"mode": "ANY"}),
                ToolChoice::Tool(name) => json!({"mode": "ANY", "allowedFunctionNames": [name]}),
            };
            body.insert("toolConfig".into(), json!({"functionCallingConfig": cfg}));
        }
        let mut gen = JsonMap::new();
        put(&mut gen, "temperature", req.temperature);
        put(&mut gen, "topP", req.top_p);
        put(&mut gen, "topK", req.top_k);
        put(&mut gen, "maxOutputTokens", req.max_tokens);
        put(&mut gen, "seed", req.seed);
        put(&mut gen, "candidateCount", req.n);
        put(&mut gen, "frequencyPenalty", req.frequency_penalty);
        put(&mut gen, "presencePenalty", req.presence_penalty);
        put(&mut gen, "responseLogprobs", req.logprobs);
        put(&mut gen, "logprobs", req.top_logprobs);
        if !req.stop.is_empty() {
            gen.insert("stopSequences".into(), json!(req.stop));
        }
        match &req.response_format {
            Some(ResponseFormat::JsonObject) => {
                gen.insert("responseMimeType".into(), "application/json".into());
            }
            Some(ResponseFormat::JsonSchema { schema, .. }) => {
                gen.insert("responseMimeType".into(), "application/json".into());
                gen.insert("responseJsonSchema".into(), schema.clone());
            }
            _ => {}
        }
        if let Some(r) = &req.reasoning {
            let thinking = match (r.effort, r.budget_tokens) {
                (Some(ReasoningEffort::None), _) => json!({"thinkingBudget": 0}),
                (_, Some(b)) => json!({"thinkingBudget": b, "includeThoughts": true}),
                (Some(e), None) => {
                    json!({"thinkingBudget": e.budget_tokens(), "includeThoughts": true})
                }
                (None, None) => json!({"includeThoughts": true}),
            };
            gen.insert("thinkingConfig".into(), thinking);
        }
        if !gen.is_empty() {
            body.insert("generationConfig".into(), Value::Object(gen));
        }
        warn_unsupported(
            &mut warnings,
            &ep.provider,
            &[
                (req.parallel_tool_calls.is_some(), "parallel_tool_calls"),
                (req.service_tier.is_some(), "service_tier"),
                (req.user.is_some(), "user"),
            ],
        );
        merge_options(&mut body, &req.provider_options);
        let model = model.strip_prefix("models/").unwrap_or(model);
        let path = if stream {
            format!("/models/{model}:streamGenerateContent?alt=sse")
        } else {
            format!("/models/{model}:generateContent")
        };
        let request = wire::post_json(ep, &path, &Value::Object(body), stream)?;
        Ok(Encoded { request, warnings })
    }

    fn decode(&self, body: &[u8]) -> Result<ChatResponse> {
        let mut d = GeminiStreamDecoder::default();
        let mut events = Vec::new();
        d.chunk(body, &mut events)?;
        d.flush(&mut events);
        Ok(Collector::collect(events))
    }

    fn stream_decoder(&self) -> Box<dyn StreamDecoder> {
        Box::<GeminiStreamDecoder>::default()
    }

    fn encode_embed(
        &self,
        req: &crate::types::EmbedRequest,
        model: &str,
        ep: &Endpoint,
    ) -> Result<Encoded> {
        super::retrieval::gemini::encode(req, model, ep)
    }

    fn decode_embed(&self, body: &[u8]) -> Result<crate::types::EmbedResponse> {
        super::retrieval::gemini::decode(body)
    }

    fn embed_batch_limit(&self, _model: &str) -> usize {
        super::retrieval::gemini::BATCH_LIMIT
    }

    fn next_models_page(&self, body: &[u8]) -> Option<String> {
        let v: Value = serde_json::from_slice(body).ok()?;
        v.get("nextPageToken")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
    }

    fn list_models_page(&self, ep: &Endpoint, token: &str) -> Result<http::Request<bytes::Bytes>> {
        let token =
            percent_encoding::utf8_percent_encode(token, percent_encoding::NON_ALPHANUMERIC);
        wire::get(ep, &format!("/models?pageToken={token}"))
    }

    fn decode_models(&self, body: &[u8]) -> Result<Vec<ModelEntry>> {
        #[derive(Deserialize)]
        struct List {
            #[serde(default)]
            models: Vec<M>,
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct M {
            name: String,
            #[serde(default)]
            display_name: Option<String>,
        }
        let list: List = wire::parse(body, "Gemini model list")?;
        Ok(list
            .models
            .into_iter()
            .map(|m| ModelEntry {
                id: m.name.strip_prefix("models/").unwrap_or(&m.name).to_owned(),
                display_name: m.display_name,
                owned_by: Some("google".into()),
            })
            .collect())
    }
}

fn encode_contents(req: &ChatRequest, warnings: &mut Vec<Warning>) -> (Vec<Value>, Vec<Value>) {
    let mut system = Vec::new();
    let mut contents: Vec<Value> = Vec::new();
    for (i, m) in req.messages.iter().enumerate() {
        if matches!(m.role, Role::System | Role::Developer) {
            for p in &m.content {
                match p {
                    Part::Text { text } => system.push(json!({ "text": text })),
                    Part::CacheBreakpoint(_) => {}
                    other => warnings.push(dropped(other, "a Gemini system instruction")),
                }
            }
            continue;
        }
        let role = if m.role == Role::Assistant {
            "model"
        } else {
            "user"
        };
        let mut parts: Vec<Value> = Vec::new();
        for p in &m.content {
            let part = match p {
                Part::Text { text } => json!({"text": text}),
                Part::Image {
                    source, media_type, ..
                }
                | Part::File {
                    source, media_type, ..
                } => {
                    // Gemini needs a type for every file; for a URL given without one, its
                    // extension is the best evidence there is.
                    let guessed = match source {
                        MediaSource::Url(u) | MediaSource::FileId(u) => {
                            crate::media::type_from_url(u)
                        }
                        MediaSource::Base64(_) => None,
                    };
                    let mime = media_type
                        .as_deref()
                        .or(guessed)
                        .unwrap_or("application/octet-stream");
                    match source {
                        MediaSource::Base64(d) => {
                            json!({"inlineData": {"mimeType": mime, "data": d}})
                        }
                        MediaSource::Url(u) if u.starts_with("data:") => {
                            inline_from_data_url(u, mime)
                        }
                        MediaSource::Url(u) | MediaSource::FileId(u) => {
                            json!({"fileData": {"mimeType": mime, "fileUri": u}})
                        }
                    }
                }
                Part::ToolCall(c) => {
                    let mut v =
                        json!({"functionCall": {"name": c.name, "args": args_object(c, warnings)}});
                    if let Some(sig) = c
                        .provider_meta
                        .as_ref()
                        .and_then(|m| m.get("thoughtSignature"))
                    {
                        v["thoughtSignature"] = sig.clone();
                    }
                    v
                }
                Part::ToolResult(r) => {
                    let name = r
                        .name
                        .clone()
                        .or_else(|| tool_name(&req.messages, i, &r.call_id))
                        .unwrap_or_default();
                    if r.content.iter().any(|p| p.as_text().is_none()) {
                        warnings.push(Warning {
                            setting: None,
                            message: "Gemini function responses carry text only; other parts of a tool result were dropped".into(),
                        });
                    }
                    let text = r.text_content();
                    let response = match serde_json::from_str::<Value>(&text) {
                        Ok(Value::Object(o)) if !r.is_error => Value::Object(o),
                        _ if r.is_error => json!({ "error": text }),
                        _ => json!({ "content": text }),
                    };
                    json!({"functionResponse": {"name": name, "response": response}})
                }
                Part::Reasoning(r) => {
                    if r.text.is_empty() {
                        // A bare signature belongs to the part before it.
                        if let (Some(sig), Some(last)) = (&r.signature, parts.last_mut()) {
                            if last.get("thoughtSignature").is_none() {
                                last["thoughtSignature"] = sig.as_str().into();
                                continue;
                            }
                        }
                        match &r.signature {
                            Some(sig) => json!({"text": "", "thoughtSignature": sig}),
                            None => continue,
                        }
                    } else {
                        let mut v = json!({"text": r.text, "thought": true});
                        if let Some(sig) = &r.signature {
                            v["thoughtSignature"] = sig.as_str().into();
                        }
                        v
                    }
                }
                Part::ProviderItem(item) if item.api == API => item.raw.clone(),
                Part::CacheBreakpoint(_) => continue,
                other => {
                    warnings.push(dropped(other, "Gemini"));
                    continue;
                }
            };
            parts.push(part);
        }
        push_turn(&mut contents, role, "parts", parts);
    }
    (system, contents)
}

/// `data:<mime>;base64,<data>` as an inline-data part.
fn inline_from_data_url(url: &str, fallback_mime: &str) -> Value {
    let rest = url.strip_prefix("data:").unwrap_or(url);
    let (head, data) = rest.split_once(',').unwrap_or(("", rest));
    let mime = head
        .strip_suffix(";base64")
        .filter(|m| !m.is_empty())
        .unwrap_or(fallback_mime);
    json!({"inlineData": {"mimeType": mime, "data": data}})
}

fn finish_reason(raw: &str) -> FinishReason {
    let kind = match raw {
        "STOP" => FinishKind::Stop,
        "MAX_TOKENS" => FinishKind::Length,
        "SAFETY" | "RECITATION" | "BLOCKLIST" | "PROHIBITED_CONTENT" | "SPII" | "IMAGE_SAFETY" => {
            FinishKind::ContentFilter
        }
        _ => FinishKind::Other,
    };
    FinishReason::new(kind, raw)
}

/// Input is prompt + tool-use prompt tokens (cached ones are inside the prompt count);
/// output is candidates + thoughts.
fn usage(raw: Value) -> Usage {
    let n = |k: &str| raw.get(k).and_then(Value::as_u64);
    let sum = |a: Option<u64>, b: Option<u64>| Usage::sum_known(&[a, b]);
    Usage {
        input_tokens: sum(n("promptTokenCount"), n("toolUsePromptTokenCount")),
        output_tokens: sum(n("candidatesTokenCount"), n("thoughtsTokenCount")),
        cache_read_tokens: n("cachedContentTokenCount"),
        cache_write_tokens: None,
        reasoning_tokens: n("thoughtsTokenCount"),
        raw: Some(raw.into()),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireChunk {
    #[serde(default)]
    candidates: Vec<Candidate>,
    #[serde(default)]
    usage_metadata: Option<Value>,
    #[serde(default)]
    model_version: Option<String>,
    #[serde(default)]
    response_id: Option<String>,
    #[serde(default)]
    prompt_feedback: Option<Value>,
    #[serde(default)]
    error: Option<Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Candidate {
    #[serde(default)]
    index: u32,
    #[serde(default)]
    content: Option<Content>,
    #[serde(default)]
    finish_reason: Option<String>,
    #[serde(flatten)]
    rest: JsonMap,
}

#[derive(Deserialize)]
struct Content {
    #[serde(default)]
    parts: Vec<Value>,
}

#[derive(Default)]
struct GeminiStreamDecoder {
    ids: wire::CallIds,
    started: bool,
    finished: bool,
    meta: JsonMap,
    usage: Option<Value>,
}

impl GeminiStreamDecoder {
    fn chunk(&mut self, data: &[u8], out: &mut Vec<StreamEvent>) -> Result<()> {
        let chunk: WireChunk = serde_json::from_slice(data)
            .map_err(|e| wire::decode_error("Gemini response", data, e))?;
        if let Some(e) = chunk.error {
            self.finished = true;
            out.push(StreamEvent::Error(super::errors::response_error(
                &json!({ "error": e }),
            )));
            return Ok(());
        }
        if !self.started && (chunk.response_id.is_some() || chunk.model_version.is_some()) {
            self.started = true;
            out.push(StreamEvent::Start {
                id: chunk.response_id,
                model: chunk.model_version,
            });
        }
        if let Some(u) = chunk.usage_metadata {
            self.usage = Some(u);
        }
        if let Some(pf) = chunk.prompt_feedback {
            if let Some(reason) = pf.get("blockReason").and_then(Value::as_str) {
                self.finished = true;
                out.push(StreamEvent::Finish(FinishReason::new(
                    FinishKind::ContentFilter,
                    reason,
                )));
            }
            self.meta.insert("promptFeedback".into(), pf);
        }
        for cand in chunk.candidates.into_iter().filter(|c| c.index == 0) {
            for part in cand.content.map(|c| c.parts).unwrap_or_default() {
                part_events(part, &mut self.ids, out);
            }
            for k in META_KEYS {
                if let Some(v) = cand.rest.get(k) {
                    self.meta.insert(k.into(), v.clone());
                }
            }
            if let Some(r) = cand.finish_reason {
                self.finished = true;
                out.push(StreamEvent::Finish(finish_reason(&r)));
            }
        }
        Ok(())
    }

    fn flush(&mut self, out: &mut Vec<StreamEvent>) {
        for (key, value) in std::mem::take(&mut self.meta) {
            out.push(StreamEvent::Metadata { key, value });
        }
        if let Some(u) = self.usage.take() {
            out.push(StreamEvent::Usage(usage(u)));
        }
    }
}

fn part_events(part: Value, ids: &mut wire::CallIds, out: &mut Vec<StreamEvent>) {
    let signature = part
        .get("thoughtSignature")
        .and_then(Value::as_str)
        .map(str::to_owned);
    if let Some(call) = part.get("functionCall") {
        out.push(StreamEvent::ToolCall(ToolCall {
            id: ids.next(call.get("id").and_then(Value::as_str)),
            name: call
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned(),
            arguments: match call.get("args") {
                None | Some(Value::Null) => json!({}),
                Some(v) => v.clone(),
            },
            provider_meta: signature.map(|s| json!({ "thoughtSignature": s })),
        }));
        return;
    }
    if let Some(text) = part.get("text").and_then(Value::as_str) {
        if part.get("thought").and_then(Value::as_bool) == Some(true) {
            if !text.is_empty() {
                out.push(StreamEvent::ReasoningDelta(text.to_owned()));
            }
            if signature.is_some() {
                out.push(StreamEvent::ReasoningDone {
                    signature,
                    encrypted: None,
                    id: None,
                });
            }
        } else {
            if !text.is_empty() {
                out.push(StreamEvent::TextDelta(text.to_owned()));
            }
            if signature.is_some() {
                out.push(StreamEvent::ReasoningDone {
                    signature,
                    encrypted: None,
                    id: None,
                });
            }
        }
        return;
    }
    let kind = part
        .as_object()
        .and_then(|o| o.keys().find(|k| *k != "thoughtSignature").cloned())
        .unwrap_or_default();
    out.push(StreamEvent::ProviderItem(ProviderItem {
        api: API.into(),
        item_type: kind,
        raw: part,
    }));
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
        if self.finished {
            Ok(())
        } else {
            Err(Error::new(
                ErrorKind::Truncated,
                "the stream ended before a finishReason",
            ))
        }
    }
}

#[cfg(test)]
mod tests;
