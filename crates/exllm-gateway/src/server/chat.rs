//! The chat route, generic over the caller's [`Format`]: auth, body limit, decoding, model
//! lookup, a concurrency permit, dispatch to the backend with the request timeout, and the
//! answer encoded back — whole, or as a stream that ends with the format's error event when
//! the backend breaks (or the timeout strikes) after the stream began.

use super::misc::{error_response, read_body};
use super::{Backend, Gateway};
use crate::budget::Ticket;
use crate::errors::{api_error, kind_label};
use crate::metrics::Outcome;
use crate::wire::{ApiError, Format, StreamEncoder};
use axum::body::Body;
use axum::extract::State;
use axum::response::Response;
use bytes::Bytes;
use exllm::{ChatStream, StreamEvent, Usage};
use futures_util::StreamExt;
use http::{header, HeaderMap, HeaderValue};
use std::time::Instant;
use tokio::sync::OwnedSemaphorePermit;

/// `POST` a chat request in format `F`.
pub async fn chat<F: Format>(
    State(gw): State<Gateway>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let t0 = Instant::now();
    let backends = gw.backends();
    let gov = gw.governance();
    let caller = match crate::budget::authenticate(gov.as_deref(), &backends, &headers) {
        Ok(c) => c,
        Err(e) => return error_response::<F>(&e),
    };
    let body = match read_body(body, &headers, gw.limits().max_body_bytes).await {
        Ok(b) => b,
        Err(e) => return error_response::<F>(&e),
    };
    let guard = match backends.guards.for_caller(&caller) {
        Ok(g) => g,
        Err(e) => return error_response::<F>(&e),
    };
    // A key's guardrails read and rewrite the messages and the answer: no bytes pass then;
    // nor do whole answers the response cache may hold.
    let peeked = guard
        .is_none()
        .then(|| crate::wire::pass::peek(&body))
        .flatten()
        .filter(|p| p.stream || backends.cache.is_none());
    if let Some(peek) = peeked {
        let target = backends
            .pass
            .get(&peek.model)
            .filter(|t| t.takes::<F>(&peek));
        if let (Some(target), Some(backend)) = (target, backends.models.get(&peek.model)) {
            let (target, backend) = (target.clone(), backend.clone());
            drop(backends);
            let call = super::pass::PassCall {
                target,
                backend,
                caller,
                peek,
                t0,
            };
            return super::pass::serve::<F>(gw, call, &headers, &body).await;
        }
    }
    let inbound = match F::decode_request(&body) {
        Ok(i) => i,
        Err(e) => return error_response::<F>(&e),
    };
    let name = inbound.request.model.clone();
    let Some(backend) = backends.models.get(&name).cloned() else {
        let e = ApiError {
            status: 404,
            kind: "not_found_error",
            message: format!("the model `{name}` is not served here"),
            retry_after: None,
        };
        return error_response::<F>(&e);
    };
    // Guarded keys never read the cache: their checks must see every request.
    let cache = backends
        .cache
        .clone()
        .filter(|_| guard.is_none() && !inbound.stream);
    drop(backends);
    let dep = deployment_of(&backend).to_owned();
    let Some(permit) = gw.try_permit() else {
        let e = overloaded();
        record_deployment(&gw, &name, &dep, t0, Err(&e), None, None);
        return error_response::<F>(&e);
    };
    let ticket = match gov {
        Some(g) => match g
            .admit_for(&caller, &name, &backend, &inbound.request)
            .await
        {
            Ok(t) => Some(t),
            Err(e) => {
                record_deployment(&gw, &name, &dep, t0, Err(&e), None, None);
                return error_response::<F>(&e);
            }
        },
        None => None,
    };
    let timeout = gw.limits().timeout;
    let cached = cache.and_then(|c| Some((c.key(&caller, &name, &inbound.request)?, c)));
    if let Some((key, c)) = &cached {
        if let Some(answer) = c.get(key).await {
            drop(permit);
            // Nothing was spent: the reservation comes back whole.
            settle(ticket, Some(&Usage::default()), 200, true);
            record_deployment(&gw, &name, "cache", t0, Ok(200), None, Some(0.0));
            let mut resp = json_response(F::encode_response(&answer, &name));
            resp.headers_mut()
                .insert("x-exllm-cache", HeaderValue::from_static("hit"));
            return resp;
        }
    }
    if !inbound.stream {
        let answer = match tokio::time::timeout(
            timeout,
            crate::guard::chat(guard.as_ref(), &backend, inbound.request),
        )
        .await
        {
            Ok(Ok(r)) => r,
            Ok(Err(err)) => {
                let e = api_error(&err);
                settle(ticket, None, e.status, false);
                record_deployment(&gw, &name, &dep, t0, Err(&e), None, None);
                return error_response::<F>(&e);
            }
            Err(_) => {
                let e = timed_out();
                settle(ticket, None, e.status, true);
                record_deployment(&gw, &name, &dep, t0, Err(&e), None, None);
                return error_response::<F>(&e);
            }
        };
        drop(permit);
        // A failure the provider reported inside a 200 (a failed Responses run): the
        // caller's format may have no way to say so in an answer, so it is an error.
        if let Some(failed) = &answer.error {
            let e = ApiError {
                status: 502,
                kind: "api_error",
                message: format!(
                    "the provider reported an error: {}{}",
                    failed.message,
                    failed
                        .code
                        .as_ref()
                        .map(|c| format!(" ({c})"))
                        .unwrap_or_default()
                ),
                retry_after: None,
            };
            settle(ticket, answer.usage.as_ref(), e.status, false);
            let by = answered_by(&answer, &dep);
            record_deployment(&gw, &name, by, t0, Err(&e), answer.usage.as_ref(), None);
            return error_response::<F>(&e);
        }
        settle(ticket, answer.usage.as_ref(), 200, true);
        let cost = answer.cost.as_ref().map(|c| c.total);
        let by = answered_by(&answer, &dep);
        record_deployment(&gw, &name, by, t0, Ok(200), answer.usage.as_ref(), cost);
        let mut resp = json_response(F::encode_response(&answer, &name));
        if let Some((key, c)) = cached {
            c.put(key, &answer);
            resp.headers_mut()
                .insert("x-exllm-cache", HeaderValue::from_static("miss"));
        }
        return resp;
    }
    let deadline = tokio::time::Instant::now() + timeout;
    let started = tokio::time::timeout_at(
        deadline,
        crate::guard::chat_stream(guard.as_ref(), &backend, inbound.request.clone()),
    )
    .await;
    let stream = match started {
        Ok(Ok(s)) => s,
        Ok(Err(err)) => {
            let e = api_error(&err);
            settle(ticket, None, e.status, false);
            record_deployment(&gw, &name, &dep, t0, Err(&e), None, None);
            return error_response::<F>(&e);
        }
        Err(_) => {
            let e = timed_out();
            settle(ticket, None, e.status, true);
            record_deployment(&gw, &name, &dep, t0, Err(&e), None, None);
            return error_response::<F>(&e);
        }
    };
    let relay = Relay {
        gw,
        name,
        deployment: dep,
        t0,
        deadline,
        stream,
        encoder: F::stream_encoder(&inbound),
        usage: None,
        done: false,
        ticket,
        _permit: permit,
    };
    sse_response(futures_util::stream::unfold(relay, |mut r| async move {
        let bytes = r.next_bytes().await?;
        Some((Ok::<Bytes, std::convert::Infallible>(bytes), r))
    }))
}

/// A JSON answer.
fn json_response(body: impl Into<Body>) -> Response {
    let mut resp = Response::new(body.into());
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

/// A `text/event-stream` answer of `stream`'s bytes (decoded or passed through).
pub(super) fn sse_response<S>(stream: S) -> Response
where
    S: futures_util::Stream<Item = Result<Bytes, std::convert::Infallible>> + Send + 'static,
{
    let mut resp = Response::new(Body::from_stream(stream));
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    resp
}

/// Settles a governance ticket, if the request holds one.
pub(super) fn settle(ticket: Option<Ticket>, usage: Option<&Usage>, status: u16, worst: bool) {
    if let Some(t) = ticket {
        t.finish(usage, status, worst);
    }
}

pub(super) fn timed_out() -> ApiError {
    ApiError {
        status: 504,
        kind: "timeout_error",
        message: "the request took longer than the gateway's timeout".into(),
        retry_after: None,
    }
}

/// The 429 of a gateway at its concurrency limit.
pub(super) fn overloaded() -> ApiError {
    ApiError {
        status: 429,
        kind: "rate_limit_error",
        message: "the gateway is at its concurrency limit; retry shortly".into(),
        retry_after: Some(1),
    }
}

/// The deployment label of a backend before it answered: a direct entry's
/// `provider/model`, a group's name.
pub(super) fn deployment_of(backend: &Backend) -> &str {
    match backend {
        Backend::Direct { model, .. } => model,
        Backend::Group { group, .. } => group,
    }
}

/// The deployment that gave a whole answer: the router's last attempt, else `fallback`.
fn answered_by<'a>(answer: &'a exllm::ChatResponse, fallback: &'a str) -> &'a str {
    answer
        .route
        .as_ref()
        .and_then(|r| r.attempts.last())
        .map_or(fallback, |a| a.deployment.as_str())
}

/// Counts one finished request of `name`, served by `deployment`.
pub(super) fn record_deployment(
    gw: &Gateway,
    name: &str,
    deployment: &str,
    t0: Instant,
    result: Result<u16, &ApiError>,
    usage: Option<&Usage>,
    cost: Option<f64>,
) {
    let (status, error) = match result {
        Ok(s) => (s, None),
        Err(e) => (e.status, Some(kind_label(e))),
    };
    gw.metrics().record(&Outcome {
        model: name,
        deployment,
        status,
        input_tokens: usage.and_then(|u| u.input_tokens),
        output_tokens: usage.and_then(|u| u.output_tokens),
        cost_usd: cost,
        latency: t0.elapsed(),
        error,
    });
}

/// One stream being relayed: the backend's events in, the caller's frames out.
struct Relay {
    gw: Gateway,
    name: String,
    /// The deployment label: the entry's, or the one a routed stream announced.
    deployment: String,
    t0: Instant,
    deadline: tokio::time::Instant,
    stream: ChatStream,
    encoder: Box<dyn StreamEncoder>,
    usage: Option<Usage>,
    done: bool,
    /// The budget reservation, settled when the stream ends or is dropped.
    ticket: Option<Ticket>,
    /// Held until the stream ends, so a stream counts against the concurrency limit.
    _permit: OwnedSemaphorePermit,
}

impl Relay {
    /// The next non-empty piece of the body, or `None` after the last.
    async fn next_bytes(&mut self) -> Option<Bytes> {
        let mut out = Vec::new();
        while out.is_empty() {
            if self.done {
                return None;
            }
            match tokio::time::timeout_at(self.deadline, self.stream.next()).await {
                Ok(Some(Ok(event))) => {
                    match &event {
                        StreamEvent::Usage(u) => self
                            .usage
                            .get_or_insert_with(Usage::default)
                            .merge((**u).clone()),
                        StreamEvent::Route(r) => {
                            if let Some(d) = r.answered_by() {
                                d.clone_into(&mut self.deployment);
                            }
                        }
                        _ => {}
                    }
                    self.encoder.event(&event, &mut out);
                }
                Ok(None) => {
                    self.encoder.finish(&mut out);
                    self.end(None);
                }
                Ok(Some(Err(err))) => {
                    let e = api_error(&err);
                    self.encoder.error(&e, &mut out);
                    self.end(Some(&e));
                }
                Err(_) => {
                    let e = timed_out();
                    self.encoder.error(&e, &mut out);
                    self.end(Some(&e));
                }
            }
        }
        Some(Bytes::from(out))
    }

    fn end(&mut self, error: Option<&ApiError>) {
        self.done = true;
        let status = error.map_or(200, |e| e.status);
        settle(self.ticket.take(), self.usage.as_ref(), status, true);
        let cost = self
            .usage
            .as_ref()
            .and_then(|u| self.stream.cost_of(u))
            .map(|c| c.total);
        self.gw.metrics().record(&Outcome {
            model: &self.name,
            deployment: &self.deployment,
            status: 200,
            input_tokens: self.usage.as_ref().and_then(|u| u.input_tokens),
            output_tokens: self.usage.as_ref().and_then(|u| u.output_tokens),
            cost_usd: cost,
            latency: self.t0.elapsed(),
            error: error.map(kind_label),
        });
        if let Some(e) = error {
            tracing::warn!(model = %self.name, status = e.status, "stream broke: {}", e.message);
        }
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        // The caller went away mid-stream: charge what was used, or the worst case.
        settle(self.ticket.take(), self.usage.as_ref(), 499, true);
    }
}
