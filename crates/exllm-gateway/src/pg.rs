//! PostgreSQL (feature `postgres`, `[governance] postgres_url`): the key store and the spend
//! ledger shared by several instances, through sqlx. The schema is kept by sqlx migrations
//! (`migrations/`, embedded), run when the gateway starts.
//!
//! The key store's and ledger's interfaces are synchronous (SQLite's are), so queries run on
//! a small runtime of their own and the caller waits for the answer; key lookups are cached
//! and ledger writes happen on the ledger's thread, so this stays off the hot path.

use crate::keys::StoreResult;
use sqlx::postgres::{PgPool, PgPoolOptions};
use std::future::Future;
use std::time::Duration;

/// A connection pool and the runtime its queries run on.
pub struct Pg {
    rt: Option<tokio::runtime::Runtime>,
    pub(crate) pool: PgPool,
}

impl std::fmt::Debug for Pg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pg(..)")
    }
}

impl Drop for Pg {
    fn drop(&mut self) {
        if let Some(rt) = self.rt.take() {
            rt.shutdown_background();
        }
    }
}

fn err(e: impl std::fmt::Display) -> String {
    format!("postgres: {e}")
}

impl Pg {
    /// Connects to `url` and runs the migrations. The URL may hold a password; errors do
    /// not repeat it.
    pub fn connect(url: &str) -> StoreResult<Pg> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("exllm-postgres")
            .enable_all()
            .build()
            .map_err(err)?;
        let opts = url
            .parse::<sqlx::postgres::PgConnectOptions>()
            .map_err(|_| "`governance.postgres_url` is not a valid PostgreSQL URL".to_owned())?;
        let pool = PgPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(5))
            .connect_lazy_with(opts);
        let pg = Pg { rt: Some(rt), pool };
        let pool = pg.pool.clone();
        pg.block(async move { sqlx::migrate!("./migrations").run(&pool).await })?
            .map_err(err)?;
        Ok(pg)
    }

    /// Runs `work` on the runtime and waits for it.
    pub(crate) fn block<T: Send + 'static>(
        &self,
        work: impl Future<Output = T> + Send + 'static,
    ) -> StoreResult<T> {
        let rt = self.rt.as_ref().ok_or("postgres: closed")?;
        let (tx, rx) = std::sync::mpsc::channel();
        rt.spawn(async move {
            let _ = tx.send(work.await);
        });
        rx.recv()
            .map_err(|_| "postgres: the query task stopped".to_owned())
    }

    /// Runs a query's future and maps its error.
    pub(crate) fn run<T: Send + 'static>(
        &self,
        work: impl Future<Output = sqlx::Result<T>> + Send + 'static,
    ) -> StoreResult<T> {
        self.block(work)?.map_err(err)
    }
}
