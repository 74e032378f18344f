//! Checks the committed `catalog/` against a fresh sync of the shared LiteLLM copy, and that
//! no modelled price is lost on the way. Skipped, with a notice, when `../shared` is absent.
//!
//! Regenerate the committed files with `scripts/regenerate-catalog`.

use super::model::{ModelEntry, PriceSet, PriceTable};
use super::parse::{count, number, split_price_key};
use super::sync::{render_index, sync, sync_models};
use super::Catalog;
use serde_json::Value;
use std::collections::HashMap;
use std::path::PathBuf;

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The committed catalog files: inside the crate, so a packaged `exllm` carries them.
fn catalog_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("catalog")
}

fn index_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src/catalog/embedded_index.rs")
}

/// The shared LiteLLM copy the committed catalog was made from (`../shared`, beside the
/// repository, as the conformance kit): a missing copy fails the tests that need it.
fn shared_input() -> String {
    let path =
        workspace().join("../shared/data/litellm/model_prices_and_context_window_backup.json");
    match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) => panic!(
            "{} is needed by the catalog sync tests: {e}",
            path.display()
        ),
    }
}

#[test]
fn committed_catalog_is_a_fresh_sync() {
    let input = shared_input();
    let files = sync(&input).unwrap();
    let dir = catalog_dir();
    let mut committed: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .filter_map(|e| {
            e.file_name()
                .to_str()?
                .strip_suffix(".json")
                .map(str::to_owned)
        })
        .collect();
    committed.sort();
    let expected: Vec<String> = files.keys().cloned().collect();
    assert_eq!(
        committed, expected,
        "catalog/ has other files than a sync makes"
    );
    for (provider, text) in &files {
        let have = std::fs::read_to_string(dir.join(format!("{provider}.json"))).unwrap();
        assert!(
            have == *text,
            "catalog/{provider}.json differs from a fresh sync"
        );
    }
    let index = std::fs::read_to_string(index_path()).unwrap();
    assert_eq!(index, render_index(files.keys().map(String::as_str)));
}

#[test]
fn embedded_catalog_has_every_synced_model() {
    let input = shared_input();
    let out = sync_models(&input).unwrap();
    let c = Catalog::embedded();
    assert_eq!(c.len(), out.models.len());
    for m in &out.models {
        let got = c.model(&format!("{}/{}", m.provider, m.id)).unwrap();
        assert_eq!(got, m, "{}/{} round trip", m.provider, m.id);
        for a in &m.aliases {
            assert!(
                c.model(&format!("{}/{a}", m.provider)).is_some(),
                "alias {a}"
            );
        }
    }
    // Only the two documented non-models are skipped.
    assert_eq!(out.skipped, vec!["fallback_generalizations", "sample_spec"]);
}

fn table<'a>(m: &'a ModelEntry, tier: Option<&str>) -> Option<&'a PriceTable> {
    match tier {
        None => Some(&m.prices),
        Some("batches") => m.batch.as_ref(),
        Some(t) => m.service_tiers.get(t),
    }
}

#[test]
fn chat_and_embedding_models_keep_every_price() {
    let input = shared_input();
    let root: Value = serde_json::from_str(&input).unwrap();
    let c = Catalog::embedded();
    let by_key: HashMap<&str, &ModelEntry> = c
        .models()
        .iter()
        .map(|m| (m.litellm_key.as_str(), m))
        .collect();
    let (mut entries, mut prices) = (0, 0);
    for (key, v) in root.as_object().unwrap() {
        let Some(obj) = v.as_object() else { continue };
        let mode = obj.get("mode").and_then(Value::as_str);
        if !matches!(mode, Some("chat" | "embedding")) || key == "sample_spec" {
            continue;
        }
        entries += 1;
        let m = by_key
            .get(key.as_str())
            .unwrap_or_else(|| panic!("{key} not loaded"));
        for (k, v) in obj {
            let modelled = match split_price_key(k) {
                Some((base, threshold, tier)) if number(v).is_some() => {
                    let t = table(m, tier).unwrap_or_else(|| panic!("{key}: {k} lost"));
                    let set: &PriceSet = match threshold {
                        None => &t.base,
                        Some(n) => &t.tiers.iter().find(|x| x.above_tokens == n).unwrap().prices,
                    };
                    assert_eq!(set.get(base), number(v), "{key}: {k}");
                    prices += 1;
                    true
                }
                _ => false,
            };
            let typed = modelled
                || (k == "max_input_tokens" && m.max_input_tokens == count(v))
                || (k == "max_output_tokens" && m.max_output_tokens == count(v))
                || (k.contains("supports_") && m.capabilities.get(k) == v.as_bool().as_ref())
                || (k == "tiered_pricing" && !m.prices.tiers.is_empty())
                || [
                    "litellm_provider",
                    "mode",
                    "deprecation_date",
                    "successor_model",
                    "source",
                ]
                .contains(&k.as_str());
            assert!(typed || m.extra.get(k) == Some(v), "{key}: field {k} lost");
        }
        if let Some(rows) = obj.get("tiered_pricing").and_then(Value::as_array) {
            for row in rows {
                let lo = count(&row["range"][0]).unwrap();
                let tier = m
                    .prices
                    .tiers
                    .iter()
                    .find(|t| t.above_tokens == lo)
                    .unwrap();
                for (k, v) in row.as_object().unwrap() {
                    if k != "range" {
                        assert_eq!(tier.prices.get(k), number(v), "{key}: tiered {k}");
                    }
                }
            }
        }
    }
    eprintln!("checked {entries} chat/embedding entries, {prices} prices");
    assert!(entries > 3000 && prices > 10_000, "{entries} {prices}");
}

#[test]
fn provider_names_are_ours() {
    let c = Catalog::embedded();
    assert!(!c.is_empty(), "the embedded catalog is empty");
    for name in [
        "openai/gpt-4o",
        "anthropic/claude-sonnet-4-5",
        "gemini/gemini-2.5-pro",
        "vertex/gemini-2.5-pro",
        "together/meta-llama/Llama-3.3-70B-Instruct-Turbo",
        "fireworks/accounts/fireworks/models/llama-v3p3-70b-instruct",
        "xai/grok-4.20",
        "groq/openai/gpt-oss-120b",
        "deepseek/deepseek-chat",
        "mistral/mistral-small-latest",
    ] {
        assert!(c.model(name).is_some(), "{name} missing");
    }
    for p in [
        "vertex-ai-language-models",
        "bedrock-converse",
        "together-ai",
        "fireworks-ai",
    ] {
        assert_eq!(c.provider(p).count(), 0, "{p} not normalised");
    }
}
