//! [`Router::chat`]: the attempt loop of a whole answer, and the ticket that settles a
//! reservation however the call ends (answered, failed, or dropped by the caller).

use super::plan::Plan;
use super::route::{kind_name, Attempt};
use super::state::{Reservation, RouterState, Settlement, Verdict};
use super::Router;
use crate::{ChatRequest, ChatResponse, Error, Result};
use std::sync::Arc;
use std::time::Instant;

/// A reservation that is settled exactly once: explicitly, or on drop (the caller dropped the
/// call) with what was reserved kept and no verdict against the deployment.
pub(crate) struct Ticket {
    state: Arc<dyn RouterState>,
    reservation: Option<Reservation>,
}

impl Ticket {
    pub(crate) fn new(state: Arc<dyn RouterState>, r: Reservation) -> Self {
        Ticket {
            state,
            reservation: Some(r),
        }
    }

    pub(crate) fn settle(&mut self, s: Settlement) {
        if let Some(r) = self.reservation.take() {
            self.state.settle(r, s);
        }
    }

    pub(crate) fn is_open(&self) -> bool {
        self.reservation.is_some()
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        self.settle(Settlement {
            tokens: None,
            cost_usd: None,
            ttft_ms: None,
            per_token_ms: None,
            verdict: Verdict::Neutral,
        });
    }
}

/// The settlement of a failed attempt: a refused request uses no tokens.
pub(crate) fn failed(router: &Router, e: &Error) -> Settlement {
    let verdict = super::state::verdict_of(e, &router.inner.settings.cooldown, Instant::now());
    let caller = verdict == Verdict::Neutral && e.timeout_kind() == Some(crate::TimeoutKind::Total);
    Settlement {
        // The caller's own timeout may have cut a call the provider bills: keep the estimate.
        tokens: if caller { None } else { Some(0) },
        cost_usd: if caller { None } else { Some(0.0) },
        ttft_ms: None,
        per_token_ms: None,
        verdict,
    }
}

pub(crate) fn attempt(
    plan: &Plan,
    router: &Router,
    i: usize,
    t0: Instant,
    e: Option<&Error>,
) -> Attempt {
    let dep = &router.inner.slots[i].dep;
    Attempt {
        group: plan.group.clone(),
        deployment: dep.id.clone(),
        model: dep.model.clone(),
        error: e.map(|e| kind_name(e.kind())),
        status: e.and_then(Error::status),
        latency_ms: t0.elapsed().as_millis().min(u128::from(u64::MAX)) as u64,
        resumed: false,
    }
}

impl Router {
    /// [`Router::chat_routed`] without the group's guardrails.
    pub(super) async fn chat_bare(&self, req: ChatRequest) -> Result<ChatResponse> {
        let mut plan = Plan::new(self, &req, false)?;
        self.chat_planned(&mut plan, &req).await
    }

    pub(super) async fn chat_routed_bare(
        &self,
        req: ChatRequest,
    ) -> (Result<ChatResponse>, super::Route) {
        let mut plan = match Plan::new(self, &req, false) {
            Ok(p) => p,
            Err(e) => return (Err(e), super::Route::default()),
        };
        let out = self.chat_planned(&mut plan, &req).await;
        let route = match &out {
            Ok(resp) => resp.route.clone().unwrap_or_default(),
            Err(_) => plan.take_route(),
        };
        (out, route)
    }

    async fn chat_planned(&self, plan: &mut Plan, req: &ChatRequest) -> Result<ChatResponse> {
        loop {
            let (i, reservation) = plan.next(self, req).await?;
            plan.attempts += 1;
            let slot = &self.inner.slots[i];
            let mut ticket = Ticket::new(self.inner.state.clone(), reservation);
            let t0 = Instant::now();
            // The request is lent, not copied: another deployment may need it next. Not boxed
            // (unlike `stream::open`'s): a fresh 3 KB box per call cost more in cache misses
            // (`bench/router.sh`: 1.09x -> 1.06x of a plain call's CPU) than the copy of the
            // larger future it saves a caller that boxes the router's.
            match slot.client.chat_as(req, &slot.dep.model).await {
                Ok(mut resp) => {
                    let ms = t0.elapsed().as_secs_f64() * 1000.0;
                    let out = resp.usage.as_ref().and_then(|u| u.output_tokens);
                    ticket.settle(Settlement {
                        tokens: resp.usage.as_ref().and_then(|u| u.total_tokens()),
                        cost_usd: resp.cost.as_ref().map(|c| c.total),
                        ttft_ms: None,
                        per_token_ms: Some(ms / out.unwrap_or(1).max(1) as f64),
                        verdict: Verdict::Success,
                    });
                    // After the reconciliation: what the provider says is left has the last word.
                    self.learn(i, resp.provider_meta.get(crate::wire::RATE_LIMITS_KEY));
                    let a = attempt(plan, self, i, t0, None);
                    plan.route.attempts.push(a);
                    resp.route = Some(plan.take_route());
                    return Ok(resp);
                }
                Err(e) => {
                    ticket.settle(failed(self, &e));
                    let a = attempt(plan, self, i, t0, Some(&e));
                    plan.route.attempts.push(a);
                    tracing::warn!(deployment = %slot.dep.id, error = %e, "routed attempt failed");
                    plan.attempt_failed(self, req, e)?;
                }
            }
        }
    }
}
