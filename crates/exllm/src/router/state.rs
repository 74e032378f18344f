//! The router's state behind one trait, [`RouterState`]: cooldowns, requests in flight, RPM and
//! TPM buckets, reservations, latency windows and spend. [`super::MemoryState`] keeps it in
//! this process; `RedisState` (feature `redis`) keeps it in Redis so that several processes
//! hold one set of limits.
//!
//! Limits and budgets are *reserved* before a call from an estimate and *reconciled* with the
//! real usage after it, in one step each, so concurrent callers cannot overshoot.

use super::settings::{CooldownPolicy, SpendLimit};
use crate::ErrorKind;
use futures_util::future::BoxFuture;
use std::time::{Duration, Instant};

/// What a call asks of a deployment before it is sent.
#[derive(Debug, Clone)]
pub struct Admission<'a> {
    /// The deployment's id.
    pub deployment: &'a str,
    /// The group the call was routed from.
    pub group: &'a str,
    /// The deployment's tags.
    pub tags: &'a [String],
    /// Its requests-per-minute limit.
    pub rpm: Option<u32>,
    /// Its tokens-per-minute limit.
    pub tpm: Option<u64>,
    /// Estimated tokens (prompt + output limit).
    pub tokens: u64,
    /// Estimated price in USD (0 when unknown).
    pub cost_usd: f64,
    /// The budgets that cover this call.
    pub budgets: &'a [&'a SpendLimit],
    /// The cooldown policy (for a deployment seen for the first time).
    pub cooldown: &'a CooldownPolicy,
}

/// What was reserved for an admitted call; give it back with [`RouterState::settle`].
#[derive(Debug, Clone, PartialEq)]
pub struct Reservation {
    /// The deployment's id.
    pub deployment: String,
    /// Tokens reserved.
    pub tokens: u64,
    /// USD reserved.
    pub cost_usd: f64,
    /// The budget keys the USD was reserved under ([`super::SpendScope::key`]).
    pub budgets: Vec<String>,
    /// When the call was admitted.
    pub started: Instant,
}

/// Why a call was not admitted.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Refusal {
    /// The deployment cools until then.
    Cooling {
        /// When it may be tried again.
        until: Instant,
    },
    /// Its RPM or TPM bucket is empty; it refills in this long.
    RateLimited {
        /// The wait.
        retry_in: Duration,
    },
    /// A refusing budget would be exceeded.
    SpendLimit {
        /// Which budget and by how much.
        message: String,
    },
    /// The state's store is out of reach and the router is set to fail closed.
    Unavailable {
        /// What went wrong.
        message: String,
    },
}

/// How a call ended, for cooldowns and latency.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum Verdict {
    /// It answered.
    Success,
    /// It failed in a way that counts against the deployment (5xx, network, timeout).
    Failure,
    /// It must not be used until then (429 with its reset time, rejected key, unknown model).
    CoolUntil(Instant),
    /// Nothing to hold against the deployment (the caller's own cancellation or timeout, a
    /// request the provider rightly refused).
    Neutral,
}

/// The end of a call: what it really used, and how it went.
#[derive(Debug, Clone, PartialEq)]
pub struct Settlement {
    /// Tokens really used (`None`: keep what was reserved).
    pub tokens: Option<u64>,
    /// USD really spent (`None`: keep what was reserved).
    pub cost_usd: Option<f64>,
    /// Time to the first content in ms (streams).
    pub ttft_ms: Option<f64>,
    /// Time per output token in ms (the whole answer's time over its output tokens; for a
    /// stream, the time after the first content).
    pub per_token_ms: Option<f64>,
    /// How it went.
    pub verdict: Verdict,
}

/// A deployment's state as the strategies see it.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct DeploymentStats {
    /// Requests in flight.
    pub in_flight: u32,
    /// Mean time to first content over the recent streams, in ms.
    pub ttft_ms: Option<f64>,
    /// Mean time per output token over the recent answers, in ms.
    pub per_token_ms: Option<f64>,
    /// Fraction of RPM/TPM left (the smaller; `None` without limits).
    pub headroom: Option<f64>,
    /// Cooling until then.
    pub cooling_until: Option<Instant>,
}

/// The router's state. Each method is one atomic step: `admit` checks the cooldown, the RPM
/// and TPM buckets and the budgets and reserves all of them, or none.
///
/// `admit` is the only call on a request's path that must wait for the store (a shared store
/// makes it its one round trip). `stats` reads what the strategies rank by and may answer from
/// a local view; `settle` must not block: it also runs when a caller drops a call, so a
/// shared store sends it off the request's path.
pub trait RouterState: Send + Sync + 'static {
    /// A deployment's state now.
    fn stats(&self, deployment: &str, rpm: Option<u32>, tpm: Option<u64>) -> DeploymentStats;
    /// Reserves what the call needs, or says why not.
    fn admit<'a>(&'a self, call: &'a Admission<'a>) -> BoxFuture<'a, Result<Reservation, Refusal>>;
    /// [`RouterState::admit`] for a state that answers without waiting (one in this process):
    /// `Some` answer spares the call a boxed future. The default is `None`: ask `admit`.
    fn admit_at_once(&self, call: &Admission<'_>) -> Option<Result<Reservation, Refusal>> {
        let _ = call;
        None
    }
    /// Gives back what was reserved, charges what was used, records latency and the verdict.
    fn settle(&self, reservation: Reservation, settlement: Settlement);
    /// Spent in a budget's current period (settled and reserved), in USD.
    fn spent<'a>(&'a self, budget_key: &'a str) -> BoxFuture<'a, f64>;
    /// What a deployment's provider announced about its limits in a response's headers: a
    /// state may lower its buckets to what the provider says is left (other clients share
    /// the provider's quota) and hold the next call until the announced reset when nothing
    /// is left. Must not block. The default ignores it.
    fn observe(&self, deployment: &str, limits: &crate::wire::RateLimits) {
        let _ = (deployment, limits);
    }
    /// Waits until what `settle` sent off the request's path has reached the store (a
    /// short-lived process calls it before exiting). The default has nothing to wait for.
    fn flush(&self) -> BoxFuture<'_, ()> {
        Box::pin(std::future::ready(()))
    }
}

/// The verdict of an error: how long it cools the deployment, if at all.
pub(crate) fn verdict_of(err: &crate::Error, policy: &CooldownPolicy, now: Instant) -> Verdict {
    if err.timeout_kind() == Some(crate::TimeoutKind::Total) {
        // The caller's own time limit ran out: the deployment did nothing wrong.
        return Verdict::Neutral;
    }
    match err.kind() {
        ErrorKind::RateLimit => {
            Verdict::CoolUntil(now + err.retry_after().unwrap_or(policy.rate_limit))
        }
        ErrorKind::Auth | ErrorKind::NotFound | ErrorKind::QuotaExceeded => {
            Verdict::CoolUntil(now + policy.rejected)
        }
        ErrorKind::Server
        | ErrorKind::Overloaded
        | ErrorKind::Timeout
        | ErrorKind::Network
        | ErrorKind::Decode
        | ErrorKind::Truncated
        | ErrorKind::Http => Verdict::Failure,
        _ => Verdict::Neutral,
    }
}
