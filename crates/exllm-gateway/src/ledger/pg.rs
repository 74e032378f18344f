//! The ledger in PostgreSQL: batches written with one multi-row `INSERT ... ON CONFLICT DO
//! NOTHING` (rows are keyed by `row_id`, so a replayed journal counts once; inserts alone
//! take no row locks another writer waits on, so instances cannot deadlock).

use super::{group_column, scope_column, SpendGroup, SpendQuery, SpendReport, SpendRow};
use crate::keys::StoreResult;
use crate::pg::Pg;
use sqlx::{Postgres, QueryBuilder, Row};

pub(crate) fn write(pg: &Pg, rows: &[SpendRow]) -> StoreResult<()> {
    let rows = rows.to_vec();
    let pool = pg.pool.clone();
    pg.run(async move {
        let mut tx = pool.begin().await?;
        for chunk in rows.chunks(1000) {
            let mut q: QueryBuilder<Postgres> = QueryBuilder::new(
                "INSERT INTO spend (row_id, time_ms, key_id, team, model, deployment, input_tokens, output_tokens, cost_usd, latency_ms, status) ",
            );
            q.push_values(chunk, |mut b, r| {
                b.push_bind(r.row_id.clone())
                    .push_bind(r.time_ms)
                    .push_bind(r.key_id.clone())
                    .push_bind(r.team.clone())
                    .push_bind(r.model.clone())
                    .push_bind(r.deployment.clone())
                    .push_bind(r.input_tokens as i64)
                    .push_bind(r.output_tokens as i64)
                    .push_bind(r.cost_usd)
                    .push_bind(r.latency_ms as i64)
                    .push_bind(i32::from(r.status));
            });
            q.push(" ON CONFLICT (row_id) DO NOTHING");
            q.build().execute(&mut *tx).await?;
        }
        tx.commit().await
    })
}

pub(crate) fn spent_between(pg: &Pg, scope: &str, from_ms: i64, until_ms: i64) -> StoreResult<f64> {
    let (column, who) = scope_column(scope);
    let sql = format!(
        "SELECT COALESCE(SUM(cost_usd), 0)::DOUBLE PRECISION FROM spend WHERE {column} = $1 AND time_ms >= $2 AND time_ms < $3"
    );
    let who = who.to_owned();
    let pool = pg.pool.clone();
    pg.run(async move {
        // Only the column is formatted in, from a fixed set; values are bound.
        sqlx::query_scalar::<_, f64>(sqlx::AssertSqlSafe(sql))
            .bind(who)
            .bind(from_ms)
            .bind(until_ms)
            .fetch_one(&pool)
            .await
    })
}

pub(crate) fn query(pg: &Pg, q: &SpendQuery) -> StoreResult<SpendReport> {
    let column = group_column(q.by.as_deref(), true)?;
    let filter =
        "($1::TEXT IS NULL OR key_id = $1) AND ($2::TEXT IS NULL OR team = $2) AND time_ms >= $3";
    let since = q.since.unwrap_or(0).saturating_mul(1000);
    let limit = i64::from(q.limit.unwrap_or(1000));
    let (key, team) = (q.key.clone(), q.team.clone());
    let pool = pg.pool.clone();
    let sql = match column {
        Some(col) => format!(
            "SELECT {col} AS g, COUNT(*)::BIGINT, SUM(input_tokens)::BIGINT, SUM(output_tokens)::BIGINT, SUM(cost_usd)::DOUBLE PRECISION
             FROM spend WHERE {filter} GROUP BY 1 ORDER BY 5 DESC, 1 LIMIT $4"
        ),
        None => format!(
            "SELECT time_ms, key_id, team, model, deployment, input_tokens, output_tokens, cost_usd, latency_ms, status, row_id
             FROM spend WHERE {filter} ORDER BY time_ms DESC LIMIT $4"
        ),
    };
    let grouped = column.is_some();
    let rows = pg.run(async move {
        // Only the grouping expression is formatted in, from a fixed set; values are bound.
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(key)
            .bind(team)
            .bind(since)
            .bind(limit)
            .fetch_all(&pool)
            .await
    })?;
    let mut report = SpendReport::default();
    let e = |e: sqlx::Error| format!("spend ledger: {e}");
    for r in rows {
        if grouped {
            report.groups.push(SpendGroup {
                group: r.try_get(0).map_err(e)?,
                requests: r.try_get::<i64, _>(1).map_err(e)? as u64,
                input_tokens: r.try_get::<i64, _>(2).map_err(e)? as u64,
                output_tokens: r.try_get::<i64, _>(3).map_err(e)? as u64,
                cost_usd: r.try_get(4).map_err(e)?,
            });
        } else {
            report.rows.push(SpendRow {
                time_ms: r.try_get(0).map_err(e)?,
                key_id: r.try_get(1).map_err(e)?,
                team: r.try_get(2).map_err(e)?,
                model: r.try_get(3).map_err(e)?,
                deployment: r.try_get(4).map_err(e)?,
                input_tokens: r.try_get::<i64, _>(5).map_err(e)? as u64,
                output_tokens: r.try_get::<i64, _>(6).map_err(e)? as u64,
                cost_usd: r.try_get(7).map_err(e)?,
                latency_ms: r.try_get::<i64, _>(8).map_err(e)? as u64,
                status: r.try_get::<i32, _>(9).map_err(e)? as u16,
                row_id: r.try_get(10).map_err(e)?,
            });
        }
    }
    Ok(report)
}
