//! Admission: a request's worst case (estimated input tokens plus `max_tokens`, at the
//! model's price) reserved against every scope that caps it — the key, its team and the
//! model — in this process ([`super::Governor`]) or, with `[governance.shared]`, in Redis in
//! one round trip ([`crate::shared::RedisGovernor`]). Chat and embeddings requests are both
//! admitted here, so both count in budgets, limits and the ledger.

use super::gate::{scope_error, Price};
use super::{Caller, Governance, Hold, Refused, Scope, Ticket};
use crate::keys::{now, KeyRecord};
use crate::server::Backend;
use crate::shared::Span;
use crate::wire::ApiError;
use exllm::{ChatRequest, Usage};
use std::sync::Arc;
use std::time::Instant;

fn api(r: Refused) -> ApiError {
    ApiError {
        status: r.status,
        kind: r.kind,
        message: r.message,
        retry_after: r.retry_after,
    }
}

fn group_of(backend: &Backend) -> (Option<&str>, &str) {
    match backend {
        Backend::Group { group, .. } => (Some(group.as_str()), group.as_str()),
        Backend::Direct { model, .. } => (None, model.as_str()),
    }
}

impl Governance {
    /// Checks that `caller` may use model `name` (served by `backend`), then reserves the
    /// chat request's worst case against the key's, team's and model's budgets and limits.
    pub async fn admit_for(
        self: &Arc<Self>,
        caller: &Caller,
        name: &str,
        backend: &Backend,
        req: &ChatRequest,
    ) -> Result<Ticket, ApiError> {
        let (group, deployment) = group_of(backend);
        let key = self.scoped(caller, name, group)?;
        let input = exllm::tokens::count_messages(deployment, &req.messages, &req.tools).tokens;
        let output = req.max_tokens.map(u64::from).unwrap_or_else(|| {
            match self.price(name) {
                Price::Catalog(e) => e.max_output_tokens,
                Price::Flat { .. } => None,
            }
            .unwrap_or(u64::from(self.default_max_tokens))
        });
        self.ticket(key, name, deployment, input, output).await
    }

    /// The same for an embeddings request of `inputs`: its worst case is its input tokens.
    pub async fn admit_embed(
        self: &Arc<Self>,
        caller: &Caller,
        name: &str,
        backend: &Backend,
        inputs: &[String],
    ) -> Result<Ticket, ApiError> {
        let (group, deployment) = group_of(backend);
        let key = self.scoped(caller, name, group)?;
        let input = inputs
            .iter()
            .map(|t| exllm::tokens::count_text(deployment, t).tokens)
            .sum();
        self.ticket(key, name, deployment, input, 0).await
    }

    fn scoped(
        &self,
        caller: &Caller,
        name: &str,
        group: Option<&str>,
    ) -> Result<Option<Arc<KeyRecord>>, ApiError> {
        match caller {
            Caller::Key(k) if !k.allows(name, group) => Err(scope_error(name)),
            Caller::Key(k) => Ok(Some(k.clone())),
            _ => Ok(None),
        }
    }

    async fn ticket(
        self: &Arc<Self>,
        key: Option<Arc<KeyRecord>>,
        name: &str,
        deployment: &str,
        input: u64,
        output: u64,
    ) -> Result<Ticket, ApiError> {
        let worst = Usage {
            input_tokens: Some(input),
            output_tokens: Some(output),
            ..Usage::default()
        };
        let cost = self.cost(name, &worst);
        let hold = self
            .reserve(key.as_deref(), name, input + output, cost)
            .await?;
        Ok(Ticket {
            gov: self.clone(),
            hold: Some(hold),
            key,
            model: name.to_owned(),
            deployment: deployment.to_owned(),
            t0: Instant::now(),
        })
    }

    /// Every scope that caps a request of `key` to model `name`.
    fn scopes<'a>(&'a self, key: Option<&'a KeyRecord>, name: &str) -> Vec<Scope<'a>> {
        let mut scopes = Vec::new();
        if let Some(k) = key {
            scopes.push(Scope {
                key: format!("key:{}", k.id),
                label: format!("key `{}`", k.alias.as_deref().unwrap_or(&k.id)),
                limits: &k.limits,
            });
            if let Some((team, limits)) = k.team.as_ref().and_then(|t| self.teams.get_key_value(t))
            {
                scopes.push(Scope {
                    key: format!("team:{team}"),
                    label: format!("team `{team}`"),
                    limits,
                });
            }
        }
        if let Some((model, limits)) = self.models.get_key_value(name) {
            scopes.push(Scope {
                key: format!("model:{model}"),
                label: format!("model `{model}`"),
                limits,
            });
        }
        scopes
    }

    /// A key's spend in its budget's current period, settled and reserved, in USD: from
    /// the shared state when there is one (what every instance spent; `None` when it does not
    /// answer), else this process's.
    pub async fn spent(&self, key: &KeyRecord) -> Option<(f64, f64)> {
        let scope = format!("key:{}", key.id);
        let Some(shared) = &self.shared else {
            return Some(self.governor.spent(&scope));
        };
        let (start, _) = key.limits.period.bounds(now());
        if key.limits.max_budget.is_none() {
            // Redis keeps spend only where there is a budget to hold; the ledger has the rest
            // (what every instance wrote so far).
            return self
                .ledger
                .spent_since(&scope, start)
                .ok()
                .map(|s| (s, 0.0));
        }
        shared.spent(&scope, start * 1000).await
    }

    async fn reserve(
        &self,
        key: Option<&KeyRecord>,
        name: &str,
        tokens: u64,
        cost: f64,
    ) -> Result<Hold, ApiError> {
        let scopes = self.scopes(key, name);
        let unix = now();
        let Some(shared) = &self.shared else {
            return self
                .governor
                .admit(&scopes, tokens, cost, unix, Instant::now())
                .map_err(api);
        };
        let spans: Vec<(Scope<'_>, Span)> = scopes
            .into_iter()
            .map(|s| {
                let (start, end) = s.limits.period.bounds(unix);
                let span = Span {
                    start: start * 1000,
                    end: end.map(|e| e * 1000),
                };
                (s, span)
            })
            .collect();
        let deny: Vec<String> = key.map(|k| format!("id:{}", k.id)).into_iter().collect();
        let remote = shared
            .admit(&spans, &deny, tokens, cost, &self.seed)
            .await
            .map_err(api)?;
        Ok(Hold {
            entries: Vec::new(),
            cost,
            tokens,
            remote,
        })
    }
}
