//! An HTTP provider: a codec, an endpoint and the shared transport, with retries before the
//! answer starts. Nothing here is specific to any provider.

use super::builder::ClientBuilder;
use super::{Backend, ChatStream};
use crate::error::{Error, ErrorKind, Result, TimeoutKind};
use crate::provider::{Auth, Codec, Encoded, Endpoint, ListedModel};
use crate::telemetry::{Callbacks, Redactor, RetryInfo};
use crate::transport::{
    limit, Breaker, BreakerPolicy, BreakerState, FramedStream, HttpTransport, RetryPolicy, Timeouts,
};
use crate::types::{
    ChatRequest, ChatResponse, EmbedRequest, EmbedResponse, ImageRequest, ImageResponse,
    ModerationRequest, ModerationResponse, RerankRequest, RerankResponse, SpeechRequest,
    SpeechResponse, StreamEvent, Transcription, TranscriptionRequest, Warning,
};
use futures_util::future::BoxFuture;
use futures_util::StreamExt;
use std::sync::Arc;

mod jobs;
mod media;
mod raw;
mod steps;

pub use raw::{RawAnswer, RawBody, RawRequest};

/// A provider reached over HTTP through a codec.
#[derive(Clone)]
pub struct HttpBackend {
    inner: Arc<Shared>,
    timeouts: Timeouts,
    callbacks: Callbacks,
    redactor: Arc<Redactor>,
}

struct Shared {
    codec: &'static dyn Codec,
    endpoint: Endpoint,
    resolved: tokio::sync::OnceCell<Endpoint>,
    transport: HttpTransport,
    retry: RetryPolicy,
    breaker: Breaker,
}

/// Shows the API and endpoint (its key and header values hidden).
impl std::fmt::Debug for HttpBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpBackend")
            .field("api", &self.inner.codec.api())
            .field("endpoint", &self.inner.endpoint)
            .field("timeouts", &self.timeouts)
            .finish_non_exhaustive()
    }
}

impl HttpBackend {
    /// A provider speaking `codec` at `endpoint`, with the default circuit breaker.
    pub fn new(
        codec: &'static dyn Codec,
        endpoint: Endpoint,
        transport: HttpTransport,
        retry: RetryPolicy,
    ) -> Self {
        Self::with_breaker(codec, endpoint, transport, retry, BreakerPolicy::default())
    }

    /// A provider with its own circuit-breaker policy.
    pub fn with_breaker(
        codec: &'static dyn Codec,
        endpoint: Endpoint,
        transport: HttpTransport,
        retry: RetryPolicy,
        breaker: BreakerPolicy,
    ) -> Self {
        HttpBackend {
            inner: Arc::new(Shared {
                codec,
                endpoint,
                resolved: tokio::sync::OnceCell::new(),
                transport,
                retry,
                breaker: Breaker::new(breaker),
            }),
            timeouts: Timeouts::default(),
            callbacks: Callbacks::default(),
            redactor: Arc::new(Redactor::default()),
        }
        .with_redactor(Redactor::default())
    }

    /// Sets what debug logs of requests and responses redact (the endpoint's key is always
    /// added).
    pub fn with_redactor(mut self, redactor: Redactor) -> Self {
        let ep = &self.inner.endpoint;
        let mut redactor = match &ep.auth {
            Auth::Bearer(k) => redactor.with_secret(k.expose()),
            Auth::Header { value, .. } => redactor.with_secret(value.expose()),
            _ => redactor,
        };
        for (name, value) in &ep.headers {
            if crate::types::is_credential_header(name) {
                redactor = redactor.with_secret(value.expose());
            }
        }
        self.redactor = Arc::new(redactor);
        self
    }

    /// Sets the callbacks told of each retry.
    pub fn with_callbacks(mut self, callbacks: Callbacks) -> Self {
        self.callbacks = callbacks;
        self
    }

    /// Sets the time-to-first-byte, stall and total timeouts of calls that do not set their
    /// own (the connect timeout is the transport's).
    pub fn with_timeouts(mut self, timeouts: Timeouts) -> Self {
        self.timeouts = timeouts;
        self
    }

    /// The endpoint requests go to.
    pub fn endpoint(&self) -> &Endpoint {
        &self.inner.endpoint
    }

    /// Builds a known provider from the registry, the builder's overrides and the environment.
    pub(crate) fn from_registry(
        name: &str,
        b: &ClientBuilder,
        transport: HttpTransport,
    ) -> Result<Self> {
        let (endpoint, api) = super::endpoint::build(name, b)?;
        Ok(Self::with_breaker(
            api.codec(),
            endpoint,
            transport,
            b.retry.clone(),
            b.breaker.clone(),
        )
        .with_timeouts(b.timeouts)
        .with_callbacks(b.callbacks.clone())
        .with_redactor(b.redactor.clone()))
    }

    /// The endpoint with the placeholders its signer resolves filled in (an AWS region from
    /// the profile, a Google project from the credentials), at first use.
    async fn resolved(&self) -> Result<&Endpoint> {
        let s = &self.inner;
        let Auth::Signer(signer) = &s.endpoint.auth else {
            return Ok(&s.endpoint);
        };
        if !s.endpoint.base_url.contains('{') {
            return Ok(&s.endpoint);
        }
        s.resolved
            .get_or_try_init(|| async {
                let mut ep = s.endpoint.clone();
                while let Some(name) = super::endpoint::placeholder(&ep.base_url) {
                    let value = signer.resolve(&name).await?.ok_or_else(|| {
                        Error::new(
                            ErrorKind::Config,
                            format!("the base URL needs a value for `{{{name}}}`"),
                        )
                        .with_provider(ep.provider.clone())
                    })?;
                    ep.base_url = ep.base_url.replace(&format!("{{{name}}}"), &value);
                }
                Ok(ep)
            })
            .await
    }

    /// The policy of a call of `req` (`None`: listing, embeddings and other calls without
    /// per-request settings).
    fn policy(&self, req: Option<&ChatRequest>) -> CallPolicy {
        CallPolicy {
            timeouts: req.and_then(|r| r.timeouts).unwrap_or(self.timeouts),
            retry: req
                .and_then(|r| r.retry.clone())
                .unwrap_or_else(|| self.inner.retry.clone()),
        }
    }

    /// Logs a request at debug level: URL, headers and body, credentials redacted.
    fn log_request(&self, r: &http::Request<bytes::Bytes>) {
        let body = String::from_utf8_lossy(r.body());
        tracing::debug!(
            provider = %self.inner.endpoint.provider,
            method = %r.method(),
            url = %self.redactor.url(&r.uri().to_string()),
            headers = %self.redactor.headers(r.headers()),
            body = %self.redactor.redact(&body),
            "request"
        );
    }

    /// The stream answering `req` sent as `model` (the request's own `model` is not read).
    async fn open_stream(&self, req: &ChatRequest, model: &str) -> Result<ChatStream> {
        let s = &self.inner;
        self.check_media(req)?;
        let t = self.policy(Some(req));
        if s.codec.has_steps() {
            // Multi-step APIs read the model from the request.
            return self.stream_steps(&t, &req.for_model(model)).await;
        }
        let deadline = t.timeouts.total.map(|d| tokio::time::Instant::now() + d);
        let send = self.send(&t, |ep| s.codec.encode(req, model, ep, true));
        let (resp, notes) = limit(
            t.timeouts.total,
            TimeoutKind::Total,
            &s.endpoint.provider,
            send,
        )
        .await?;
        Ok(noted(notes, self.events(resp, &t, deadline)))
    }

    /// A streamed answer's events: framed and decoded by the codec, failed by the stall
    /// timeout and the call's deadline, complete at its `Finish`.
    fn events(
        &self,
        resp: reqwest::Response,
        t: &CallPolicy,
        deadline: Option<tokio::time::Instant>,
    ) -> FramedStream<StreamEvent> {
        let s = &self.inner;
        FramedStream::new(
            resp,
            s.codec.framing().framer(),
            s.codec.stream_decoder(),
            s.endpoint.provider.clone(),
        )
        .with_limits(t.timeouts.stall, deadline)
        .complete_after(|e| matches!(e, StreamEvent::Finish(_)))
    }

    /// A whole answer to `req` sent as `model` (the request's own `model` is not read).
    async fn answer(&self, req: &ChatRequest, model: &str) -> Result<ChatResponse> {
        let codec = self.inner.codec;
        self.check_media(req)?;
        let t = self.policy(Some(req));
        let (mut out, notes) = if codec.has_steps() {
            // Multi-step APIs read the model from the request.
            self.chat_steps(&t, &req.for_model(model)).await?
        } else {
            self.call_within(
                &t,
                |ep| codec.encode(req, model, ep, false),
                |b| codec.decode(b),
            )
            .await?
        };
        if notes.retries > 0 {
            out.provider_meta
                .insert(RETRIES.into(), notes.retries.into());
        }
        if let Some(l) = notes.limits {
            out.provider_meta.insert(
                crate::provider::RATE_LIMITS_KEY.into(),
                serde_json::to_value(l).unwrap_or_default(),
            );
        }
        out.warnings.splice(0..0, notes.warnings);
        Ok(out)
    }

    /// Refuses, before anything is encoded or sent, chat on a server without chat (an
    /// embeddings service) and media the API cannot take.
    fn check_media(&self, req: &ChatRequest) -> Result<()> {
        if !self.inner.endpoint.quirks.chat {
            let name = &self.inner.endpoint.provider;
            return Err(Error::new(
                ErrorKind::Unsupported,
                format!("{name} has no chat API (it serves embeddings and reranking)"),
            )
            .with_provider(name.clone()));
        }
        crate::provider::check_media(self.inner.codec.api(), req)
            .map_err(|e| e.with_provider(self.inner.endpoint.provider.clone()))
    }

    /// Takes the key out of an error's text, should the server have echoed it.
    fn redact(&self, e: Error) -> Error {
        match &self.inner.endpoint.auth {
            Auth::Bearer(k) => e.redact(k.expose()),
            Auth::Header { value, .. } => e.redact(value.expose()),
            _ => e,
        }
    }

    /// Encodes and sends, retrying failures that happen before any answer arrived.
    async fn send(
        &self,
        t: &CallPolicy,
        encode: impl Fn(&Endpoint) -> Result<Encoded>,
    ) -> Result<(reqwest::Response, Notes)> {
        self.send_once(t, encode).await.map_err(|e| self.redact(e))
    }

    /// Encodes (with the resolved endpoint) and sends, retrying failures that happen before
    /// any answer arrived.
    async fn send_once(
        &self,
        t: &CallPolicy,
        encode: impl Fn(&Endpoint) -> Result<Encoded>,
    ) -> Result<(reqwest::Response, Notes)> {
        let s = &self.inner;
        let ep = self.resolved().await?;
        // Each attempt sends a request of its own, encoded anew for a retry (encoding is pure
        // and cheap next to a retry's wait): the first attempt moves the request into the
        // transport rather than copying its headers, and a signer signs each attempt afresh
        // (signatures and tokens expire).
        let mut next = Some(encode(ep)?);
        let mut retry = 0;
        let mut last: Option<Error> = None;
        loop {
            if let Err(wait) = s.breaker.admit(std::time::Instant::now()) {
                // Within a call's retries the last real error says more than "circuit open".
                return Err(last.unwrap_or_else(|| circuit_open(&ep.provider, wait)));
            }
            let enc = match next.take() {
                Some(enc) => enc,
                None => encode(ep)?,
            };
            let Encoded {
                mut request,
                warnings,
            } = enc;
            if let Auth::Signer(signer) = &ep.auth {
                signer.sign(&mut request).await?;
            }
            if tracing::enabled!(tracing::Level::DEBUG) {
                self.log_request(&request);
            }
            let sent = limit(
                t.timeouts.first_byte,
                TimeoutKind::FirstByte,
                &ep.provider,
                Box::pin(s.transport.send(request, &ep.provider)),
            );
            match sent.await {
                Ok(resp) => {
                    s.breaker.success();
                    let notes = Notes {
                        warnings,
                        retries: retry,
                        limits: crate::provider::RateLimits::from_headers(resp.headers()),
                    };
                    return Ok((resp, notes));
                }
                Err(e) if e.is_retryable() => {
                    s.breaker.failure(std::time::Instant::now());
                    match t.retry.delay(retry, e.retry_after()) {
                        Some(delay) => {
                            tracing::warn!(
                                provider = %ep.provider,
                                attempt = retry + 1,
                                delay_ms = delay.as_millis() as u64,
                                reason = %e,
                                "retrying"
                            );
                            let info = RetryInfo {
                                provider: &ep.provider,
                                attempt: retry + 1,
                                delay,
                                error: &e,
                            };
                            self.callbacks.retry(&info).await;
                            tokio::time::sleep(delay).await;
                            retry += 1;
                            last = Some(e);
                        }
                        None => return Err(e),
                    }
                }
                Err(e) => {
                    // A token the server refused (revoked, expired early) is not used again.
                    if let (Some(401), Auth::Signer(signer)) = (e.status(), &ep.auth) {
                        signer.rejected();
                    }
                    return Err(e);
                }
            }
        }
    }

    /// Sends a non-streaming request and decodes its body.
    async fn call<T>(
        &self,
        encode: impl Fn(&Endpoint) -> Result<Encoded>,
        decode: impl FnOnce(&[u8]) -> Result<T>,
    ) -> Result<(T, Notes)> {
        self.call_within(&self.policy(None), encode, decode).await
    }

    /// [`HttpBackend::call`] with these timeouts, the total one around all of it.
    async fn call_within<T>(
        &self,
        t: &CallPolicy,
        encode: impl Fn(&Endpoint) -> Result<Encoded>,
        decode: impl FnOnce(&[u8]) -> Result<T>,
    ) -> Result<(T, Notes)> {
        let provider = &self.inner.endpoint.provider;
        limit(
            t.timeouts.whole_call(),
            TimeoutKind::Total,
            provider,
            async {
                let (resp, notes) = self.send(t, encode).await?;
                let body = self.inner.transport.read_body(resp, provider).await?;
                tracing::debug!(
                    provider = %provider,
                    body = %self.redactor.redact(&String::from_utf8_lossy(&body)),
                    "response"
                );
                let out =
                    decode(&body).map_err(|e| self.redact(e.with_provider(provider.clone())))?;
                Ok((out, notes))
            },
        )
        .await
    }
}

/// The `provider_meta` key counting the retries a call needed (absent when it needed none).
pub const RETRIES: &str = "exllm_retries";

/// The timeouts and retry policy of one call: the request's own, else the provider's.
struct CallPolicy {
    timeouts: Timeouts,
    retry: RetryPolicy,
}

/// What sending learnt besides the response: encoding warnings and the retries it took.
struct Notes {
    warnings: Vec<Warning>,
    retries: u32,
    /// The rate limits the response's headers announced (the router learns from them).
    limits: Option<crate::provider::RateLimits>,
}

/// A stream that opens with what sending learnt: the encoder's warnings and the retries it
/// took.
fn noted(
    notes: Notes,
    events: impl futures_core::Stream<Item = Result<StreamEvent>> + Send + 'static,
) -> ChatStream {
    let retries = (notes.retries > 0).then(|| StreamEvent::Metadata {
        key: RETRIES.into(),
        value: notes.retries.into(),
    });
    let limits = notes.limits.map(|l| StreamEvent::Metadata {
        key: crate::provider::RATE_LIMITS_KEY.into(),
        value: serde_json::to_value(l).unwrap_or_default(),
    });
    let head = notes
        .warnings
        .into_iter()
        .map(StreamEvent::Warning)
        .chain(retries)
        .chain(limits)
        .map(Ok);
    ChatStream::new(futures_util::stream::iter(head).chain(events))
}

/// The error of a call the open breaker refused.
fn circuit_open(provider: &str, wait: std::time::Duration) -> Error {
    Error::new(
        ErrorKind::CircuitOpen,
        format!(
            "{provider} failed repeatedly; calls are refused for {:.1} s more (circuit breaker open)",
            wait.as_secs_f64()
        ),
    )
    .with_provider(provider)
    .with_retry_after(wait)
}

impl Backend for HttpBackend {
    fn as_http(&self) -> Option<&HttpBackend> {
        Some(self)
    }

    fn api(&self) -> Option<crate::provider::Api> {
        Some(self.inner.codec.api())
    }

    fn health(&self) -> Option<BreakerState> {
        Some(self.inner.breaker.state())
    }

    fn cache_scope(&self) -> BoxFuture<'_, Result<crate::cache::CacheScope>> {
        Box::pin(async move {
            let ep = self.resolved().await?;
            let mut base = ep.base_url.clone();
            for (k, v) in &ep.query {
                base.push_str(&format!("\n{k}={v}"));
            }
            // The key and every extra header (which may carry keys, organisations, betas)
            // count as the credential: only their keyed hash reaches the cache key.
            let mut credential = String::new();
            match &ep.auth {
                Auth::Bearer(k) => credential.push_str(k.expose()),
                Auth::Header { name, value } => {
                    credential.push_str(name);
                    credential.push(':');
                    credential.push_str(value.expose());
                }
                Auth::Signer(s) => credential.push_str(&format!("{s:?}")),
                _ => {}
            }
            let mut headers: Vec<_> = ep.headers.iter().collect();
            headers.sort_by(|a, b| a.0.cmp(&b.0));
            for (k, v) in headers {
                credential.push_str(&format!("\n{}:{}", k.to_ascii_lowercase(), v.expose()));
            }
            Ok(crate::cache::CacheScope::new(
                ep.provider.clone(),
                base,
                self.inner.codec.api().as_str(),
            )
            .with_credential(Some(credential.into())))
        })
    }

    fn chat(&self, req: ChatRequest) -> BoxFuture<'static, Result<ChatResponse>> {
        let this = self.clone();
        Box::pin(async move { this.answer(&req, &req.model).await })
    }

    fn chat_as<'a>(
        &'a self,
        req: &'a ChatRequest,
        model: &'a str,
    ) -> BoxFuture<'a, Result<ChatResponse>> {
        Box::pin(self.answer(req, model))
    }

    fn chat_stream(&self, req: ChatRequest) -> BoxFuture<'static, Result<ChatStream>> {
        let this = self.clone();
        Box::pin(async move { this.open_stream(&req, &req.model).await })
    }

    fn chat_stream_as<'a>(
        &'a self,
        req: &'a ChatRequest,
        model: &'a str,
    ) -> BoxFuture<'a, Result<ChatStream>> {
        Box::pin(self.open_stream(req, model))
    }

    fn list_models(&self) -> BoxFuture<'static, Result<Vec<ListedModel>>> {
        let this = self.clone();
        Box::pin(async move {
            let codec = this.inner.codec;
            let mut models = Vec::new();
            let mut token: Option<String> = None;
            // Paged listings are followed to the end (bounded, should a server loop).
            for _ in 0..100 {
                let encode = |ep: &Endpoint| {
                    let request = match &token {
                        Some(t) => codec.list_models_page(ep, t)?,
                        None => codec.list_models(ep)?,
                    };
                    Ok(Encoded {
                        request,
                        warnings: Vec::new(),
                    })
                };
                let decode = |b: &[u8]| Ok((codec.decode_models(b)?, codec.next_models_page(b)));
                let ((page, next), _) = this.call(encode, decode).await?;
                models.extend(page);
                match next {
                    Some(t) if Some(&t) != token.as_ref() => token = Some(t),
                    _ => break,
                }
            }
            Ok(models)
        })
    }

    fn embed(&self, req: EmbedRequest) -> BoxFuture<'static, Result<EmbedResponse>> {
        let this = self.clone();
        Box::pin(async move {
            let codec = this.inner.codec;
            let limit = codec.embed_batch_limit(&req.model).max(1);
            let mut out = EmbedResponse::default();
            // Batches go one after another so the vectors come back in input order.
            for chunk in req.inputs.chunks(limit) {
                let batch = EmbedRequest {
                    inputs: chunk.to_vec(),
                    ..req.clone()
                };
                let (mut part, notes) = this
                    .call(
                        |ep| codec.encode_embed(&batch, &batch.model, ep),
                        |b| codec.decode_embed(b),
                    )
                    .await?;
                if part.embeddings.len() != chunk.len() {
                    return Err(Error::new(
                        ErrorKind::Decode,
                        format!(
                            "asked for {} embeddings, got {}",
                            chunk.len(),
                            part.embeddings.len()
                        ),
                    )
                    .with_provider(this.inner.endpoint.provider.clone()));
                }
                part.warnings.extend(notes.warnings);
                out.extend(part);
            }
            Ok(out)
        })
    }

    fn rerank(&self, req: RerankRequest) -> BoxFuture<'static, Result<RerankResponse>> {
        let this = self.clone();
        Box::pin(async move {
            let codec = this.inner.codec;
            Ok(this
                .call(
                    |ep| codec.encode_rerank(&req, &req.model, ep),
                    |b| codec.decode_rerank(b),
                )
                .await?
                .0)
        })
    }

    fn generate_image(&self, req: ImageRequest) -> BoxFuture<'static, Result<ImageResponse>> {
        let this = self.clone();
        Box::pin(async move { this.image_call(req).await })
    }

    fn transcribe(&self, req: TranscriptionRequest) -> BoxFuture<'static, Result<Transcription>> {
        let this = self.clone();
        Box::pin(async move { this.transcribe_call(req).await })
    }

    fn speak(&self, req: SpeechRequest) -> BoxFuture<'static, Result<SpeechResponse>> {
        let this = self.clone();
        Box::pin(async move { this.speech_call(req).await })
    }

    fn speak_stream(&self, req: SpeechRequest) -> BoxFuture<'static, Result<super::SpeechStream>> {
        let this = self.clone();
        Box::pin(async move { this.speech_stream_call(req).await })
    }

    fn moderate(&self, req: ModerationRequest) -> BoxFuture<'static, Result<ModerationResponse>> {
        let this = self.clone();
        Box::pin(async move { this.moderate_call(req).await })
    }
}
