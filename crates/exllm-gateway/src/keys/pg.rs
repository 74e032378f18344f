//! [`KeyStore`] in PostgreSQL (feature `postgres`): the keys every instance reads, so that
//! a key made, rotated or revoked on one instance is the same key on all of them.

use super::{KeyRecord, KeyStore, Limits, Period, StoreResult};
use crate::pg::Pg;
use sqlx::postgres::PgRow;
use sqlx::Row;
use std::sync::Arc;

/// Keys in PostgreSQL.
pub struct PgStore {
    pg: Arc<Pg>,
}

impl PgStore {
    /// The store on a connected (and migrated) database.
    pub fn new(pg: Arc<Pg>) -> PgStore {
        PgStore { pg }
    }

    fn rows(
        &self,
        sql: &'static str,
        binds: Vec<Option<String>>,
        now: Option<i64>,
    ) -> StoreResult<Vec<KeyRecord>> {
        let pool = self.pg.pool.clone();
        let rows = self.pg.run(async move {
            let mut q = sqlx::query(sql);
            for b in binds {
                q = q.bind(b);
            }
            if let Some(n) = now {
                q = q.bind(n);
            }
            q.fetch_all(&pool).await
        })?;
        rows.iter()
            .map(record)
            .collect::<Result<_, _>>()
            .map_err(|e| format!("key store: {e}"))
    }

    fn change(
        &self,
        sql: &'static str,
        text: Vec<Option<String>>,
        nums: Vec<Option<i64>>,
    ) -> StoreResult<bool> {
        let pool = self.pg.pool.clone();
        let n = self.pg.run(async move {
            let mut q = sqlx::query(sql);
            for b in text {
                q = q.bind(b);
            }
            for n in nums {
                q = q.bind(n);
            }
            q.execute(&pool).await
        })?;
        Ok(n.rows_affected() == 1)
    }
}

fn record(r: &PgRow) -> sqlx::Result<KeyRecord> {
    let models: String = r.try_get("models")?;
    let metadata: String = r.try_get("metadata")?;
    let period: String = r.try_get("period")?;
    Ok(KeyRecord {
        id: r.try_get("id")?,
        hash: r.try_get("hash")?,
        hint: r.try_get("hint")?,
        alias: r.try_get("alias")?,
        team: r.try_get("team")?,
        models: serde_json::from_str(&models).unwrap_or_default(),
        expires_at: r.try_get("expires_at")?,
        metadata: serde_json::from_str(&metadata).unwrap_or_default(),
        limits: Limits {
            max_budget: r.try_get("max_budget")?,
            period: Period::parse(Some(&period)).unwrap_or_default(),
            rpm: r.try_get::<Option<i64>, _>("rpm")?.map(|n| n as u32),
            tpm: r.try_get::<Option<i64>, _>("tpm")?.map(|n| n as u64),
        },
        created_at: r.try_get("created_at")?,
        revoked_at: r.try_get("revoked_at")?,
        previous_hash: r.try_get("previous_hash")?,
        previous_until: r.try_get("previous_until")?,
    })
}

impl KeyStore for PgStore {
    fn insert(&self, k: &KeyRecord) -> StoreResult<()> {
        let k = k.clone();
        let pool = self.pg.pool.clone();
        self.pg.run(async move {
            sqlx::query(
                "INSERT INTO keys (id, hash, hint, alias, team, models, expires_at, metadata,
                    max_budget, period, rpm, tpm, created_at, revoked_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
            )
            .bind(&k.id)
            .bind(&k.hash)
            .bind(&k.hint)
            .bind(&k.alias)
            .bind(&k.team)
            .bind(serde_json::to_string(&k.models).unwrap_or_else(|_| "[]".into()))
            .bind(k.expires_at)
            .bind(k.metadata.to_string())
            .bind(k.limits.max_budget)
            .bind(super::sqlite::period_name(k.limits.period))
            .bind(k.limits.rpm.map(i64::from))
            .bind(k.limits.tpm.map(|n| n as i64))
            .bind(k.created_at)
            .bind(k.revoked_at)
            .execute(&pool)
            .await
            .map(|_| ())
        })
    }

    fn by_hash(&self, hash: &str, now: i64) -> StoreResult<Option<KeyRecord>> {
        let found = self.rows(
            "SELECT * FROM keys WHERE hash = $1
             UNION ALL
             SELECT * FROM keys WHERE previous_hash = $1 AND previous_until > $2
             LIMIT 1",
            vec![Some(hash.to_owned())],
            Some(now),
        )?;
        Ok(found.into_iter().next())
    }

    fn get(&self, id: &str) -> StoreResult<Option<KeyRecord>> {
        let found = self.rows(
            "SELECT * FROM keys WHERE id = $1",
            vec![Some(id.to_owned())],
            None,
        )?;
        Ok(found.into_iter().next())
    }

    fn list(&self, team: Option<&str>) -> StoreResult<Vec<KeyRecord>> {
        self.rows(
            "SELECT * FROM keys WHERE $1::TEXT IS NULL OR team = $1 ORDER BY created_at DESC, id",
            vec![team.map(str::to_owned)],
            None,
        )
    }

    fn rotate(
        &self,
        id: &str,
        hash: &str,
        hint: &str,
        grace_until: Option<i64>,
    ) -> StoreResult<bool> {
        self.change(
            "UPDATE keys SET previous_hash = CASE WHEN $4::BIGINT IS NULL THEN NULL ELSE hash END,
                previous_until = $4, hash = $2, hint = $3
             WHERE id = $1 AND revoked_at IS NULL",
            vec![
                Some(id.to_owned()),
                Some(hash.to_owned()),
                Some(hint.to_owned()),
            ],
            vec![grace_until],
        )
    }

    fn revoke(&self, id: &str, now: i64) -> StoreResult<bool> {
        self.change(
            "UPDATE keys SET revoked_at = COALESCE(revoked_at, $2), previous_until = NULL WHERE id = $1",
            vec![Some(id.to_owned())],
            vec![Some(now)],
        )
    }
}
