//! [`MemoryState`]: the router's state in this process, under one lock so that admitting a
//! call (cooldown, RPM, TPM, budgets) is one atomic step.

use super::bucket::{Bucket, Spend};
use super::state::{
    Admission, DeploymentStats, Refusal, Reservation, RouterState, Settlement, Verdict,
};
use crate::catalog::BudgetAction;
use crate::transport::{Breaker, BreakerPolicy, BreakerState};
use crate::wire::RateLimits;
use foldhash::HashMap;
use futures_util::future::BoxFuture;
use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// One deployment's state.
#[derive(Debug)]
struct Dep {
    breaker: Breaker,
    in_flight: u32,
    rpm: Option<Bucket>,
    tpm: Option<Bucket>,
    ttft: Window,
    per_token: Window,
}

impl Dep {
    fn new(cooldown: &super::CooldownPolicy) -> Self {
        Dep {
            breaker: Breaker::new(BreakerPolicy {
                failure_threshold: cooldown.allowed_fails,
                window: cooldown.window,
                open_for: cooldown.cooldown,
            }),
            in_flight: 0,
            rpm: None,
            tpm: None,
            ttft: Window::default(),
            per_token: Window::default(),
        }
    }
}

/// The last samples of a latency (a true rolling window: the oldest leaves as one arrives).
#[derive(Debug, Default)]
struct Window(VecDeque<f64>);

impl Window {
    fn push(&mut self, sample: Option<f64>, size: usize) {
        let Some(v) = sample.filter(|v| v.is_finite() && *v >= 0.0) else {
            return;
        };
        if self.0.len() >= size {
            self.0.pop_front();
        }
        self.0.push_back(v);
    }

    fn mean(&self) -> Option<f64> {
        (!self.0.is_empty()).then(|| self.0.iter().sum::<f64>() / self.0.len() as f64)
    }
}

#[derive(Debug, Default)]
struct Inner {
    deps: HashMap<String, Dep>,
    spend: HashMap<String, (Spend, Duration)>,
}

/// The router's state in memory (the default).
#[derive(Debug)]
pub struct MemoryState {
    inner: Mutex<Inner>,
    window: usize,
}

impl Default for MemoryState {
    fn default() -> Self {
        Self::new(32)
    }
}

impl MemoryState {
    /// A state keeping `latency_window` latency samples per deployment.
    pub fn new(latency_window: usize) -> Self {
        MemoryState {
            inner: Mutex::new(Inner::default()),
            window: latency_window.max(1),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn bucket(slot: &mut Option<Bucket>, limit: Option<f64>, now: Instant) -> Option<&mut Bucket> {
    match limit {
        None => {
            *slot = None;
            None
        }
        Some(cap) => {
            let b = slot.get_or_insert_with(|| Bucket::new(cap, now));
            b.resize(cap);
            Some(b)
        }
    }
}

fn cooling(b: &Breaker, now: Instant) -> Option<Instant> {
    match b.state() {
        BreakerState::Open { until } if until > now => Some(until),
        // A probe is in flight: the others wait for its outcome.
        BreakerState::HalfOpen => Some(now + Duration::from_millis(100)),
        _ => None,
    }
}

impl RouterState for MemoryState {
    fn stats(&self, deployment: &str, rpm: Option<u32>, tpm: Option<u64>) -> DeploymentStats {
        let now = Instant::now();
        let mut g = self.lock();
        let Some(d) = g.deps.get_mut(deployment) else {
            return DeploymentStats {
                headroom: (rpm.is_some() || tpm.is_some()).then_some(1.0),
                ..Default::default()
            };
        };
        let r = bucket(&mut d.rpm, rpm.map(f64::from), now).map(|b| b.headroom(now));
        let t = bucket(&mut d.tpm, tpm.map(|t| t as f64), now).map(|b| b.headroom(now));
        let headroom = match (r, t) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        DeploymentStats {
            in_flight: d.in_flight,
            ttft_ms: d.ttft.mean(),
            per_token_ms: d.per_token.mean(),
            headroom,
            cooling_until: cooling(&d.breaker, now),
        }
    }

    fn admit<'a>(&'a self, call: &'a Admission<'a>) -> BoxFuture<'a, Result<Reservation, Refusal>> {
        Box::pin(std::future::ready(self.admit_now(call)))
    }

    fn admit_at_once(&self, call: &Admission<'_>) -> Option<Result<Reservation, Refusal>> {
        Some(self.admit_now(call))
    }

    fn settle(&self, r: Reservation, s: Settlement) {
        self.settle_now(r, s);
    }

    fn observe(&self, deployment: &str, limits: &RateLimits) {
        let now = Instant::now();
        let mut g = self.lock();
        let Some(d) = g.deps.get_mut(deployment) else {
            return;
        };
        let reset = |s: Option<f64>| s.and_then(|s| Duration::try_from_secs_f64(s).ok());
        for (slot, limit, remaining, reset_s) in [
            (
                &mut d.rpm,
                limits.requests_limit,
                limits.requests_remaining,
                limits.requests_reset_s,
            ),
            (
                &mut d.tpm,
                limits.tokens_limit,
                limits.tokens_remaining,
                limits.tokens_reset_s,
            ),
        ] {
            let Some(left) = remaining else { continue };
            // A bucket the config did not give is made at the announced size.
            if slot.is_none() {
                if let Some(cap) = limit.filter(|c| *c > 0) {
                    *slot = Some(Bucket::new(cap as f64, now));
                }
            }
            if let Some(b) = slot.as_mut() {
                b.follow(left as f64, reset(reset_s), now);
            }
        }
    }

    fn spent<'a>(&'a self, budget_key: &'a str) -> BoxFuture<'a, f64> {
        let spent = self
            .lock()
            .spend
            .get(budget_key)
            .map_or(0.0, |(s, _)| s.total());
        Box::pin(std::future::ready(spent))
    }
}

impl MemoryState {
    fn admit_now(&self, call: &Admission<'_>) -> Result<Reservation, Refusal> {
        let now = Instant::now();
        let mut g = self.lock();
        let inner = &mut *g;
        // Looked up by `&str` first: the key is allocated only for a deployment's first call.
        if !inner.deps.contains_key(call.deployment) {
            inner
                .deps
                .insert(call.deployment.to_owned(), Dep::new(call.cooldown));
        }
        let Some(d) = inner.deps.get_mut(call.deployment) else {
            return Err(Refusal::Unavailable {
                message: "router state lost a deployment".into(),
            });
        };
        if let Some(until) = cooling(&d.breaker, now) {
            return Err(Refusal::Cooling { until });
        }
        let tokens = call.tokens as f64;
        let mut wait = Duration::ZERO;
        if let Some(b) = bucket(&mut d.rpm, call.rpm.map(f64::from), now) {
            wait = wait.max(b.wait_for(1.0, now));
        }
        if let Some(b) = bucket(&mut d.tpm, call.tpm.map(|t| t as f64), now) {
            wait = wait.max(b.wait_for(tokens, now));
        }
        if !wait.is_zero() {
            return Err(Refusal::RateLimited { retry_in: wait });
        }
        let mut keys = Vec::with_capacity(call.budgets.len());
        for budget in call.budgets {
            let key = budget.scope.key();
            let (spend, period) = inner
                .spend
                .entry(key.clone())
                .or_insert_with(|| (Spend::new(now), budget.period));
            *period = budget.period;
            spend.roll(budget.period, now);
            if spend.total() + call.cost_usd > budget.limit_usd {
                let message = format!(
                    "budget {key} of ${:.6} would be exceeded: ${:.6} spent or reserved + ${:.6} estimated",
                    budget.limit_usd,
                    spend.total(),
                    call.cost_usd
                );
                if budget.action == BudgetAction::Refuse {
                    return Err(Refusal::SpendLimit { message });
                }
                tracing::warn!(budget = %key, "{message}");
            }
            keys.push(key);
        }
        // Every check passed: reserve everything at once.
        if d.breaker.admit(now).is_err() {
            return Err(Refusal::Cooling {
                until: now + call.cooldown.cooldown,
            });
        }
        if let Some(b) = d.rpm.as_mut() {
            b.take(1.0);
        }
        if let Some(b) = d.tpm.as_mut() {
            b.take(tokens);
        }
        d.in_flight += 1;
        for key in &keys {
            if let Some((s, _)) = inner.spend.get_mut(key) {
                s.reserved += call.cost_usd;
            }
        }
        Ok(Reservation {
            deployment: call.deployment.to_owned(),
            tokens: call.tokens,
            cost_usd: call.cost_usd,
            budgets: keys,
            started: now,
        })
    }

    #[cfg(feature = "redis")]
    /// Cools a deployment until `until` because another process saw it fail (a deployment
    /// this one has not called yet is added with `policy`). Returns whether it changed: a
    /// cooldown that already ends within `slack` of `until` is left alone.
    pub(crate) fn cool(
        &self,
        deployment: &str,
        until: Instant,
        slack: Duration,
        policy: &super::CooldownPolicy,
    ) -> bool {
        let mut g = self.lock();
        if !g.deps.contains_key(deployment) {
            g.deps.insert(deployment.to_owned(), Dep::new(policy));
        }
        let Some(d) = g.deps.get_mut(deployment) else {
            return false;
        };
        match d.breaker.state() {
            BreakerState::Open { until: old } if old + slack >= until => false,
            _ => {
                d.breaker.trip(until);
                true
            }
        }
    }

    #[cfg(feature = "redis")]
    /// [`RouterState::settle`], saying which deployment this settlement made cool and until
    /// when (a shared state tells the other processes).
    pub(crate) fn settle_tripped(
        &self,
        r: Reservation,
        s: Settlement,
    ) -> Option<(String, Instant)> {
        let opened = self.settle_now_inner(&r, s);
        opened.map(|until| (r.deployment, until))
    }

    fn settle_now(&self, r: Reservation, s: Settlement) {
        self.settle_now_inner(&r, s);
    }

    /// Settles `r`; `Some(until)` when this settlement opened (or lengthened) the breaker.
    fn settle_now_inner(&self, r: &Reservation, s: Settlement) -> Option<Instant> {
        let now = Instant::now();
        let mut g = self.lock();
        let inner = &mut *g;
        let mut opened = None;
        if let Some(d) = inner.deps.get_mut(&r.deployment) {
            let before = match d.breaker.state() {
                BreakerState::Open { until } => Some(until),
                _ => None,
            };
            d.in_flight = d.in_flight.saturating_sub(1);
            if let (Some(b), Some(used)) = (d.tpm.as_mut(), s.tokens) {
                // Reconcile: give back what was not used, or charge the overrun.
                let diff = r.tokens as f64 - used as f64;
                if diff >= 0.0 {
                    b.give(diff);
                } else {
                    b.take(-diff);
                }
            }
            match s.verdict {
                Verdict::Success => {
                    d.breaker.success();
                    d.ttft.push(s.ttft_ms, self.window);
                    d.per_token.push(s.per_token_ms, self.window);
                }
                Verdict::Failure => d.breaker.failure(now),
                Verdict::CoolUntil(until) => d.breaker.trip(until),
                Verdict::Neutral => {
                    // A half-open probe that ended without a verdict lets the next one try.
                    if d.breaker.state() == BreakerState::HalfOpen {
                        d.breaker.trip(now);
                    }
                }
            }
            if let BreakerState::Open { until } = d.breaker.state() {
                if until > now && before.is_none_or(|b| until > b) {
                    opened = Some(until);
                }
            }
        }
        let spent = s.cost_usd.unwrap_or(r.cost_usd);
        for key in &r.budgets {
            if let Some((spend, period)) = inner.spend.get_mut(key) {
                spend.reserved = (spend.reserved - r.cost_usd).max(0.0);
                spend.roll(*period, now);
                spend.settled += spent;
            }
        }
        opened
    }
}
