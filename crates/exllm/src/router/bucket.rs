//! A token bucket that refills continuously (no fixed one-minute windows that let twice the
//! limit through around a boundary), and a budget window.

use std::time::{Duration, Instant};

/// `capacity` units that refill at `capacity` per minute.
#[derive(Debug, Clone)]
pub(crate) struct Bucket {
    capacity: f64,
    level: f64,
    at: Instant,
}

impl Bucket {
    /// A full bucket.
    pub(crate) fn new(capacity: f64, now: Instant) -> Self {
        Bucket {
            capacity,
            level: capacity,
            at: now,
        }
    }

    fn refill(&mut self, now: Instant) {
        let dt = now.saturating_duration_since(self.at).as_secs_f64();
        self.level = (self.level + dt * self.capacity / 60.0).min(self.capacity);
        self.at = now;
    }

    /// Follows a new capacity (a config change) without losing what was used.
    pub(crate) fn resize(&mut self, capacity: f64) {
        if capacity != self.capacity {
            self.level -= self.capacity - capacity;
            self.capacity = capacity;
        }
    }

    /// The wait until `n` units are there (zero when they are).
    pub(crate) fn wait_for(&mut self, n: f64, now: Instant) -> Duration {
        self.refill(now);
        if self.level >= n {
            return Duration::ZERO;
        }
        if n > self.capacity || self.capacity <= 0.0 {
            // Never enough: report a minute, the longest a refill takes.
            return Duration::from_secs(60);
        }
        Duration::from_secs_f64((n - self.level) * 60.0 / self.capacity)
    }

    /// Takes `n` units (the level may go below zero when reconciling an overrun).
    pub(crate) fn take(&mut self, n: f64) {
        self.level -= n;
    }

    /// Gives `n` units back.
    pub(crate) fn give(&mut self, n: f64) {
        self.level = (self.level + n).min(self.capacity);
    }

    /// Follows what the provider says is left: never more than `remaining`, and when nothing
    /// is left, the next unit no sooner than `reset` from now.
    pub(crate) fn follow(&mut self, remaining: f64, reset: Option<Duration>, now: Instant) {
        self.refill(now);
        let mut target = remaining;
        if remaining < 1.0 {
            if let Some(r) = reset {
                target = 1.0 - r.as_secs_f64() * self.capacity / 60.0;
            }
        }
        self.level = self.level.min(target);
    }

    /// The fraction left now.
    pub(crate) fn headroom(&mut self, now: Instant) -> f64 {
        self.refill(now);
        if self.capacity <= 0.0 {
            0.0
        } else {
            (self.level / self.capacity).clamp(0.0, 1.0)
        }
    }
}

/// Spend in a budget's current period.
#[derive(Debug, Clone)]
pub(crate) struct Spend {
    pub(crate) settled: f64,
    pub(crate) reserved: f64,
    start: Instant,
}

impl Spend {
    pub(crate) fn new(now: Instant) -> Self {
        Spend {
            settled: 0.0,
            reserved: 0.0,
            start: now,
        }
    }

    /// Starts a new period when the current one is over (reservations carry over: their
    /// calls are still running).
    pub(crate) fn roll(&mut self, period: Duration, now: Instant) {
        if !period.is_zero() && now.saturating_duration_since(self.start) >= period {
            self.settled = 0.0;
            self.start = now;
        }
    }

    pub(crate) fn total(&self) -> f64 {
        self.settled + self.reserved
    }
}
