//! The storage seam: a [`CacheBackend`] keeps opaque bytes under string keys with a TTL, so
//! the in-memory store and Redis (or the caller's own store) plug in the same way. Answers
//! are stored as JSON, which any process of any version that shares the key format can read.

use crate::error::Result;
use futures_util::future::BoxFuture;
use std::time::Duration;

/// A key-value store for cached answers.
pub trait CacheBackend: Send + Sync + 'static {
    /// The value under `key`, if present and not expired.
    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Vec<u8>>>>;
    /// Stores `value` under `key` for `ttl`, replacing any earlier value.
    fn put<'a>(&'a self, key: &'a str, value: Vec<u8>, ttl: Duration) -> BoxFuture<'a, Result<()>>;
    /// Removes `key`; true when it was present.
    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<bool>>;
    /// Removes every entry this backend stored.
    fn clear(&self) -> BoxFuture<'_, Result<()>>;
    /// Entries dropped for space or age so far, when the backend can tell (default 0).
    fn evictions(&self) -> BoxFuture<'_, u64> {
        Box::pin(async { 0 })
    }
}
