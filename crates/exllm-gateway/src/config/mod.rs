//! The gateway's configuration: which model names callers may use and what serves each,
//! the master key, and the server's limits. Two spellings say the same things:
//!
//! - our TOML, a superset of the router's (`exllm route`) TOML: `strategy`,
//!   `[[deployments]]`, `[fallbacks]`, ... define router groups, every group is served under
//!   its name; `[[models]]` adds direct `provider/model` entries (or another name for a
//!   group); `master_key` and `[limits]` set the server up.
//! - LiteLLM's proxy `config.yaml` as it is: `model_list` and `router_settings` through the
//!   library's router config reader, `general_settings.master_key`, `os.environ/VAR` keys.
//!
//! ```toml
//! master_key = "os.environ/EXLLM_MASTER_KEY"
//! protect_metrics = true    # GET /metrics takes the master key too (default: open)
//! [limits]
//! max_body_bytes = 4194304
//! timeout = "600s"
//! max_concurrency = 512
//! shutdown_grace = "30s"
//! [[models]]
//! name = "gpt-4o-mini"
//! model = "openai/gpt-4o-mini"
//! api_key = "os.environ/OPENAI_API_KEY"
//! api = "openai-chat"       # optional: a wire API other than the provider's usual one
//! passthrough = true        # forward same-API requests as bytes (default: for the providers
//!                           # whose own API it is: openai, azure, anthropic)
//! [[models]]
//! name = "smart"
//! group = "claude"          # another name for a router group
//! [[deployments]]           # router groups, as `exllm route` reads them
//! group = "claude"
//! model = "anthropic/claude-sonnet-4-5"
//! api_key = "os.environ/ANTHROPIC_API_KEY"
//! ```
//!
//! Nothing here is reachable from a request: a model name a caller sends is only looked up
//! among these names, never read as a path or URL.

mod file;
#[cfg(test)]
mod tests;

use exllm::router::{KeySource, RouterConfig};
use exllm::{Error, ErrorKind, Result};
use std::path::Path;
use std::time::Duration;

/// Everything `exllm serve` reads from its config file.
#[derive(Debug, Clone, Default)]
pub struct GatewayConfig {
    /// The key callers must present; `None` serves without auth.
    pub master_key: Option<KeySource>,
    /// Whether `GET /metrics` takes the master key too (`protect_metrics = true`; LiteLLM's
    /// `litellm_settings.require_auth_for_metrics_endpoint`). Off by default, as scrapers
    /// usually reach the port from inside the network.
    pub protect_metrics: bool,
    /// The server's limits.
    pub limits: Limits,
    /// Direct entries and other names for groups.
    pub models: Vec<ModelRoute>,
    /// Router groups: deployments and settings.
    pub router: RouterConfig,
    /// Virtual keys, budgets and the spend ledger (`[governance]`).
    pub governance: GovernanceConfig,
    /// Named guardrail sets virtual keys use (`[guardrail_sets.<name>]`, LiteLLM's
    /// `guardrails:` entries); see [`crate::guard`].
    pub guardrail_sets: std::collections::BTreeMap<String, exllm::guardrails::GuardrailsConfig>,
    /// The response cache (`[cache]`); `None`: off.
    pub cache: Option<CacheConfig>,
    /// Fields nothing uses, as `file: field` notes.
    pub warnings: Vec<String>,
}

/// `[cache]`: whole chat answers kept per tenant (the caller's team, else its key) and
/// answered again without calling the provider. With `[governance.shared]` the entries live in
/// the same Redis, so every instance answers from them; else in this instance's memory.
///
/// ```toml
/// [cache]
/// ttl = "10m"            # how long an answer is kept (default 1h)
/// max_bytes = 67108864   # the in-memory cache's size (without Redis)
/// ```
///
/// Only deterministic requests are cached (no `temperature`, or 0), never streams, and
/// never for keys with guardrails (their checks must see every request).
#[derive(Debug, Clone, PartialEq)]
pub struct CacheConfig {
    /// How long an answer is kept.
    pub ttl: Duration,
    /// The in-memory cache's size in bytes.
    pub max_bytes: u64,
}

impl Default for CacheConfig {
    fn default() -> Self {
        CacheConfig {
            ttl: Duration::from_secs(3600),
            max_bytes: exllm::cache::DEFAULT_MAX_BYTES,
        }
    }
}

/// `[governance]`: virtual keys, budgets, rate limits and the spend ledger; on when `db` is
/// set.
///
/// ```toml
/// [governance]
/// db = "/var/lib/exllm/exllm.db"          # SQLite (WAL): keys and the spend ledger
/// # postgres_url = "os.environ/EXLLM_PG"  # or PostgreSQL, for several instances (feature `postgres`)
/// # journal = "/var/lib/exllm/spend.journal" # this instance's rows not yet written (default: db + .journal)
/// key_secret = "os.environ/EXLLM_KEY_SECRET" # else derived from the master key
/// unpriced_input_per_1m = 1.0             # USD for models the catalog does not price
/// unpriced_output_per_1m = 2.0
/// default_max_tokens = 4096               # output reserved when neither request nor catalog say
/// [governance.teams.research]
/// max_budget = 100.0
/// budget_duration = "1mo"                 # 1d, 1mo, or none for a total
/// rpm = 600
/// tpm = 1000000
/// [governance.models.gpt-4o]               # limits of a model name, across all keys
/// rpm = 1000
/// [governance.shared]                     # several instances acting as one (Redis)
/// redis_url = "redis://127.0.0.1:6379/"
/// prefix = "exllm:gw:"
/// timeout = "250ms"                       # longest a Redis round trip may take
/// on_unavailable = "closed"               # or "open": admit unchecked while Redis is down
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct GovernanceConfig {
    /// The SQLite file; `None` (and no `postgres_url`): no virtual keys, budgets or ledger.
    pub db: Option<std::path::PathBuf>,
    /// PostgreSQL for keys and the ledger, shared by several instances (feature `postgres`);
    /// preferred over `db` when both are set.
    pub postgres_url: Option<KeySource>,
    /// This instance's spend journal (rows not yet in the database survive a kill there);
    /// default `db` + `.journal`. Each instance needs its own.
    pub journal: Option<std::path::PathBuf>,
    /// The secret keys are hashed under; else one derived from the master key.
    pub key_secret: Option<KeySource>,
    /// Team budgets and limits, which cap every key of the team.
    pub teams: std::collections::BTreeMap<String, crate::keys::Limits>,
    /// Limits of a model name, whoever calls it.
    pub models: std::collections::BTreeMap<String, crate::keys::Limits>,
    /// Limits, reservations and revocations in Redis, shared by every instance.
    pub shared: Option<SharedConfig>,
    /// USD per million input tokens for models the catalog does not price.
    pub unpriced_input_per_1m: f64,
    /// USD per million output tokens for models the catalog does not price.
    pub unpriced_output_per_1m: f64,
    /// Output tokens reserved when the request sets no `max_tokens` and the catalog knows
    /// no limit.
    pub default_max_tokens: u32,
}

impl Default for GovernanceConfig {
    fn default() -> Self {
        GovernanceConfig {
            db: None,
            postgres_url: None,
            journal: None,
            key_secret: None,
            teams: Default::default(),
            models: Default::default(),
            shared: None,
            unpriced_input_per_1m: 0.0,
            unpriced_output_per_1m: 0.0,
            default_max_tokens: 4096,
        }
    }
}

/// `[governance.shared]`: where the state shared by instances lives.
#[derive(Clone, PartialEq)]
pub struct SharedConfig {
    /// The Redis server, `redis://host:port/db` (may hold a password: never printed).
    pub redis_url: String,
    /// Prefix of every key the gateway writes.
    pub prefix: String,
    /// Longest a round trip may take before Redis counts as unreachable.
    pub timeout: Duration,
    /// Whether to admit (`true`, unchecked) or refuse requests while Redis is unreachable.
    pub fail_open: bool,
    /// How long a reservation is held at most: no call runs longer (the request timeout and
    /// a margin), so what an instance killed mid-call had reserved comes back after it.
    pub hold: Duration,
}

impl std::fmt::Debug for SharedConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedConfig")
            .field("prefix", &self.prefix)
            .field("timeout", &self.timeout)
            .field("fail_open", &self.fail_open)
            .field("hold", &self.hold)
            .finish_non_exhaustive()
    }
}

impl Default for SharedConfig {
    fn default() -> Self {
        SharedConfig {
            redis_url: String::new(),
            prefix: "exllm:gw:".into(),
            timeout: Duration::from_millis(250),
            fail_open: false,
            hold: Duration::from_secs(660),
        }
    }
}

/// Server limits.
#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    /// Largest request body accepted (413 above).
    pub max_body_bytes: usize,
    /// Longest a request may take, stream included.
    pub timeout: Duration,
    /// Requests served at once; more get 429 with `Retry-After`.
    pub max_concurrency: usize,
    /// How long shutdown waits for open requests and streams.
    pub shutdown_grace: Duration,
    /// Retries of a direct entry's call on a retryable error (router groups retry on other
    /// deployments instead). 0 by default: callers' SDKs retry themselves.
    pub retries: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: 4 * 1024 * 1024,
            timeout: Duration::from_secs(600),
            max_concurrency: 1024,
            shutdown_grace: Duration::from_secs(30),
            retries: 0,
        }
    }
}

/// A model name callers may send, and what serves it.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelRoute {
    /// The name callers send as `model`.
    pub name: String,
    /// What serves it.
    pub target: Target,
    /// Whether requests in the provider's own API are forwarded as bytes: `Some(true)` for
    /// any provider speaking the caller's API, `Some(false)` never, `None` (the default) for
    /// the providers whose own API it is (OpenAI and Azure OpenAI for OpenAI's APIs,
    /// Anthropic for messages). Compatible hosts differ in dialect (reasoning fields, usage
    /// placement, finish reasons) that decoding evens out, so they pass through only when
    /// asked.
    pub passthrough: Option<bool>,
}

/// What serves a model name.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Target {
    /// A router group.
    Group(String),
    /// One `provider/model` through the library's client.
    Direct {
        /// `provider/model`.
        model: String,
        /// The endpoint, else the provider's default.
        api_base: Option<String>,
        /// The key, else the provider's usual environment variable.
        api_key: Option<KeySource>,
        /// The wire API, when not the provider's usual one (`openai-responses`, ...).
        api: Option<exllm::Api>,
    },
}

impl GatewayConfig {
    /// Reads a file: our TOML by its `.toml` extension, else LiteLLM's YAML.
    pub fn load(path: &Path) -> Result<GatewayConfig> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            Error::new(
                ErrorKind::Config,
                format!("cannot read gateway config {}: {e}", path.display()),
            )
        })?;
        let name = path.display().to_string();
        let cfg = match path.extension().and_then(|e| e.to_str()) {
            Some("toml") => Self::from_toml(&text, &name)?,
            _ => Self::from_litellm_yaml(&text, &name)?,
        };
        for w in &cfg.warnings {
            tracing::warn!("{w}");
        }
        Ok(cfg)
    }

    /// Parses our TOML; `file` names the source in errors and warnings.
    pub fn from_toml(text: &str, file: &str) -> Result<GatewayConfig> {
        file::from_toml(text, file)
    }

    /// Parses LiteLLM's proxy YAML; `file` names the source in errors and warnings.
    pub fn from_litellm_yaml(text: &str, file: &str) -> Result<GatewayConfig> {
        file::from_litellm_yaml(text, file)
    }

    /// Every model name callers may use, in config order, each once.
    pub fn model_names(&self) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        let groups = self.router.deployments.iter().map(|d| d.group.clone());
        for n in self.models.iter().map(|m| m.name.clone()).chain(groups) {
            if !names.contains(&n) {
                names.push(n);
            }
        }
        names
    }
}

/// Reads `os.environ/VAR` through `env`, or the value itself.
pub fn resolve_key(key: &KeySource, env: &dyn Fn(&str) -> Option<String>) -> Result<exllm::Secret> {
    match key {
        KeySource::Value(s) => Ok(s.clone()),
        KeySource::Env(var) => env(var).map(exllm::Secret::new).ok_or_else(|| {
            Error::new(
                ErrorKind::Config,
                format!("the environment variable {var} the config names is not set"),
            )
        }),
        _ => Err(Error::new(ErrorKind::Config, "unsupported key source")),
    }
}

/// A duration as `250ms`, `30s`, `5m`, `1h`, or a bare number of seconds.
pub(crate) fn parse_duration(text: &str) -> Option<Duration> {
    let t = text.trim();
    let split = t
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: f64 = num.parse().ok()?;
    let secs = match unit.trim() {
        "" | "s" => n,
        "ms" => n / 1000.0,
        "m" => n * 60.0,
        "h" => n * 3600.0,
        _ => return None,
    };
    Duration::try_from_secs_f64(secs).ok()
}
