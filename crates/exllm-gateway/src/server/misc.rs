//! The routes other than chat (`/v1/models`, `/v1/embeddings`, health, `/metrics`) and what
//! every route shares: master-key auth, the body limit, error responses in the caller's
//! format with `Retry-After`, and the access log.

use super::{Backends, Gateway};
use crate::errors::api_error;
use crate::wire::openai::OpenAiChat;
use crate::wire::{ApiError, Format};
use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use bytes::Bytes;
use exllm::EmbedRequest;
use http::{header, HeaderMap, HeaderValue, StatusCode};
use serde::Deserialize;
use serde_json::{json, Value};
use std::time::Instant;

/// Checks the master key, when one is set: a missing or wrong key is a 401.
pub fn authorize(backends: &Backends, headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(key) = &backends.master_key else {
        return Ok(());
    };
    match crate::auth::presented(headers) {
        Some(given) if crate::auth::same_key(given, key.expose().as_bytes()) => Ok(()),
        given => Err(ApiError {
            status: 401,
            kind: "authentication_error",
            message: if given.is_some() {
                "invalid API key".into()
            } else {
                "missing API key: send `Authorization: Bearer <key>` or `x-api-key`".into()
            },
            retry_after: None,
        }),
    }
}

/// An error in format `F`, with its status and `Retry-After`.
pub fn error_response<F: Format>(e: &ApiError) -> Response {
    let mut resp = Response::new(Body::from(F::encode_error(e)));
    *resp.status_mut() = StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_GATEWAY);
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Some(s) = e.retry_after {
        h.insert(header::RETRY_AFTER, HeaderValue::from(s));
    }
    resp
}

fn too_large(limit: usize) -> ApiError {
    ApiError {
        status: 413,
        kind: "invalid_request_error",
        message: format!("the request body is larger than the gateway's limit of {limit} bytes"),
        retry_after: None,
    }
}

/// The whole body, refused with 413 past `limit` bytes (read no further).
pub async fn read_body(body: Body, headers: &HeaderMap, limit: usize) -> Result<Bytes, ApiError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large(limit));
    }
    axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| too_large(limit))
}

/// `GET /v1/models`: the configured names.
pub(crate) async fn models(State(gw): State<Gateway>, headers: HeaderMap) -> Response {
    let backends = gw.backends();
    if let Err(e) = crate::budget::authenticate(gw.governance().as_deref(), &backends, &headers) {
        return error_response::<OpenAiChat>(&e);
    }
    let data: Vec<Value> = backends
        .names
        .iter()
        .map(|n| json!({"id": n, "object": "model", "created": 0, "owned_by": "exllm"}))
        .collect();
    json_response(&json!({"object": "list", "data": data}))
}

fn json_response(v: &Value) -> Response {
    let mut resp = Response::new(Body::from(serde_json::to_vec(v).unwrap_or_default()));
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

#[derive(Deserialize)]
struct EmbedBody {
    model: String,
    input: Value,
    encoding_format: Option<String>,
    dimensions: Option<u32>,
    #[allow(dead_code)]
    user: Option<String>,
}

fn bad(msg: impl Into<String>) -> ApiError {
    ApiError {
        status: 400,
        kind: "invalid_request_error",
        message: msg.into(),
        retry_after: None,
    }
}

/// `POST /v1/embeddings` (OpenAI's format; texts, as floats or base64).
pub(crate) async fn embeddings(
    State(gw): State<Gateway>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    match embed(&gw, &headers, body).await {
        Ok(v) => json_response(&v),
        Err(e) => error_response::<OpenAiChat>(&e),
    }
}

async fn embed(gw: &Gateway, headers: &HeaderMap, body: Body) -> Result<Value, ApiError> {
    let backends = gw.backends();
    let caller = crate::budget::authenticate(gw.governance().as_deref(), &backends, headers)?;
    let bytes = read_body(body, headers, gw.limits().max_body_bytes).await?;
    let b: EmbedBody = serde_json::from_slice(&bytes)
        .map_err(|e| bad(format!("invalid embeddings request body: {e}")))?;
    let inputs: Vec<String> = match b.input {
        Value::String(s) => vec![s],
        Value::Array(items) => items
            .into_iter()
            .map(|v| match v {
                Value::String(s) => Ok(s),
                _ => Err(bad(
                    "`input` must be a string or a list of strings (token ids are not supported)",
                )),
            })
            .collect::<Result<_, _>>()?,
        _ => return Err(bad("`input` must be a string or a list of strings")),
    };
    let base64 = match b.encoding_format.as_deref() {
        None | Some("float") => false,
        Some("base64") => true,
        Some(f) => return Err(bad(format!("unknown `encoding_format` `{f}`"))),
    };
    let backend = backends
        .models
        .get(&b.model)
        .cloned()
        .ok_or_else(|| ApiError {
            status: 404,
            kind: "not_found_error",
            message: format!("the model `{}` is not served here", b.model),
            retry_after: None,
        })?;
    drop(backends);
    crate::budget::check_scope(&caller, &b.model, &backend)?;
    let ticket = match gw.governance() {
        Some(g) => Some(g.admit_embed(&caller, &b.model, &backend, &inputs).await?),
        None => None,
    };
    let mut req = EmbedRequest::new(b.model.clone(), inputs);
    req.dimensions = b.dimensions;
    let resp = tokio::time::timeout(gw.limits().timeout, backend.embed(req))
        .await
        .map_err(|_| bad("timeout"))?
        .map_err(|e| api_error(&e));
    let resp = match (resp, ticket) {
        (Ok(r), t) => {
            if let Some(t) = t {
                t.finish(r.usage.as_ref(), 200, true);
            }
            r
        }
        (Err(e), t) => {
            if let Some(t) = t {
                t.finish(None, e.status, false);
            }
            return Err(e);
        }
    };
    let data: Vec<Value> = resp
        .embeddings
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let embedding = if base64 {
                Value::String(base64_f32(v))
            } else {
                json!(v)
            };
            json!({"object": "embedding", "index": i, "embedding": embedding})
        })
        .collect();
    let prompt = resp
        .usage
        .as_ref()
        .and_then(|u| u.input_tokens)
        .unwrap_or(0);
    Ok(json!({
        "object": "list",
        "data": data,
        "model": b.model,
        "usage": {"prompt_tokens": prompt, "total_tokens": prompt},
    }))
}

/// Little-endian `f32`s in standard base64, as OpenAI sends `encoding_format: base64`.
fn base64_f32(v: &[f32]) -> String {
    let bytes: Vec<u8> = v.iter().flat_map(|f| f.to_le_bytes()).collect();
    base64(&bytes)
}

/// Standard base64 with padding.
pub(crate) fn base64(bytes: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for c in bytes.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if i <= c.len() {
                out.push(char::from(ABC[(n >> shift) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

pub(crate) async fn live() -> Response {
    json_response(&json!({"status": "ok"}))
}

pub(crate) async fn ready(State(gw): State<Gateway>) -> Response {
    let mut resp = json_response(&json!({
        "status": if gw.is_draining() { "draining" } else { "ok" },
        "models": gw.backends().names.len(),
    }));
    if gw.is_draining() {
        *resp.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
    }
    resp
}

/// `GET /metrics`; with `protect_metrics`, only for the master key.
pub(crate) async fn metrics(State(gw): State<Gateway>, headers: HeaderMap) -> Response {
    let backends = gw.backends();
    if backends.protect_metrics {
        if let Err(e) = authorize(&backends, &headers) {
            return error_response::<OpenAiChat>(&e);
        }
    }
    let shared = backends.render_shared_metrics();
    drop(backends);
    let mut text = gw.metrics().render();
    text.push_str(&shared);
    if let Some(g) = gw.governance() {
        text.push_str(&g.render_metrics());
    }
    let mut resp = Response::new(Body::from(text));
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4"),
    );
    resp
}

/// One line per request: method, path, status, time to the response head. No headers, so
/// no keys.
pub(crate) async fn access_log(req: Request, next: Next) -> Response {
    let t0 = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let resp = next.run(req).await;
    tracing::info!(
        target: "exllm_gateway::access",
        %method,
        %path,
        status = resp.status().as_u16(),
        ms = t0.elapsed().as_millis() as u64,
        "request"
    );
    resp
}

#[cfg(test)]
mod tests {
    #[test]
    fn base64_matches_the_standard_alphabet() {
        assert_eq!(super::base64_f32(&[1.0]), "AACAPw==");
        assert_eq!(super::base64_f32(&[1.0, 0.0]), "AACAPwAAAAA=");
    }
}
