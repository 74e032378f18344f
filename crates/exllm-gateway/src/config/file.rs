//! Reading the two config spellings. The router's part of each file goes through the
//! library's router config reader; this file reads only the gateway's own fields and drops
//! the router reader's "not used" notes about them.

use super::{
    parse_duration, GatewayConfig, GovernanceConfig, Limits, ModelRoute, SharedConfig, Target,
};
use exllm::router::{KeySource, RouterConfig};
use exllm::{Error, ErrorKind, Result};
use serde::Deserialize;
use serde_json::Value;

/// The gateway's own top-level TOML fields.
const OWN_TOML: [&str; 7] = [
    "cache",
    "master_key",
    "limits",
    "models",
    "governance",
    "protect_metrics",
    "guardrail_sets",
];

#[derive(Deserialize)]
struct Own {
    master_key: Option<String>,
    #[serde(default)]
    protect_metrics: bool,
    limits: Option<LimitsFile>,
    #[serde(default)]
    models: Vec<ModelFile>,
    governance: Option<GovernanceFile>,
    #[serde(default)]
    guardrail_sets: std::collections::BTreeMap<String, exllm::guardrails::GuardrailsConfig>,
    cache: Option<CacheFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CacheFile {
    ttl: Option<Value>,
    max_bytes: Option<u64>,
}

fn cache(c: Option<CacheFile>, file: &str) -> Result<Option<super::CacheConfig>> {
    let Some(c) = c else { return Ok(None) };
    let d = super::CacheConfig::default();
    Ok(Some(super::CacheConfig {
        ttl: duration(c.ttl, "cache.ttl", file)?.unwrap_or(d.ttl),
        max_bytes: c.max_bytes.unwrap_or(d.max_bytes),
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GovernanceFile {
    db: Option<std::path::PathBuf>,
    postgres_url: Option<String>,
    journal: Option<std::path::PathBuf>,
    key_secret: Option<String>,
    #[serde(default)]
    teams: std::collections::BTreeMap<String, TeamFile>,
    #[serde(default)]
    models: std::collections::BTreeMap<String, TeamFile>,
    shared: Option<SharedFile>,
    unpriced_input_per_1m: Option<f64>,
    unpriced_output_per_1m: Option<f64>,
    default_max_tokens: Option<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TeamFile {
    max_budget: Option<f64>,
    budget_duration: Option<String>,
    rpm: Option<u32>,
    tpm: Option<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SharedFile {
    redis_url: String,
    prefix: Option<String>,
    timeout: Option<Value>,
    on_unavailable: Option<String>,
}

type LimitsMap = std::collections::BTreeMap<String, crate::keys::Limits>;

fn limits_map(
    m: std::collections::BTreeMap<String, TeamFile>,
    what: &str,
    file: &str,
) -> Result<LimitsMap> {
    let mut out = LimitsMap::new();
    for (name, t) in m {
        let period = crate::keys::Period::parse(t.budget_duration.as_deref()).ok_or_else(|| {
            config_error(
                file,
                format!("{what} `{name}`: `budget_duration` must be 1d, 1mo or absent"),
            )
        })?;
        out.insert(
            name,
            crate::keys::Limits {
                max_budget: t.max_budget,
                period,
                rpm: t.rpm,
                tpm: t.tpm,
            },
        );
    }
    Ok(out)
}

fn shared(s: Option<SharedFile>, file: &str) -> Result<Option<SharedConfig>> {
    let Some(s) = s else { return Ok(None) };
    let d = SharedConfig::default();
    let fail_open = match s.on_unavailable.as_deref() {
        None | Some("closed") => false,
        Some("open") => true,
        Some(other) => {
            return Err(config_error(
                file,
                format!("`governance.shared.on_unavailable`: `{other}` is not `open` or `closed`"),
            ))
        }
    };
    let timeout = duration(s.timeout, "governance.shared.timeout", file)?.unwrap_or(d.timeout);
    if !s.redis_url.starts_with("redis://") && !s.redis_url.starts_with("rediss://") {
        return Err(config_error(
            file,
            "`governance.shared.redis_url` must be a redis:// or rediss:// URL",
        ));
    }
    Ok(Some(SharedConfig {
        redis_url: s.redis_url,
        prefix: s.prefix.unwrap_or(d.prefix),
        timeout,
        fail_open,
        hold: d.hold,
    }))
}

fn governance(g: Option<GovernanceFile>, file: &str) -> Result<GovernanceConfig> {
    let Some(g) = g else {
        return Ok(GovernanceConfig::default());
    };
    let teams = limits_map(g.teams, "team", file)?;
    let models = limits_map(g.models, "model", file)?;
    let d = GovernanceConfig::default();
    Ok(GovernanceConfig {
        db: g.db,
        postgres_url: g.postgres_url.as_deref().map(KeySource::parse),
        journal: g.journal,
        key_secret: g.key_secret.as_deref().map(KeySource::parse),
        teams,
        models,
        shared: shared(g.shared, file)?,
        unpriced_input_per_1m: g.unpriced_input_per_1m.unwrap_or(0.0),
        unpriced_output_per_1m: g.unpriced_output_per_1m.unwrap_or(0.0),
        default_max_tokens: g.default_max_tokens.unwrap_or(d.default_max_tokens),
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LimitsFile {
    max_body_bytes: Option<usize>,
    timeout: Option<Value>,
    max_concurrency: Option<usize>,
    shutdown_grace: Option<Value>,
    retries: Option<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ModelFile {
    name: String,
    model: Option<String>,
    group: Option<String>,
    api_base: Option<String>,
    api_key: Option<String>,
    api: Option<String>,
    passthrough: Option<bool>,
}

fn config_error(file: &str, msg: impl std::fmt::Display) -> Error {
    Error::new(ErrorKind::Config, format!("{file}: {msg}"))
}

/// Whether a router reader's note is about one of `fields`.
fn about(warning: &str, file: &str, fields: &[&str]) -> bool {
    let Some(rest) = warning.strip_prefix(&format!("{file}: `")) else {
        return false;
    };
    fields.iter().any(|f| {
        rest.strip_prefix(f)
            .is_some_and(|after| after.starts_with(['`', '.', '[']))
    })
}

fn duration(v: Option<Value>, field: &str, file: &str) -> Result<Option<std::time::Duration>> {
    let Some(v) = v else { return Ok(None) };
    let text = match &v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => String::new(),
    };
    parse_duration(&text)
        .map(Some)
        .ok_or_else(|| config_error(file, format!("`{field}`: `{v}` is not a duration")))
}

pub(super) fn from_toml(text: &str, file: &str) -> Result<GatewayConfig> {
    let own: Own = toml::from_str(text).map_err(|e| config_error(file, e.message().trim()))?;
    let table: toml::Table =
        toml::from_str(text).map_err(|e| config_error(file, e.message().trim()))?;
    // A file without deployments has no router part; the router reader needs one.
    let mut router = if table.contains_key("deployments") {
        RouterConfig::parse_toml(text, file)?
    } else {
        RouterConfig {
            warnings: table
                .keys()
                .map(|k| format!("{file}: `{k}` is not used without `[[deployments]]`; ignored"))
                .collect(),
            ..Default::default()
        }
    };
    let warnings = std::mem::take(&mut router.warnings)
        .into_iter()
        .filter(|w| !about(w, file, &OWN_TOML))
        .collect();
    let mut limits = Limits::default();
    if let Some(l) = own.limits {
        limits.max_body_bytes = l.max_body_bytes.unwrap_or(limits.max_body_bytes);
        limits.max_concurrency = l.max_concurrency.unwrap_or(limits.max_concurrency).max(1);
        limits.retries = l.retries.unwrap_or(0);
        if let Some(t) = duration(l.timeout, "limits.timeout", file)? {
            limits.timeout = t;
        }
        if let Some(t) = duration(l.shutdown_grace, "limits.shutdown_grace", file)? {
            limits.shutdown_grace = t;
        }
    }
    let mut models = Vec::new();
    for m in own.models {
        models.push(model_route(m, &router, file)?);
    }
    let cfg = GatewayConfig {
        master_key: own.master_key.as_deref().map(KeySource::parse),
        protect_metrics: own.protect_metrics,
        limits,
        models,
        router,
        governance: governance(own.governance, file)?,
        guardrail_sets: own.guardrail_sets,
        cache: cache(own.cache, file)?,
        warnings,
    };
    check_names(&cfg, file)?;
    check_metrics(&cfg, file)?;
    Ok(cfg)
}

/// Protecting `/metrics` takes a master key to protect it with.
fn check_metrics(cfg: &GatewayConfig, file: &str) -> Result<()> {
    if cfg.protect_metrics && cfg.master_key.is_none() {
        return Err(config_error(
            file,
            "protecting /metrics needs a master key (`master_key`, `general_settings.master_key`)",
        ));
    }
    Ok(())
}

fn model_route(m: ModelFile, router: &RouterConfig, file: &str) -> Result<ModelRoute> {
    let at = |msg: &str| config_error(file, format!("model `{}`: {msg}", m.name));
    if m.name.is_empty() {
        return Err(config_error(file, "a `[[models]]` entry needs a `name`"));
    }
    if m.passthrough.is_some() && m.group.is_some() {
        return Err(at(
            "`passthrough` applies to direct entries (a group passes through when it has one plain deployment)",
        ));
    }
    let target = match (m.model, m.group) {
        (Some(model), None) => {
            if !model.contains('/') {
                return Err(at("`model` must be `provider/model`"));
            }
            let api = match m.api.as_deref() {
                None => None,
                Some(a) => Some(
                    a.parse::<exllm::Api>()
                        .map_err(|e| at(&format!("`api`: {}", e.message())))?,
                ),
            };
            Target::Direct {
                model,
                api_base: m.api_base,
                api_key: m.api_key.as_deref().map(KeySource::parse),
                api,
            }
        }
        (None, Some(group)) => {
            if !router.deployments.iter().any(|d| d.group == group) {
                return Err(at(&format!("no `[[deployments]]` serve group `{group}`")));
            }
            if m.api_base.is_some() || m.api_key.is_some() || m.api.is_some() {
                return Err(at("a group's keys and endpoints belong to its deployments"));
            }
            Target::Group(group)
        }
        _ => return Err(at("give either `model` (provider/model) or `group`")),
    };
    Ok(ModelRoute {
        name: m.name,
        target,
        passthrough: m.passthrough,
    })
}

/// Each name means one thing.
fn check_names(cfg: &GatewayConfig, file: &str) -> Result<()> {
    for (i, m) in cfg.models.iter().enumerate() {
        let again = cfg.models[..i].iter().any(|o| o.name == m.name);
        let group = matches!(m.target, Target::Direct { .. })
            && cfg.router.deployments.iter().any(|d| d.group == m.name);
        if again || group {
            return Err(config_error(
                file,
                format!("model name `{}` is configured twice", m.name),
            ));
        }
    }
    Ok(())
}

pub(super) fn from_litellm_yaml(text: &str, file: &str) -> Result<GatewayConfig> {
    let mut router = RouterConfig::parse_litellm_yaml(text, file)?;
    let tree: Value = serde_yaml_ng::from_str(text).unwrap_or_default();
    // The router reader notes `general_settings` as a whole; its fields are noted here.
    let mut own = vec!["general_settings"];
    let mut limits = Limits::default();
    let timeout = tree
        .get("litellm_settings")
        .and_then(|s| s.get("request_timeout"))
        .cloned();
    if let Some(t) = duration(timeout, "litellm_settings.request_timeout", file)? {
        limits.timeout = t;
        own.push("litellm_settings.request_timeout");
    }
    let protect_metrics = match tree
        .get("litellm_settings")
        .and_then(|s| s.get("require_auth_for_metrics_endpoint"))
    {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => {
            own.push("litellm_settings.require_auth_for_metrics_endpoint");
            *b
        }
        Some(_) => {
            return Err(config_error(
                file,
                "`litellm_settings.require_auth_for_metrics_endpoint` must be true or false",
            ))
        }
    };
    let master_key = match tree
        .get("general_settings")
        .and_then(|g| g.get("master_key"))
    {
        None | Some(Value::Null) => None,
        Some(Value::String(k)) => Some(KeySource::parse(k)),
        Some(_) => {
            return Err(config_error(
                file,
                "`general_settings.master_key` must be a string",
            ))
        }
    };
    // LiteLLM's `litellm_settings.cache: true` with `cache_params.ttl` (seconds).
    let settings = tree.get("litellm_settings");
    let cache = match settings.and_then(|s| s.get("cache")) {
        Some(Value::Bool(true)) => {
            own.push("litellm_settings.cache");
            own.push("litellm_settings.cache_params");
            let ttl = settings
                .and_then(|s| s.get("cache_params"))
                .and_then(|p| p.get("ttl"))
                .cloned();
            let d = super::CacheConfig::default();
            Some(super::CacheConfig {
                ttl: duration(ttl, "litellm_settings.cache_params.ttl", file)?.unwrap_or(d.ttl),
                ..d
            })
        }
        _ => None,
    };
    let mut warnings: Vec<String> = std::mem::take(&mut router.warnings)
        .into_iter()
        .filter(|w| !about(w, file, &own))
        .collect();
    if let Some(Value::Object(g)) = tree.get("general_settings") {
        warnings.extend(g.keys().filter(|k| *k != "master_key").map(|k| {
            format!("{file}: `general_settings.{k}` is not used by exllm serve; ignored")
        }));
    }
    // Every LiteLLM guardrail entry is a set keys may name; the router took the
    // `default_on` ones for every group.
    let mut guardrail_sets = std::collections::BTreeMap::new();
    if let Some(list) = tree.get("guardrails") {
        for g in exllm::guardrails::GuardrailsConfig::from_litellm(list)? {
            guardrail_sets.insert(g.name, g.config);
        }
    }
    let cfg = GatewayConfig {
        master_key,
        protect_metrics,
        limits,
        models: Vec::new(),
        router,
        governance: GovernanceConfig::default(),
        guardrail_sets,
        cache,
        warnings,
    };
    check_metrics(&cfg, file)?;
    Ok(cfg)
}
