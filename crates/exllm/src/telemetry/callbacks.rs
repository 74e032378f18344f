//! The caller's hooks. Every hook is async with a do-nothing default, and [`Callbacks`] runs
//! them so that an error or a panic inside one is logged, never passed on to the call.

use crate::error::Error;
use crate::types::{ChatRequest, ChatResponse, StreamEvent};
use futures_util::future::BoxFuture;
use futures_util::FutureExt;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// One call, as the hooks see it.
#[derive(Debug, Clone)]
pub struct CallInfo {
    /// Numbers the calls of this process.
    pub id: u64,
    /// `chat` or `chat_stream`.
    pub operation: &'static str,
    /// The provider name.
    pub provider: String,
    /// The model, without the provider prefix.
    pub model: String,
    /// When the call started.
    pub started: Instant,
}

impl CallInfo {
    pub(crate) fn new(operation: &'static str, provider: &str, model: &str) -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        CallInfo {
            id: NEXT.fetch_add(1, Ordering::Relaxed),
            operation,
            provider: provider.to_owned(),
            model: model.to_owned(),
            started: Instant::now(),
        }
    }
}

/// A retry about to happen.
#[derive(Debug)]
pub struct RetryInfo<'a> {
    /// The provider.
    pub provider: &'a str,
    /// The retry's number (1 for the first retry).
    pub attempt: u32,
    /// How long it waits first.
    pub delay: Duration,
    /// The failure that causes it.
    pub error: &'a Error,
}

/// Hooks into every call. Implement the ones you need.
///
/// ```
/// use exllm::telemetry::{CallInfo, Callback};
/// use futures_util::future::BoxFuture;
/// struct Log;
/// impl Callback for Log {
///     fn on_response<'a>(&'a self, call: &'a CallInfo, resp: &'a exllm::ChatResponse) -> BoxFuture<'a, ()> {
///         Box::pin(async move { println!("{} answered: {}", call.model, resp.text()) })
///     }
/// }
/// let client = exllm::Client::builder().callback(Log).build().unwrap();
/// # drop(client);
/// ```
pub trait Callback: Send + Sync + 'static {
    /// Before the request is sent.
    fn on_request<'a>(&'a self, _call: &'a CallInfo, _req: &'a ChatRequest) -> BoxFuture<'a, ()> {
        Box::pin(async {})
    }
    /// A whole answer (for a stream: the collected answer, after its last event).
    fn on_response<'a>(
        &'a self,
        _call: &'a CallInfo,
        _resp: &'a ChatResponse,
    ) -> BoxFuture<'a, ()> {
        Box::pin(async {})
    }
    /// Each event of a stream, in order.
    fn on_stream_event<'a>(
        &'a self,
        _call: &'a CallInfo,
        _event: &'a StreamEvent,
    ) -> BoxFuture<'a, ()> {
        Box::pin(async {})
    }
    /// The call failed.
    fn on_error<'a>(&'a self, _call: &'a CallInfo, _error: &'a Error) -> BoxFuture<'a, ()> {
        Box::pin(async {})
    }
    /// A failed attempt is about to be retried.
    fn on_retry<'a>(&'a self, _retry: &'a RetryInfo<'a>) -> BoxFuture<'a, ()> {
        Box::pin(async {})
    }
}

/// The registered callbacks, run in order. Cheap to clone.
#[derive(Clone, Default)]
pub struct Callbacks(Arc<Vec<Arc<dyn Callback>>>);

impl std::fmt::Debug for Callbacks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Callbacks({})", self.0.len())
    }
}

impl Callbacks {
    pub(crate) fn push(&mut self, c: Arc<dyn Callback>) {
        Arc::make_mut(&mut self.0).push(c);
    }

    /// Whether none are registered.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    async fn each<'a>(&'a self, hook: &str, f: impl Fn(&'a dyn Callback) -> BoxFuture<'a, ()>) {
        for c in self.0.iter() {
            if AssertUnwindSafe(f(c.as_ref()))
                .catch_unwind()
                .await
                .is_err()
            {
                tracing::warn!(hook, "a callback panicked; the call goes on");
            }
        }
    }

    pub(crate) async fn request(&self, call: &CallInfo, req: &ChatRequest) {
        self.each("on_request", |c| c.on_request(call, req)).await
    }

    pub(crate) async fn response(&self, call: &CallInfo, resp: &ChatResponse) {
        self.each("on_response", |c| c.on_response(call, resp))
            .await
    }

    pub(crate) async fn event(&self, call: &CallInfo, event: &StreamEvent) {
        self.each("on_stream_event", |c| c.on_stream_event(call, event))
            .await
    }

    pub(crate) async fn error(&self, call: &CallInfo, error: &Error) {
        self.each("on_error", |c| c.on_error(call, error)).await
    }

    pub(crate) async fn retry(&self, retry: &RetryInfo<'_>) {
        self.each("on_retry", |c| c.on_retry(retry)).await
    }
}
