//! OpenAI's formats beyond chat, as a server speaks them: image generation, audio
//! transcription and translation (multipart forms), speech, moderation, and the
//! Cohere/Jina-style `/v1/rerank` most gateways serve. Requests are decoded into the library's
//! types (the model is the caller's name, resolved by the server) and answers encoded back.
//! Fields the library has no place for go to `provider_options`, which the provider's codec
//! merges into what it sends. Pure functions; no I/O.

#[cfg(test)]
mod tests;

use super::multipart::Part;
use super::ApiError;
use exllm::{
    AudioFormat, ImageOutput, ImageRequest, ImageResponse, ModerationRequest, ModerationResponse,
    RerankRequest, RerankResponse, SpeechRequest, TimestampGranularity, TranscriptFormat,
    Transcription, TranscriptionRequest,
};
use serde_json::{json, Map, Value};

fn bad(msg: impl Into<String>) -> ApiError {
    ApiError {
        status: 400,
        kind: "invalid_request_error",
        message: msg.into(),
        retry_after: None,
    }
}

/// A JSON request body as an object, its `model` taken out.
fn object(body: &[u8], what: &str) -> Result<(String, Map<String, Value>), ApiError> {
    let mut map: Map<String, Value> = serde_json::from_slice(body)
        .map_err(|e| bad(format!("invalid {what} request body: {e}")))?;
    match map.remove("model") {
        Some(Value::String(m)) => Ok((m, map)),
        _ => Err(bad(format!("a {what} request needs a string `model`"))),
    }
}

fn take_str(map: &mut Map<String, Value>, key: &str) -> Result<Option<String>, ApiError> {
    match map.remove(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(bad(format!("`{key}` must be a string"))),
    }
}

fn take_u32(map: &mut Map<String, Value>, key: &str) -> Result<Option<u32>, ApiError> {
    match map.remove(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .map(Some)
            .ok_or_else(|| bad(format!("`{key}` must be a whole number"))),
    }
}

fn take_f32(map: &mut Map<String, Value>, key: &str) -> Result<Option<f32>, ApiError> {
    match map.remove(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_f64()
            .map(|f| Some(f as f32))
            .ok_or_else(|| bad(format!("`{key}` must be a number"))),
    }
}

/// `POST /v1/images/generations`.
pub fn decode_image(body: &[u8]) -> Result<ImageRequest, ApiError> {
    let (model, mut m) = object(body, "image")?;
    let prompt = take_str(&mut m, "prompt")?.ok_or_else(|| bad("`prompt` is required"))?;
    let output = match take_str(&mut m, "response_format")?.as_deref() {
        None => None,
        Some("url") => Some(ImageOutput::Url),
        Some("b64_json") => Some(ImageOutput::Base64),
        Some(f) => return Err(bad(format!("unknown `response_format` `{f}`"))),
    };
    let mut req = ImageRequest::new(model, prompt);
    req.n = take_u32(&mut m, "n")?;
    req.size = take_str(&mut m, "size")?;
    req.quality = take_str(&mut m, "quality")?;
    req.style = take_str(&mut m, "style")?;
    req.output = output;
    m.remove("user");
    req.provider_options = m;
    Ok(req)
}

/// An image answer in OpenAI's shape.
pub fn encode_image(resp: &ImageResponse, base64: &dyn Fn(&[u8]) -> String) -> Value {
    let data: Vec<Value> = resp
        .images
        .iter()
        .map(|img| {
            let mut o = Map::new();
            if let Some(u) = &img.url {
                o.insert("url".into(), u.as_str().into());
            }
            if let Some(d) = &img.data {
                o.insert("b64_json".into(), base64(d).into());
            }
            if let Some(p) = &img.revised_prompt {
                o.insert("revised_prompt".into(), p.as_str().into());
            }
            Value::Object(o)
        })
        .collect();
    let mut out = json!({"created": resp.created.unwrap_or(0), "data": data});
    if let Some(u) = &resp.usage {
        out["usage"] = json!({
            "input_tokens": u.input_tokens.unwrap_or(0),
            "output_tokens": u.output_tokens.unwrap_or(0),
            "total_tokens": u.input_tokens.unwrap_or(0) + u.output_tokens.unwrap_or(0),
        });
    }
    out
}

/// `POST /v1/audio/transcriptions` and `/v1/audio/translations` (`translate`), from the
/// form's parts.
pub fn decode_transcription(
    parts: Vec<Part>,
    translate: bool,
) -> Result<TranscriptionRequest, ApiError> {
    let mut req = TranscriptionRequest {
        translate,
        ..Default::default()
    };
    let mut file = None;
    for p in parts {
        if p.name == "file" {
            file = Some(p);
            continue;
        }
        let text = p
            .text()
            .ok_or_else(|| bad(format!("the field `{}` is not text", p.name)))?
            .to_owned();
        match p.name.as_str() {
            "model" => req.model = text,
            "language" => req.language = Some(text),
            "prompt" => req.prompt = Some(text),
            "temperature" => {
                req.temperature = Some(
                    text.trim()
                        .parse()
                        .map_err(|_| bad("`temperature` must be a number"))?,
                )
            }
            "response_format" => {
                req.response_format = Some(match text.as_str() {
                    "json" => TranscriptFormat::Json,
                    "verbose_json" => TranscriptFormat::VerboseJson,
                    "text" => TranscriptFormat::Text,
                    "srt" => TranscriptFormat::Srt,
                    "vtt" => TranscriptFormat::Vtt,
                    f => return Err(bad(format!("unknown `response_format` `{f}`"))),
                })
            }
            "timestamp_granularities[]" | "timestamp_granularities" => {
                req.timestamp_granularities.push(match text.as_str() {
                    "word" => TimestampGranularity::Word,
                    "segment" => TimestampGranularity::Segment,
                    g => return Err(bad(format!("unknown timestamp granularity `{g}`"))),
                })
            }
            _ => {
                req.provider_options.insert(p.name.clone(), text.into());
            }
        }
    }
    let file = file.ok_or_else(|| bad("the form needs a `file`"))?;
    if req.model.is_empty() {
        return Err(bad("the form needs a `model`"));
    }
    req.filename = file.filename.unwrap_or_else(|| "audio".into());
    req.media_type = file.content_type;
    req.audio = file.data;
    Ok(req)
}

/// A transcription in the format asked for: JSON (`json`, `verbose_json`) or text.
pub fn encode_transcription(
    t: &Transcription,
    format: Option<TranscriptFormat>,
) -> (Vec<u8>, &'static str) {
    match format.unwrap_or(TranscriptFormat::Json) {
        TranscriptFormat::Json => (
            json!({"text": t.text}).to_string().into_bytes(),
            "application/json",
        ),
        TranscriptFormat::VerboseJson => {
            let segments: Vec<Value> = t
                .segments
                .iter()
                .enumerate()
                .map(|(i, s)| json!({"id": s.id.unwrap_or(i as u64), "start": s.start, "end": s.end, "text": s.text}))
                .collect();
            let words: Vec<Value> = t
                .words
                .iter()
                .map(|w| json!({"word": w.word, "start": w.start, "end": w.end}))
                .collect();
            let v = json!({
                "task": "transcribe",
                "language": t.language,
                "duration": t.duration,
                "text": t.text,
                "segments": segments,
                "words": words,
            });
            (v.to_string().into_bytes(), "application/json")
        }
        // Text formats come back as the provider wrote them, else the plain text.
        _ if !t.raw.is_empty() => (t.raw.clone().into_bytes(), "text/plain; charset=utf-8"),
        _ => (t.text.clone().into_bytes(), "text/plain; charset=utf-8"),
    }
}

/// `POST /v1/audio/speech`.
pub fn decode_speech(body: &[u8]) -> Result<SpeechRequest, ApiError> {
    let (model, mut m) = object(body, "speech")?;
    let input = take_str(&mut m, "input")?.ok_or_else(|| bad("`input` is required"))?;
    let voice = take_str(&mut m, "voice")?.ok_or_else(|| bad("`voice` is required"))?;
    let mut req = SpeechRequest::new(model, input, voice);
    req.format = match take_str(&mut m, "response_format")? {
        None => None,
        Some(f) => Some(
            AudioFormat::ALL
                .into_iter()
                .find(|a| a.as_str() == f)
                .ok_or_else(|| bad(format!("unknown `response_format` `{f}`")))?,
        ),
    };
    req.speed = take_f32(&mut m, "speed")?;
    req.instructions = take_str(&mut m, "instructions")?;
    m.remove("stream_format");
    req.provider_options = m;
    Ok(req)
}

/// `POST /v1/moderations`: `input` as a string, strings, or text and image parts.
pub fn decode_moderation(body: &[u8], default_model: &str) -> Result<ModerationRequest, ApiError> {
    let mut map: Map<String, Value> = serde_json::from_slice(body)
        .map_err(|e| bad(format!("invalid moderation request body: {e}")))?;
    let model = take_str(&mut map, "model")?.unwrap_or_else(|| default_model.to_owned());
    let mut req = ModerationRequest::new(model, Vec::<String>::new());
    let items = match map.remove("input") {
        Some(Value::String(s)) => vec![Value::String(s)],
        Some(Value::Array(a)) => a,
        _ => return Err(bad("`input` must be a string or a list")),
    };
    for item in items {
        match item {
            Value::String(s) => req.texts.push(s),
            Value::Object(o) => match o.get("type").and_then(Value::as_str) {
                Some("text") => req.texts.push(
                    o.get("text")
                        .and_then(Value::as_str)
                        .ok_or_else(|| bad("a text part needs `text`"))?
                        .to_owned(),
                ),
                Some("image_url") => req.image_urls.push(
                    o.get("image_url")
                        .and_then(|u| u.get("url"))
                        .and_then(Value::as_str)
                        .ok_or_else(|| bad("an image part needs `image_url.url`"))?
                        .to_owned(),
                ),
                _ => return Err(bad("an input part must be of type `text` or `image_url`")),
            },
            _ => return Err(bad("`input` items must be strings or parts")),
        }
    }
    Ok(req)
}

/// A moderation answer in OpenAI's shape, under the caller's model name.
pub fn encode_moderation(resp: &ModerationResponse, model: &str) -> Value {
    let results: Vec<Value> = resp
        .results
        .iter()
        .map(|r| {
            let categories: Map<String, Value> = r
                .categories
                .iter()
                .map(|c| (c.name.clone(), c.flagged.into()))
                .collect();
            let scores: Map<String, Value> = r
                .categories
                .iter()
                .map(|c| (c.name.clone(), c.score.unwrap_or(0.0).into()))
                .collect();
            json!({"flagged": r.flagged, "categories": categories, "category_scores": scores})
        })
        .collect();
    json!({
        "id": resp.id.clone().unwrap_or_else(|| "modr-exllm".into()),
        "model": model,
        "results": results,
    })
}

/// `POST /v1/rerank`: `documents` as strings or `{text}` objects.
pub fn decode_rerank(body: &[u8]) -> Result<(RerankRequest, bool), ApiError> {
    let (model, mut m) = object(body, "rerank")?;
    let query = take_str(&mut m, "query")?.ok_or_else(|| bad("`query` is required"))?;
    let documents = match m.remove("documents") {
        Some(Value::Array(a)) => a
            .into_iter()
            .map(|d| match d {
                Value::String(s) => Ok(s),
                Value::Object(o) => o
                    .get("text")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .ok_or_else(|| bad("a document object needs `text`")),
                _ => Err(bad("documents must be strings or `{text}` objects")),
            })
            .collect::<Result<Vec<_>, _>>()?,
        _ => return Err(bad("`documents` must be a list")),
    };
    let return_documents = m.remove("return_documents").and_then(|v| v.as_bool()) == Some(true);
    let req = RerankRequest {
        model,
        query,
        documents,
        top_n: take_u32(&mut m, "top_n")?,
        provider_options: m,
    };
    Ok((req, return_documents))
}

/// A rerank answer, Cohere's shape (which Jina and LiteLLM also answer).
pub fn encode_rerank(resp: &RerankResponse, req: &RerankRequest, documents: bool) -> Value {
    let results: Vec<Value> = resp
        .results
        .iter()
        .map(|r| {
            let mut v = json!({"index": r.index, "relevance_score": r.relevance_score});
            if documents {
                if let Some(d) = req.documents.get(r.index) {
                    v["document"] = json!({"text": d});
                }
            }
            v
        })
        .collect();
    let mut out =
        json!({"id": resp.id.clone().unwrap_or_else(|| "rerank-exllm".into()), "results": results});
    if let Some(n) = resp.usage.as_ref().and_then(|u| u.input_tokens) {
        out["usage"] = json!({"total_tokens": n});
    }
    out
}
