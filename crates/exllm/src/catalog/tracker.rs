//! Running totals of cost and usage, per provider, model and session, with budgets.
//!
//! The tracker is a plain value (share it behind a `Mutex` when calls run in parallel). Before
//! a call, [`CostTracker::check`] compares spent + estimated cost against each budget whose
//! scope matches the call: a `Warn` budget logs and lets the call go, a `Refuse` budget returns
//! an `InvalidInput` error naming the budget, so the call is never sent. After the call,
//! [`CostTracker::record`] adds its usage and cost.

use super::cost::Cost;
use crate::{Error, ErrorKind, Result, Usage};
use std::collections::BTreeMap;

/// Calls, usage and cost summed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Totals {
    /// Calls recorded.
    pub calls: u64,
    /// Usage summed.
    pub usage: Usage,
    /// Cost summed.
    pub cost: Cost,
}

impl Totals {
    fn add(&mut self, usage: &Usage, cost: &Cost) {
        self.calls += 1;
        self.usage.add(usage);
        self.cost.add(cost);
    }
}

/// What a budget covers.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BudgetScope {
    /// Every call.
    Total,
    /// Calls to one provider.
    Provider(String),
    /// Calls to one `provider/model`.
    Model(String),
    /// Calls of one session.
    Session(String),
}

/// What happens when a call would exceed a budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum BudgetAction {
    /// Log a warning and let the call go.
    Warn,
    /// Refuse the call with an error.
    Refuse,
}

/// A spending limit in USD.
#[derive(Debug, Clone, PartialEq)]
pub struct Budget {
    /// What it covers.
    pub scope: BudgetScope,
    /// The limit in USD.
    pub limit_usd: f64,
    /// What to do past it.
    pub action: BudgetAction,
}

/// The call being checked or recorded.
#[derive(Debug, Clone, Copy, Default)]
pub struct Call<'a> {
    /// exllm provider name.
    pub provider: &'a str,
    /// Model id (without the provider).
    pub model: &'a str,
    /// Session, if the caller groups calls.
    pub session: Option<&'a str>,
}

/// A budget a call would exceed.
#[derive(Debug, Clone, PartialEq)]
pub struct BudgetHit {
    /// The budget.
    pub budget: Budget,
    /// Spent so far in its scope.
    pub spent_usd: f64,
    /// The estimate of the call checked.
    pub estimated_usd: f64,
}

impl BudgetHit {
    /// A one-line description.
    pub fn message(&self) -> String {
        format!(
            "budget {:?} of ${:.4} would be exceeded: ${:.4} spent + ${:.4} estimated",
            self.budget.scope, self.budget.limit_usd, self.spent_usd, self.estimated_usd
        )
    }
}

/// Sums of cost and usage, and the budgets that guard them.
///
/// ```
/// use exllm::catalog::{BudgetAction, BudgetScope, Call, Cost, CostTracker};
/// use exllm::Usage;
/// let mut tracker = CostTracker::new().with_budget(BudgetScope::Total, 1.0, BudgetAction::Refuse);
/// let call = Call { provider: "openai", model: "gpt-4o-mini", session: None };
/// // Before a call: would its estimated cost go over a budget?
/// tracker.check(call, 0.25).unwrap();
/// // After it: record what it used and cost (from `ChatResponse::usage` and `cost`).
/// let usage = Usage { input_tokens: Some(1_000), output_tokens: Some(100), ..Default::default() };
/// tracker.record(call, &usage, &Cost { total: 0.9, ..Default::default() });
/// assert_eq!(tracker.total.calls, 1);
/// assert!(tracker.check(call, 0.25).is_err());
/// ```
#[derive(Debug, Clone, Default)]
pub struct CostTracker {
    /// Every call.
    pub total: Totals,
    /// By provider.
    pub by_provider: BTreeMap<String, Totals>,
    /// By `provider/model`.
    pub by_model: BTreeMap<String, Totals>,
    /// By session.
    pub by_session: BTreeMap<String, Totals>,
    /// Budgets, checked in order.
    pub budgets: Vec<Budget>,
}

impl CostTracker {
    /// An empty tracker without budgets.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a budget.
    pub fn with_budget(mut self, scope: BudgetScope, limit_usd: f64, action: BudgetAction) -> Self {
        self.budgets.push(Budget {
            scope,
            limit_usd,
            action,
        });
        self
    }

    /// Adds a finished call.
    pub fn record(&mut self, call: Call<'_>, usage: &Usage, cost: &Cost) {
        self.total.add(usage, cost);
        self.by_provider
            .entry(call.provider.to_owned())
            .or_default()
            .add(usage, cost);
        self.by_model
            .entry(format!("{}/{}", call.provider, call.model))
            .or_default()
            .add(usage, cost);
        if let Some(s) = call.session {
            self.by_session
                .entry(s.to_owned())
                .or_default()
                .add(usage, cost);
        }
    }

    /// Spent so far in a scope.
    pub fn spent(&self, scope: &BudgetScope) -> f64 {
        let totals = match scope {
            BudgetScope::Total => Some(&self.total),
            BudgetScope::Provider(p) => self.by_provider.get(p),
            BudgetScope::Model(m) => self.by_model.get(m),
            BudgetScope::Session(s) => self.by_session.get(s),
        };
        totals.map_or(0.0, |t| t.cost.total)
    }

    /// Every budget covering `call` that spent + `estimated_usd` would exceed.
    pub fn over_budget(&self, call: Call<'_>, estimated_usd: f64) -> Vec<BudgetHit> {
        let model = format!("{}/{}", call.provider, call.model);
        self.budgets
            .iter()
            .filter(|b| match &b.scope {
                BudgetScope::Total => true,
                BudgetScope::Provider(p) => p == call.provider,
                BudgetScope::Model(m) => *m == model,
                BudgetScope::Session(s) => Some(s.as_str()) == call.session,
            })
            .filter_map(|b| {
                let spent = self.spent(&b.scope);
                (spent + estimated_usd > b.limit_usd).then(|| BudgetHit {
                    budget: b.clone(),
                    spent_usd: spent,
                    estimated_usd,
                })
            })
            .collect()
    }

    /// Checks a call before it is sent: `Err` (kind `InvalidInput`) when it would exceed a
    /// `Refuse` budget; a `Warn` budget only logs.
    pub fn check(&self, call: Call<'_>, estimated_usd: f64) -> Result<()> {
        let mut refused = None;
        for hit in self.over_budget(call, estimated_usd) {
            match hit.budget.action {
                BudgetAction::Refuse => {
                    refused.get_or_insert(hit);
                }
                _ => tracing::warn!("{}", hit.message()),
            }
        }
        match refused {
            Some(hit) => Err(Error::new(
                ErrorKind::InvalidInput,
                format!("call refused: {}", hit.message()),
            )
            .with_provider(call.provider)),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cost(total: f64) -> Cost {
        Cost {
            input: total,
            total,
            ..Default::default()
        }
    }

    const CALL: Call<'static> = Call {
        provider: "openai",
        model: "gpt-5",
        session: Some("s1"),
    };

    #[test]
    fn sums_by_scope() {
        let mut t = CostTracker::new();
        let u = Usage {
            input_tokens: Some(100),
            ..Default::default()
        };
        t.record(CALL, &u, &cost(0.5));
        t.record(
            Call {
                provider: "anthropic",
                model: "claude",
                session: None,
            },
            &u,
            &cost(0.25),
        );
        assert_eq!(t.total.calls, 2);
        assert_eq!(t.total.usage.input_tokens, Some(200));
        assert_eq!(t.total.cost.total, 0.75);
        assert_eq!(t.spent(&BudgetScope::Provider("openai".into())), 0.5);
        assert_eq!(
            t.spent(&BudgetScope::Model("anthropic/claude".into())),
            0.25
        );
        assert_eq!(t.spent(&BudgetScope::Session("s1".into())), 0.5);
        assert_eq!(t.spent(&BudgetScope::Session("none".into())), 0.0);
    }

    #[test]
    fn refuses_or_warns() {
        let mut t = CostTracker::new()
            .with_budget(BudgetScope::Total, 10.0, BudgetAction::Warn)
            .with_budget(BudgetScope::Session("s1".into()), 1.0, BudgetAction::Refuse);
        t.record(CALL, &Usage::default(), &cost(0.9));
        assert!(t.check(CALL, 0.05).is_ok());
        let err = t.check(CALL, 0.2).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        assert!(err.message().contains("Session"), "{}", err.message());
        // Another session is not limited by s1's budget; the total budget only warns.
        let other = Call {
            session: Some("s2"),
            ..CALL
        };
        assert!(t.check(other, 20.0).is_ok());
        assert_eq!(t.over_budget(other, 20.0).len(), 1);
    }
}
