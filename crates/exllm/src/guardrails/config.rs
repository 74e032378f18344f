//! Guardrails from configuration: a `[guardrails]` table (in its own file, or inside the
//! router's or the gateway's) naming the detectors, their actions and thresholds, and custom
//! pattern rules. A detector is on when its table is present.
//!
//! ```
//! use exllm::guardrails::GuardrailsConfig;
//! let cfg = GuardrailsConfig::from_toml(r#"
//!     [guardrails]
//!     pii = { kinds = ["email", "card"], input = "mask" }
//!     secrets = { input = "block", entropy_threshold = 4.2 }
//!     injection = { threshold = 0.6 }
//!
//!     [[guardrails.rules]]
//!     name = "ticket"
//!     pattern = 'TICKET-\d+'
//!     action = "mask"
//! "#).unwrap();
//! let rails = cfg.build(None).unwrap();
//! assert_eq!(rails.rails().len(), 4);
//! ```

use super::{
    Action, Guardrails, Injection, Moderation, Pii, PiiKind, RegexRule, ResponseRules, Sanitize,
    Secrets, Stage,
};
use crate::error::{Error, ErrorKind, Result};
use crate::types::Role;
use crate::Client;
use serde::Deserialize;

/// The `[guardrails]` table.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GuardrailsConfig {
    /// Personal data.
    #[serde(default)]
    pub pii: Option<PiiConfig>,
    /// Names and postal addresses, found by a model (see [`super::NerConfig`]).
    #[serde(default)]
    pub ner: Option<super::NerConfig>,
    /// Credentials.
    #[serde(default)]
    pub secrets: Option<SecretsConfig>,
    /// Prompt injection.
    #[serde(default)]
    pub injection: Option<InjectionConfig>,
    /// A moderation model.
    #[serde(default)]
    pub moderation: Option<ModerationConfig>,
    /// Pattern rules.
    #[serde(default)]
    pub rules: Vec<RuleConfig>,
    /// Request sanitisation.
    #[serde(default)]
    pub sanitize: Option<SanitizeConfig>,
    /// Answer validation.
    #[serde(default)]
    pub response: Option<ResponseConfig>,
}

/// `sanitize = { roles = ["system", "user", "assistant"], max_message_bytes = 32768,
/// max_total_bytes = 262144, control = "strip", action = "block" }`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SanitizeConfig {
    /// The allowed roles (default all).
    pub roles: Option<Vec<Role>>,
    /// The largest message, in bytes of text.
    pub max_message_bytes: Option<usize>,
    /// The largest request, in bytes of text.
    pub max_total_bytes: Option<usize>,
    /// The action on control characters in requests (default `strip`).
    pub control: Option<Action>,
    /// The action on control characters in answers (default `allow`).
    pub output_control: Option<Action>,
    /// The action on a disallowed role or an oversized message or request (default `block`).
    pub action: Option<Action>,
}

/// `response = { schema = { type = "object" }, banned = ["competitor"], max_bytes = 8192,
/// action = "block" }`; `schema` may also be a string of JSON.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResponseConfig {
    /// The JSON Schema the answer must match.
    pub schema: Option<serde_json::Value>,
    /// Terms the answer may not contain.
    #[serde(default)]
    pub banned: Vec<String>,
    /// The largest answer, in bytes.
    pub max_bytes: Option<usize>,
    /// The action when a rule fails (default `block`).
    pub action: Option<Action>,
}

/// `pii = { kinds = [...], input = "mask", output = "allow" }`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PiiConfig {
    /// The kinds (all when absent).
    pub kinds: Option<Vec<PiiKind>>,
    /// The action on requests (default `mask`).
    pub input: Option<Action>,
    /// The action on answers (default `allow`).
    pub output: Option<Action>,
}

/// `secrets = { input = "block", output = "block", entropy = true, entropy_threshold = 4.0, min_length = 24 }`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretsConfig {
    /// The action on requests (default `block`).
    pub input: Option<Action>,
    /// The action on answers (default `block`).
    pub output: Option<Action>,
    /// Whether to look for high-entropy strings (default on).
    pub entropy: Option<bool>,
    /// Bits per character from which a string is a secret (default 4.0).
    pub entropy_threshold: Option<f64>,
    /// The shortest string the entropy rule considers (default 24).
    pub min_length: Option<usize>,
}

/// `injection = { threshold = 0.5, action = "block", roles = ["user", "tool"] }`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InjectionConfig {
    /// The score from which to act (default 0.5).
    pub threshold: Option<f64>,
    /// The action (default `block`).
    pub action: Option<Action>,
    /// The screened roles (default user and tool).
    pub roles: Option<Vec<Role>>,
}

/// `moderation = { model = "openai/omni-moderation-latest", action = "block" }`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModerationConfig {
    /// The moderation model, `provider/model`.
    pub model: String,
    /// The action on a flagged request (default `block`).
    pub action: Option<Action>,
}

/// `[[guardrails.rules]]`: a pattern rule.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleConfig {
    /// The rule's name.
    pub name: String,
    /// The regular expression (Rust `regex` syntax).
    pub pattern: String,
    /// The action (default `block`).
    #[serde(default)]
    pub action: Action,
    /// The placeholder label (default: the name in upper case).
    pub label: Option<String>,
    /// `input`, `output` or both (default both).
    pub stages: Option<Vec<String>>,
}

impl GuardrailsConfig {
    /// Reads a TOML document holding a `[guardrails]` table, or the table's fields alone.
    pub fn from_toml(text: &str) -> Result<Self> {
        let bad = |e: toml::de::Error| {
            Error::new(
                ErrorKind::Config,
                format!("guardrails configuration: {}", e.message()),
            )
        };
        let doc: toml::Table = toml::from_str(text).map_err(bad)?;
        let table = match doc.get("guardrails") {
            Some(toml::Value::Table(t)) => t.clone(),
            Some(_) => {
                return Err(Error::new(
                    ErrorKind::Config,
                    "guardrails configuration: `guardrails` must be a table",
                ))
            }
            None => doc,
        };
        toml::Value::Table(table).try_into().map_err(bad)
    }

    /// Reads a configuration file.
    pub fn from_file(path: impl AsRef<std::path::Path>) -> Result<Self> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| {
            Error::new(
                ErrorKind::Config,
                format!("cannot read {}: {e}", path.display()),
            )
        })?;
        Self::from_toml(&text)
    }

    /// The guardrails this configuration names, in a fixed order (sanitisation, rules,
    /// secrets, PII, names and addresses, injection, moderation, answer validation). Moderation needs the `client`
    /// that calls its model.
    pub fn build(&self, client: Option<&Client>) -> Result<Guardrails> {
        let mut rails = Guardrails::new();
        if let Some(c) = &self.sanitize {
            let d = Sanitize::default();
            rails = rails.with(Sanitize {
                control: c.control.unwrap_or(d.control),
                output_control: c.output_control.unwrap_or(d.output_control),
                roles: c.roles.clone().unwrap_or(d.roles),
                max_message_bytes: c.max_message_bytes,
                max_total_bytes: c.max_total_bytes,
                action: c.action.unwrap_or(d.action),
            });
        }
        for r in &self.rules {
            let pattern = regex::Regex::new(&r.pattern).map_err(|e| {
                Error::new(
                    ErrorKind::Config,
                    format!("guardrail rule `{}`: {e}", r.name),
                )
            })?;
            let mut rule = RegexRule::new(r.name.clone(), pattern, r.action);
            if let Some(l) = &r.label {
                rule = rule.with_label(l.clone());
            }
            if let Some(stages) = &r.stages {
                rule = rule.on(stages
                    .iter()
                    .map(|s| stage(&r.name, s))
                    .collect::<Result<Vec<_>>>()?);
            }
            rails = rails.with(rule);
        }
        if let Some(s) = &self.secrets {
            let d = Secrets::default();
            rails = rails.with(Secrets {
                input: s.input.unwrap_or(d.input),
                output: s.output.unwrap_or(d.output),
                entropy: s.entropy.unwrap_or(d.entropy),
                entropy_threshold: s.entropy_threshold.unwrap_or(d.entropy_threshold),
                min_length: s.min_length.unwrap_or(d.min_length),
            });
        }
        if let Some(p) = &self.pii {
            let d = Pii::default();
            rails = rails.with(Pii {
                kinds: p.kinds.clone().unwrap_or(d.kinds),
                input: p.input.unwrap_or(d.input),
                output: p.output.unwrap_or(d.output),
            });
        }
        if let Some(n) = &self.ner {
            rails.push(super::ner::build(n)?);
        }
        if let Some(i) = &self.injection {
            let d = Injection::default();
            rails = rails.with(Injection {
                threshold: i.threshold.unwrap_or(d.threshold),
                action: i.action.unwrap_or(d.action),
                roles: i.roles.clone().unwrap_or(d.roles),
            });
        }
        if let Some(m) = &self.moderation {
            let client = client.ok_or_else(|| {
                Error::new(
                    ErrorKind::Config,
                    "the moderation guardrail needs a client to call its model",
                )
            })?;
            rails = rails.with(
                Moderation::new(client.clone(), m.model.clone())
                    .with_action(m.action.unwrap_or(Action::Block)),
            );
        }
        if let Some(r) = &self.response {
            let mut rules = ResponseRules::new()
                .with_banned(&r.banned)
                .with_action(r.action.unwrap_or(Action::Block));
            rules.max_bytes = r.max_bytes;
            if let Some(schema) = &r.schema {
                let schema = super::response::schema_from_config(schema)?;
                rules = rules.with_schema(&schema).map_err(|e| {
                    Error::new(ErrorKind::Config, format!("guardrails response: {e}"))
                })?;
            }
            rails = rails.with(rules);
        }
        Ok(rails)
    }
}

fn stage(rule: &str, s: &str) -> Result<Stage> {
    match s {
        "input" => Ok(Stage::Input),
        "output" => Ok(Stage::Output),
        _ => Err(Error::new(
            ErrorKind::Config,
            format!("guardrail rule `{rule}`: stage `{s}` is neither `input` nor `output`"),
        )),
    }
}
