//! The one public error type. Opaque struct with accessors (like reqwest's), so kinds can grow
//! without breaking callers: `kind()`, `status()`, `is_retryable()`, `retry_after()`, the
//! provider's own message and code, the request id, and the partial answer of a broken stream.

use crate::types::ChatResponse;
use std::fmt;
use std::time::Duration;

/// What went wrong, in categories a caller can act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Bad or missing configuration: no API key, unknown provider, bad base URL.
    Config,
    /// The request is invalid before anything was sent.
    InvalidInput,
    /// The provider or model does not offer this operation or input.
    Unsupported,
    /// 401/403: the credentials were rejected.
    Auth,
    /// 400/422: the provider rejected the request.
    BadRequest,
    /// 404: unknown model or path.
    NotFound,
    /// The prompt is longer than the model's context window.
    ContextLength,
    /// 429: too many requests (retryable).
    RateLimit,
    /// The account's quota or credit is exhausted (not retryable).
    QuotaExceeded,
    /// 5xx from the provider (retryable).
    Server,
    /// The provider is overloaded (Anthropic 529; retryable).
    Overloaded,
    /// A timeout.
    Timeout,
    /// Connection failure or reset.
    Network,
    /// The provider sent something that could not be decoded.
    Decode,
    /// The stream ended before the answer was complete.
    Truncated,
    /// The response body was larger than the configured limit.
    TooLarge,
    /// Any other HTTP error status.
    Http,
    /// The provider's circuit breaker is open after repeated failures: the call was not sent
    /// ([`Error::retry_after`] says when a probe will be let through).
    CircuitOpen,
    /// A guardrail ([`crate::guardrails`]) blocked the request or the answer; the message and
    /// [`Error::code`] name the rule, never the text it matched.
    Guardrail,
}

impl ErrorKind {
    /// Whether an error of this kind may succeed on retry.
    pub fn is_retryable(self) -> bool {
        matches!(
            self,
            ErrorKind::RateLimit
                | ErrorKind::Server
                | ErrorKind::Overloaded
                | ErrorKind::Timeout
                | ErrorKind::Network
        )
    }
}

/// exllm's error.
///
/// ```
/// use exllm::{Error, ErrorKind};
/// let e = Error::new(ErrorKind::RateLimit, "slow down").with_status(429);
/// assert!(e.is_retryable());
/// assert_eq!(e.status(), Some(429));
/// ```
pub struct Error {
    inner: Box<Inner>,
}

struct Inner {
    kind: ErrorKind,
    message: String,
    status: Option<u16>,
    provider: Option<String>,
    code: Option<String>,
    request_id: Option<String>,
    retry_after: Option<Duration>,
    body: Option<String>,
    partial: Option<ChatResponse>,
    timeout: Option<TimeoutKind>,
    recovery_id: Option<String>,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

/// Which of a call's timeouts expired ([`Error::timeout_kind`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TimeoutKind {
    /// The connection could not be set up in time.
    Connect,
    /// Connected, but no response arrived in time (nothing was received: safe to retry).
    FirstByte,
    /// A response started, then nothing more arrived for too long.
    Stall,
    /// The whole call took longer than allowed (not retried: the time is spent).
    Total,
}

impl Error {
    /// An error of `kind` with a message.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            inner: Box::new(Inner {
                kind,
                message: message.into(),
                status: None,
                provider: None,
                code: None,
                request_id: None,
                retry_after: None,
                body: None,
                partial: None,
                timeout: None,
                recovery_id: None,
                source: None,
            }),
        }
    }

    /// Sets the HTTP status.
    pub fn with_status(mut self, status: u16) -> Self {
        self.inner.status = Some(status);
        self
    }

    /// Sets the provider name.
    pub fn with_provider(mut self, provider: impl Into<String>) -> Self {
        self.inner.provider = Some(provider.into());
        self
    }

    /// Sets the provider's error code or type.
    pub fn with_code(mut self, code: impl Into<String>) -> Self {
        self.inner.code = Some(code.into());
        self
    }

    /// Sets the provider's request id.
    pub fn with_request_id(mut self, id: impl Into<String>) -> Self {
        self.inner.request_id = Some(id.into());
        self
    }

    /// Sets how long the provider asked us to wait.
    pub fn with_retry_after(mut self, d: Duration) -> Self {
        self.inner.retry_after = Some(d);
        self
    }

    /// Keeps the raw error body.
    pub fn with_body(mut self, body: impl Into<String>) -> Self {
        self.inner.body = Some(body.into());
        self
    }

    /// Attaches what was received before a stream broke.
    pub fn with_partial(mut self, partial: ChatResponse) -> Self {
        self.inner.partial = Some(partial);
        self
    }

    /// Marks the error as the expiry of one of the call's timeouts.
    pub fn with_timeout_kind(mut self, kind: TimeoutKind) -> Self {
        self.inner.timeout = Some(kind);
        self
    }

    /// Sets the id under which the partial answer of a broken stream was kept.
    pub fn with_recovery_id(mut self, id: impl Into<String>) -> Self {
        self.inner.recovery_id = Some(id.into());
        self
    }

    /// Sets the underlying cause.
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.inner.source = Some(Box::new(source));
        self
    }

    /// Replaces every occurrence of `secret` in the message and body with `***` (a server
    /// that echoes the key back must not make it leak into logs).
    pub(crate) fn redact(mut self, secret: &str) -> Self {
        if secret.len() >= 4 {
            if self.inner.message.contains(secret) {
                self.inner.message = self.inner.message.replace(secret, "***");
            }
            if let Some(b) = &mut self.inner.body {
                if b.contains(secret) {
                    *b = b.replace(secret, "***");
                }
            }
        }
        self
    }

    /// The error's kind.
    pub fn kind(&self) -> ErrorKind {
        self.inner.kind
    }

    /// The message: the provider's own text for provider errors.
    pub fn message(&self) -> &str {
        &self.inner.message
    }

    /// The HTTP status, for HTTP errors.
    pub fn status(&self) -> Option<u16> {
        self.inner.status
    }

    /// The provider that answered.
    pub fn provider(&self) -> Option<&str> {
        self.inner.provider.as_deref()
    }

    /// The provider's error code or type (`insufficient_quota`, `overloaded_error`, ...).
    pub fn code(&self) -> Option<&str> {
        self.inner.code.as_deref()
    }

    /// The provider's request id, for support tickets.
    pub fn request_id(&self) -> Option<&str> {
        self.inner.request_id.as_deref()
    }

    /// How long the provider asked us to wait before retrying.
    pub fn retry_after(&self) -> Option<Duration> {
        self.inner.retry_after
    }

    /// The raw error body, when there was one.
    pub fn body(&self) -> Option<&str> {
        self.inner.body.as_deref()
    }

    /// What had been received before a stream broke (nothing is lost).
    pub fn partial(&self) -> Option<&ChatResponse> {
        self.inner.partial.as_ref()
    }

    /// Takes the partial answer out.
    pub fn take_partial(&mut self) -> Option<ChatResponse> {
        self.inner.partial.take()
    }

    /// Which timeout expired, for errors of kind [`ErrorKind::Timeout`] raised by exllm
    /// (`None` for a timeout the provider reported).
    pub fn timeout_kind(&self) -> Option<TimeoutKind> {
        self.inner.timeout
    }

    /// The id to pass to [`crate::Client::resume`] to continue a broken stream's answer.
    pub fn recovery_id(&self) -> Option<&str> {
        self.inner.recovery_id.as_deref()
    }

    /// Whether retrying may succeed.
    pub fn is_retryable(&self) -> bool {
        self.inner.kind.is_retryable() && self.inner.timeout != Some(TimeoutKind::Total)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &self.inner;
        let mut d = f.debug_struct("Error");
        d.field("kind", &i.kind).field("message", &i.message);
        if let Some(s) = i.status {
            d.field("status", &s);
        }
        if let Some(p) = &i.provider {
            d.field("provider", p);
        }
        if let Some(c) = &i.code {
            d.field("code", c);
        }
        if let Some(r) = &i.request_id {
            d.field("request_id", r);
        }
        if let Some(t) = &i.timeout {
            d.field("timeout", t);
        }
        if let Some(s) = &i.source {
            d.field("source", s);
        }
        d.finish()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &self.inner;
        if let Some(p) = &i.provider {
            write!(f, "{p}: ")?;
        }
        if let Some(s) = i.status {
            write!(f, "HTTP {s}: ")?;
        }
        f.write_str(&i.message)?;
        if let Some(src) = &i.source {
            write!(f, " ({src})")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.inner
            .source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// `Result` with exllm's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
