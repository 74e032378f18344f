//! The default backend: an in-process [`moka`] cache, bounded by total bytes, with a TTL per
//! entry. It counts entries dropped for space or age so the cache statistics can report
//! evictions.

use super::backend::CacheBackend;
use crate::error::Result;
use futures_util::future::BoxFuture;
use moka::future::Cache;
use moka::Expiry;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The default memory bound: 64 MiB of stored answers.
pub const DEFAULT_MAX_BYTES: u64 = 64 * 1024 * 1024;

#[derive(Clone)]
struct Entry {
    bytes: Arc<[u8]>,
    ttl: Duration,
}

struct PerEntryTtl;

impl Expiry<String, Entry> for PerEntryTtl {
    fn expire_after_create(&self, _: &String, v: &Entry, _: Instant) -> Option<Duration> {
        Some(v.ttl)
    }
    fn expire_after_update(
        &self,
        _: &String,
        v: &Entry,
        _: Instant,
        _: Option<Duration>,
    ) -> Option<Duration> {
        Some(v.ttl)
    }
}

/// An in-memory, size-bounded cache backend with a TTL per entry.
///
/// ```
/// use exllm::cache::MemoryBackend;
/// let backend = MemoryBackend::new(16 * 1024 * 1024);
/// # drop(backend);
/// ```
#[derive(Clone)]
pub struct MemoryBackend {
    cache: Cache<String, Entry>,
    evicted: Arc<AtomicU64>,
}

impl Default for MemoryBackend {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_BYTES)
    }
}

impl MemoryBackend {
    /// A backend holding at most about `max_bytes` of keys and values.
    pub fn new(max_bytes: u64) -> Self {
        let evicted = Arc::new(AtomicU64::new(0));
        let counter = evicted.clone();
        let cache = Cache::builder()
            .max_capacity(max_bytes)
            .weigher(|k: &String, v: &Entry| {
                u32::try_from(k.len() + v.bytes.len()).unwrap_or(u32::MAX)
            })
            .expire_after(PerEntryTtl)
            .eviction_listener(move |_, _, cause| {
                if cause.was_evicted() {
                    counter.fetch_add(1, Ordering::Relaxed);
                }
            })
            .build();
        MemoryBackend { cache, evicted }
    }

    /// The number of entries held (after pending maintenance).
    pub async fn len(&self) -> u64 {
        self.cache.run_pending_tasks().await;
        self.cache.entry_count()
    }

    /// Whether no entry is held.
    pub async fn is_empty(&self) -> bool {
        self.len().await == 0
    }
}

impl CacheBackend for MemoryBackend {
    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Vec<u8>>>> {
        Box::pin(async move { Ok(self.cache.get(key).await.map(|e| e.bytes.to_vec())) })
    }

    fn put<'a>(&'a self, key: &'a str, value: Vec<u8>, ttl: Duration) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let entry = Entry {
                bytes: value.into(),
                ttl,
            };
            self.cache.insert(key.to_owned(), entry).await;
            Ok(())
        })
    }

    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<bool>> {
        Box::pin(async move { Ok(self.cache.remove(key).await.is_some()) })
    }

    fn clear(&self) -> BoxFuture<'_, Result<()>> {
        Box::pin(async move {
            self.cache.invalidate_all();
            self.cache.run_pending_tasks().await;
            Ok(())
        })
    }

    fn evictions(&self) -> BoxFuture<'_, u64> {
        Box::pin(async move {
            self.cache.run_pending_tasks().await;
            self.evicted.load(Ordering::Relaxed)
        })
    }
}
