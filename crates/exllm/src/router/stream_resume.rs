//! A routed stream that broke after content, continued on another deployment: when the
//! client template has stream recovery and auto-resume on (the router turns the
//! deployments' own auto-resume off and resumes up to that many times itself, on other
//! deployments rather than the one that broke), the text passed on so far is sent to the next
//! deployment the plan picks as the start of the assistant's turn (the recovery module's
//! continuation request), and its answer is joined on. Without recovery, or when no
//! deployment can continue, the stream ends with the typed error carrying the partial
//! answer. The attempt that continued is marked `resumed` in the route.

use super::call::{attempt, failed, Ticket};
use super::plan::Plan;
use super::route::{cause_of, Cause};
use super::stream::{open, Routed};
use super::Router;
use crate::recovery::{budget_left, continuation, kept_text, ResumeStrategy};
use crate::types::{ChatRequest, StreamEvent, Usage};
use crate::{ChatStream, Error, ErrorKind, Result};
use futures_util::future::BoxFuture;
use std::collections::VecDeque;
use std::task::{Context, Poll};
use std::time::Instant;

/// A deployment's stream, opened up to its first content.
pub(crate) struct Opened {
    pub(crate) slot: usize,
    pub(crate) ticket: Ticket,
    pub(crate) inner: ChatStream,
    pub(crate) head: VecDeque<StreamEvent>,
    pub(crate) ended: bool,
    pub(crate) t0: Instant,
    pub(crate) trim_next: bool,
}

/// A continuation being opened.
pub(crate) struct Resuming {
    call: BoxFuture<'static, (Plan, Result<Opened>)>,
    /// The recovery id the broken deployment's client stored the partial answer under.
    recovery_id: Option<String>,
    from: usize,
    base: Option<Usage>,
    mark: usize,
}

/// Breaks a continuation can follow: the deployment failed, the request did not.
fn resumable(e: &Error) -> bool {
    matches!(
        e.kind(),
        ErrorKind::Network
            | ErrorKind::Timeout
            | ErrorKind::Server
            | ErrorKind::Overloaded
            | ErrorKind::Decode
            | ErrorKind::Truncated
    ) && cause_of(e) == Cause::Deployment
}

impl Routed {
    /// Starts the continuation of the answer on another deployment, or gives the error back
    /// when it cannot be continued.
    pub(super) fn resume(&mut self, e: Error) -> std::result::Result<(), Error> {
        let from = &self.router.inner.slots[self.slot];
        if self.resumes_left == 0 || !resumable(&e) {
            return Err(e);
        }
        let partial = self.seen.snapshot();
        // A tool call already passed on cannot be joined with a regenerated one.
        if !partial.tool_calls().is_empty() {
            return Err(e);
        }
        let kept = kept_text(&partial, ResumeStrategy::Exact);
        let budget = budget_left(self.req.max_tokens, &partial, &kept, ResumeStrategy::Exact);
        if kept.trim().is_empty() || budget == Some(0) {
            return Err(e);
        }
        let Some(mut plan) = self.plan.take() else {
            return Err(e);
        };
        tracing::warn!(deployment = %from.dep.id, reason = %e, "routed stream broke after content; continuing on another deployment");
        self.resumes_left -= 1;
        let recovery_id = e.recovery_id().map(str::to_owned);
        plan.last = Some(e);
        let router = self.router.clone();
        let req = self.req.clone();
        let call = Box::pin(async move {
            let out = open_continuation(&router, &mut plan, &req, &kept, budget).await;
            (plan, out)
        });
        self.resuming = Some(Resuming {
            call,
            recovery_id,
            from: self.slot,
            mark: partial.text().len() + partial.reasoning_text().len(),
            base: partial.usage,
        });
        Ok(())
    }

    /// Polls the continuation being opened; once open, its stream is handed over.
    pub(super) fn poll_resume(&mut self, cx: &mut Context<'_>) -> Poll<Result<()>> {
        let Some(r) = self.resuming.as_mut() else {
            return Poll::Ready(Ok(()));
        };
        let (plan, out) = match r.call.as_mut().poll(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(x) => x,
        };
        let Some(r) = self.resuming.take() else {
            return Poll::Ready(Ok(()));
        };
        self.plan = Some(plan);
        match out {
            Ok(o) => {
                if let (Some(id), Ok(store)) = (
                    &r.recovery_id,
                    self.router.inner.slots[r.from].client.recovery_store(),
                ) {
                    store.remove(id);
                }
                self.base = r.base;
                self.mark = r.mark;
                self.slot = o.slot;
                // The broken part's ticket is settled: replacing it releases nothing twice.
                self.ticket = o.ticket;
                self.trim_next = o.trim_next;
                if let Some(p) = &self.plan {
                    self.prompt = p.estimate.prompt;
                }
                self.install(o.inner, o.head, o.ended, o.t0);
                Poll::Ready(Ok(()))
            }
            Err(mut e) => {
                if let Some(id) = r.recovery_id {
                    e = e.with_recovery_id(id);
                }
                Poll::Ready(Err(self.with_partial(e)))
            }
        }
    }
}

/// Picks the next deployment of the plan and opens the continuation on it, trying others
/// (within the attempt cap) when it fails before content.
async fn open_continuation(
    router: &Router,
    plan: &mut Plan,
    req: &ChatRequest,
    kept: &str,
    budget: Option<u32>,
) -> Result<Opened> {
    let probe = continuation(req, kept, false, None, budget);
    plan.estimate = plan.estimate_for(router, &probe);
    loop {
        let (i, reservation) = plan.next(router, &probe).await?;
        plan.attempts += 1;
        let slot = &router.inner.slots[i];
        let mut ticket = Ticket::new(router.inner.state.clone(), reservation);
        let prefill = slot.client.prefills(&slot.dep.model);
        let call = continuation(req, kept, prefill, None, budget);
        let t0 = Instant::now();
        match open(slot, &call).await {
            Ok((inner, head, ended)) => {
                router.learn_from_events(i, &head);
                let mut a = attempt(plan, router, i, t0, None);
                a.resumed = true;
                plan.route.attempts.push(a);
                return Ok(Opened {
                    slot: i,
                    ticket,
                    inner,
                    head,
                    ended,
                    t0,
                    trim_next: prefill && kept.ends_with(char::is_whitespace),
                });
            }
            Err(e) => {
                ticket.settle(failed(router, &e));
                let mut a = attempt(plan, router, i, t0, Some(&e));
                a.resumed = true;
                plan.route.attempts.push(a);
                tracing::warn!(deployment = %slot.dep.id, error = %e, "continuation failed before content");
                plan.attempt_failed(router, &probe, e)?;
            }
        }
    }
}
