//! Rate limits learned from the providers' response headers: a deployment whose config gives
//! no RPM/TPM takes the limits the provider announces (`x-ratelimit-limit-*`,
//! `anthropic-ratelimit-*-limit`), and the state is told what the provider says is left
//! ([`super::RouterState::observe`]), so the token buckets follow the provider's own count.

use super::{Router, Slot};
use crate::types::StreamEvent;
use crate::wire::{RateLimits, RATE_LIMITS_KEY};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

/// The limits a deployment's provider announced (0: not announced).
#[derive(Debug, Default)]
pub(crate) struct Learned {
    rpm: AtomicU32,
    tpm: AtomicU64,
}

impl Learned {
    fn learn(&self, l: &RateLimits) {
        if let Some(n) = l.requests_limit.filter(|n| *n > 0) {
            self.rpm
                .store(u32::try_from(n).unwrap_or(u32::MAX), Ordering::Relaxed);
        }
        if let Some(n) = l.tokens_limit.filter(|n| *n > 0) {
            self.tpm.store(n, Ordering::Relaxed);
        }
    }
}

impl Slot {
    /// The RPM limit: the config's, else the provider's announced one.
    pub(crate) fn rpm(&self) -> Option<u32> {
        self.dep
            .rpm
            .or_else(|| Some(self.learned.rpm.load(Ordering::Relaxed)).filter(|n| *n > 0))
    }

    /// The TPM limit: the config's, else the provider's announced one.
    pub(crate) fn tpm(&self) -> Option<u64> {
        self.dep
            .tpm
            .or_else(|| Some(self.learned.tpm.load(Ordering::Relaxed)).filter(|n| *n > 0))
    }

    /// The deployment's state now, under its limits.
    pub(crate) fn stats(&self, router: &Router) -> super::DeploymentStats {
        router
            .inner
            .state
            .stats(&self.dep.id, self.rpm(), self.tpm())
    }
}

impl Router {
    /// Learns from the limits a response announced (its `provider_meta` entry, or a stream's
    /// metadata event).
    pub(crate) fn learn(&self, slot: usize, announced: Option<&serde_json::Value>) {
        let Some(v) = announced else { return };
        let Ok(limits) = RateLimits::deserialize(v) else {
            return;
        };
        let s = &self.inner.slots[slot];
        s.learned.learn(&limits);
        self.inner.state.observe(&s.dep.id, &limits);
    }

    /// [`Router::learn`] from a stream's first events.
    pub(crate) fn learn_from_events<'a>(
        &self,
        slot: usize,
        events: impl IntoIterator<Item = &'a StreamEvent>,
    ) {
        for e in events {
            if let StreamEvent::Metadata { key, value } = e {
                if key == RATE_LIMITS_KEY {
                    self.learn(slot, Some(value));
                }
            }
        }
    }
}

use serde::Deserialize;
