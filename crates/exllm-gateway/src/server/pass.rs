//! Pass-through: when the caller's format is the backend's own API, the request bytes go to
//! the provider as they are (only `model` rewritten to the deployment's) and the answer's
//! bytes come back as they are, a stream frame by frame as it arrives. Only the usage is
//! read out of the answer (metrics, budgets and the ledger count it as usual), and whether a
//! stream reached its end.
//!
//! What keeps a request on the decoding path (decoded, sent through the library's client,
//! re-encoded):
//! - a router group with something for the router to decide: several deployments (it picks
//!   one per request and retries on others, possibly of other APIs), rpm or tpm limits,
//!   spend limits, or fallbacks. A group of one plain deployment (the usual LiteLLM
//!   `model_list` entry) passes through like a direct entry;
//! - a direct entry of another API than the caller's, or whose chat is not a plain `POST`
//!   of the API's body (Anthropic on Vertex AI, embeddings-only servers);
//! - an OpenAI chat stream without `stream_options.include_usage`: its usage would be
//!   unknown, and adding the option would change what the caller receives;
//! - a provider other than the API's own (OpenAI and Azure OpenAI for OpenAI's APIs,
//!   Anthropic for messages), unless the entry says `passthrough = true`: compatible hosts
//!   differ in dialect (reasoning fields, usage under other keys or without reasoning
//!   tokens, their own finish reasons) that decoding evens out;
//! - `passthrough = false` on the entry;
//! - guardrails: the caller's key names some, or the router group has its own (they read and
//!   rewrite the messages and the answer);
//! - a body this reader cannot peek at (no string `model`, a non-boolean `stream`): the
//!   decoding path answers it with the format's own error.
//!
//! With governance on, the request is also decoded, only to estimate what to reserve (a
//! body with fields the decoder does not know counts as its whole text); the bytes sent are
//! still the caller's. The answer keeps the provider's own `model` and ids.
//! Errors (the provider's, the timeout, a stream cut before its end) are in the caller's
//! format, with `Retry-After` kept; a broken stream ends with the format's error event after
//! the last whole frame.

use super::chat::{record_deployment, settle, timed_out};
use super::misc::error_response;
use super::{Backend, Gateway};
use crate::budget::{Caller, Ticket};
use crate::errors::{api_error, kind_label};
use crate::metrics::Outcome;
use crate::wire::pass::{scan_body, with_model, Peek, StreamScan};
use crate::wire::{ApiError, Format, Inbound, StreamEncoder};
use axum::body::Body;
use axum::response::Response;
use bytes::Bytes;
use exllm::catalog::ModelEntry;
use exllm::client::{HttpBackend, RawBody, RawRequest};
use exllm::{Api, Usage};
use futures_util::StreamExt;
use http::{header, HeaderMap, HeaderValue, StatusCode};
use std::time::Instant;
use tokio::sync::OwnedSemaphorePermit;

/// The largest whole answer read before it is forwarded.
const MAX_ANSWER_BYTES: usize = 64 << 20;

/// Caller headers that travel with a passed-through request (features the caller opts
/// into); auth headers never do.
const FORWARDED: [&str; 1] = ["anthropic-beta"];

/// A direct entry whose requests can be forwarded as bytes.
#[derive(Clone)]
pub struct PassTarget {
    http: HttpBackend,
    /// The API it speaks.
    pub api: Api,
    path: String,
    /// The model id sent upstream (without `provider/`).
    model: String,
    /// `provider/model`, the deployment's label in metrics.
    deployment: String,
    pricing: Option<ModelEntry>,
}

impl PassTarget {
    /// The pass-through target of `backend`, when it has one; `force` is the entry's
    /// `passthrough` (`None`: only for the provider whose own API it is).
    pub(crate) fn of(backend: &Backend, force: Option<bool>) -> Option<PassTarget> {
        let Backend::Direct { client, model } = backend else {
            return None;
        };
        let (provider, id) = exllm::client::split_model(model).ok()?;
        let p = client.provider(provider).ok()?;
        let http = p.as_http()?.clone();
        let api = p.api()?;
        let own = matches!(
            (api, provider),
            (Api::OpenAiChat | Api::OpenAiResponses, "openai" | "azure")
                | (Api::Anthropic, "anthropic")
        );
        if !force.unwrap_or(own) {
            return None;
        }
        let path = http.raw_chat_path(id)?;
        Some(PassTarget {
            http,
            api,
            path,
            model: id.to_owned(),
            deployment: model.clone(),
            // Only this provider's catalog file: the whole catalog parsed for one price
            // cost the gateway ~20 MiB of peak memory.
            pricing: client.model_entry(model).cloned(),
        })
    }

    /// The target with another deployment label in the metrics.
    pub(crate) fn labelled(mut self, label: &str) -> Self {
        label.clone_into(&mut self.deployment);
        self
    }

    /// Whether a request of format `F` described by `peek` is passed through.
    pub(crate) fn takes<F: Format>(&self, peek: &Peek) -> bool {
        F::pass_api() == Some(self.api)
            && (self.api != Api::OpenAiChat || !peek.stream || peek.include_usage)
    }

    /// The provider, for other raw calls (files, batches).
    pub(crate) fn http(&self) -> &HttpBackend {
        &self.http
    }

    /// The model id sent upstream.
    pub(crate) fn upstream_model(&self) -> &str {
        &self.model
    }

    /// Whether `other` reaches the same provider endpoint (one file store).
    pub(crate) fn same_endpoint(&self, other: &PassTarget) -> bool {
        let (a, b) = (self.http.endpoint(), other.http.endpoint());
        a.provider == b.provider && a.base_url == b.base_url
    }

    fn cost(&self, usage: Option<&Usage>) -> Option<f64> {
        Some(
            self.pricing
                .as_ref()?
                .cost(usage?, Default::default())
                .total,
        )
    }
}

/// One request to pass through, once its target is known.
pub(crate) struct PassCall {
    /// Where it goes.
    pub target: PassTarget,
    /// The entry's backend (governance prices by it).
    pub backend: Backend,
    /// Who asked.
    pub caller: Caller,
    /// What was read of the body.
    pub peek: Peek,
    /// When the request arrived.
    pub t0: Instant,
}

/// Serves a request by pass-through; `body` is the caller's.
pub(crate) async fn serve<F: Format>(
    gw: Gateway,
    call: PassCall,
    headers: &HeaderMap,
    body: &Bytes,
) -> Response {
    let PassCall {
        target,
        backend,
        caller,
        peek,
        t0,
    } = call;
    let name = peek.model.clone();
    let fail = |e: &ApiError, usage: Option<&Usage>| {
        record_deployment(&gw, &name, &target.deployment, t0, Err(e), usage, None);
        error_response::<F>(e)
    };
    let Some(permit) = gw.try_permit() else {
        return fail(&super::chat::overloaded(), None);
    };
    let ticket = match gw.governance() {
        None => None,
        Some(g) => {
            // The reservation's estimate. A body the decoder does not know every field of
            // still goes to the provider (which judges it); its whole text then stands for
            // the prompt, an estimate on the high side.
            let request = F::decode_request(body).map_or_else(
                |_| {
                    exllm::ChatRequest::new(
                        name.clone(),
                        vec![exllm::Message::user(String::from_utf8_lossy(body))],
                    )
                },
                |i| i.request,
            );
            match g.admit_for(&caller, &name, &backend, &request).await {
                Ok(t) => Some(t),
                Err(e) => return fail(&e, None),
            }
        }
    };
    let req = RawRequest {
        path: target.path.clone(),
        body: with_model(body, &peek, &target.model).into(),
        accept: peek.stream.then(|| "text/event-stream".to_owned()),
        headers: FORWARDED
            .iter()
            .filter_map(|h| Some(((*h).to_owned(), headers.get(*h)?.to_str().ok()?.to_owned())))
            .collect(),
        ..RawRequest::default()
    };
    let deadline = tokio::time::Instant::now() + gw.limits().timeout;
    let answer = match tokio::time::timeout_at(deadline, target.http.send_raw(req)).await {
        Ok(Ok(a)) => a,
        Ok(Err(err)) => {
            let e = api_error(&err);
            settle(ticket, None, e.status, false);
            return fail(&e, None);
        }
        Err(_) => {
            let e = timed_out();
            settle(ticket, None, e.status, true);
            return fail(&e, None);
        }
    };
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::OK);
    let content_type = answer.headers.get(header::CONTENT_TYPE).cloned();
    if !peek.stream {
        let bytes = match tokio::time::timeout_at(deadline, collect(answer.body)).await {
            Ok(Ok(b)) => b,
            Ok(Err(err)) => {
                let e = api_error(&err);
                settle(ticket, None, e.status, true);
                return fail(&e, None);
            }
            Err(_) => {
                let e = timed_out();
                settle(ticket, None, e.status, true);
                return fail(&e, None);
            }
        };
        drop(permit);
        let scan = scan_body(target.api, &bytes);
        if let Some(message) = scan.failed {
            // A failure inside a 200, which a caller's SDK would read as an answer.
            let e = ApiError {
                status: 502,
                kind: "api_error",
                message: format!("the provider reported an error: {message}"),
                retry_after: None,
            };
            settle(ticket, scan.usage.as_ref(), e.status, false);
            return fail(&e, scan.usage.as_ref());
        }
        settle(ticket, scan.usage.as_ref(), 200, true);
        let cost = target.cost(scan.usage.as_ref());
        let usage = scan.usage.as_ref();
        record_deployment(&gw, &name, &target.deployment, t0, Ok(200), usage, cost);
        let mut resp = Response::new(Body::from(bytes));
        *resp.status_mut() = status;
        resp.headers_mut().insert(
            header::CONTENT_TYPE,
            content_type.unwrap_or(HeaderValue::from_static("application/json")),
        );
        return resp;
    }
    let relay = PassRelay {
        gw,
        name,
        target,
        t0,
        deadline,
        body: answer.body,
        scan: StreamScan::new(F::pass_api().unwrap_or(Api::OpenAiChat)),
        encoder: F::stream_encoder(&Inbound::default()),
        done: false,
        ticket,
        _permit: permit,
    };
    let mut resp =
        super::chat::sse_response(futures_util::stream::unfold(relay, |mut r| async move {
            let bytes = r.next_bytes().await?;
            Some((Ok::<Bytes, std::convert::Infallible>(bytes), r))
        }));
    *resp.status_mut() = status;
    resp
}

/// A whole body, refused past [`MAX_ANSWER_BYTES`].
async fn collect(mut body: RawBody) -> exllm::Result<Bytes> {
    let mut first: Option<Bytes> = None;
    let mut all = Vec::new();
    while let Some(chunk) = body.next().await {
        let chunk = chunk?;
        if first.as_ref().map_or(0, Bytes::len) + all.len() + chunk.len() > MAX_ANSWER_BYTES {
            return Err(exllm::Error::new(
                exllm::ErrorKind::TooLarge,
                "the provider's answer is larger than the gateway reads",
            ));
        }
        match first.take() {
            None if all.is_empty() => first = Some(chunk),
            earlier => {
                if let Some(e) = earlier {
                    all.extend_from_slice(&e);
                }
                all.extend_from_slice(&chunk);
            }
        }
    }
    Ok(first.unwrap_or_else(|| Bytes::from(all)))
}

/// One passed-through stream: the provider's frames out as they complete.
struct PassRelay {
    gw: Gateway,
    name: String,
    target: PassTarget,
    t0: Instant,
    deadline: tokio::time::Instant,
    body: RawBody,
    scan: StreamScan,
    /// Writes the caller's error event, should the stream break.
    encoder: Box<dyn StreamEncoder>,
    done: bool,
    ticket: Option<Ticket>,
    /// Held until the stream ends, so a stream counts against the concurrency limit.
    _permit: OwnedSemaphorePermit,
}

impl PassRelay {
    /// The next non-empty run of whole frames, or `None` after the last.
    async fn next_bytes(&mut self) -> Option<Bytes> {
        loop {
            if self.done {
                return None;
            }
            let mut out = match tokio::time::timeout_at(self.deadline, self.body.next()).await {
                Ok(Some(Ok(chunk))) => self.scan.push(&chunk),
                Ok(None) => {
                    let mut out = self.scan.finish();
                    if self.scan.complete {
                        self.end(None);
                    } else {
                        let e = ApiError {
                            status: 502,
                            kind: "api_error",
                            message: "the provider's stream ended before its end".into(),
                            retry_after: None,
                        };
                        self.encoder.error(&e, &mut out);
                        self.end(Some(&e));
                    }
                    out
                }
                Ok(Some(Err(err))) => {
                    let e = api_error(&err);
                    let mut out = Vec::new();
                    self.encoder.error(&e, &mut out);
                    self.end(Some(&e));
                    out
                }
                Err(_) => {
                    let e = timed_out();
                    let mut out = Vec::new();
                    self.encoder.error(&e, &mut out);
                    self.end(Some(&e));
                    out
                }
            };
            if !out.is_empty() {
                return Some(Bytes::from(std::mem::take(&mut out)));
            }
        }
    }

    fn end(&mut self, error: Option<&ApiError>) {
        self.done = true;
        // An error event the provider sent is already in the caller's bytes; it still
        // counts as a failed request.
        let inner = self.scan.error.as_ref().map(|m| ApiError {
            status: 500,
            kind: "api_error",
            message: m.clone(),
            retry_after: None,
        });
        let error = error.or(inner.as_ref());
        let usage = self.scan.usage.clone();
        settle(
            self.ticket.take(),
            usage.as_ref(),
            error.map_or(200, |e| e.status),
            true,
        );
        self.gw.metrics().record(&Outcome {
            model: &self.name,
            deployment: &self.target.deployment,
            status: 200,
            input_tokens: usage.as_ref().and_then(|u| u.input_tokens),
            output_tokens: usage.as_ref().and_then(|u| u.output_tokens),
            cost_usd: self.target.cost(usage.as_ref()),
            latency: self.t0.elapsed(),
            error: error.map(kind_label),
        });
        if let Some(e) = error {
            tracing::warn!(model = %self.name, status = e.status, "stream broke: {}", e.message);
        }
    }
}

impl Drop for PassRelay {
    fn drop(&mut self) {
        // The caller went away mid-stream: charge what was used, or the worst case.
        settle(self.ticket.take(), self.scan.usage.as_ref(), 499, true);
    }
}
