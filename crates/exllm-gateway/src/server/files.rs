//! OpenAI's file store and batch jobs: `/v1/files` (upload, list, get, delete, content) and
//! `/v1/batches` (create, get, cancel, list), forwarded through the library's raw send to a
//! provider that speaks OpenAI's API (OpenAI, Azure OpenAI, Groq and other compatible hosts).
//! Files and batches belong to a provider, not a model, so the provider is the one serving a
//! configured name: the `x-exllm-model` header, else a `model` field of the upload form or
//! the create body, else the only OpenAI-speaking endpoint the config has. A batch input file
//! is checked line by line: every `body.model` must be a configured name of that same
//! endpoint and is rewritten to its deployment's model, so batches obey the same allow-list
//! as chat. Answers (ids, objects, content) are the provider's, streamed as they arrive.

use super::misc::{error_response, read_body};
use super::pass::PassTarget;
use super::Gateway;
use crate::errors::api_error;
use crate::wire::multipart::{self, Part};
use crate::wire::openai::OpenAiChat;
use crate::wire::ApiError;
use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use bytes::Bytes;
use exllm::client::RawRequest;
use futures_util::StreamExt;
use http::{header, HeaderMap, Method, StatusCode};

/// The header naming the configured model whose provider holds the files and batches.
pub const MODEL_HEADER: &str = "x-exllm-model";

fn bad(msg: impl Into<String>) -> ApiError {
    ApiError {
        status: 400,
        kind: "invalid_request_error",
        message: msg.into(),
        retry_after: None,
    }
}

/// The provider for this request: by `name` (the header's or the body's), else the only
/// OpenAI-speaking endpoint configured.
fn target(gw: &Gateway, headers: &HeaderMap, name: Option<&str>) -> Result<PassTarget, ApiError> {
    let backends = gw.backends();
    let caller = crate::budget::authenticate(gw.governance().as_deref(), &backends, headers)?;
    let openai =
        |t: &PassTarget| matches!(t.api, exllm::Api::OpenAiChat | exllm::Api::OpenAiResponses);
    let header = headers.get(MODEL_HEADER).and_then(|v| v.to_str().ok());
    let name = match header.or(name) {
        Some(n) => n.to_owned(),
        None => {
            let mut names = backends
                .names
                .iter()
                .filter(|n| backends.pass.get(*n).is_some_and(openai));
            let first = names.next().ok_or_else(|| {
                bad("no configured model serves files and batches (an OpenAI-compatible direct entry)")
            })?;
            let one = &backends.pass[first];
            if names.any(|n| !backends.pass[n].same_endpoint(one)) {
                return Err(bad(format!(
                    "several providers could hold files: name a configured model in the `{MODEL_HEADER}` header"
                )));
            }
            first.clone()
        }
    };
    let backend = backends.models.get(&name).ok_or_else(|| ApiError {
        status: 404,
        kind: "not_found_error",
        message: format!("the model `{name}` is not served here"),
        retry_after: None,
    })?;
    crate::budget::check_scope(&caller, &name, backend)?;
    backends
        .pass
        .get(&name)
        .filter(|t| openai(t))
        .cloned()
        .ok_or_else(|| {
            bad(format!(
                "`{name}` does not serve files and batches: that takes a direct entry of an OpenAI-compatible provider"
            ))
        })
}

/// Sends `req` to `target` and streams the answer back; errors as OpenAI error objects.
async fn forward(gw: &Gateway, target: &PassTarget, req: RawRequest) -> Response {
    let Some(permit) = gw.try_permit() else {
        return error_response::<OpenAiChat>(&super::chat::overloaded());
    };
    let sent = tokio::time::timeout(gw.limits().timeout, target.http().send_raw(req)).await;
    let answer = match sent {
        Ok(Ok(a)) => a,
        Ok(Err(e)) => return error_response::<OpenAiChat>(&api_error(&e)),
        Err(_) => return error_response::<OpenAiChat>(&super::chat::timed_out()),
    };
    let body = answer.body.map(move |c| {
        let _held = &permit;
        c.map_err(|e| std::io::Error::other(e.to_string()))
    });
    let mut resp = Response::new(Body::from_stream(body));
    *resp.status_mut() = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::OK);
    if let Some(ct) = answer.headers.get(header::CONTENT_TYPE) {
        resp.headers_mut().insert(header::CONTENT_TYPE, ct.clone());
    }
    resp
}

fn raw(method: Method, path: String, query: Option<String>) -> RawRequest {
    let path = match query {
        Some(q) if !q.is_empty() => format!("{path}?{q}"),
        _ => path,
    };
    RawRequest {
        method,
        path,
        ..RawRequest::default()
    }
}

/// An id as one path segment (ids are the provider's; nothing else gets through).
fn segment(id: &str) -> Result<&str, ApiError> {
    if id.is_empty()
        || !id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
    {
        return Err(bad("invalid id"));
    }
    Ok(id)
}

/// `POST /v1/files` (multipart: `file`, `purpose`).
pub(crate) async fn upload(State(gw): State<Gateway>, headers: HeaderMap, body: Body) -> Response {
    match upload_request(&gw, &headers, body).await {
        Ok((target, req)) => forward(&gw, &target, req).await,
        Err(e) => error_response::<OpenAiChat>(&e),
    }
}

async fn upload_request(
    gw: &Gateway,
    headers: &HeaderMap,
    body: Body,
) -> Result<(PassTarget, RawRequest), ApiError> {
    let backends = gw.backends();
    crate::budget::authenticate(gw.governance().as_deref(), &backends, headers)?;
    drop(backends);
    let bytes = read_body(body, headers, gw.limits().max_body_bytes).await?;
    let boundary = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(multipart::boundary)
        .ok_or_else(|| bad("a file is uploaded as multipart/form-data"))?;
    let mut parts = multipart::parse(&bytes, &boundary).map_err(bad)?;
    let model = take_field(&mut parts, "model");
    let target = target(gw, headers, model.as_deref())?;
    let purpose = parts
        .iter()
        .find(|p| p.name == "purpose")
        .and_then(Part::text)
        .map(str::to_owned);
    if purpose.as_deref() == Some("batch") {
        let backends = gw.backends();
        let file = parts
            .iter_mut()
            .find(|p| p.name == "file")
            .ok_or_else(|| bad("the form needs a `file`"))?;
        let rewritten = crate::wire::batch_file::rewrite_models(&file.data, |name| {
            let t = backends.pass.get(name)?;
            t.same_endpoint(&target)
                .then(|| t.upstream_model().to_owned())
        })
        .map_err(|e| bad(format!("batch input file: {e}")))?;
        file.data = Bytes::from(rewritten);
    }
    let boundary = "exllm-form-boundary-7d1c";
    let mut req = raw(Method::POST, "/files".into(), None);
    req.body = Bytes::from(multipart::encode(&parts, boundary));
    req.content_type = Some(format!("multipart/form-data; boundary={boundary}"));
    Ok((target, req))
}

/// Removes a text field from a form, returning its value.
fn take_field(parts: &mut Vec<Part>, name: &str) -> Option<String> {
    let i = parts.iter().position(|p| p.name == name)?;
    parts.remove(i).text().map(str::to_owned)
}

/// `GET /v1/files`.
pub(crate) async fn list_files(
    State(gw): State<Gateway>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    simple(&gw, &headers, Method::GET, "/files".into(), q).await
}

/// `GET /v1/files/{id}`.
pub(crate) async fn get_file(
    State(gw): State<Gateway>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    by_id(&gw, &headers, Method::GET, "/files", &id, "").await
}

/// `DELETE /v1/files/{id}`.
pub(crate) async fn delete_file(
    State(gw): State<Gateway>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    by_id(&gw, &headers, Method::DELETE, "/files", &id, "").await
}

/// `GET /v1/files/{id}/content`, streamed.
pub(crate) async fn file_content(
    State(gw): State<Gateway>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    by_id(&gw, &headers, Method::GET, "/files", &id, "/content").await
}

/// `POST /v1/batches` (`input_file_id`, `endpoint`, `completion_window`, `metadata`).
pub(crate) async fn create_batch(
    State(gw): State<Gateway>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let made = async {
        let backends = gw.backends();
        crate::budget::authenticate(gw.governance().as_deref(), &backends, &headers)?;
        drop(backends);
        let bytes = read_body(body, &headers, gw.limits().max_body_bytes).await?;
        let mut v: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(&bytes)
            .map_err(|e| bad(format!("invalid batch request body: {e}")))?;
        let model = v
            .remove("model")
            .and_then(|m| m.as_str().map(str::to_owned));
        let target = target(&gw, &headers, model.as_deref())?;
        let mut req = raw(Method::POST, "/batches".into(), None);
        req.body = Bytes::from(serde_json::to_vec(&v).unwrap_or_default());
        Ok::<_, ApiError>((target, req))
    };
    match made.await {
        Ok((target, req)) => forward(&gw, &target, req).await,
        Err(e) => error_response::<OpenAiChat>(&e),
    }
}

/// `GET /v1/batches`.
pub(crate) async fn list_batches(
    State(gw): State<Gateway>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    simple(&gw, &headers, Method::GET, "/batches".into(), q).await
}

/// `GET /v1/batches/{id}`.
pub(crate) async fn get_batch(
    State(gw): State<Gateway>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    by_id(&gw, &headers, Method::GET, "/batches", &id, "").await
}

/// `POST /v1/batches/{id}/cancel`.
pub(crate) async fn cancel_batch(
    State(gw): State<Gateway>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    by_id(&gw, &headers, Method::POST, "/batches", &id, "/cancel").await
}

async fn by_id(
    gw: &Gateway,
    headers: &HeaderMap,
    method: Method,
    base: &str,
    id: &str,
    tail: &str,
) -> Response {
    match segment(id) {
        Ok(id) => simple(gw, headers, method, format!("{base}/{id}{tail}"), None).await,
        Err(e) => error_response::<OpenAiChat>(&e),
    }
}

async fn simple(
    gw: &Gateway,
    headers: &HeaderMap,
    method: Method,
    path: String,
    query: Option<String>,
) -> Response {
    let query = match query.map(|q| sanitize_query(&q)).transpose() {
        Ok(q) => q,
        Err(e) => return error_response::<OpenAiChat>(&e),
    };
    match target(gw, headers, None) {
        Ok(t) => {
            let mut req = raw(method.clone(), path, query);
            if method == Method::POST {
                req.body = Bytes::from_static(b"{}");
            }
            forward(gw, &t, req).await
        }
        Err(e) => error_response::<OpenAiChat>(&e),
    }
}

/// A listing's query (`limit`, `after`, `order`, `purpose`), kept to plain characters.
fn sanitize_query(q: &str) -> Result<String, ApiError> {
    let ok = q
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-_.=&%".contains(&b));
    if !ok {
        return Err(bad("invalid query"));
    }
    Ok(q.to_owned())
}
