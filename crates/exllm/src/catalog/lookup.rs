//! The in-memory [`Catalog`]: the files compiled into the library, overlaid with the user's own
//! files, indexed for fast lookup by `provider/id` or `provider/alias`.
//!
//! The embedded catalog is parsed once per process (on first use) and shared; [`Catalog::load`]
//! clones it and applies user files from `EXLLM_CATALOG` (a file or a directory) or else
//! `$XDG_CONFIG_HOME/exllm/models/` or `~/.config/exllm/models/` (JSON or YAML; see `user.rs`,
//! whose `user_catalog_path` also tells `exllm catalog sync` where to write). Lookups are one `HashMap` probe
//! on the name as given, with no allocation.

use super::embedded_index::FILES;
use super::model::{CatalogFile, ModelEntry};
use super::user::{explicit_path, user_catalog_path};
use crate::{Error, ErrorKind, Result};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

/// Models by name.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    pub(super) models: Vec<ModelEntry>,
    pub(super) index: HashMap<String, usize>,
}

impl Catalog {
    /// A catalog of these models. When two share a name the first wins; ids win over aliases.
    pub fn from_models(models: Vec<ModelEntry>) -> Self {
        let mut index = HashMap::with_capacity(models.len() * 2);
        for (i, m) in models.iter().enumerate() {
            index.entry(format!("{}/{}", m.provider, m.id)).or_insert(i);
        }
        for (i, m) in models.iter().enumerate() {
            for a in &m.aliases {
                index.entry(format!("{}/{}", m.provider, a)).or_insert(i);
            }
        }
        Catalog { models, index }
    }

    /// Parses catalog file texts (`catalog/<provider>.json` contents).
    pub fn from_files<'a>(files: impl IntoIterator<Item = &'a str>) -> Result<Self> {
        let mut models = Vec::new();
        for text in files {
            let file: CatalogFile = serde_json::from_str(text)
                .map_err(|e| Error::new(ErrorKind::Decode, format!("bad catalog file: {e}")))?;
            for mut m in file.models {
                if m.provider.is_empty() {
                    m.provider = file.provider.clone();
                }
                models.push(m);
            }
        }
        Ok(Catalog::from_models(models))
    }

    /// The catalog compiled into the library (parsed on first use). A file that fails to
    /// parse is logged and left out; the tests keep that from happening.
    pub fn embedded() -> &'static Catalog {
        Self::embedded_arc()
    }

    fn embedded_arc() -> &'static Arc<Catalog> {
        static EMBEDDED: OnceLock<Arc<Catalog>> = OnceLock::new();
        EMBEDDED.get_or_init(|| {
            let mut models = Vec::new();
            for (provider, text) in FILES {
                match Catalog::from_files([*text]) {
                    Ok(c) => models.extend(c.models),
                    Err(e) => tracing::error!("embedded catalog file {provider}.json: {e}"),
                }
            }
            Arc::new(Catalog::from_models(models))
        })
    }

    /// The embedded file of one provider, parsed on its first use. A call needs only its own
    /// provider's models, and parsing every file would dominate a short program's start-up
    /// time and memory.
    pub fn embedded_provider(provider: &str) -> Option<&'static Catalog> {
        static PARSED: OnceLock<Vec<OnceLock<Catalog>>> = OnceLock::new();
        let slots = PARSED.get_or_init(|| FILES.iter().map(|_| OnceLock::new()).collect());
        let i = FILES.binary_search_by(|(p, _)| (*p).cmp(provider)).ok()?;
        Some(slots[i].get_or_init(|| {
            Catalog::from_files([FILES[i].1]).unwrap_or_else(|e| {
                tracing::error!("embedded catalog file {provider}.json: {e}");
                Catalog::default()
            })
        }))
    }

    /// The model `provider/id` as [`Catalog::shared`] has it, without parsing the whole
    /// catalog when no user file applies (then only the provider's embedded file is read).
    pub fn shared_model(name: &str) -> Option<&'static ModelEntry> {
        static USER_FILES: OnceLock<bool> = OnceLock::new();
        if *USER_FILES.get_or_init(|| user_source().is_some()) {
            // A user file may add or change any model: look in the merged catalog.
            return Self::shared_arc().model(name);
        }
        let (provider, _) = name.split_once('/')?;
        Catalog::embedded_provider(provider)?.model(name)
    }

    /// [`Catalog::load`] once per process, shared by every client that was not given a
    /// catalog of its own: without user files it is the embedded catalog itself, not a copy.
    /// A broken user file is logged and the embedded catalog used.
    pub fn shared() -> Arc<Catalog> {
        Self::shared_arc().clone()
    }

    fn shared_arc() -> &'static Arc<Catalog> {
        static SHARED: OnceLock<Arc<Catalog>> = OnceLock::new();
        SHARED.get_or_init(|| match user_source() {
            None => Self::embedded_arc().clone(),
            Some(path) => {
                let mut c = Catalog::embedded().clone();
                match c.apply_path(&path) {
                    Ok(()) => Arc::new(c),
                    Err(e) => {
                        tracing::warn!("user catalog files ignored: {e}");
                        Self::embedded_arc().clone()
                    }
                }
            }
        })
    }

    /// The embedded catalog with the user's files applied: `EXLLM_CATALOG` (a file or a
    /// directory) when set, else the user directory ([`super::user_catalog_path`]) when it
    /// exists.
    pub fn load() -> Result<Catalog> {
        let mut c = Catalog::embedded().clone();
        if let Some(p) = user_source() {
            c.apply_path(&p)?;
        }
        Ok(c)
    }

    /// The model named `provider/id` or `provider/alias`.
    pub fn model(&self, name: &str) -> Option<&ModelEntry> {
        self.index.get(name).map(|&i| &self.models[i])
    }

    /// The model `id` (or alias) of `provider`. Names up to 256 bytes are looked up without
    /// allocating.
    pub fn get(&self, provider: &str, id: &str) -> Option<&ModelEntry> {
        let len = provider.len() + 1 + id.len();
        let mut buf = [0u8; 256];
        if len > buf.len() {
            return self.model(&format!("{provider}/{id}"));
        }
        buf[..provider.len()].copy_from_slice(provider.as_bytes());
        buf[provider.len()] = b'/';
        buf[provider.len() + 1..len].copy_from_slice(id.as_bytes());
        // Two `str`s joined by an ASCII byte are UTF-8.
        std::str::from_utf8(&buf[..len])
            .ok()
            .and_then(|name| self.model(name))
    }

    /// Every model, sorted as loaded.
    pub fn models(&self) -> &[ModelEntry] {
        &self.models
    }

    /// The models of one provider.
    pub fn provider<'a>(&'a self, provider: &'a str) -> impl Iterator<Item = &'a ModelEntry> {
        self.models.iter().filter(move |m| m.provider == provider)
    }

    /// Number of models.
    pub fn len(&self) -> usize {
        self.models.len()
    }

    /// Whether there are no models.
    pub fn is_empty(&self) -> bool {
        self.models.is_empty()
    }

    /// Rebuilds the index after models were changed or added.
    pub(super) fn reindex(&mut self) {
        let models = std::mem::take(&mut self.models);
        *self = Catalog::from_models(models);
    }
}

/// The user's catalog files ([`user_catalog_path`]): `EXLLM_CATALOG` when set, else the user
/// directory when it exists.
fn user_source() -> Option<PathBuf> {
    explicit_path().or_else(|| user_catalog_path().filter(|d| d.is_dir()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_files_are_sorted_and_one_provider_parses_alone() {
        assert!(
            FILES.windows(2).all(|w| w[0].0 < w[1].0),
            "FILES must stay sorted"
        );
        let openai = Catalog::embedded_provider("openai").unwrap();
        assert!(openai.len() > 10);
        assert!(openai.models().iter().all(|m| m.provider == "openai"));
        assert_eq!(
            openai.model("openai/gpt-4o"),
            Catalog::embedded().model("openai/gpt-4o")
        );
        assert!(Catalog::embedded_provider("no-such-provider").is_none());
        assert_eq!(
            Catalog::shared_model("anthropic/claude-sonnet-4-5").map(|m| &m.id),
            Catalog::embedded()
                .model("anthropic/claude-sonnet-4-5")
                .map(|m| &m.id)
        );
    }

    fn small() -> Catalog {
        let text = r#"{"provider": "openai", "models": [
            {"id": "gpt-x", "aliases": ["gpt-x-latest"], "mode": "chat",
             "prices": {"base": {"input": 1e-6, "output": 2e-6}}}
        ]}"#;
        Catalog::from_files([text]).unwrap()
    }

    #[test]
    fn finds_by_id_and_alias() {
        let c = small();
        assert_eq!(c.model("openai/gpt-x").unwrap().id, "gpt-x");
        assert_eq!(c.model("openai/gpt-x-latest").unwrap().id, "gpt-x");
        assert_eq!(c.get("openai", "gpt-x").unwrap().provider, "openai");
        assert!(c.model("anthropic/gpt-x").is_none());
    }
}
