//! Collecting a finished job's results: the output (and error) files or the results JSONL
//! downloaded and decoded line by line as they arrive, Gemini's inline answers, and a
//! client-side job's checkpoint; each answer priced at the batch price.

use super::batch_cost;
use super::files::ByteStream;
use super::jobs::{unreachable_local, Batches};
use crate::error::{Error, ErrorKind, Result};
use crate::provider::batch::lines::Lines;
use crate::provider::batch::{anthropic, gemini, openai};
use crate::types::{BatchApi, BatchJob, BatchResult, ChatResponse};
use futures_util::StreamExt;

impl Batches {
    /// Hands each result of a finished job to `each` as its line downloads: the answers,
    /// then (OpenAI) the error file's failures. Answers carry their cost at the batch price
    /// of `job.model` (else of the model the answer names). A line that is not a result ends
    /// the call with a [`ErrorKind::Decode`] error.
    pub async fn results(&self, job: &BatchJob, mut each: impl FnMut(BatchResult)) -> Result<()> {
        if job.api == BatchApi::Local {
            return super::local::results(job, each);
        }
        let provider = job.provider.as_str();
        let t = self.target(provider)?;
        let http = t.http()?;
        let mut emit = |id: String, result: Result<ChatResponse>| {
            let result = result.map(|r| self.priced(job, r));
            each(BatchResult { id, result });
        };
        match t.api {
            // Mistral's output and error files hold OpenAI-shaped lines.
            BatchApi::OpenAi | BatchApi::Mistral => {
                let files: Vec<&String> = [&job.output_file_id, &job.error_file_id]
                    .into_iter()
                    .flatten()
                    .collect();
                if files.is_empty() {
                    return Err(not_ready(job));
                }
                let store = self.client.files(provider)?;
                let mut n = 0;
                for id in files {
                    let mut chunks = store.content(id).await?;
                    each_line(&mut chunks, &mut n, |n, line| {
                        let (id, r) = openai::decode_line(provider, n, line)?;
                        emit(id, r);
                        Ok(())
                    })
                    .await?;
                }
                Ok(())
            }
            BatchApi::Anthropic => {
                if !job.status.is_done() {
                    return Err(not_ready(job));
                }
                let id = job.id.as_str();
                let mut chunks: ByteStream =
                    Box::pin(http.job_download(|ep| anthropic::results(ep, id)).await?);
                each_line(&mut chunks, &mut 0, |n, line| {
                    let (id, r) = anthropic::decode_line(provider, n, line)?;
                    emit(id, r);
                    Ok(())
                })
                .await
            }
            BatchApi::Gemini => {
                if !job.status.is_done() {
                    return Err(not_ready(job));
                }
                let id = job.id.as_str();
                let body = http
                    .job_call(|ep| gemini::get(ep, id), |b| Ok(b.to_vec()))
                    .await?;
                // Answers inline in the batch, or (a batch made from a file) in a file of
                // their own, downloaded line by line.
                if let Some(file) = gemini::responses_file(&body) {
                    let mut chunks: ByteStream =
                        Box::pin(http.job_download(|ep| gemini::download(ep, &file)).await?);
                    return each_line(&mut chunks, &mut 0, |n, line| {
                        let (id, r) = gemini::decode_file_line(provider, n, line)?;
                        emit(id, r);
                        Ok(())
                    })
                    .await;
                }
                let ids = job.request_ids.as_slice();
                let results = gemini::decode_results(provider, &body, ids)
                    .map_err(|e| e.with_provider(provider))?;
                for (id, r) in results {
                    emit(id, r);
                }
                Ok(())
            }
            BatchApi::Local => unreachable_local(),
        }
    }

    /// Every result of a finished job ([`Batches::results`] gathered).
    pub async fn collect(&self, job: &BatchJob) -> Result<Vec<BatchResult>> {
        let mut out = Vec::new();
        self.results(job, |r| out.push(r)).await?;
        Ok(out)
    }

    /// The answer with its cost at the batch price, where the catalog prices the model.
    fn priced(&self, job: &BatchJob, mut r: ChatResponse) -> ChatResponse {
        let named = r.model.as_ref().map(|m| format!("{}/{m}", job.provider));
        let entry = job
            .model
            .as_deref()
            .and_then(|m| self.client.model_entry(m))
            .or_else(|| named.as_deref().and_then(|m| self.client.model_entry(m)));
        if let (Some(m), Some(u)) = (entry, &r.usage) {
            r.cost = Some(batch_cost(m, u));
        }
        r
    }
}

/// Splits a download into lines and hands each to `f` with its 1-based number, counting on
/// from `n` (so an error file's lines number after the output file's).
async fn each_line(
    chunks: &mut ByteStream,
    n: &mut usize,
    mut f: impl FnMut(usize, &[u8]) -> Result<()>,
) -> Result<()> {
    let mut lines = Lines::default();
    let mut on_line = |line: &[u8]| {
        *n += 1;
        f(*n, line)
    };
    while let Some(chunk) = chunks.next().await {
        lines.push(&chunk?, &mut on_line)?;
    }
    lines.finish(&mut on_line)
}

fn not_ready(job: &BatchJob) -> Error {
    Error::new(
        ErrorKind::InvalidInput,
        format!(
            "batch {} has no results yet (status {})",
            job.id,
            job.status.as_str()
        ),
    )
    .with_provider(job.provider.clone())
}
