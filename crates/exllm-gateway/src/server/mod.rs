//! The HTTP server: axum routes over a [`Gateway`], the shared state every handler reads
//! (the current [`Backends`], swapped whole on reload; metrics; the concurrency permits).
//!
//! Adding a caller format is one route line: `.route("/v1/messages", post(chat::<F>))` for
//! any `F: Format` (see [`Gateway::app`]); [`chat`] does auth, decoding, dispatch, streaming,
//! errors, limits and metrics the same way for every format.

mod admin;
mod backends;
mod cache;
mod chat;
mod files;
mod media;
mod misc;
mod pass;
mod tokens;

pub use backends::{Backend, Backends, Env};
pub use chat::chat;
pub use files::MODEL_HEADER;
pub use misc::{authorize, error_response, read_body};

use crate::config::{GatewayConfig, Limits};
use crate::metrics::Metrics;
use crate::wire::anthropic::AnthropicMessages;
use crate::wire::openai::OpenAiChat;
use crate::wire::responses::OpenAiResponses;
use axum::routing::{get, post};
use std::future::{Future, IntoFuture};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use tokio::sync::Semaphore;

/// The gateway's shared state. Cheap to clone.
#[derive(Clone)]
pub struct Gateway {
    inner: Arc<Shared>,
}

struct Shared {
    backends: RwLock<Arc<Backends>>,
    metrics: Metrics,
    /// The concurrency permits, replaced whole when a reload changes the limit.
    permits: RwLock<Arc<Semaphore>>,
    draining: AtomicBool,
    env: Env,
    governance: Option<Arc<crate::budget::Governance>>,
}

impl Gateway {
    /// A gateway for `cfg`, reading `os.environ/VAR` keys from the process environment.
    pub fn new(cfg: &GatewayConfig) -> exllm::Result<Gateway> {
        Self::with_env(
            cfg,
            Arc::new(|k| std::env::var(k).ok().filter(|v| !v.is_empty())),
        )
    }

    /// A gateway for `cfg`, reading keys through `env`.
    pub fn with_env(cfg: &GatewayConfig, env: Env) -> exllm::Result<Gateway> {
        let backends = Backends::build(cfg, &env)?;
        let governance = crate::budget::Governance::build(cfg, &env)?;
        Ok(Gateway {
            inner: Arc::new(Shared {
                backends: RwLock::new(Arc::new(backends)),
                metrics: Metrics::default(),
                permits: RwLock::new(Arc::new(Semaphore::new(cfg.limits.max_concurrency))),
                draining: AtomicBool::new(false),
                env,
                governance,
            }),
        })
    }

    /// Swaps in a new config's models, keys and limits. Requests already running keep the
    /// backends and limits they started with; nothing is dropped. A new concurrency limit
    /// counts the requests that start after the reload (those running finish under the old
    /// one). On error the old config stays.
    pub fn reload(&self, cfg: &GatewayConfig) -> exllm::Result<()> {
        let fresh = Arc::new(Backends::build(cfg, &self.inner.env)?);
        if let Some(g) = &self.inner.governance {
            g.set_prices(cfg);
        }
        if self.limits().max_concurrency != cfg.limits.max_concurrency {
            *self
                .inner
                .permits
                .write()
                .unwrap_or_else(|p| p.into_inner()) =
                Arc::new(Semaphore::new(cfg.limits.max_concurrency));
        }
        *self
            .inner
            .backends
            .write()
            .unwrap_or_else(|p| p.into_inner()) = fresh;
        Ok(())
    }

    /// The current backends.
    pub fn backends(&self) -> Arc<Backends> {
        self.inner
            .backends
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The counters.
    pub fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }

    /// Virtual keys, budgets and the ledger, when `[governance]` is configured.
    pub fn governance(&self) -> Option<Arc<crate::budget::Governance>> {
        self.inner.governance.clone()
    }

    /// The current limits (the last loaded config's).
    pub fn limits(&self) -> Limits {
        self.inner
            .backends
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .limits
            .clone()
    }

    /// A request permit, or `None` when as many requests as allowed are running.
    pub fn try_permit(&self) -> Option<tokio::sync::OwnedSemaphorePermit> {
        let permits = self
            .inner
            .permits
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        permits.try_acquire_owned().ok()
    }

    /// Whether shutdown began (`/health/ready` answers 503 then).
    pub fn is_draining(&self) -> bool {
        self.inner.draining.load(Ordering::Relaxed)
    }

    /// The routes.
    pub fn app(&self) -> axum::Router {
        axum::Router::new()
            .route("/v1/chat/completions", post(chat::<OpenAiChat>))
            .route("/chat/completions", post(chat::<OpenAiChat>))
            .route("/v1/messages", post(chat::<AnthropicMessages>))
            .route("/v1/messages/count_tokens", post(tokens::anthropic_count))
            .route("/v1/responses", post(chat::<OpenAiResponses>))
            .route("/v1/responses/input_tokens", post(tokens::responses_count))
            .route("/v1/models", get(misc::models))
            .route("/v1/embeddings", post(misc::embeddings))
            .route("/v1/images/generations", post(media::images))
            .route("/v1/audio/transcriptions", post(media::transcriptions))
            .route("/v1/audio/translations", post(media::translations))
            .route("/v1/audio/speech", post(media::speech))
            .route("/v1/moderations", post(media::moderations))
            .route("/v1/rerank", post(media::rerank))
            .route("/v1/files", post(files::upload).get(files::list_files))
            .route(
                "/v1/files/{id}",
                get(files::get_file).delete(files::delete_file),
            )
            .route("/v1/files/{id}/content", get(files::file_content))
            .route(
                "/v1/batches",
                post(files::create_batch).get(files::list_batches),
            )
            .route("/v1/batches/{id}", get(files::get_batch))
            .route("/v1/batches/{id}/cancel", post(files::cancel_batch))
            .route("/health/live", get(misc::live))
            .route("/health/ready", get(misc::ready))
            .route("/metrics", get(misc::metrics))
            .route("/key/generate", post(admin::generate))
            .route("/key/list", get(admin::list))
            .route("/key/info", get(admin::info))
            .route("/key/regenerate", post(admin::regenerate))
            .route("/key/delete", post(admin::delete))
            .route("/spend/logs", get(admin::spend))
            .layer(axum::middleware::from_fn(misc::access_log))
            .with_state(self.clone())
    }

    /// Serves on `listener` until `shutdown` resolves, then stops accepting, lets open
    /// requests and streams finish for up to `limits.shutdown_grace`, and returns.
    pub async fn serve(
        &self,
        listener: tokio::net::TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let me = self.clone();
        // The routes are made ready once, and each connection gets a cheap clone of them:
        // served directly, axum's router rebuilds its route table for every connection
        // (~12 KiB each, 3 MiB of the peak at 256 connections).
        let app = self.app().with_state(()).into_make_service();
        let server = axum::serve(listener, app).with_graceful_shutdown(async move {
            let _ = rx.await;
        });
        let mut server = Box::pin(server.into_future());
        tokio::select! {
            r = &mut server => return r,
            () = shutdown => {}
        }
        me.inner.draining.store(true, Ordering::Relaxed);
        let _ = tx.send(());
        let r = match tokio::time::timeout(self.limits().shutdown_grace, server).await {
            Ok(r) => r,
            Err(_) => {
                tracing::warn!("shutdown grace ended with requests still open; closing them");
                Ok(())
            }
        };
        if let Some(g) = self.governance() {
            // Every spend row of the requests that ended goes to disk before we return.
            let _ = tokio::task::spawn_blocking(move || g.ledger.flush()).await;
        }
        r
    }
}

/// `exllm serve`: loads `config`, listens on `addr`, reloads the config on SIGHUP, and
/// shuts down gracefully on Ctrl-C or SIGTERM.
pub async fn run(config: &Path, addr: std::net::SocketAddr) -> exllm::Result<()> {
    let cfg = GatewayConfig::load(config)?;
    let gateway = Gateway::new(&cfg)?;
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| {
        exllm::Error::new(
            exllm::ErrorKind::Config,
            format!("cannot listen on {addr}: {e}"),
        )
    })?;
    let local = listener.local_addr().unwrap_or(addr);
    eprintln!("exllm serve: listening on http://{local}");
    spawn_reload(gateway.clone(), config.to_owned());
    gateway
        .serve(listener, shutdown_signal())
        .await
        .map_err(|e| exllm::Error::new(exllm::ErrorKind::Network, format!("server: {e}")))
}

#[cfg(unix)]
fn spawn_reload(gateway: Gateway, path: PathBuf) {
    use tokio::signal::unix::{signal, SignalKind};
    let Ok(mut hup) = signal(SignalKind::hangup()) else {
        tracing::warn!("cannot listen for SIGHUP; config reload is off");
        return;
    };
    tokio::spawn(async move {
        while hup.recv().await.is_some() {
            match GatewayConfig::load(&path).and_then(|cfg| gateway.reload(&cfg)) {
                Ok(()) => tracing::info!("reloaded {}", path.display()),
                Err(e) => tracing::error!(
                    "reload of {} failed, keeping the old config: {e}",
                    path.display()
                ),
            }
        }
    });
}

#[cfg(not(unix))]
fn spawn_reload(_gateway: Gateway, _path: PathBuf) {}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}
