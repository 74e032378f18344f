//! Guardrails per virtual key: named sets in the config (`[guardrail_sets.<name>]` in our
//! TOML, LiteLLM's `guardrails:` entries by `guardrail_name` in its YAML), and a key's
//! `metadata.guardrails` naming sets (`["strict"]`) or holding a `[guardrails]` table of its
//! own (`{"pii": {}}`). The key's guardrails run around the call in the chat route — the
//! backend gets the masked request and the caller the restored answer — on top of those of
//! the router group the model names (`[guardrails.<group>]`, run by the router itself).
//!
//! ```toml
//! [guardrail_sets.strict]
//! pii = { input = "mask" }
//! secrets = {}
//! injection = { threshold = 0.6 }
//! ```

use crate::budget::Caller;
use crate::server::Backend;
use crate::wire::ApiError;
use exllm::guardrails::{Guardrails, GuardrailsConfig};
use exllm::{ChatRequest, ChatResponse, ChatStream, Result};
use std::collections::{BTreeMap, HashMap};

/// The named guardrail sets keys may use, built once per config.
#[derive(Debug, Clone, Default)]
pub struct KeyGuards {
    sets: HashMap<String, Guardrails>,
}

impl KeyGuards {
    /// Builds every set (a moderation check calls its model through `client`).
    pub fn build(
        sets: &BTreeMap<String, GuardrailsConfig>,
        client: Option<&exllm::Client>,
    ) -> Result<KeyGuards> {
        let mut out = HashMap::new();
        for (name, cfg) in sets {
            let rails = cfg.build(client).map_err(|e| {
                exllm::Error::new(
                    exllm::ErrorKind::Config,
                    format!("guardrail set `{name}`: {}", e.message()),
                )
            })?;
            out.insert(name.clone(), rails);
        }
        Ok(KeyGuards { sets: out })
    }

    /// The guardrails of `caller`: its key's `metadata.guardrails`, else none.
    pub fn for_caller(&self, caller: &Caller) -> std::result::Result<Option<Guardrails>, ApiError> {
        let Caller::Key(key) = caller else {
            return Ok(None);
        };
        let bad = |message: String| ApiError {
            status: 500,
            kind: "api_error",
            message,
            retry_after: None,
        };
        match key.metadata.get("guardrails") {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(serde_json::Value::Array(names)) => {
                let mut rails = Guardrails::new();
                for n in names {
                    let name = n.as_str().unwrap_or_default();
                    let set = self.sets.get(name).ok_or_else(|| {
                        bad(format!(
                            "this key names the guardrail set `{name}`, which is not configured"
                        ))
                    })?;
                    for r in set.rails() {
                        rails.push(r.clone());
                    }
                }
                Ok((!rails.is_empty()).then_some(rails))
            }
            Some(v) => {
                let cfg: GuardrailsConfig = serde_json::from_value(v.clone())
                    .map_err(|e| bad(format!("this key's guardrails: {e}")))?;
                let rails = cfg
                    .build(None)
                    .map_err(|e| bad(format!("this key's guardrails: {}", e.message())))?;
                Ok((!rails.is_empty()).then_some(rails))
            }
        }
    }
}

/// A whole answer from `backend`, inside `guard` when there is one.
pub async fn chat(
    guard: Option<&Guardrails>,
    backend: &Backend,
    req: ChatRequest,
) -> Result<ChatResponse> {
    match guard {
        Some(g) => g.chat(req, |r| backend.chat(r)).await,
        None => backend.chat(req).await,
    }
}

/// A stream from `backend`, inside `guard` when there is one.
pub async fn chat_stream(
    guard: Option<&Guardrails>,
    backend: &Backend,
    req: ChatRequest,
) -> Result<ChatStream> {
    match guard {
        Some(g) => g.chat_stream(req, |r| backend.chat_stream(r)).await,
        None => backend.chat_stream(req).await,
    }
}

/// A key's metadata with LiteLLM's top-level `guardrails` of `/key/generate` folded in.
pub fn with_key_guardrails(
    metadata: Option<serde_json::Value>,
    guardrails: Option<serde_json::Value>,
) -> serde_json::Value {
    let mut m = metadata.unwrap_or_else(|| serde_json::json!({}));
    if let (Some(g), Some(obj)) = (guardrails, m.as_object_mut()) {
        obj.insert("guardrails".into(), g);
    }
    m
}
