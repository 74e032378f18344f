//! Router config files: our own TOML, and LiteLLM's proxy YAML (`model_list`,
//! `router_settings`) read as it is, so a LiteLLM user can point exllm at the config they
//! have. A field the router does not use is a warning (logged, and kept in
//! [`RouterConfig::warnings`]); a bad value is an error naming the file, the line and the field.
//!
//! ```toml
//! strategy = "latency"          # weighted | least_busy | latency | usage | cost
//! max_attempts = 4
//! max_wait = "5s"
//! health_interval = "30s"       # optional background probes of every deployment
//! [fallbacks]
//! fast = ["smart"]
//! [context_window_fallbacks]
//! fast = ["long"]
//! [[deployments]]
//! group = "fast"
//! model = "openai/gpt-4o-mini"
//! api_base = "https://api.openai.com/v1"
//! api_key = "os.environ/OPENAI_API_KEY"
//! rpm = 500
//! tpm = 200000
//! weight = 2
//! order = 1
//! tags = ["prod"]
//! [state]                       # optional: share limits across processes in Redis
//! redis_url = "os.environ/REDIS_URL"
//! on_unavailable = "closed"     # or "open" (the default)
//! [[budgets]]
//! group = "fast"
//! usd = 10.0
//! period = "1d"
//! action = "refuse"             # or "warn"
//! [guardrails.fast]             # the guardrails of a group ("*": of every group)
//! pii = { input = "mask" }
//! secrets = {}
//! ```

use super::config_litellm as lite;
use super::config_schema::{ours, walk_unknown};
use super::deployment::Deployment;
use super::settings::RouterSettings;
use crate::{Error, ErrorKind, Result};
use std::path::Path;

/// Deployments and settings read from a file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RouterConfig {
    /// The deployments, in file order.
    pub deployments: Vec<Deployment>,
    /// The settings (defaults for what the file leaves out).
    pub settings: RouterSettings,
    /// Fields the router does not use, as `file: field` notes.
    pub warnings: Vec<String>,
    /// Where the state is kept (`[state]`, or LiteLLM's `redis_*` router settings).
    pub state: super::StateSettings,
    /// Guardrails by group (`[guardrails.fast]`); `"*"` applies to every group (LiteLLM's
    /// `default_on` guardrails go there).
    pub guardrails: std::collections::BTreeMap<String, crate::guardrails::GuardrailsConfig>,
}

impl RouterConfig {
    /// Reads a file: TOML by its `.toml` extension, else LiteLLM YAML.
    pub fn load(path: &Path) -> Result<RouterConfig> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            Error::new(
                ErrorKind::Config,
                format!("cannot read router config {}: {e}", path.display()),
            )
        })?;
        let name = path.display().to_string();
        match path.extension().and_then(|e| e.to_str()) {
            Some("toml") => Self::from_toml(&text, &name),
            _ => Self::from_litellm_yaml(&text, &name),
        }
    }

    /// Parses our TOML; `file` names the source in errors and warnings.
    pub fn from_toml(text: &str, file: &str) -> Result<RouterConfig> {
        let cfg = Self::parse_toml(text, file)?;
        cfg.warn();
        Ok(cfg)
    }

    /// Parses our TOML like [`RouterConfig::from_toml`] without logging the warnings: for a
    /// file holding the router's settings among its own (the gateway's config), whose reader
    /// drops the warnings about its own fields and logs the rest.
    pub fn parse_toml(text: &str, file: &str) -> Result<RouterConfig> {
        let parsed: ours::File = toml::from_str(text).map_err(|e| toml_error(text, file, &e))?;
        let raw: toml::Table = toml::from_str(text).map_err(|e| toml_error(text, file, &e))?;
        let tree = serde_json::to_value(raw).unwrap_or_default();
        let mut cfg = parsed.into_config();
        cfg.warnings = walk_unknown(&tree, &ours::KNOWN, file);
        Ok(cfg)
    }

    /// Parses LiteLLM's proxy YAML (`model_list`, `router_settings`, the fallbacks of
    /// `litellm_settings`); `file` names the source in errors and warnings.
    pub fn from_litellm_yaml(text: &str, file: &str) -> Result<RouterConfig> {
        let cfg = Self::parse_litellm_yaml(text, file)?;
        cfg.warn();
        Ok(cfg)
    }

    /// Parses LiteLLM's proxy YAML like [`RouterConfig::from_litellm_yaml`] without logging
    /// the warnings (see [`RouterConfig::parse_toml`]).
    pub fn parse_litellm_yaml(text: &str, file: &str) -> Result<RouterConfig> {
        let parsed: lite::File = serde_yaml_ng::from_str(text).map_err(|e| {
            let at = e
                .location()
                .map(|l| format!("line {}: ", l.line()))
                .unwrap_or_default();
            Error::new(ErrorKind::Config, format!("{file}: {at}{e}"))
        })?;
        let tree: serde_json::Value = serde_yaml_ng::from_str(text).unwrap_or_default();
        let guardrails = parsed
            .guardrails()
            .map_err(|e| Error::new(ErrorKind::Config, format!("{file}: {}", e.message())))?;
        let mut cfg = parsed.into_config();
        cfg.guardrails = guardrails;
        cfg.warnings = walk_unknown(&tree, &lite::KNOWN, file);
        Ok(cfg)
    }

    fn warn(&self) {
        for w in &self.warnings {
            tracing::warn!("{w}");
        }
    }
}

/// A TOML error as `file: line N, field `key`: message`.
fn toml_error(text: &str, file: &str, e: &toml::de::Error) -> Error {
    let (line, field) = match e.span() {
        Some(span) => {
            let start = span.start.min(text.len());
            let line_no = text[..start].matches('\n').count() + 1;
            let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
            let line_text = text[line_start..].lines().next().unwrap_or("");
            let key = line_text
                .split_once('=')
                .map(|(k, _)| k.trim().trim_matches('"').to_owned())
                .filter(|k| !k.is_empty() && !k.starts_with('['));
            (Some(line_no), key)
        }
        None => (None, None),
    };
    let mut msg = format!("{file}: ");
    if let Some(l) = line {
        msg += &format!("line {l}: ");
    }
    if let Some(f) = field {
        msg += &format!("field `{f}`: ");
    }
    msg += e.message().trim();
    Error::new(ErrorKind::Config, msg)
}
