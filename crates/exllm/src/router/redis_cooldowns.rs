//! [`SharedCooldowns`] (feature `redis`): the router's state in this process, with its
//! cooldowns shared through Redis *off the request's path*.
//!
//! [`super::RedisState`] shares everything (limits, budgets, cooldowns) at the price of one
//! Redis round trip per call. A gateway whose governance already spends its one round trip per
//! request on keys, limits and budgets cannot afford a second; what it needs from the router
//! is that a deployment one instance saw failing (a 429 with its reset time, a rejected key,
//! N failures in a window, a failed health probe) is avoided by every instance. So: admitting,
//! ranking and settling stay in a [`MemoryState`]; when a settlement opens a deployment's
//! breaker, a background task publishes "cooling for this long" (`cool.lua`, on the server's
//! clock); every [`SharedCooldownsConfig::refresh`] the same task reads the cooldowns every
//! process published (`cooling.lua`, one round trip) and trips the local breakers to match.
//! A request never waits for Redis; when Redis is out of reach, cooldowns stay per process
//! until it answers again (counted in [`SharedCooldowns::counters`]).

use super::memory::MemoryState;
use super::redis_config::redacted;
use super::settings::CooldownPolicy;
use super::state::{Admission, DeploymentStats, Refusal, Reservation, RouterState, Settlement};
use crate::transport::RedisConn;
use crate::wire::RateLimits;
use crate::{Error, ErrorKind, Result};
use futures_util::future::BoxFuture;
use redis::Script;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};

/// Publishes one cooldown: KEYS[1] the hash of cooldowns (deployment -> server ms it ends);
/// ARGV: the deployment, ms from now. A later end already published wins.
const COOL: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ms = tonumber(ARGV[2])
local untl = now + ms
local cur = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0') or 0
if cur < untl then redis.call('HSET', KEYS[1], ARGV[1], untl) end
if redis.call('PTTL', KEYS[1]) < ms + 1000 then redis.call('PEXPIRE', KEYS[1], ms + 1000) end
return { tostring(math.max(cur, untl)) }
";

/// Reads the cooldowns still running: {deployment, end (server ms), ms left, ...}; drops the
/// ended ones.
const COOLING: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local all = redis.call('HGETALL', KEYS[1])
local out = {}
for i = 1, #all, 2 do
  local u = tonumber(all[i + 1]) or 0
  if u <= now then
    redis.call('HDEL', KEYS[1], all[i])
  else
    out[#out + 1] = all[i]
    out[#out + 1] = tostring(u)
    out[#out + 1] = tostring(u - now)
  end
end
return out
";

/// A cooldown read back within this of the local one is the same cooldown (clock rounding
/// and the time a round trip takes), not a longer one.
const SLACK: Duration = Duration::from_millis(250);

/// The latest end (server ms) this process knows of each deployment's shared cooldown, and
/// when it ends here. An entry read again is not applied again: a breaker a success closed
/// stays closed, and a process's own cooldown read back does not lengthen it.
type Seen = std::collections::HashMap<String, (i64, Instant)>;

/// Where the shared cooldowns live. Its `Debug` hides the URL's credentials.
#[derive(Clone, PartialEq)]
pub struct SharedCooldownsConfig {
    /// The server (`redis://host:port/db`).
    pub url: String,
    /// Prefix of the key (routers sharing a prefix share their cooldowns).
    pub prefix: String,
    /// The longest one round trip (connecting included) may take.
    pub timeout: Duration,
    /// How often the other processes' cooldowns are read (at least 10 ms).
    pub refresh: Duration,
    /// Latency samples kept per deployment.
    pub latency_window: usize,
}

impl Default for SharedCooldownsConfig {
    fn default() -> Self {
        SharedCooldownsConfig {
            url: "redis://127.0.0.1:6379/".into(),
            prefix: "exllm:router:".into(),
            timeout: Duration::from_millis(250),
            refresh: Duration::from_millis(250),
            latency_window: 32,
        }
    }
}

impl std::fmt::Debug for SharedCooldownsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedCooldownsConfig")
            .field("url", &redacted(&self.url))
            .field("prefix", &self.prefix)
            .field("timeout", &self.timeout)
            .field("refresh", &self.refresh)
            .field("latency_window", &self.latency_window)
            .finish()
    }
}

/// What a [`SharedCooldowns`] has done so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SharedCooldownsCounters {
    /// Cooldowns this process published.
    pub published: u64,
    /// Cooldowns other processes published that this one applied.
    pub applied: u64,
    /// Round trips that failed or timed out (Redis out of reach).
    pub unavailable: u64,
}

struct Shared {
    local: MemoryState,
    policy: CooldownPolicy,
    conn: RedisConn,
    cfg: SharedCooldownsConfig,
    cool: Script,
    cooling: Script,
    seen: Mutex<Seen>,
    published: AtomicU64,
    applied: AtomicU64,
    unavailable: AtomicU64,
}

enum Job {
    Cool(String, Instant),
    Flush(oneshot::Sender<()>),
}

/// A [`MemoryState`] whose cooldowns every process sharing the Redis prefix sees (see the
/// module's docs). Cheap to share; its background task ends when it is dropped.
pub struct SharedCooldowns {
    shared: Arc<Shared>,
    jobs: mpsc::UnboundedSender<Job>,
}

impl std::fmt::Debug for SharedCooldowns {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedCooldowns")
            .field("cfg", &self.shared.cfg)
            .finish_non_exhaustive()
    }
}

impl SharedCooldowns {
    /// A state sharing its cooldowns on `cfg.url`; `policy` is the router's cooldown policy
    /// (for deployments another process cooled before this one called them). Must be called
    /// within a Tokio runtime (an error otherwise); nothing is connected until the first poll.
    pub fn new(cfg: SharedCooldownsConfig, policy: CooldownPolicy) -> Result<SharedCooldowns> {
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| {
            Error::new(
                ErrorKind::Config,
                "the router's shared cooldowns must be created within a Tokio runtime",
            )
        })?;
        let conn = RedisConn::open(&cfg.url)
            .map_err(|e| Error::new(ErrorKind::Config, format!("redis url: {e}")))?;
        let shared = Arc::new(Shared {
            local: MemoryState::new(cfg.latency_window),
            policy,
            conn,
            cfg,
            cool: Script::new(COOL),
            cooling: Script::new(COOLING),
            seen: Mutex::default(),
            published: AtomicU64::new(0),
            applied: AtomicU64::new(0),
            unavailable: AtomicU64::new(0),
        });
        let (jobs, rx) = mpsc::unbounded_channel();
        runtime.spawn(worker(shared.clone(), rx));
        Ok(SharedCooldowns { shared, jobs })
    }

    /// What it has done so far.
    pub fn counters(&self) -> SharedCooldownsCounters {
        let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let s = &self.shared;
        SharedCooldownsCounters {
            published: g(&s.published),
            applied: g(&s.applied),
            unavailable: g(&s.unavailable),
        }
    }
}

impl Shared {
    fn key(&self) -> String {
        format!("{}cooling", self.cfg.prefix)
    }

    /// Runs `script` within the timeout; a failure drops the connection (the next use
    /// reconnects) and is counted.
    async fn run(&self, script: &Script, args: &[String]) -> Option<Vec<String>> {
        let work = async {
            let (mut c, _) = self.conn.get().await.map_err(|e| e.to_string())?;
            let mut inv = script.key(self.key());
            for a in args {
                inv.arg(a);
            }
            inv.invoke_async::<Vec<String>>(&mut c)
                .await
                .map_err(|e| e.to_string())
        };
        let failed = match tokio::time::timeout(self.cfg.timeout, work).await {
            Ok(Ok(v)) => return Some(v),
            Ok(Err(e)) => e,
            Err(_) => format!("no answer within {} ms", self.cfg.timeout.as_millis()),
        };
        if self.unavailable.fetch_add(1, Ordering::Relaxed) == 0 {
            tracing::warn!("router cooldowns (redis): {failed}; cooldowns stay in this process");
        }
        self.conn.forget();
        None
    }

    async fn publish(&self, deployment: &str, until: Instant) {
        let left = until.saturating_duration_since(Instant::now());
        let ms = left.as_millis().clamp(1, u128::from(u32::MAX)).to_string();
        let Some(reply) = self.run(&self.cool, &[deployment.to_owned(), ms]).await else {
            return;
        };
        self.published.fetch_add(1, Ordering::Relaxed);
        if let Some(end) = reply.first().and_then(|e| e.parse::<i64>().ok()) {
            self.know(deployment, end, until);
        }
    }

    /// Notes `end` as known; false when an end as late was known already.
    fn know(&self, deployment: &str, end: i64, until: Instant) -> bool {
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        match seen.get_mut(deployment) {
            Some((known, _)) if *known >= end => false,
            Some(entry) => {
                *entry = (end, until);
                true
            }
            None => {
                seen.insert(deployment.to_owned(), (end, until));
                true
            }
        }
    }

    /// Applies what other processes published since the last poll.
    async fn poll(&self) {
        let Some(reply) = self.run(&self.cooling, &[]).await else {
            return;
        };
        let now = Instant::now();
        for entry in reply.chunks_exact(3) {
            let (Ok(end), Ok(ms)) = (entry[1].parse::<i64>(), entry[2].parse::<u64>()) else {
                continue;
            };
            let until = now + Duration::from_millis(ms);
            if self.know(&entry[0], end, until)
                && self.local.cool(&entry[0], until, SLACK, &self.policy)
            {
                self.applied.fetch_add(1, Ordering::Relaxed);
            }
        }
        // Ended cooldowns are forgotten.
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        seen.retain(|_, (_, until)| *until > now);
    }
}

/// Publishes cooldowns as they open and reads the others' at every refresh.
async fn worker(shared: Arc<Shared>, mut rx: mpsc::UnboundedReceiver<Job>) {
    let mut tick = tokio::time::interval(shared.cfg.refresh.max(Duration::from_millis(10)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            job = rx.recv() => match job {
                None => return,
                Some(Job::Cool(dep, until)) => shared.publish(&dep, until).await,
                Some(Job::Flush(done)) => {
                    let _ = done.send(());
                }
            },
            _ = tick.tick() => shared.poll().await,
        }
    }
}

impl RouterState for SharedCooldowns {
    fn stats(&self, deployment: &str, rpm: Option<u32>, tpm: Option<u64>) -> DeploymentStats {
        self.shared.local.stats(deployment, rpm, tpm)
    }

    fn admit<'a>(&'a self, call: &'a Admission<'a>) -> BoxFuture<'a, Result<Reservation, Refusal>> {
        self.shared.local.admit(call)
    }

    fn admit_at_once(&self, call: &Admission<'_>) -> Option<Result<Reservation, Refusal>> {
        self.shared.local.admit_at_once(call)
    }

    fn settle(&self, reservation: Reservation, settlement: Settlement) {
        if let Some((dep, until)) = self.shared.local.settle_tripped(reservation, settlement) {
            let _ = self.jobs.send(Job::Cool(dep, until));
        }
    }

    fn spent<'a>(&'a self, budget_key: &'a str) -> BoxFuture<'a, f64> {
        self.shared.local.spent(budget_key)
    }

    fn observe(&self, deployment: &str, limits: &RateLimits) {
        self.shared.local.observe(deployment, limits);
    }

    fn flush(&self) -> BoxFuture<'_, ()> {
        Box::pin(async {
            let (tx, rx) = oneshot::channel();
            if self.jobs.send(Job::Flush(tx)).is_ok() {
                let _ = rx.await;
            }
        })
    }
}
