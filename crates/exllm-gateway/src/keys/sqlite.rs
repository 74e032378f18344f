//! [`KeyStore`] in SQLite (WAL): one file holds the keys and the spend ledger, so a single
//! instance needs nothing else running. Reads and writes go through one connection behind a
//! mutex; key lookups are cached by the gateway, so this is off the hot path.

use super::{KeyRecord, KeyStore, Limits, Period, StoreResult};
use rusqlite::{params, Connection, OptionalExtension, Row};
use std::path::Path;
use std::sync::Mutex;

/// Keys in a SQLite file.
pub struct SqliteStore {
    conn: Mutex<Connection>,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS keys (
    id TEXT PRIMARY KEY,
    hash TEXT NOT NULL UNIQUE,
    hint TEXT NOT NULL,
    alias TEXT,
    team TEXT,
    models TEXT NOT NULL,
    expires_at INTEGER,
    metadata TEXT NOT NULL,
    max_budget REAL,
    period TEXT NOT NULL,
    rpm INTEGER,
    tpm INTEGER,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER,
    previous_hash TEXT,
    previous_until INTEGER
);
CREATE INDEX IF NOT EXISTS keys_previous ON keys(previous_hash);
";

/// Opens `path` in WAL mode with a busy timeout (several connections share the file).
pub(crate) fn open(path: &Path) -> StoreResult<Connection> {
    let conn = Connection::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    conn.pragma_update_and_check(None, "journal_mode", "WAL", |_| Ok(()))
        .and_then(|()| conn.pragma_update(None, "synchronous", "NORMAL"))
        .and_then(|()| conn.busy_timeout(std::time::Duration::from_secs(5)))
        .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(conn)
}

fn err(e: rusqlite::Error) -> String {
    format!("key store: {e}")
}

pub(super) fn period_name(p: Period) -> &'static str {
    match p {
        Period::Day => "day",
        Period::Month => "month",
        Period::Total => "total",
    }
}

fn record(r: &Row<'_>) -> rusqlite::Result<KeyRecord> {
    let models: String = r.get("models")?;
    let metadata: String = r.get("metadata")?;
    let period: String = r.get("period")?;
    Ok(KeyRecord {
        id: r.get("id")?,
        hash: r.get("hash")?,
        hint: r.get("hint")?,
        alias: r.get("alias")?,
        team: r.get("team")?,
        models: serde_json::from_str(&models).unwrap_or_default(),
        expires_at: r.get("expires_at")?,
        metadata: serde_json::from_str(&metadata).unwrap_or_default(),
        limits: Limits {
            max_budget: r.get("max_budget")?,
            period: Period::parse(Some(&period)).unwrap_or_default(),
            rpm: r.get::<_, Option<i64>>("rpm")?.map(|n| n as u32),
            tpm: r.get::<_, Option<i64>>("tpm")?.map(|n| n as u64),
        },
        created_at: r.get("created_at")?,
        revoked_at: r.get("revoked_at")?,
        previous_hash: r.get("previous_hash")?,
        previous_until: r.get("previous_until")?,
    })
}

impl SqliteStore {
    /// Opens (creating) the store in `path`.
    pub fn open(path: &Path) -> StoreResult<SqliteStore> {
        let conn = open(path)?;
        conn.execute_batch(SCHEMA).map_err(err)?;
        Ok(SqliteStore {
            conn: Mutex::new(conn),
        })
    }

    fn with<T>(&self, f: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> StoreResult<T> {
        let conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        f(&conn).map_err(err)
    }

    fn one(&self, sql: &str, p: impl rusqlite::Params) -> StoreResult<Option<KeyRecord>> {
        self.with(|c| c.query_row(sql, p, record).optional())
    }
}

impl KeyStore for SqliteStore {
    fn insert(&self, k: &KeyRecord) -> StoreResult<()> {
        let models = serde_json::to_string(&k.models).unwrap_or_else(|_| "[]".into());
        let metadata = k.metadata.to_string();
        self.with(|c| {
            c.execute(
                "INSERT INTO keys (id, hash, hint, alias, team, models, expires_at, metadata,
                    max_budget, period, rpm, tpm, created_at, revoked_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
                params![
                    k.id,
                    k.hash,
                    k.hint,
                    k.alias,
                    k.team,
                    models,
                    k.expires_at,
                    metadata,
                    k.limits.max_budget,
                    period_name(k.limits.period),
                    k.limits.rpm.map(i64::from),
                    k.limits.tpm.map(|n| n as i64),
                    k.created_at,
                    k.revoked_at,
                ],
            )
            .map(|_| ())
        })
    }

    fn by_hash(&self, hash: &str, now: i64) -> StoreResult<Option<KeyRecord>> {
        self.one(
            "SELECT * FROM keys WHERE hash = ?1
             UNION ALL
             SELECT * FROM keys WHERE previous_hash = ?1 AND previous_until > ?2
             LIMIT 1",
            params![hash, now],
        )
    }

    fn get(&self, id: &str) -> StoreResult<Option<KeyRecord>> {
        self.one("SELECT * FROM keys WHERE id = ?1", params![id])
    }

    fn list(&self, team: Option<&str>) -> StoreResult<Vec<KeyRecord>> {
        self.with(|c| {
            let mut st = c.prepare(
                "SELECT * FROM keys WHERE ?1 IS NULL OR team = ?1 ORDER BY created_at DESC, id",
            )?;
            let rows = st.query_map(params![team], record)?;
            rows.collect()
        })
    }

    fn rotate(
        &self,
        id: &str,
        hash: &str,
        hint: &str,
        grace_until: Option<i64>,
    ) -> StoreResult<bool> {
        self.with(|c| {
            c.execute(
                "UPDATE keys SET previous_hash = CASE WHEN ?4 IS NULL THEN NULL ELSE hash END,
                    previous_until = ?4, hash = ?2, hint = ?3
                 WHERE id = ?1 AND revoked_at IS NULL",
                params![id, hash, hint, grace_until],
            )
            .map(|n| n == 1)
        })
    }

    fn revoke(&self, id: &str, now: i64) -> StoreResult<bool> {
        self.with(|c| {
            c.execute(
                "UPDATE keys SET revoked_at = COALESCE(revoked_at, ?2), previous_until = NULL
                 WHERE id = ?1",
                params![id, now],
            )
            .map(|n| n == 1)
        })
    }
}
