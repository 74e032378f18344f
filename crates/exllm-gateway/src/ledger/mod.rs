//! The spend ledger: one row per request (key, team, model, deployment, tokens, cost,
//! latency, status, time) in SQLite (WAL). Rows are handed to a writer thread over a channel
//! and written in batches, one transaction each, so the request path never waits for the
//! disk. [`Ledger::flush`] waits until everything sent so far is written (graceful shutdown
//! calls it). On a crash the rows still in the channel are lost: at most what arrived while
//! one batch was being written (a batch holds up to [`BATCH`] rows).

use crate::keys::{sqlite_open, StoreResult};
use rusqlite::{params, Connection};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::Mutex;
use std::time::Instant;

/// Most rows written in one transaction.
pub const BATCH: usize = 512;

/// How long the writer waits for more rows before writing a batch that is not full.
const LINGER: std::time::Duration = std::time::Duration::from_millis(10);

/// One request's spend.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SpendRow {
    /// Unix milliseconds at the end of the request.
    pub time_ms: i64,
    /// The virtual key's id (`None` for the master key).
    pub key_id: Option<String>,
    /// The key's team.
    pub team: Option<String>,
    /// The model name the caller sent.
    pub model: String,
    /// What served it (`provider/model`, or the router group).
    pub deployment: String,
    /// Input tokens.
    pub input_tokens: u64,
    /// Output tokens.
    pub output_tokens: u64,
    /// USD charged.
    pub cost_usd: f64,
    /// Milliseconds from arrival to the end.
    pub latency_ms: u64,
    /// The HTTP status, 499 when the caller went away.
    pub status: u16,
}

enum Msg {
    Row(SpendRow),
    Flush(mpsc::Sender<()>),
}

/// The ledger's writer, and readers over the same file.
pub struct Ledger {
    tx: Mutex<mpsc::Sender<Msg>>,
    path: PathBuf,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS spend (
    time_ms INTEGER NOT NULL,
    key_id TEXT,
    team TEXT,
    model TEXT NOT NULL,
    deployment TEXT NOT NULL,
    input_tokens INTEGER NOT NULL,
    output_tokens INTEGER NOT NULL,
    cost_usd REAL NOT NULL,
    latency_ms INTEGER NOT NULL,
    status INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS spend_key_time ON spend(key_id, time_ms);
CREATE INDEX IF NOT EXISTS spend_team_time ON spend(team, time_ms);
";

fn err(e: rusqlite::Error) -> String {
    format!("spend ledger: {e}")
}

fn write(conn: &mut Connection, rows: &[SpendRow]) -> rusqlite::Result<()> {
    let tx = conn.transaction()?;
    {
        let mut st = tx
            .prepare_cached("INSERT INTO spend VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)")?;
        for r in rows {
            st.execute(params![
                r.time_ms,
                r.key_id,
                r.team,
                r.model,
                r.deployment,
                r.input_tokens as i64,
                r.output_tokens as i64,
                r.cost_usd,
                r.latency_ms as i64,
                r.status,
            ])?;
        }
    }
    tx.commit()
}

fn writer(mut conn: Connection, rx: mpsc::Receiver<Msg>) {
    let mut rows = Vec::with_capacity(BATCH);
    let mut waiting = Vec::new();
    while let Ok(first) = rx.recv() {
        let deadline = Instant::now() + LINGER;
        let mut next = Some(first);
        loop {
            while let Some(m) = next.take() {
                match m {
                    Msg::Row(r) => rows.push(r),
                    Msg::Flush(done) => waiting.push(done),
                }
                if rows.len() < BATCH {
                    next = rx.try_recv().ok();
                }
            }
            // Calls one after another would each be a transaction of their own (a commit
            // costs more than the call's own work): wait a moment for more rows, unless
            // the batch is full or someone waits for the disk.
            if rows.len() >= BATCH || !waiting.is_empty() {
                break;
            }
            match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                Ok(m) => next = Some(m),
                Err(_) => break,
            }
        }
        if !rows.is_empty() {
            if let Err(e) = write(&mut conn, &rows) {
                tracing::error!("{} spend rows not written: {e}", rows.len());
            }
            rows.clear();
        }
        for done in waiting.drain(..) {
            let _ = done.send(());
        }
    }
}

impl Ledger {
    /// Opens (creating) the ledger in `path` and starts its writer thread.
    pub fn open(path: &Path) -> StoreResult<Ledger> {
        let conn = sqlite_open(path)?;
        conn.execute_batch(SCHEMA).map_err(err)?;
        let (tx, rx) = mpsc::channel();
        std::thread::Builder::new()
            .name("exllm-ledger".into())
            .spawn(move || writer(conn, rx))
            .map_err(|e| format!("spend ledger thread: {e}"))?;
        Ok(Ledger {
            tx: Mutex::new(tx),
            path: path.to_owned(),
        })
    }

    /// Queues a row; never blocks on the disk.
    pub fn record(&self, row: SpendRow) {
        let tx = self.tx.lock().unwrap_or_else(|p| p.into_inner());
        if tx.send(Msg::Row(row)).is_err() {
            tracing::error!("the spend ledger's writer stopped; a row was lost");
        }
    }

    /// Waits (blocking) until every row queued before the call is written.
    pub fn flush(&self) {
        let (done, wait) = mpsc::channel();
        let sent = {
            let tx = self.tx.lock().unwrap_or_else(|p| p.into_inner());
            tx.send(Msg::Flush(done)).is_ok()
        };
        if sent {
            let _ = wait.recv();
        }
    }

    /// The file it writes.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// USD spent by `key_id` (or by a team, `team:NAME`) since `since` (Unix seconds), as
    /// written so far.
    pub fn spent_since(&self, scope: &str, since: i64) -> StoreResult<f64> {
        let conn = sqlite_open(&self.path)?;
        let (sql, who) = match scope.strip_prefix("team:") {
            Some(t) => (
                "SELECT COALESCE(SUM(cost_usd), 0) FROM spend WHERE team = ?1 AND time_ms >= ?2",
                t,
            ),
            None => (
                "SELECT COALESCE(SUM(cost_usd), 0) FROM spend WHERE key_id = ?1 AND time_ms >= ?2",
                scope,
            ),
        };
        conn.query_row(sql, params![who, since.saturating_mul(1000)], |r| r.get(0))
            .map_err(err)
    }
}

/// What a spend report asks for.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct SpendQuery {
    /// Only this key id.
    pub key: Option<String>,
    /// Only this team.
    pub team: Option<String>,
    /// Rows since these Unix seconds.
    pub since: Option<i64>,
    /// Group by `model`, `key`, `team`, `deployment` or `day`; none: the rows themselves.
    pub by: Option<String>,
    /// Most rows (default 1000).
    pub limit: Option<u32>,
}

/// One line of a grouped report.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SpendGroup {
    /// The group's value (a model name, key id, ...).
    pub group: String,
    /// Requests.
    pub requests: u64,
    /// Input tokens.
    pub input_tokens: u64,
    /// Output tokens.
    pub output_tokens: u64,
    /// USD.
    pub cost_usd: f64,
}

/// A report: rows, or groups when `by` is set.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SpendReport {
    /// The rows (newest first), when not grouped.
    pub rows: Vec<SpendRow>,
    /// The groups (costliest first), when grouped.
    pub groups: Vec<SpendGroup>,
}

/// Reads a report from the ledger file at `path`.
pub fn query(path: &Path, q: &SpendQuery) -> StoreResult<SpendReport> {
    let conn = sqlite_open(path)?;
    let column = match q.by.as_deref() {
        None => None,
        Some("model") => Some("model"),
        Some("key") => Some("COALESCE(key_id, '(master)')"),
        Some("team") => Some("COALESCE(team, '')"),
        Some("deployment") => Some("deployment"),
        Some("day") => Some("date(time_ms / 1000, 'unixepoch')"),
        Some(other) => return Err(format!("cannot group spend by `{other}`")),
    };
    let filter = "(?1 IS NULL OR key_id = ?1) AND (?2 IS NULL OR team = ?2) AND time_ms >= ?3";
    let since = q.since.unwrap_or(0).saturating_mul(1000);
    let limit = q.limit.unwrap_or(1000);
    let p = params![q.key, q.team, since, limit];
    let mut report = SpendReport::default();
    if let Some(col) = column {
        let sql = format!(
            "SELECT {col}, COUNT(*), SUM(input_tokens), SUM(output_tokens), SUM(cost_usd)
             FROM spend WHERE {filter} GROUP BY 1 ORDER BY 5 DESC, 1 LIMIT ?4"
        );
        let mut st = conn.prepare(&sql).map_err(err)?;
        let rows = st
            .query_map(p, |r| {
                Ok(SpendGroup {
                    group: r.get(0)?,
                    requests: r.get::<_, i64>(1)? as u64,
                    input_tokens: r.get::<_, i64>(2)? as u64,
                    output_tokens: r.get::<_, i64>(3)? as u64,
                    cost_usd: r.get(4)?,
                })
            })
            .map_err(err)?;
        report.groups = rows.collect::<Result<_, _>>().map_err(err)?;
    } else {
        let sql = format!("SELECT * FROM spend WHERE {filter} ORDER BY time_ms DESC LIMIT ?4");
        let mut st = conn.prepare(&sql).map_err(err)?;
        let rows = st
            .query_map(p, |r| {
                Ok(SpendRow {
                    time_ms: r.get(0)?,
                    key_id: r.get(1)?,
                    team: r.get(2)?,
                    model: r.get(3)?,
                    deployment: r.get(4)?,
                    input_tokens: r.get::<_, i64>(5)? as u64,
                    output_tokens: r.get::<_, i64>(6)? as u64,
                    cost_usd: r.get(7)?,
                    latency_ms: r.get::<_, i64>(8)? as u64,
                    status: r.get(9)?,
                })
            })
            .map_err(err)?;
        report.rows = rows.collect::<Result<_, _>>().map_err(err)?;
    }
    Ok(report)
}
