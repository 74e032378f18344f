//! Mistral's Batch API (`/batch/jobs`): the JSONL input of `{custom_id, body}` lines built
//! with the Chat Completions codec (the model is the job's, not each line's), the job
//! requests, and the job object with its request counts. The output and error files are
//! OpenAI-shaped lines, decoded by `openai::decode_line`.

use super::files::time_of;
use super::{bad_line, counts, id_segment, page_path};
use crate::error::Result;
use crate::provider::{common, Api, Endpoint};
use crate::types::{BatchApi, BatchJob, BatchPage, BatchStatus, ChatRequest};
use bytes::Bytes;
use serde::Deserialize;
use serde_json::{json, Value};

/// One input line and its newline: `{"custom_id", "body"}`, the body without its `model`.
pub(crate) fn input_line(ep: &Endpoint, id: &str, req: &ChatRequest) -> Result<Vec<u8>> {
    let enc = Api::OpenAiChat.codec().encode(req, &req.model, ep, false)?;
    let mut body: Value = common::parse(enc.request.body(), "encoded request")?;
    if let Some(o) = body.as_object_mut() {
        o.remove("model");
    }
    let mut line =
        serde_json::to_vec(&json!({"custom_id": id, "body": body})).map_err(|e| bad_line(0, e))?;
    line.push(b'\n');
    Ok(line)
}

/// The creation of a job for `model` over an uploaded input file.
pub(crate) fn create(
    ep: &Endpoint,
    model: &str,
    input_file_id: &str,
) -> Result<http::Request<Bytes>> {
    let body = json!({
        "input_files": [input_file_id],
        "model": model,
        "endpoint": "/v1/chat/completions",
    });
    common::post_json(ep, "/batch/jobs", &body, false)
}

/// The lookup of a job.
pub(crate) fn get(ep: &Endpoint, id: &str) -> Result<http::Request<Bytes>> {
    common::get(ep, &format!("/batch/jobs/{}", id_segment(id)))
}

/// The cancellation of a job.
pub(crate) fn cancel(ep: &Endpoint, id: &str) -> Result<http::Request<Bytes>> {
    let path = format!("/batch/jobs/{}/cancel", id_segment(id));
    common::request(ep, http::Method::POST, &path, None)
}

/// A page of the job listing: `after` is the number of the page to get (pages count from
/// 0), as [`decode_list`] gave it.
pub(crate) fn list(
    ep: &Endpoint,
    limit: Option<u32>,
    after: Option<&str>,
) -> Result<http::Request<Bytes>> {
    common::get(
        ep,
        &page_path("/batch/jobs", ("page_size", limit), ("page", after)),
    )
}

#[derive(Deserialize)]
struct WireJob {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    input_files: Vec<String>,
    #[serde(default)]
    output_file: Option<String>,
    #[serde(default)]
    error_file: Option<String>,
    #[serde(default)]
    errors: Vec<Value>,
    #[serde(default)]
    total_requests: u64,
    #[serde(default)]
    succeeded_requests: u64,
    #[serde(default)]
    failed_requests: u64,
    #[serde(default)]
    created_at: Option<Value>,
    #[serde(default)]
    completed_at: Option<Value>,
}

fn status_of(s: &str) -> BatchStatus {
    match s {
        "QUEUED" => BatchStatus::Validating,
        "RUNNING" => BatchStatus::InProgress,
        "SUCCESS" => BatchStatus::Completed,
        "FAILED" => BatchStatus::Failed,
        "TIMEOUT_EXCEEDED" => BatchStatus::Expired,
        "CANCELLATION_REQUESTED" => BatchStatus::Cancelling,
        "CANCELLED" => BatchStatus::Cancelled,
        other => BatchStatus::Other(other.to_owned()),
    }
}

impl WireJob {
    fn into_job(self, provider: &str) -> Result<BatchJob> {
        let id = self
            .id
            .filter(|i| !i.is_empty())
            .ok_or_else(|| bad_line(0, "the batch job has no id"))?;
        let status = status_of(self.status.as_deref().unwrap_or(""));
        let rest = self
            .total_requests
            .saturating_sub(self.succeeded_requests + self.failed_requests);
        Ok(BatchJob {
            id,
            provider: provider.to_owned(),
            api: BatchApi::Mistral,
            counts: counts(
                self.total_requests,
                self.succeeded_requests,
                self.failed_requests,
                rest,
                &status,
            ),
            status,
            model: self.model.map(|m| format!("{provider}/{m}")),
            created_at: time_of(self.created_at.as_ref()),
            ended_at: time_of(self.completed_at.as_ref()),
            input_file_id: self.input_files.into_iter().next(),
            output_file_id: self.output_file,
            error_file_id: self.error_file,
            errors: self
                .errors
                .iter()
                .map(|e| crate::wire::errors::response_error(e).message)
                .collect(),
            ..BatchJob::default()
        })
    }
}

/// Decodes a job object.
pub(crate) fn decode_job(provider: &str, body: &[u8]) -> Result<BatchJob> {
    common::parse::<WireJob>(body, "batch job")?.into_job(provider)
}

/// Decodes page `page` (of `page_size` jobs) of the listing, `{"data": [...], "total"}`:
/// the jobs and the number of the next page while `total` says more follow.
pub(crate) fn decode_list(
    provider: &str,
    body: &[u8],
    page: u64,
    page_size: u64,
) -> Result<BatchPage> {
    #[derive(Deserialize)]
    struct WireList {
        #[serde(default)]
        data: Vec<WireJob>,
        #[serde(default)]
        total: Option<u64>,
    }
    let l: WireList = common::parse(body, "batch job list")?;
    let shown = l.data.len() as u64;
    let jobs = l
        .data
        .into_iter()
        .map(|j| j.into_job(provider))
        .collect::<Result<_>>()?;
    let seen = page.saturating_mul(page_size).saturating_add(shown);
    let more = shown > 0 && l.total.is_some_and(|t| seen < t);
    let next = more.then(|| (page + 1).to_string());
    Ok(BatchPage { jobs, next })
}
