//! The spend ledger: one row per request (key, team, model, deployment, tokens, cost,
//! latency, status, time) in SQLite (WAL, the default; `sqlite`) or PostgreSQL (feature
//! `postgres`, for several instances). A row is appended to the instance's journal
//! file, then handed to a writer thread that writes rows in batches, one transaction each,
//! so the request path never waits for the database. [`Ledger::flush`] waits until
//! everything sent so far is written (graceful shutdown calls it). A killed process loses
//! nothing: its next start writes the rows its journal still holds.

mod journal;
#[cfg(feature = "postgres")]
pub(crate) mod pg;
mod sqlite;
#[cfg(test)]
mod tests;

pub use sqlite::query;

/// Reads a report from the ledger in the PostgreSQL database at `url` (what `exllm spend
/// --postgres` shows). Blocks: call it off an async runtime's workers.
#[cfg(feature = "postgres")]
pub fn query_postgres(url: &str, q: &SpendQuery) -> StoreResult<SpendReport> {
    let pg = crate::pg::Pg::connect(url)?;
    pg::query(&pg, q)
}

use crate::keys::StoreResult;
use journal::Journal;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

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
    /// A unique id ([`Ledger::row_id`]), so that a row written twice counts once.
    #[serde(default)]
    pub row_id: String,
}

enum Msg {
    Row(SpendRow),
    Flush(mpsc::Sender<()>),
}

/// Writes one batch in one transaction.
type WriteFn = Box<dyn FnMut(&[SpendRow]) -> StoreResult<()> + Send>;

/// Where rows are written and read.
enum Store {
    Sqlite(PathBuf),
    #[cfg(feature = "postgres")]
    Postgres(Arc<crate::pg::Pg>),
}

impl Store {
    fn writer(&self) -> StoreResult<WriteFn> {
        match self {
            Store::Sqlite(path) => {
                let mut conn = sqlite::open(path)?;
                Ok(Box::new(move |rows| sqlite::write(&mut conn, rows)))
            }
            #[cfg(feature = "postgres")]
            Store::Postgres(pg) => {
                let pg = pg.clone();
                Ok(Box::new(move |rows| pg::write(&pg, rows)))
            }
        }
    }
}

/// The journal and the writer's queue, behind one lock: while the writer holds it to empty
/// the journal, no row can be between the two.
struct Queue {
    tx: mpsc::Sender<Msg>,
    journal: Journal,
}

/// The ledger's writer, and readers over the same store.
pub struct Ledger {
    queue: Arc<Mutex<Queue>>,
    store: Store,
    instance: String,
    next: AtomicU64,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn writer(mut write: WriteFn, rx: mpsc::Receiver<Msg>, queue: std::sync::Weak<Mutex<Queue>>) {
    let mut rows = Vec::with_capacity(BATCH);
    let mut waiting = Vec::new();
    let mut carried = None;
    loop {
        let first = match carried.take() {
            Some(m) => m,
            None => match rx.recv() {
                Ok(m) => m,
                Err(_) => return,
            },
        };
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
        let mut written = rows.is_empty();
        for attempt in 0..5 {
            if written {
                break;
            }
            match write(&rows) {
                Ok(()) => written = true,
                Err(e) => {
                    tracing::error!("{} spend rows not written yet: {e}", rows.len());
                    std::thread::sleep(Duration::from_millis(200 << attempt));
                }
            }
        }
        if !written {
            tracing::error!(
                "{} spend rows stay in the journal until the next start",
                rows.len()
            );
        }
        rows.clear();
        if written {
            if let Some(q) = queue.upgrade() {
                let mut q = lock(&q);
                // Nothing queued since: everything in the journal is in the database.
                match rx.try_recv() {
                    Ok(m) => carried = Some(m),
                    Err(_) => q.journal.clear(),
                }
            }
        }
        for done in waiting.drain(..) {
            let _ = done.send(());
        }
    }
}

impl Ledger {
    /// Opens (creating) the ledger in the SQLite file `path`, with its journal beside it
    /// (`journal`, else `path` + `.journal`), and starts its writer thread.
    pub fn open(path: &Path) -> StoreResult<Ledger> {
        let journal = PathBuf::from(format!("{}.journal", path.display()));
        Self::start(Store::Sqlite(path.to_owned()), &journal)
    }

    /// The ledger in the SQLite file `path`, journaled in `journal`.
    pub fn open_with_journal(path: &Path, journal: &Path) -> StoreResult<Ledger> {
        Self::start(Store::Sqlite(path.to_owned()), journal)
    }

    /// The ledger in PostgreSQL, journaled in `journal`.
    #[cfg(feature = "postgres")]
    pub fn open_postgres(pg: Arc<crate::pg::Pg>, journal: &Path) -> StoreResult<Ledger> {
        Self::start(Store::Postgres(pg), journal)
    }

    fn start(store: Store, journal: &Path) -> StoreResult<Ledger> {
        let mut write = store.writer()?;
        let (journal, left) = Journal::open(journal)?;
        if !left.is_empty() {
            // What a killed process had not written: written now, once.
            write(&left)?;
            tracing::warn!(
                "wrote {} spend rows a previous run left in its journal",
                left.len()
            );
        }
        let (tx, rx) = mpsc::channel();
        let queue = Arc::new(Mutex::new(Queue { tx, journal }));
        lock(&queue).journal.clear();
        let weak = Arc::downgrade(&queue);
        std::thread::Builder::new()
            .name("exllm-ledger".into())
            .spawn(move || writer(write, rx, weak))
            .map_err(|e| format!("spend ledger thread: {e}"))?;
        let mut rnd = [0u8; 6];
        getrandom::fill(&mut rnd).map_err(|e| format!("no randomness: {e}"))?;
        Ok(Ledger {
            queue,
            store,
            instance: crate::keys::hex(&rnd),
            next: AtomicU64::new(1),
        })
    }

    /// A fresh unique row id.
    pub fn row_id(&self) -> String {
        format!(
            "{}-{}",
            self.instance,
            self.next.fetch_add(1, Ordering::Relaxed)
        )
    }

    /// Journals and queues a row; never waits for the database.
    pub fn record(&self, mut row: SpendRow) {
        if row.row_id.is_empty() {
            row.row_id = self.row_id();
        }
        let mut q = lock(&self.queue);
        q.journal.append(&row);
        if q.tx.send(Msg::Row(row)).is_err() {
            tracing::error!("the spend ledger's writer stopped; the row stays in the journal");
        }
    }

    /// Waits (blocking) until every row queued before the call is written.
    pub fn flush(&self) {
        let (done, wait) = mpsc::channel();
        let sent = lock(&self.queue).tx.send(Msg::Flush(done)).is_ok();
        if sent {
            let _ = wait.recv();
        }
    }

    /// The SQLite file it writes (`None` in PostgreSQL).
    pub fn path(&self) -> Option<&Path> {
        match &self.store {
            Store::Sqlite(p) => Some(p),
            #[cfg(feature = "postgres")]
            Store::Postgres(_) => None,
        }
    }

    /// USD spent by `key_id` (or by a team, `team:NAME`) since `since` (Unix seconds), as
    /// written so far.
    pub fn spent_since(&self, scope: &str, since: i64) -> StoreResult<f64> {
        self.spent_between(scope, since.saturating_mul(1000), i64::MAX)
    }

    /// USD spent by a scope (`key:ID` or a bare key id, `team:NAME`, `model:NAME`) in rows
    /// that ended in `[from_ms, until_ms)`, as written so far.
    pub fn spent_between(&self, scope: &str, from_ms: i64, until_ms: i64) -> StoreResult<f64> {
        match &self.store {
            Store::Sqlite(p) => sqlite::spent_between(p, scope, from_ms, until_ms),
            #[cfg(feature = "postgres")]
            Store::Postgres(pg) => pg::spent_between(pg, scope, from_ms, until_ms),
        }
    }

    /// A spend report, after writing what is queued.
    pub fn report(&self, q: &SpendQuery) -> StoreResult<SpendReport> {
        self.flush();
        match &self.store {
            Store::Sqlite(p) => query(p, q),
            #[cfg(feature = "postgres")]
            Store::Postgres(pg) => pg::query(pg, q),
        }
    }
}

/// The ledger column a scope names, and the value.
pub(crate) fn scope_column(scope: &str) -> (&'static str, &str) {
    if let Some(t) = scope.strip_prefix("team:") {
        ("team", t)
    } else if let Some(m) = scope.strip_prefix("model:") {
        ("model", m)
    } else {
        ("key_id", scope.strip_prefix("key:").unwrap_or(scope))
    }
}

/// How a report groups rows: the SQL expression, per dialect (`day` differs).
pub(crate) fn group_column(by: Option<&str>, postgres: bool) -> StoreResult<Option<&'static str>> {
    Ok(match by {
        None => None,
        Some("model") => Some("model"),
        Some("key") => Some("COALESCE(key_id, '(master)')"),
        Some("team") => Some("COALESCE(team, '')"),
        Some("deployment") => Some("deployment"),
        Some("day") if postgres => {
            Some("to_char(to_timestamp(time_ms / 1000) AT TIME ZONE 'UTC', 'YYYY-MM-DD')")
        }
        Some("day") => Some("date(time_ms / 1000, 'unixepoch')"),
        Some(other) => return Err(format!("cannot group spend by `{other}`")),
    })
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
