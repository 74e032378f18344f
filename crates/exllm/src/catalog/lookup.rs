//! The in-memory [`Catalog`]: the files compiled into the library, overlaid with the user's own
//! files, indexed for fast lookup by `provider/id` or `provider/alias`.
//!
//! The embedded catalog is parsed once per process (on first use) and shared; [`Catalog::load`]
//! clones it and applies user files from `EXLLM_CATALOG` (a file or a directory) or else
//! `~/.config/exllm/models/*.json`. A user entry is merged field by field into the entry of the
//! same `provider/id` (so a file may set only a price), or added when new. Lookups are one
//! `HashMap` probe on the name as given, with no allocation.

use super::embedded_index::FILES;
use super::model::{CatalogFile, ModelEntry};
use super::sync::sync_models;
use crate::{Error, ErrorKind, Result};
use serde_json::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Models by name.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    models: Vec<ModelEntry>,
    index: HashMap<String, usize>,
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
        static EMBEDDED: OnceLock<Catalog> = OnceLock::new();
        EMBEDDED.get_or_init(|| {
            let mut models = Vec::new();
            for (provider, text) in FILES {
                match Catalog::from_files([*text]) {
                    Ok(c) => models.extend(c.models),
                    Err(e) => tracing::error!("embedded catalog file {provider}.json: {e}"),
                }
            }
            Catalog::from_models(models)
        })
    }

    /// The embedded catalog with the user's files applied: `EXLLM_CATALOG` (a file or a
    /// directory) when set, else `~/.config/exllm/models/` when it exists.
    pub fn load() -> Result<Catalog> {
        let mut c = Catalog::embedded().clone();
        if let Some(p) = std::env::var_os("EXLLM_CATALOG").filter(|p| !p.is_empty()) {
            c.apply_path(Path::new(&p))?;
        } else if let Some(dir) = user_dir().filter(|d| d.is_dir()) {
            c.apply_path(&dir)?;
        }
        Ok(c)
    }

    /// The model named `provider/id` or `provider/alias`.
    pub fn model(&self, name: &str) -> Option<&ModelEntry> {
        self.index.get(name).map(|&i| &self.models[i])
    }

    /// The model `id` (or alias) of `provider`.
    pub fn get(&self, provider: &str, id: &str) -> Option<&ModelEntry> {
        self.model(&format!("{provider}/{id}"))
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

    /// Applies a user file, or every `*.json` file of a directory in name order. YAML files in
    /// a directory are skipped with a warning (only JSON is read for now).
    pub fn apply_path(&mut self, path: &Path) -> Result<()> {
        let cfg = |e: std::io::Error| {
            Error::new(
                ErrorKind::Config,
                format!("catalog {}: {e}", path.display()),
            )
        };
        if path.is_dir() {
            let mut files: Vec<PathBuf> = std::fs::read_dir(path)
                .map_err(cfg)?
                .flatten()
                .map(|e| e.path())
                .collect();
            files.sort();
            for f in files {
                match f.extension().and_then(|x| x.to_str()) {
                    Some("json") => self.apply_path(&f)?,
                    Some("yml" | "yaml") => tracing::warn!(
                        "catalog file {} skipped: only JSON catalog files are read",
                        f.display()
                    ),
                    _ => {}
                }
            }
            return Ok(());
        }
        if matches!(
            path.extension().and_then(|x| x.to_str()),
            Some("yml" | "yaml")
        ) {
            return Err(Error::new(
                ErrorKind::Unsupported,
                format!(
                    "catalog {}: YAML catalog files are not supported yet; use JSON",
                    path.display()
                ),
            ));
        }
        let text = std::fs::read_to_string(path).map_err(cfg)?;
        self.apply_json(&text).map_err(|e| {
            Error::new(
                e.kind(),
                format!("catalog {}: {}", path.display(), e.message()),
            )
        })
    }

    /// Applies user catalog JSON: a catalog file (`{provider, models: [...]}`), a list of
    /// models, or a LiteLLM-format object keyed by model name.
    pub fn apply_json(&mut self, text: &str) -> Result<()> {
        let bad = |m: String| Error::new(ErrorKind::InvalidInput, m);
        let root: Value =
            serde_json::from_str(text).map_err(|e| bad(format!("invalid JSON: {e}")))?;
        let (provider, entries) = match root {
            Value::Array(items) => (String::new(), items),
            Value::Object(mut o) if o.contains_key("models") => {
                let p = o
                    .get("provider")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned();
                match o.remove("models") {
                    Some(Value::Array(items)) => (p, items),
                    _ => return Err(bad("`models` must be a list".into())),
                }
            }
            Value::Object(_) => {
                let models = sync_models(text)?.models;
                let items = models
                    .iter()
                    .map(serde_json::to_value)
                    .collect::<std::result::Result<Vec<_>, _>>()
                    .map_err(|e| bad(e.to_string()))?;
                (String::new(), items)
            }
            _ => return Err(bad("a catalog must be an object or a list".into())),
        };
        for mut item in entries {
            let Some(obj) = item.as_object_mut() else {
                return Err(bad("each model must be an object".into()));
            };
            if obj
                .get("provider")
                .and_then(Value::as_str)
                .is_none_or(str::is_empty)
            {
                if provider.is_empty() {
                    return Err(bad("a model has no `provider`".into()));
                }
                obj.insert("provider".into(), Value::String(provider.clone()));
            }
            self.merge_entry(item)?;
        }
        Ok(())
    }

    fn merge_entry(&mut self, item: Value) -> Result<()> {
        let bad = |m: String| Error::new(ErrorKind::InvalidInput, m);
        let provider = item["provider"].as_str().unwrap_or_default().to_owned();
        let Some(id) = item.get("id").and_then(Value::as_str).map(str::to_owned) else {
            return Err(bad(format!("a {provider} model has no `id`")));
        };
        let name = format!("{provider}/{id}");
        let merged = match self.index.get(&name) {
            Some(&i) => {
                let mut base =
                    serde_json::to_value(&self.models[i]).map_err(|e| bad(e.to_string()))?;
                merge(&mut base, item);
                let m: ModelEntry =
                    serde_json::from_value(base).map_err(|e| bad(format!("{name}: {e}")))?;
                self.models[i] = m;
                self.reindex();
                return Ok(());
            }
            None => serde_json::from_value::<ModelEntry>(item)
                .map_err(|e| bad(format!("{name}: {e}")))?,
        };
        self.models.push(merged);
        self.reindex();
        Ok(())
    }

    fn reindex(&mut self) {
        let models = std::mem::take(&mut self.models);
        *self = Catalog::from_models(models);
    }
}

/// Deep merge: objects merge key by key, `null` removes a key, anything else replaces.
fn merge(base: &mut Value, over: Value) {
    match (base, over) {
        (Value::Object(b), Value::Object(o)) => {
            for (k, v) in o {
                if v.is_null() {
                    b.remove(&k);
                } else {
                    merge(b.entry(k).or_insert(Value::Null), v);
                }
            }
        }
        (b, o) => *b = o,
    }
}

/// `$XDG_CONFIG_HOME/exllm/models`, else `~/.config/exllm/models`.
fn user_dir() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    Some(base.join("exllm").join("models"))
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn user_json_overrides_and_extends() {
        let mut c = small();
        c.apply_json(
            r#"{"provider": "openai", "models": [
                {"id": "gpt-x", "prices": {"base": {"input": 5e-7}}},
                {"id": "my-model", "context_window": 8192}
            ]}"#,
        )
        .unwrap();
        let m = c.model("openai/gpt-x").unwrap();
        assert_eq!(m.prices.base.input, Some(5e-7));
        assert_eq!(
            m.prices.base.output,
            Some(2e-6),
            "fields not given are kept"
        );
        assert_eq!(
            c.model("openai/gpt-x-latest").unwrap().prices.base.input,
            Some(5e-7)
        );
        assert_eq!(
            c.model("openai/my-model").unwrap().context_window,
            Some(8192)
        );
        assert!(c.apply_json(r#"[{"id": "no-provider"}]"#).is_err());
        assert!(c.apply_json("not json").is_err());
    }

    #[test]
    fn user_litellm_format_is_accepted() {
        let mut c = small();
        c.apply_json(r#"{"groq/new": {"litellm_provider": "groq", "input_cost_per_token": 1e-7}}"#)
            .unwrap();
        assert_eq!(c.model("groq/new").unwrap().prices.base.input, Some(1e-7));
    }

    #[test]
    fn env_file_is_applied() {
        let dir = std::env::temp_dir().join(format!("exllm-catalog-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("mine.json"),
            r#"{"provider": "ollama", "models": [{"id": "llama-local", "mode": "chat"}]}"#,
        )
        .unwrap();
        std::fs::write(dir.join("skip.yml"), "not: read").unwrap();
        let mut c = Catalog::default();
        c.apply_path(&dir).unwrap();
        assert_eq!(
            c.model("ollama/llama-local").unwrap().mode.as_deref(),
            Some("chat")
        );
        assert!(c.apply_path(&dir.join("skip.yml")).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
