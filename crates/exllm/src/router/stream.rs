//! [`Router::chat_stream`]: a stream that fails before its first content event is retried on
//! the next deployment without the caller seeing it. Once content has been passed on, a break
//! either continues on another deployment (when the deployments' clients have stream
//! recovery on: see `stream_resume.rs`) or ends the stream with the typed error carrying the
//! partial answer and its route — never a silently truncated answer. Whatever way each
//! deployment's part ends — finished, broken, dropped — its reservation is reconciled with
//! the usage seen (or the tokens of the text seen).

use super::call::{attempt, failed, Ticket};
use super::plan::Plan;
use super::route::{kind_name, Route};
use super::state::{Settlement, Verdict};
use super::stream_resume::{Opened, Resuming};
use super::Router;
use crate::types::{ChatRequest, StreamEvent, Usage};
use crate::{ChatStream, Collector, Error, ErrorKind, Result};
use futures_core::Stream;
use futures_util::{ready, StreamExt};
use std::collections::VecDeque;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

/// Whether an event is part of the answer (after it, a break can no longer be hidden).
pub(crate) fn is_content(e: &StreamEvent) -> bool {
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
            | StreamEvent::Media(_)
            | StreamEvent::AudioDelta(_)
    )
}

/// Opens a stream of `req` on the slot's deployment (the request is lent: its `model` is not
/// read) and reads it up to its first content event (or its end).
pub(crate) async fn open(
    slot: &super::Slot,
    req: &ChatRequest,
) -> Result<(ChatStream, VecDeque<StreamEvent>, bool)> {
    // Boxed: the client's future is large, and inline it would be copied with the router's
    // own future by every caller that boxes or spawns that.
    let mut stream = Box::pin(slot.client.chat_stream_as(req, &slot.dep.model)).await?;
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
    /// [`Router::chat_stream_routed`] without the group's guardrails. One async fn from the
    /// plan to the handed-over stream: a nested one would hold the request and the plan twice
    /// in the router's future. The route of a handed-over stream (also its first event) is
    /// copied out only when `want_route`.
    pub(super) async fn chat_stream_routed_bare(
        &self,
        req: ChatRequest,
        want_route: bool,
    ) -> (Result<ChatStream>, Route) {
        let mut plan = match Plan::new(self, &req, true) {
            Ok(p) => p,
            Err(e) => return (Err(e), Route::default()),
        };
        loop {
            let (i, reservation) = match plan.next(self, &req).await {
                Ok(x) => x,
                Err(e) => return (Err(e), plan.take_route()),
            };
            plan.attempts += 1;
            let slot = &self.inner.slots[i];
            let ticket = Ticket::new(self.inner.state.clone(), reservation);
            let t0 = Instant::now();
            match open(slot, &req).await {
                Ok((inner, head, ended)) => {
                    self.learn_from_events(i, &head);
                    let pricing = inner.shared_pricing();
                    plan.route.attempts.push(attempt(&plan, self, i, t0, None));
                    let route = match want_route {
                        true => plan.route_now(),
                        false => Route::default(),
                    };
                    let opened = Opened {
                        slot: i,
                        ticket,
                        inner,
                        head,
                        ended,
                        t0,
                        trim_next: false,
                    };
                    let out = ChatStream::new(Routed::new(self.clone(), plan, req, opened));
                    return (Ok(out.priced_like(pricing)), route);
                }
                Err(e) => {
                    let mut ticket = ticket;
                    ticket.settle(failed(self, &e));
                    plan.route
                        .attempts
                        .push(attempt(&plan, self, i, t0, Some(&e)));
                    tracing::warn!(deployment = %slot.dep.id, error = %e, "routed stream failed before content");
                    if let Err(e) = plan.attempt_failed(self, &req, e) {
                        return (Err(e), plan.take_route());
                    }
                }
            }
        }
    }
}

/// The stream handed to the caller: the events read while choosing, then the rest, then
/// (after a break it can continue) those of another deployment.
pub(crate) struct Routed {
    pub(crate) head: VecDeque<StreamEvent>,
    pub(crate) inner: Option<ChatStream>,
    /// Everything passed on (the whole answer, across deployments). Boxed, like `req`, to keep
    /// this struct small enough for the allocator's fast path.
    pub(crate) seen: Box<Collector>,
    /// The reservation of the deployment streaming now.
    pub(crate) ticket: Ticket,
    /// That deployment's slot.
    pub(crate) slot: usize,
    pub(crate) ttft: f64,
    /// When the first content of this deployment's part was read.
    pub(crate) first: Instant,
    pub(crate) prompt: u64,
    pub(crate) router: Router,
    /// The call's plan (taken by a continuation while it opens).
    pub(crate) plan: Option<Plan>,
    pub(crate) req: Box<ChatRequest>,
    pub(crate) ended: bool,
    /// Usage of the parts before this one (a continuation's reports are offset by it).
    pub(crate) base: Option<Usage>,
    /// Text and reasoning bytes passed on before this part (this part's are the rest).
    pub(crate) mark: usize,
    /// The prefill dropped the kept text's trailing whitespace: trim it off the continuation.
    pub(crate) trim_next: bool,
    /// The error ending the stream, given after the route event that records it.
    pub(crate) failing: Option<Error>,
    /// Continuations on another deployment still allowed.
    pub(crate) resumes_left: u32,
    /// A continuation being opened on another deployment.
    pub(crate) resuming: Option<Resuming>,
    pub(crate) done: bool,
}

impl Routed {
    fn new(router: Router, plan: Plan, req: ChatRequest, o: Opened) -> Self {
        let prompt = plan.estimate.prompt;
        let resumes_left = router.inner.resumes;
        let mut r = Routed {
            head: VecDeque::new(),
            inner: None,
            seen: Box::default(),
            ticket: o.ticket,
            slot: o.slot,
            ttft: 0.0,
            first: Instant::now(),
            prompt,
            router,
            plan: Some(plan),
            req: Box::new(req),
            ended: false,
            base: None,
            mark: 0,
            trim_next: false,
            resumes_left,
            failing: None,
            resuming: None,
            done: false,
        };
        r.install(o.inner, o.head, o.ended, o.t0);
        r
    }

    /// Hands over a deployment's stream, its head announced by the route so far.
    pub(crate) fn install(
        &mut self,
        inner: ChatStream,
        mut head: VecDeque<StreamEvent>,
        ended: bool,
        t0: Instant,
    ) {
        self.ttft = t0.elapsed().as_secs_f64() * 1000.0;
        self.first = Instant::now();
        if let Some(p) = &self.plan {
            head.push_front(StreamEvent::Route(Box::new(p.route_now())));
        }
        self.head = head;
        self.inner = Some(inner);
        self.ended = ended;
    }

    /// What this deployment's part used: the provider's usage when it reported it, else the
    /// prompt estimate plus the tokens of the text seen in this part.
    fn used(&self) -> (u64, u64, Option<f64>) {
        let dep = &self.router.inner.slots[self.slot];
        let usage = match (self.seen.usage(), &self.base) {
            (Some(u), None) if u.total_tokens().is_some() => u.clone(),
            (Some(u), Some(b)) if u.total_tokens().is_some() => Usage {
                input_tokens: minus(u.input_tokens, b.input_tokens),
                output_tokens: minus(u.output_tokens, b.output_tokens),
                ..Default::default()
            },
            _ => {
                // No usage reported: only then is the answer collected to count its tokens.
                let answer = self.seen.snapshot();
                let text = answer.text() + &answer.reasoning_text();
                let part = text.get(self.mark..).unwrap_or("");
                Usage {
                    input_tokens: Some(self.prompt),
                    output_tokens: Some(crate::tokens::count_text(&dep.dep.model, part).tokens),
                    ..Default::default()
                }
            }
        };
        let cost = dep
            .entry
            .as_ref()
            .map(|m| m.cost(&usage, Default::default()).total);
        (
            usage.total_tokens().unwrap_or(0),
            usage.output_tokens.unwrap_or(0),
            cost,
        )
    }

    pub(crate) fn finish(&mut self, verdict: Verdict) {
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

    /// Keeps what a partial answer, a continuation or the settlement needs: the route is the
    /// caller's record and metadata is not the answer.
    fn see(&mut self, e: &StreamEvent) {
        if !matches!(e, StreamEvent::Route(_) | StreamEvent::Metadata { .. }) {
            self.seen.push_ref(e);
        }
    }

    /// A continuation's usage counts the parts before it; the whitespace a prefill dropped
    /// is not repeated.
    fn adjust(&mut self, event: StreamEvent) -> Option<StreamEvent> {
        if self.base.is_none() && !self.trim_next {
            // The first deployment's part (nearly every stream): nothing to adjust.
            return Some(event);
        }
        crate::client::continued(event, self.base.as_ref(), &mut self.trim_next)
    }

    /// The stream broke after content: marks the attempt, then continues elsewhere when it
    /// can, else hands back the error with the partial answer and the route.
    fn broken(&mut self, mut e: Error) -> Option<Error> {
        let verdict = failed(&self.router, &e).verdict;
        self.finish(verdict);
        self.inner = None;
        if let Some(a) = self.plan.as_mut().and_then(|p| p.route.attempts.last_mut()) {
            a.error = Some(kind_name(e.kind()));
            a.status = e.status();
        }
        if self.seen.has_content() {
            match self.resume(e) {
                Ok(()) => return None,
                Err(back) => e = back,
            }
        }
        Some(self.with_partial(e))
    }

    /// The error carrying the answer so far, with its route; the route is also announced
    /// again as an event before it, for callers that collect the events themselves.
    pub(crate) fn with_partial(&mut self, e: Error) -> Error {
        let Some(route) = self.plan.as_ref().map(Plan::route_now) else {
            return e;
        };
        self.head
            .push_back(StreamEvent::Route(Box::new(route.clone())));
        if !self.seen.has_content() {
            return e;
        }
        let mut partial = self.seen.snapshot();
        partial.route = Some(route);
        e.with_partial(partial)
    }
}

/// `a - b`, when `a` is known.
fn minus(a: Option<u64>, b: Option<u64>) -> Option<u64> {
    a.map(|a| a.saturating_sub(b.unwrap_or(0)))
}

impl Stream for Routed {
    type Item = Result<StreamEvent>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if this.done {
                return Poll::Ready(None);
            }
            if this.resuming.is_some() {
                if let Err(e) = ready!(this.poll_resume(cx)) {
                    this.failing = Some(e);
                }
            }
            if this.failing.is_some() {
                if let Some(ev) = this.head.pop_front() {
                    return Poll::Ready(Some(Ok(ev)));
                }
                this.done = true;
                return Poll::Ready(this.failing.take().map(Err));
            }
            if let Some(e) = this.head.pop_front() {
                if let Some(e) = this.adjust(e) {
                    this.see(&e);
                    return Poll::Ready(Some(Ok(e)));
                }
                continue;
            }
            if this.ended {
                this.finish(Verdict::Success);
                this.inner = None;
                this.done = true;
                return Poll::Ready(None);
            }
            let Some(inner) = this.inner.as_mut() else {
                return Poll::Ready(None);
            };
            let polled = inner.poll_next_unpin(cx);
            // Nearly every event: seen, and handed on as it came (not moved through `adjust`;
            // an event is 120 bytes and this runs for every chunk).
            if let Poll::Ready(Some(Ok(e))) = &polled {
                if this.base.is_none() && !this.trim_next {
                    this.see(e);
                    return polled;
                }
            }
            match ready!(polled) {
                Some(Ok(e)) => {
                    if let Some(e) = this.adjust(e) {
                        this.see(&e);
                        return Poll::Ready(Some(Ok(e)));
                    }
                }
                Some(Err(e)) => {
                    this.failing = this.broken(e);
                }
                None => {
                    this.finish(Verdict::Success);
                    this.inner = None;
                    this.done = true;
                    return Poll::Ready(None);
                }
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
