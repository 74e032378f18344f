//! [`Router::explain`]: what the router would do with a request, without sending it or
//! reserving anything — the candidates of the group, the ones the pre-call checks or a
//! cooldown removed and why, the tier, and the strategy's pick. `exllm route --explain`
//! prints it; the choice of a real call may differ (state changes, random strategies).

use super::checks::check;
use super::plan::Plan;
use super::strategy::Candidate;
use super::Router;
use crate::{ChatRequest, Result};
use serde::Serialize;
use std::time::Instant;

/// One deployment of the group as the router sees it for this request.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Considered {
    /// The deployment's id.
    pub deployment: String,
    /// Its `provider/model`.
    pub model: String,
    /// Its tier (`order`; the lowest open tier is tried first).
    pub order: u32,
    /// Its weight.
    pub weight: f64,
    /// Why it was removed (a pre-call check or a cooldown); `None` when it is a candidate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub removed: Option<String>,
    /// Requests in flight on it.
    pub in_flight: u32,
    /// Its expected latency in ms, from recent samples.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<f64>,
    /// Fraction of its RPM/TPM left.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub headroom: Option<f64>,
    /// This request's estimated price on it, in USD.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub estimated_cost: Option<f64>,
}

/// What the router would do with a request.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Explanation {
    /// The group asked for.
    pub group: String,
    /// The prompt's estimated tokens.
    pub prompt_tokens: u64,
    /// The output tokens reserved (the request's `max_tokens`, else the default).
    pub output_tokens: u64,
    /// The strategy's name.
    pub strategy: String,
    /// Every deployment of the group, in configuration order.
    pub considered: Vec<Considered>,
    /// The deployment the strategy picks now; `None` when none is open.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub choice: Option<String>,
    /// Why that one, or why none.
    pub reason: String,
    /// The groups a failure of this group would fall back to, in order.
    pub fallbacks: Vec<String>,
}

impl Router {
    /// What the router would do with `req` (its `model` names a group) now: nothing is sent
    /// and nothing is reserved.
    pub fn explain(&self, req: &ChatRequest, streaming: bool) -> Result<Explanation> {
        let mut plan = Plan::new(self, req, streaming)?;
        // The explanation shows the counted prompt, not the bound a call may get by with.
        if let Some(&first) = self.inner.groups[&req.model].first() {
            let model = &self.inner.slots[first].dep.model;
            plan.estimate.prompt =
                crate::tokens::count_messages(model, &req.messages, &req.tools).tokens;
        }
        let inner = &self.inner;
        let now = Instant::now();
        let needs = super::checks::Needs::of(req);
        let mut out = Explanation {
            group: req.model.clone(),
            prompt_tokens: plan.estimate.prompt,
            output_tokens: plan.estimate.output,
            strategy: inner.strategy.name().to_owned(),
            fallbacks: inner
                .settings
                .fallbacks
                .get(&req.model)
                .cloned()
                .unwrap_or_default(),
            ..Default::default()
        };
        let mut open = Vec::new();
        for &i in &inner.groups[&req.model] {
            let slot = &inner.slots[i];
            let d = &slot.dep;
            let st = slot.stats(self);
            let removed = match check(slot.entry.as_ref(), needs, plan.estimate.prompt) {
                Err(u) => Some(u.describe(&d.model)),
                Ok(()) => st.cooling_until.map(|until| {
                    format!(
                        "cooling for {:.1}s more",
                        until.saturating_duration_since(now).as_secs_f64()
                    )
                }),
            };
            if removed.is_none() {
                open.push((i, st));
            }
            out.considered.push(Considered {
                deployment: d.id.clone(),
                model: d.model.clone(),
                order: d.order,
                weight: d.weight,
                removed,
                in_flight: st.in_flight,
                latency_ms: plan.expected_latency(&st),
                headroom: st.headroom,
                estimated_cost: plan.cost_on(slot),
            });
        }
        let Some(tier) = open.iter().map(|(i, _)| inner.slots[*i].dep.order).min() else {
            out.reason = "no deployment of the group can take this request now".into();
            return Ok(out);
        };
        let tier_members: Vec<(usize, Candidate<'_>)> = open
            .iter()
            .filter(|(i, _)| inner.slots[*i].dep.order == tier)
            .map(|(i, st)| {
                let slot = &inner.slots[*i];
                let c = Candidate {
                    deployment: &slot.dep,
                    in_flight: st.in_flight,
                    latency_ms: plan.expected_latency(st),
                    headroom: st.headroom,
                    estimated_cost: plan.cost_on(slot),
                };
                (*i, c)
            })
            .collect();
        let views: Vec<Candidate<'_>> = tier_members.iter().map(|(_, c)| c.clone()).collect();
        let k = inner.strategy.pick(&views).min(views.len() - 1);
        out.choice = Some(inner.slots[tier_members[k].0].dep.id.clone());
        out.reason = format!(
            "{} of {} deployments can take it; tier {tier} holds {}; the `{}` strategy picks among them",
            open.len(),
            out.considered.len(),
            views.len(),
            out.strategy
        );
        Ok(out)
    }
}

#[cfg(test)]
#[path = "explain_tests.rs"]
mod tests;
