//! Gemini batch mode (`models/{model}:batchGenerateContent`): the create body of inline
//! `{request, metadata: {key}}` entries built with the Gemini codec, or of an uploaded JSONL
//! file of `{key, request}` lines (`input_config.file_name`), the batch (bare
//! or inside its long-running operation) with its state and `batchStats`, cancel and list,
//! and the inlined responses decoded by the Gemini codec. Responses come back in request
//! order and may lack their key, so a response without one is matched by position.

use super::files::time_of;
use super::openai::line_error;
use super::{bad_line, counts, id_segment, page_path};
use crate::error::{Error, Result};
use crate::provider::{common, Api, Endpoint};
use crate::types::{BatchApi, BatchJob, BatchPage, BatchStatus, ChatRequest, ChatResponse};
use crate::wire::errors::error_from_http;
use bytes::Bytes;
use serde_json::{json, Value};

/// One inline entry: `{"request": <generateContent body>, "metadata": {"key": id}}`.
pub(crate) fn entry(ep: &Endpoint, id: &str, req: &ChatRequest) -> Result<Value> {
    let enc = Api::Gemini.codec().encode(req, &req.model, ep, false)?;
    let request: Value = common::parse(enc.request.body(), "encoded request")?;
    Ok(json!({"request": request, "metadata": {"key": id}}))
}

/// One line of a requests file: `{"key": id, "request": <generateContent body>}` and its
/// newline, for a batch too big to send inline.
pub(crate) fn file_line(ep: &Endpoint, id: &str, req: &ChatRequest) -> Result<Vec<u8>> {
    let enc = Api::Gemini.codec().encode(req, &req.model, ep, false)?;
    let request: Value = common::parse(enc.request.body(), "encoded request")?;
    let mut line =
        serde_json::to_vec(&json!({"key": id, "request": request})).map_err(|e| bad_line(0, e))?;
    line.push(b'\n');
    Ok(line)
}

/// The creation of a batch of `entries` for `model`.
pub(crate) fn create(
    ep: &Endpoint,
    model: &str,
    entries: Vec<Value>,
) -> Result<http::Request<Bytes>> {
    create_with(ep, model, json!({"requests": {"requests": entries}}))
}

/// The creation of a batch for `model` whose requests are in the uploaded file `file_name`
/// (`files/abc`, as the upload named it); its answers then come in a responses file.
pub(crate) fn create_from_file(
    ep: &Endpoint,
    model: &str,
    file_name: &str,
) -> Result<http::Request<Bytes>> {
    create_with(ep, model, json!({"file_name": file_name}))
}

fn create_with(ep: &Endpoint, model: &str, input_config: Value) -> Result<http::Request<Bytes>> {
    let body = json!({"batch": {
        "display_name": "exllm-batch",
        "input_config": input_config,
    }});
    let path = format!("/models/{}:batchGenerateContent", id_segment(model));
    common::post_json(ep, &path, &body, false)
}

/// The path of batch `id` (`batches/abc` or `abc`).
fn batch_path(id: &str) -> String {
    format!(
        "/batches/{}",
        id_segment(id.strip_prefix("batches/").unwrap_or(id))
    )
}

/// The lookup of a batch (its answers inline once it succeeded).
pub(crate) fn get(ep: &Endpoint, id: &str) -> Result<http::Request<Bytes>> {
    common::get(ep, &batch_path(id))
}

/// The cancellation of a batch (it answers `{}`: the caller looks the batch up after).
pub(crate) fn cancel(ep: &Endpoint, id: &str) -> Result<http::Request<Bytes>> {
    let path = format!("{}:cancel", batch_path(id));
    common::request(ep, http::Method::POST, &path, None)
}

/// A page of the batch listing, from the page token `after` when given.
pub(crate) fn list(
    ep: &Endpoint,
    limit: Option<u32>,
    after: Option<&str>,
) -> Result<http::Request<Bytes>> {
    let path = page_path("/batches", ("pageSize", limit), ("pageToken", after));
    common::get(ep, &path)
}

/// The batch inside a value: an operation's `metadata` (with its `name`), or the value.
fn batch_of(v: &Value) -> &Value {
    match v.get("metadata") {
        Some(m) if m.get("state").is_some() => m,
        _ => v,
    }
}

/// An int64, sent as a string or a number.
fn count(v: Option<&Value>) -> u64 {
    match v {
        Some(Value::String(s)) => s.parse().unwrap_or(0),
        Some(Value::Number(n)) => n.as_u64().unwrap_or(0),
        _ => 0,
    }
}

fn status_of(state: &str) -> BatchStatus {
    let s = state
        .strip_prefix("BATCH_STATE_")
        .or_else(|| state.strip_prefix("JOB_STATE_"))
        .unwrap_or(state);
    match s {
        "PENDING" | "QUEUED" => BatchStatus::Validating,
        "RUNNING" => BatchStatus::InProgress,
        "SUCCEEDED" => BatchStatus::Completed,
        "FAILED" => BatchStatus::Failed,
        "CANCELLING" => BatchStatus::Cancelling,
        "CANCELLED" => BatchStatus::Cancelled,
        "EXPIRED" => BatchStatus::Expired,
        _ => BatchStatus::Other(state.to_owned()),
    }
}

fn job_of(provider: &str, op: &Value) -> Result<BatchJob> {
    let b = batch_of(op);
    let id = b
        .get("name")
        .or_else(|| op.get("name"))
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| bad_line(0, "the batch has no name"))?;
    let stats = b.get("batchStats");
    let stat = |k: &str| count(stats.and_then(|s| s.get(k)));
    let status = status_of(b.get("state").and_then(Value::as_str).unwrap_or(""));
    let (total, ok, failed) = (
        stat("requestCount"),
        stat("successfulRequestCount"),
        stat("failedRequestCount"),
    );
    let rest = total.saturating_sub(ok + failed + stat("pendingRequestCount"));
    let errors = op
        .get("error")
        .map(|e| vec![crate::wire::errors::response_error(e).message])
        .unwrap_or_default();
    Ok(BatchJob {
        id: id.to_owned(),
        provider: provider.to_owned(),
        api: BatchApi::Gemini,
        counts: counts(total, ok, failed, rest, &status),
        status,
        created_at: time_of(b.get("createTime")),
        ended_at: time_of(b.get("endTime")),
        input_file_id: b
            .get("inputConfig")
            .and_then(|c| c.get("fileName"))
            .and_then(Value::as_str)
            .map(str::to_owned),
        output_file_id: responses_file_of(op),
        errors,
        ..BatchJob::default()
    })
}

/// Decodes a batch or its operation.
pub(crate) fn decode_job(provider: &str, body: &[u8]) -> Result<BatchJob> {
    let v: Value = common::parse(body, "batch")?;
    job_of(provider, &v)
}

/// Decodes a listing page (`{"batches": [...]}` or `{"operations": [...]}`) and its
/// `nextPageToken`.
pub(crate) fn decode_list(provider: &str, body: &[u8]) -> Result<BatchPage> {
    let v: Value = common::parse(body, "batch list")?;
    let items = v
        .get("batches")
        .or_else(|| v.get("operations"))
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    let jobs = items
        .iter()
        .map(|b| job_of(provider, b))
        .collect::<Result<_>>()?;
    let next = v
        .get("nextPageToken")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
        .map(str::to_owned);
    Ok(BatchPage { jobs, next })
}

/// The responses file of a finished batch whose answers went to a file, if they did.
pub(crate) fn responses_file(body: &[u8]) -> Option<String> {
    let v: Value = serde_json::from_slice(body).ok()?;
    responses_file_of(&v)
}

fn responses_file_of(v: &Value) -> Option<String> {
    let b = batch_of(v);
    v.get("response")
        .or_else(|| b.get("output"))
        .and_then(|o| o.get("responsesFile"))
        .and_then(Value::as_str)
        .filter(|f| !f.is_empty())
        .map(str::to_owned)
}

/// The download of a responses file (`files/abc`): `/download/<version>/files/abc:download`.
pub(crate) fn download(ep: &Endpoint, file: &str) -> Result<http::Request<Bytes>> {
    let bare = file.strip_prefix("files/").unwrap_or(file);
    let path = format!("/files/{}:download?alt=media", id_segment(bare));
    common::get(&super::gemini_files::beside(ep, "download"), &path)
}

/// Decodes line `n` of a responses file: `{"key", "response"}` or `{"key", "error"}`.
pub(crate) fn decode_file_line(
    provider: &str,
    n: usize,
    line: &[u8],
) -> Result<(String, Result<ChatResponse>)> {
    let v: Value = serde_json::from_slice(line).map_err(|e| bad_line(n, e))?;
    let key = v
        .get("key")
        .and_then(Value::as_str)
        .ok_or_else(|| bad_line(n, "no key"))?
        .to_owned();
    let result = match (v.get("response"), v.get("error")) {
        (_, Some(e)) if !e.is_null() => Err(item_error(provider, e)),
        (Some(r), _) => {
            let bytes = serde_json::to_vec(r).unwrap_or_default();
            Api::Gemini.codec().decode(&bytes)
        }
        _ => Err(bad_line(n, "neither a response nor an error")),
    };
    Ok((key, result.map_err(|e| e.with_provider(provider))))
}

/// The inlined responses of a finished batch, matched to `ids` (the submitted ids in order):
/// by each response's `metadata.key`, else by its position.
pub(crate) fn decode_results(
    provider: &str,
    body: &[u8],
    ids: &[String],
) -> Result<Vec<(String, Result<ChatResponse>)>> {
    let v: Value = common::parse(body, "batch")?;
    let b = batch_of(&v);
    let output = v
        .get("response")
        .or_else(|| b.get("output"))
        .and_then(|o| o.get("inlinedResponses"))
        .and_then(|o| o.get("inlinedResponses"))
        .and_then(Value::as_array)
        .ok_or_else(|| bad_line(0, "the batch has no inlined responses"))?;
    let mut out = Vec::with_capacity(output.len());
    for (i, item) in output.iter().enumerate() {
        let key = item
            .get("metadata")
            .and_then(|m| m.get("key"))
            .and_then(Value::as_str)
            .map(str::to_owned)
            .or_else(|| ids.get(i).cloned())
            .ok_or_else(|| bad_line(i + 1, "a response without a key, past the submitted ids"))?;
        let result = match (item.get("response"), item.get("error")) {
            (_, Some(e)) if !e.is_null() => Err(item_error(provider, e)),
            (Some(r), _) => {
                let bytes = serde_json::to_vec(r).unwrap_or_default();
                Api::Gemini.codec().decode(&bytes)
            }
            _ => Err(bad_line(i + 1, "neither a response nor an error")),
        };
        out.push((key, result.map_err(|e| e.with_provider(provider))));
    }
    Ok(out)
}

/// A response's `google.rpc.Status` error as the error a direct call would get.
fn item_error(provider: &str, e: &Value) -> Error {
    // gRPC codes: 4 deadline exceeded, 1 cancelled; else the HTTP status they map to.
    let status = match e.get("code").and_then(Value::as_u64) {
        Some(1) => return line_error(Some("batch_cancelled".into()), None),
        Some(4) => return line_error(Some("batch_expired".into()), None),
        Some(3) | Some(9) | Some(11) => 400,
        Some(5) => 404,
        Some(7) => 403,
        Some(8) => 429,
        Some(16) => 401,
        Some(c @ 400..=599) => c as u16,
        _ => 500,
    };
    let body = serde_json::to_vec(&json!({"error": e})).unwrap_or_default();
    error_from_http(provider, status, &http::HeaderMap::new(), &body)
}
