//! The public entry point. A [`Client`] picks the provider from the `provider/model` string,
//! builds its endpoint from the registry, the caller's overrides and the environment, and runs
//! the request through the provider: a codec plus the shared transport for HTTP providers, or
//! any [`Backend`] the caller registers (the mock, a local model, their own).

mod builder;
mod compress;
mod count_tokens;
mod endpoint;
mod gemini_caches;
mod http_backend;
mod lent;
mod media;
mod mock;
mod mock_rules;
mod model_check;
mod recover;
mod speech_stream;
mod token_auth;
mod tools;

pub use crate::stream::{ChatStream, DEFAULT_MAX_COLLECTED_BYTES};
pub use builder::{ClientBuilder, ProviderConfig};
pub use gemini_caches::GeminiCaches;
pub use http_backend::{HttpBackend, RawAnswer, RawBody, RawRequest, RETRIES};
pub use mock::MockProvider;
pub use mock_rules::{MockAnswer, MockRule, MockRules};
pub(crate) use recover::continued;
pub use recover::RESUMED_FROM;
pub use speech_stream::SpeechStream;
pub(crate) use tools::tally;
pub use tools::{ToolRun, ToolSet, DEFAULT_MAX_TOOL_CALLS_PER_STEP, DEFAULT_TOOL_CONCURRENCY};

use crate::cache::{CacheScope, Lookup};
use crate::catalog::Catalog;
use crate::error::{Error, ErrorKind, Result};
use crate::provider::ListedModel;
use crate::telemetry::Watch;
use crate::types::{
    ChatRequest, ChatResponse, EmbedRequest, EmbedResponse, ImageRequest, ImageResponse,
    ModerationRequest, ModerationResponse, RerankRequest, RerankResponse, SpeechRequest,
    SpeechResponse, Transcription, TranscriptionRequest,
};
use futures_util::future::BoxFuture;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock, RwLock};
use tracing::Instrument;

/// Something that answers chat requests: an HTTP provider, the mock, a local model.
///
/// The request's `model` is the provider's own model id (the `provider/` prefix removed).
pub trait Backend: Send + Sync + 'static {
    /// Answers a request.
    fn chat(&self, req: ChatRequest) -> BoxFuture<'static, Result<ChatResponse>>;
    /// Answers a request as a stream of events.
    fn chat_stream(&self, req: ChatRequest) -> BoxFuture<'static, Result<ChatStream>>;
    /// Answers a borrowed request as `model` (the request's own `model` is not read): for
    /// callers that keep the request to try it elsewhere if this fails (the router). A backend
    /// that encodes from a reference answers without copying it; the default copies it.
    fn chat_as<'a>(
        &'a self,
        req: &'a ChatRequest,
        model: &'a str,
    ) -> BoxFuture<'a, Result<ChatResponse>> {
        self.chat(req.for_model(model).into_owned())
    }
    /// [`Backend::chat_as`] for a stream.
    fn chat_stream_as<'a>(
        &'a self,
        req: &'a ChatRequest,
        model: &'a str,
    ) -> BoxFuture<'a, Result<ChatStream>> {
        self.chat_stream(req.for_model(model).into_owned())
    }
    /// Lists the provider's models (empty when it cannot list them).
    fn list_models(&self) -> BoxFuture<'static, Result<Vec<ListedModel>>> {
        Box::pin(async { Ok(Vec::new()) })
    }
    /// Embeds texts (the request's `model` without its provider prefix).
    fn embed(&self, _req: EmbedRequest) -> BoxFuture<'static, Result<EmbedResponse>> {
        Box::pin(async {
            Err(Error::new(
                ErrorKind::Unsupported,
                "this provider has no embeddings",
            ))
        })
    }
    /// Orders documents by relevance to a query.
    fn rerank(&self, _req: RerankRequest) -> BoxFuture<'static, Result<RerankResponse>> {
        Box::pin(async {
            Err(Error::new(
                ErrorKind::Unsupported,
                "this provider has no reranking",
            ))
        })
    }
    /// Generates images.
    fn generate_image(&self, _req: ImageRequest) -> BoxFuture<'static, Result<ImageResponse>> {
        unsupported("image generation")
    }
    /// Transcribes (or translates) audio.
    fn transcribe(&self, _req: TranscriptionRequest) -> BoxFuture<'static, Result<Transcription>> {
        unsupported("transcription")
    }
    /// Speaks text.
    fn speak(&self, _req: SpeechRequest) -> BoxFuture<'static, Result<SpeechResponse>> {
        unsupported("speech")
    }
    /// Speaks text, handing the audio over as it downloads.
    fn speak_stream(&self, _req: SpeechRequest) -> BoxFuture<'static, Result<SpeechStream>> {
        unsupported("speech")
    }
    /// Classifies content.
    fn moderate(&self, _req: ModerationRequest) -> BoxFuture<'static, Result<ModerationResponse>> {
        unsupported("moderation")
    }
    /// The provider as an [`HttpBackend`], when it is one (batch jobs and file stores are
    /// HTTP APIs beside chat).
    fn as_http(&self) -> Option<&HttpBackend> {
        None
    }
    /// The state of the provider's circuit breaker, if it has one.
    fn health(&self) -> Option<crate::transport::BreakerState> {
        None
    }
    /// The wire API it speaks, for HTTP providers (structured output picks its strategy
    /// from it); `None` for others.
    fn api(&self) -> Option<crate::provider::Api> {
        None
    }
    /// Who answers, for the response cache: the endpoint, API and credential that decide the
    /// answer besides the request. The default (an empty scope, to which the client adds the
    /// provider's name) suits providers with a single identity, such as the mock.
    fn cache_scope(&self) -> BoxFuture<'_, Result<CacheScope>> {
        Box::pin(async { Ok(CacheScope::default()) })
    }
}

/// The exllm client. Cheap to clone; clones share connections and providers.
///
/// ```no_run
/// # async fn run() -> exllm::Result<()> {
/// use exllm::{ChatRequest, Client, Message};
/// let client = Client::from_env()?;
/// let resp = client
///     .chat(ChatRequest::new("openai/gpt-4o-mini", vec![Message::user("Hello")]))
///     .await?;
/// println!("{}", resp.text());
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    builder: ClientBuilder,
    transport: crate::transport::HttpTransport,
    providers: RwLock<HashMap<String, Arc<dyn Backend>>>,
    catalog: OnceLock<Arc<Catalog>>,
    metrics: crate::telemetry::InstrumentCache,
}

/// Shows the builder's configuration (keys and header values hidden) and the providers in use.
impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("config", &self.inner.builder)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client configured from the environment (API keys and base URLs from the usual
    /// variables: `OPENAI_API_KEY`, `ANTHROPIC_API_KEY`, ...).
    pub fn from_env() -> Result<Self> {
        ClientBuilder::default().build()
    }

    /// A builder for per-provider base URLs, keys, headers, timeouts and custom providers.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    pub(crate) fn from_parts(
        builder: ClientBuilder,
        transport: crate::transport::HttpTransport,
    ) -> Self {
        let providers = builder.custom.clone();
        Client {
            inner: Arc::new(Inner {
                builder,
                transport,
                providers: RwLock::new(providers),
                catalog: OnceLock::new(),
                metrics: Default::default(),
            }),
        }
    }

    /// Sends a chat request and waits for the whole answer. The answer carries its cost when
    /// the catalog prices the model.
    pub async fn chat(&self, req: ChatRequest) -> Result<ChatResponse> {
        let entry = self.checked_entry(&req)?;
        let lookup = self.chat_lookup(&req, false).await?;
        let watch = self.watch("chat", &req.model, &req)?;
        let cache = match lookup {
            Lookup::Hit(hit) => {
                // Callers and telemetry see a hit as a call (with zero usage), so counts add up.
                watch.cache_hit();
                watch.request(&req).await;
                watch.ok(&hit).await;
                return Ok(*hit);
            }
            Lookup::Miss(pending) => pending,
        };
        let cost_options = crate::catalog::CostOptions::for_request(&req);
        let (provider, req) = self.route(req)?;
        watch.request(&req).await;
        let out = provider.chat(req).instrument(watch.span().clone()).await;
        let out = priced(out, entry, cost_options);
        if let Ok(resp) = &out {
            cache.store(resp).await;
        }
        watch.outcome(&out).await;
        out
    }

    /// Looks a chat call up in the client's cache, in the scope of the provider that would
    /// answer it.
    async fn chat_lookup(
        &self,
        req: &ChatRequest,
        streaming: bool,
    ) -> Result<Lookup<ChatResponse>> {
        let cache = self.inner.builder.cache.as_ref();
        let scope = match cache {
            Some(_) => self.cache_scope(&req.model).await?,
            None => CacheScope::default(),
        };
        Ok(crate::cache::chat_lookup(cache, &scope, req, streaming).await)
    }

    /// The cache scope of calls to `provider/model`'s provider: what, besides the request,
    /// its cached answers are keyed on ([`crate::cache::Cache::chat_key`]).
    pub async fn cache_scope(&self, model: &str) -> Result<CacheScope> {
        let (name, _) = split_model(model)?;
        let provider = self.provider(name)?;
        Ok(scoped(name, provider.cache_scope().await?))
    }

    /// Opens the telemetry of a call of `req` to `model` (`provider/model`).
    fn watch(&self, operation: &'static str, model: &str, req: &ChatRequest) -> Result<Watch> {
        let (provider, model) = split_model(model)?;
        let b = &self.inner.builder;
        Ok(Watch::start(
            operation,
            provider,
            model,
            req,
            b.callbacks.clone(),
            b.telemetry,
            self.inner.metrics.get(provider, model),
        ))
    }

    /// The catalog this client prices and checks models with: the one given to the builder,
    /// else the embedded catalog with the user's files applied (the embedded one alone, with
    /// a warning, when a user file is broken).
    pub fn catalog(&self) -> &Catalog {
        self.inner.catalog.get_or_init(|| {
            if let Some(c) = &self.inner.builder.catalog {
                return c.clone();
            }
            Catalog::shared()
        })
    }

    /// The catalog entry of `provider/model`: from the builder's catalog when one was given,
    /// else from [`Catalog::shared_model`] (which parses only that provider's embedded file
    /// unless user catalog files apply).
    pub fn model_entry(&self, name: &str) -> Option<&crate::catalog::ModelEntry> {
        match &self.inner.builder.catalog {
            Some(c) => c.model(name),
            None => Catalog::shared_model(name),
        }
    }

    /// The catalog entry of the request's model, after checking that the model supports
    /// what the request uses (tools, images, PDFs) where the catalog says it does not.
    fn checked_entry(&self, req: &ChatRequest) -> Result<Option<&crate::catalog::ModelEntry>> {
        let entry = self.model_entry(&req.model);
        if let Some(m) = entry {
            model_check::check(m, req)?;
        }
        Ok(entry)
    }

    /// Sends a chat request and returns its answer as a stream of events.
    ///
    /// ```no_run
    /// # async fn run() -> exllm::Result<()> {
    /// use exllm::{ChatRequest, Client, Message, StreamEvent};
    /// use futures_util::StreamExt;
    /// let client = Client::from_env()?;
    /// let mut stream = client
    ///     .chat_stream(ChatRequest::new("anthropic/claude-sonnet-4-5", vec![Message::user("Hi")]))
    ///     .await?;
    /// while let Some(event) = stream.next().await {
    ///     if let StreamEvent::TextDelta(t) = event? {
    ///         print!("{t}");
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn chat_stream(&self, req: ChatRequest) -> Result<ChatStream> {
        let entry = self.checked_entry(&req)?;
        let lookup = self.chat_lookup(&req, true).await?;
        let watch = self.watch("chat_stream", &req.model, &req)?;
        let cache = match lookup {
            Lookup::Hit(hit) => {
                watch.cache_hit();
                watch.request(&req).await;
                return Ok(watch.stream(crate::cache::replay(&hit)));
            }
            Lookup::Miss(pending) => pending,
        };
        let one_hour = entry.is_some() && crate::catalog::asks_1h_cache(&req);
        // Only a recoverable stream needs the request again (to continue it).
        let original = self.inner.builder.recovery.is_some().then(|| req.clone());
        let (provider, req) = self.route(req)?;
        watch.request(&req).await;
        let opening = provider.chat_stream(req);
        self.deliver(opening, entry, one_hour, cache, original, watch)
            .await
    }

    /// What the caller gets of a provider's stream: opened under the call's span (a failure
    /// told to the telemetry), priced by the model's catalog entry, recorded by the cache,
    /// recoverable when the request was `kept` for it, and watched.
    async fn deliver(
        &self,
        opening: BoxFuture<'_, Result<ChatStream>>,
        entry: Option<&crate::catalog::ModelEntry>,
        one_hour: bool,
        cache: crate::cache::Pending,
        kept: Option<ChatRequest>,
        watch: Watch,
    ) -> Result<ChatStream> {
        let stream = match opening.instrument(watch.span().clone()).await {
            Ok(s) => s,
            Err(e) => {
                watch.err(&e).await;
                return Err(e);
            }
        };
        let stream = match entry {
            Some(m) if one_hour => stream.priced_by(m.with_1h_cache_writes()),
            Some(m) => stream.priced_by(m.clone()),
            None => stream,
        };
        let stream = cache.record(stream);
        Ok(watch.stream(match kept {
            Some(req) => self.recoverable(req, stream),
            None => stream,
        }))
    }

    /// Embeds texts: one vector per input, in order. Inputs beyond the provider's per-request
    /// limit are sent in several requests and reassembled.
    ///
    /// ```no_run
    /// # async fn run() -> exllm::Result<()> {
    /// use exllm::{Client, EmbedRequest};
    /// let client = Client::from_env()?;
    /// let resp = client.embed(EmbedRequest::new("openai/text-embedding-3-small", ["cat", "kitten"])).await?;
    /// assert_eq!(resp.embeddings.len(), 2);
    /// # Ok(()) }
    /// ```
    pub async fn embed(&self, mut req: EmbedRequest) -> Result<EmbedResponse> {
        let (name, model) = split_model(&req.model)?;
        let provider = self.provider(name)?;
        let cache = match self.inner.builder.cache.as_ref() {
            Some(c) => {
                let scope = scoped(name, provider.cache_scope().await?);
                match crate::cache::embed_lookup(Some(c), &scope, &req).await {
                    Lookup::Hit(hit) => return Ok(*hit),
                    Lookup::Miss(pending) => pending,
                }
            }
            None => crate::cache::embed_lookup(None, &CacheScope::default(), &req)
                .await
                .into_pending(),
        };
        req.model = model.to_owned();
        let resp = provider.embed(req).await?;
        cache.store_embed(&resp).await;
        Ok(resp)
    }

    /// Orders documents by relevance to a query (Cohere `rerank`).
    pub async fn rerank(&self, mut req: RerankRequest) -> Result<RerankResponse> {
        let (provider, model) = split_model(&req.model)?;
        let provider = self.provider(provider)?;
        req.model = model.to_owned();
        provider.rerank(req).await
    }

    /// The circuit-breaker state of every provider used so far, by name.
    pub fn health(&self) -> Vec<(String, crate::transport::BreakerState)> {
        let map = match self.inner.providers.read() {
            Ok(m) => m,
            Err(p) => p.into_inner(),
        };
        let mut out: Vec<_> = map
            .iter()
            .filter_map(|(name, p)| p.health().map(|h| (name.clone(), h)))
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    /// Lists a provider's models from its live `/models` endpoint.
    pub async fn list_models(&self, provider: &str) -> Result<Vec<ListedModel>> {
        self.provider(provider)?.list_models().await
    }

    /// The provider registered or known under `name`.
    pub fn provider(&self, name: &str) -> Result<Arc<dyn Backend>> {
        if let Some(p) = self
            .inner
            .providers
            .read()
            .ok()
            .and_then(|m| m.get(name).cloned())
        {
            return Ok(p);
        }
        let p: Arc<dyn Backend> = Arc::new(HttpBackend::from_registry(
            name,
            &self.inner.builder,
            self.inner.transport.clone(),
        )?);
        if let Ok(mut m) = self.inner.providers.write() {
            m.entry(name.to_owned()).or_insert_with(|| p.clone());
        }
        Ok(p)
    }

    fn route(&self, mut req: ChatRequest) -> Result<(Arc<dyn Backend>, ChatRequest)> {
        let (provider, _) = split_model(&req.model)?;
        let prefix = provider.len() + 1;
        let provider = self.provider(provider)?;
        // The model name without `provider/`, in place (no new string).
        req.model.replace_range(..prefix, "");
        Ok((provider, req))
    }
}

/// The answer with its cost when the catalog prices the model.
fn priced(
    out: Result<ChatResponse>,
    entry: Option<&crate::catalog::ModelEntry>,
    options: crate::catalog::CostOptions,
) -> Result<ChatResponse> {
    let mut resp = out?;
    if let (Some(m), Some(u)) = (entry, &resp.usage) {
        resp.cost = Some(m.cost(u, options));
    }
    Ok(resp)
}

/// A provider's scope with its name filled in when it left it out.
fn scoped(name: &str, mut scope: CacheScope) -> CacheScope {
    if scope.provider.is_empty() {
        scope.provider = name.to_owned();
    }
    scope
}

/// The answer of a provider without `what`.
fn unsupported<T: Send + 'static>(what: &'static str) -> BoxFuture<'static, Result<T>> {
    Box::pin(async move {
        Err(Error::new(
            ErrorKind::Unsupported,
            format!("this provider has no {what}"),
        ))
    })
}

/// Splits `provider/model` at the first `/` (the model may contain more).
pub fn split_model(s: &str) -> Result<(&str, &str)> {
    match s.split_once('/') {
        Some((p, m)) if !p.is_empty() && !m.is_empty() => Ok((p, m)),
        _ => Err(Error::new(
            ErrorKind::Config,
            format!(
                "model `{s}` must be written as provider/model (for example openai/gpt-4o-mini)"
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn models_split_at_the_first_slash() {
        assert_eq!(
            split_model("groq/qwen/qwen3-32b").unwrap(),
            ("groq", "qwen/qwen3-32b")
        );
        assert_eq!(
            split_model("ollama/qwen3:8b").unwrap(),
            ("ollama", "qwen3:8b")
        );
        assert_eq!(split_model("gpt-4o").unwrap_err().kind(), ErrorKind::Config);
        assert!(split_model("/x").is_err());
    }
}
