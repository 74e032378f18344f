//! LiteLLM's proxy YAML as serde types: `model_list` (`model_name`, `litellm_params`,
//! `model_info.id`), the fallbacks and retry settings of `router_settings` and
//! `litellm_settings`, converted to a [`RouterConfig`]. A model without a provider prefix goes
//! to OpenAI, as LiteLLM sends it.

use super::config::RouterConfig;
use super::config_schema::{Dur, Shape, Strat};
use super::deployment::{Deployment, KeySource};
use super::settings::{Fallbacks, RouterSettings};
use serde::Deserialize;

const PARAMS: &[(&str, Shape)] = &[
    ("model", Shape::Leaf),
    ("api_base", Shape::Leaf),
    ("api_key", Shape::Leaf),
    ("rpm", Shape::Leaf),
    ("tpm", Shape::Leaf),
    ("weight", Shape::Leaf),
    ("order", Shape::Leaf),
    ("tags", Shape::Leaf),
];

pub(crate) const KNOWN: Shape = Shape::Table(&[
    (
        "model_list",
        Shape::List(&[
            ("model_name", Shape::Leaf),
            ("litellm_params", Shape::Table(PARAMS)),
            ("model_info", Shape::Table(&[("id", Shape::Leaf)])),
            ("rpm", Shape::Leaf),
            ("tpm", Shape::Leaf),
        ]),
    ),
    (
        "router_settings",
        Shape::Table(&[
            ("routing_strategy", Shape::Leaf),
            ("num_retries", Shape::Leaf),
            ("allowed_fails", Shape::Leaf),
            ("cooldown_time", Shape::Leaf),
            ("fallbacks", Shape::Leaf),
            ("context_window_fallbacks", Shape::Leaf),
            ("content_policy_fallbacks", Shape::Leaf),
            ("redis_host", Shape::Leaf),
            ("redis_port", Shape::Leaf),
            ("redis_password", Shape::Leaf),
            ("redis_url", Shape::Leaf),
            ("health_check_interval", Shape::Leaf),
        ]),
    ),
    ("guardrails", Shape::Leaf),
    (
        "litellm_settings",
        Shape::Table(&[
            ("num_retries", Shape::Leaf),
            ("fallbacks", Shape::Leaf),
            ("context_window_fallbacks", Shape::Leaf),
            ("content_policy_fallbacks", Shape::Leaf),
        ]),
    ),
]);

#[derive(Deserialize)]
pub(crate) struct File {
    model_list: Vec<Entry>,
    router_settings: Option<Settings>,
    litellm_settings: Option<Settings>,
    /// LiteLLM's guardrail entries; those `default_on` guard every group.
    #[serde(default)]
    guardrails: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct Entry {
    model_name: String,
    litellm_params: Params,
    model_info: Option<Info>,
    rpm: Option<u32>,
    tpm: Option<u64>,
}

#[derive(Deserialize)]
struct Params {
    model: String,
    api_base: Option<String>,
    api_key: Option<String>,
    rpm: Option<u32>,
    tpm: Option<u64>,
    weight: Option<f64>,
    order: Option<u32>,
    tags: Option<Vec<String>>,
}

#[derive(Deserialize)]
struct Info {
    id: Option<String>,
}

/// LiteLLM writes fallbacks as a list of one-key maps: `[{fast: [smart]}]`.
type FallbackList = Vec<std::collections::BTreeMap<String, Vec<String>>>;

#[derive(Deserialize, Default)]
struct Settings {
    routing_strategy: Option<Strat>,
    num_retries: Option<u32>,
    allowed_fails: Option<u32>,
    cooldown_time: Option<Dur>,
    fallbacks: Option<FallbackList>,
    context_window_fallbacks: Option<FallbackList>,
    content_policy_fallbacks: Option<FallbackList>,
    redis_host: Option<Text>,
    redis_port: Option<Text>,
    redis_password: Option<Text>,
    redis_url: Option<Text>,
    health_check_interval: Option<Dur>,
}

/// A value LiteLLM users write as a string or a number (`redis_port: 6379`).
#[derive(Deserialize)]
#[serde(untagged)]
enum Text {
    Str(String),
    Num(u64),
}

impl Text {
    fn into_string(self) -> String {
        match self {
            Text::Str(s) => s,
            Text::Num(n) => n.to_string(),
        }
    }
}

fn merge(list: Option<FallbackList>, into: &mut Fallbacks) {
    for map in list.into_iter().flatten() {
        for (k, v) in map {
            into.entry(k).or_default().extend(v);
        }
    }
}

impl File {
    /// The `default_on` guardrails, merged, under `"*"`.
    pub(crate) fn guardrails(
        &self,
    ) -> crate::Result<std::collections::BTreeMap<String, crate::guardrails::GuardrailsConfig>>
    {
        let mut out = std::collections::BTreeMap::new();
        let Some(list) = &self.guardrails else {
            return Ok(out);
        };
        let mut all = crate::guardrails::GuardrailsConfig::default();
        for g in crate::guardrails::GuardrailsConfig::from_litellm(list)? {
            if g.default_on {
                all.merge(&g.config);
            }
        }
        if !all.is_empty() {
            out.insert("*".to_owned(), all);
        }
        Ok(out)
    }

    pub(crate) fn into_config(self) -> RouterConfig {
        let mut s = RouterSettings::default();
        let mut state = super::StateSettings::default();
        for set in [self.litellm_settings, self.router_settings]
            .into_iter()
            .flatten()
        {
            let text = |t: Option<Text>| t.map(Text::into_string);
            state.redis_host = text(set.redis_host).or(state.redis_host);
            state.redis_port = text(set.redis_port).or(state.redis_port);
            state.redis_password = text(set.redis_password).or(state.redis_password);
            state.redis_url = text(set.redis_url).or(state.redis_url);
            if let Some(k) = set.routing_strategy {
                s.strategy = k.0;
            }
            if let Some(n) = set.num_retries {
                s.max_attempts = n.saturating_add(1);
            }
            if let Some(n) = set.allowed_fails {
                s.cooldown.allowed_fails = n;
            }
            if let Some(d) = set.health_check_interval {
                s.health_interval = Some(d.0);
            }
            if let Some(d) = set.cooldown_time {
                s.cooldown.cooldown = d.0;
            }
            merge(set.fallbacks, &mut s.fallbacks);
            merge(
                set.context_window_fallbacks,
                &mut s.context_window_fallbacks,
            );
            merge(
                set.content_policy_fallbacks,
                &mut s.content_policy_fallbacks,
            );
        }
        let deployments = self
            .model_list
            .into_iter()
            .map(|e| {
                let p = e.litellm_params;
                // LiteLLM sends a model without a provider prefix to OpenAI.
                let model = if p.model.contains('/') {
                    p.model
                } else {
                    format!("openai/{}", p.model)
                };
                Deployment {
                    id: e.model_info.and_then(|i| i.id).unwrap_or_default(),
                    group: e.model_name,
                    model,
                    api_base: p.api_base,
                    api_key: p.api_key.map(|k| KeySource::parse(&k)),
                    rpm: p.rpm.or(e.rpm),
                    tpm: p.tpm.or(e.tpm),
                    weight: p.weight.unwrap_or(1.0),
                    order: p.order.unwrap_or(1),
                    tags: p.tags.unwrap_or_default(),
                }
            })
            .collect();
        RouterConfig {
            deployments,
            settings: s,
            warnings: Vec::new(),
            state,
            guardrails: Default::default(),
        }
    }
}
