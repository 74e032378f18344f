//! What serves each configured model name, built from a [`GatewayConfig`]: router groups go
//! through one [`Router`], direct entries through one [`Client`] each (its own key and
//! endpoint). Built whole at start and on reload, then swapped in as one `Arc`.

use crate::config::{resolve_key, GatewayConfig, Limits, Target};
use exllm::router::{Router, RouterBuilder, SharedCooldowns};
use exllm::transport::RetryPolicy;
use exllm::{
    ChatRequest, ChatResponse, ChatStream, Client, EmbedRequest, EmbedResponse, Error, ErrorKind,
    Result, Secret,
};
use std::collections::HashMap;
use std::sync::Arc;

/// Reads environment variables (`os.environ/VAR` keys); tests pass their own.
pub type Env = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// One model name's backend.
#[derive(Clone)]
pub enum Backend {
    /// A router group.
    Group {
        /// The router holding every group.
        router: Router,
        /// The group's name in the router.
        group: String,
    },
    /// A direct `provider/model` entry.
    Direct {
        /// Its client.
        client: Client,
        /// `provider/model`.
        model: String,
    },
}

impl Backend {
    /// A whole answer.
    pub async fn chat(&self, mut req: ChatRequest) -> Result<ChatResponse> {
        match self {
            Backend::Group { router, group } => {
                req.model.clone_from(group);
                router.chat(req).await
            }
            Backend::Direct { client, model } => {
                req.model.clone_from(model);
                client.chat(req).await
            }
        }
    }

    /// A streamed answer.
    pub async fn chat_stream(&self, mut req: ChatRequest) -> Result<ChatStream> {
        match self {
            Backend::Group { router, group } => {
                req.model.clone_from(group);
                router.chat_stream(req).await
            }
            Backend::Direct { client, model } => {
                req.model.clone_from(model);
                client.chat_stream(req).await
            }
        }
    }

    /// The `provider/model` whose tokenizer counts this name's prompts: the entry's model, or
    /// a group's first deployment (a group's deployments serve the same model family).
    pub fn counting_model(&self) -> Option<String> {
        match self {
            Backend::Direct { model, .. } => Some(model.clone()),
            Backend::Group { router, group } => router
                .deployments()
                .find(|d| &d.group == group)
                .map(|d| d.model.clone()),
        }
    }

    /// Embeddings (direct entries: the router has no embeddings call).
    pub async fn embed(&self, mut req: EmbedRequest) -> Result<EmbedResponse> {
        match self {
            Backend::Direct { client, model } => {
                req.model.clone_from(model);
                client.embed(req).await
            }
            Backend::Group { .. } => Err(Error::new(
                ErrorKind::Unsupported,
                "embeddings are served for direct `[[models]]` entries, not router groups",
            )),
        }
    }
}

/// With governance in Redis (`[governance.shared]`) and no `[state]` of the router's own, the
/// router's cooldowns are shared in the same Redis, off the request's path
/// ([`exllm::router::SharedCooldowns`]): a deployment one instance saw failing is avoided by
/// every instance, and a request still makes one round trip (governance's). A router `[state]`
/// that shares everything costs a second round trip per request: said once at start.
fn shared_cooldowns(cfg: &GatewayConfig) -> Result<Option<Arc<SharedCooldowns>>> {
    let Some(shared) = &cfg.governance.shared else {
        return Ok(None);
    };
    if cfg.router.state.is_redis() {
        if !cfg.router.state.cooldowns_only {
            tracing::warn!(
                "the router's [state] keeps limits in Redis besides governance: two round trips per routed request (share = \"cooldowns\" keeps one)"
            );
        }
        return Ok(None);
    }
    let c = exllm::router::SharedCooldownsConfig {
        url: shared.redis_url.clone(),
        prefix: format!("{}router:", shared.prefix),
        timeout: shared.timeout,
        refresh: crate::shared::POLL,
        latency_window: cfg.router.settings.latency_window,
    };
    let state = SharedCooldowns::new(c, cfg.router.settings.cooldown.clone())?;
    Ok(Some(Arc::new(state)))
}

impl Backends {
    /// The Prometheus lines of the shared cooldowns and the response cache (when on).
    pub fn render_shared_metrics(&self) -> String {
        let mut out = self.cache.as_ref().map(|c| c.render()).unwrap_or_default();
        let Some(c) = &self.cooldowns else {
            return out;
        };
        let c = c.counters();
        for (name, v) in [
            ("published", c.published),
            ("applied", c.applied),
            ("unavailable", c.unavailable),
        ] {
            let name = format!("exllm_router_shared_cooldowns_{name}_total");
            out.push_str(&format!("# TYPE {name} counter\n{name} {v}\n"));
        }
        out
    }
}

/// Every configured name's backend, the master key and the limits.
pub struct Backends {
    /// The master key, resolved.
    pub master_key: Option<Secret>,
    /// Backends by the name callers send.
    pub models: HashMap<String, Backend>,
    /// The names in config order (for `/v1/models`).
    pub names: Vec<String>,
    /// The limits the config set.
    pub limits: Limits,
    /// Whether `/metrics` takes the master key.
    pub protect_metrics: bool,
    /// The names whose requests may be forwarded as bytes, by name.
    pub pass: HashMap<String, super::pass::PassTarget>,
    /// The guardrail sets virtual keys name.
    pub guards: crate::guard::KeyGuards,
    /// The router's cooldowns shared in governance's Redis, when they are.
    pub cooldowns: Option<Arc<SharedCooldowns>>,
    /// The response cache (`[cache]`).
    pub cache: Option<Arc<super::cache::ResponseCache>>,
}

impl Backends {
    /// Builds clients and the router for `cfg`, reading keys through `env`.
    pub fn build(cfg: &GatewayConfig, env: &Env) -> Result<Backends> {
        let master_key = cfg
            .master_key
            .as_ref()
            .map(|k| resolve_key(k, &**env))
            .transpose()?;
        if master_key.as_ref().is_some_and(Secret::is_empty) {
            return Err(Error::new(ErrorKind::Config, "the master key is empty"));
        }
        let mut cooldowns = None;
        let router = if cfg.router.deployments.is_empty() {
            None
        } else {
            let env = env.clone();
            let mut builder = RouterBuilder::from_config(cfg.router.clone());
            if let Some(state) = shared_cooldowns(cfg)? {
                cooldowns = Some(state.clone());
                builder = builder.state(state);
            }
            Some(builder.env_lookup(move |k| env(k)).build()?)
        };
        let mut models = HashMap::new();
        let mut pass = HashMap::new();
        if let Some(r) = &router {
            for g in r.groups() {
                if let Some(t) = group_pass(r, g, cfg, env) {
                    pass.insert(g.to_owned(), t);
                }
                models.insert(
                    g.to_owned(),
                    Backend::Group {
                        router: r.clone(),
                        group: g.to_owned(),
                    },
                );
            }
        }
        for m in &cfg.models {
            let backend = match &m.target {
                Target::Group(g) => Backend::Group {
                    // The config reader checked the group has deployments.
                    router: router.clone().ok_or_else(|| {
                        Error::new(ErrorKind::Config, format!("no router group `{g}`"))
                    })?,
                    group: g.clone(),
                },
                Target::Direct {
                    model,
                    api_base,
                    api_key,
                    api,
                } => Backend::Direct {
                    client: direct_client(
                        model,
                        api_base.as_deref(),
                        api_key.as_ref(),
                        *api,
                        cfg,
                        env,
                    )?,
                    model: model.clone(),
                },
            };
            let group_target = match &m.target {
                Target::Group(g) => pass.get(g).cloned(),
                _ => None,
            };
            match group_target {
                // Another name for a group passes through as the group does.
                Some(t) => {
                    pass.insert(m.name.clone(), t);
                }
                None => {
                    let t = super::pass::PassTarget::of(&backend, m.passthrough);
                    if let Some(t) = t {
                        pass.insert(m.name.clone(), t);
                    }
                }
            }
            models.insert(m.name.clone(), backend);
        }
        Ok(Backends {
            master_key,
            models,
            names: cfg.model_names(),
            limits: cfg.limits.clone(),
            protect_metrics: cfg.protect_metrics,
            pass,
            guards: key_guards(cfg, env)?,
            cooldowns,
            cache: super::cache::ResponseCache::build(cfg)?,
        })
    }
}

/// The pass-through target of a router group with nothing for the router to decide: one
/// deployment, without rpm or tpm limits, spend limits or fallbacks (those keep the group on
/// the decoding path, where the router counts, limits and falls back). A client of its own
/// reaches the deployment; metrics label it with the deployment's id, as routed calls are.
fn group_pass(
    router: &Router,
    group: &str,
    cfg: &GatewayConfig,
    env: &Env,
) -> Option<super::pass::PassTarget> {
    let mut deps = router.deployments().filter(|d| d.group == group);
    let d = deps.next()?;
    let s = router.settings();
    let falls_back = [
        &s.fallbacks,
        &s.context_window_fallbacks,
        &s.content_policy_fallbacks,
    ]
    .iter()
    .any(|f| f.contains_key(group));
    if deps.next().is_some()
        || d.rpm.is_some()
        || d.tpm.is_some()
        || falls_back
        || !s.budgets.is_empty()
        // The group's guardrails read and rewrite the messages and the answer.
        || router.guardrails(group).is_some()
    {
        return None;
    }
    let client = direct_client(
        &d.model,
        d.api_base.as_deref(),
        d.api_key.as_ref(),
        None,
        cfg,
        env,
    )
    .ok()?;
    let backend = Backend::Direct {
        client,
        model: d.model.clone(),
    };
    let label = if d.id.is_empty() { &d.model } else { &d.id };
    super::pass::PassTarget::of(&backend, None).map(|t| t.labelled(label))
}

fn direct_client(
    model: &str,
    api_base: Option<&str>,
    api_key: Option<&exllm::router::KeySource>,
    api: Option<exllm::Api>,
    cfg: &GatewayConfig,
    env: &Env,
) -> Result<Client> {
    let (provider, _) = exllm::client::split_model(model)?;
    let retry = match cfg.limits.retries {
        0 => RetryPolicy::none(),
        n => RetryPolicy {
            max_retries: n,
            ..Default::default()
        },
    };
    let lookup = env.clone();
    let mut b = Client::builder()
        .retry(retry)
        .timeout(cfg.limits.timeout)
        .env_lookup(move |k| lookup(k));
    if let Some(k) = api_key {
        b = b.api_key(provider, resolve_key(k, &**env)?);
    }
    if let Some(u) = api_base {
        b = b.base_url(provider, u);
    }
    if let Some(a) = api {
        b = b.api(provider, a);
    }
    b.build()
}

/// The guardrail sets; a moderation check calls its model through a client reading keys
/// through `env`.
fn key_guards(cfg: &GatewayConfig, env: &Env) -> Result<crate::guard::KeyGuards> {
    let client = if cfg.guardrail_sets.values().any(|s| s.moderation.is_some()) {
        let lookup = env.clone();
        Some(Client::builder().env_lookup(move |k| lookup(k)).build()?)
    } else {
        None
    };
    crate::guard::KeyGuards::build(&cfg.guardrail_sets, client.as_ref())
}
