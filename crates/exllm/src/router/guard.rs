//! A router group's guardrails: configured per group (`[guardrails.<group>]`, `"*"` for
//! every group) or in code ([`super::RouterBuilder::guardrails`]), run around the routed call
//! — the request is checked and masked once, before any deployment or fallback sees it, and
//! the answer is checked and restored whichever deployment gave it.

use super::{Route, Router};
use crate::guardrails::{Guardrails, GuardrailsConfig};
use crate::types::{ChatRequest, ChatResponse};
use crate::{ChatStream, ClientBuilder, Result};
use foldhash::HashMap;
use std::collections::BTreeMap;

/// The guardrails of every group that has some.
pub(super) fn build(
    configs: &BTreeMap<String, GuardrailsConfig>,
    code: &[(String, Guardrails)],
    groups: &HashMap<String, Vec<usize>>,
    template: &ClientBuilder,
    env: &super::builder::Env,
) -> Result<HashMap<String, Guardrails>> {
    if configs.is_empty() && code.is_empty() {
        return Ok(HashMap::default());
    }
    // A moderation check calls its model through a client of the router's template.
    let needs_client = configs.values().any(|c| c.moderation.is_some());
    let client = if needs_client {
        let env = env.clone();
        Some(template.clone().env_lookup(move |k| env(k)).build()?)
    } else {
        None
    };
    for name in configs.keys().chain(code.iter().map(|(g, _)| g)) {
        if name != "*" && !groups.contains_key(name) {
            return Err(crate::Error::new(
                crate::ErrorKind::Config,
                format!("guardrails for `{name}`, which is not a router group"),
            ));
        }
    }
    let mut out = HashMap::default();
    for group in groups.keys() {
        let mut cfg = configs.get(group).cloned().unwrap_or_default();
        if let Some(all) = configs.get("*") {
            cfg.merge(all);
        }
        let mut rails = cfg.build(client.as_ref())?;
        for (g, extra) in code {
            if g == group || g == "*" {
                for r in extra.rails() {
                    rails.push(r.clone());
                }
            }
        }
        if !rails.is_empty() {
            out.insert(group.clone(), rails);
        }
    }
    Ok(out)
}

impl Router {
    /// The guardrails of `group`, if it has some.
    pub fn guardrails(&self, group: &str) -> Option<&Guardrails> {
        self.inner.guards.get(group)
    }

    /// Sends `req` (its `model` names a group) to a deployment of the group, retrying on
    /// others and falling back to other groups as configured, inside the group's guardrails.
    /// The answer's [`ChatResponse::route`] holds every attempt.
    pub async fn chat(&self, req: ChatRequest) -> Result<ChatResponse> {
        // Not through `chat_routed`: that copies the route out of the answer, which costs
        // a routed call several allocations it does not need.
        let (req, guarded) = self.guard_input(req).await?;
        let out = self.chat_bare(req).await;
        match guarded {
            Some((guard, vault)) => out.and_then(|r| guard.check_output(r, &vault)),
            None => out,
        }
    }

    /// The request after the group's input guardrails, and what checks the answer (none for
    /// a group without guardrails). One await of the call itself follows it in each caller,
    /// so the call's future is laid out once in theirs (two awaits in two branches doubled
    /// the router's future).
    async fn guard_input(
        &self,
        req: ChatRequest,
    ) -> Result<(ChatRequest, Option<(Guardrails, crate::guardrails::Vault)>)> {
        let Some(guard) = self.guardrails(&req.model).cloned() else {
            return Ok((req, None));
        };
        // Boxed: only a guarded call pays for the check's (large) future.
        let (req, vault) = Box::pin(guard.check_input(req)).await?;
        Ok((req, Some((guard, vault))))
    }

    /// [`Router::chat`], with the route also when the call fails (every attempt, its
    /// deployment, error kind and latency; empty when nothing was sent).
    pub async fn chat_routed(&self, req: ChatRequest) -> (Result<ChatResponse>, Route) {
        let (req, guarded) = match self.guard_input(req).await {
            Ok(x) => x,
            Err(e) => return (Err(e), Route::default()),
        };
        let (out, route) = self.chat_routed_bare(req).await;
        match guarded {
            Some((guard, vault)) => (out.and_then(|r| guard.check_output(r, &vault)), route),
            None => (out, route),
        }
    }

    /// Streams the answer of `req` (its `model` names a group), inside the group's
    /// guardrails. Failures before the first content event move to another deployment or
    /// group like [`Router::chat`]; the route is the stream's first event
    /// ([`crate::StreamEvent::Route`], collected into [`crate::ChatResponse::route`]) and is
    /// sent again when a break continues elsewhere.
    pub async fn chat_stream(&self, req: ChatRequest) -> Result<ChatStream> {
        self.stream_guarded(req, false).await.0
    }

    /// [`Router::chat_stream`], with the route of the attempts made before the stream was
    /// handed over (or before the call failed).
    pub async fn chat_stream_routed(&self, req: ChatRequest) -> (Result<ChatStream>, Route) {
        self.stream_guarded(req, true).await
    }

    async fn stream_guarded(
        &self,
        req: ChatRequest,
        want_route: bool,
    ) -> (Result<ChatStream>, Route) {
        let (req, guarded) = match self.guard_input(req).await {
            Ok(x) => x,
            Err(e) => return (Err(e), Route::default()),
        };
        let (out, route) = self.chat_stream_routed_bare(req, want_route).await;
        match guarded {
            Some((guard, vault)) => (out.map(|s| guard.check_stream(s, vault)), route),
            None => (out, route),
        }
    }
}
