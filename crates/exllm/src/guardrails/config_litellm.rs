//! LiteLLM's proxy `guardrails:` entries read as ours, and configurations merged: a LiteLLM
//! user's `guardrail_name` / `litellm_params.guardrail` / `mode` / `default_on` become a named
//! [`GuardrailsConfig`] of the detector exllm has for that kind of check (Presidio → PII,
//! secret detection → secrets, Lakera and prompt-injection checks → injection, OpenAI
//! moderation → moderation). A kind exllm has no detector for is refused, not ignored.
//!
//! ```yaml
//! guardrails:
//!   - guardrail_name: mask-pii
//!     litellm_params: { guardrail: presidio, mode: pre_call, default_on: true }
//! ```

use super::config::{
    GuardrailsConfig, InjectionConfig, ModerationConfig, PiiConfig, SecretsConfig,
};
use super::Action;
use crate::error::{Error, ErrorKind, Result};
use serde_json::Value;

/// One `guardrails:` entry of a LiteLLM config.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NamedGuardrails {
    /// `guardrail_name`: what keys and requests name it by.
    pub name: String,
    /// The checks it stands for.
    pub config: GuardrailsConfig,
    /// `default_on`: it applies to every request.
    pub default_on: bool,
}

impl GuardrailsConfig {
    /// Adds `other`'s checks: a detector this one lacks is taken, rules are appended.
    pub fn merge(&mut self, other: &GuardrailsConfig) {
        fn take<T: Clone>(mine: &mut Option<T>, theirs: &Option<T>) {
            if mine.is_none() {
                mine.clone_from(theirs);
            }
        }
        take(&mut self.pii, &other.pii);
        take(&mut self.ner, &other.ner);
        take(&mut self.secrets, &other.secrets);
        take(&mut self.injection, &other.injection);
        take(&mut self.moderation, &other.moderation);
        take(&mut self.sanitize, &other.sanitize);
        take(&mut self.response, &other.response);
        self.rules.extend(other.rules.iter().cloned());
    }

    /// Whether it names no check.
    pub fn is_empty(&self) -> bool {
        *self == GuardrailsConfig::default()
    }

    /// Reads LiteLLM's `guardrails:` list (as JSON, from the YAML).
    pub fn from_litellm(entries: &Value) -> Result<Vec<NamedGuardrails>> {
        let bad = |m: String| Error::new(ErrorKind::Config, format!("guardrails: {m}"));
        let Some(list) = entries.as_array() else {
            return Err(bad("must be a list".into()));
        };
        let mut out = Vec::new();
        for e in list {
            let name = e
                .get("guardrail_name")
                .and_then(Value::as_str)
                .ok_or_else(|| bad("an entry needs a `guardrail_name`".into()))?;
            let p = e.get("litellm_params").cloned().unwrap_or(Value::Null);
            let kind = p.get("guardrail").and_then(Value::as_str).unwrap_or("");
            let modes: Vec<String> = match p.get("mode") {
                Some(Value::String(m)) => vec![m.clone()],
                Some(Value::Array(ms)) => ms
                    .iter()
                    .filter_map(|m| m.as_str().map(str::to_owned))
                    .collect(),
                _ => vec!["pre_call".into()],
            };
            let input = modes.iter().any(|m| m != "post_call");
            let output = modes.iter().any(|m| m == "post_call");
            let on = |yes: bool, action: Action| Some(if yes { action } else { Action::Allow });
            let mut config = GuardrailsConfig::default();
            match kind {
                "presidio" | "pii" | "pii_masking" => {
                    config.pii = Some(PiiConfig {
                        kinds: None,
                        input: on(input, Action::Mask),
                        output: on(output, Action::Mask),
                    });
                    // Presidio's analyzer masks people and places too: so does the `ner`
                    // guardrail, where a model is registered (the CLI and the gateway).
                    if super::ner::is_registered() {
                        config.ner = Some(super::NerConfig {
                            input: on(input, Action::Mask),
                            output: on(output, Action::Mask),
                            ..Default::default()
                        });
                    }
                }
                "hide-secrets" | "hide_secrets" | "secret_detection" | "secrets" => {
                    config.secrets = Some(SecretsConfig {
                        input: on(input, Action::Mask),
                        output: on(output, Action::Block),
                        ..Default::default()
                    })
                }
                "lakera"
                | "lakera_v2"
                | "detect_prompt_injection"
                | "prompt_injection"
                | "injection" => {
                    config.injection = Some(InjectionConfig {
                        action: Some(Action::Block),
                        ..Default::default()
                    })
                }
                "openai_moderation" | "moderation" => {
                    let model = p
                        .get("model")
                        .and_then(Value::as_str)
                        .unwrap_or("omni-moderation-latest");
                    let model = if model.contains('/') {
                        model.to_owned()
                    } else {
                        format!("openai/{model}")
                    };
                    config.moderation = Some(ModerationConfig {
                        model,
                        action: Some(Action::Block),
                    })
                }
                other => {
                    return Err(bad(format!(
                        "`{name}`: exllm has no `{other}` guardrail (it has presidio, \
                         secret_detection, detect_prompt_injection, openai_moderation)"
                    )))
                }
            }
            out.push(NamedGuardrails {
                name: name.to_owned(),
                config,
                default_on: p.get("default_on").and_then(Value::as_bool) == Some(true),
            });
        }
        Ok(out)
    }
}
