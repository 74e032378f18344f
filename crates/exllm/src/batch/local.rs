//! The client-side batch, for providers without a batch API: requests run as ordinary calls,
//! a bounded number at once, and each finished one is appended to a JSONL checkpoint and
//! flushed at once, so a run that is killed loses only the calls in flight and a rerun skips
//! what finished. A line is `{"id", "response"}` or `{"id", "error"}`; a later line for an id
//! wins. Errors worth retrying (rate limits, timeouts, server errors) do not count as
//! finished: a rerun sends those requests again.

use super::jobs::Batches;
use crate::client::split_model;
use crate::error::{Error, ErrorKind, Result};
use crate::provider::batch::check_ids;
use crate::types::{
    BatchApi, BatchCounts, BatchJob, BatchResult, BatchStatus, ChatRequest, ChatResponse,
};
use futures_util::future::BoxFuture;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

/// One checkpoint line.
#[derive(Serialize, Deserialize)]
struct Line {
    id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    response: Option<ChatResponse>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    error: Option<LineError>,
}

#[derive(Serialize, Deserialize)]
struct LineError {
    kind: String,
    message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    provider: Option<String>,
}

/// Every kind, for reading a kind back by its name.
const KINDS: [ErrorKind; 18] = [
    ErrorKind::Config,
    ErrorKind::InvalidInput,
    ErrorKind::Unsupported,
    ErrorKind::Auth,
    ErrorKind::BadRequest,
    ErrorKind::NotFound,
    ErrorKind::ContextLength,
    ErrorKind::RateLimit,
    ErrorKind::QuotaExceeded,
    ErrorKind::Server,
    ErrorKind::Overloaded,
    ErrorKind::Timeout,
    ErrorKind::Network,
    ErrorKind::Decode,
    ErrorKind::Truncated,
    ErrorKind::TooLarge,
    ErrorKind::Http,
    ErrorKind::CircuitOpen,
];

impl LineError {
    fn of(e: &Error) -> Self {
        LineError {
            kind: format!("{:?}", e.kind()),
            message: e.message().to_owned(),
            status: e.status(),
            code: e.code().map(str::to_owned),
            provider: e.provider().map(str::to_owned),
        }
    }

    fn into_error(self) -> Error {
        let kind = KINDS
            .into_iter()
            .find(|k| format!("{k:?}") == self.kind)
            .unwrap_or(ErrorKind::Http);
        let mut e = Error::new(kind, self.message);
        if let Some(s) = self.status {
            e = e.with_status(s);
        }
        if let Some(c) = self.code {
            e = e.with_code(c);
        }
        if let Some(p) = self.provider {
            e = e.with_provider(p);
        }
        e
    }
}

/// The checkpoint's lines, the last per id, in the order ids first appear. Lines that do not
/// parse (the last one of a killed run, cut short) are skipped.
fn read(path: &Path) -> Result<Vec<Line>> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io_error(path, e)),
    };
    let mut order: Vec<Line> = Vec::new();
    let mut at: HashMap<String, usize> = HashMap::new();
    for raw in bytes.split(|b| *b == b'\n') {
        let Ok(line) = serde_json::from_slice::<Line>(raw) else {
            continue;
        };
        match at.get(&line.id) {
            Some(&i) => order[i] = line,
            None => {
                at.insert(line.id.clone(), order.len());
                order.push(line);
            }
        }
    }
    Ok(order)
}

fn io_error(path: &Path, e: std::io::Error) -> Error {
    Error::new(
        ErrorKind::InvalidInput,
        format!("checkpoint {}: {e}", path.display()),
    )
}

/// Whether a line settles its request (an answer, or an error a retry would not fix).
fn settled(line: &Line) -> bool {
    match &line.error {
        None => line.response.is_some(),
        Some(e) => !KINDS
            .into_iter()
            .find(|k| format!("{k:?}") == e.kind)
            .is_some_and(|k| k.is_retryable() || k == ErrorKind::CircuitOpen),
    }
}

fn count<'a>(lines: impl Iterator<Item = &'a Line>, total: u64) -> BatchCounts {
    let mut c = BatchCounts {
        total,
        ..BatchCounts::default()
    };
    for l in lines {
        match l.error {
            None => c.succeeded += 1,
            Some(_) => c.failed += 1,
        }
    }
    c
}

/// The job id of the checkpoint at `path`.
fn job_id(path: &Path) -> String {
    use sha2::{Digest, Sha256};
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_owned());
    let hash = Sha256::digest(abs.to_string_lossy().as_bytes());
    let hex: String = hash.iter().take(6).map(|b| format!("{b:02x}")).collect();
    format!("local-{hex}")
}

impl Batches {
    /// Runs a batch on the client: each request a call to `model` (`provider/model`, any
    /// provider), at most `concurrency` at once, each finished one appended to the JSONL
    /// `checkpoint` as it ends. Requests the checkpoint already settles are skipped, so
    /// running again after a crash or a kill finishes the batch. `progress` is told the
    /// counts after each call. Answers cost the standard price.
    pub async fn run_local(
        &self,
        model: &str,
        requests: Vec<(String, ChatRequest)>,
        checkpoint: &Path,
        concurrency: usize,
        progress: impl FnMut(&BatchCounts),
    ) -> Result<BatchJob> {
        let client = self.client.clone();
        let call = move |req: ChatRequest| {
            let client = client.clone();
            Box::pin(async move { client.chat(req).await }) as BoxFuture<'static, _>
        };
        run_with(model, requests, checkpoint, concurrency, progress, call).await
    }
}

/// [`Batches::run_local`] with each request answered by `call` rather than a client — a
/// [`crate::router::Router`], so the requests run under the router's limits, retries and
/// fallbacks (`model` is then a group name).
///
/// ```no_run
/// # async fn run(router: exllm::router::Router, reqs: Vec<(String, exllm::ChatRequest)>) -> exllm::Result<()> {
/// let router = std::sync::Arc::new(router);
/// let call = move |req| {
///     let router = router.clone();
///     Box::pin(async move { router.chat(req).await }) as futures_util::future::BoxFuture<'static, _>
/// };
/// let path = std::path::Path::new("fast.checkpoint.jsonl");
/// let job = exllm::batch::run_with("fast", reqs, path, 8, |_| {}, call).await?;
/// # Ok(()) }
/// ```
pub async fn run_with(
    model: &str,
    requests: Vec<(String, ChatRequest)>,
    checkpoint: &Path,
    concurrency: usize,
    mut progress: impl FnMut(&BatchCounts),
    call: impl Fn(ChatRequest) -> BoxFuture<'static, Result<ChatResponse>>,
) -> Result<BatchJob> {
    check_ids(requests.iter().map(|(id, _)| id.as_str()))?;
    let total = requests.len() as u64;
    let mut done = read(checkpoint)?;
    done.retain(|l| requests.iter().any(|(id, _)| *id == l.id));
    let skip: std::collections::HashSet<String> = done
        .iter()
        .filter(|l| settled(l))
        .map(|l| l.id.clone())
        .collect();
    let mut file = open_append(checkpoint)?;
    let mut counts = count(done.iter().filter(|l| settled(l)), total);
    progress(&counts);
    let pending = requests
        .into_iter()
        .filter(|(id, _)| !skip.contains(id))
        .map(|(id, mut req)| {
            req.model = model.to_owned();
            let answer = call(req);
            async move { (id, answer.await) }
        });
    let mut running = futures_util::stream::iter(pending).buffer_unordered(concurrency.max(1));
    while let Some((id, result)) = running.next().await {
        let line = match &result {
            Ok(r) => Line {
                id,
                response: Some(r.clone()),
                error: None,
            },
            Err(e) => Line {
                id,
                response: None,
                error: Some(LineError::of(e)),
            },
        };
        let mut text = serde_json::to_vec(&line).map_err(|e| {
            Error::new(ErrorKind::InvalidInput, "cannot encode a result").with_source(e)
        })?;
        text.push(b'\n');
        file.write_all(&text)
            .and_then(|_| file.flush())
            .map_err(|e| io_error(checkpoint, e))?;
        match result {
            Ok(_) => counts.succeeded += 1,
            Err(_) => counts.failed += 1,
        }
        progress(&counts);
    }
    let mut job = local_job(model, checkpoint, total)?;
    job.status = BatchStatus::Completed;
    job.counts = counts;
    Ok(job)
}

/// The job a client-side batch of `total` requests to `model` checkpointed at `checkpoint`
/// is, before it runs (to save it where another process can follow it): its id is `local-`
/// and a hash of the checkpoint's absolute path, so the same checkpoint always names the
/// same job.
pub fn local_job(model: &str, checkpoint: &Path, total: u64) -> Result<BatchJob> {
    // A router group has no provider: the job names the router.
    let provider = split_model(model).map_or("router", |(p, _)| p);
    Ok(BatchJob {
        id: job_id(checkpoint),
        provider: provider.to_owned(),
        api: BatchApi::Local,
        status: BatchStatus::InProgress,
        counts: BatchCounts {
            total,
            ..BatchCounts::default()
        },
        model: Some(model.to_owned()),
        created_at: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .ok()
            .map(|d| d.as_secs()),
        checkpoint: Some(checkpoint.to_owned()),
        ..BatchJob::default()
    })
}

/// The checkpoint opened for appending, after a newline if a killed run left its last line
/// without one (so the next line starts on its own).
fn open_append(path: &Path) -> Result<std::fs::File> {
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .read(true)
        .open(path)
        .map_err(|e| io_error(path, e))?;
    let len = file.metadata().map_err(|e| io_error(path, e))?.len();
    if len > 0 {
        use std::io::{Read, Seek, SeekFrom};
        let mut last = [0u8];
        file.seek(SeekFrom::Start(len - 1))
            .and_then(|_| file.read_exact(&mut last))
            .map_err(|e| io_error(path, e))?;
        if last[0] != b'\n' {
            file.write_all(b"\n").map_err(|e| io_error(path, e))?;
        }
    }
    Ok(file)
}

/// The counts of a local job from its checkpoint (its total from the saved job).
pub(crate) fn status(job: &BatchJob) -> Result<BatchJob> {
    let path = job.checkpoint.as_deref().ok_or_else(no_checkpoint)?;
    let lines = read(path)?;
    let mut job = job.clone();
    job.counts = count(lines.iter(), job.counts.total.max(lines.len() as u64));
    job.status = if job.counts.finished() >= job.counts.total {
        BatchStatus::Completed
    } else {
        BatchStatus::InProgress
    };
    Ok(job)
}

/// The results of a local job, read from its checkpoint.
pub(crate) fn results(job: &BatchJob, mut each: impl FnMut(BatchResult)) -> Result<()> {
    let path = job.checkpoint.as_deref().ok_or_else(no_checkpoint)?;
    for line in read(path)? {
        let result = match (line.response, line.error) {
            (_, Some(e)) => Err(e.into_error()),
            (Some(r), None) => Ok(r),
            (None, None) => Err(Error::new(
                ErrorKind::Decode,
                "a checkpoint line without a result",
            )),
        };
        each(BatchResult {
            id: line.id,
            result,
        });
    }
    Ok(())
}

fn no_checkpoint() -> Error {
    Error::new(
        ErrorKind::InvalidInput,
        "the local batch job has no checkpoint file",
    )
}
