//! A circuit breaker per provider endpoint: after `failure_threshold` retryable failures within
//! `window` it opens and calls fail fast for `open_for`; then one probe is let through
//! (half-open) and its outcome closes or re-opens the breaker.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// When the breaker opens and for how long.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BreakerPolicy {
    /// Failures within `window` that open the breaker (0 turns the breaker off).
    pub failure_threshold: u32,
    /// How far back failures count.
    pub window: Duration,
    /// How long an open breaker refuses calls before letting a probe through.
    pub open_for: Duration,
}

impl Default for BreakerPolicy {
    fn default() -> Self {
        BreakerPolicy {
            failure_threshold: 5,
            window: Duration::from_secs(60),
            open_for: Duration::from_secs(30),
        }
    }
}

impl BreakerPolicy {
    /// A breaker that never opens.
    pub fn off() -> Self {
        BreakerPolicy {
            failure_threshold: 0,
            ..Default::default()
        }
    }
}

/// The state of a breaker, as [`crate::Client::health`] reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum BreakerState {
    /// Calls go through.
    Closed,
    /// Calls fail fast until the time given, then one probe goes through.
    Open {
        /// When a probe will be let through.
        until: Instant,
    },
    /// A probe is in flight; other calls fail fast until it ends.
    HalfOpen,
}

#[derive(Debug)]
struct Inner {
    failures: VecDeque<Instant>,
    state: BreakerState,
}

/// A circuit breaker.
#[derive(Debug)]
pub struct Breaker {
    policy: BreakerPolicy,
    inner: Mutex<Inner>,
}

impl Breaker {
    /// A closed breaker.
    pub fn new(policy: BreakerPolicy) -> Self {
        Breaker {
            policy,
            inner: Mutex::new(Inner {
                failures: VecDeque::new(),
                state: BreakerState::Closed,
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The current state.
    pub fn state(&self) -> BreakerState {
        self.lock().state
    }

    /// Asks to make a call at `now`: `Err(wait)` when the breaker refuses it.
    pub fn admit(&self, now: Instant) -> Result<(), Duration> {
        let mut g = self.lock();
        match g.state {
            BreakerState::Closed => Ok(()),
            BreakerState::Open { until } if now >= until => {
                g.state = BreakerState::HalfOpen;
                Ok(())
            }
            BreakerState::Open { until } => Err(until - now),
            BreakerState::HalfOpen => Err(self.policy.open_for),
        }
    }

    /// A call succeeded: the breaker closes and forgets past failures.
    pub fn success(&self) {
        let mut g = self.lock();
        g.failures.clear();
        g.state = BreakerState::Closed;
    }

    /// Opens the breaker until `until` whatever its failure count (a rate limit that names its
    /// reset, a rejected key): a later `until` than the current one wins, an earlier one is
    /// ignored. A breaker with the policy [`BreakerPolicy::off`] is tripped too: the caller
    /// asked for this cooldown explicitly.
    pub fn trip(&self, until: Instant) {
        let mut g = self.lock();
        match g.state {
            BreakerState::Open { until: old } if old >= until => {}
            _ => g.state = BreakerState::Open { until },
        }
    }

    /// A call failed with a retryable error at `now`.
    pub fn failure(&self, now: Instant) {
        if self.policy.failure_threshold == 0 {
            return;
        }
        let mut g = self.lock();
        if g.state == BreakerState::HalfOpen {
            g.state = BreakerState::Open {
                until: now + self.policy.open_for,
            };
            return;
        }
        g.failures.push_back(now);
        while g
            .failures
            .front()
            .is_some_and(|t| now.duration_since(*t) > self.policy.window)
        {
            g.failures.pop_front();
        }
        if g.failures.len() >= self.policy.failure_threshold as usize {
            g.failures.clear();
            g.state = BreakerState::Open {
                until: now + self.policy.open_for,
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> BreakerPolicy {
        BreakerPolicy {
            failure_threshold: 3,
            window: Duration::from_secs(10),
            open_for: Duration::from_secs(5),
        }
    }

    #[test]
    fn opens_after_failures_in_the_window_then_probes() {
        let b = Breaker::new(policy());
        let t0 = Instant::now();
        b.failure(t0);
        b.failure(t0 + Duration::from_secs(1));
        assert_eq!(b.admit(t0 + Duration::from_secs(1)), Ok(()));
        b.failure(t0 + Duration::from_secs(2));
        let until = t0 + Duration::from_secs(7);
        assert_eq!(b.state(), BreakerState::Open { until });
        assert_eq!(
            b.admit(t0 + Duration::from_secs(3)),
            Err(Duration::from_secs(4))
        );
        // After `open_for`, one probe goes through; others wait for it.
        assert_eq!(b.admit(until), Ok(()));
        assert_eq!(b.state(), BreakerState::HalfOpen);
        assert!(b.admit(until).is_err());
        // A failed probe re-opens, a good one closes.
        b.failure(until);
        assert!(matches!(b.state(), BreakerState::Open { .. }));
        let later = until + Duration::from_secs(5);
        assert_eq!(b.admit(later), Ok(()));
        b.success();
        assert_eq!(b.state(), BreakerState::Closed);
    }

    #[test]
    fn old_failures_fall_out_of_the_window_and_off_never_opens() {
        let b = Breaker::new(policy());
        let t0 = Instant::now();
        b.failure(t0);
        b.failure(t0 + Duration::from_secs(1));
        b.failure(t0 + Duration::from_secs(20));
        assert_eq!(b.state(), BreakerState::Closed);
        let off = Breaker::new(BreakerPolicy::off());
        for i in 0..10 {
            off.failure(t0 + Duration::from_millis(i));
        }
        assert_eq!(off.admit(t0), Ok(()));
    }
}
