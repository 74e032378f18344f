//! A Redis backend (feature `redis`), so several processes share one cache. Entries are
//! plain Redis strings under a prefix with a millisecond TTL (`SET .. PX`); `clear` removes
//! only keys under that prefix. The connection is opened on first use and multiplexed; one
//! the server dropped (a restart) is opened again on the next use.

use super::backend::CacheBackend;
use crate::error::{Error, ErrorKind, Result};
use crate::transport::RedisConn;
use futures_util::future::BoxFuture;
use redis::aio::MultiplexedConnection;
use std::time::Duration;

/// The default key prefix.
pub const DEFAULT_PREFIX: &str = "exllm:cache:";

/// A cache backend on a Redis server.
///
/// ```no_run
/// use exllm::cache::{Cache, RedisBackend};
/// let cache = Cache::new(RedisBackend::new("redis://127.0.0.1:6379/").unwrap());
/// # drop(cache);
/// ```
pub struct RedisBackend {
    conn: RedisConn,
    prefix: String,
}

fn err(e: redis::RedisError) -> Error {
    let kind = if e.is_io_error() || e.is_connection_refusal() || e.is_timeout() {
        ErrorKind::Network
    } else {
        ErrorKind::Server
    };
    Error::new(kind, format!("redis cache: {e}"))
}

impl RedisBackend {
    /// A backend on the server at `url` (`redis://host:port/db`); nothing is connected yet.
    pub fn new(url: &str) -> Result<Self> {
        let conn = RedisConn::open(url)
            .map_err(|e| Error::new(ErrorKind::Config, format!("redis url: {e}")))?;
        Ok(RedisBackend {
            conn,
            prefix: DEFAULT_PREFIX.to_owned(),
        })
    }

    /// Puts the keys under another prefix (separate caches on one server).
    pub fn with_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    async fn conn(&self) -> Result<MultiplexedConnection> {
        self.conn.get().await.map(|(c, _)| c).map_err(err)
    }

    /// The error of a command; a connection the server dropped is forgotten, so the next
    /// use opens a fresh one.
    fn failed(&self, e: redis::RedisError) -> Error {
        self.conn.forget_if_lost(&e);
        err(e)
    }

    fn full(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }
}

impl CacheBackend for RedisBackend {
    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Vec<u8>>>> {
        Box::pin(async move {
            let mut c = self.conn().await?;
            redis::cmd("GET")
                .arg(self.full(key))
                .query_async(&mut c)
                .await
                .map_err(|e| self.failed(e))
        })
    }

    fn put<'a>(&'a self, key: &'a str, value: Vec<u8>, ttl: Duration) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let mut c = self.conn().await?;
            let ms = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1);
            redis::cmd("SET")
                .arg(self.full(key))
                .arg(value)
                .arg("PX")
                .arg(ms)
                .query_async::<()>(&mut c)
                .await
                .map_err(|e| self.failed(e))
        })
    }

    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<bool>> {
        Box::pin(async move {
            let mut c = self.conn().await?;
            let n: u64 = redis::cmd("DEL")
                .arg(self.full(key))
                .query_async(&mut c)
                .await
                .map_err(|e| self.failed(e))?;
            Ok(n > 0)
        })
    }

    fn clear(&self) -> BoxFuture<'_, Result<()>> {
        Box::pin(async move {
            let mut c = self.conn().await?;
            let pattern = format!("{}*", self.prefix);
            let mut cursor: u64 = 0;
            loop {
                let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
                    .arg(cursor)
                    .arg("MATCH")
                    .arg(&pattern)
                    .arg("COUNT")
                    .arg(500)
                    .query_async(&mut c)
                    .await
                    .map_err(|e| self.failed(e))?;
                if !keys.is_empty() {
                    redis::cmd("DEL")
                        .arg(keys)
                        .query_async::<()>(&mut c)
                        .await
                        .map_err(|e| self.failed(e))?;
                }
                if next == 0 {
                    return Ok(());
                }
                cursor = next;
            }
        })
    }
}
