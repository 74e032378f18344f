//! Catalog sync: LiteLLM's `model_prices_and_context_window.json` in, one JSON file per exllm
//! provider out.
//!
//! LiteLLM keys are not `provider/model` and its provider ids are sub-families
//! (`vertex_ai-language-models`, `bedrock_converse`, `text-completion-openai`), so this module
//! owns the map to our provider names and the rule that turns a LiteLLM key into our model id:
//! the provider comes from `litellm_provider`, never from the key, and a leading key segment
//! naming that provider is dropped. The output is deterministic (keys sorted, models sorted by
//! id, pretty JSON with a trailing newline) so the committed `catalog/` can be checked
//! byte-for-byte against a fresh sync.
//!
//! Format choice: pretty-printed JSON. It is readable and diffable, `serde_json` is already a
//! dependency, and numbers round-trip exactly (no YAML float or `no`-is-false surprises).

use super::model::{CatalogFile, ModelEntry};
use super::parse::parse_entry;
use crate::{Error, ErrorKind, Result};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

/// Recorded in every generated file.
pub const GENERATED_FROM: &str = "LiteLLM model_prices_and_context_window.json";

/// LiteLLM keys that are not models.
const NOT_MODELS: &[&str] = &["sample_spec", "fallback_generalizations"];

/// Our provider name for a LiteLLM `litellm_provider` value. Unknown values keep their name,
/// lower-cased with `_` and other odd characters turned into `-` (safe as a file name).
pub fn normalize_provider(litellm: &str) -> String {
    let ours = match litellm {
        "openai" | "text-completion-openai" => "openai",
        "anthropic" => "anthropic",
        "gemini" => "gemini",
        "vertex_ai-anthropic_models" => "vertex-anthropic",
        p if p == "vertex_ai" || p.starts_with("vertex_ai-") => "vertex",
        "bedrock" | "bedrock_converse" | "bedrock_mantle" => "bedrock",
        "cohere" | "cohere_chat" => "cohere",
        "mistral" => "mistral",
        "codestral" | "text-completion-codestral" => "codestral",
        "inception" | "text-completion-inception" => "inception",
        "together_ai" => "together",
        "fireworks_ai" | "fireworks_ai-embedding-models" => "fireworks",
        "ollama" | "ollama_chat" => "ollama",
        "azure" | "azure_text" => "azure",
        "lm_studio" => "lmstudio",
        "hosted_vllm" => "vllm",
        other => {
            let s: String = other
                .chars()
                .map(|c| match c {
                    'a'..='z' | '0'..='9' | '-' => c,
                    'A'..='Z' => c.to_ascii_lowercase(),
                    _ => '-',
                })
                .collect();
            let s = s.trim_matches('-');
            return if s.is_empty() {
                "unknown".to_owned()
            } else {
                s.to_owned()
            };
        }
    };
    ours.to_owned()
}

/// The model id for a LiteLLM key: the key without a first segment that names the provider
/// (`gemini/gemini-2.5-pro` -> `gemini-2.5-pro`; `fireworks_ai/accounts/...` -> `accounts/...`).
pub fn model_id(key: &str, litellm_provider: &str, provider: &str) -> String {
    if let Some((first, rest)) = key.split_once('/') {
        let names_provider = first == litellm_provider
            || normalize_provider(first) == provider
            || (first == "vertex_ai" && litellm_provider.starts_with("vertex_ai"));
        if names_provider && !rest.is_empty() {
            return rest.to_owned();
        }
    }
    key.to_owned()
}

/// Every model of a LiteLLM catalog, with provider, id and aliases set.
#[derive(Debug, Clone, Default)]
pub struct SyncOutput {
    /// Models, sorted by provider then id.
    pub models: Vec<ModelEntry>,
    /// Top-level keys that were not models (`sample_spec`, routing rules, aliases whose target
    /// is missing).
    pub skipped: Vec<String>,
}

/// Reads a LiteLLM catalog into models. Errors only when the input is not a JSON object.
pub fn sync_models(input_json: &str) -> Result<SyncOutput> {
    let root: Value = serde_json::from_str(input_json).map_err(|e| {
        Error::new(
            ErrorKind::InvalidInput,
            format!("catalog input is not valid JSON: {e}"),
        )
    })?;
    let Some(root) = root.as_object() else {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            "catalog input must be a JSON object keyed by model name",
        ));
    };
    let mut keys: Vec<&String> = root.keys().collect();
    keys.sort();

    let mut out = SyncOutput::default();
    let mut models: Vec<ModelEntry> = Vec::new();
    let mut taken: HashMap<(String, String), usize> = HashMap::new();
    let mut by_key: HashMap<String, usize> = HashMap::new();
    let mut aliases: Vec<(&str, &str)> = Vec::new();

    let mut parsed = Vec::new();
    for key in keys {
        let Some(obj) = root[key.as_str()].as_object() else {
            out.skipped.push(key.clone());
            continue;
        };
        if NOT_MODELS.contains(&key.as_str()) {
            out.skipped.push(key.clone());
            continue;
        }
        if let (Some(target), None) = (
            obj.get("alias_of").and_then(Value::as_str),
            obj.get("litellm_provider"),
        ) {
            aliases.push((key.as_str(), target));
            continue;
        }
        let mut e = parse_entry(key, obj);
        e.provider = normalize_provider(&e.litellm_provider);
        e.id = model_id(key, &e.litellm_provider, &e.provider);
        parsed.push(e);
    }
    // When two LiteLLM entries land on one name (`bedrock/x` and `x` of `bedrock_converse`),
    // the key that needed no prefix stripped keeps the short id; the other is named by its
    // LiteLLM provider (`bedrock/x`), else by its full key, else numbered. Nothing is dropped.
    parsed.sort_by(|a, b| {
        (a.id != a.litellm_key, &a.litellm_key).cmp(&(b.id != b.litellm_key, &b.litellm_key))
    });
    for mut e in parsed {
        let mut candidates = vec![
            e.id.clone(),
            format!("{}/{}", e.litellm_provider, e.id),
            e.litellm_key.clone(),
        ];
        candidates.dedup();
        let free = |id: &String| !taken.contains_key(&(e.provider.clone(), id.clone()));
        e.id = match candidates.iter().find(|id| free(id)) {
            Some(id) => id.clone(),
            None => (2..)
                .map(|n| format!("{}#{n}", e.litellm_key))
                .find(|id| free(id))
                .unwrap_or_default(),
        };
        taken.insert((e.provider.clone(), e.id.clone()), models.len());
        models.push(e);
    }
    for (i, m) in models.iter().enumerate() {
        by_key.insert(m.litellm_key.clone(), i);
    }

    for (alias, target) in aliases {
        let Some(&i) = by_key.get(target) else {
            out.skipped.push(alias.to_owned());
            continue;
        };
        let e = &models[i];
        let name = model_id(alias, &e.litellm_provider, &e.provider);
        if name != e.id
            && !taken.contains_key(&(e.provider.clone(), name.clone()))
            && !models[i].aliases.contains(&name)
        {
            models[i].aliases.push(name);
        }
    }
    for m in &mut models {
        m.aliases.sort();
    }
    models.sort_by(|a, b| (&a.provider, &a.id).cmp(&(&b.provider, &b.id)));
    out.models = models;
    Ok(out)
}

/// Renders models as catalog files: provider name -> file text (pretty JSON + newline).
pub fn render(models: &[ModelEntry]) -> Result<BTreeMap<String, String>> {
    let mut files: BTreeMap<String, CatalogFile> = BTreeMap::new();
    for m in models {
        files
            .entry(m.provider.clone())
            .or_insert_with(|| CatalogFile {
                provider: m.provider.clone(),
                generated_from: Some(GENERATED_FROM.to_owned()),
                models: Vec::new(),
            })
            .models
            .push(m.clone());
    }
    let mut out = BTreeMap::new();
    for (provider, mut file) in files {
        file.models.sort_by(|a, b| a.id.cmp(&b.id));
        let mut text = serde_json::to_string_pretty(&file).map_err(|e| {
            Error::new(
                ErrorKind::InvalidInput,
                format!("cannot render catalog: {e}"),
            )
        })?;
        text.push('\n');
        out.insert(provider, text);
    }
    Ok(out)
}

/// LiteLLM catalog JSON -> one file text per provider (key: our provider name; the file is
/// `catalog/<provider>.json`).
pub fn sync(input_json: &str) -> Result<BTreeMap<String, String>> {
    render(&sync_models(input_json)?.models)
}

/// The Rust source of `embedded_index.rs`: one `include_str!` per provider file (rustfmt-stable).
pub fn render_index<'a>(providers: impl IntoIterator<Item = &'a str>) -> String {
    let mut s = String::from(
        "//! The catalog files compiled into the library. Generated by `catalog::sync::write_catalog`;\n\
         //! do not edit (regenerate with\n\
         //! `scripts/regenerate-catalog`).\n\n\
         macro_rules! catalog_file {\n    \
         ($p:literal) => {\n        \
         ($p, include_str!(concat!(\"../../catalog/\", $p, \".json\")))\n    \
         };\n\
         }\n\n\
         /// `(provider, file text)` for every file of `catalog/`.\n\
         pub(super) static FILES: &[(&str, &str)] = &[\n",
    );
    for p in providers {
        s.push_str(&format!("    catalog_file!(\"{p}\"),\n"));
    }
    s.push_str("];\n");
    s
}

/// Syncs `input` into `catalog_dir` (removing stale `*.json` files there) and writes the
/// embedded index to `index_path`. Returns the number of files written.
pub fn write_catalog(input: &Path, catalog_dir: &Path, index_path: &Path) -> Result<usize> {
    let io = |what: &str, p: &Path, e: std::io::Error| {
        Error::new(ErrorKind::Config, format!("{what} {}: {e}", p.display()))
    };
    let text = std::fs::read_to_string(input).map_err(|e| io("cannot read", input, e))?;
    let files = sync(&text)?;
    std::fs::create_dir_all(catalog_dir).map_err(|e| io("cannot create", catalog_dir, e))?;
    let old = std::fs::read_dir(catalog_dir).map_err(|e| io("cannot list", catalog_dir, e))?;
    for entry in old.flatten() {
        let path = entry.path();
        let stale = path.extension().is_some_and(|x| x == "json")
            && path
                .file_stem()
                .and_then(|s| s.to_str())
                .is_some_and(|s| !files.contains_key(s));
        if stale {
            std::fs::remove_file(&path).map_err(|e| io("cannot remove", &path, e))?;
        }
    }
    for (provider, body) in &files {
        let path = catalog_dir.join(format!("{provider}.json"));
        std::fs::write(&path, body).map_err(|e| io("cannot write", &path, e))?;
    }
    let index = render_index(files.keys().map(String::as_str));
    std::fs::write(index_path, index).map_err(|e| io("cannot write", index_path, e))?;
    Ok(files.len())
}
