//! One routed call's progress: the group being tried, the deployments already tried in it,
//! the fallback groups left, the attempts made, and the choice of the next deployment (pre-call
//! checks, cooldowns, tiers, the strategy, admission by the state, the bounded wait).

use super::checks::{check, Needs, Unfit};
use super::route::{Cause, Route};
use super::state::{Admission, DeploymentStats, Refusal, Reservation};
use super::strategy::Candidate;
use super::Router;
use crate::{ChatRequest, Error, ErrorKind, Result};
use smallvec::SmallVec;
use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// Why no deployment of a group could be picked.
enum Blocked {
    /// Every fit deployment cools or is at its limit; the soonest frees up in this long.
    Busy { retry_in: Duration, cooling: bool },
    /// A refusing budget.
    SpendLimit(String),
    /// No deployment can take this request.
    Unfit(Error, Cause),
    /// Every fit deployment has been tried in this call.
    Exhausted,
}

/// The estimate a call is admitted with.
pub(crate) struct Estimate {
    pub(crate) prompt: u64,
    pub(crate) output: u64,
}

pub(crate) struct Plan {
    pub(crate) group: String,
    /// The group the caller asked for, once a fallback replaced it in `group` (kept apart
    /// only then: one string fewer per call).
    original: Option<String>,
    queue: Option<VecDeque<String>>,
    tried: SmallVec<[usize; 4]>,
    pub(crate) attempts: u32,
    waited: Duration,
    rounds: u32,
    /// The attempts so far; its `group` is filled when the route leaves the plan
    /// ([`Plan::take_route`], [`Plan::route_now`]).
    pub(crate) route: Route,
    pub(crate) last: Option<Error>,
    needs: Needs,
    streaming: bool,
    pub(crate) estimate: Estimate,
}

impl Plan {
    pub(crate) fn new(router: &Router, req: &ChatRequest, streaming: bool) -> Result<Plan> {
        if !router.has_group(&req.model) {
            return Err(Error::new(
                ErrorKind::Config,
                format!("the router has no group `{}`", req.model),
            ));
        }
        let mut p = Plan {
            group: req.model.clone(),
            original: None,
            queue: None,
            tried: SmallVec::new(),
            attempts: 0,
            waited: Duration::ZERO,
            rounds: 0,
            route: Route::default(),
            last: None,
            needs: Needs::of(req),
            streaming,
            estimate: Estimate {
                prompt: 0,
                output: 0,
            },
        };
        p.estimate = p.estimate_for(router, req);
        Ok(p)
    }

    /// Prompt tokens counted with the group's first model (one count per group, not per
    /// deployment), output at the request's limit. The count is only made when something
    /// uses it — a TPM limit, a budget, the cost strategy, a window the prompt might not fit;
    /// otherwise the prompt's bytes (never fewer than its tokens) stand for it.
    pub(crate) fn estimate_for(&self, router: &Router, req: &ChatRequest) -> Estimate {
        let inner = &router.inner;
        let members = &inner.groups[&self.group];
        let output = u64::from(
            req.max_tokens
                .unwrap_or(inner.settings.default_output_tokens),
        );
        if let Some(bound) = text_bound(req) {
            let exact = !inner.settings.budgets.is_empty()
                || inner.counts_prompts
                || members.iter().any(|&i| {
                    let s = &inner.slots[i];
                    s.tpm().is_some()
                        || s.entry
                            .as_ref()
                            .and_then(|m| m.context_window)
                            .is_some_and(|w| bound > w)
                });
            if !exact {
                return Estimate {
                    prompt: bound,
                    output,
                };
            }
        }
        let model = members
            .first()
            .map_or("", |&i| inner.slots[i].dep.model.as_str());
        Estimate {
            prompt: crate::tokens::count_messages(model, &req.messages, &req.tools).tokens,
            output,
        }
    }

    /// The next deployment, admitted; waits (bounded) while all cool; moves to fallback
    /// groups when the group cannot serve. `Err` ends the call.
    pub(crate) async fn next(
        &mut self,
        router: &Router,
        req: &ChatRequest,
    ) -> Result<(usize, Reservation)> {
        loop {
            if self.attempts >= router.inner.settings.max_attempts.max(1) {
                return Err(self.last.take().unwrap_or_else(|| {
                    Error::new(ErrorKind::Config, "the router's attempt cap is 0")
                }));
            }
            match self.select(router).await {
                Ok(picked) => return Ok(picked),
                Err(Blocked::Busy { .. }) if !self.tried.is_empty() && self.last.is_some() => {
                    // Deployments tried in this call are not in the pick: look at them again.
                    self.go_round(router, req).await?;
                }
                Err(Blocked::Busy { retry_in, cooling }) => {
                    let left = router.inner.settings.max_wait.saturating_sub(self.waited);
                    if retry_in <= left {
                        tokio::time::sleep(retry_in).await;
                        self.waited += retry_in;
                        continue;
                    }
                    let (kind, what) = if cooling {
                        (ErrorKind::CircuitOpen, "cooling")
                    } else {
                        (ErrorKind::RateLimit, "at its RPM/TPM limit")
                    };
                    let e = Error::new(
                        kind,
                        format!(
                            "every deployment of group `{}` is {what}; retry in {:.1}s",
                            self.group,
                            retry_in.as_secs_f64()
                        ),
                    )
                    .with_retry_after(retry_in);
                    self.group_failed(router, req, e, Cause::Deployment)?;
                }
                Err(Blocked::SpendLimit(msg)) => {
                    let e = Error::new(ErrorKind::QuotaExceeded, msg);
                    self.group_failed(router, req, e, Cause::Deployment)?;
                }
                Err(Blocked::Unfit(e, cause)) => self.group_failed(router, req, e, cause)?,
                Err(Blocked::Exhausted) => self.go_round(router, req).await?,
            }
        }
    }

    /// Every deployment of the group was tried (or the untried ones are busy): go round the
    /// group again after a short, growing pause counted in the bounded wait — the cooldowns
    /// and the attempt cap bound it — unless a fallback group is left or the last failure was
    /// the request's own.
    async fn go_round(&mut self, router: &Router, req: &ChatRequest) -> Result<()> {
        self.tried.clear();
        let e = self
            .last
            .take()
            .unwrap_or_else(|| Error::new(ErrorKind::Config, "no deployment could be tried"));
        let cause = super::route::cause_of(&e);
        if cause != Cause::Deployment
            || self.has_fallback(router, cause)
            || !self.select_would_wait(router)
        {
            return self.group_failed(router, req, e, cause);
        }
        self.last = Some(e);
        self.rounds += 1;
        let left = router.inner.settings.max_wait.saturating_sub(self.waited);
        let pause = (Duration::from_millis(50) * self.rounds.min(8)).min(left);
        tokio::time::sleep(pause).await;
        self.waited += pause;
        Ok(())
    }

    /// Whether going round the group again is worth it: some deployment is not cooling, or
    /// frees up within the wait left.
    fn select_would_wait(&self, router: &Router) -> bool {
        let left = router.inner.settings.max_wait.saturating_sub(self.waited);
        let now = Instant::now();
        router.inner.groups[&self.group].iter().any(|&i| {
            match router.inner.slots[i].stats(router).cooling_until {
                None => true,
                Some(until) => until.saturating_duration_since(now) <= left,
            }
        })
    }

    /// Records a failed attempt and says whether to stay in the group.
    pub(crate) fn attempt_failed(
        &mut self,
        router: &Router,
        req: &ChatRequest,
        e: Error,
    ) -> Result<()> {
        let cause = super::route::cause_of(&e);
        match cause {
            Cause::Caller => Err(e),
            Cause::Deployment => {
                self.last = Some(e);
                Ok(())
            }
            _ => self.group_failed(router, req, e, cause),
        }
    }

    /// Moves to the next fallback group, or ends the call with `e`.
    fn group_failed(
        &mut self,
        router: &Router,
        req: &ChatRequest,
        e: Error,
        cause: Cause,
    ) -> Result<()> {
        let queue = self.queue_for(router, cause);
        let next = loop {
            match queue.pop_front() {
                Some(g) if router.has_group(&g) => break g,
                Some(g) => tracing::warn!(group = %g, "fallback group does not exist; skipped"),
                None => return Err(e),
            }
        };
        tracing::info!(from = %self.group, to = %next, error = %e, "falling back");
        let from = std::mem::replace(&mut self.group, next);
        self.original.get_or_insert(from);
        self.tried.clear();
        self.waited = Duration::ZERO;
        self.last = Some(e);
        self.estimate = self.estimate_for(router, req);
        Ok(())
    }

    /// Whether a fallback group is left for a failure of this cause.
    fn has_fallback(&mut self, router: &Router, cause: Cause) -> bool {
        self.queue_for(router, cause)
            .iter()
            .any(|g| router.has_group(g))
    }

    /// The fallback groups left, chosen by the cause of the first group failure: the
    /// cause's own list, else the generic `fallbacks`.
    fn queue_for(&mut self, router: &Router, cause: Cause) -> &mut VecDeque<String> {
        let s = &router.inner.settings;
        let original = self.original.as_ref().unwrap_or(&self.group);
        self.queue.get_or_insert_with(|| {
            let specific = match cause {
                Cause::ContextWindow => s.context_window_fallbacks.get(original),
                Cause::ContentPolicy => s.content_policy_fallbacks.get(original),
                _ => None,
            };
            specific
                .filter(|l| !l.is_empty())
                .or_else(|| s.fallbacks.get(original))
                .cloned()
                .unwrap_or_default()
                .into()
        })
    }

    /// The route so far, for a call that goes on (a stream).
    pub(crate) fn route_now(&self) -> Route {
        Route {
            group: self.original.as_ref().unwrap_or(&self.group).clone(),
            attempts: self.route.attempts.clone(),
        }
    }

    /// The route, for a call that ends here (its strings are moved, not copied; the plan is
    /// done with after this).
    pub(crate) fn take_route(&mut self) -> Route {
        let mut r = std::mem::take(&mut self.route);
        r.group = match self.original.take() {
            Some(o) => o,
            None => std::mem::take(&mut self.group),
        };
        r
    }

    /// Picks and admits a deployment of the current group.
    async fn select(&mut self, router: &Router) -> Result<(usize, Reservation), Blocked> {
        let inner = &router.inner;
        let now = Instant::now();
        let (mut open, mut soonest) = self.open_deployments(router, now)?;
        let mut cooling = true;
        let mut budget: Option<String> = None;
        let mut note = |d: Duration, is_cooling: bool| {
            soonest = Some(soonest.map_or(d, |s| s.min(d)));
            cooling &= is_cooling;
        };
        while !open.is_empty() {
            let Some(chosen) = self.pick(router, &open) else {
                return Err(Blocked::Exhausted);
            };
            let slot = &inner.slots[chosen];
            let budgets: Vec<&super::SpendLimit> = inner
                .settings
                .budgets
                .iter()
                .filter(|b| match &b.scope {
                    super::SpendScope::Group(g) => *g == self.group,
                    super::SpendScope::Deployment(d) => *d == slot.dep.id,
                    super::SpendScope::Tag(t) => slot.dep.tags.contains(t),
                })
                .collect();
            let admission = Admission {
                deployment: &slot.dep.id,
                group: &self.group,
                tags: &slot.dep.tags,
                rpm: slot.rpm(),
                tpm: slot.tpm(),
                tokens: self.estimate.prompt + self.estimate.output,
                cost_usd: self.cost_on(slot).unwrap_or(0.0),
                budgets: &budgets,
                cooldown: &inner.settings.cooldown,
            };
            let admitted = match inner.state.admit_at_once(&admission) {
                Some(answer) => answer,
                None => inner.state.admit(&admission).await,
            };
            match admitted {
                Ok(r) => {
                    self.tried.push(chosen);
                    return Ok((chosen, r));
                }
                Err(Refusal::Cooling { until }) => note(until.saturating_duration_since(now), true),
                Err(Refusal::RateLimited { retry_in }) => note(retry_in, false),
                Err(Refusal::SpendLimit { message }) => budget = Some(message),
                Err(Refusal::Unavailable { message }) => {
                    // Every other deployment would meet the same store: end the call now.
                    return Err(Blocked::Unfit(
                        Error::new(ErrorKind::Network, message),
                        Cause::Deployment,
                    ));
                }
            }
            open.retain(|(i, _)| *i != chosen);
        }
        match (soonest, budget) {
            (Some(retry_in), _) => Err(Blocked::Busy { retry_in, cooling }),
            (None, Some(msg)) => Err(Blocked::SpendLimit(msg)),
            (None, None) => Err(Blocked::Exhausted),
        }
    }

    /// The group's deployments that can take the request, were not tried yet and are not
    /// cooling, with their state; and how soon the first cooling one frees up.
    #[allow(clippy::type_complexity)]
    fn open_deployments(
        &self,
        router: &Router,
        now: Instant,
    ) -> Result<(SmallVec<[(usize, DeploymentStats); 4]>, Option<Duration>), Blocked> {
        let inner = &router.inner;
        let mut unfit: Vec<String> = Vec::new();
        let mut all_window = true;
        let mut fit: SmallVec<[usize; 8]> = SmallVec::new();
        for &i in &inner.groups[&self.group] {
            let slot = &inner.slots[i];
            match check(slot.entry.as_ref(), self.needs, self.estimate.prompt) {
                Ok(()) => fit.push(i),
                Err(u) => {
                    all_window &= matches!(u, Unfit::Window { .. });
                    unfit.push(u.describe(&slot.dep.model));
                }
            }
        }
        if fit.is_empty() {
            let (kind, cause) = if all_window {
                (ErrorKind::ContextLength, Cause::ContextWindow)
            } else {
                (ErrorKind::Unsupported, Cause::Request)
            };
            let msg = format!(
                "no deployment of group `{}` can take this request: {}",
                self.group,
                unfit.join("; ")
            );
            return Err(Blocked::Unfit(Error::new(kind, msg), cause));
        }
        fit.retain(|i| !self.tried.contains(i));
        if fit.is_empty() {
            return Err(Blocked::Exhausted);
        }
        let mut soonest: Option<Duration> = None;
        let mut open = SmallVec::new();
        for &i in &fit {
            let st = inner.slots[i].stats(router);
            match st.cooling_until {
                Some(until) => {
                    let d = until.saturating_duration_since(now);
                    soonest = Some(soonest.map_or(d, |s| s.min(d)));
                }
                None => open.push((i, st)),
            }
        }
        Ok((open, soonest))
    }

    /// The strategy's pick among the open deployments of the first tier (`None`: the
    /// strategy named none of them).
    fn pick(&self, router: &Router, open: &[(usize, DeploymentStats)]) -> Option<usize> {
        let inner = &router.inner;
        let tier = open
            .iter()
            .map(|(i, _)| inner.slots[*i].dep.order)
            .min()
            .unwrap_or(0);
        let views: SmallVec<[Candidate<'_>; 8]> = open
            .iter()
            .filter(|(i, _)| inner.slots[*i].dep.order == tier)
            .map(|(i, st)| {
                let slot = &inner.slots[*i];
                Candidate {
                    deployment: &slot.dep,
                    in_flight: st.in_flight,
                    latency_ms: self.expected_latency(st),
                    headroom: st.headroom,
                    estimated_cost: self.cost_on(slot),
                }
            })
            .collect();
        let k = inner.strategy.pick(&views).min(views.len().checked_sub(1)?);
        // The candidate's slot: the one whose deployment it shows.
        open.iter()
            .map(|(i, _)| *i)
            .find(|&i| std::ptr::eq(&inner.slots[i].dep, views[k].deployment))
    }

    /// What the strategies compare: time to first content for a stream, time per output
    /// token times the output expected for a whole answer.
    pub(crate) fn expected_latency(&self, st: &super::state::DeploymentStats) -> Option<f64> {
        if self.streaming {
            st.ttft_ms
        } else {
            st.per_token_ms
                .map(|t| t * self.estimate.output.max(1) as f64)
        }
    }

    /// This request's estimated price on a deployment, from the catalog.
    pub(crate) fn cost_on(&self, slot: &super::Slot) -> Option<f64> {
        let m = slot.entry.as_ref()?;
        let input = m.price(self.estimate.prompt, false, |p| p.input)?;
        let output = m.price(self.estimate.prompt, false, |p| p.output)?;
        Some(input * self.estimate.prompt as f64 + output * self.estimate.output as f64)
    }
}

/// An upper bound of a text-only prompt's tokens: its bytes, plus a margin per message for
/// the roles and separators; `None` when a part is not text (images count by their size,
/// not their bytes here) or tools are sent.
fn text_bound(req: &ChatRequest) -> Option<u64> {
    if !req.tools.is_empty() {
        return None;
    }
    let mut bytes = 0usize;
    for m in &req.messages {
        bytes += 16;
        for p in &m.content {
            bytes += p.as_text()?.len();
        }
    }
    Some(bytes as u64)
}
