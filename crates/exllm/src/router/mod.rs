//! The router: a group name (`fast`, `smart`, a public model name) stands for several
//! deployments of a model; the router picks one per call with a [`Strategy`], skips those that
//! cannot serve the request or are cooling, retries on another deployment of the group, then
//! falls back to other groups by cause, and holds RPM/TPM limits and USD budgets by reserving
//! an estimate before each call and reconciling it after.
//!
//! It is a layer over the public [`Client`]: each deployment gets a client configured with its
//! endpoint and key (the client's own retries and breaker are off — the router retries on
//! another deployment and keeps the cooldowns in its [`RouterState`]). The client knows
//! nothing of the router.
//!
//! ```no_run
//! # async fn run() -> exllm::Result<()> {
//! use exllm::router::{Deployment, Router};
//! use exllm::{ChatRequest, Message};
//! let router = Router::builder()
//!     .deployment(Deployment::new("fast", "openai/gpt-4o-mini").api_key_env("OPENAI_API_KEY").rpm(500))
//!     .deployment(Deployment::new("fast", "groq/llama-3.1-8b-instant").api_key_env("GROQ_API_KEY"))
//!     .build()?;
//! let resp = router.chat(ChatRequest::new("fast", vec![Message::user("Hi")])).await?;
//! println!("{} via {:?}", resp.text(), exllm::router::Route::of(&resp).and_then(|r| r.answered_by().map(str::to_owned)));
//! # Ok(()) }
//! ```

mod bucket;
mod builder;
mod call;
mod checks;
mod config;
mod config_litellm;
mod config_schema;
#[cfg(test)]
mod config_tests;
mod deployment;
mod explain;
mod guard;
mod health;
mod learned;
mod memory;
mod plan;
#[cfg(feature = "redis")]
mod redis_config;
#[cfg(feature = "redis")]
mod redis_cooldowns;
#[cfg(feature = "redis")]
mod redis_state;
mod route;
mod settings;
mod state;
mod state_config;
mod strategy;
mod stream;
mod stream_resume;
#[cfg(test)]
mod tests;

pub use builder::RouterBuilder;
pub use config::RouterConfig;
pub use deployment::{Deployment, KeySource};
pub use explain::{Considered, Explanation};
pub use memory::MemoryState;
#[cfg(feature = "redis")]
pub use redis_cooldowns::{SharedCooldowns, SharedCooldownsConfig, SharedCooldownsCounters};
#[cfg(feature = "redis")]
pub use redis_state::{FailMode, RedisCounters, RedisState, RedisStateConfig};
pub use route::{Attempt, Route, ROUTE_KEY};
pub use settings::{CooldownPolicy, Fallbacks, RouterSettings, SpendLimit, SpendScope};
pub use state::{
    Admission, DeploymentStats, Refusal, Reservation, RouterState, Settlement, Verdict,
};
pub use state_config::StateSettings;
pub use strategy::{Candidate, Strategy, StrategyKind};

use crate::catalog::ModelEntry;
use crate::Client;
use foldhash::HashMap;
use std::sync::Arc;

/// A router over groups of deployments. Cheap to clone; clones share state.
#[derive(Clone)]
pub struct Router {
    inner: Arc<Inner>,
}

/// A deployment with its client and catalog entry.
struct Slot {
    dep: Deployment,
    client: Client,
    entry: Option<ModelEntry>,
    /// The limits its provider announced.
    learned: learned::Learned,
}

struct Inner {
    slots: Vec<Slot>,
    groups: HashMap<String, Vec<usize>>,
    settings: RouterSettings,
    strategy: Arc<dyn Strategy>,
    state: Arc<dyn RouterState>,
    /// Whether the strategy ranks by price (the cost strategy, or a caller's own, which may):
    /// the prompt is then counted for every call.
    counts_prompts: bool,
    /// How many times a stream that broke after content continues on another deployment
    /// (the client template's auto-resume, with recovery on).
    resumes: u32,
    /// The guardrails of each group that has some.
    guards: HashMap<String, crate::guardrails::Guardrails>,
}

/// Shows the deployments (keys hidden) and settings.
impl std::fmt::Debug for Router {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Router")
            .field("deployments", &self.deployments().collect::<Vec<_>>())
            .field("settings", &self.inner.settings)
            .field("strategy", &self.inner.strategy.name())
            .finish_non_exhaustive()
    }
}

impl Router {
    /// A builder.
    pub fn builder() -> RouterBuilder {
        RouterBuilder::default()
    }

    /// A router from a config file: our TOML (`.toml`) or LiteLLM's YAML (`.yaml`, `.yml`).
    pub fn from_file(path: impl AsRef<std::path::Path>) -> crate::Result<Router> {
        RouterBuilder::from_config(RouterConfig::load(path.as_ref())?).build()
    }

    /// Whether `name` is a group of this router.
    pub fn has_group(&self, name: &str) -> bool {
        self.inner.groups.contains_key(name)
    }

    /// The group names, sorted.
    pub fn groups(&self) -> Vec<&str> {
        let mut g: Vec<&str> = self.inner.groups.keys().map(String::as_str).collect();
        g.sort_unstable();
        g
    }

    /// Every deployment, in configuration order.
    pub fn deployments(&self) -> impl Iterator<Item = &Deployment> {
        self.inner.slots.iter().map(|s| &s.dep)
    }

    /// The settings.
    pub fn settings(&self) -> &RouterSettings {
        &self.inner.settings
    }

    /// The state (cooldowns, limits, spend).
    pub fn state(&self) -> &Arc<dyn RouterState> {
        &self.inner.state
    }

    /// A deployment's state now.
    pub fn stats(&self, deployment_id: &str) -> Option<DeploymentStats> {
        let s = self
            .inner
            .slots
            .iter()
            .find(|s| s.dep.id == deployment_id)?;
        Some(s.stats(self))
    }
}
