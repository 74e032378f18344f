//! The connection to Redis: the library's one multiplexed connection (`RedisConn`),
//! reopened after a failure, every call bounded by the configured timeout (an unreachable
//! Redis costs at most that much per request). The scripts are sent by hash (`EVALSHA`) and
//! loaded on a miss.

use exllm::transport::RedisConn;
use redis::aio::MultiplexedConnection;
use redis::{Script, Value};
use std::collections::HashMap;
use std::sync::LazyLock;
use std::time::Duration;

pub(super) static ADMIT: LazyLock<Script> =
    LazyLock::new(|| Script::new(include_str!("admit.lua")));
pub(super) static SETTLE: LazyLock<Script> =
    LazyLock::new(|| Script::new(include_str!("settle.lua")));
pub(super) static SEED: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("seed.lua")));
pub(super) static REPOST: LazyLock<Script> =
    LazyLock::new(|| Script::new(include_str!("repost.lua")));
pub(super) static REWINDOW: LazyLock<Script> =
    LazyLock::new(|| Script::new(include_str!("rewindow.lua")));

pub(super) struct Conn {
    conn: RedisConn,
    timeout: Duration,
}

/// A reply element as text (scripts answer numbers and strings).
fn text(v: &Value) -> String {
    match v {
        Value::Int(n) => n.to_string(),
        Value::BulkString(b) => String::from_utf8_lossy(b).into_owned(),
        Value::SimpleString(s) => s.clone(),
        Value::Double(d) => d.to_string(),
        _ => String::new(),
    }
}

impl Conn {
    pub(super) fn new(url: &str, timeout: Duration) -> Result<Conn, String> {
        // The URL may carry a password: the error names neither.
        let conn = RedisConn::open(url)
            .map_err(|_| "`governance.shared.redis_url` is not a valid Redis URL".to_owned())?;
        Ok(Conn { conn, timeout })
    }

    /// Runs `work` on the connection within the timeout; a connection the server dropped
    /// (a restart) is replaced once within the same time.
    async fn with<T, F, Fut>(&self, work: F) -> Result<T, String>
    where
        F: Fn(MultiplexedConnection) -> Fut,
        Fut: std::future::Future<Output = redis::RedisResult<T>>,
    {
        let attempt = async {
            loop {
                let (c, fresh) = self.conn.get().await.map_err(|e| e.to_string())?;
                match work(c).await {
                    Err(e) if !fresh && (e.is_io_error() || e.is_connection_dropped()) => {
                        self.conn.forget();
                    }
                    other => return other.map_err(|e| e.to_string()),
                }
            }
        };
        let out = match tokio::time::timeout(self.timeout, attempt).await {
            Ok(r) => r,
            Err(_) => Err(format!("no answer within {} ms", self.timeout.as_millis())),
        };
        if out.is_err() {
            self.conn.forget();
        }
        out
    }

    /// Runs a script; its reply as text fields.
    pub(super) async fn run(
        &self,
        script: &Script,
        keys: &[String],
        args: &[String],
    ) -> Result<Vec<String>, String> {
        let reply: Value = self
            .with(|mut c| async move {
                let mut inv = script.prepare_invoke();
                for k in keys {
                    inv.key(k);
                }
                for a in args {
                    inv.arg(a);
                }
                inv.invoke_async(&mut c).await
            })
            .await?;
        Ok(match reply {
            Value::Array(items) => items.iter().map(text).collect(),
            other => vec![text(&other)],
        })
    }

    /// The epoch and the revocation generation, in one round trip.
    pub(super) async fn poll(
        &self,
        epoch: &str,
        gen: &str,
    ) -> Result<(Option<String>, i64), String> {
        self.with(|mut c| async move {
            let (e, g): (Option<String>, Option<i64>) = redis::pipe()
                .get(epoch)
                .get(gen)
                .query_async(&mut c)
                .await?;
            Ok((e, g.unwrap_or(0)))
        })
        .await
    }

    /// A budget hash's settled and reserved USD and the start of the period they count.
    pub(super) async fn budget(
        &self,
        key: &str,
    ) -> Result<(Option<f64>, Option<f64>, Option<i64>), String> {
        self.with(|mut c| async move {
            redis::cmd("HMGET")
                .arg(key)
                .arg("settled")
                .arg("reserved")
                .arg("start")
                .query_async(&mut c)
                .await
        })
        .await
    }

    /// Every refused member and the time it is refused from.
    pub(super) async fn denied(&self, deny: &str) -> Result<HashMap<String, i64>, String> {
        self.with(|mut c| async move {
            let list: Vec<(String, f64)> = redis::cmd("ZRANGE")
                .arg(deny)
                .arg(0)
                .arg(-1)
                .arg("WITHSCORES")
                .query_async(&mut c)
                .await?;
            Ok(list.into_iter().map(|(m, s)| (m, s as i64)).collect())
        })
        .await
    }

    /// Refuses `member` from `at_ms` and bumps the generation the instances poll.
    pub(super) async fn deny(
        &self,
        deny: &str,
        gen: &str,
        member: &str,
        at_ms: i64,
    ) -> Result<(), String> {
        self.with(|mut c| async move {
            redis::pipe()
                .atomic()
                .zadd(deny, member, at_ms)
                .ignore()
                .incr(gen, 1)
                .ignore()
                .query_async::<()>(&mut c)
                .await
        })
        .await
    }
}
