//! Reading one LiteLLM catalog entry into a [`ModelEntry`], leniently.
//!
//! LiteLLM's file mixes ints and floats, has strings where numbers belong (`sample_spec`), and
//! grows new keys every release. So every field is read by hand from a `serde_json::Value`:
//! a value of the expected type lands in its typed field, anything else — unknown keys and
//! known keys with odd values alike — is kept unchanged in `extra`. Nothing here can panic
//! and nothing is dropped.
//!
//! Price keys follow a grammar (see `shared/data/README.md`, pitfall 14):
//! `<base>[_above_<N>k_tokens][_<service tier>]`, where the base may itself carry a cache TTL
//! (`cache_creation_input_token_cost_above_1hr`). [`split_price_key`] parses it.

use super::model::{ModelEntry, PriceSet, PriceTable, PriceTier};
use serde_json::{Map, Value};

/// Service-tier suffixes of price keys; `batches` goes to [`ModelEntry::batch`].
pub const SERVICE_TIERS: &[&str] = &[
    "batches",
    "priority",
    "flex",
    "ultrafast",
    "balanced",
    "decisions",
];

/// A price: a JSON number, or a string holding one. Negative, NaN and infinite values are
/// refused (kept raw by the caller).
pub fn number(v: &Value) -> Option<f64> {
    let n = match v {
        Value::Number(n) => n.as_f64()?,
        Value::String(s) => s.trim().parse::<f64>().ok()?,
        _ => return None,
    };
    (n.is_finite() && n >= 0.0).then_some(n)
}

/// A token count: an integer, an integral float (`4096.0`), or a string holding one.
pub fn count(v: &Value) -> Option<u64> {
    if let Some(n) = v.as_u64() {
        return Some(n);
    }
    let f = match v {
        Value::Number(n) => n.as_f64()?,
        Value::String(s) => s.trim().parse::<f64>().ok()?,
        _ => return None,
    };
    (f.is_finite() && f >= 0.0 && f.fract() == 0.0 && f <= u64::MAX as f64).then_some(f as u64)
}

/// Splits a LiteLLM price key into (base key, prompt-size threshold, service tier). `None`
/// when the base is not one [`PriceSet`] models.
pub fn split_price_key(key: &str) -> Option<(&str, Option<u64>, Option<&'static str>)> {
    let mut rest = key;
    let mut tier = None;
    for t in SERVICE_TIERS {
        if let Some(r) = rest.strip_suffix(t).and_then(|r| r.strip_suffix('_')) {
            rest = r;
            tier = Some(*t);
            break;
        }
    }
    let mut threshold = None;
    if let Some(r) = rest.strip_suffix("k_tokens") {
        if let Some(i) = r.rfind("_above_") {
            let digits = &r[i + "_above_".len()..];
            if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
                let n: u64 = digits.parse().ok()?;
                threshold = Some(n.checked_mul(1000)?);
                rest = &r[..i];
            }
        }
    }
    PriceSet::LITELLM_KEYS
        .contains(&rest)
        .then_some((rest, threshold, tier))
}

/// Reads one LiteLLM entry. `provider` and `id` are left for the caller to set.
pub fn parse_entry(key: &str, obj: &Map<String, Value>) -> ModelEntry {
    let mut e = ModelEntry {
        litellm_key: key.to_owned(),
        ..Default::default()
    };
    let mut tiered = None;
    for (k, v) in obj {
        let kept = match k.as_str() {
            "litellm_provider" => set_str(&mut e.litellm_provider, v),
            "mode" => set_opt_str(&mut e.mode, v),
            "deprecation_date" => set_opt_str(&mut e.deprecation_date, v),
            "successor_model" => set_opt_str(&mut e.successor_model, v),
            "source" => set_opt_str(&mut e.source, v),
            "max_input_tokens" => set_count(&mut e.max_input_tokens, v),
            "max_output_tokens" => set_count(&mut e.max_output_tokens, v),
            "max_tokens" => set_count(&mut e.max_tokens, v),
            "tiered_pricing" => match parse_tiered(v) {
                Some(t) => {
                    tiered = Some(t);
                    true
                }
                None => false,
            },
            flag if flag.contains("supports_") => match v.as_bool() {
                Some(b) => {
                    e.capabilities.insert(k.clone(), b);
                    true
                }
                None => false,
            },
            _ => set_price(&mut e, k, v),
        };
        if !kept {
            e.extra.insert(k.clone(), v.clone());
        }
    }
    if let Some(tiers) = tiered {
        // Only merge when no `_above_` key already priced the same tier; else keep it raw.
        let clash = tiers.iter().any(|t| {
            e.prices
                .tiers
                .iter()
                .any(|have| have.above_tokens == t.above_tokens)
        });
        if clash {
            if let Some(v) = obj.get("tiered_pricing") {
                e.extra.insert("tiered_pricing".into(), v.clone());
            }
        } else {
            e.prices.tiers.extend(tiers);
            e.prices.tiers.sort_by_key(|t| t.above_tokens);
        }
    }
    e.context_window = e
        .max_input_tokens
        .filter(|n| *n > 0)
        .or(e.max_tokens.filter(|n| *n > 0));
    e
}

fn set_str(slot: &mut String, v: &Value) -> bool {
    match v.as_str() {
        Some(s) => {
            *slot = s.to_owned();
            true
        }
        None => false,
    }
}

fn set_opt_str(slot: &mut Option<String>, v: &Value) -> bool {
    match v.as_str() {
        Some(s) => {
            *slot = Some(s.to_owned());
            true
        }
        None => false,
    }
}

fn set_count(slot: &mut Option<u64>, v: &Value) -> bool {
    match count(v) {
        Some(n) => {
            *slot = Some(n);
            true
        }
        None => false,
    }
}

/// Stores a price key; `false` when the key is not a modelled price or its value is odd.
fn set_price(e: &mut ModelEntry, key: &str, v: &Value) -> bool {
    let (Some((base, threshold, tier)), Some(n)) = (split_price_key(key), number(v)) else {
        return false;
    };
    let table: &mut PriceTable = match tier {
        None => &mut e.prices,
        Some("batches") => e.batch.get_or_insert_with(Default::default),
        Some(t) => e.service_tiers.entry(t.to_owned()).or_default(),
    };
    let set = match threshold {
        None => &mut table.base,
        Some(n) => &mut table.tier_mut(n).prices,
    };
    match set.slot(base) {
        Some(slot) => {
            *slot = Some(n);
            true
        }
        None => false,
    }
}

/// `tiered_pricing`: a list of `{range: [lo, hi], <price keys>}`. `None` (kept raw) when any
/// row has another shape, such as the search providers' `max_results_range` rows.
fn parse_tiered(v: &Value) -> Option<Vec<PriceTier>> {
    let rows = v.as_array()?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let row = row.as_object()?;
        let range = row.get("range")?.as_array()?;
        let (lo, hi) = match range.as_slice() {
            [lo, hi] => (count(lo)?, count(hi)?),
            _ => return None,
        };
        let mut prices = PriceSet::default();
        for (k, v) in row {
            if k == "range" {
                continue;
            }
            *prices.slot(k)? = Some(number(v)?);
        }
        if out.iter().any(|t: &PriceTier| t.above_tokens == lo) {
            return None;
        }
        out.push(PriceTier {
            above_tokens: lo,
            up_to_tokens: Some(hi),
            prices,
        });
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn splits_price_keys() {
        assert_eq!(
            split_price_key("input_cost_per_token"),
            Some(("input_cost_per_token", None, None))
        );
        assert_eq!(
            split_price_key("cache_read_input_token_cost_above_200k_tokens_batches"),
            Some((
                "cache_read_input_token_cost",
                Some(200_000),
                Some("batches")
            ))
        );
        assert_eq!(
            split_price_key("cache_creation_input_token_cost_above_1hr_above_200k_tokens"),
            Some((
                "cache_creation_input_token_cost_above_1hr",
                Some(200_000),
                None
            ))
        );
        assert_eq!(
            split_price_key("input_cost_per_token_cache_hit"),
            Some(("input_cost_per_token_cache_hit", None, None))
        );
        assert_eq!(
            split_price_key("input_cost_per_video_per_second_above_8s_interval"),
            None
        );
        assert_eq!(split_price_key("search_context_cost_per_query"), None);
    }

    #[test]
    fn lenient_numbers() {
        assert_eq!(count(&json!(4096.0)), Some(4096));
        assert_eq!(count(&json!("128000")), Some(128000));
        assert_eq!(count(&json!(1.5)), None);
        assert_eq!(count(&json!("max input tokens")), None);
        assert_eq!(number(&json!("3e-06")), Some(3e-6));
        assert_eq!(number(&json!(-1)), None);
        assert_eq!(number(&json!(null)), None);
    }

    #[test]
    fn odd_values_are_kept_in_extra() {
        let v = json!({
            "litellm_provider": "openai",
            "max_input_tokens": "max input tokens, if the provider specifies it",
            "input_cost_per_token": 0,
            "output_cost_per_token": "lots",
            "supports_vision": "yes",
            "supports_reasoning": true,
            "brand_new_field": [1, 2],
            "input_cost_per_token_above_200k_tokens": 2.5e-6,
            "output_cost_per_token_batches": 5e-6,
            "tiered_pricing": [{"max_results_range": [0, 25], "input_cost_per_query": 0.005}]
        });
        let e = parse_entry("x", v.as_object().unwrap());
        assert_eq!(e.litellm_provider, "openai");
        assert_eq!(e.max_input_tokens, None);
        assert_eq!(e.context_window, None);
        assert_eq!(e.prices.base.input, Some(0.0));
        assert_eq!(e.prices.base.output, None);
        assert_eq!(e.prices.tiers[0].above_tokens, 200_000);
        assert_eq!(e.prices.tiers[0].prices.input, Some(2.5e-6));
        assert_eq!(e.batch.unwrap().base.output, Some(5e-6));
        assert_eq!(e.capabilities.get("supports_reasoning"), Some(&true));
        for k in [
            "max_input_tokens",
            "output_cost_per_token",
            "supports_vision",
            "brand_new_field",
            "tiered_pricing",
        ] {
            assert!(e.extra.contains_key(k), "{k} lost");
        }
    }

    #[test]
    fn tiered_pricing_rows() {
        let v = json!({"tiered_pricing": [
            {"range": [0, 256000.0], "input_cost_per_token": 5e-8, "output_cost_per_token": 4e-7},
            {"range": [256000.0, 1000000.0], "input_cost_per_token": 2.5e-7, "output_cost_per_token": 2e-6}
        ]});
        let e = parse_entry("q", v.as_object().unwrap());
        assert!(e.extra.is_empty());
        assert_eq!(e.prices.tiers.len(), 2);
        assert_eq!(e.prices.tiers[1].above_tokens, 256_000);
        assert_eq!(e.prices.tiers[1].up_to_tokens, Some(1_000_000));
        assert_eq!(
            e.prices.tier_for(300_000).unwrap().prices.input,
            Some(2.5e-7)
        );
        assert_eq!(e.prices.tier_for(1000).unwrap().prices.input, Some(5e-8));
    }
}
