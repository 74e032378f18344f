//! The callback that writes each call of a client to a [`UsageLog`]. A write that fails is
//! logged and never fails the call.

use super::{now_ms, UsageLog, UsageRecord};
use crate::error::Error;
use crate::telemetry::{CallInfo, Callback};
use crate::types::ChatResponse;
use futures_util::future::BoxFuture;

/// Records every chat call (streams when they end) of the client it is given to
/// ([`crate::ClientBuilder::callback`]), labelled with a session and tags.
///
/// ```no_run
/// # fn run() -> exllm::Result<()> {
/// use exllm::usage::{UsageLog, UsageLogger};
/// let log = UsageLog::open("usage.db")?;
/// let client = exllm::Client::builder()
///     .callback(UsageLogger::new(log).with_tags(["nightly-report"]))
///     .build()?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct UsageLogger {
    log: UsageLog,
    session: Option<String>,
    tags: Vec<String>,
}

impl UsageLogger {
    /// A logger writing to `log`.
    pub fn new(log: UsageLog) -> Self {
        UsageLogger {
            log,
            session: None,
            tags: Vec::new(),
        }
    }

    /// Labels every call with this session.
    pub fn with_session(mut self, session: impl Into<String>) -> Self {
        self.session = Some(session.into());
        self
    }

    /// Labels every call with these tags.
    pub fn with_tags<S: Into<String>>(mut self, tags: impl IntoIterator<Item = S>) -> Self {
        self.tags = tags.into_iter().map(Into::into).collect();
        self
    }

    fn base(&self, call: &CallInfo, status: String) -> UsageRecord {
        UsageRecord {
            time_ms: now_ms(),
            provider: call.provider.clone(),
            model: call.model.clone(),
            latency_ms: call.started.elapsed().as_millis() as u64,
            status,
            session: self.session.clone(),
            tags: self.tags.clone(),
            ..Default::default()
        }
    }

    async fn write(&self, record: UsageRecord) {
        let log = self.log.clone();
        let written = tokio::task::spawn_blocking(move || log.record(&record)).await;
        match written {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "usage log: a call was not recorded"),
            Err(e) => tracing::warn!(error = %e, "usage log: a call was not recorded"),
        }
    }
}

impl Callback for UsageLogger {
    fn on_response<'a>(&'a self, call: &'a CallInfo, resp: &'a ChatResponse) -> BoxFuture<'a, ()> {
        let mut r = self.base(call, "ok".into());
        if let Some(u) = &resp.usage {
            r.input_tokens = u.input_tokens.unwrap_or(0);
            r.output_tokens = u.output_tokens.unwrap_or(0);
            r.cache_read_tokens = u.cache_read_tokens.unwrap_or(0);
            r.cache_write_tokens = u.cache_write_tokens.unwrap_or(0);
            r.reasoning_tokens = u.reasoning_tokens.unwrap_or(0);
        }
        r.cost_usd = resp.cost.as_ref().map(|c| c.total);
        Box::pin(self.write(r))
    }

    fn on_error<'a>(&'a self, call: &'a CallInfo, error: &'a Error) -> BoxFuture<'a, ()> {
        let kind = format!("{:?}", error.kind());
        let r = self.base(call, snake(&kind));
        Box::pin(self.write(r))
    }
}

/// `RateLimit` → `rate_limit`.
fn snake(s: &str) -> String {
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}
