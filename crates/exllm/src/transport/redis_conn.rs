//! One lazily opened, multiplexed Redis connection, shared by everything that talks to Redis
//! (the response cache, the router's states, the gateway's shared governance). A multiplexed
//! connection does not reconnect by itself: a user forgets it after a failure and the next use
//! opens a new one.

use redis::aio::MultiplexedConnection;
use std::sync::Mutex;

/// A Redis client and the connection it opened, if any. `Debug` shows whether a connection
/// is open, never the URL (it may carry a password).
pub struct RedisConn {
    client: redis::Client,
    conn: Mutex<Option<MultiplexedConnection>>,
}

impl std::fmt::Debug for RedisConn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisConn")
            .field("open", &self.is_open())
            .finish_non_exhaustive()
    }
}

impl RedisConn {
    /// A holder for the server at `url`; nothing is connected yet.
    pub fn open(url: &str) -> redis::RedisResult<Self> {
        Ok(RedisConn {
            client: redis::Client::open(url)?,
            conn: Mutex::new(None),
        })
    }

    fn slot(&self) -> std::sync::MutexGuard<'_, Option<MultiplexedConnection>> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The open connection, or a new one; `true` when it was opened now (a round trip).
    pub async fn get(&self) -> redis::RedisResult<(MultiplexedConnection, bool)> {
        let cached = self.slot().clone();
        if let Some(c) = cached {
            return Ok((c, false));
        }
        let c = self.client.get_multiplexed_async_connection().await?;
        *self.slot() = Some(c.clone());
        Ok((c, true))
    }

    /// The client, to open a connection by hand (and [`RedisConn::set`] it).
    pub fn client(&self) -> &redis::Client {
        &self.client
    }

    /// Keeps `c` as the connection.
    pub fn set(&self, c: MultiplexedConnection) {
        *self.slot() = Some(c);
    }

    /// Whether a connection is open.
    pub fn is_open(&self) -> bool {
        self.slot().is_some()
    }

    /// Forgets the connection: the next use opens a new one.
    pub fn forget(&self) {
        *self.slot() = None;
    }

    /// Forgets the connection when `e` says the server dropped or refused it.
    pub fn forget_if_lost(&self, e: &redis::RedisError) {
        if e.is_io_error() || e.is_connection_dropped() || e.is_connection_refusal() {
            self.forget();
        }
    }
}
