//! Jobs on a provider's batch API: submit, status, cancel and list (results are in
//! `results`). Which API a provider has follows from its chat API and name (OpenAI, Azure and
//! Groq `/batches`, Mistral `/batch/jobs`, Anthropic Message Batches, Gemini batch mode); the
//! codecs in `provider::batch` build every request and decode every answer.

use super::http_of;
use crate::client::{split_model, Backend, Client, HttpBackend};
use crate::error::{Error, ErrorKind, Result};
use crate::provider::batch::files::names_file_ids;
use crate::provider::batch::{anthropic, batch_api_of, check_ids, gemini, mistral, openai};
use crate::types::{BatchApi, BatchJob, ChatRequest};
use std::sync::Arc;

/// Batch jobs through a client ([`Client::batches`]).
///
/// ```no_run
/// # async fn run() -> exllm::Result<()> {
/// use exllm::{ChatRequest, Client, Message};
/// let client = Client::from_env()?;
/// let batches = client.batches();
/// let reqs = vec![("q1".to_string(), ChatRequest::new("", vec![Message::user("Hi")]))];
/// let job = batches.submit("openai/gpt-4o-mini", reqs).await?;
/// // ... later, maybe in another process:
/// let job = batches.status("openai", &job.id).await?;
/// if job.status.is_done() {
///     for r in batches.collect(&job).await? {
///         println!("{}: {:?}", r.id, r.result.map(|a| a.text()));
///     }
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Batches {
    pub(super) client: Client,
}

impl Client {
    /// Batch jobs: submitted to a provider's batch API, or run by the client.
    pub fn batches(&self) -> Batches {
        Batches {
            client: self.clone(),
        }
    }
}

/// The provider, its HTTP side and its batch API.
pub(super) struct Target {
    pub(super) provider: Arc<dyn Backend>,
    pub(super) api: BatchApi,
    pub(super) name: String,
}

impl Target {
    pub(super) fn http(&self) -> Result<&HttpBackend> {
        http_of(&self.provider, &self.name)
    }
}

impl Batches {
    pub(super) fn target(&self, provider: &str) -> Result<Target> {
        let p = self.client.provider(provider)?;
        let api = p
            .api()
            .and_then(|a| batch_api_of(provider, a))
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::Unsupported,
                    format!("{provider} has no batch API (run the batch on the client instead)"),
                )
                .with_provider(provider)
            })?;
        Ok(Target {
            provider: p,
            api,
            name: provider.to_owned(),
        })
    }

    /// Whether `provider` has a batch API exllm speaks (else [`Batches::run_local`] runs a
    /// batch for it).
    pub fn has_batch_api(&self, provider: &str) -> bool {
        self.target(provider).is_ok()
    }

    /// Submits requests as one job for `model` (`provider/model`; each request's own
    /// `model` is replaced). Ids must be unique: results are matched back by them.
    pub async fn submit(
        &self,
        model: &str,
        requests: Vec<(String, ChatRequest)>,
    ) -> Result<BatchJob> {
        let (provider, bare) = split_model(model)?;
        let t = self.target(provider)?;
        if requests.is_empty() {
            return Err(Error::new(ErrorKind::InvalidInput, "the batch is empty"));
        }
        check_ids(requests.iter().map(|(id, _)| id.as_str()))?;
        let http = t.http()?;
        let ep = http.job_endpoint().await?;
        let mut job = match t.api {
            BatchApi::OpenAi => {
                let mut jsonl = Vec::new();
                for (id, mut req) in requests {
                    req.model = bare.to_owned();
                    jsonl.extend(openai::input_line(&ep, &id, &req)?);
                }
                let files = self.client.files(provider)?;
                let input = files
                    .upload_bytes("batch.jsonl", jsonl.into(), Some("batch"))
                    .await?;
                http.job_call(
                    |ep| openai::create(ep, &input.id),
                    |b| openai::decode_job(provider, b),
                )
                .await?
            }
            BatchApi::Anthropic => {
                let mut entries = Vec::with_capacity(requests.len());
                let mut beta = false;
                for (id, mut req) in requests {
                    req.model = bare.to_owned();
                    beta |= names_file_ids(&req);
                    entries.push(anthropic::entry(&ep, &id, &req)?);
                }
                http.job_call(
                    |ep| anthropic::create(ep, entries.clone(), beta),
                    |b| anthropic::decode_job(provider, b),
                )
                .await?
            }
            BatchApi::Gemini => {
                let mut entries = Vec::with_capacity(requests.len());
                let mut ids = Vec::with_capacity(requests.len());
                for (id, mut req) in requests {
                    req.model = bare.to_owned();
                    entries.push(gemini::entry(&ep, &id, &req)?);
                    ids.push(id);
                }
                let mut job = http
                    .job_call(
                        |ep| gemini::create(ep, bare, entries.clone()),
                        |b| gemini::decode_job(provider, b),
                    )
                    .await?;
                job.request_ids = ids;
                job
            }
            BatchApi::Mistral => {
                let mut jsonl = Vec::new();
                for (id, mut req) in requests {
                    req.model = bare.to_owned();
                    jsonl.extend(mistral::input_line(&ep, &id, &req)?);
                }
                let files = self.client.files(provider)?;
                let input = files
                    .upload_bytes("batch.jsonl", jsonl.into(), Some("batch"))
                    .await?;
                http.job_call(
                    |ep| mistral::create(ep, bare, &input.id),
                    |b| mistral::decode_job(provider, b),
                )
                .await?
            }
            BatchApi::Local => unreachable_local()?,
        };
        job.model = Some(model.to_owned());
        Ok(job)
    }

    /// A job's current status and progress.
    pub async fn status(&self, provider: &str, id: &str) -> Result<BatchJob> {
        let t = self.target(provider)?;
        let http = t.http()?;
        match t.api {
            BatchApi::OpenAi => {
                http.job_call(
                    |ep| openai::get(ep, id),
                    |b| openai::decode_job(provider, b),
                )
                .await
            }
            BatchApi::Anthropic => {
                http.job_call(
                    |ep| anthropic::get(ep, id),
                    |b| anthropic::decode_job(provider, b),
                )
                .await
            }
            BatchApi::Gemini => {
                http.job_call(
                    |ep| gemini::get(ep, id),
                    |b| gemini::decode_job(provider, b),
                )
                .await
            }
            BatchApi::Mistral => {
                http.job_call(
                    |ep| mistral::get(ep, id),
                    |b| mistral::decode_job(provider, b),
                )
                .await
            }
            BatchApi::Local => unreachable_local(),
        }
    }

    /// A job's current state: a client-side job's from its checkpoint, else the provider's,
    /// keeping the model and checkpoint `job` knew.
    pub async fn refresh(&self, job: &BatchJob) -> Result<BatchJob> {
        if job.api == BatchApi::Local {
            return super::local::status(job);
        }
        let mut fresh = self.status(&job.provider, &job.id).await?;
        fresh.model = fresh.model.or_else(|| job.model.clone());
        if fresh.request_ids.is_empty() {
            fresh.request_ids = job.request_ids.clone();
        }
        Ok(fresh)
    }

    /// Asks for a job to be cancelled; requests already answered keep their results.
    pub async fn cancel(&self, provider: &str, id: &str) -> Result<BatchJob> {
        let t = self.target(provider)?;
        let http = t.http()?;
        match t.api {
            BatchApi::OpenAi => {
                http.job_call(
                    |ep| openai::cancel(ep, id),
                    |b| openai::decode_job(provider, b),
                )
                .await
            }
            BatchApi::Anthropic => {
                http.job_call(
                    |ep| anthropic::cancel(ep, id),
                    |b| anthropic::decode_job(provider, b),
                )
                .await
            }
            BatchApi::Gemini => {
                // The cancel answers `{}`; the batch as it now stands comes from a lookup.
                http.job_call(|ep| gemini::cancel(ep, id), |_| Ok(()))
                    .await?;
                self.status(provider, id).await
            }
            BatchApi::Mistral => {
                http.job_call(
                    |ep| mistral::cancel(ep, id),
                    |b| mistral::decode_job(provider, b),
                )
                .await
            }
            BatchApi::Local => unreachable_local(),
        }
    }

    /// The provider's jobs, newest first, at most `limit` (one page).
    pub async fn list(&self, provider: &str, limit: Option<u32>) -> Result<Vec<BatchJob>> {
        let t = self.target(provider)?;
        let http = t.http()?;
        let (jobs, _more) = match t.api {
            BatchApi::OpenAi => {
                http.job_call(
                    |ep| openai::list(ep, limit, None),
                    |b| openai::decode_list(provider, b),
                )
                .await?
            }
            BatchApi::Anthropic => {
                http.job_call(
                    |ep| anthropic::list(ep, limit, None),
                    |b| anthropic::decode_list(provider, b),
                )
                .await?
            }
            BatchApi::Gemini => {
                let jobs = http
                    .job_call(
                        |ep| gemini::list(ep, limit),
                        |b| gemini::decode_list(provider, b),
                    )
                    .await?;
                (jobs, false)
            }
            BatchApi::Mistral => {
                let jobs = http
                    .job_call(
                        |ep| mistral::list(ep, limit),
                        |b| mistral::decode_list(provider, b),
                    )
                    .await?;
                (jobs, false)
            }
            BatchApi::Local => unreachable_local()?,
        };
        Ok(jobs)
    }
}

/// Local jobs never reach a provider's batch API (`target` only yields provider APIs).
pub(super) fn unreachable_local<T>() -> Result<T> {
    Err(Error::new(
        ErrorKind::InvalidInput,
        "a client-side batch has no provider job (see Batches::run_local)",
    ))
}
