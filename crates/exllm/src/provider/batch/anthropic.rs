//! Anthropic Message Batches (`/messages/batches`): the create body of `{custom_id, params}`
//! entries built with the Messages codec, the job requests, the job object with its
//! `processing_status` and `request_counts`, and the results JSONL whose lines are
//! `succeeded`, `errored`, `canceled` or `expired`.

use super::files::time_of;
use super::openai::line_error;
use super::{bad_line, id_segment, page_path};
use crate::error::{Error, ErrorKind, Result};
use crate::provider::{common, Api, Endpoint};
use crate::types::{
    BatchApi, BatchCounts, BatchJob, BatchPage, BatchStatus, ChatRequest, ChatResponse,
};
use crate::wire::errors::error_from_http;
use bytes::Bytes;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{json, Value};

/// Whether `id` is a `custom_id` Anthropic accepts (1 to 64 of `[A-Za-z0-9_-]`).
pub(crate) fn valid_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// One entry of a create body: `{"custom_id", "params"}`, the params being what a direct
/// call would send (for a request whose `model` is the provider's own name).
pub(crate) fn entry(ep: &Endpoint, id: &str, req: &ChatRequest) -> Result<Value> {
    if !valid_id(id) {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            format!("Anthropic batch ids are 1 to 64 letters, digits, `_` or `-`; `{id}` is not"),
        ));
    }
    let enc = Api::Anthropic.codec().encode(req, &req.model, ep, false)?;
    let params: Value = common::parse(enc.request.body(), "encoded request")?;
    Ok(json!({"custom_id": id, "params": params}))
}

/// The creation of a job from its entries; `files_beta` when a request refers to an uploaded
/// file by id (the Files API beta then applies to the whole job).
pub(crate) fn create(
    ep: &Endpoint,
    entries: Vec<Value>,
    files_beta: bool,
) -> Result<http::Request<Bytes>> {
    let r = common::post_json(
        ep,
        "/messages/batches",
        &json!({"requests": entries}),
        false,
    )?;
    Ok(match files_beta {
        true => super::files::beta(super::FileApi::Anthropic, r),
        false => r,
    })
}

/// The lookup of a job.
pub(crate) fn get(ep: &Endpoint, id: &str) -> Result<http::Request<Bytes>> {
    common::get(ep, &format!("/messages/batches/{}", id_segment(id)))
}

/// The cancellation of a job.
pub(crate) fn cancel(ep: &Endpoint, id: &str) -> Result<http::Request<Bytes>> {
    let path = format!("/messages/batches/{}/cancel", id_segment(id));
    common::request(ep, http::Method::POST, &path, None)
}

/// The download of a job's results (at the endpoint's base URL, which is where the
/// `results_url` a job reports points for the real API).
pub(crate) fn results(ep: &Endpoint, id: &str) -> Result<http::Request<Bytes>> {
    common::get(ep, &format!("/messages/batches/{}/results", id_segment(id)))
}

/// A page of the job listing.
pub(crate) fn list(
    ep: &Endpoint,
    limit: Option<u32>,
    after: Option<&str>,
) -> Result<http::Request<Bytes>> {
    let path = page_path("/messages/batches", ("limit", limit), ("after_id", after));
    common::get(ep, &path)
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct WireCounts {
    processing: u64,
    succeeded: u64,
    errored: u64,
    canceled: u64,
    expired: u64,
}

#[derive(Deserialize)]
struct WireBatch {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    processing_status: Option<String>,
    #[serde(default)]
    request_counts: Option<WireCounts>,
    #[serde(default)]
    created_at: Option<Value>,
    #[serde(default)]
    ended_at: Option<Value>,
    #[serde(default)]
    cancel_initiated_at: Option<Value>,
}

impl WireBatch {
    fn into_job(self, provider: &str) -> Result<BatchJob> {
        let id = self
            .id
            .filter(|i| !i.is_empty())
            .ok_or_else(|| bad_line(0, "the batch object has no id"))?;
        let c = self.request_counts.unwrap_or_default();
        let cancelling = self
            .cancel_initiated_at
            .as_ref()
            .is_some_and(|v| !v.is_null());
        // Anthropic has one `ended` state; the counts say how it ended.
        let status = match self.processing_status.as_deref().unwrap_or("") {
            "in_progress" => BatchStatus::InProgress,
            "canceling" => BatchStatus::Cancelling,
            "ended" if cancelling => BatchStatus::Cancelled,
            "ended" if c.expired > 0 && c.succeeded + c.errored == 0 => BatchStatus::Expired,
            "ended" => BatchStatus::Completed,
            other => BatchStatus::Other(other.to_owned()),
        };
        Ok(BatchJob {
            id,
            provider: provider.to_owned(),
            api: BatchApi::Anthropic,
            status,
            counts: BatchCounts {
                total: c.processing + c.succeeded + c.errored + c.canceled + c.expired,
                succeeded: c.succeeded,
                failed: c.errored,
                cancelled: c.canceled,
                expired: c.expired,
            },
            created_at: time_of(self.created_at.as_ref()),
            ended_at: time_of(self.ended_at.as_ref()),
            ..BatchJob::default()
        })
    }
}

/// Decodes a job object.
pub(crate) fn decode_job(provider: &str, body: &[u8]) -> Result<BatchJob> {
    common::parse::<WireBatch>(body, "message batch")?.into_job(provider)
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
/// (`last_id`, else the last job's id; sent back as `after_id`).
pub(crate) fn decode_list(provider: &str, body: &[u8]) -> Result<BatchPage> {
    let list: WireList = common::parse(body, "message batch list")?;
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
    #[serde(default)]
    custom_id: Option<String>,
    #[serde(default, borrow)]
    result: Option<WireResult<'a>>,
}

#[derive(Deserialize)]
struct WireResult<'a> {
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default, borrow)]
    message: Option<&'a RawValue>,
    #[serde(default)]
    error: Option<Value>,
}

/// The HTTP status an Anthropic error type stands for, so an errored line gets the kind a
/// direct call's error would.
fn status_of(kind: Option<&str>) -> u16 {
    match kind {
        Some("authentication_error") => 401,
        Some("permission_error") => 403,
        Some("not_found_error") => 404,
        Some("request_too_large") => 413,
        Some("rate_limit_error") => 429,
        Some("api_error") => 500,
        Some("overloaded_error") => 529,
        _ => 400,
    }
}

/// Decodes line `n` (1-based) of a results file: the request's id and its answer, decoded by
/// the Messages codec, or why there is none.
pub(crate) fn decode_line(
    provider: &str,
    n: usize,
    line: &[u8],
) -> Result<(String, Result<ChatResponse>)> {
    let w: WireLine<'_> = serde_json::from_slice(line).map_err(|e| bad_line(n, e))?;
    let id = w.custom_id.ok_or_else(|| bad_line(n, "no custom_id"))?;
    let r = w.result.ok_or_else(|| bad_line(n, "no result"))?;
    let result = match r.kind.as_deref() {
        Some("succeeded") => match r.message {
            Some(m) => Api::Anthropic.codec().decode(m.get().as_bytes()),
            None => Err(bad_line(n, "a succeeded result without a message")),
        },
        Some("errored") => {
            // `{"type": "error", "error": {"type", "message"}}`, as an error body would be.
            let e = r.error.unwrap_or(Value::Null);
            let inner = e.get("error").unwrap_or(&e);
            let status = status_of(inner.get("type").and_then(Value::as_str));
            let body = serde_json::to_vec(&e).unwrap_or_default();
            Err(error_from_http(
                provider,
                status,
                &http::HeaderMap::new(),
                &body,
            ))
        }
        Some("canceled") => Err(line_error(Some("batch_cancelled".into()), None)),
        Some("expired") => Err(line_error(Some("batch_expired".into()), None)),
        other => Err(bad_line(
            n,
            format!("unknown result type {}", other.unwrap_or("(none)")),
        )),
    };
    Ok((id, result.map_err(|e| e.with_provider(provider))))
}
