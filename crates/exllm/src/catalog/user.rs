//! The user's own catalog files, JSON or YAML, applied over the embedded catalog at run time.
//!
//! People write these by hand, so the reader is forgiving where the meaning is plain and
//! precise where it is not: numbers may be strings (`"128000"`, `"3e-6"`), a lone alias may be
//! a string, capability keys may use friendly names (`tools`, `vision`), and a YAML id that
//! looks like a number stays a name. Anything else that does not fit is a
//! [`ErrorKind::Config`] error naming the file, the model and the line, never a panic and never
//! a silently dropped value. Three shapes are read, whatever the format: a catalog file
//! (`{provider, models: [...]}`), a list of models, or a LiteLLM-style object keyed by model
//! name. A user entry is merged field by field into the entry of the same `provider/id` (so a
//! file may set only a price; `null` removes a field), or added when new.

use super::discovery::feature_key;
use super::lookup::Catalog;
use super::model::ModelEntry;
use super::parse::{count, number};
use super::sync::sync_models;
use crate::{Error, ErrorKind, Result};
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};

/// A problem in a user file, before the file name is known.
fn bad(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::Config, message.into())
}

impl Catalog {
    /// Applies a user file (`.json`, `.yml` or `.yaml`), or every such file of a directory in
    /// name order. Errors name the file (and the line, where known).
    pub fn apply_path(&mut self, path: &Path) -> Result<()> {
        let named = |e: Error| bad(format!("catalog {}: {}", path.display(), e.message()));
        if path.is_dir() {
            let mut files: Vec<PathBuf> = std::fs::read_dir(path)
                .map_err(|e| named(bad(e.to_string())))?
                .flatten()
                .map(|e| e.path())
                .filter(|p| matches!(ext(p), Some("json" | "yml" | "yaml")))
                .collect();
            files.sort();
            return files.iter().try_for_each(|f| self.apply_path(f));
        }
        let text = std::fs::read_to_string(path).map_err(|e| named(bad(e.to_string())))?;
        match ext(path) {
            Some("yml" | "yaml") => self.apply_yaml(&text),
            _ => self.apply_json(&text),
        }
        .map_err(named)
    }

    /// Applies user catalog JSON: a catalog file (`{provider, models: [...]}`), a list of
    /// models, a single model, or a LiteLLM-format object keyed by model name.
    pub fn apply_json(&mut self, text: &str) -> Result<()> {
        let root: Value =
            serde_json::from_str(text).map_err(|e| bad(format!("invalid JSON: {e}")))?;
        self.apply_value(root, text)
    }

    /// Applies user catalog YAML, in the same shapes as [`Catalog::apply_json`].
    pub fn apply_yaml(&mut self, text: &str) -> Result<()> {
        let root: Value =
            serde_yaml_ng::from_str(text).map_err(|e| bad(format!("invalid YAML: {e}")))?;
        self.apply_value(root, text)
    }

    fn apply_value(&mut self, root: Value, text: &str) -> Result<()> {
        let (provider, entries) = match root {
            Value::Array(items) => (String::new(), items),
            Value::Object(mut o) if o.contains_key("models") => {
                let p = o.get("provider").map(name_of).unwrap_or_default();
                match o.remove("models") {
                    Some(Value::Array(items)) => (p, items),
                    Some(Value::Null) => (p, Vec::new()),
                    _ => return Err(bad(at(text, "models", "`models` must be a list"))),
                }
            }
            Value::Object(o) if o.contains_key("id") => (String::new(), vec![Value::Object(o)]),
            Value::Object(o) => {
                // LiteLLM shape: read by the same lenient parser as the synced files.
                let json = serde_json::to_string(&o).map_err(|e| bad(e.to_string()))?;
                let models = sync_models(&json).map_err(|e| bad(e.message().to_owned()))?;
                let items = models
                    .models
                    .iter()
                    .map(serde_json::to_value)
                    .collect::<std::result::Result<Vec<_>, _>>()
                    .map_err(|e| bad(e.to_string()))?;
                (String::new(), items)
            }
            Value::Null => return Ok(()),
            _ => return Err(bad("a catalog must be an object or a list of models")),
        };
        let result = entries.into_iter().enumerate().try_for_each(|(n, item)| {
            let Value::Object(mut obj) = item else {
                return Err(bad(format!("model #{} must be an object", n + 1)));
            };
            let given = obj.get("provider").map(name_of).unwrap_or_default();
            if given.is_empty() {
                if provider.is_empty() {
                    let id = obj.get("id").map(name_of).unwrap_or_default();
                    let what = format!(
                        "model #{} has no `provider` (and the file names none)",
                        n + 1
                    );
                    return Err(bad(at(text, &id, &what)));
                }
                obj.insert("provider".into(), Value::String(provider.clone()));
            }
            self.merge_entry(obj, text)
        });
        self.reindex();
        result
    }

    fn merge_entry(&mut self, mut obj: Map<String, Value>, text: &str) -> Result<()> {
        let provider = obj.get("provider").map(name_of).unwrap_or_default();
        let id = obj.get("id").map(name_of).unwrap_or_default();
        if id.is_empty() {
            return Err(bad(format!("a {provider} model has no `id`")));
        }
        obj.insert("provider".into(), Value::String(provider.clone()));
        obj.insert("id".into(), Value::String(id.clone()));
        let name = format!("{provider}/{id}");
        normalize(&mut obj).map_err(|m| bad(at(text, &id, &format!("{name}: {m}"))))?;
        let decode = |v: Value| {
            serde_json::from_value::<ModelEntry>(v)
                .map_err(|e| bad(at(text, &id, &format!("{name}: {e}"))))
        };
        match self.index.get(&name) {
            Some(&i) => {
                let mut base =
                    serde_json::to_value(&self.models[i]).map_err(|e| bad(e.to_string()))?;
                merge(&mut base, Value::Object(obj));
                self.models[i] = decode(base)?;
            }
            None => {
                let m = decode(Value::Object(obj))?;
                self.index.insert(name, self.models.len());
                self.models.push(m);
            }
        }
        Ok(())
    }
}

fn ext(p: &Path) -> Option<&str> {
    p.extension().and_then(|x| x.to_str())
}

/// A name field: a string, or a number or boolean written without quotes in YAML.
fn name_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.trim().to_owned(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => String::new(),
    }
}

/// `what`, with the line of the first mention of `needle` in the file when there is one.
fn at(text: &str, needle: &str, what: &str) -> String {
    match text.find(needle).filter(|_| !needle.is_empty()) {
        Some(i) => format!("line {}: {what}", text[..i].matches('\n').count() + 1),
        None => what.to_owned(),
    }
}

/// Coerces hand-written values to the catalog's types; the message names the odd field.
fn normalize(obj: &mut Map<String, Value>) -> std::result::Result<(), String> {
    for key in [
        "context_window",
        "max_input_tokens",
        "max_output_tokens",
        "max_tokens",
    ] {
        if let Some(v) = obj.get_mut(key).filter(|v| !v.is_null()) {
            let n = count(v).ok_or_else(|| format!("`{key}` must be a whole number, not {v}"))?;
            *v = Value::from(n);
        }
    }
    if obj.get("context_window").is_none() {
        if let Some(n) = obj
            .get("max_input_tokens")
            .and_then(Value::as_u64)
            .filter(|n| *n > 0)
        {
            obj.insert("context_window".into(), Value::from(n));
        }
    }
    if let Some(Value::String(a)) = obj.get("aliases") {
        let one = Value::Array(vec![Value::String(a.clone())]);
        obj.insert("aliases".into(), one);
    }
    if let Some(Value::Array(aliases)) = obj.get_mut("aliases") {
        let names = aliases.iter().map(name_of).filter(|a| !a.is_empty());
        *aliases = names.map(Value::String).collect::<Vec<_>>();
    }
    for key in ["prices", "batch"] {
        if let Some(t) = obj.get_mut(key) {
            price_table(t).map_err(|m| format!("`{key}`: {m}"))?;
        }
    }
    if let Some(Value::Object(tiers)) = obj.get_mut("service_tiers") {
        for (name, t) in tiers.iter_mut() {
            price_table(t).map_err(|m| format!("`service_tiers.{name}`: {m}"))?;
        }
    }
    if let Some(Value::Object(caps)) = obj.get_mut("capabilities") {
        let given = std::mem::take(caps);
        for (k, v) in given {
            let flag = match &v {
                Value::Bool(b) => *b,
                Value::String(s) if matches!(s.trim(), "true" | "yes" | "on") => true,
                Value::String(s) if matches!(s.trim(), "false" | "no" | "off") => false,
                Value::Null => continue,
                _ => return Err(format!("capability `{k}` must be true or false, not {v}")),
            };
            caps.insert(feature_key(&k), Value::Bool(flag));
        }
    }
    Ok(())
}

/// Coerces one price table (`{base: {...}, tiers: [{above_tokens, prices}]}`).
fn price_table(t: &mut Value) -> std::result::Result<(), String> {
    let Value::Object(t) = t else {
        return if t.is_null() {
            Ok(())
        } else {
            Err(format!("must be a table, not {t}"))
        };
    };
    if let Some(base) = t.get_mut("base") {
        price_set(base)?;
    }
    if let Some(Value::Array(tiers)) = t.get_mut("tiers") {
        for tier in tiers.iter_mut().filter_map(Value::as_object_mut) {
            for key in ["above_tokens", "up_to_tokens"] {
                if let Some(v) = tier.get_mut(key).filter(|v| !v.is_null()) {
                    let n = count(v)
                        .ok_or_else(|| format!("`{key}` must be a whole number, not {v}"))?;
                    *v = Value::from(n);
                }
            }
            if let Some(p) = tier.get_mut("prices") {
                price_set(p)?;
            }
        }
    }
    Ok(())
}

fn price_set(p: &mut Value) -> std::result::Result<(), String> {
    if let Value::Object(p) = p {
        let given = std::mem::take(p);
        for (k, v) in given {
            if v.is_null() {
                p.insert(k, v);
                continue;
            }
            let n = number(&v)
                .ok_or_else(|| format!("price `{k}` must be a non-negative number, not {v}"))?;
            // `input_per_1m: 3` is `input: 3e-6`: people think in dollars per million.
            match k
                .strip_suffix("_per_1m")
                .or_else(|| k.strip_suffix("_per_million"))
            {
                Some(base) => p.insert(base.to_owned(), Value::from(n / 1e6)),
                None => p.insert(k, Value::from(n)),
            };
        }
    }
    Ok(())
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

/// Where the user's catalog files live: `EXLLM_CATALOG` when set (a file or a directory),
/// else `$XDG_CONFIG_HOME/exllm/models`, else `~/.config/exllm/models`; `None` when none of
/// these variables is set. [`Catalog::load`](super::Catalog::load) reads from here and
/// `exllm catalog sync` writes here, so both follow the same variables.
pub fn user_catalog_path() -> Option<PathBuf> {
    explicit_path().or_else(user_dir)
}

/// `EXLLM_CATALOG`, when set: read even when missing (an error), unlike the default
/// directory, which is read only when it exists.
pub(super) fn explicit_path() -> Option<PathBuf> {
    std::env::var_os("EXLLM_CATALOG")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
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
#[path = "user_tests.rs"]
mod tests;
