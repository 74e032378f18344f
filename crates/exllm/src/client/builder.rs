//! Client configuration: per-provider base URL, key, headers and API, timeouts, retries, and
//! providers the caller brings.

use super::MockProvider;
use super::{Backend, Client};
use crate::error::Result;
use crate::provider::Api;
use crate::recovery::RecoveryStore;
use crate::telemetry::{Callback, Callbacks, Redactor, TelemetryOptions};
use crate::transport::{Cassette, HttpTransport, RetryPolicy, Timeouts};
use crate::types::Secret;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// Reads a configuration variable.
pub(crate) type EnvLookup = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// Overrides for one provider; unset fields come from the environment and the registry.
#[derive(Debug, Clone, Default)]
pub struct ProviderConfig {
    /// Base URL including the version path (replaces the registry's and the environment's).
    pub base_url: Option<String>,
    /// The API key (else read from the provider's environment variables).
    pub api_key: Option<Secret>,
    /// Extra headers (values hidden from `Debug`: a header may carry a key).
    pub headers: Vec<(String, Secret)>,
    /// A wire API other than the provider's default.
    pub api: Option<Api>,
    /// The cloud region (AWS Bedrock), replacing `AWS_REGION` and the profile's.
    pub region: Option<String>,
    /// Fixed AWS credentials (access key id, secret, session token) instead of the AWS chain.
    pub aws_credentials: Option<(String, Secret, Option<Secret>)>,
    /// Values of base-URL placeholders (`resource` for Azure), replacing the environment's.
    pub vars: Vec<(String, String)>,
    /// A Google Cloud service-account key file (Vertex AI), replacing
    /// `GOOGLE_APPLICATION_CREDENTIALS`.
    pub credentials_file: Option<std::path::PathBuf>,
}

/// Builds a [`Client`].
///
/// ```
/// use exllm::{Api, Client};
/// let client = Client::builder()
///     .base_url("openai", "http://127.0.0.1:8080/v1")
///     .api_key("openai", "sk-test")
///     .api("openai", Api::OpenAiResponses)
///     .timeout(std::time::Duration::from_secs(60))
///     .build()
///     .unwrap();
/// # drop(client);
/// ```
#[derive(Clone)]
pub struct ClientBuilder {
    pub(crate) configs: HashMap<String, ProviderConfig>,
    pub(crate) custom: HashMap<String, Arc<dyn Backend>>,
    pub(crate) retry: RetryPolicy,
    pub(crate) breaker: crate::transport::BreakerPolicy,
    pub(crate) timeouts: Timeouts,
    http: Option<reqwest::Client>,
    pub(crate) env: EnvLookup,
    pub(crate) catalog: Option<Arc<crate::catalog::Catalog>>,
    pub(crate) recovery: Option<RecoveryStore>,
    pub(crate) auto_resume: u32,
    pub(crate) callbacks: Callbacks,
    pub(crate) telemetry: TelemetryOptions,
    pub(crate) redactor: Redactor,
    pub(crate) cache: Option<crate::cache::Cache>,
    cassette: CassetteSpec,
}

/// Where the transport's exchanges are recorded or replayed from, opened by `build`.
#[derive(Debug, Clone, Default)]
enum CassetteSpec {
    #[default]
    Off,
    Record(std::path::PathBuf),
    Replay(std::path::PathBuf),
    FromEnv,
}

/// Shows the configuration with every key and header value hidden.
impl std::fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut custom: Vec<&String> = self.custom.keys().collect();
        custom.sort();
        f.debug_struct("ClientBuilder")
            .field("configs", &self.configs)
            .field("providers", &custom)
            .field("retry", &self.retry)
            .field("timeouts", &self.timeouts)
            .field("redactor", &self.redactor)
            .field("cache", &self.cache)
            .finish_non_exhaustive()
    }
}

impl Default for ClientBuilder {
    fn default() -> Self {
        let mut custom: HashMap<String, Arc<dyn Backend>> = HashMap::new();
        custom.insert("mock".into(), Arc::new(MockProvider::echo()));
        ClientBuilder {
            configs: HashMap::new(),
            custom,
            retry: RetryPolicy::default(),
            breaker: crate::transport::BreakerPolicy::default(),
            timeouts: Timeouts::default(),
            http: None,
            env: Arc::new(|k| std::env::var(k).ok().filter(|v| !v.is_empty())),
            catalog: None,
            recovery: Some(RecoveryStore::default()),
            auto_resume: 0,
            callbacks: Callbacks::default(),
            telemetry: TelemetryOptions::default(),
            redactor: Redactor::default(),
            cache: None,
            cassette: CassetteSpec::Off,
        }
    }
}

impl ClientBuilder {
    fn config(&mut self, provider: &str) -> &mut ProviderConfig {
        self.configs.entry(provider.to_owned()).or_default()
    }

    /// Sets a provider's base URL (including its version path, e.g. `.../v1`).
    pub fn base_url(mut self, provider: &str, url: impl Into<String>) -> Self {
        self.config(provider).base_url = Some(url.into());
        self
    }

    /// Sets a provider's API key.
    pub fn api_key(mut self, provider: &str, key: impl Into<Secret>) -> Self {
        self.config(provider).api_key = Some(key.into());
        self
    }

    /// Adds a header to every request to a provider.
    pub fn header(
        mut self,
        provider: &str,
        name: impl Into<String>,
        value: impl Into<Secret>,
    ) -> Self {
        self.config(provider)
            .headers
            .push((name.into(), value.into()));
        self
    }

    /// Makes a provider speak another wire API (`openai` with [`Api::OpenAiResponses`]).
    pub fn api(mut self, provider: &str, api: Api) -> Self {
        self.config(provider).api = Some(api);
        self
    }

    /// Sets a base-URL placeholder of a provider (`resource` for Azure, `project` and
    /// `location` for Vertex AI).
    pub fn var(
        mut self,
        provider: &str,
        name: impl Into<String>,
        value: impl Into<String>,
    ) -> Self {
        self.config(provider).vars.push((name.into(), value.into()));
        self
    }

    /// Uses a Google Cloud service-account key file for a provider (Vertex AI).
    pub fn credentials_file(mut self, provider: &str, path: impl Into<std::path::PathBuf>) -> Self {
        self.config(provider).credentials_file = Some(path.into());
        self
    }

    /// Sets a provider's cloud region (AWS Bedrock).
    pub fn region(mut self, provider: &str, region: impl Into<String>) -> Self {
        self.config(provider).region = Some(region.into());
        self
    }

    /// Uses fixed AWS credentials for a provider instead of the standard AWS credential chain.
    pub fn aws_credentials(
        mut self,
        provider: &str,
        access_key_id: impl Into<String>,
        secret_access_key: impl Into<Secret>,
        session_token: Option<Secret>,
    ) -> Self {
        self.config(provider).aws_credentials = Some((
            access_key_id.into(),
            secret_access_key.into(),
            session_token,
        ));
        self
    }

    /// A limit on the whole call (retries and body included): `timeouts.total`.
    pub fn timeout(mut self, t: Duration) -> Self {
        self.timeouts.total = Some(t);
        self
    }

    /// Every timeout: connect, time to first byte, stall and total (each a distinct
    /// [`crate::TimeoutKind`] when it expires). A request's own
    /// [`crate::ChatRequest::timeouts`] replace them for that call.
    pub fn timeouts(mut self, t: Timeouts) -> Self {
        self.timeouts = t;
        self
    }

    /// The model catalog used for costs, capability checks and structured-output strategies
    /// (default: the embedded catalog with the user's catalog files applied).
    pub fn catalog(mut self, catalog: crate::catalog::Catalog) -> Self {
        self.catalog = Some(Arc::new(catalog));
        self
    }

    /// Where the partial answers of broken streams are kept for [`Client::resume`] (default:
    /// an in-memory store, 30-minute TTL; `None` turns recovery off).
    pub fn recovery(mut self, store: Option<RecoveryStore>) -> Self {
        self.recovery = store;
        self
    }

    /// Continues a broken stream by itself, up to `max` times per stream, with
    /// [`crate::recovery::ResumeStrategy::Exact`]: the caller sees one uninterrupted stream
    /// (default 0: the error is returned with its recovery id).
    pub fn auto_resume(mut self, max: u32) -> Self {
        self.auto_resume = max;
        self
    }

    /// Adds a callback run on every call's request, response, stream events, errors and
    /// retries (in the order added).
    pub fn callback(mut self, c: impl Callback) -> Self {
        self.callbacks.push(Arc::new(c));
        self
    }

    /// Redacts matches of `pattern` (e-mail addresses, account numbers, ...) from every
    /// request and response body logged at debug level; keys and credential headers are
    /// always redacted.
    pub fn redact_pattern(mut self, pattern: regex::Regex) -> Self {
        self.redactor = self.redactor.with_pattern(pattern);
        self
    }

    /// What the telemetry spans record (message content only when asked).
    pub fn telemetry(mut self, opts: TelemetryOptions) -> Self {
        self.telemetry = opts;
        self
    }

    /// Caches answers of `chat`, `chat_stream` and `embed` (see [`crate::cache`]; default: no
    /// cache). Keep a clone of the cache for its statistics, `clear` and `delete`.
    pub fn cache(mut self, cache: crate::cache::Cache) -> Self {
        self.cache = Some(cache);
        self
    }

    /// The retry policy for requests that fail before any answer arrived.
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// The circuit-breaker policy of every HTTP provider ([`crate::transport::BreakerPolicy::off`]
    /// turns it off).
    pub fn breaker(mut self, policy: crate::transport::BreakerPolicy) -> Self {
        self.breaker = policy;
        self
    }

    /// Registers a provider under `name` (a [`MockProvider`] for tests, a local model, ...).
    pub fn provider(mut self, name: &str, provider: Arc<dyn Backend>) -> Self {
        self.custom.insert(name.to_owned(), provider);
        self
    }

    /// Uses the caller's reqwest client (proxies, TLS roots, ...).
    ///
    /// This is exllm's one escape hatch to its HTTP stack, and the only place a reqwest type
    /// appears in its API: it takes the reqwest version exllm depends on, re-exported as
    /// [`crate::reqwest`] so the versions cannot differ.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// Gives the builder the HTTP client its clients will share (one connection pool and one
    /// TLS configuration for every client built from it: the router's deployments).
    pub(crate) fn share_http(mut self) -> Result<Self> {
        if self.http.is_none() {
            self.http = Some(HttpTransport::new(self.timeouts)?.into_client());
        }
        Ok(self)
    }

    /// Reads configuration variables through `lookup` instead of the process environment.
    pub fn env_lookup(
        mut self,
        lookup: impl Fn(&str) -> Option<String> + Send + Sync + 'static,
    ) -> Self {
        self.env = Arc::new(lookup);
        self
    }

    /// Records every HTTP exchange of every provider to the cassette file at `path` (JSON
    /// lines, appended; keys and auth headers redacted, response bodies byte-exact): see
    /// [`crate::transport::Cassette`]. The file is opened by [`ClientBuilder::build`].
    pub fn record(mut self, path: impl Into<std::path::PathBuf>) -> Self {
        self.cassette = CassetteSpec::Record(path.into());
        self
    }

    /// Answers every HTTP request from the cassette at `path` written by
    /// [`ClientBuilder::record`], never reaching the network: a request that matches no
    /// recorded exchange fails with an [`crate::ErrorKind::Config`] error.
    pub fn replay(mut self, path: impl Into<std::path::PathBuf>) -> Self {
        self.cassette = CassetteSpec::Replay(path.into());
        self
    }

    /// Replays from `EXLLM_REPLAY` when it is set, else records to `EXLLM_RECORD` when that
    /// is set (read through [`ClientBuilder::env_lookup`] at build time); the command-line
    /// tool calls this for every client it makes.
    pub fn cassette_from_env(mut self) -> Self {
        self.cassette = CassetteSpec::FromEnv;
        self
    }

    /// Builds the client.
    pub fn build(self) -> Result<Client> {
        let mut transport = match &self.http {
            Some(c) => {
                let mut t = HttpTransport::from_client(c.clone());
                t.stall = self.timeouts.stall;
                t
            }
            None => HttpTransport::new(self.timeouts)?,
        };
        let spec = match &self.cassette {
            CassetteSpec::FromEnv => match ((self.env)("EXLLM_REPLAY"), (self.env)("EXLLM_RECORD"))
            {
                (Some(p), _) => CassetteSpec::Replay(p.into()),
                (None, Some(p)) => CassetteSpec::Record(p.into()),
                (None, None) => CassetteSpec::Off,
            },
            other => other.clone(),
        };
        match spec {
            CassetteSpec::Record(p) => transport = transport.with_cassette(Cassette::record(p)?),
            CassetteSpec::Replay(p) => transport = transport.with_cassette(Cassette::replay(p)?),
            CassetteSpec::Off | CassetteSpec::FromEnv => {}
        }
        Ok(Client::from_parts(self, transport))
    }
}
