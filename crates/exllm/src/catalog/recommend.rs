//! Choosing between models: a side-by-side [`Comparison`], and ranked suggestions — the
//! cheapest models that meet a caller's needs, each with the reasons it was picked, so a person
//! can check the choice rather than trust it.
//!
//! Cost is a blended price per million tokens, three input tokens to one output token (the
//! usual chat shape), so one number ranks models whose input and output prices trade off.
//! Ties go to the larger context window, then to the name, so the order is stable. A model
//! whose price is unknown ranks after every priced one, and a model past its deprecation date
//! is left out unless asked for.

use super::discovery::{feature_key, feature_name, Filter, ModelInfo};
use super::lookup::Catalog;
use super::model::ModelEntry;
use serde::Serialize;
use std::cmp::Ordering;

/// What a recommended model must offer.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Requirements {
    /// Features every model must support (see [`feature_key`]).
    pub features: Vec<String>,
    /// Mode or family (`chat`, `embedding`, ...); any when `None`.
    pub mode: Option<String>,
    /// At least this many input tokens.
    pub min_context: Option<u64>,
    /// Blended price (3 input : 1 output) at most this, USD per million tokens.
    pub max_cost_per_1m: Option<f64>,
    /// Only these providers (all when empty).
    pub providers: Vec<String>,
    /// Keep models past their deprecation date.
    pub include_deprecated: bool,
    /// At most this many (all when `None`).
    pub limit: Option<usize>,
}

impl Requirements {
    /// Requirements for a chat model.
    pub fn chat() -> Self {
        Requirements {
            mode: Some("chat".into()),
            ..Default::default()
        }
    }
    /// Requires a feature.
    pub fn with_feature(mut self, feature: impl Into<String>) -> Self {
        self.features.push(feature.into());
        self
    }
    /// Requires a context window of at least `tokens`.
    pub fn with_min_context(mut self, tokens: u64) -> Self {
        self.min_context = Some(tokens);
        self
    }
    /// Caps the blended price (USD per million tokens).
    pub fn with_max_cost(mut self, usd_per_1m: f64) -> Self {
        self.max_cost_per_1m = Some(usd_per_1m);
        self
    }
    /// Allows a provider (repeat for several).
    pub fn with_provider(mut self, provider: impl Into<String>) -> Self {
        self.providers.push(provider.into());
        self
    }
    /// Keeps only the best `n`.
    pub fn with_limit(mut self, n: usize) -> Self {
        self.limit = Some(n);
        self
    }
}

/// One suggested model and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Recommendation<'a> {
    /// The model.
    pub model: &'a ModelEntry,
    /// USD per million tokens, 3 input : 1 output; `None` when a price is unknown.
    pub blended_per_1m: Option<f64>,
    /// Why it was picked, for people.
    pub reasons: Vec<String>,
}

/// The blended price: three input tokens to one output token, per million.
pub fn blended_per_1m(m: &ModelEntry) -> Option<f64> {
    Some((3.0 * m.input_per_1m()? + m.output_per_1m()?) / 4.0)
}

/// Models side by side: one column per model, one row per feature any of them states.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Comparison {
    /// The models found, in the order asked.
    pub models: Vec<ModelInfo>,
    /// Names that matched no model.
    pub missing: Vec<String>,
    /// `(feature, one value per model)`: `None` where the catalog does not say.
    pub features: Vec<(String, Vec<Option<bool>>)>,
    /// Index into `models` of the lowest input price.
    pub cheapest: Option<usize>,
    /// Index into `models` of the largest context window.
    pub largest_context: Option<usize>,
}

impl Catalog {
    /// The named models side by side.
    pub fn compare_models<S: AsRef<str>>(&self, names: &[S]) -> Comparison {
        let mut c = Comparison::default();
        let mut found = Vec::new();
        for n in names {
            match self.resolve(n.as_ref()) {
                Some(m) => found.push(m),
                None => c.missing.push(n.as_ref().to_owned()),
            }
        }
        let mut keys: Vec<&String> = found.iter().flat_map(|m| m.capabilities.keys()).collect();
        keys.sort();
        keys.dedup();
        c.features = keys
            .into_iter()
            .map(|k| {
                let row = found.iter().map(|m| m.capabilities.get(k).copied());
                (feature_name(k).to_owned(), row.collect())
            })
            .collect();
        let best = |f: &dyn Fn(&ModelEntry) -> Option<f64>, low: bool| {
            let known = found
                .iter()
                .enumerate()
                .filter_map(|(i, m)| Some((i, f(m)?)));
            let pick = |a: &(usize, f64), b: &(usize, f64)| a.1.total_cmp(&b.1);
            if low {
                known.min_by(pick)
            } else {
                known.max_by(pick)
            }
            .map(|(i, _)| i)
        };
        c.cheapest = best(&ModelEntry::input_per_1m, true);
        c.largest_context = best(&|m| m.context_window.map(|n| n as f64), false);
        c.models = found.into_iter().map(ModelEntry::info).collect();
        c
    }

    /// The models meeting `req`, cheapest first (then largest context), each with reasons.
    pub fn recommend_models(&self, req: &Requirements) -> Vec<Recommendation<'_>> {
        let filter = Filter {
            features: req.features.clone(),
            mode: req.mode.clone(),
            min_context: req.min_context,
            providers: req.providers.clone(),
            ..Default::default()
        };
        let keep = filter.matcher();
        let today = today();
        let mut picked: Vec<(&ModelEntry, Option<f64>)> = self
            .models()
            .iter()
            .filter(|m| keep(m))
            .filter(|m| {
                req.include_deprecated
                    || m.deprecation_date
                        .as_deref()
                        .is_none_or(|d| d > today.as_str())
            })
            .map(|m| (m, blended_per_1m(m)))
            .filter(|(_, cost)| {
                req.max_cost_per_1m
                    .is_none_or(|max| cost.is_some_and(|c| c <= max))
            })
            .collect();
        picked.sort_by(rank);
        let total = picked.len();
        picked.truncate(req.limit.unwrap_or(total));
        let features: Vec<String> = req.features.iter().map(|f| feature_key(f)).collect();
        picked
            .into_iter()
            .enumerate()
            .map(|(i, (model, cost))| Recommendation {
                model,
                blended_per_1m: cost,
                reasons: reasons(model, cost, &features, req, i, total),
            })
            .collect()
    }
}

/// Known prices first, cheapest first; then larger context; then name.
fn rank(a: &(&ModelEntry, Option<f64>), b: &(&ModelEntry, Option<f64>)) -> Ordering {
    let price = match (a.1, b.1) {
        (Some(x), Some(y)) => x.total_cmp(&y),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    };
    price
        .then_with(|| b.0.context_window.cmp(&a.0.context_window))
        .then_with(|| (&a.0.provider, &a.0.id).cmp(&(&b.0.provider, &b.0.id)))
}

fn reasons(
    m: &ModelEntry,
    cost: Option<f64>,
    features: &[String],
    req: &Requirements,
    i: usize,
    total: usize,
) -> Vec<String> {
    let mut out = Vec::new();
    match (cost, i) {
        (Some(c), 0) => out.push(format!(
            "cheapest of {total} matching models (${c:.3}/1M blended)"
        )),
        (Some(c), _) => out.push(format!(
            "#{} of {total} by price (${c:.3}/1M blended)",
            i + 1
        )),
        (None, _) => out.push("price unknown: ranked after priced models".into()),
    }
    if let (Some(i), Some(o)) = (m.input_per_1m(), m.output_per_1m()) {
        out.push(format!("${i:.3} input / ${o:.3} output per 1M tokens"));
    }
    if !features.is_empty() {
        let names: Vec<&str> = features.iter().map(|k| feature_name(k)).collect();
        out.push(format!("supports {}", names.join(", ")));
    }
    match (m.context_window, req.min_context) {
        (Some(c), Some(n)) => out.push(format!("context {c} tokens (needed {n})")),
        (Some(c), None) => out.push(format!("context {c} tokens")),
        _ => {}
    }
    out
}

/// Today as `YYYY-MM-DD` (UTC), to compare with deprecation dates.
fn today() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (y, m, d) = civil_from_days((secs / 86_400) as i64);
    format!("{y:04}-{m:02}-{d:02}")
}

/// The proleptic Gregorian date of a day count since 1970-01-01.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_723), (2024, 1, 1));
        assert_eq!(civil_from_days(20_513), (2026, 3, 1));
        assert_eq!(today().len(), 10);
    }
}
