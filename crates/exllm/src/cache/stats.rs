//! Cache statistics: what the cache saved, counted where it happens (lookups, stores, hits)
//! with atomics so clones of one cache share one set of counters.

use crate::catalog::Cost;
use crate::types::Usage;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// A snapshot of a cache's counters.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CacheStats {
    /// Lookups answered from the cache.
    pub hits: u64,
    /// Cacheable lookups the cache could not answer.
    pub misses: u64,
    /// Calls the policy kept away from the cache (streaming, temperature, tool steps, off).
    pub bypassed: u64,
    /// Answers stored.
    pub stores: u64,
    /// Entries the backend dropped for space or age (0 where the backend cannot tell).
    pub evictions: u64,
    /// Backend or decoding failures (each one treated as a miss; the call went on).
    pub errors: u64,
    /// Prompt tokens the hits did not spend.
    pub saved_input_tokens: u64,
    /// Generated tokens the hits did not spend.
    pub saved_output_tokens: u64,
    /// USD the hits did not spend (answers the catalog priced).
    pub saved_cost_usd: f64,
}

impl CacheStats {
    /// All tokens the hits did not spend.
    pub fn saved_tokens(&self) -> u64 {
        self.saved_input_tokens + self.saved_output_tokens
    }

    /// Hits over cacheable lookups, `None` before the first one.
    pub fn hit_rate(&self) -> Option<f64> {
        let n = self.hits + self.misses;
        (n > 0).then(|| self.hits as f64 / n as f64)
    }
}

/// The live counters behind [`CacheStats`].
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) hits: AtomicU64,
    pub(crate) misses: AtomicU64,
    pub(crate) bypassed: AtomicU64,
    pub(crate) stores: AtomicU64,
    pub(crate) errors: AtomicU64,
    saved_input: AtomicU64,
    saved_output: AtomicU64,
    saved_cost: Mutex<f64>,
}

impl Counters {
    pub(crate) fn bump(c: &AtomicU64) {
        c.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a hit and what it saved.
    pub(crate) fn hit(&self, usage: Option<&Usage>, cost: Option<&Cost>) {
        Self::bump(&self.hits);
        if let Some(u) = usage {
            self.saved_input
                .fetch_add(u.input_tokens.unwrap_or(0), Ordering::Relaxed);
            self.saved_output
                .fetch_add(u.output_tokens.unwrap_or(0), Ordering::Relaxed);
        }
        if let Some(c) = cost {
            let mut saved = self.saved_cost.lock().unwrap_or_else(|p| p.into_inner());
            *saved += c.total;
        }
    }

    pub(crate) fn snapshot(&self, evictions: u64) -> CacheStats {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        CacheStats {
            hits: get(&self.hits),
            misses: get(&self.misses),
            bypassed: get(&self.bypassed),
            stores: get(&self.stores),
            evictions,
            errors: get(&self.errors),
            saved_input_tokens: get(&self.saved_input),
            saved_output_tokens: get(&self.saved_output),
            saved_cost_usd: *self.saved_cost.lock().unwrap_or_else(|p| p.into_inner()),
        }
    }
}
