//! `exllm batch`: submit a JSONL file of requests as one job (the provider's batch API at its
//! batch price, or a client-side batch with a checkpoint for providers without one), then
//! follow it by id — status, results, cancel, list — from any later process: submitted jobs
//! are saved in the job store ($EXLLM_BATCH_DIR, else $XDG_DATA_HOME/exllm/batches, else
//! ~/.local/share/exllm/batches). The input format is described in `batch_input`.

use crate::batch_print::{print_job, print_jobs, print_results};
use crate::output;
use clap::{Args, Subcommand};
use exllm::batch::{local_job, run_with, JobStore};
use exllm::{BatchApi, BatchJob, Client, Error, ErrorKind};
use futures_util::future::BoxFuture;
use indicatif::{ProgressBar, ProgressStyle};
use std::path::PathBuf;
use std::time::Duration;

#[derive(Args)]
pub struct BatchArgs {
    #[command(subcommand)]
    command: BatchCommand,
}

/// Where a job's provider is and how to print.
#[derive(Args)]
struct Common {
    /// The provider holding the job, for a job not in the job store.
    #[arg(short, long)]
    provider: Option<String>,
    /// The provider's base URL, replacing its default (include the version path).
    #[arg(long)]
    base_url: Option<String>,
    /// Print exactly one JSON object.
    #[arg(long)]
    json: bool,
}

#[derive(Subcommand)]
enum BatchCommand {
    /// Submit a JSONL file of requests (`{"id", "messages"}`, OpenAI batch lines, or one
    /// prompt per line) as one job.
    Submit {
        /// The input file.
        file: PathBuf,
        /// provider/model every request goes to, or a router group (run on the client under
        /// the router's limits, retries and fallbacks).
        #[arg(short, long)]
        model: String,
        #[command(flatten)]
        router: crate::router_config::RouterArg,
        /// Wait for the job to end, then print its results.
        #[arg(long)]
        wait: bool,
        /// Seconds between status checks with --wait.
        #[arg(long, default_value_t = 30)]
        poll: u64,
        /// Gemini: send the requests as an uploaded JSONL file even when they would fit
        /// inline (they are uploaded anyway past 16 MiB; other batch APIs always upload).
        #[arg(long)]
        upload: bool,
        /// Client-side batches: calls at once.
        #[arg(long, default_value_t = 4)]
        concurrency: usize,
        /// Client-side batches: the checkpoint file (default: FILE.checkpoint.jsonl).
        #[arg(long)]
        checkpoint: Option<PathBuf>,
        /// The provider's base URL, replacing its default.
        #[arg(long)]
        base_url: Option<String>,
        /// Print exactly one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// A job's status and progress.
    Status {
        /// The job id.
        id: String,
        #[command(flatten)]
        common: Common,
    },
    /// A finished job's results, one per request id.
    Results {
        /// The job id.
        id: String,
        #[command(flatten)]
        common: Common,
    },
    /// Cancel a job (finished requests keep their results).
    Cancel {
        /// The job id.
        id: String,
        #[command(flatten)]
        common: Common,
    },
    /// Jobs in the job store, or with --provider the provider's own list (its pages
    /// followed up to --limit).
    List {
        /// At most this many jobs.
        #[arg(long, default_value_t = 100)]
        limit: u32,
        #[command(flatten)]
        common: Common,
    },
}

/// The job store's directory.
pub fn store() -> Result<JobStore, Error> {
    let var = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    if let Some(d) = var("EXLLM_BATCH_DIR") {
        return Ok(JobStore::new(d));
    }
    let data = var("XDG_DATA_HOME")
        .or_else(|| var("HOME").map(|h| h.join(".local/share")))
        .ok_or_else(|| {
            Error::new(
                ErrorKind::Config,
                "no data directory: set EXLLM_BATCH_DIR, XDG_DATA_HOME or HOME",
            )
        })?;
    Ok(JobStore::new(data.join("exllm/batches")))
}

/// A client with `base_url` applied to `provider`.
pub fn client(provider: &str, base_url: Option<&str>) -> Result<Client, Error> {
    let mut b = crate::local::register(Client::builder());
    if let Some(url) = base_url {
        b = b.base_url(provider, url.to_owned());
    }
    b.build()
}

pub async fn run(args: BatchArgs) -> u8 {
    let json = match &args.command {
        BatchCommand::Submit { json, .. } => *json,
        BatchCommand::Status { common, .. }
        | BatchCommand::Results { common, .. }
        | BatchCommand::Cancel { common, .. }
        | BatchCommand::List { common, .. } => common.json,
    };
    match dispatch(args.command).await {
        Ok(()) => 0,
        Err(e) => output::report(&e, json),
    }
}

async fn dispatch(cmd: BatchCommand) -> Result<(), Error> {
    let store = store()?;
    match cmd {
        BatchCommand::Submit {
            file,
            model,
            router,
            wait,
            poll,
            upload,
            concurrency,
            checkpoint,
            base_url,
            json,
        } => {
            let text = std::fs::read_to_string(&file).map_err(|e| {
                Error::new(
                    ErrorKind::InvalidInput,
                    format!("cannot read {}: {e}", file.display()),
                )
            })?;
            let requests = crate::batch_input::parse(&text, &model)?;
            let path = checkpoint.unwrap_or_else(|| {
                let mut p = file.clone().into_os_string();
                p.push(".checkpoint.jsonl");
                PathBuf::from(p)
            });
            let routed = crate::router_config::load(&router)?.filter(|r| r.has_group(&model));
            if let Some(router) = routed {
                let router = std::sync::Arc::new(router);
                let call = move |req| {
                    let router = router.clone();
                    Box::pin(async move { router.chat(req).await }) as BoxFuture<'static, _>
                };
                let pending = local_job(&model, &path, requests.len() as u64)?;
                store.save(&pending)?;
                let bar = bar(pending.counts.total);
                let progress = |c: &exllm::BatchCounts| bar.set_position(c.finished());
                let job = run_with(&model, requests, &path, concurrency, progress, call).await?;
                bar.finish_and_clear();
                store.save(&job)?;
                return print_results(&client("router", None)?, &job, json).await;
            }
            let (provider, _) = exllm::client::split_model(&model)?;
            let client = client(provider, base_url.as_deref())?;
            let batches = client.batches();
            if !batches.has_batch_api(provider) {
                let pending = local_job(&model, &path, requests.len() as u64)?;
                store.save(&pending)?;
                let bar = bar(pending.counts.total);
                let progress = |c: &exllm::BatchCounts| bar.set_position(c.finished());
                let job = batches
                    .run_local(&model, requests, &path, concurrency, progress)
                    .await?;
                bar.finish_and_clear();
                store.save(&job)?;
                return print_results(&client, &job, json).await;
            }
            let up = crate::files::upload_bar();
            let shown = up.clone();
            let batches = if upload {
                batches.inline_limit(0)
            } else {
                batches
            };
            let batches = batches.upload_progress(std::sync::Arc::new(move |sent, len| {
                shown.set_length(len);
                shown.set_position(sent);
            }));
            let job = batches.submit(&model, requests).await;
            up.finish_and_clear();
            let job = job?;
            store.save(&job)?;
            if !wait {
                print_job(&job, json);
                return Ok(());
            }
            let job = wait_for(&client, &store, job, Duration::from_secs(poll)).await?;
            print_results(&client, &job, json).await
        }
        BatchCommand::Status { id, common } => {
            let (client, job) = find(&store, &id, &common).await?;
            let job = client.batches().refresh(&job).await?;
            store.save(&job)?;
            print_job(&job, common.json);
            Ok(())
        }
        BatchCommand::Results { id, common } => {
            let (client, job) = find(&store, &id, &common).await?;
            let job = client.batches().refresh(&job).await?;
            store.save(&job)?;
            print_results(&client, &job, common.json).await
        }
        BatchCommand::Cancel { id, common } => {
            let (client, job) = find(&store, &id, &common).await?;
            if job.api == BatchApi::Local {
                return Err(Error::new(
                    ErrorKind::InvalidInput,
                    "a client-side batch is cancelled by stopping its `exllm batch submit`",
                ));
            }
            let mut done = client.batches().cancel(&job.provider, &job.id).await?;
            done.model = job.model.clone();
            store.save(&done)?;
            print_job(&done, common.json);
            Ok(())
        }
        BatchCommand::List { limit, common } => {
            let jobs = match &common.provider {
                Some(p) => {
                    client(p, common.base_url.as_deref())?
                        .batches()
                        .list(p, Some(limit))
                        .await?
                }
                None => {
                    let mut jobs = store.list()?;
                    jobs.truncate(limit as usize);
                    jobs
                }
            };
            print_jobs(&jobs, common.json);
            Ok(())
        }
    }
}

/// The job `id` from the store, else (with --provider) as the provider knows it.
async fn find(store: &JobStore, id: &str, c: &Common) -> Result<(Client, BatchJob), Error> {
    if let Some(job) = store.load(id)? {
        let client = client(&job.provider, c.base_url.as_deref())?;
        return Ok((client, job));
    }
    let Some(provider) = &c.provider else {
        return Err(Error::new(
            ErrorKind::Config,
            format!(
                "batch {id} is not in the job store ({}): name its provider with --provider",
                store.dir().display()
            ),
        ));
    };
    let client = client(provider, c.base_url.as_deref())?;
    let job = client.batches().status(provider, id).await?;
    Ok((client, job))
}

/// A progress bar on stderr when it is a terminal (hidden otherwise).
fn bar(total: u64) -> ProgressBar {
    use std::io::IsTerminal;
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template("{msg:12} {bar:30} {pos}/{len} {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar
}

/// Polls until the job ends, showing its progress.
async fn wait_for(
    client: &Client,
    store: &JobStore,
    mut job: BatchJob,
    every: Duration,
) -> Result<BatchJob, Error> {
    let bar = bar(job.counts.total);
    while !job.status.is_done() {
        tokio::time::sleep(every).await;
        job = client.batches().refresh(&job).await?;
        store.save(&job)?;
        bar.set_length(job.counts.total);
        bar.set_position(job.counts.finished());
        bar.set_message(job.status.as_str().to_owned());
    }
    bar.finish_and_clear();
    Ok(job)
}
