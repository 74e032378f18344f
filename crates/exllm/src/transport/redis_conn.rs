//! One lazily opened, multiplexed Redis connection, shared by everything in this crate that
//! talks to Redis (the response cache, the router's states). A multiplexed connection does not
//! reconnect by itself: a user forgets it after a failure and the next use opens a new one.

use redis::aio::MultiplexedConnection;
use std::sync::Mutex;

/// A Redis client and the connection it opened, if any.
pub(crate) struct RedisConn {
    client: redis::Client,
    conn: Mutex<Option<MultiplexedConnection>>,
}

impl RedisConn {
    /// A holder for the server at `url`; nothing is connected yet.
    pub(crate) fn open(url: &str) -> redis::RedisResult<Self> {
        Ok(RedisConn {
            client: redis::Client::open(url)?,
            conn: Mutex::new(None),
        })
    }

    fn slot(&self) -> std::sync::MutexGuard<'_, Option<MultiplexedConnection>> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The open connection, or a new one; `true` when it was opened now (a round trip).
    pub(crate) async fn get(&self) -> redis::RedisResult<(MultiplexedConnection, bool)> {
        let cached = self.slot().clone();
        if let Some(c) = cached {
            return Ok((c, false));
        }
        let c = self.client.get_multiplexed_async_connection().await?;
        *self.slot() = Some(c.clone());
        Ok((c, true))
    }

    /// The client, to open a connection by hand (and [`RedisConn::set`] it).
    pub(crate) fn client(&self) -> &redis::Client {
        &self.client
    }

    /// Keeps `c` as the connection.
    pub(crate) fn set(&self, c: MultiplexedConnection) {
        *self.slot() = Some(c);
    }

    /// Whether a connection is open.
    pub(crate) fn is_open(&self) -> bool {
        self.slot().is_some()
    }

    /// Forgets the connection: the next use opens a new one.
    pub(crate) fn forget(&self) {
        *self.slot() = None;
    }

    /// Forgets the connection when `e` says the server dropped or refused it.
    pub(crate) fn forget_if_lost(&self, e: &redis::RedisError) {
        if e.is_io_error() || e.is_connection_dropped() || e.is_connection_refusal() {
            self.forget();
        }
    }
}
