//! Names and postal addresses: the `ner` guardrail of configuration files. Finding them takes
//! a model, which this crate does not carry (it would pull candle and a tokenizer into every
//! build); `exllm-local` (feature `ner`) does, and registers itself here with
//! [`set_ner_builder`] so `[guardrails] ner = {}` in a router's or gateway's file, and
//! `exllm chat --guard names`, build it like any other detector.

use super::{Action, Guardrail};
use crate::error::{Error, ErrorKind, Result};
use serde::Deserialize;
use std::sync::{Arc, OnceLock};

/// `ner = { entities = ["name", "address"], input = "mask", output = "allow", threshold = 0.5 }`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NerConfig {
    /// The entity kinds to mask (default `name` and `address`; the model also knows
    /// `government_id`, `passport`, `drivers_license`, `tax_id`, `bank_account`,
    /// `routing_number`, `email`, `phone`, `url`).
    pub entities: Option<Vec<String>>,
    /// The action on requests (default `mask`).
    pub input: Option<Action>,
    /// The action on answers (default `allow`).
    pub output: Option<Action>,
    /// The least per-token confidence that counts (default 0.5).
    pub threshold: Option<f64>,
    /// A folder holding the model's files instead of the cached default.
    pub model: Option<std::path::PathBuf>,
}

/// What builds the `ner` guardrail from its configuration.
pub type NerBuilder = fn(&NerConfig) -> Result<Arc<dyn Guardrail>>;

static BUILDER: OnceLock<NerBuilder> = OnceLock::new();

/// Registers what builds `ner` guardrails (once per process; later calls are ignored).
/// `exllm_local::ner::register()` does this.
pub fn set_ner_builder(builder: NerBuilder) {
    let _ = BUILDER.set(builder);
}

/// Whether a builder is registered (LiteLLM's `presidio` entries then mask names too).
pub(crate) fn is_registered() -> bool {
    BUILDER.get().is_some()
}

/// The `ner` guardrail of `cfg`, through the registered builder.
pub(crate) fn build(cfg: &NerConfig) -> Result<Arc<dyn Guardrail>> {
    let builder = BUILDER.get().ok_or_else(|| {
        Error::new(
            ErrorKind::Config,
            "the `ner` guardrail (names, postal addresses) needs a model: build exllm with \
             exllm-local's `ner` feature and call exllm_local::ner::register()",
        )
    })?;
    builder(cfg)
}
