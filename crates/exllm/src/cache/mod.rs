//! The response cache: answers to deterministic requests kept so that asking again costs
//! nothing. A [`Cache`] is a handle (cheap to clone, clones share entries and statistics)
//! given to [`crate::ClientBuilder::cache`]; the client then consults it in `chat`,
//! `chat_stream` and `embed`.
//!
//! * **Key**: SHA-256 of the canonical JSON of the request ([`chat_key`]), the same in every
//!   process, never including API keys.
//! * **Backends**: [`MemoryBackend`] (moka, size-bounded, TTL per entry) by default;
//!   `RedisBackend` (feature `redis`) to share answers between processes; or any
//!   [`CacheBackend`].
//! * **Policy**: [`CachePolicy`] on the cache, replaced per request by
//!   [`crate::ChatRequest::cache`]; streams, `temperature > 0` and tool steps are choices.
//! * **Accounting**: a hit is the stored answer with its `usage` and `cost` set to zero —
//!   nothing was spent, so cost trackers and telemetry that sum `usage`/`cost` record
//!   nothing new. It is marked `provider_meta["exllm_cache"] = "hit"`, and the original
//!   figures are kept in `provider_meta["exllm_cache_saved"] = {"usage": .., "cost": ..}`
//!   and summed in [`CacheStats`]. Embedding hits likewise carry zero usage. Hits skip the
//!   provider, telemetry and retries altogether.
//! * **Failures**: the cache never fails a call; a backend error counts in
//!   [`CacheStats::errors`], is logged, and the call goes to the provider.

mod backend;
mod key;
mod lookup;
mod memory;
mod policy;
#[cfg(feature = "redis")]
mod redis;
mod stats;

pub use backend::CacheBackend;
pub use key::{chat_key, embed_key};
pub(crate) use lookup::{chat_lookup, embed_lookup, replay, Lookup};
pub use lookup::{HIT_KEY, SAVED_KEY};
pub use memory::{MemoryBackend, DEFAULT_MAX_BYTES};
pub use policy::CachePolicy;
#[cfg(feature = "redis")]
pub use redis::RedisBackend;
pub use stats::CacheStats;

use crate::error::Result;
use crate::types::{ChatResponse, EmbedResponse};
use stats::Counters;
use std::sync::Arc;
use std::time::Duration;

/// The default TTL of a cached answer: one hour.
pub const DEFAULT_TTL: Duration = Duration::from_secs(3600);

/// A response cache: a backend, a default policy and statistics.
///
/// ```
/// use exllm::cache::{Cache, CachePolicy};
/// use exllm::Client;
/// use std::time::Duration;
/// let cache = Cache::memory().with_ttl(Duration::from_secs(600));
/// let client = Client::builder().cache(cache.clone()).build().unwrap();
/// # drop(client);
/// ```
#[derive(Clone)]
pub struct Cache {
    backend: Arc<dyn CacheBackend>,
    policy: CachePolicy,
    ttl: Duration,
    counters: Arc<Counters>,
}

impl std::fmt::Debug for Cache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cache")
            .field("policy", &self.policy)
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

impl Cache {
    /// A cache over `backend` with the default policy and TTL.
    pub fn new(backend: impl CacheBackend) -> Self {
        Cache {
            backend: Arc::new(backend),
            policy: CachePolicy::default(),
            ttl: DEFAULT_TTL,
            counters: Arc::default(),
        }
    }

    /// An in-memory cache of [`DEFAULT_MAX_BYTES`].
    pub fn memory() -> Self {
        Self::new(MemoryBackend::default())
    }

    /// Sets the default TTL (a policy's or request's own TTL wins).
    pub fn with_ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
    }

    /// Sets the default policy (a request's own policy replaces it).
    pub fn with_policy(mut self, policy: CachePolicy) -> Self {
        self.policy = policy;
        self
    }

    /// The default policy.
    pub fn policy(&self) -> &CachePolicy {
        &self.policy
    }

    /// The statistics so far.
    pub async fn stats(&self) -> CacheStats {
        self.counters.snapshot(self.backend.evictions().await)
    }

    /// Removes every entry (statistics are kept).
    pub async fn clear(&self) -> Result<()> {
        self.backend.clear().await
    }

    /// Removes one entry by key ([`chat_key`], [`embed_key`]); true when it was present.
    pub async fn delete(&self, key: &str) -> Result<bool> {
        self.backend.delete(key).await
    }

    /// The stored chat answer under `key`, as stored (original usage and cost), without
    /// touching the statistics.
    pub async fn get_chat(&self, key: &str) -> Result<Option<ChatResponse>> {
        self.get_raw(key).await
    }

    /// The stored embeddings under `key`, as stored, without touching the statistics.
    pub async fn get_embed(&self, key: &str) -> Result<Option<EmbedResponse>> {
        self.get_raw(key).await
    }

    async fn get_raw<T: serde::de::DeserializeOwned>(&self, key: &str) -> Result<Option<T>> {
        match self.backend.get(key).await? {
            Some(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|e| {
                crate::Error::new(crate::ErrorKind::Decode, format!("cache entry {key}: {e}"))
            }),
            None => Ok(None),
        }
    }
}
