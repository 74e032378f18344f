//! Server-side token counting: Anthropic `POST /messages/count_tokens` and Gemini / Vertex
//! `POST /models/{model}:countTokens`. Each request is the provider's own chat encoding of
//! the request, reshaped: the same URL base, headers and auth, the chat path swapped for the
//! counting one and the body cut down to what the counting endpoint takes. Pure functions.

use crate::error::{Error, ErrorKind, Result};
use crate::provider::{common, Api, Encoded, Endpoint};
use crate::types::{ChatRequest, JsonMap};
use serde_json::{json, Value};

/// The fields of a Messages body that `count_tokens` takes (it refuses `max_tokens`,
/// `temperature`, `stream` and the other sampling settings).
const ANTHROPIC_FIELDS: &[&str] = &[
    "model",
    "messages",
    "system",
    "tools",
    "tool_choice",
    "thinking",
    "mcp_servers",
    "anthropic_version",
];

/// The Anthropic counting request for `req` to `model`.
pub(crate) fn anthropic(req: &ChatRequest, model: &str, ep: &Endpoint) -> Result<Encoded> {
    let enc = Api::Anthropic.codec().encode(req, model, ep, false)?;
    let mut body: JsonMap = common::parse(enc.request.body(), "encoded request")?;
    body.retain(|k, _| ANTHROPIC_FIELDS.contains(&k.as_str()));
    let path = if ep.quirks.vertex {
        // Vertex counts through one `count-tokens` model, with the model named in the body.
        body.insert("model".into(), model.into());
        "/publishers/anthropic/models/count-tokens:rawPredict".to_owned()
    } else {
        "/messages/count_tokens".to_owned()
    };
    reshape(enc, ep, &path, Value::Object(body))
}

/// Decodes Anthropic's `{"input_tokens": N}`.
pub(crate) fn decode_anthropic(body: &[u8]) -> Result<u64> {
    let v: Value = common::parse(body, "token count")?;
    number(v.get("input_tokens")).ok_or_else(|| missing("input_tokens", body))
}

/// The Gemini counting request for `req` to `model`: the whole `generateContent` body as
/// `generateContentRequest` (so the system instruction and tools count too) on the Gemini
/// API; Vertex takes `contents`, `systemInstruction` and `tools` at the top level.
pub(crate) fn gemini(req: &ChatRequest, model: &str, ep: &Endpoint) -> Result<Encoded> {
    let enc = Api::Gemini.codec().encode(req, model, ep, false)?;
    let mut body: JsonMap = common::parse(enc.request.body(), "encoded request")?;
    let model = model.strip_prefix("models/").unwrap_or(model);
    let path = format!("/models/{model}:countTokens");
    let body = if is_vertex(ep) {
        body.retain(|k, _| matches!(k.as_str(), "contents" | "systemInstruction" | "tools"));
        Value::Object(body)
    } else {
        body.insert("model".into(), format!("models/{model}").into());
        json!({ "generateContentRequest": body })
    };
    reshape(enc, ep, &path, body)
}

/// Decodes Gemini's `{"totalTokens": N, ...}`.
pub(crate) fn decode_gemini(body: &[u8]) -> Result<u64> {
    let v: Value = common::parse(body, "token count")?;
    number(v.get("totalTokens")).ok_or_else(|| missing("totalTokens", body))
}

/// Whether the Gemini endpoint is Vertex AI's (its URLs name a project's publisher models).
fn is_vertex(ep: &Endpoint) -> bool {
    ep.base_url.contains("aiplatform.googleapis.com") || ep.base_url.contains("/publishers/google")
}

/// The chat request `enc` sent to `path` instead, with `body`: its headers and auth kept.
fn reshape(enc: Encoded, ep: &Endpoint, path: &str, body: Value) -> Result<Encoded> {
    let fresh = common::post_json(ep, path, &body, false)?;
    let (fresh_parts, body) = fresh.into_parts();
    let (mut parts, _) = enc.request.into_parts();
    parts.uri = fresh_parts.uri;
    parts.headers.insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    parts.headers.insert(
        http::header::ACCEPT,
        http::HeaderValue::from_static("application/json"),
    );
    Ok(Encoded {
        request: http::Request::from_parts(parts, body),
        warnings: enc.warnings,
    })
}

/// An unsigned count sent as a number or (int64 in JSON) a string.
fn number(v: Option<&Value>) -> Option<u64> {
    match v? {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

fn missing(field: &str, body: &[u8]) -> Error {
    let shown: String = String::from_utf8_lossy(body).chars().take(200).collect();
    Error::new(
        ErrorKind::Decode,
        format!("the token count answer has no `{field}`: {shown}"),
    )
}

#[cfg(test)]
mod tests;
