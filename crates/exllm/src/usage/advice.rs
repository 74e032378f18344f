//! Advice from the usage log: cheaper models that could have answered the same calls, and
//! next month's spend projected from the trend.

use super::UsageRecord;
use crate::catalog::{blended_per_1m, Catalog, Requirements};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// A cheaper model for calls made with another one.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Saving {
    /// The model used (`provider/model`).
    pub model: String,
    /// The cheaper model suggested.
    pub suggestion: String,
    /// Successful calls of `model` priced.
    pub calls: u64,
    /// What those calls cost.
    pub actual_usd: f64,
    /// What the same tokens would have cost on `suggestion`.
    pub would_cost_usd: f64,
    /// `actual_usd - would_cost_usd`.
    pub saving_usd: f64,
    /// The saving as a percentage of `actual_usd`.
    pub saving_pct: f64,
    /// The suggestion's context window, when known.
    pub context_window: Option<u64>,
}

/// For each model in `records` that the catalog knows, up to `per_model` cheaper catalog
/// models with every capability it has (vision, tools, ...), the same mode, and a window
/// holding the largest call seen; the saving is the same calls priced on both. Only the
/// providers already used are searched unless `any_provider`. Largest saving first.
pub fn recommend(
    records: &[UsageRecord],
    catalog: &Catalog,
    any_provider: bool,
    per_model: usize,
) -> Vec<Saving> {
    let mut by_model: BTreeMap<String, Vec<&UsageRecord>> = BTreeMap::new();
    for r in records.iter().filter(|r| r.is_ok()) {
        by_model.entry(r.full_model()).or_default().push(r);
    }
    let providers: BTreeSet<&str> = records.iter().map(|r| r.provider.as_str()).collect();
    let mut out = Vec::new();
    for (name, calls) in by_model {
        let Some(used) = catalog.model(&name) else {
            continue;
        };
        let actual: f64 = calls
            .iter()
            .map(|r| {
                r.cost_usd
                    .filter(|c| c.is_finite())
                    .unwrap_or_else(|| used.cost(&r.usage(), Default::default()).total)
            })
            .sum();
        if actual <= 0.0 {
            continue;
        }
        let largest = calls
            .iter()
            .map(|r| r.input_tokens + r.output_tokens)
            .max()
            .unwrap_or(0);
        let req = Requirements {
            features: used
                .capabilities
                .iter()
                .filter(|(_, on)| **on)
                .map(|(k, _)| k.clone())
                .collect(),
            mode: used.mode.clone(),
            min_context: Some(largest),
            providers: if any_provider {
                Vec::new()
            } else {
                providers.iter().map(|p| p.to_string()).collect()
            },
            ..Default::default()
        };
        let mut found: Vec<Saving> = catalog
            .recommend_models(&req)
            .into_iter()
            .map(|rec| rec.model)
            .filter(|m| m.name() != used.name())
            // A zero price is a catalog gap more often than a free model.
            .filter(|m| blended_per_1m(m).is_some_and(|p| p > 0.0))
            .map(|m| {
                let would: f64 = calls
                    .iter()
                    .map(|r| m.cost(&r.usage(), Default::default()).total)
                    .sum();
                Saving {
                    model: name.clone(),
                    suggestion: m.name(),
                    calls: calls.len() as u64,
                    actual_usd: actual,
                    would_cost_usd: would,
                    saving_usd: actual - would,
                    saving_pct: 100.0 * (actual - would) / actual,
                    context_window: m.context_window.or(m.max_input_tokens),
                }
            })
            .filter(|s| s.saving_usd > 0.0)
            .collect();
        // A dated snapshot priced like its alias (`gpt-5-nano-2025-08-07`) says nothing new.
        let aliases: Vec<(String, f64)> = found
            .iter()
            .map(|s| (s.suggestion.clone(), s.would_cost_usd))
            .collect();
        found.retain(|s| {
            !aliases.iter().any(|(name, cost)| {
                s.suggestion.len() > name.len()
                    && s.suggestion.starts_with(name.as_str())
                    && s.suggestion.as_bytes()[name.len()] == b'-'
                    && (cost - s.would_cost_usd).abs() <= 1e-12
            })
        });
        found.sort_by(|a, b| {
            b.saving_usd
                .total_cmp(&a.saving_usd)
                .then(a.suggestion.cmp(&b.suggestion))
        });
        found.truncate(per_model);
        out.extend(found);
    }
    out.sort_by(|a, b| b.saving_usd.total_cmp(&a.saving_usd));
    out
}

/// Next month's spend projected from the daily spend.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Forecast {
    /// Days observed (the window, days without calls counting as zero).
    pub days: u32,
    /// Spend in the window.
    pub spent_usd: f64,
    /// Mean spend per day.
    pub daily_average_usd: f64,
    /// The fitted trend: change of the daily spend per day (least squares).
    pub trend_usd_per_day: f64,
    /// The next 30 days on the trend (a day never below zero).
    pub next_30_days_usd: f64,
    /// The next 30 days at the mean daily spend.
    pub at_average_usd: f64,
}

/// Projects the next 30 days from the `days` days that end on the day of `now_ms`.
pub fn forecast(records: &[UsageRecord], now_ms: i64, days: u32) -> Forecast {
    let days = days.max(1);
    let today = now_ms.div_euclid(86_400_000);
    let first = today - i64::from(days) + 1;
    let mut daily = vec![0.0f64; days as usize];
    for r in records {
        let d = r.time_ms.div_euclid(86_400_000);
        if (first..=today).contains(&d) {
            daily[(d - first) as usize] += r.cost_usd.filter(|c| c.is_finite()).unwrap_or(0.0);
        }
    }
    let n = f64::from(days);
    let spent: f64 = daily.iter().sum();
    let mean = spent / n;
    let x_mean = (n - 1.0) / 2.0;
    let (mut sxy, mut sxx) = (0.0, 0.0);
    for (x, y) in daily.iter().enumerate() {
        let dx = x as f64 - x_mean;
        sxy += dx * (y - mean);
        sxx += dx * dx;
    }
    let slope = if sxx > 0.0 { sxy / sxx } else { 0.0 };
    let next: f64 = (0..30)
        .map(|k| (mean + slope * (n + k as f64 - x_mean)).max(0.0))
        .sum();

    Forecast {
        days,
        spent_usd: spent,
        daily_average_usd: mean,
        trend_usd_per_day: slope,
        next_30_days_usd: next,
        at_average_usd: mean * 30.0,
    }
}
