//! The usage log's SQLite file: one row per call, an index on time. The file is the caller's
//! (a path they choose); WAL mode lets `exllm usage` read while an application writes.

use super::UsageRecord;
use crate::error::{Error, ErrorKind, Result};
use std::path::Path;
use std::sync::{Arc, Mutex};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS calls (
    id INTEGER PRIMARY KEY,
    time_ms INTEGER NOT NULL,
    provider TEXT NOT NULL,
    model TEXT NOT NULL,
    input_tokens INTEGER NOT NULL DEFAULT 0,
    output_tokens INTEGER NOT NULL DEFAULT 0,
    cache_read_tokens INTEGER NOT NULL DEFAULT 0,
    cache_write_tokens INTEGER NOT NULL DEFAULT 0,
    reasoning_tokens INTEGER NOT NULL DEFAULT 0,
    cost_usd REAL,
    latency_ms INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL,
    session TEXT,
    tags TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX IF NOT EXISTS calls_time ON calls (time_ms);
";

fn db_error(e: rusqlite::Error) -> Error {
    Error::new(ErrorKind::Config, format!("usage log: {e}"))
}

/// A usage log in a SQLite file. Cheap to clone; clones share the connection.
#[derive(Clone)]
pub struct UsageLog {
    conn: Arc<Mutex<rusqlite::Connection>>,
}

impl std::fmt::Debug for UsageLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UsageLog").finish_non_exhaustive()
    }
}

impl UsageLog {
    /// Opens (creating it and its directory if needed) the log at `path`.
    pub fn open(path: impl AsRef<Path>) -> Result<UsageLog> {
        let path = path.as_ref();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| {
                Error::new(
                    ErrorKind::Config,
                    format!("usage log {}: {e}", dir.display()),
                )
            })?;
        }
        let conn = rusqlite::Connection::open(path).map_err(db_error)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(db_error)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(db_error)?;
        conn.execute_batch(SCHEMA).map_err(db_error)?;
        Ok(UsageLog {
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, rusqlite::Connection> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Appends a call.
    pub fn record(&self, r: &UsageRecord) -> Result<()> {
        let tags = serde_json::to_string(&r.tags).unwrap_or_else(|_| "[]".into());
        let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        self.lock()
            .execute(
                "INSERT INTO calls (time_ms, provider, model, input_tokens, output_tokens,
                 cache_read_tokens, cache_write_tokens, reasoning_tokens, cost_usd, latency_ms,
                 status, session, tags) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
                rusqlite::params![
                    r.time_ms,
                    r.provider,
                    r.model,
                    n(r.input_tokens),
                    n(r.output_tokens),
                    n(r.cache_read_tokens),
                    n(r.cache_write_tokens),
                    n(r.reasoning_tokens),
                    r.cost_usd.filter(|c| c.is_finite()),
                    n(r.latency_ms),
                    r.status,
                    r.session,
                    tags,
                ],
            )
            .map_err(db_error)?;
        Ok(())
    }

    /// Every call at or after `since_ms`, oldest first.
    pub fn since(&self, since_ms: i64) -> Result<Vec<UsageRecord>> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare(
                "SELECT time_ms, provider, model, input_tokens, output_tokens, cache_read_tokens,
                 cache_write_tokens, reasoning_tokens, cost_usd, latency_ms, status, session, tags
                 FROM calls WHERE time_ms >= ?1 ORDER BY time_ms, id",
            )
            .map_err(db_error)?;
        let u = |v: i64| u64::try_from(v).unwrap_or(0);
        let rows = stmt
            .query_map([since_ms], |row| {
                let tags: String = row.get(12)?;
                Ok(UsageRecord {
                    time_ms: row.get(0)?,
                    provider: row.get(1)?,
                    model: row.get(2)?,
                    input_tokens: u(row.get(3)?),
                    output_tokens: u(row.get(4)?),
                    cache_read_tokens: u(row.get(5)?),
                    cache_write_tokens: u(row.get(6)?),
                    reasoning_tokens: u(row.get(7)?),
                    cost_usd: row.get(8)?,
                    latency_ms: u(row.get(9)?),
                    status: row.get(10)?,
                    session: row.get(11)?,
                    tags: serde_json::from_str(&tags).unwrap_or_default(),
                })
            })
            .map_err(db_error)?;
        rows.collect::<std::result::Result<Vec<_>, _>>()
            .map_err(db_error)
    }
}
