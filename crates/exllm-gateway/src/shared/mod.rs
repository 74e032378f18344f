//! Governance state shared by every instance, in Redis (`[governance.shared]`): the RPM and
//! TPM windows and budget reservations of keys, teams and models, and revocations.
//!
//! A request's admission is one Lua script (`admit.lua`) run atomically on the server's
//! clock: it checks revocations, then every scope's request window, token window and budget,
//! and reserves in all of them or none. That is the hot path's only round trip (an
//! `EVALSHA`). Settlements are queued to a background task in call order and never block a
//! request. A background poll (every [`POLL`]) brings revocations into each instance's
//! memory, so a revoked key is refused everywhere within that time even on routes that do
//! not reserve, and the admit script refuses it at once on those that do.
//!
//! Redis losing its data (a restart without persistence) starts a new *epoch*: for
//! [`RECOVERY`] every instance puts back what its calls in flight reserved, and budget checks
//! wait; then each budget starts from the ledger's spend before the epoch began
//! (`seed.lua`). RPM and TPM windows wait too while every instance re-posts what it admitted
//! in the last minute (`windows.rs`, `rewindow.lua`), so they hold what they held. A round
//! trip is bounded by the configured timeout; when Redis does not answer, admission fails
//! open or closed as configured, and [`RedisGovernor::render`] says so in `/metrics`.

mod conn;
#[cfg(test)]
mod tests;
mod windows;

use crate::budget::{limited, over_budget, Refused, Scope};
use crate::config::SharedConfig;
use conn::Conn;
use std::collections::HashMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// How often each instance reads the epoch and the revocations.
pub const POLL: Duration = Duration::from_millis(250);
/// How long budget checks wait after Redis lost its data, while instances re-post.
pub const RECOVERY: Duration = Duration::from_millis(1000);

/// Reads the ledger's spend of a scope (`key:ID`, `team:NAME`, `model:NAME`) between two
/// Unix-millisecond times, after writing what this instance queued.
pub type SeedFn = Arc<dyn Fn(&str, i64, i64) -> Result<f64, String> + Send + Sync>;

/// A scope's period, in Unix milliseconds (`end`: `None` for a total).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Span {
    /// Where the current period began.
    pub start: i64,
    /// Where it ends.
    pub end: Option<i64>,
}

struct Flight {
    budgets: Vec<String>,
    /// Each scope's key, whether it has a budget, whether it has RPM/TPM windows.
    scopes: Vec<(String, bool, bool)>,
    cost: f64,
    epoch: String,
    /// When it was admitted (Redis ms), in which epoch (its creation, Redis ms), and the
    /// tokens reserved.
    at_ms: i64,
    window_epoch: i64,
    tokens: u64,
}

enum Job {
    Settle {
        keys: Vec<String>,
        args: Vec<String>,
    },
    Repost(String),
    Flush(oneshot::Sender<()>),
}

#[derive(Default)]
struct Counters {
    admits: AtomicU64,
    round_trips: AtomicU64,
    unavailable: AtomicU64,
    failed_open: AtomicU64,
    failed_closed: AtomicU64,
    settles_lost: AtomicU64,
    epochs: AtomicU64,
}

struct Inner {
    conn: Conn,
    cfg: SharedConfig,
    instance: String,
    next: AtomicU64,
    flights: Mutex<HashMap<u64, Flight>>,
    epoch: Mutex<Option<String>>,
    denied: RwLock<(i64, HashMap<String, i64>)>,
    windows: windows::Windows,
    up: AtomicBool,
    counters: Counters,
}

/// Governance state in Redis. Cheap to share; its tasks end when it is dropped.
pub struct RedisGovernor {
    inner: Arc<Inner>,
    jobs: mpsc::UnboundedSender<Job>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn unix_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

fn secs(ms: i64) -> u64 {
    (ms.max(1) as u64).div_ceil(1000)
}

impl RedisGovernor {
    /// Connects lazily to `cfg.redis_url` and starts the settling and polling tasks; must be
    /// called within a Tokio runtime.
    pub fn new(cfg: SharedConfig) -> Result<RedisGovernor, String> {
        let runtime = tokio::runtime::Handle::try_current()
            .map_err(|_| "the shared governance state needs a Tokio runtime".to_owned())?;
        let conn = Conn::new(&cfg.redis_url, cfg.timeout)?;
        let mut rnd = [0u8; 6];
        getrandom::fill(&mut rnd).map_err(|e| format!("no randomness: {e}"))?;
        let inner = Arc::new(Inner {
            conn,
            cfg,
            instance: crate::keys::hex(&rnd),
            next: AtomicU64::new(1),
            flights: Mutex::default(),
            epoch: Mutex::default(),
            denied: RwLock::default(),
            windows: windows::Windows::default(),
            up: AtomicBool::new(true),
            counters: Counters::default(),
        });
        let (jobs, rx) = mpsc::unbounded_channel();
        runtime.spawn(settler(inner.clone(), rx));
        runtime.spawn(poller(Arc::downgrade(&inner), jobs.downgrade()));
        Ok(RedisGovernor { inner, jobs })
    }

    /// A scope's spend as Redis holds it (every instance's): settled USD in the period that
    /// began at `period_start` (ms; a record of an earlier period has settled nothing in this
    /// one) and USD reserved by calls in flight. `None` when Redis does not answer in time.
    pub async fn spent(&self, scope: &str, period_start: i64) -> Option<(f64, f64)> {
        let key = self.inner.key(&format!("b:{scope}"));
        let (settled, reserved, start) = self.inner.conn.budget(&key).await.ok()?;
        let settled = match start {
            Some(s) if s == period_start => settled.unwrap_or(0.0),
            _ => 0.0,
        };
        Some((settled, reserved.unwrap_or(0.0).max(0.0)))
    }

    /// Checks and reserves in every scope at once. `Ok(Some(id))`: admitted and held (give
    /// it back with [`RedisGovernor::settle`]); `Ok(None)`: admitted unchecked (Redis is
    /// unreachable and the gateway fails open).
    pub async fn admit(
        &self,
        scopes: &[(Scope<'_>, Span)],
        deny: &[String],
        tokens: u64,
        cost: f64,
        seed: &SeedFn,
    ) -> Result<Option<u64>, Refused> {
        let me = &self.inner;
        me.counters.admits.fetch_add(1, Ordering::Relaxed);
        let id = me.next.fetch_add(1, Ordering::Relaxed);
        let uid = format!("{}-{id}", me.instance);
        let mut keys = vec![me.key("deny"), me.key("epoch")];
        let mut args = vec![
            uid,
            tokens.to_string(),
            cost.to_string(),
            // An instance that knew an earlier epoch marks a new one as a loss.
            format!(
                "{}.{id}{}",
                me.instance,
                if lock(&me.epoch).is_some() { ".r" } else { "" }
            ),
            RECOVERY.as_millis().to_string(),
            me.cfg.hold.as_millis().to_string(),
            deny.len().to_string(),
        ];
        args.extend(deny.iter().cloned());
        for (s, span) in scopes {
            keys.extend(["r", "t", "tv", "b", "h"].map(|k| me.key(&format!("{k}:{}", s.key))));
            let l = s.limits;
            args.extend([
                l.rpm.map_or(-1, i64::from).to_string(),
                l.tpm
                    .map_or(-1, |t| t.min(i64::MAX as u64) as i64)
                    .to_string(),
                l.max_budget.map_or("-1".into(), |b| b.to_string()),
                span.start.to_string(),
                span.end.unwrap_or(-1).to_string(),
            ]);
        }
        // Recovery and seeding take a few more trips, once per epoch and scope.
        for _ in 0..20 {
            me.counters.round_trips.fetch_add(1, Ordering::Relaxed);
            let reply = match me.conn.run(&conn::ADMIT, &keys, &args).await {
                Ok(r) => r,
                Err(e) => return self.unreachable(&e),
            };
            me.up.store(true, Ordering::Relaxed);
            let field = |i: usize| reply.get(i).map_or("", String::as_str);
            let num = |i: usize| field(i).parse::<f64>().unwrap_or(0.0);
            let epoch = field(1).to_owned();
            self.saw_epoch(&epoch);
            let scope = (num(2) as usize).checked_sub(1).and_then(|i| scopes.get(i));
            match (field(0), scope) {
                ("0", _) => {
                    let at_ms = num(3) as i64;
                    let window_epoch = epoch_created(&epoch);
                    let mut flight = Flight {
                        budgets: Vec::new(),
                        scopes: Vec::new(),
                        cost,
                        epoch,
                        at_ms,
                        window_epoch,
                        tokens,
                    };
                    for (s, _) in scopes {
                        let budget = s.limits.max_budget.is_some();
                        if budget {
                            flight.budgets.push(me.key(&format!("b:{}", s.key)));
                            flight.budgets.push(me.key(&format!("h:{}", s.key)));
                        }
                        let (rpm, tpm) = (s.limits.rpm.is_some(), s.limits.tpm.is_some());
                        if rpm || tpm {
                            me.windows
                                .admitted(&s.key, (rpm, tpm), window_epoch, at_ms, tokens);
                        }
                        flight.scopes.push((s.key.clone(), budget, rpm || tpm));
                    }
                    lock(&me.flights).insert(id, flight);
                    return Ok(Some(id));
                }
                ("1", _) => {
                    return Err(Refused {
                        status: 401,
                        kind: "authentication_error",
                        message: "this API key was revoked".into(),
                        retry_after: None,
                    })
                }
                ("2", Some((s, _))) => {
                    let rpm = s.limits.rpm.unwrap_or(0);
                    let msg = format!("{} is limited to {rpm} requests per minute", s.label);
                    return Err(limited(msg, secs(num(3) as i64)));
                }
                ("3", Some((s, _))) => {
                    let tpm = s.limits.tpm.unwrap_or(0);
                    let msg = format!(
                        "{} is limited to {tpm} tokens per minute ({} used in the last minute, this request may use up to {tokens})",
                        s.label, num(4) as u64
                    );
                    return Err(limited(msg, secs(num(3) as i64)));
                }
                ("4", Some(_)) => {
                    let wait = Duration::from_millis(num(3).clamp(1.0, 5000.0) as u64);
                    tokio::time::sleep(wait).await;
                }
                ("5", Some((s, span))) => {
                    let until = num(3) as i64;
                    self.seed(s, *span, until, seed).await?;
                }
                ("6", Some((s, span))) => {
                    let max = s.limits.max_budget.unwrap_or(0.0);
                    let now = unix_ms() / 1000;
                    let next = span.end.map(|e| e / 1000);
                    return Err(over_budget(s, max, num(3), num(4), cost, next, now));
                }
                _ => return self.unreachable(&format!("unexpected reply {reply:?}")),
            }
        }
        self.unreachable("the budget did not settle after Redis lost its data")
    }

    async fn seed(
        &self,
        s: &Scope<'_>,
        span: Span,
        until: i64,
        seed: &SeedFn,
    ) -> Result<(), Refused> {
        let (f, scope) = (seed.clone(), s.key.clone());
        let spent = tokio::task::spawn_blocking(move || f(&scope, span.start, until))
            .await
            .map_err(|e| e.to_string())
            .and_then(|r| r);
        let spent = match spent {
            Ok(v) => v,
            Err(e) => {
                tracing::error!("seeding the budget of {} from the ledger: {e}", s.label);
                return Err(self.closed());
            }
        };
        let me = &self.inner;
        me.counters.round_trips.fetch_add(1, Ordering::Relaxed);
        let keys = [me.key(&format!("b:{}", s.key))];
        let args = [spent.to_string(), span.start.to_string()];
        match me.conn.run(&conn::SEED, &keys, &args).await {
            Ok(_) => Ok(()),
            Err(e) => self.unreachable(&e).map(|_| ()),
        }
    }

    fn closed(&self) -> Refused {
        self.inner
            .counters
            .failed_closed
            .fetch_add(1, Ordering::Relaxed);
        Refused {
            status: 503,
            kind: "api_error",
            message: "the gateway cannot check limits and budgets right now".into(),
            retry_after: Some(1),
        }
    }

    fn unreachable(&self, e: &str) -> Result<Option<u64>, Refused> {
        let me = &self.inner;
        me.counters.unavailable.fetch_add(1, Ordering::Relaxed);
        if me.up.swap(false, Ordering::Relaxed) {
            tracing::error!("governance state (redis) unreachable: {e}");
        }
        if me.cfg.fail_open {
            me.counters.failed_open.fetch_add(1, Ordering::Relaxed);
            Ok(None)
        } else {
            Err(self.closed())
        }
    }

    fn saw_epoch(&self, epoch: &str) {
        saw_epoch(&self.inner, &self.jobs, epoch);
    }

    /// Swaps hold `id`'s reservation for the real `tokens` and `cost`, in the background.
    pub fn settle(&self, id: u64, tokens: u64, cost: f64) {
        let me = &self.inner;
        let Some(f) = lock(&me.flights).remove(&id) else {
            return;
        };
        let mut keys = vec![me.key("epoch")];
        let mut args = vec![
            format!("{}-{id}", me.instance),
            tokens.to_string(),
            cost.to_string(),
            f.epoch,
        ];
        for (scope, budget, windowed) in &f.scopes {
            keys.extend(["t", "tv", "b", "h"].map(|k| me.key(&format!("{k}:{scope}"))));
            args.push(if *budget { "1" } else { "0" }.into());
            if *windowed {
                me.windows
                    .settled(scope, f.window_epoch, f.at_ms, f.tokens, tokens);
            }
        }
        if self.jobs.send(Job::Settle { keys, args }).is_err() {
            me.counters.settles_lost.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Waits until every settlement queued so far reached Redis (or was lost).
    pub async fn flush(&self) {
        let (tx, rx) = oneshot::channel();
        if self.jobs.send(Job::Flush(tx)).is_ok() {
            let _ = rx.await;
        }
    }

    /// Refuses `member` (`id:KEY_ID` or `hash:HASH`) on every instance from `at_ms` on.
    pub async fn deny(&self, member: &str, at_ms: i64) -> Result<(), String> {
        let me = &self.inner;
        me.conn
            .deny(&me.key("deny"), &me.key("deny-gen"), member, at_ms)
            .await?;
        let mut d = me.denied.write().unwrap_or_else(|p| p.into_inner());
        d.1.insert(member.to_owned(), at_ms);
        Ok(())
    }

    /// Whether one of `members` is refused now, as this instance last read it.
    pub fn is_denied(&self, members: &[String]) -> bool {
        let now = unix_ms();
        let d = self.inner.denied.read().unwrap_or_else(|p| p.into_inner());
        members
            .iter()
            .any(|m| d.1.get(m).is_some_and(|at| *at <= now))
    }

    /// The Prometheus lines of the shared state: whether Redis answers, round trips, and
    /// requests admitted unchecked or refused because it did not.
    pub fn render(&self) -> String {
        let c = &self.inner.counters;
        let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let mut out = String::new();
        let up = u8::from(self.inner.up.load(Ordering::Relaxed));
        let fail = if self.inner.cfg.fail_open {
            "open"
        } else {
            "closed"
        };
        let lines: [(&str, &str, String); 8] = [
            (
                "exllm_governance_redis_up",
                "gauge",
                format!("{{on_unavailable=\"{fail}\"}} {up}"),
            ),
            (
                "exllm_governance_redis_admits_total",
                "counter",
                format!(" {}", g(&c.admits)),
            ),
            (
                "exllm_governance_redis_round_trips_total",
                "counter",
                format!(" {}", g(&c.round_trips)),
            ),
            (
                "exllm_governance_redis_unavailable_total",
                "counter",
                format!(" {}", g(&c.unavailable)),
            ),
            (
                "exllm_governance_redis_failed_open_total",
                "counter",
                format!(" {}", g(&c.failed_open)),
            ),
            (
                "exllm_governance_redis_failed_closed_total",
                "counter",
                format!(" {}", g(&c.failed_closed)),
            ),
            (
                "exllm_governance_redis_settles_lost_total",
                "counter",
                format!(" {}", g(&c.settles_lost)),
            ),
            (
                "exllm_governance_redis_epochs_total",
                "counter",
                format!(" {}", g(&c.epochs)),
            ),
        ];
        for (name, kind, value) in lines {
            let _ = writeln!(out, "# TYPE {name} {kind}\n{name}{value}");
        }
        out
    }
}

impl Inner {
    fn key(&self, rest: &str) -> String {
        format!("{}{rest}", self.cfg.prefix)
    }
}

/// Notes the epoch a reply named; a new one (Redis lost its data) re-posts the calls in flight.
fn saw_epoch(me: &Inner, jobs: &mpsc::UnboundedSender<Job>, epoch: &str) {
    let mut known = lock(&me.epoch);
    if known.as_deref() == Some(epoch) || epoch.is_empty() {
        return;
    }
    if known.is_some() {
        me.counters.epochs.fetch_add(1, Ordering::Relaxed);
        tracing::warn!("the governance state in Redis was lost; re-posting reservations");
        let _ = jobs.send(Job::Repost(epoch.to_owned()));
    }
    *known = Some(epoch.to_owned());
}

async fn settler(me: Arc<Inner>, mut rx: mpsc::UnboundedReceiver<Job>) {
    while let Some(job) = rx.recv().await {
        match job {
            Job::Settle { keys, args } => {
                if let Err(e) = me.conn.run(&conn::SETTLE, &keys, &args).await {
                    me.counters.settles_lost.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!("a settlement did not reach redis: {e}");
                }
            }
            Job::Repost(epoch) => {
                let todo: Vec<(u64, Vec<String>, f64)> = lock(&me.flights)
                    .iter_mut()
                    .filter(|(_, f)| f.epoch != epoch)
                    .map(|(id, f)| {
                        f.epoch.clone_from(&epoch);
                        (*id, f.budgets.clone(), f.cost)
                    })
                    .collect();
                for (id, budgets, cost) in todo.into_iter().filter(|t| !t.1.is_empty()) {
                    let args = [
                        format!("{}-{id}", me.instance),
                        cost.to_string(),
                        me.cfg.hold.as_millis().to_string(),
                    ];
                    if let Err(e) = me.conn.run(&conn::REPOST, &budgets, &args).await {
                        tracing::warn!("a reservation was not re-posted: {e}");
                    }
                }
                rewindow(&me, &epoch).await;
            }
            Job::Flush(done) => {
                let _ = done.send(());
            }
        }
    }
}

/// An epoch's creation time (Redis ms), the number after its last `:`.
fn epoch_created(epoch: &str) -> i64 {
    epoch
        .rsplit(':')
        .next()
        .and_then(|t| t.parse().ok())
        .unwrap_or(0)
}

/// Re-posts this instance's last minute of every rate-limited scope into a fresh epoch
/// (what the fresh epoch admitted itself is in its windows already).
async fn rewindow(me: &Inner, epoch: &str) {
    let created = epoch_created(epoch);
    let posted = me.windows.last_minute(created, created);
    let mut by_scope: Vec<(&windows::Posted, Vec<String>)> = Vec::new();
    for p in &posted {
        let triple = [
            p.at_ms.to_string(),
            p.requests.to_string(),
            p.tokens.to_string(),
        ];
        match by_scope.iter_mut().find(|(q, _)| q.scope == p.scope) {
            Some((_, args)) => args.extend(triple),
            None => {
                let mut args = vec![
                    format!("{}:w", me.instance),
                    u8::from(p.rpm).to_string(),
                    u8::from(p.tpm).to_string(),
                ];
                args.extend(triple);
                by_scope.push((p, args));
            }
        }
    }
    for (p, args) in by_scope {
        let keys = ["r", "t", "tv"].map(|k| me.key(&format!("{k}:{}", p.scope)));
        if let Err(e) = me.conn.run(&conn::REWINDOW, &keys, &args).await {
            tracing::warn!("a rate-limit window was not re-posted: {e}");
        }
    }
}

async fn poller(me: std::sync::Weak<Inner>, jobs: mpsc::WeakUnboundedSender<Job>) {
    let mut tick = tokio::time::interval(POLL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let (Some(me), Some(jobs)) = (me.upgrade(), jobs.upgrade()) else {
            return;
        };
        let (epoch, gen) = match me.conn.poll(&me.key("epoch"), &me.key("deny-gen")).await {
            Ok(v) => v,
            Err(_) => {
                me.up.store(false, Ordering::Relaxed);
                continue;
            }
        };
        me.up.store(true, Ordering::Relaxed);
        if let Some(epoch) = epoch {
            saw_epoch(&me, &jobs, &epoch);
        }
        let known = me.denied.read().unwrap_or_else(|p| p.into_inner()).0;
        if gen != known {
            if let Ok(list) = me.conn.denied(&me.key("deny")).await {
                *me.denied.write().unwrap_or_else(|p| p.into_inner()) = (gen, list);
            }
        }
    }
}
