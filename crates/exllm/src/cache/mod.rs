//! The response cache: answers to deterministic requests kept so that asking again costs
//! nothing. A [`Cache`] is a handle (cheap to clone, clones share entries and statistics)
//! given to [`crate::ClientBuilder::cache`]; the client then consults it in `chat`,
//! `chat_stream` and `embed`.
//!
//! * **Key**: SHA-256 of who answers ([`CacheScope`]: provider, resolved base URL, API and
//!   a keyed hash of the credential) and the canonical JSON of the request, the same in every
//!   process; never the API key itself. [`Cache::with_namespace`] separates tenants that
//!   share a backend.
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
#[cfg(feature = "redis")]
mod redis;
mod stats;

pub use crate::types::CachePolicy;
pub use backend::CacheBackend;
pub use key::CacheScope;
pub(crate) use key::KeyMaker;
pub(crate) use lookup::{chat_lookup, embed_lookup, replay, Lookup, Pending};
pub use lookup::{HIT_KEY, SAVED_KEY};
pub use memory::{MemoryBackend, DEFAULT_MAX_BYTES};
#[cfg(feature = "redis")]
pub use redis::RedisBackend;
pub use stats::CacheStats;

use crate::error::Result;
use crate::types::{ChatRequest, ChatResponse, EmbedRequest, EmbedResponse};
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
    keys: KeyMaker,
}

impl std::fmt::Debug for Cache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cache")
            .field("policy", &self.policy)
            .field("ttl", &self.ttl)
            .field("namespace", &self.keys.namespace)
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
            keys: KeyMaker::default(),
        }
    }

    /// Keys this cache's entries under a namespace of their own (a tenant, a team), so
    /// caches with different namespaces never share answers, whatever backend they share.
    pub fn with_namespace(mut self, namespace: impl Into<String>) -> Self {
        self.keys.namespace = namespace.into();
        self
    }

    /// Sets the secret under which credentials are hashed into keys (HMAC-SHA256). The key
    /// itself never reaches the cache either way; a secret of the deployment's own also
    /// keeps whoever can read the backend from checking guessed keys against it.
    pub fn with_secret(mut self, secret: impl Into<crate::types::Secret>) -> Self {
        self.keys.secret = secret.into();
        self
    }

    /// The key a chat request sent in `scope` is stored under (see
    /// [`crate::Client::cache_scope`]); an error when the request cannot be written as JSON.
    pub fn chat_key(&self, scope: &CacheScope, req: &ChatRequest) -> Result<String> {
        self.keys.chat(scope, req)
    }

    /// The key an embeddings request sent in `scope` is stored under.
    pub fn embed_key(&self, scope: &CacheScope, req: &EmbedRequest) -> Result<String> {
        self.keys.embed(scope, req)
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

    /// Removes one entry by key ([`Cache::chat_key`], [`Cache::embed_key`]); true when it
    /// was present.
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
