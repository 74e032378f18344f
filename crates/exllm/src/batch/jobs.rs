//! Jobs on a provider's batch API: submit, status, cancel and list (results are in
//! `results`). Which API a provider has follows from its chat API and name (OpenAI, Azure and
//! Groq `/batches`, Mistral `/batch/jobs`, Anthropic Message Batches, Gemini batch mode); the
//! codecs in `provider::batch` build every request and decode every answer.

use super::files::Progress;
use super::http_of;
use crate::client::{split_model, Backend, Client, HttpBackend};
use crate::error::{Error, ErrorKind, Result};
use crate::provider::batch::files::names_file_ids;
use crate::provider::batch::{anthropic, batch_api_of, check_ids, gemini, mistral, openai};
use crate::types::{BatchApi, BatchJob, BatchPage, ChatRequest};
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
#[derive(Clone)]
pub struct Batches {
    pub(super) client: Client,
    /// Gemini: the size of the inline requests past which they go in an uploaded file.
    inline_limit: usize,
    /// Told of the input file's upload when a submit uploads one.
    upload_progress: Option<Progress>,
}

impl std::fmt::Debug for Batches {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Batches")
            .field("client", &self.client)
            .field("inline_limit", &self.inline_limit)
            .finish_non_exhaustive()
    }
}

/// Gemini takes at most 20 MB of inline requests per create; past this size the requests
/// are uploaded as a JSONL file instead, with room to spare for the envelope.
const GEMINI_INLINE_LIMIT: usize = 16 * 1024 * 1024;

impl Client {
    /// Batch jobs: submitted to a provider's batch API, or run by the client.
    pub fn batches(&self) -> Batches {
        Batches {
            client: self.clone(),
            inline_limit: GEMINI_INLINE_LIMIT,
            upload_progress: None,
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

    /// Gemini batches: the size in bytes of the encoded requests past which they are
    /// uploaded as a JSONL file (`input_config.file_name`) rather than sent inline (default
    /// 16 MiB, under Gemini's 20 MB limit on a create body). `0` always uploads a file.
    pub fn inline_limit(mut self, bytes: usize) -> Self {
        self.inline_limit = bytes;
        self
    }

    /// Tells `progress` of the upload of a job's input file (OpenAI, Mistral, a Gemini batch
    /// past [`Batches::inline_limit`]): bytes sent so far and the file's size.
    pub fn upload_progress(mut self, progress: Progress) -> Self {
        self.upload_progress = Some(progress);
        self
    }

    /// Uploads a job's JSONL input to `provider`'s file store.
    async fn upload_input(
        &self,
        provider: &str,
        jsonl: Vec<u8>,
        purpose: Option<&str>,
    ) -> Result<crate::types::FileObject> {
        let progress = self
            .upload_progress
            .clone()
            .unwrap_or_else(|| std::sync::Arc::new(|_, _| {}));
        self.client
            .files(provider)?
            .upload_bytes_with_progress("batch.jsonl", jsonl.into(), purpose, progress)
            .await
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
                let input = self.upload_input(provider, jsonl, Some("batch")).await?;
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
                    ids.push((id, req));
                }
                let inline_size: usize = entries.iter().map(|e| e.to_string().len()).sum();
                if inline_size > self.inline_limit {
                    // Too big for one create body: the requests go in an uploaded file.
                    let mut jsonl = Vec::with_capacity(inline_size + 16 * ids.len());
                    for (id, req) in &ids {
                        jsonl.extend(gemini::file_line(&ep, id, req)?);
                    }
                    let input = self.upload_input(provider, jsonl, None).await?;
                    let mut job = http
                        .job_call(
                            |ep| gemini::create_from_file(ep, bare, &input.id),
                            |b| gemini::decode_job(provider, b),
                        )
                        .await?;
                    job.input_file_id.get_or_insert(input.id);
                    job
                } else {
                    let mut job = http
                        .job_call(
                            |ep| gemini::create(ep, bare, entries.clone()),
                            |b| gemini::decode_job(provider, b),
                        )
                        .await?;
                    job.request_ids = ids.into_iter().map(|(id, _)| id).collect();
                    job
                }
            }
            BatchApi::Mistral => {
                let mut jsonl = Vec::new();
                for (id, mut req) in requests {
                    req.model = bare.to_owned();
                    jsonl.extend(mistral::input_line(&ep, &id, &req)?);
                }
                let input = self.upload_input(provider, jsonl, Some("batch")).await?;
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

    /// One page of the provider's jobs, newest first: at most `limit`, from the cursor
    /// `after` (a [`BatchPage::next`]) when given.
    pub async fn list_page(
        &self,
        provider: &str,
        limit: Option<u32>,
        after: Option<&str>,
    ) -> Result<BatchPage> {
        let t = self.target(provider)?;
        let http = t.http()?;
        match t.api {
            BatchApi::OpenAi => {
                http.job_call(
                    |ep| openai::list(ep, limit, after),
                    |b| openai::decode_list(provider, b),
                )
                .await
            }
            BatchApi::Anthropic => {
                http.job_call(
                    |ep| anthropic::list(ep, limit, after),
                    |b| anthropic::decode_list(provider, b),
                )
                .await
            }
            BatchApi::Gemini => {
                http.job_call(
                    |ep| gemini::list(ep, limit, after),
                    |b| gemini::decode_list(provider, b),
                )
                .await
            }
            BatchApi::Mistral => {
                // Pages by number, of Mistral's default size when none is asked for.
                let size = limit.unwrap_or(MISTRAL_PAGE);
                let page = match after {
                    Some(a) => a.parse::<u64>().map_err(|_| {
                        Error::new(
                            ErrorKind::InvalidInput,
                            format!("`{a}` is not a Mistral page number"),
                        )
                    })?,
                    None => 0,
                };
                let page_arg = page.to_string();
                let page_arg = after.map(|_| page_arg.as_str());
                http.job_call(
                    |ep| mistral::list(ep, Some(size), page_arg),
                    |b| mistral::decode_list(provider, b, page, u64::from(size)),
                )
                .await
            }
            BatchApi::Local => unreachable_local(),
        }
    }

    /// The provider's jobs, newest first: pages followed until `limit` jobs are gathered
    /// (`None`: every page).
    pub async fn list(&self, provider: &str, limit: Option<u32>) -> Result<Vec<BatchJob>> {
        let mut jobs: Vec<BatchJob> = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let want = limit.map(|l| l.saturating_sub(jobs.len() as u32).min(PAGE));
            if want == Some(0) {
                break;
            }
            let page = self
                .list_page(provider, Some(want.unwrap_or(PAGE)), after.as_deref())
                .await?;
            let got = page.jobs.len();
            jobs.extend(page.jobs);
            // A page that is empty or names the cursor it was asked with would loop forever.
            match page.next {
                Some(next) if got > 0 && after.as_deref() != Some(next.as_str()) => {
                    after = Some(next)
                }
                _ => break,
            }
        }
        if let Some(l) = limit {
            jobs.truncate(l as usize);
        }
        Ok(jobs)
    }
}

/// Jobs asked for per listing page (OpenAI's largest page).
const PAGE: u32 = 100;

/// Mistral's page size when none is asked for.
const MISTRAL_PAGE: u32 = 100;

/// Local jobs never reach a provider's batch API (`target` only yields provider APIs).
pub(super) fn unreachable_local<T>() -> Result<T> {
    Err(Error::new(
        ErrorKind::InvalidInput,
        "a client-side batch has no provider job (see Batches::run_local)",
    ))
}
