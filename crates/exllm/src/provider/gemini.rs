//! Google Gemini `generateContent` / `streamGenerateContent?alt=sse` (AI Studio; Vertex AI uses
//! the same bodies at another URL). Parts are text (`thought: true` for reasoning), function
//! calls (no ids: exllm makes them up), inline or file data, and code execution parts the
//! provider runs itself. Thought signatures ride on any part and are kept so the conversation
//! can be sent back. Every stream chunk is a whole response object with partial candidates.

use super::common::{self, put};
use super::encode::{args_object, dropped, push_turn, tool_name, JsonBody};
use super::{Api, Codec, Encoded, Endpoint, ListedModel, StreamDecoder};
use crate::error::Result;
use crate::types::{
    ChatRequest, ChatResponse, FinishKind, FinishReason, JsonMap, MediaSource, Part,
    ReasoningEffort, ResponseFormat, Role, ToolChoice, Warning,
};
use crate::Collector;
use serde::Deserialize;
use serde_json::{json, Value};

/// The Gemini codec.
#[derive(Debug, Clone, Copy, Default)]
pub struct GeminiCodec;

const API: &str = "gemini";
impl Codec for GeminiCodec {
    fn unsupported_settings(&self) -> &'static [&'static str] {
        &[
            "parallel_tool_calls",
            "service_tier",
            "user",
            "prediction",
            "audio",
        ]
    }

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
        let mut body = JsonBody::default();
        let (system, contents) = encode_contents(req, &mut body.warnings);
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
        let model = model.strip_prefix("models/").unwrap_or(model);
        let path = if stream {
            format!("/models/{model}:streamGenerateContent?alt=sse")
        } else {
            format!("/models/{model}:generateContent")
        };
        let accept = common::accept(stream);
        body.finish(req, ep, self.unsupported_settings(), &path, accept)
    }

    fn encode_count_tokens(
        &self,
        req: &ChatRequest,
        model: &str,
        ep: &Endpoint,
    ) -> Result<Encoded> {
        super::count_tokens::gemini(req, model, ep)
    }

    fn decode_count_tokens(&self, body: &[u8]) -> Result<u64> {
        super::count_tokens::decode_gemini(body)
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
        common::get(ep, &format!("/models?pageToken={token}"))
    }

    fn decode_models(&self, body: &[u8]) -> Result<Vec<ListedModel>> {
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
        let list: List = common::parse(body, "Gemini model list")?;
        Ok(list
            .models
            .into_iter()
            .map(|m| ListedModel {
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
                // Audio goes inline with its media type (`wav` → `audio/wav`).
                Part::Audio(a) if !a.data.is_empty() => {
                    let mime = match a.format.as_deref() {
                        Some(f) if f.contains('/') => f.to_owned(),
                        Some("mp3") => "audio/mpeg".into(),
                        Some(f) => format!("audio/{f}"),
                        None => "audio/wav".into(),
                    };
                    json!({"inlineData": {"mimeType": mime, "data": a.data}})
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

mod decode;
use decode::GeminiStreamDecoder;

#[cfg(test)]
mod tests;
