//! OpenAI's Batch API (`/batches`), which Azure OpenAI and Groq copy: the JSONL input built
//! from `(id, ChatRequest)` pairs with the Chat Completions codec, the job requests, the job
//! object, and the output and error lines matched back by `custom_id`.

use super::files::time_of;
use super::{bad_line, counts, id_segment, page_path};
use crate::error::{Error, Result};
use crate::provider::{common, Api, Endpoint};
use crate::types::{BatchApi, BatchJob, BatchPage, BatchStatus, ChatRequest, ChatResponse};
use crate::wire::errors::error_from_http;
use bytes::Bytes;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{json, Value};

/// The endpoint a batch's lines go to: Azure names it without the version prefix.
pub(crate) fn chat_url(ep: &Endpoint) -> &'static str {
    if ep.provider.starts_with("azure") {
        "/chat/completions"
    } else {
        "/v1/chat/completions"
    }
}

/// One input line, `{"custom_id", "method", "url", "body"}` and its newline, for a request
/// whose `model` is the provider's own name. The body is what a direct call would send.
pub(crate) fn input_line(ep: &Endpoint, id: &str, req: &ChatRequest) -> Result<Vec<u8>> {
    let enc = Api::OpenAiChat.codec().encode(req, &req.model, ep, false)?;
    let mut body = enc.request.body().clone();
    if ep.quirks.deployment_path {
        // Azure's deployments API names the model in the path of a direct call; a batch line
        // names its deployment in the body.
        let mut v: Value = common::parse(&body, "encoded request")?;
        if let Some(o) = v.as_object_mut() {
            o.insert("model".into(), req.model.clone().into());
        }
        body = serde_json::to_vec(&v).map_err(|e| bad_line(0, e))?.into();
    }
    let body = &body[..];
    let head = json!({"custom_id": id, "method": "POST", "url": chat_url(ep)}).to_string();
    // The body is compact JSON (no newline), so it goes in as it is, without a re-parse.
    let mut line = Vec::with_capacity(head.len() + body.len() + 10);
    line.extend_from_slice(&head.as_bytes()[..head.len() - 1]);
    line.extend_from_slice(b",\"body\":");
    line.extend_from_slice(body);
    line.extend_from_slice(b"}\n");
    Ok(line)
}

/// The creation of a job over an uploaded input file.
pub(crate) fn create(ep: &Endpoint, input_file_id: &str) -> Result<http::Request<Bytes>> {
    let body = json!({
        "input_file_id": input_file_id,
        "endpoint": chat_url(ep),
        "completion_window": "24h",
    });
    common::post_json(ep, "/batches", &body, false)
}

/// The lookup of a job.
pub(crate) fn get(ep: &Endpoint, id: &str) -> Result<http::Request<Bytes>> {
    common::get(ep, &format!("/batches/{}", id_segment(id)))
}

/// The cancellation of a job.
pub(crate) fn cancel(ep: &Endpoint, id: &str) -> Result<http::Request<Bytes>> {
    let path = format!("/batches/{}/cancel", id_segment(id));
    common::request(ep, http::Method::POST, &path, None)
}

/// A page of the job listing.
pub(crate) fn list(
    ep: &Endpoint,
    limit: Option<u32>,
    after: Option<&str>,
) -> Result<http::Request<Bytes>> {
    common::get(
        ep,
        &page_path("/batches", ("limit", limit), ("after", after)),
    )
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct WireCounts {
    total: u64,
    completed: u64,
    failed: u64,
}

#[derive(Deserialize)]
struct WireBatch {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    request_counts: Option<WireCounts>,
    #[serde(default)]
    created_at: Option<Value>,
    #[serde(default)]
    completed_at: Option<Value>,
    #[serde(default)]
    failed_at: Option<Value>,
    #[serde(default)]
    expired_at: Option<Value>,
    #[serde(default)]
    cancelled_at: Option<Value>,
    #[serde(default)]
    input_file_id: Option<String>,
    #[serde(default)]
    output_file_id: Option<String>,
    #[serde(default)]
    error_file_id: Option<String>,
    #[serde(default)]
    errors: Option<Value>,
}

fn status_of(s: &str) -> BatchStatus {
    match s {
        "validating" => BatchStatus::Validating,
        "in_progress" => BatchStatus::InProgress,
        "finalizing" => BatchStatus::Finalizing,
        "completed" => BatchStatus::Completed,
        "failed" => BatchStatus::Failed,
        "expired" => BatchStatus::Expired,
        "cancelling" => BatchStatus::Cancelling,
        "cancelled" => BatchStatus::Cancelled,
        other => BatchStatus::Other(other.to_owned()),
    }
}

impl WireBatch {
    fn into_job(self, provider: &str) -> Result<BatchJob> {
        let id = self
            .id
            .filter(|i| !i.is_empty())
            .ok_or_else(|| bad_line(0, "the batch object has no id"))?;
        let c = self.request_counts.unwrap_or_default();
        let status = status_of(self.status.as_deref().unwrap_or(""));
        let failed = c.failed;
        // OpenAI counts expired and cancelled requests as neither completed nor failed: what
        // is left of the total when the job ended went that way.
        let rest = c.total.saturating_sub(c.completed + failed);
        let counts = counts(c.total, c.completed, failed, rest, &status);
        let ended = [
            &self.completed_at,
            &self.failed_at,
            &self.expired_at,
            &self.cancelled_at,
        ]
        .into_iter()
        .find_map(|t| time_of(t.as_ref()));
        let errors = match self.errors.as_ref().and_then(|e| e.get("data")) {
            Some(Value::Array(items)) => items
                .iter()
                .map(|e| crate::wire::errors::response_error(e).message)
                .collect(),
            _ => Vec::new(),
        };
        Ok(BatchJob {
            id,
            provider: provider.to_owned(),
            api: BatchApi::OpenAi,
            status,
            counts,
            model: None,
            created_at: time_of(self.created_at.as_ref()),
            ended_at: ended,
            input_file_id: self.input_file_id,
            output_file_id: self.output_file_id,
            error_file_id: self.error_file_id,
            errors,
            request_ids: Vec::new(),
            checkpoint: None,
        })
    }
}

/// Decodes a job object.
pub(crate) fn decode_job(provider: &str, body: &[u8]) -> Result<BatchJob> {
    common::parse::<WireBatch>(body, "batch object")?.into_job(provider)
}

#[derive(Deserialize)]
struct WireList {
    #[serde(default)]
    data: Vec<WireBatch>,
    #[serde(default)]
    has_more: bool,
    #[serde(default)]
    last_id: Option<String>,
}

/// Decodes a listing page: the jobs and, when more follow, the cursor of the next page
/// (`last_id`, else the last job's id).
pub(crate) fn decode_list(provider: &str, body: &[u8]) -> Result<BatchPage> {
    let list: WireList = common::parse(body, "batch list")?;
    let jobs: Vec<BatchJob> = list
        .data
        .into_iter()
        .map(|b| b.into_job(provider))
        .collect::<Result<_>>()?;
    let next = list
        .has_more
        .then(|| list.last_id.or_else(|| jobs.last().map(|j| j.id.clone())))
        .flatten();
    Ok(BatchPage { jobs, next })
}

#[derive(Deserialize)]
struct WireLine<'a> {
    #[serde(default, borrow)]
    custom_id: Option<&'a RawValue>,
    #[serde(default, borrow)]
    response: Option<WireResponse<'a>>,
    #[serde(default)]
    error: Option<Value>,
}

#[derive(Deserialize)]
struct WireResponse<'a> {
    #[serde(default)]
    status_code: Option<u16>,
    #[serde(default)]
    request_id: Option<String>,
    #[serde(default, borrow)]
    body: Option<&'a RawValue>,
}

/// Decodes line `n` (1-based, for messages) of an output or error file: the request's id and
/// its answer, decoded by the Chat Completions codec, or its error.
pub(crate) fn decode_line(
    provider: &str,
    n: usize,
    line: &[u8],
) -> Result<(String, Result<ChatResponse>)> {
    let w: WireLine<'_> = serde_json::from_slice(line).map_err(|e| bad_line(n, e))?;
    let id = w
        .custom_id
        .and_then(|r| serde_json::from_str::<String>(r.get()).ok())
        .ok_or_else(|| bad_line(n, "no custom_id"))?;
    let failed = |e: Error| Ok((id.clone(), Err(e.with_provider(provider))));
    if let Some(e) = w.error.filter(|e| !e.is_null()) {
        let (message, code) = crate::wire::errors::error_fields(&json!({"error": e}));
        return failed(line_error(code, message));
    }
    let Some(resp) = w.response else {
        return failed(bad_line(n, "neither a response nor an error"));
    };
    let status = resp.status_code.unwrap_or(200);
    let body = resp.body.map(RawValue::get).unwrap_or("null").as_bytes();
    let result = if (200..300).contains(&status) {
        Api::OpenAiChat.codec().decode(body)
    } else {
        Err(error_from_http(
            provider,
            status,
            &http::HeaderMap::new(),
            body,
        ))
    };
    let result = result.map_err(|e| {
        let e = e.with_provider(provider);
        match resp.request_id {
            Some(r) => e.with_request_id(r),
            None => e,
        }
    });
    Ok((id, result))
}

/// The error of a line the batch did not run: expired or cancelled requests, by their code.
pub(crate) fn line_error(code: Option<String>, message: Option<String>) -> Error {
    use crate::error::ErrorKind;
    let code = code.unwrap_or_else(|| "batch_error".into());
    let kind = match code.as_str() {
        "batch_expired" | "expired" => ErrorKind::Timeout,
        "batch_cancelled" | "cancelled" | "canceled" => ErrorKind::Http,
        _ => ErrorKind::BadRequest,
    };
    let message = message.unwrap_or_else(|| format!("the request was not run ({code})"));
    Error::new(kind, message).with_code(code)
}
