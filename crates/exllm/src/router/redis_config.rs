//! The settings of [`super::RedisState`] (where the state lives, the time limit of a round
//! trip, failing open or closed, the background refresh) and its counters.

use std::sync::atomic::AtomicU64;
use std::time::Duration;

/// What `admit` does when Redis does not answer within the timeout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum FailMode {
    /// Admit the call unchecked (availability over limits).
    #[default]
    Open,
    /// Refuse it with [`super::Refusal::Unavailable`] (limits and budgets over availability).
    Closed,
}

/// Where the state lives and how to behave when it is out of reach. Its `Debug` hides the
/// URL's credentials.
#[derive(Clone, PartialEq)]
pub struct RedisStateConfig {
    /// The server (`redis://host:port/db`).
    pub url: String,
    /// Prefix of every key (routers sharing a prefix share their state).
    pub prefix: String,
    /// The longest one round trip (connecting included) may take.
    pub timeout: Duration,
    /// What `admit` does when Redis is unreachable or too slow.
    pub on_unavailable: FailMode,
    /// Latency samples kept per deployment.
    pub latency_window: usize,
    /// How often the view the strategies rank by (`stats`) is refreshed from Redis in the
    /// background, to see the other processes' calls (zero: only from this process's own
    /// calls). One pipelined round trip off the request's path.
    pub refresh: Duration,
}

impl std::fmt::Debug for RedisStateConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStateConfig")
            .field("url", &redacted(&self.url))
            .field("prefix", &self.prefix)
            .field("timeout", &self.timeout)
            .field("on_unavailable", &self.on_unavailable)
            .field("latency_window", &self.latency_window)
            .field("refresh", &self.refresh)
            .finish()
    }
}

/// The URL with any `user:password@` replaced.
pub(super) fn redacted(url: &str) -> String {
    let start = url.find("://").map_or(0, |i| i + 3);
    match url[start..].rfind('@') {
        Some(at) => format!("{}***{}", &url[..start], &url[start + at..]),
        None => url.to_owned(),
    }
}

impl Default for RedisStateConfig {
    fn default() -> Self {
        RedisStateConfig {
            url: "redis://127.0.0.1:6379/".into(),
            prefix: "exllm:router:".into(),
            timeout: Duration::from_millis(250),
            on_unavailable: FailMode::Open,
            latency_window: 32,
            refresh: Duration::from_secs(1),
        }
    }
}

/// What a [`super::RedisState`] has done so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RedisCounters {
    /// `admit` calls.
    pub admits: u64,
    /// Round trips made by `admit` (one per call; a reconnect or a script reload adds one).
    pub admit_round_trips: u64,
    /// Settlements sent (off the request's path).
    pub settles: u64,
    /// Round trips that failed or timed out.
    pub unavailable: u64,
    /// Calls admitted unchecked because Redis was unreachable.
    pub failed_open: u64,
    /// Calls refused because Redis was unreachable.
    pub failed_closed: u64,
    /// Settlements lost because Redis was unreachable.
    pub settles_lost: u64,
}

#[derive(Default)]
pub(super) struct Counters {
    pub(super) admits: AtomicU64,
    pub(super) admit_round_trips: AtomicU64,
    pub(super) settles: AtomicU64,
    pub(super) unavailable: AtomicU64,
    pub(super) failed_open: AtomicU64,
    pub(super) failed_closed: AtomicU64,
    pub(super) settles_lost: AtomicU64,
}
