//! The governance a request passes: who is calling ([`authenticate`]: the master key or a
//! virtual key, refused when revoked, expired or unknown), whether the key may use the model,
//! and admission against the key's and its team's budgets and limits, which yields a
//! [`Ticket`]. Finishing the ticket (or dropping it, when the caller went away) settles the
//! reservation with the real cost and queues the call's row in the spend ledger.

use super::Governor;
use crate::config::{resolve_key, GatewayConfig, Target};
use crate::keys::{now, KeyHasher, KeyRecord, KeyStore, Limits, SqliteStore, PREFIX};
use crate::ledger::Ledger;
use crate::server::{Backends, Env};
use crate::wire::ApiError;
use exllm::catalog::{Catalog, CostOptions, ModelEntry};
use exllm::Usage;
use http::HeaderMap;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock};

/// Who a request comes from.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Caller {
    /// No master key is configured and no virtual key was sent.
    Open,
    /// The master key.
    Master,
    /// A virtual key.
    Key(Arc<KeyRecord>),
}

/// How a model is priced for budgets.
#[derive(Debug, Clone, Copy)]
pub(super) enum Price {
    Catalog(&'static ModelEntry),
    Flat { input: f64, output: f64 },
}

/// Keys, budgets and the ledger of one gateway.
pub struct Governance {
    /// The key store.
    pub store: Arc<dyn KeyStore>,
    /// Hashes presented keys.
    pub hasher: KeyHasher,
    /// The spend ledger.
    pub ledger: Arc<Ledger>,
    /// Budgets and rate limits.
    pub governor: Governor,
    /// Team limits from the config.
    pub teams: BTreeMap<String, Limits>,
    /// Model limits from the config.
    pub models: BTreeMap<String, Limits>,
    /// The state shared with other instances, when `[governance.shared]` is set.
    pub shared: Option<crate::shared::RedisGovernor>,
    pub(super) seed: crate::shared::SeedFn,
    cache: RwLock<HashMap<String, Arc<KeyRecord>>>,
    prices: RwLock<HashMap<String, Price>>,
    unpriced: (f64, f64),
    pub(super) default_max_tokens: u32,
}

/// The key store and the ledger: PostgreSQL when `postgres_url` is set, else SQLite.
fn open_stores(
    g: &crate::config::GovernanceConfig,
    journal: &std::path::Path,
    env: &Env,
) -> exllm::Result<(Arc<dyn KeyStore>, Ledger)> {
    let config = |m: String| exllm::Error::new(exllm::ErrorKind::Config, m);
    if let Some(url) = &g.postgres_url {
        #[cfg(feature = "postgres")]
        {
            let url = resolve_key(url, &**env)?;
            let pg = Arc::new(crate::pg::Pg::connect(url.expose()).map_err(config)?);
            let ledger = Ledger::open_postgres(pg.clone(), journal).map_err(config)?;
            return Ok((Arc::new(crate::keys::PgStore::new(pg)), ledger));
        }
        #[cfg(not(feature = "postgres"))]
        {
            let _ = (url, env);
            return Err(config(
                "`[governance] postgres_url` needs exllm built with the `postgres` feature".into(),
            ));
        }
    }
    let db = g.db.as_deref().unwrap_or(std::path::Path::new("exllm.db"));
    let store = SqliteStore::open(db).map_err(config)?;
    let ledger = Ledger::open_with_journal(db, journal).map_err(config)?;
    Ok((Arc::new(store), ledger))
}

fn unavailable(e: String) -> ApiError {
    tracing::error!("{e}");
    ApiError {
        status: 503,
        kind: "api_error",
        message: "the key store is unavailable".into(),
        retry_after: Some(1),
    }
}

impl Governance {
    /// Governance for `cfg`, when it names a database (`[governance] db`).
    pub fn build(cfg: &GatewayConfig, env: &Env) -> exllm::Result<Option<Arc<Governance>>> {
        let g = &cfg.governance;
        if g.db.is_none() && g.postgres_url.is_none() {
            return Ok(None);
        }
        let config = |m: String| exllm::Error::new(exllm::ErrorKind::Config, m);
        let hasher = match (&g.key_secret, &cfg.master_key) {
            (Some(s), _) => KeyHasher::new(resolve_key(s, &**env)?.expose().as_bytes()),
            (None, Some(m)) => KeyHasher::from_master(resolve_key(m, &**env)?.expose().as_bytes()),
            (None, None) => {
                return Err(config(
                    "governance needs a `master_key` or a `key_secret` to hash keys with".into(),
                ))
            }
        };
        let journal = match (&g.journal, &g.db) {
            (Some(j), _) => j.clone(),
            (None, Some(db)) => std::path::PathBuf::from(format!("{}.journal", db.display())),
            (None, None) => {
                return Err(config(
                    "`[governance] postgres_url` needs a `journal` file for this instance".into(),
                ))
            }
        };
        let (store, ledger) = open_stores(g, &journal, env)?;
        let ledger = Arc::new(ledger);
        let seeder = ledger.clone();
        let seed: super::Seed = Box::new(move |scope, since| {
            let scope = scope.strip_prefix("key:").unwrap_or(scope);
            seeder.spent_since(scope, since).unwrap_or_else(|e| {
                tracing::error!("{e}");
                0.0
            })
        });
        let shared = match &g.shared {
            Some(s) => {
                let mut s = s.clone();
                s.hold = cfg.limits.timeout + std::time::Duration::from_secs(60);
                Some(crate::shared::RedisGovernor::new(s).map_err(config)?)
            }
            None => None,
        };
        let reader = ledger.clone();
        let seed_shared: crate::shared::SeedFn = Arc::new(move |scope, from, until| {
            reader.flush();
            reader.spent_between(scope, from, until)
        });
        let gov = Governance {
            store,
            hasher,
            ledger,
            governor: Governor::new(Some(seed)),
            teams: g.teams.clone(),
            models: g.models.clone(),
            shared,
            seed: seed_shared,
            cache: RwLock::default(),
            prices: RwLock::default(),
            unpriced: (
                g.unpriced_input_per_1m / 1e6,
                g.unpriced_output_per_1m / 1e6,
            ),
            default_max_tokens: g.default_max_tokens,
        };
        gov.set_prices(cfg);
        Ok(Some(Arc::new(gov)))
    }

    /// Prices each model name: its catalog entry, the costliest of a group's deployments,
    /// or the configured price for models the catalog does not know.
    pub fn set_prices(&self, cfg: &GatewayConfig) {
        let lookup = |m: &str| Catalog::shared_model(m);
        let rate = |e: &ModelEntry| {
            e.price(0, false, |p| p.input).unwrap_or(0.0)
                + e.price(0, false, |p| p.output).unwrap_or(0.0)
        };
        let mut prices = HashMap::new();
        let group = |g: &str| {
            let entries: Vec<Option<&'static ModelEntry>> = cfg
                .router
                .deployments
                .iter()
                .filter(|d| d.group == g)
                .map(|d| lookup(&d.model))
                .collect();
            if entries.iter().any(Option::is_none) {
                None
            } else {
                entries
                    .into_iter()
                    .flatten()
                    .max_by(|a, b| rate(a).total_cmp(&rate(b)))
            }
        };
        for name in cfg.model_names() {
            let entry = match cfg
                .models
                .iter()
                .find(|m| m.name == name)
                .map(|m| &m.target)
            {
                Some(Target::Direct { model, .. }) => lookup(model),
                Some(Target::Group(g)) => group(g),
                _ => group(&name),
            };
            let price = entry.map_or(
                Price::Flat {
                    input: self.unpriced.0,
                    output: self.unpriced.1,
                },
                Price::Catalog,
            );
            prices.insert(name, price);
        }
        *self.prices.write().unwrap_or_else(|p| p.into_inner()) = prices;
    }

    pub(super) fn price(&self, model: &str) -> Price {
        let prices = self.prices.read().unwrap_or_else(|p| p.into_inner());
        prices.get(model).copied().unwrap_or(Price::Flat {
            input: self.unpriced.0,
            output: self.unpriced.1,
        })
    }

    pub(super) fn cost(&self, model: &str, usage: &Usage) -> f64 {
        match self.price(model) {
            Price::Catalog(e) => e.cost(usage, CostOptions::default()).total,
            Price::Flat { input, output } => {
                usage.input_tokens.unwrap_or(0) as f64 * input
                    + usage.output_tokens.unwrap_or(0) as f64 * output
            }
        }
    }

    /// Shares a revocation of key `id` with every instance (the store has it already).
    pub async fn revoked(&self, id: &str) -> Result<(), String> {
        match &self.shared {
            Some(s) => s.deny(&format!("id:{id}"), now() * 1000).await,
            None => Ok(()),
        }
    }

    /// Shares that the key hash `old` stops working at `until` (now when `None`), after a
    /// rotation.
    pub async fn retired(&self, old: &str, until: Option<i64>) -> Result<(), String> {
        match &self.shared {
            Some(s) => {
                let at = until.unwrap_or_else(now) * 1000;
                s.deny(&format!("hash:{old}"), at).await
            }
            None => Ok(()),
        }
    }

    /// The Prometheus lines of the shared state, when there is one.
    pub fn render_metrics(&self) -> String {
        self.shared.as_ref().map(|s| s.render()).unwrap_or_default()
    }

    /// Forgets cached keys (after an admin change).
    pub fn forget(&self) {
        self.cache
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }

    /// The key `presented` names, if any (looked up by hash; cached).
    pub fn lookup(&self, presented: &[u8]) -> Result<Option<Arc<KeyRecord>>, ApiError> {
        let hash = self.hasher.hash(presented);
        if let Some(shared) = &self.shared {
            // Revoked or retired on any instance (read every `shared::POLL`).
            let cached = self.cache.read().unwrap_or_else(|p| p.into_inner());
            let id = cached.get(&hash).map(|k| format!("id:{}", k.id));
            drop(cached);
            let mut members = vec![format!("hash:{hash}")];
            members.extend(id);
            if shared.is_denied(&members) {
                return Ok(None);
            }
        }
        if let Some(k) = self
            .cache
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(&hash)
        {
            // A replaced key found by its old hash works only within its grace period.
            let live = k.hash == hash || k.previous_until.is_some_and(|t| t > now());
            return Ok(live.then(|| k.clone()));
        }
        let Some(rec) = self.store.by_hash(&hash, now()).map_err(unavailable)? else {
            return Ok(None);
        };
        let rec = Arc::new(rec);
        let mut cache = self.cache.write().unwrap_or_else(|p| p.into_inner());
        if cache.len() > 100_000 {
            cache.clear();
        }
        cache.insert(hash, rec.clone());
        Ok(Some(rec))
    }
}

pub(super) fn scope_error(name: &str) -> ApiError {
    ApiError {
        status: 403,
        kind: "permission_error",
        message: format!("this API key may not use the model `{name}`"),
        retry_after: None,
    }
}

/// Refuses (403) a virtual key outside its models.
pub fn check_scope(
    caller: &Caller,
    name: &str,
    backend: &crate::server::Backend,
) -> Result<(), ApiError> {
    let group = match backend {
        crate::server::Backend::Group { group, .. } => Some(group.as_str()),
        _ => None,
    };
    match caller {
        Caller::Key(k) if !k.allows(name, group) => Err(scope_error(name)),
        _ => Ok(()),
    }
}

/// Checks the key a request presents: the master key, a live virtual key, or (without a
/// master key) nothing; a gateway with neither a master key nor virtual keys is open, and
/// takes whatever key a client sends. Anything else is a 401.
pub fn authenticate(
    gov: Option<&Governance>,
    backends: &Backends,
    headers: &HeaderMap,
) -> Result<Caller, ApiError> {
    let given = crate::auth::presented(headers);
    let denied = |message: &str| ApiError {
        status: 401,
        kind: "authentication_error",
        message: message.into(),
        retry_after: None,
    };
    if let (Some(m), Some(g)) = (&backends.master_key, given) {
        if crate::auth::same_key(g, m.expose().as_bytes()) {
            return Ok(Caller::Master);
        }
    }
    if let (Some(gov), Some(g)) = (gov, given) {
        if g.starts_with(PREFIX.as_bytes()) {
            if let Some(k) = gov.lookup(g)? {
                return match k.refusal(now()) {
                    Some(why) => Err(denied(why)),
                    None => Ok(Caller::Key(k)),
                };
            }
        }
    }
    match (&backends.master_key, given) {
        // No master key and no virtual keys: an open gateway, whatever key an SDK sends.
        (None, _) if gov.is_none() => Ok(Caller::Open),
        (None, None) => Ok(Caller::Open),
        (_, Some(_)) => Err(denied("invalid API key")),
        (Some(_), None) => Err(denied(
            "missing API key: send `Authorization: Bearer <key>` or `x-api-key`",
        )),
    }
}
