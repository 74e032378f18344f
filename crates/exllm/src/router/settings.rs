//! What a router does besides picking deployments: its strategy, the cap on attempts, the
//! fallback groups by cause, cooldowns, the bounded wait when every deployment cools, and
//! budgets. Plain data, read from a config file or written in code.

use super::strategy::StrategyKind;
use crate::catalog::BudgetAction;
use std::collections::BTreeMap;
use std::time::Duration;

/// Fallback groups by group name, tried in order.
pub type Fallbacks = BTreeMap<String, Vec<String>>;

/// When a deployment cools and for how long.
#[derive(Debug, Clone, PartialEq)]
pub struct CooldownPolicy {
    /// Failures (5xx, network, timeouts) within `window` that cool a deployment (0: never).
    pub allowed_fails: u32,
    /// How far back failures count.
    pub window: Duration,
    /// How long a deployment cools after `allowed_fails` failures.
    pub cooldown: Duration,
    /// How long a 429 cools it when the provider named no reset time.
    pub rate_limit: Duration,
    /// How long a rejected key (401/403), an unknown model (404) or an exhausted quota cools it.
    pub rejected: Duration,
}

impl Default for CooldownPolicy {
    fn default() -> Self {
        CooldownPolicy {
            allowed_fails: 3,
            window: Duration::from_secs(60),
            cooldown: Duration::from_secs(30),
            rate_limit: Duration::from_secs(5),
            rejected: Duration::from_secs(300),
        }
    }
}

/// What a router spending limit covers (a process-local cost tracker's budget is
/// [`crate::catalog::Budget`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SpendScope {
    /// Every call routed to a group.
    Group(String),
    /// Every call sent to a deployment (by id).
    Deployment(String),
    /// Every call sent to a deployment with this tag.
    Tag(String),
}

impl SpendScope {
    /// `group:NAME`, `deployment:ID` or `tag:NAME` (the key state is kept under).
    pub fn key(&self) -> String {
        match self {
            SpendScope::Group(g) => format!("group:{g}"),
            SpendScope::Deployment(d) => format!("deployment:{d}"),
            SpendScope::Tag(t) => format!("tag:{t}"),
        }
    }
}

/// A spending limit in USD per period.
#[derive(Debug, Clone, PartialEq)]
pub struct SpendLimit {
    /// What it covers.
    pub scope: SpendScope,
    /// The limit in USD per period.
    pub limit_usd: f64,
    /// The period; spend starts again from zero after it.
    pub period: Duration,
    /// Warn and let the call go, or refuse it.
    pub action: BudgetAction,
}

/// A router's settings.
#[derive(Debug, Clone, PartialEq)]
pub struct RouterSettings {
    /// How a deployment is picked among those that can serve.
    pub strategy: StrategyKind,
    /// Calls sent per request at most, over the group and its fallbacks.
    pub max_attempts: u32,
    /// Groups tried when a group fails for any other cause.
    pub fallbacks: Fallbacks,
    /// Groups tried when the prompt does not fit ([`crate::ErrorKind::ContextLength`], or
    /// every deployment's window too small).
    pub context_window_fallbacks: Fallbacks,
    /// Groups tried when a provider refuses the content (content policy, content filter).
    pub content_policy_fallbacks: Fallbacks,
    /// Cooldowns.
    pub cooldown: CooldownPolicy,
    /// How long a call waits when every deployment cools or is at its rate limit, for the
    /// soonest one, before failing with the time to retry.
    pub max_wait: Duration,
    /// The lowest-latency strategy picks at random among deployments within this fraction of
    /// the best (0.1: up to 10% slower).
    pub latency_buffer: f64,
    /// Samples kept per deployment for latency.
    pub latency_window: usize,
    /// Output tokens assumed for limits, budgets and cost when the request sets no
    /// `max_tokens` and the catalog knows no output limit.
    pub default_output_tokens: u32,
    /// Spending limits.
    pub budgets: Vec<SpendLimit>,
    /// Seed of the strategies' random choices (reproducible picks in tests).
    pub seed: Option<u64>,
    /// Probe every deployment in the background at this interval (a one-token request each,
    /// feeding the cooldowns and latency); `None`: no background probes.
    pub health_interval: Option<Duration>,
}

impl Default for RouterSettings {
    fn default() -> Self {
        RouterSettings {
            strategy: StrategyKind::Weighted,
            max_attempts: 5,
            fallbacks: Fallbacks::new(),
            context_window_fallbacks: Fallbacks::new(),
            content_policy_fallbacks: Fallbacks::new(),
            cooldown: CooldownPolicy::default(),
            max_wait: Duration::from_secs(5),
            latency_buffer: 0.1,
            latency_window: 32,
            default_output_tokens: 1024,
            budgets: Vec::new(),
            seed: None,
            health_interval: None,
        }
    }
}
