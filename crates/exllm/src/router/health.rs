//! Health probes: a one-token request to one deployment, admitted and settled through the
//! router's state like any call, so a failure counts toward its cooldown, a 429 cools it and
//! an answer records its latency. With [`super::RouterSettings::health_interval`] set, the
//! router probes every deployment in the background at that interval (skipping those that
//! cool or are at their limit); the task holds the router weakly and ends with it.

use super::call::{failed, Ticket};
use super::state::{Admission, Refusal, Settlement, Verdict};
use super::{Inner, Router};
use crate::{ChatRequest, Error, ErrorKind, Message, Result};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

impl Router {
    /// Sends `deployment_id` a one-token request through the router's state and returns how
    /// long it took to answer. A deployment that cools or is at its limit is not sent
    /// anything (the error says so).
    pub async fn probe(&self, deployment_id: &str) -> Result<Duration> {
        let Some(i) = self
            .inner
            .slots
            .iter()
            .position(|s| s.dep.id == deployment_id)
        else {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                format!("the router has no deployment `{deployment_id}`"),
            ));
        };
        let slot = &self.inner.slots[i];
        let mut req = ChatRequest::new(slot.dep.model.clone(), vec![Message::user("ping")]);
        req.max_tokens = Some(1);
        let tokens = crate::tokens::count_messages(&slot.dep.model, &req.messages, &[]).tokens + 1;
        let admission = Admission {
            deployment: &slot.dep.id,
            group: &slot.dep.group,
            tags: &slot.dep.tags,
            rpm: slot.rpm(),
            tpm: slot.tpm(),
            tokens,
            cost_usd: 0.0,
            budgets: &[],
            cooldown: &self.inner.settings.cooldown,
        };
        let reservation = match self.inner.state.admit(&admission).await {
            Ok(r) => r,
            Err(Refusal::Cooling { until }) => {
                let left = until.saturating_duration_since(Instant::now());
                return Err(
                    Error::new(ErrorKind::CircuitOpen, "the deployment is cooling")
                        .with_retry_after(left),
                );
            }
            Err(Refusal::RateLimited { retry_in }) => {
                return Err(
                    Error::new(ErrorKind::RateLimit, "the deployment is at its limit")
                        .with_retry_after(retry_in),
                )
            }
            Err(Refusal::SpendLimit { message }) => {
                return Err(Error::new(ErrorKind::QuotaExceeded, message))
            }
            Err(Refusal::Unavailable { message }) => {
                return Err(Error::new(ErrorKind::Network, message))
            }
        };
        let mut ticket = Ticket::new(self.inner.state.clone(), reservation);
        let t0 = Instant::now();
        match slot.client.chat(req).await {
            Ok(resp) => {
                let took = t0.elapsed();
                let out = resp.usage.as_ref().and_then(|u| u.output_tokens);
                ticket.settle(Settlement {
                    tokens: resp.usage.as_ref().and_then(|u| u.total_tokens()),
                    cost_usd: resp.cost.as_ref().map(|c| c.total),
                    ttft_ms: None,
                    per_token_ms: Some(
                        took.as_secs_f64() * 1000.0 / out.unwrap_or(1).max(1) as f64,
                    ),
                    verdict: Verdict::Success,
                });
                self.learn(i, resp.provider_meta.get(crate::wire::RATE_LIMITS_KEY));
                Ok(took)
            }
            Err(e) => {
                ticket.settle(failed(self, &e));
                Err(e)
            }
        }
    }

    /// Starts the background probes when the settings ask for them and a Tokio runtime runs.
    pub(crate) fn start_health_probes(&self) {
        let Some(every) = self.inner.settings.health_interval.filter(|d| !d.is_zero()) else {
            return;
        };
        let Ok(rt) = tokio::runtime::Handle::try_current() else {
            tracing::warn!("router health probes need a Tokio runtime; not started");
            return;
        };
        rt.spawn(probe_loop(Arc::downgrade(&self.inner), every));
    }
}

async fn probe_loop(inner: Weak<Inner>, every: Duration) {
    loop {
        tokio::time::sleep(every).await;
        let Some(inner) = inner.upgrade() else { return };
        let router = Router { inner };
        let ids: Vec<String> = router.deployments().map(|d| d.id.clone()).collect();
        let probes = ids.iter().map(|id| router.probe(id));
        for (id, r) in ids.iter().zip(futures_util::future::join_all(probes).await) {
            if let Err(e) = r {
                tracing::debug!(deployment = %id, error = %e, "health probe");
            }
        }
    }
}
