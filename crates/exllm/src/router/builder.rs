//! [`RouterBuilder`]: deployments and settings, written in code or read from a config file,
//! turned into a [`Router`] with one client per deployment.

use super::config::RouterConfig;
use super::deployment::{Deployment, KeySource};
use super::memory::MemoryState;
use super::settings::RouterSettings;
use super::state::RouterState;
use super::strategy::Strategy;
use super::{Inner, Router, Slot};
use crate::transport::{BreakerPolicy, RetryPolicy};
use crate::{ClientBuilder, Error, ErrorKind, Result};
use foldhash::HashMap;
use std::sync::Arc;

pub(super) type Env = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// Builds a [`Router`].
#[derive(Clone)]
pub struct RouterBuilder {
    deployments: Vec<Deployment>,
    settings: RouterSettings,
    strategy: Option<Arc<dyn Strategy>>,
    state: Option<Arc<dyn RouterState>>,
    template: ClientBuilder,
    env: Env,
    state_settings: super::StateSettings,
    guard_configs: std::collections::BTreeMap<String, crate::guardrails::GuardrailsConfig>,
    guards: Vec<(String, crate::guardrails::Guardrails)>,
}

impl Default for RouterBuilder {
    fn default() -> Self {
        RouterBuilder {
            deployments: Vec::new(),
            settings: RouterSettings::default(),
            strategy: None,
            state: None,
            template: ClientBuilder::default(),
            env: Arc::new(|k| std::env::var(k).ok().filter(|v| !v.is_empty())),
            state_settings: Default::default(),
            guard_configs: Default::default(),
            guards: Vec::new(),
        }
    }
}

impl std::fmt::Debug for RouterBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RouterBuilder")
            .field("deployments", &self.deployments)
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl RouterBuilder {
    /// A builder holding a config file's deployments, settings and state settings (a Redis
    /// state is created when the router is built, which must then be within a Tokio
    /// runtime; [`RouterBuilder::state`] overrides it).
    pub fn from_config(config: RouterConfig) -> Self {
        RouterBuilder {
            deployments: config.deployments,
            settings: config.settings,
            state_settings: config.state,
            guard_configs: config.guardrails,
            ..Default::default()
        }
    }

    /// Runs `guardrails` around every call to `group` (`"*"`: to every group), after those
    /// of the config file. A call is checked by the guardrails of the group it names, also
    /// when it falls back to another group.
    pub fn guardrails(
        mut self,
        group: impl Into<String>,
        guardrails: crate::guardrails::Guardrails,
    ) -> Self {
        self.guards.push((group.into(), guardrails));
        self
    }

    /// Adds a deployment.
    pub fn deployment(mut self, d: Deployment) -> Self {
        self.deployments.push(d);
        self
    }

    /// Replaces the settings.
    pub fn settings(mut self, s: RouterSettings) -> Self {
        self.settings = s;
        self
    }

    /// Uses a strategy of the caller's instead of the settings' one.
    pub fn strategy(mut self, s: Arc<dyn Strategy>) -> Self {
        self.strategy = Some(s);
        self
    }

    /// Keeps the state in `state` (default: a [`MemoryState`]).
    pub fn state(mut self, state: Arc<dyn RouterState>) -> Self {
        self.state = Some(state);
        self
    }

    /// The client configuration every deployment's client starts from (catalog, timeouts,
    /// custom providers, callbacks, stream recovery...). Its retries and breaker are turned
    /// off: the router retries on other deployments and keeps the cooldowns. Its auto-resume
    /// count (with recovery on) is how many times a routed stream that broke after content
    /// continues on another deployment of the group.
    pub fn client_template(mut self, b: ClientBuilder) -> Self {
        self.template = b;
        self
    }

    /// Reads key variables (`os.environ/VAR`) through `lookup` instead of the process
    /// environment; the deployments' clients use it too.
    pub fn env_lookup(
        mut self,
        lookup: impl Fn(&str) -> Option<String> + Send + Sync + 'static,
    ) -> Self {
        self.env = Arc::new(lookup);
        self
    }

    /// Builds the router: one client per deployment.
    pub fn build(self) -> Result<Router> {
        if self.deployments.is_empty() {
            return Err(Error::new(
                ErrorKind::Config,
                "a router needs at least one deployment",
            ));
        }
        // One connection pool for every deployment: deployments on one endpoint share its
        // connections, and the TLS roots are loaded once, not per deployment.
        let template = self.template.share_http()?;
        let mut slots = Vec::with_capacity(self.deployments.len());
        let mut groups: HashMap<String, Vec<usize>> = HashMap::default();
        for mut dep in self.deployments {
            let (provider, _) = crate::client::split_model(&dep.model).map_err(|e| {
                Error::new(
                    ErrorKind::Config,
                    format!("deployment of group `{}`: {}", dep.group, e.message()),
                )
            })?;
            let provider = provider.to_owned();
            let members = groups.entry(dep.group.clone()).or_default();
            if dep.id.is_empty() {
                dep.id = format!("{}#{}", dep.group, members.len());
            }
            members.push(slots.len());
            let env = self.env.clone();
            let mut b = template
                .clone()
                .env_lookup(move |k| env(k))
                .retry(RetryPolicy::none())
                .breaker(BreakerPolicy::off())
                // A broken stream continues on another deployment, not the one that broke.
                .auto_resume(0);
            if let Some(url) = &dep.api_base {
                b = b.base_url(&provider, url.clone());
            }
            match &dep.api_key {
                Some(KeySource::Value(k)) => b = b.api_key(&provider, k.clone()),
                Some(KeySource::Env(var)) => {
                    let key = (self.env)(var).ok_or_else(|| {
                        Error::new(
                            ErrorKind::Config,
                            format!(
                                "deployment `{}`: the key variable `{var}` is not set",
                                dep.id
                            ),
                        )
                    })?;
                    b = b.api_key(&provider, key);
                }
                None => {}
            }
            let client = b.build()?;
            let entry = client.model_entry(&dep.model).cloned();
            slots.push(Slot {
                dep,
                client,
                entry,
                learned: Default::default(),
            });
        }
        let mut ids = std::collections::HashSet::new();
        for s in &slots {
            if !ids.insert(s.dep.id.as_str()) {
                return Err(Error::new(
                    ErrorKind::Config,
                    format!("two deployments share the id `{}`", s.dep.id),
                ));
            }
        }
        let resumes = if template.recovery.is_some() {
            template.auto_resume
        } else {
            0
        };
        let settings = self.settings;
        let counts_prompts =
            self.strategy.is_some() || settings.strategy == super::StrategyKind::LowestCost;
        let strategy = self.strategy.unwrap_or_else(|| {
            settings
                .strategy
                .build(settings.seed, settings.latency_buffer)
        });
        let state = match self.state {
            Some(s) => s,
            None => super::state_config::build(
                &self.state_settings,
                settings.latency_window,
                &settings.cooldown,
                &*self.env,
            )?
            .unwrap_or_else(|| Arc::new(MemoryState::new(settings.latency_window))),
        };
        let guards = super::guard::build(
            &self.guard_configs,
            &self.guards,
            &groups,
            &template,
            &self.env,
        )?;
        let router = Router {
            inner: Arc::new(Inner {
                guards,
                slots,
                groups,
                settings,
                strategy,
                state,
                resumes,
                counts_prompts,
            }),
        };
        router.start_health_probes();
        Ok(router)
    }
}
