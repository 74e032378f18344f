//! [`RedisState`] (feature `redis`): the router's state in a Redis server, so that several
//! processes hold one set of limits, one budget and one view of cooldowns.
//!
//! Each step is one Lua script run atomically by the server (`redis_admit.lua`,
//! `redis_settle.lua`, both prefixed with `redis_common.lua`), on the server's clock. `admit`
//! is the only step on a request's path and costs exactly one round trip (an `EVALSHA`; the
//! scripts are loaded when the connection opens). `settle` is queued to a background task in
//! call order and never blocks the caller; `stats` answers from the snapshot the last script
//! returned for the deployment, refreshed in the background for the other processes' calls
//! ([`RedisStateConfig::refresh`]). A round trip is bounded by [`RedisStateConfig::timeout`];
//! when Redis does not answer in time, `admit` fails open or closed as configured and the
//! outcome is counted in [`RedisState::counters`]. Limits a provider announces in its headers
//! (`observe`, `redis_observe.lua`) go the same queue after the call's settlement: what is
//! left lowers the shared bucket, and an announced size becomes every process's bucket size
//! when the config gave none.

use super::state::{
    Admission, DeploymentStats, Refusal, Reservation, RouterState, Settlement, Verdict,
};
use crate::catalog::BudgetAction;
use crate::wire::RateLimits;
use crate::{Error, ErrorKind, Result};
use futures_util::future::BoxFuture;
use redis::aio::MultiplexedConnection;
use redis::Script;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};

use super::redis_config::Counters;
pub use super::redis_config::{FailMode, RedisCounters, RedisStateConfig};

const ADMIT: &str = concat!(
    include_str!("redis_common.lua"),
    include_str!("redis_admit.lua")
);
const PEEK: &str = concat!(
    include_str!("redis_common.lua"),
    include_str!("redis_peek.lua")
);
const SETTLE: &str = concat!(
    include_str!("redis_common.lua"),
    include_str!("redis_settle.lua")
);
const OBSERVE: &str = concat!(
    include_str!("redis_common.lua"),
    include_str!("redis_observe.lua")
);

/// What this process last learned of a deployment.
struct View {
    stats: DeploymentStats,
    rpm: Option<u32>,
    tpm: Option<u64>,
}

struct Shared {
    conn: crate::transport::RedisConn,
    cfg: RedisStateConfig,
    admit: Script,
    settle: Script,
    peek: Script,
    observe: Script,
    views: Mutex<HashMap<String, View>>,
    /// Calls admitted unchecked: their settlement must not give back what was never taken.
    unchecked: Mutex<HashSet<(String, Instant)>>,
    /// The cooldown policy last admitted with (settlements need it).
    policy: Mutex<super::CooldownPolicy>,
    counters: Counters,
}

enum Job {
    Settle(Reservation, Settlement),
    Observe(String, RateLimits),
    Flush(oneshot::Sender<()>),
}

/// The router's state in Redis. Create it inside a Tokio runtime (it starts the task that
/// sends settlements).
pub struct RedisState {
    shared: Arc<Shared>,
    jobs: mpsc::UnboundedSender<Job>,
}

impl std::fmt::Debug for RedisState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisState")
            .field("prefix", &self.shared.cfg.prefix)
            .field("timeout", &self.shared.cfg.timeout)
            .field("on_unavailable", &self.shared.cfg.on_unavailable)
            .finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl RedisState {
    /// A state on the server `cfg.url`; nothing is connected until the first call. Must be
    /// called within a Tokio runtime (an error otherwise).
    pub fn new(cfg: RedisStateConfig) -> Result<RedisState> {
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| {
            Error::new(
                ErrorKind::Config,
                "the router's Redis state must be created within a Tokio runtime",
            )
        })?;
        let conn = crate::transport::RedisConn::open(&cfg.url)
            .map_err(|e| Error::new(ErrorKind::Config, format!("redis url: {e}")))?;
        let shared = Arc::new(Shared {
            conn,
            cfg,
            admit: Script::new(ADMIT),
            settle: Script::new(SETTLE),
            peek: Script::new(PEEK),
            observe: Script::new(OBSERVE),
            views: Mutex::new(HashMap::new()),
            unchecked: Mutex::new(HashSet::new()),
            policy: Mutex::new(super::CooldownPolicy::default()),
            counters: Counters::default(),
        });
        let (jobs, rx) = mpsc::unbounded_channel();
        runtime.spawn(settler(shared.clone(), rx));
        Ok(RedisState { shared, jobs })
    }

    /// What it has done so far (round trips, Redis outages and how they were handled).
    pub fn counters(&self) -> RedisCounters {
        let c = &self.shared.counters;
        let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
        RedisCounters {
            admits: g(&c.admits),
            admit_round_trips: g(&c.admit_round_trips),
            settles: g(&c.settles),
            unavailable: g(&c.unavailable),
            failed_open: g(&c.failed_open),
            failed_closed: g(&c.failed_closed),
            settles_lost: g(&c.settles_lost),
        }
    }

    /// Opens the connection and loads the scripts now, so that the first calls make one round
    /// trip each too. Optional: the first call connects otherwise.
    pub async fn connect(&self) -> Result<()> {
        let sh = &self.shared;
        let work = async {
            let mut c = sh.conn.client().get_multiplexed_async_connection().await?;
            sh.admit.load_async(&mut c).await?;
            sh.settle.load_async(&mut c).await?;
            sh.peek.load_async(&mut c).await?;
            sh.observe.load_async(&mut c).await?;
            Ok::<_, redis::RedisError>(c)
        };
        match tokio::time::timeout(sh.cfg.timeout, work).await {
            Ok(Ok(c)) => {
                sh.conn.set(c);
                Ok(())
            }
            Ok(Err(e)) => Err(Error::new(
                ErrorKind::Network,
                format!("router state (redis): {e}"),
            )),
            Err(_) => Err(Error::new(
                ErrorKind::Timeout,
                format!(
                    "router state (redis): no answer within {} ms",
                    sh.cfg.timeout.as_millis()
                ),
            )),
        }
    }

    /// Waits until every settlement queued so far has reached Redis (or was lost).
    pub async fn flush(&self) {
        let (tx, rx) = oneshot::channel();
        if self.jobs.send(Job::Flush(tx)).is_ok() {
            let _ = rx.await;
        }
    }
}

impl Shared {
    fn key(&self, kind: &str, id: &str) -> String {
        format!("{}{kind}:{id}", self.cfg.prefix)
    }

    fn dep_keys(&self, dep: &str) -> [String; 3] {
        [
            self.key("dep", dep),
            self.key("ttft", dep),
            self.key("tpt", dep),
        ]
    }

    /// The open connection, or a new one (one round trip, counted in `trips`).
    async fn conn(&self, trips: &AtomicU64) -> std::result::Result<MultiplexedConnection, String> {
        let (c, opened) = self.conn.get().await.map_err(|e| e.to_string())?;
        if opened {
            trips.fetch_add(1, Ordering::Relaxed);
        }
        Ok(c)
    }

    /// Refreshes the view of every deployment this process knows, in one pipelined round
    /// trip: what the other processes' calls did to them (in flight, headroom, cooldowns).
    async fn refresh(&self) {
        let deps: Vec<(String, Option<u32>, Option<u64>)> = lock(&self.views)
            .iter()
            .map(|(k, v)| (k.clone(), v.rpm, v.tpm))
            .collect();
        if deps.is_empty() {
            return;
        }
        let mut pipe = redis::pipe();
        for (d, rpm, tpm) in &deps {
            pipe.cmd("EVALSHA")
                .arg(self.peek.get_hash())
                .arg(3)
                .arg(&self.dep_keys(d)[..])
                .arg(rpm.map_or(-1, i64::from))
                .arg(tpm.map_or(-1, |t| t.min(i64::MAX as u64) as i64));
        }
        let none = AtomicU64::new(0);
        let work = async {
            let mut conn = self.conn(&none).await?;
            match pipe.query_async::<Vec<Vec<String>>>(&mut conn).await {
                Err(e)
                    if e.kind() == redis::ErrorKind::Server(redis::ServerErrorKind::NoScript) =>
                {
                    // Loaded for the next refresh; this one is skipped.
                    self.peek
                        .load_async(&mut conn)
                        .await
                        .map_err(|e| e.to_string())?;
                    Ok(Vec::new())
                }
                other => other.map_err(|e| e.to_string()),
            }
        };
        match tokio::time::timeout(self.cfg.timeout, work).await {
            Ok(Ok(snaps)) => {
                for ((d, rpm, tpm), snap) in deps.iter().zip(snaps) {
                    self.remember(d, &snap, *rpm, *tpm);
                }
            }
            _ => {
                self.counters.unavailable.fetch_add(1, Ordering::Relaxed);
                self.conn.forget();
            }
        }
    }

    /// Runs a script in one round trip (plus one to connect, or to reload the script after a
    /// server restart), within the timeout. `trips` counts the round trips.
    async fn run(
        &self,
        script: &Script,
        src: &'static str,
        keys: &[String],
        args: &[String],
        trips: &AtomicU64,
    ) -> std::result::Result<Vec<String>, String> {
        let work = async {
            let mut fresh = !self.conn.is_open();
            loop {
                let mut conn = self.conn(trips).await?;
                match eval(script, src, keys, args, &mut conn, trips).await {
                    Err(e) if !fresh && (e.is_io_error() || e.is_connection_dropped()) => {
                        // A connection the server dropped (a restart): one more try on a new
                        // one, within the same time limit.
                        self.conn.forget();
                        fresh = true;
                    }
                    other => return other.map_err(|e| e.to_string()),
                }
            }
        };
        let out = match tokio::time::timeout(self.cfg.timeout, work).await {
            Ok(r) => r,
            Err(_) => Err(format!(
                "no answer within {} ms",
                self.cfg.timeout.as_millis()
            )),
        };
        if out.is_err() {
            self.counters.unavailable.fetch_add(1, Ordering::Relaxed);
            // The connection may be dead: the next call opens a new one.
            self.conn.forget();
        }
        out
    }

    /// Stores what a script said of a deployment: in flight, headroom, latency means, ms left
    /// cooling.
    fn remember(&self, dep: &str, snap: &[String], rpm: Option<u32>, tpm: Option<u64>) {
        let f = |i: usize| snap.get(i).and_then(|s| s.parse::<f64>().ok());
        let cool_ms = f(4).unwrap_or(0.0);
        let stats = DeploymentStats {
            in_flight: f(0).unwrap_or(0.0).max(0.0) as u32,
            headroom: f(1),
            ttft_ms: f(2),
            per_token_ms: f(3),
            cooling_until: (cool_ms > 0.0)
                .then(|| Instant::now() + Duration::from_secs_f64(cool_ms / 1000.0)),
        };
        lock(&self.views).insert(dep.to_owned(), View { stats, rpm, tpm });
    }

    /// Lowers the shared buckets of `dep` to what its provider says is left, and makes an
    /// announced limit the bucket size every process uses when the config gave none.
    async fn observe(&self, dep: &str, l: &RateLimits) {
        let (rpm, tpm) = lock(&self.views)
            .get(dep)
            .map_or((None, None), |v| (v.rpm, v.tpm));
        let opt = |v: Option<u64>| v.map_or(String::new(), |v| v.to_string());
        let reset = |s: Option<f64>| {
            s.filter(|s| s.is_finite() && *s >= 0.0)
                .map_or(String::new(), |s| ((s * 1000.0).ceil() as u64).to_string())
        };
        let args = [
            rpm.map_or("-1".into(), |v| v.to_string()),
            opt(l.requests_limit),
            opt(l.requests_remaining),
            reset(l.requests_reset_s),
            tpm.map_or("-1".into(), |v| v.to_string()),
            opt(l.tokens_limit),
            opt(l.tokens_remaining),
            reset(l.tokens_reset_s),
        ];
        let none = AtomicU64::new(0);
        match self
            .run(&self.observe, OBSERVE, &self.dep_keys(dep), &args, &none)
            .await
        {
            Ok(snap) => self.remember(dep, &snap, rpm, tpm),
            Err(e) => {
                tracing::debug!(deployment = %dep, error = %e, "router state: announced limits not shared (redis unreachable)");
            }
        }
    }

    fn settle_args(
        &self,
        r: &Reservation,
        s: &Settlement,
        counted: bool,
    ) -> (Vec<String>, Vec<String>) {
        let (rpm, tpm) = lock(&self.views)
            .get(&r.deployment)
            .map_or((None, None), |v| (v.rpm, v.tpm));
        let policy = lock(&self.policy).clone();
        let now = Instant::now();
        let (verdict, cool) = match s.verdict {
            Verdict::Success => ("s", 0),
            Verdict::Failure => ("f", 0),
            Verdict::CoolUntil(until) => ("c", ms(until.saturating_duration_since(now))),
            Verdict::Neutral => ("n", 0),
        };
        let opt = |v: Option<f64>| {
            v.filter(|v| v.is_finite() && *v >= 0.0)
                .map_or(String::new(), |v| v.to_string())
        };
        let spent = s.cost_usd.unwrap_or(r.cost_usd);
        let args = vec![
            r.tokens.to_string(),
            s.tokens.map_or("-1".into(), |t| t.to_string()),
            r.cost_usd.to_string(),
            if spent.is_finite() {
                spent.max(0.0)
            } else {
                0.0
            }
            .to_string(),
            verdict.into(),
            cool.to_string(),
            policy.allowed_fails.to_string(),
            ms(policy.window).to_string(),
            ms(policy.cooldown).to_string(),
            opt(s.ttft_ms),
            opt(s.per_token_ms),
            self.cfg.latency_window.max(1).to_string(),
            rpm.map_or("-1".into(), |v| v.to_string()),
            tpm.map_or("-1".into(), |v| v.to_string()),
            if counted { "1" } else { "0" }.into(),
        ];
        let mut keys = self.dep_keys(&r.deployment).to_vec();
        keys.extend(r.budgets.iter().map(|b| self.key("budget", b)));
        (keys, args)
    }
}

/// One `EVALSHA` (and an `EVAL` when the server lost the script).
async fn eval(
    script: &Script,
    src: &'static str,
    keys: &[String],
    args: &[String],
    conn: &mut MultiplexedConnection,
    trips: &AtomicU64,
) -> redis::RedisResult<Vec<String>> {
    let mut cmd = redis::cmd("EVALSHA");
    cmd.arg(script.get_hash())
        .arg(keys.len())
        .arg(keys)
        .arg(args);
    trips.fetch_add(1, Ordering::Relaxed);
    match cmd.query_async::<Vec<String>>(conn).await {
        Err(e) if e.kind() == redis::ErrorKind::Server(redis::ServerErrorKind::NoScript) => {
            trips.fetch_add(1, Ordering::Relaxed);
            let mut again = redis::cmd("EVAL");
            again.arg(src).arg(keys.len()).arg(keys).arg(args);
            again.query_async::<Vec<String>>(conn).await
        }
        other => other,
    }
}

fn ms(d: Duration) -> u64 {
    d.as_millis().min(u128::from(u64::MAX)) as u64
}

/// Sends settlements in the order calls ended, off the request's path.
async fn settler(shared: Arc<Shared>, mut rx: mpsc::UnboundedReceiver<Job>) {
    let none = AtomicU64::new(0);
    let mut tick = (!shared.cfg.refresh.is_zero()).then(|| {
        let mut t = tokio::time::interval(shared.cfg.refresh);
        t.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        t
    });
    loop {
        let next = async {
            match tick.as_mut() {
                Some(t) => t.tick().await,
                None => std::future::pending().await,
            }
        };
        let job = tokio::select! {
            job = rx.recv() => job,
            _ = next => {
                shared.refresh().await;
                continue;
            }
        };
        let Some(job) = job else { break };
        match job {
            Job::Flush(done) => {
                let _ = done.send(());
            }
            Job::Observe(dep, limits) => shared.observe(&dep, &limits).await,
            Job::Settle(r, s) => {
                let counted = !lock(&shared.unchecked).remove(&(r.deployment.clone(), r.started));
                let (keys, args) = shared.settle_args(&r, &s, counted);
                shared.counters.settles.fetch_add(1, Ordering::Relaxed);
                match shared
                    .run(&shared.settle, SETTLE, &keys, &args, &none)
                    .await
                {
                    Ok(snap) => {
                        let (rpm, tpm) = lock(&shared.views)
                            .get(&r.deployment)
                            .map_or((None, None), |v| (v.rpm, v.tpm));
                        shared.remember(&r.deployment, &snap, rpm, tpm);
                    }
                    Err(e) => {
                        shared.counters.settles_lost.fetch_add(1, Ordering::Relaxed);
                        tracing::warn!(deployment = %r.deployment, error = %e, "router state: settlement lost (redis unreachable)");
                    }
                }
            }
        }
    }
}

impl RouterState for RedisState {
    fn flush(&self) -> BoxFuture<'_, ()> {
        Box::pin(RedisState::flush(self))
    }

    fn stats(&self, deployment: &str, rpm: Option<u32>, tpm: Option<u64>) -> DeploymentStats {
        match lock(&self.shared.views).get(deployment) {
            Some(v) => {
                let mut s = v.stats;
                s.cooling_until = s.cooling_until.filter(|u| *u > Instant::now());
                s
            }
            None => DeploymentStats {
                headroom: (rpm.is_some() || tpm.is_some()).then_some(1.0),
                ..Default::default()
            },
        }
    }

    fn admit<'a>(&'a self, call: &'a Admission<'a>) -> BoxFuture<'a, Result<Reservation, Refusal>> {
        Box::pin(async move { self.admit_once(call).await })
    }

    fn observe(&self, deployment: &str, limits: &RateLimits) {
        // Queued behind the call's own settlement, so the provider's count has the last word.
        let _ = self.jobs.send(Job::Observe(deployment.to_owned(), *limits));
    }

    fn settle(&self, reservation: Reservation, settlement: Settlement) {
        if let Err(e) = self.jobs.send(Job::Settle(reservation, settlement)) {
            self.shared
                .counters
                .settles_lost
                .fetch_add(1, Ordering::Relaxed);
            tracing::warn!(error = %e, "router state: settlement lost (its task ended)");
        }
    }

    fn spent<'a>(&'a self, budget_key: &'a str) -> BoxFuture<'a, f64> {
        Box::pin(async move {
            self.flush().await;
            let key = self.shared.key("budget", budget_key);
            let work = async {
                let (mut conn, _) = self.shared.conn.get().await.ok()?;
                let (a, b): (Option<f64>, Option<f64>) = redis::cmd("HMGET")
                    .arg(&key)
                    .arg("settled")
                    .arg("reserved")
                    .query_async(&mut conn)
                    .await
                    .ok()?;
                Some(a.unwrap_or(0.0) + b.unwrap_or(0.0))
            };
            tokio::time::timeout(self.shared.cfg.timeout, work)
                .await
                .ok()
                .flatten()
                .unwrap_or(0.0)
        })
    }
}

impl RedisState {
    async fn admit_once(&self, call: &Admission<'_>) -> Result<Reservation, Refusal> {
        let sh = &self.shared;
        sh.counters.admits.fetch_add(1, Ordering::Relaxed);
        lock(&sh.policy).clone_from(call.cooldown);
        let mut keys = sh.dep_keys(call.deployment).to_vec();
        let mut args = vec![
            call.rpm.map_or("-1".into(), |v| v.to_string()),
            call.tpm.map_or("-1".into(), |v| v.to_string()),
            call.tokens.to_string(),
            call.cost_usd.to_string(),
            ms(call.cooldown.cooldown).to_string(),
        ];
        for b in call.budgets {
            keys.push(sh.key("budget", &b.scope.key()));
            args.push(b.limit_usd.to_string());
            args.push(ms(b.period).to_string());
            args.push(
                if b.action == BudgetAction::Refuse {
                    "1"
                } else {
                    "0"
                }
                .into(),
            );
        }
        let reservation = |budgets: Vec<String>| Reservation {
            deployment: call.deployment.to_owned(),
            tokens: call.tokens,
            cost_usd: call.cost_usd,
            budgets,
            started: Instant::now(),
        };
        let budget_keys = || call.budgets.iter().map(|b| b.scope.key()).collect();
        let out = match sh
            .run(
                &sh.admit,
                ADMIT,
                &keys,
                &args,
                &sh.counters.admit_round_trips,
            )
            .await
        {
            Ok(out) => out,
            Err(e) => {
                return match sh.cfg.on_unavailable {
                    FailMode::Open => {
                        sh.counters.failed_open.fetch_add(1, Ordering::Relaxed);
                        tracing::warn!(deployment = %call.deployment, error = %e, "router state unreachable: admitted unchecked");
                        let r = reservation(budget_keys());
                        lock(&sh.unchecked).insert((r.deployment.clone(), r.started));
                        Ok(r)
                    }
                    FailMode::Closed => {
                        sh.counters.failed_closed.fetch_add(1, Ordering::Relaxed);
                        Err(Refusal::Unavailable {
                            message: format!("router state (redis) unreachable: {e}"),
                        })
                    }
                };
            }
        };
        let status = out.first().map(String::as_str).unwrap_or("");
        let wait = out
            .get(1)
            .and_then(|s| s.parse::<f64>().ok())
            .unwrap_or(0.0);
        let wait = Duration::from_secs_f64(wait.max(0.0) / 1000.0);
        sh.remember(
            call.deployment,
            out.get(2..7).unwrap_or(&[]),
            call.rpm,
            call.tpm,
        );
        let budget_at = |i: usize| -> Option<(&super::SpendLimit, f64)> {
            let idx: usize = out.get(i)?.parse().ok()?;
            let total: f64 = out.get(i + 1)?.parse().ok()?;
            Some((*call.budgets.get(idx.checked_sub(1)?)?, total))
        };
        let describe = |b: &super::SpendLimit, total: f64| {
            format!(
                "budget {} of ${:.6} would be exceeded: ${:.6} spent or reserved + ${:.6} estimated",
                b.scope.key(),
                b.limit_usd,
                total,
                call.cost_usd
            )
        };
        match status {
            "0" => {
                let mut i = 9;
                while let Some((b, total)) = budget_at(i) {
                    tracing::warn!(budget = %b.scope.key(), "{}", describe(b, total));
                    i += 2;
                }
                Ok(reservation(budget_keys()))
            }
            "1" => Err(Refusal::Cooling {
                until: Instant::now() + wait,
            }),
            "2" => Err(Refusal::RateLimited { retry_in: wait }),
            "3" => Err(Refusal::SpendLimit {
                message: budget_at(7).map_or_else(
                    || "a budget would be exceeded".into(),
                    |(b, t)| describe(b, t),
                ),
            }),
            other => Err(Refusal::Unavailable {
                message: format!("router state (redis): unexpected answer `{other}`"),
            }),
        }
    }
}
