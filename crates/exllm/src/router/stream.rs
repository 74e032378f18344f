//! [`Router::chat_stream`]: a stream that fails before its first content event is retried on
//! the next deployment without the caller seeing it; once content has been passed on, a break
//! ends the stream with the typed error carrying the partial answer (never a silently
//! truncated answer). Whatever way the stream ends — finished, broken, dropped — its
//! reservation is reconciled with the usage seen (or the tokens of the text seen).

use super::call::{attempt, failed, Ticket};
use super::plan::Plan;
use super::route::ROUTE_KEY;
use super::state::{Settlement, Verdict};
use super::Router;
use crate::catalog::ModelEntry;
use crate::types::{ChatRequest, StreamEvent, Usage};
use crate::{ChatStream, Collector, Error, ErrorKind, Result};
use futures_core::Stream;
use futures_util::StreamExt;
use std::collections::VecDeque;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

/// Whether an event is part of the answer (after it, a break can no longer be hidden).
fn is_content(e: &StreamEvent) -> bool {
    matches!(
        e,
        StreamEvent::TextDelta(_)
            | StreamEvent::ReasoningDelta(_)
            | StreamEvent::ReasoningDone { .. }
            | StreamEvent::RefusalDelta(_)
            | StreamEvent::ToolCallStart { .. }
            | StreamEvent::ToolCallDelta { .. }
            | StreamEvent::ToolCallEnd { .. }
            | StreamEvent::ToolCall(_)
            | StreamEvent::ProviderItem(_)
    )
}

/// Opens a stream and reads it up to its first content event (or its end).
async fn open(
    slot: &super::Slot,
    req: ChatRequest,
) -> Result<(ChatStream, VecDeque<StreamEvent>, bool)> {
    let mut stream = slot.client.chat_stream(req).await?;
    let mut head = VecDeque::new();
    loop {
        match stream.next().await {
            None => return Ok((stream, head, true)),
            Some(Err(e)) => return Err(e),
            Some(Ok(StreamEvent::Error(r))) => {
                // An error reported in the stream before any content: another deployment
                // may answer.
                let mut e = Error::new(ErrorKind::Server, r.message);
                if let Some(c) = r.code {
                    e = e.with_code(c);
                }
                return Err(e.with_provider(slot.dep.provider()));
            }
            Some(Ok(ev)) => {
                let content = is_content(&ev);
                head.push_back(ev);
                if content {
                    return Ok((stream, head, false));
                }
            }
        }
    }
}

impl Router {
    /// Streams the answer of `req` (its `model` names a group). Failures before the first
    /// content event move to another deployment or group like [`Router::chat`]; the route is
    /// the stream's first event (`Metadata` under [`ROUTE_KEY`]).
    pub async fn chat_stream(&self, req: ChatRequest) -> Result<ChatStream> {
        self.chat_stream_routed(req).await.0
    }

    /// [`Router::chat_stream`], with the route of the attempts made before the stream was
    /// handed over (or before the call failed).
    pub async fn chat_stream_routed(&self, req: ChatRequest) -> (Result<ChatStream>, super::Route) {
        let mut plan = match Plan::new(self, &req, true) {
            Ok(p) => p,
            Err(e) => return (Err(e), super::Route::default()),
        };
        let out = self.stream_planned(&mut plan, &req).await;
        (out, std::mem::take(&mut plan.route))
    }

    async fn stream_planned(&self, plan: &mut Plan, req: &ChatRequest) -> Result<ChatStream> {
        loop {
            let (i, reservation) = plan.next(self, req).await?;
            plan.attempts += 1;
            let slot = &self.inner.slots[i];
            let mut ticket = Ticket::new(self.inner.state.clone(), reservation);
            let mut call = req.clone();
            call.model.clone_from(&slot.dep.model);
            let t0 = Instant::now();
            match open(slot, call).await {
                Ok((inner, mut head, ended)) => {
                    let ttft = t0.elapsed().as_secs_f64() * 1000.0;
                    plan.route.attempts.push(attempt(plan, self, i, t0, None));
                    head.push_front(StreamEvent::Metadata {
                        key: ROUTE_KEY.into(),
                        value: plan.route.to_value(),
                    });
                    let mut seen = Collector::new();
                    head.iter().for_each(|e| seen.push_ref(e));
                    let routed = Routed {
                        head,
                        inner: Some(inner),
                        seen,
                        ticket,
                        ttft,
                        first: Instant::now(),
                        prompt: plan.estimate.prompt,
                        model: slot.dep.model.clone(),
                        entry: slot.entry.clone(),
                        router: self.clone(),
                        ended,
                    };
                    let out = ChatStream::new(routed);
                    return Ok(match &slot.entry {
                        Some(m) => out.priced_by(m.clone()),
                        None => out,
                    });
                }
                Err(e) => {
                    ticket.settle(failed(self, &e));
                    plan.route
                        .attempts
                        .push(attempt(plan, self, i, t0, Some(&e)));
                    tracing::warn!(deployment = %slot.dep.id, error = %e, "routed stream failed before content");
                    plan.attempt_failed(self, req, e)?;
                }
            }
        }
    }
}

/// The stream handed to the caller: the events read while choosing, then the rest.
struct Routed {
    head: VecDeque<StreamEvent>,
    inner: Option<ChatStream>,
    seen: Collector,
    ticket: Ticket,
    ttft: f64,
    /// When the first content was read.
    first: Instant,
    prompt: u64,
    model: String,
    entry: Option<ModelEntry>,
    router: Router,
    ended: bool,
}

impl Routed {
    /// What the stream used: the provider's usage when it reported it, else the prompt
    /// estimate plus the tokens of the text seen.
    fn used(&self) -> (u64, u64, Option<f64>) {
        let answer = self.seen.snapshot();
        let usage = match &answer.usage {
            Some(u) if u.total_tokens().is_some() => u.clone(),
            _ => {
                let text = answer.text() + &answer.reasoning_text();
                Usage {
                    input_tokens: Some(self.prompt),
                    output_tokens: Some(crate::tokens::count_text(&self.model, &text).tokens),
                    ..Default::default()
                }
            }
        };
        let cost = self
            .entry
            .as_ref()
            .map(|m| m.cost(&usage, Default::default()).total);
        (
            usage.total_tokens().unwrap_or(0),
            usage.output_tokens.unwrap_or(0),
            cost,
        )
    }

    fn finish(&mut self, verdict: Verdict) {
        if !self.ticket.is_open() {
            return;
        }
        let (tokens, output, cost) = self.used();
        let ok = verdict == Verdict::Success;
        let after = self.first.elapsed().as_secs_f64() * 1000.0;
        self.ticket.settle(Settlement {
            tokens: Some(tokens),
            cost_usd: cost,
            ttft_ms: ok.then_some(self.ttft),
            per_token_ms: (ok && output > 0).then(|| after / output as f64),
            verdict,
        });
    }
}

impl Stream for Routed {
    type Item = Result<StreamEvent>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if let Some(e) = this.head.pop_front() {
            return Poll::Ready(Some(Ok(e)));
        }
        if this.ended {
            this.finish(Verdict::Success);
            this.inner = None;
        }
        let Some(inner) = this.inner.as_mut() else {
            return Poll::Ready(None);
        };
        match inner.poll_next_unpin(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Some(Ok(e))) => {
                this.seen.push_ref(&e);
                Poll::Ready(Some(Ok(e)))
            }
            Poll::Ready(Some(Err(mut e))) => {
                let verdict = failed(&this.router, &e).verdict;
                this.finish(verdict);
                this.inner = None;
                if e.partial().is_none() && this.seen.has_content() {
                    e = e.with_partial(this.seen.snapshot());
                }
                Poll::Ready(Some(Err(e)))
            }
            Poll::Ready(None) => {
                this.finish(Verdict::Success);
                this.inner = None;
                Poll::Ready(None)
            }
        }
    }
}

impl Drop for Routed {
    fn drop(&mut self) {
        // Dropped by the caller mid-answer: charge what was used, hold nothing against the
        // deployment.
        self.finish(Verdict::Neutral);
    }
}
