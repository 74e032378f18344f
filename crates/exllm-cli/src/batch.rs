//! `exllm batch`: submit a JSONL file of requests as one job (the provider's batch API at its
//! batch price, or a client-side batch with a checkpoint for providers without one), then
//! follow it by id — status, results, cancel, list — from any later process: submitted jobs
//! are saved in the job store ($EXLLM_BATCH_DIR, else $XDG_DATA_HOME/exllm/batches, else
//! ~/.local/share/exllm/batches). The input format is described in `batch_input`.

use crate::output;
use clap::{Args, Subcommand};
use exllm::batch::{local_job, run_with, JobStore};
use exllm::{BatchApi, BatchJob, BatchResult, Client, Error, ErrorKind};
use futures_util::future::BoxFuture;
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{json, Value};
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
    /// Jobs in the job store, or with --provider the provider's own list.
    List {
        /// At most this many (with --provider).
        #[arg(long)]
        limit: Option<u32>,
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
            let job = batches.submit(&model, requests).await?;
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
                        .list(p, limit)
                        .await?
                }
                None => store.list()?,
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

/// Unix seconds as `YYYY-MM-DD HH:MM` (UTC), `-` when unknown.
fn time(t: Option<u64>) -> String {
    let Some(secs) = t else {
        return "-".into();
    };
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil(days as i64);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60
    )
}

/// Year, month, day of a day count since 1970-01-01 (Howard Hinnant's algorithm).
fn civil(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

fn print_job(job: &BatchJob, json: bool) {
    if json {
        output::emit(serde_json::to_value(job).unwrap_or(Value::Null));
        return;
    }
    let c = &job.counts;
    let mut rows = vec![
        vec!["id".into(), job.id.clone()],
        vec![
            "provider".into(),
            format!("{} ({})", job.provider, job.api.as_str()),
        ],
        vec!["status".into(), job.status.as_str().to_owned()],
        vec!["progress".into(), format!("{}/{}", c.finished(), c.total)],
        vec!["succeeded".into(), c.succeeded.to_string()],
        vec!["failed".into(), c.failed.to_string()],
        vec!["cancelled".into(), c.cancelled.to_string()],
        vec!["expired".into(), c.expired.to_string()],
        vec![
            "model".into(),
            job.model.clone().unwrap_or_else(|| "-".into()),
        ],
        vec!["created".into(), time(job.created_at)],
    ];
    if let Some(p) = &job.checkpoint {
        rows.push(vec!["checkpoint".into(), p.display().to_string()]);
    }
    for e in &job.errors {
        rows.push(vec!["error".into(), e.clone()]);
    }
    output::table(&["FIELD", "VALUE"], &rows);
}

fn print_jobs(jobs: &[BatchJob], json: bool) {
    if json {
        output::emit(json!({"jobs": jobs}));
        return;
    }
    let rows: Vec<Vec<String>> = jobs
        .iter()
        .map(|j| {
            vec![
                j.id.clone(),
                j.provider.clone(),
                j.status.as_str().to_owned(),
                format!("{}/{}", j.counts.finished(), j.counts.total),
                j.model.clone().unwrap_or_else(|| "-".into()),
                time(j.created_at),
            ]
        })
        .collect();
    output::table(
        &["ID", "PROVIDER", "STATUS", "DONE", "MODEL", "CREATED"],
        &rows,
    );
}

/// A result as JSON: the answer in `chat --json`'s shape, or the error object.
fn result_json(r: &BatchResult) -> Value {
    match &r.result {
        Ok(resp) => json!({"id": r.id, "response": crate::chat::response_json(resp)}),
        Err(e) => json!({"id": r.id, "error": output::error_json(e)["error"]}),
    }
}

async fn print_results(client: &Client, job: &BatchJob, json: bool) -> Result<(), Error> {
    let mut results = client.batches().collect(job).await?;
    results.sort_by(|a, b| a.id.cmp(&b.id));
    let total: f64 = results
        .iter()
        .filter_map(|r| r.result.as_ref().ok()?.cost.as_ref().map(|c| c.total))
        .sum();
    if json {
        let items: Vec<Value> = results.iter().map(result_json).collect();
        output::emit(json!({"job": job, "results": items, "cost_usd": total}));
        return Ok(());
    }
    let rows: Vec<Vec<String>> = results
        .iter()
        .map(|r| match &r.result {
            Ok(resp) => vec![
                r.id.clone(),
                "ok".into(),
                resp.cost
                    .as_ref()
                    .map_or("-".into(), |c| crate::money::amount(c.total)),
                resp.text()
                    .lines()
                    .next()
                    .unwrap_or("")
                    .chars()
                    .take(80)
                    .collect(),
            ],
            Err(e) => vec![
                r.id.clone(),
                format!("{:?}", e.kind()),
                "-".into(),
                e.message().chars().take(80).collect(),
            ],
        })
        .collect();
    output::table(&["ID", "RESULT", "COST", "TEXT"], &rows);
    eprintln!(
        "{} results, batch cost {}",
        results.len(),
        crate::money::amount(total)
    );
    Ok(())
}
