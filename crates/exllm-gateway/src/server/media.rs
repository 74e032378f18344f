//! The OpenAI routes beyond chat: `/v1/images/generations`, `/v1/audio/transcriptions`,
//! `/v1/audio/translations`, `/v1/audio/speech`, `/v1/moderations`, and `/v1/rerank`. Each
//! authenticates, reads the body under the limit, decodes it ([`crate::wire::media`]), resolves
//! the model among the configured names (a name not configured is a 404, never read as a
//! path or URL), takes a concurrency permit, calls the library with the request timeout, and
//! counts the request in the metrics; errors are OpenAI error objects. Router groups have no
//! media calls: these serve direct `[[models]]` entries.

use super::chat::{overloaded, record_deployment, timed_out};
use super::misc::{error_response, read_body};
use super::{Backend, Gateway};
use crate::errors::api_error;
use crate::wire::media;
use crate::wire::multipart;
use crate::wire::openai::OpenAiChat;
use crate::wire::ApiError;
use axum::body::Body;
use axum::extract::State;
use axum::response::Response;
use bytes::Bytes;
use exllm::{Client, Usage};
use futures_util::StreamExt;
use http::{header, HeaderMap, HeaderValue};
use std::future::Future;
use std::time::Instant;
use tokio::sync::OwnedSemaphorePermit;

fn bad(msg: impl Into<String>) -> ApiError {
    ApiError {
        status: 400,
        kind: "invalid_request_error",
        message: msg.into(),
        retry_after: None,
    }
}

/// A request admitted to a direct entry.
struct Admitted {
    client: Client,
    /// `provider/model`.
    model: String,
    _permit: OwnedSemaphorePermit,
}

/// Checks the caller and reads the body.
async fn read(gw: &Gateway, headers: &HeaderMap, body: Body) -> Result<Bytes, ApiError> {
    let backends = gw.backends();
    crate::budget::authenticate(gw.governance().as_deref(), &backends, headers)?;
    drop(backends);
    read_body(body, headers, gw.limits().max_body_bytes).await
}

/// The direct entry serving `name`, with a permit.
fn admit(gw: &Gateway, headers: &HeaderMap, name: &str) -> Result<Admitted, ApiError> {
    let backends = gw.backends();
    let caller = crate::budget::authenticate(gw.governance().as_deref(), &backends, headers)?;
    let backend = backends.models.get(name).cloned().ok_or_else(|| ApiError {
        status: 404,
        kind: "not_found_error",
        message: format!("the model `{name}` is not served here"),
        retry_after: None,
    })?;
    drop(backends);
    crate::budget::check_scope(&caller, name, &backend)?;
    let Backend::Direct { client, model } = backend else {
        return Err(bad(format!(
            "`{name}` is a router group; this API is served for direct `[[models]]` entries"
        )));
    };
    let permit = gw.try_permit().ok_or_else(overloaded)?;
    Ok(Admitted {
        client,
        model,
        _permit: permit,
    })
}

/// Runs `call` under the request timeout and counts it.
async fn run<T>(
    gw: &Gateway,
    name: &str,
    deployment: &str,
    t0: Instant,
    call: impl Future<Output = exllm::Result<T>>,
    usage: impl Fn(&T) -> (Option<Usage>, Option<f64>),
) -> Result<T, ApiError> {
    let out = match tokio::time::timeout(gw.limits().timeout, call).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(api_error(&e)),
        Err(_) => Err(timed_out()),
    };
    match &out {
        Ok(v) => {
            let (u, cost) = usage(v);
            record_deployment(gw, name, deployment, t0, Ok(200), u.as_ref(), cost);
        }
        Err(e) => record_deployment(gw, name, deployment, t0, Err(e), None, None),
    }
    out
}

fn answer(result: Result<Response, ApiError>) -> Response {
    result.unwrap_or_else(|e| error_response::<OpenAiChat>(&e))
}

fn json(v: &serde_json::Value) -> Response {
    bytes_response(
        serde_json::to_vec(v).unwrap_or_default(),
        "application/json",
    )
}

fn bytes_response(body: Vec<u8>, content_type: &'static str) -> Response {
    let mut resp = Response::new(Body::from(body));
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    resp
}

/// `POST /v1/images/generations`.
pub(crate) async fn images(State(gw): State<Gateway>, headers: HeaderMap, body: Body) -> Response {
    answer(
        async {
            let t0 = Instant::now();
            let bytes = read(&gw, &headers, body).await?;
            let mut req = media::decode_image(&bytes)?;
            let name = std::mem::take(&mut req.model);
            let a = admit(&gw, &headers, &name)?;
            req.model.clone_from(&a.model);
            let resp = run(
                &gw,
                &name,
                &a.model,
                t0,
                a.client.generate_image(req),
                |r| (r.usage.clone(), r.cost_usd),
            )
            .await?;
            Ok(json(&media::encode_image(&resp, &super::misc::base64)))
        }
        .await,
    )
}

/// `POST /v1/audio/transcriptions`.
pub(crate) async fn transcriptions(
    State(gw): State<Gateway>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    answer(transcribe(gw, headers, body, false).await)
}

/// `POST /v1/audio/translations` (into English).
pub(crate) async fn translations(
    State(gw): State<Gateway>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    answer(transcribe(gw, headers, body, true).await)
}

async fn transcribe(
    gw: Gateway,
    headers: HeaderMap,
    body: Body,
    translate: bool,
) -> Result<Response, ApiError> {
    let t0 = Instant::now();
    let bytes = read(&gw, &headers, body).await?;
    let boundary = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(multipart::boundary)
        .ok_or_else(|| bad("audio is sent as multipart/form-data"))?;
    let parts = multipart::parse(&bytes, &boundary).map_err(bad)?;
    let mut req = media::decode_transcription(parts, translate)?;
    let format = req.response_format;
    let name = std::mem::take(&mut req.model);
    let a = admit(&gw, &headers, &name)?;
    req.model.clone_from(&a.model);
    let t = run(&gw, &name, &a.model, t0, a.client.transcribe(req), |t| {
        (t.usage.clone(), t.cost_usd)
    })
    .await?;
    let (body, content_type) = media::encode_transcription(&t, format);
    Ok(bytes_response(body, content_type))
}

/// `POST /v1/audio/speech`: the audio streamed as it downloads. A download that breaks
/// aborts the response, so the caller never takes a cut file for a whole one.
pub(crate) async fn speech(State(gw): State<Gateway>, headers: HeaderMap, body: Body) -> Response {
    answer(
        async {
            let t0 = Instant::now();
            let bytes = read(&gw, &headers, body).await?;
            let mut req = media::decode_speech(&bytes)?;
            let name = std::mem::take(&mut req.model);
            let a = admit(&gw, &headers, &name)?;
            req.model.clone_from(&a.model);
            let audio = run(&gw, &name, &a.model, t0, a.client.speak_stream(req), |s| {
                (None, s.cost_usd)
            })
            .await?;
            let content_type = audio
                .content_type
                .as_deref()
                .and_then(|c| HeaderValue::from_str(c).ok())
                .unwrap_or(HeaderValue::from_static("application/octet-stream"));
            let permit = a._permit;
            let deadline = tokio::time::Instant::now() + gw.limits().timeout;
            let chunks = audio.map(move |c| {
                let _held = &permit;
                c.map_err(|e| std::io::Error::other(e.to_string()))
            });
            let chunks = tokio_stream_deadline(chunks, deadline);
            let mut resp = Response::new(Body::from_stream(chunks));
            resp.headers_mut()
                .insert(header::CONTENT_TYPE, content_type);
            Ok(resp)
        }
        .await,
    )
}

/// `stream` until `deadline`, then an error (the request timeout covers the download).
fn tokio_stream_deadline<S>(
    stream: S,
    deadline: tokio::time::Instant,
) -> impl futures_util::Stream<Item = std::io::Result<Bytes>> + Send + 'static
where
    S: futures_util::Stream<Item = std::io::Result<Bytes>> + Send + Unpin + 'static,
{
    futures_util::stream::unfold(Some(stream), move |state| async move {
        let mut s = state?;
        match tokio::time::timeout_at(deadline, s.next()).await {
            Ok(Some(item)) => Some((item, Some(s))),
            Ok(None) => None,
            Err(_) => Some((
                Err(std::io::Error::other(
                    "the gateway's timeout ended the download",
                )),
                None,
            )),
        }
    })
}

/// `POST /v1/moderations` (`model` defaults to `omni-moderation-latest`, which must then be
/// a configured name like any other).
pub(crate) async fn moderations(
    State(gw): State<Gateway>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    answer(
        async {
            let t0 = Instant::now();
            let bytes = read(&gw, &headers, body).await?;
            let mut req = media::decode_moderation(&bytes, "omni-moderation-latest")?;
            let name = std::mem::take(&mut req.model);
            let a = admit(&gw, &headers, &name)?;
            req.model.clone_from(&a.model);
            let resp = run(&gw, &name, &a.model, t0, a.client.moderate(req), |_| {
                (None, None)
            })
            .await?;
            Ok(json(&media::encode_moderation(&resp, &name)))
        }
        .await,
    )
}

/// `POST /v1/rerank` (Cohere's shape; documents as strings or `{text}`).
pub(crate) async fn rerank(State(gw): State<Gateway>, headers: HeaderMap, body: Body) -> Response {
    answer(
        async {
            let t0 = Instant::now();
            let bytes = read(&gw, &headers, body).await?;
            let (mut req, documents) = media::decode_rerank(&bytes)?;
            let name = std::mem::take(&mut req.model);
            let a = admit(&gw, &headers, &name)?;
            req.model.clone_from(&a.model);
            let call = a.client.rerank(req.clone());
            let resp = run(&gw, &name, &a.model, t0, call, |r| (r.usage.clone(), None)).await?;
            Ok(json(&media::encode_rerank(&resp, &req, documents)))
        }
        .await,
    )
}
