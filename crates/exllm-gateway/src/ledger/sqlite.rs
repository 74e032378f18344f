//! The ledger in SQLite (WAL): the embedded default for one instance (or several on one
//! host sharing the file). Rows carry a unique `row_id`, so a journal replayed after a crash
//! never writes one twice.

use super::{scope_column, SpendGroup, SpendQuery, SpendReport, SpendRow};
use crate::keys::{sqlite_open, StoreResult};
use rusqlite::{params, Connection};
use std::path::Path;

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

pub(super) fn err(e: rusqlite::Error) -> String {
    format!("spend ledger: {e}")
}

/// Opens `path` and brings its schema up to date (the `row_id` column came second).
pub(super) fn open(path: &Path) -> StoreResult<Connection> {
    let conn = sqlite_open(path)?;
    conn.execute_batch(SCHEMA).map_err(err)?;
    let has_row_id = conn
        .prepare("SELECT 1 FROM pragma_table_info('spend') WHERE name = 'row_id'")
        .and_then(|mut st| st.exists([]))
        .map_err(err)?;
    if !has_row_id {
        conn.execute_batch(
            "ALTER TABLE spend ADD COLUMN row_id TEXT;
             CREATE UNIQUE INDEX IF NOT EXISTS spend_row ON spend(row_id);",
        )
        .map_err(err)?;
    }
    Ok(conn)
}

/// Writes rows in one transaction; a row already there (same `row_id`) is skipped.
pub(super) fn write(conn: &mut Connection, rows: &[SpendRow]) -> StoreResult<()> {
    let tx = conn.transaction().map_err(err)?;
    {
        let mut st = tx
            .prepare_cached(
                "INSERT OR IGNORE INTO spend (time_ms, key_id, team, model, deployment,
                    input_tokens, output_tokens, cost_usd, latency_ms, status, row_id)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            )
            .map_err(err)?;
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
                r.row_id,
            ])
            .map_err(err)?;
        }
    }
    tx.commit().map_err(err)
}

/// USD a scope spent in rows that ended in `[from_ms, until_ms)`.
pub(super) fn spent_between(
    path: &Path,
    scope: &str,
    from_ms: i64,
    until_ms: i64,
) -> StoreResult<f64> {
    let conn = sqlite_open(path)?;
    let (column, who) = scope_column(scope);
    let sql = format!(
        "SELECT COALESCE(SUM(cost_usd), 0) FROM spend WHERE {column} = ?1 AND time_ms >= ?2 AND time_ms < ?3"
    );
    conn.query_row(&sql, params![who, from_ms, until_ms], |r| r.get(0))
        .map_err(err)
}

/// Reads a report from the ledger file at `path`.
pub fn query(path: &Path, q: &SpendQuery) -> StoreResult<SpendReport> {
    let conn = open(path)?;
    let column = super::group_column(q.by.as_deref(), false)?;
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
        let sql = format!("SELECT time_ms, key_id, team, model, deployment, input_tokens, output_tokens, cost_usd, latency_ms, status, row_id FROM spend WHERE {filter} ORDER BY time_ms DESC LIMIT ?4");
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
                    row_id: r.get::<_, Option<String>>(10)?.unwrap_or_default(),
                })
            })
            .map_err(err)?;
        report.rows = rows.collect::<Result<_, _>>().map_err(err)?;
    }
    Ok(report)
}
