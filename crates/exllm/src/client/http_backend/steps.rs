//! Calls of APIs whose first answer may not be the end ([`Codec::has_steps`]): the codec turns
//! each whole answer into a [`Step`], and this sends the next request — a poll after a bounded
//! backoff, or the request that opens a stream — through the same transport, retries, breaker
//! and timeouts as the first. A stream opened this way cancels the work when it is dropped
//! before its end, if the codec says how.

use super::{CallPolicy, HttpBackend, Notes};
use crate::client::ChatStream;
use crate::error::{Error, ErrorKind, Result, TimeoutKind};
use crate::provider::{copy_request, Auth, Codec, Encoded, Endpoint, Step};
use crate::transport::{limit, HttpTransport};
use crate::types::{response_to_events, ChatRequest, ChatResponse, StreamEvent};
use crate::wire::Signer;
use bytes::Bytes;
use futures_core::Stream;
use futures_util::StreamExt;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

/// Polls a job may take before the call gives up (about two hours at the longest wait).
const MAX_POLLS: u32 = 2000;

type Events = Pin<Box<dyn Stream<Item = Result<StreamEvent>> + Send>>;

/// The wait before poll number `polls` (0-based): 250 ms, doubling, at most 4 s.
fn poll_wait(polls: u32) -> Duration {
    let ms = 250u64.saturating_mul(1u64 << polls.min(10));
    Duration::from_millis(ms.min(4000))
}

impl HttpBackend {
    /// A whole answer through the codec's steps, within the call's total timeout.
    pub(super) async fn chat_steps(
        &self,
        t: &CallPolicy,
        req: &ChatRequest,
    ) -> Result<(ChatResponse, Notes)> {
        let provider = &self.inner.endpoint.provider;
        limit(t.timeouts.total, TimeoutKind::Total, provider, async {
            let (step, mut notes) = self.start(t, req, false).await?;
            match step {
                Step::Done(r) => Ok((*r, notes)),
                Step::Stream {
                    request,
                    cancel,
                    head,
                } => {
                    // A whole answer was asked for but the work streams: read it to the end.
                    let (events, retries) = self.open(t, request, cancel, head, None).await?;
                    notes.retries += retries;
                    let resp = ChatStream::new(events).collect_response().await?;
                    Ok((resp, notes))
                }
                Step::Poll(_) => Err(unsettled(provider)),
            }
        })
        .await
    }

    /// A streamed answer through the codec's steps: the stream it opens, or a whole answer
    /// replayed as events.
    pub(super) async fn stream_steps(
        &self,
        t: &CallPolicy,
        req: &ChatRequest,
    ) -> Result<ChatStream> {
        let provider = &self.inner.endpoint.provider;
        let deadline = t.timeouts.total.map(|d| tokio::time::Instant::now() + d);
        let (step, mut notes) = limit(
            t.timeouts.total,
            TimeoutKind::Total,
            provider,
            self.start(t, req, true),
        )
        .await?;
        let events: Events = match step {
            Step::Done(r) => Box::pin(futures_util::stream::iter(
                response_to_events(&r).into_iter().map(Ok),
            )),
            Step::Stream {
                request,
                cancel,
                head,
            } => {
                let left =
                    deadline.map(|d| d.saturating_duration_since(tokio::time::Instant::now()));
                let open = self.open(t, request, cancel, head, deadline);
                let (events, retries) = limit(left, TimeoutKind::Total, provider, open).await?;
                notes.retries += retries;
                events
            }
            Step::Poll(_) => return Err(unsettled(provider)),
        };
        Ok(super::noted(notes, events))
    }

    /// Sends the request and polls until the codec's step is no longer a poll.
    async fn start(
        &self,
        t: &CallPolicy,
        req: &ChatRequest,
        stream: bool,
    ) -> Result<(Step, Notes)> {
        let codec = self.inner.codec;
        let (resp, mut notes) = self
            .send(t, |ep| codec.encode(req, &req.model, ep, stream))
            .await?;
        let body = self.body(resp).await?;
        let ep = self.resolved().await?;
        let mut step = self.step(codec, &body, ep, stream, 0)?;
        let mut polls = 0;
        while let Step::Poll(request) = step {
            if polls >= MAX_POLLS {
                return Err(Error::new(
                    ErrorKind::Timeout,
                    format!("the answer was still not ready after {polls} polls"),
                )
                .with_provider(ep.provider.clone()));
            }
            tokio::time::sleep(poll_wait(polls)).await;
            polls += 1;
            let (resp, n) = self.send(t, |_| Ok(once(&request))).await?;
            notes.retries += n.retries;
            let body = self.body(resp).await?;
            step = self.step(codec, &body, ep, stream, polls)?;
        }
        Ok((step, notes))
    }

    fn step(
        &self,
        codec: &dyn Codec,
        body: &[u8],
        ep: &Endpoint,
        stream: bool,
        polls: u32,
    ) -> Result<Step> {
        codec
            .decode_step(body, ep, stream, polls)
            .map_err(|e| self.redact(e.with_provider(ep.provider.clone())))
    }

    /// Reads a whole body, logged at debug level with credentials redacted.
    async fn body(&self, resp: reqwest::Response) -> Result<Bytes> {
        let provider = &self.inner.endpoint.provider;
        let body = self.inner.transport.read_body(resp, provider).await?;
        tracing::debug!(
            provider = %provider,
            body = %self.redactor.redact(&String::from_utf8_lossy(&body)),
            "response"
        );
        Ok(body)
    }

    /// Opens a stream step: its events after `head`, cancelling the work when dropped early.
    async fn open(
        &self,
        t: &CallPolicy,
        request: http::Request<Bytes>,
        cancel: Option<http::Request<Bytes>>,
        head: Vec<StreamEvent>,
        deadline: Option<tokio::time::Instant>,
    ) -> Result<(Events, u32)> {
        let s = &self.inner;
        let (resp, notes) = self.send(t, |_| Ok(once(&request))).await?;
        let body = self.events(resp, t, deadline);
        let events = futures_util::stream::iter(head.into_iter().map(Ok)).chain(body);
        let signer = match &s.endpoint.auth {
            Auth::Signer(signer) => Some(signer.clone()),
            _ => None,
        };
        let guarded = CancelOnDrop {
            inner: Box::pin(events),
            cancel: cancel.map(|request| Cancel {
                transport: s.transport.clone(),
                request,
                signer,
                provider: s.endpoint.provider.clone(),
            }),
        };
        Ok((Box::pin(guarded), notes.retries))
    }
}

/// A follow-up request as one attempt's encoding (each retry sends a fresh copy).
fn once(request: &http::Request<Bytes>) -> Encoded {
    Encoded {
        request: copy_request(request),
        warnings: Vec::new(),
    }
}

fn unsettled(provider: &str) -> Error {
    Error::new(ErrorKind::Decode, "the answer asked for another poll").with_provider(provider)
}

/// The request that stops the work of a stream.
struct Cancel {
    transport: HttpTransport,
    request: http::Request<Bytes>,
    signer: Option<Arc<dyn Signer>>,
    provider: String,
}

/// Passes a stream's events on; dropped before the answer's finish (or error), it sends the
/// cancel request on the runtime, without waiting for it.
struct CancelOnDrop {
    inner: Events,
    cancel: Option<Cancel>,
}

impl Stream for CancelOnDrop {
    type Item = Result<StreamEvent>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        let item = std::task::ready!(this.inner.as_mut().poll_next(cx));
        if let Some(Ok(StreamEvent::Finish(_) | StreamEvent::Error(_))) = &item {
            this.cancel = None;
        }
        Poll::Ready(item)
    }
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        let Some(c) = self.cancel.take() else {
            return;
        };
        let Ok(rt) = tokio::runtime::Handle::try_current() else {
            return;
        };
        rt.spawn(async move {
            let mut request = c.request;
            if let Some(signer) = &c.signer {
                if signer.sign(&mut request).await.is_err() {
                    return;
                }
            }
            if let Err(e) = c.transport.send(request, &c.provider).await {
                tracing::debug!(provider = %c.provider, error = %e, "cancelling the dropped stream's work failed");
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn poll_waits_grow_and_stay_bounded() {
        assert_eq!(poll_wait(0), Duration::from_millis(250));
        assert_eq!(poll_wait(1), Duration::from_millis(500));
        assert_eq!(poll_wait(4), Duration::from_secs(4));
        assert_eq!(poll_wait(u32::MAX), Duration::from_secs(4));
    }
}
