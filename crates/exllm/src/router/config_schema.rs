//! Our TOML config as serde types (so a bad value is reported with its
//! line by the parser), their conversion to [`RouterConfig`], and the list of known fields
//! the unknown-field warnings are checked against.

use super::config::RouterConfig;
use super::deployment::{Deployment, KeySource};
use super::settings::{CooldownPolicy, Fallbacks, RouterSettings, SpendLimit, SpendScope};
use super::strategy::StrategyKind;
use crate::catalog::BudgetAction;
use serde::{Deserialize, Deserializer};
use serde_json::Value;
use std::time::Duration;

/// A field tree: which keys each table knows.
pub(crate) enum Shape {
    /// A value whose inside is not checked.
    Leaf,
    /// A table with these keys.
    Table(&'static [(&'static str, Shape)]),
    /// A list of tables with these keys.
    List(&'static [(&'static str, Shape)]),
}

/// Warnings for every key `tree` has that `shape` does not know.
pub(crate) fn walk_unknown(tree: &Value, shape: &Shape, file: &str) -> Vec<String> {
    let mut out = Vec::new();
    walk(tree, shape, file, "", &mut out);
    out
}

fn walk(tree: &Value, shape: &Shape, file: &str, path: &str, out: &mut Vec<String>) {
    match (shape, tree) {
        (Shape::Table(keys), Value::Object(map)) => {
            for (k, v) in map {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                match keys.iter().find(|(name, _)| name == k) {
                    Some((_, s)) => walk(v, s, file, &p, out),
                    None => out.push(format!(
                        "{file}: `{p}` is not used by the exllm router; ignored"
                    )),
                }
            }
        }
        (Shape::List(keys), Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                walk(
                    item,
                    &Shape::Table(keys),
                    file,
                    &format!("{path}[{i}]"),
                    out,
                );
            }
        }
        _ => {}
    }
}

/// A duration: `"30s"`, `"1m"`, `"1d"` or a number of seconds.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Dur(pub(crate) Duration);

impl<'de> Deserialize<'de> for Dur {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Secs(f64),
            Text(String),
        }
        match Raw::deserialize(d)? {
            Raw::Secs(s) if s.is_finite() && s >= 0.0 => Ok(Dur(Duration::from_secs_f64(s))),
            Raw::Secs(s) => Err(serde::de::Error::custom(format!("bad duration {s}"))),
            Raw::Text(t) => humantime::parse_duration(&t)
                .map(Dur)
                .map_err(|e| serde::de::Error::custom(format!("bad duration `{t}`: {e}"))),
        }
    }
}

/// A strategy name (ours or LiteLLM's).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Strat(pub(crate) StrategyKind);

impl<'de> Deserialize<'de> for Strat {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        StrategyKind::parse(&s).map(Strat).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "unknown strategy `{s}` (expected weighted, least_busy, latency, usage or cost)"
            ))
        })
    }
}

/// Our TOML.
pub(crate) mod ours {
    use super::*;

    pub(crate) const KNOWN: Shape = Shape::Table(&[
        ("strategy", Shape::Leaf),
        ("max_attempts", Shape::Leaf),
        ("max_wait", Shape::Leaf),
        ("seed", Shape::Leaf),
        ("health_interval", Shape::Leaf),
        ("latency_buffer", Shape::Leaf),
        ("latency_window", Shape::Leaf),
        ("default_output_tokens", Shape::Leaf),
        (
            "cooldown",
            Shape::Table(&[
                ("allowed_fails", Shape::Leaf),
                ("window", Shape::Leaf),
                ("cooldown", Shape::Leaf),
                ("rate_limit", Shape::Leaf),
                ("rejected", Shape::Leaf),
            ]),
        ),
        ("fallbacks", Shape::Leaf),
        ("context_window_fallbacks", Shape::Leaf),
        ("content_policy_fallbacks", Shape::Leaf),
        ("guardrails", Shape::Leaf),
        (
            "state",
            Shape::Table(&[
                ("redis_url", Shape::Leaf),
                ("prefix", Shape::Leaf),
                ("timeout", Shape::Leaf),
                ("on_unavailable", Shape::Leaf),
                ("refresh", Shape::Leaf),
                ("share", Shape::Leaf),
            ]),
        ),
        (
            "budgets",
            Shape::List(&[
                ("group", Shape::Leaf),
                ("deployment", Shape::Leaf),
                ("tag", Shape::Leaf),
                ("usd", Shape::Leaf),
                ("period", Shape::Leaf),
                ("action", Shape::Leaf),
            ]),
        ),
        (
            "deployments",
            Shape::List(&[
                ("id", Shape::Leaf),
                ("group", Shape::Leaf),
                ("model", Shape::Leaf),
                ("api_base", Shape::Leaf),
                ("api_key", Shape::Leaf),
                ("api_key_env", Shape::Leaf),
                ("rpm", Shape::Leaf),
                ("tpm", Shape::Leaf),
                ("weight", Shape::Leaf),
                ("order", Shape::Leaf),
                ("tags", Shape::Leaf),
            ]),
        ),
    ]);

    #[derive(Deserialize)]
    pub(crate) struct File {
        strategy: Option<Strat>,
        max_attempts: Option<u32>,
        max_wait: Option<Dur>,
        seed: Option<u64>,
        health_interval: Option<Dur>,
        latency_buffer: Option<f64>,
        latency_window: Option<usize>,
        default_output_tokens: Option<u32>,
        cooldown: Option<Cool>,
        #[serde(default)]
        fallbacks: Fallbacks,
        #[serde(default)]
        context_window_fallbacks: Fallbacks,
        #[serde(default)]
        content_policy_fallbacks: Fallbacks,
        #[serde(default)]
        budgets: Vec<RawBudget>,
        state: Option<State>,
        deployments: Vec<Dep>,
        #[serde(default)]
        guardrails: std::collections::BTreeMap<String, crate::guardrails::GuardrailsConfig>,
    }

    #[derive(Deserialize)]
    #[serde(try_from = "StateFields")]
    struct State(crate::router::StateSettings);

    #[derive(Deserialize)]
    struct StateFields {
        redis_url: Option<String>,
        prefix: Option<String>,
        timeout: Option<Dur>,
        on_unavailable: Option<String>,
        refresh: Option<Dur>,
        share: Option<String>,
    }

    impl TryFrom<StateFields> for State {
        type Error = String;
        fn try_from(s: StateFields) -> Result<Self, String> {
            let fail_closed = match s.on_unavailable.as_deref() {
                None | Some("open") => false,
                Some("closed") => true,
                Some(x) => {
                    return Err(format!(
                        "field `on_unavailable`: `{x}` (expected open or closed)"
                    ))
                }
            };
            let cooldowns_only = match s.share.as_deref() {
                None | Some("all") => false,
                Some("cooldowns") => true,
                Some(x) => return Err(format!("field `share`: `{x}` (expected all or cooldowns)")),
            };
            Ok(State(crate::router::StateSettings {
                redis_url: s.redis_url,
                cooldowns_only,
                prefix: s.prefix,
                timeout: s.timeout.map(|d| d.0),
                fail_closed,
                refresh: s.refresh.map(|d| d.0),
                ..Default::default()
            }))
        }
    }

    #[derive(Deserialize)]
    struct Cool {
        allowed_fails: Option<u32>,
        window: Option<Dur>,
        cooldown: Option<Dur>,
        rate_limit: Option<Dur>,
        rejected: Option<Dur>,
    }

    #[derive(Deserialize)]
    #[serde(try_from = "BudgetFields")]
    struct RawBudget(SpendLimit);

    #[derive(Deserialize)]
    struct BudgetFields {
        group: Option<String>,
        deployment: Option<String>,
        tag: Option<String>,
        usd: f64,
        period: Dur,
        action: Option<String>,
    }

    impl TryFrom<BudgetFields> for RawBudget {
        type Error = String;
        fn try_from(b: BudgetFields) -> Result<Self, String> {
            let scope = match (b.group, b.deployment, b.tag) {
                (Some(g), None, None) => SpendScope::Group(g),
                (None, Some(d), None) => SpendScope::Deployment(d),
                (None, None, Some(t)) => SpendScope::Tag(t),
                _ => {
                    return Err("a budget names exactly one of `group`, `deployment`, `tag`".into())
                }
            };
            let action = match b.action.as_deref() {
                None | Some("refuse") => BudgetAction::Refuse,
                Some("warn") => BudgetAction::Warn,
                Some(a) => return Err(format!("field `action`: `{a}` (expected refuse or warn)")),
            };
            Ok(RawBudget(SpendLimit {
                scope,
                limit_usd: b.usd,
                period: b.period.0,
                action,
            }))
        }
    }

    /// `provider/model`.
    struct Model(String);

    impl<'de> Deserialize<'de> for Model {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            let s = String::deserialize(d)?;
            match crate::client::split_model(&s) {
                Ok(_) => Ok(Model(s)),
                Err(_) => Err(serde::de::Error::custom(format!(
                    "model `{s}` must be written as provider/model"
                ))),
            }
        }
    }

    #[derive(Deserialize)]
    struct Dep {
        id: Option<String>,
        group: String,
        model: Model,
        api_base: Option<String>,
        api_key: Option<String>,
        api_key_env: Option<String>,
        rpm: Option<u32>,
        tpm: Option<u64>,
        weight: Option<f64>,
        order: Option<u32>,
        #[serde(default)]
        tags: Vec<String>,
    }

    impl File {
        pub(crate) fn into_config(self) -> RouterConfig {
            let d = RouterSettings::default();
            let c = self.cooldown.unwrap_or(Cool {
                allowed_fails: None,
                window: None,
                cooldown: None,
                rate_limit: None,
                rejected: None,
            });
            let dc = CooldownPolicy::default();
            let settings = RouterSettings {
                strategy: self.strategy.map_or(d.strategy, |s| s.0),
                max_attempts: self.max_attempts.unwrap_or(d.max_attempts),
                fallbacks: self.fallbacks,
                context_window_fallbacks: self.context_window_fallbacks,
                content_policy_fallbacks: self.content_policy_fallbacks,
                cooldown: CooldownPolicy {
                    allowed_fails: c.allowed_fails.unwrap_or(dc.allowed_fails),
                    window: c.window.map_or(dc.window, |x| x.0),
                    cooldown: c.cooldown.map_or(dc.cooldown, |x| x.0),
                    rate_limit: c.rate_limit.map_or(dc.rate_limit, |x| x.0),
                    rejected: c.rejected.map_or(dc.rejected, |x| x.0),
                },
                max_wait: self.max_wait.map_or(d.max_wait, |x| x.0),
                latency_buffer: self.latency_buffer.unwrap_or(d.latency_buffer),
                latency_window: self.latency_window.unwrap_or(d.latency_window),
                default_output_tokens: self
                    .default_output_tokens
                    .unwrap_or(d.default_output_tokens),
                budgets: self.budgets.into_iter().map(|b| b.0).collect(),
                seed: self.seed,
                health_interval: self.health_interval.map(|d| d.0),
            };
            let deployments = self
                .deployments
                .into_iter()
                .map(|x| Deployment {
                    id: x.id.unwrap_or_default(),
                    group: x.group,
                    model: x.model.0,
                    api_base: x.api_base,
                    api_key: x
                        .api_key
                        .map(|k| KeySource::parse(&k))
                        .or(x.api_key_env.map(KeySource::Env)),
                    rpm: x.rpm,
                    tpm: x.tpm,
                    weight: x.weight.unwrap_or(1.0),
                    order: x.order.unwrap_or(1),
                    tags: x.tags,
                })
                .collect();
            RouterConfig {
                deployments,
                settings,
                warnings: Vec::new(),
                state: self.state.map(|s| s.0).unwrap_or_default(),
                guardrails: self.guardrails,
            }
        }
    }
}
