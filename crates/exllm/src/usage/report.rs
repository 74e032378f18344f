//! Usage grouped into table rows: by model, provider, day (UTC) or tag.

use super::UsageRecord;
use serde::Serialize;
use std::collections::BTreeMap;

/// What the rows of a usage table are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum GroupBy {
    /// `provider/model`.
    Model,
    /// Provider.
    Provider,
    /// UTC day, `YYYY-MM-DD`.
    Day,
    /// Each tag (a call with several tags counts in each; untagged calls under `(none)`).
    Tag,
    /// Session (calls without one under `(none)`).
    Session,
}

impl std::str::FromStr for GroupBy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "model" => Ok(GroupBy::Model),
            "provider" => Ok(GroupBy::Provider),
            "day" => Ok(GroupBy::Day),
            "tag" => Ok(GroupBy::Tag),
            "session" => Ok(GroupBy::Session),
            other => Err(format!(
                "`{other}`: expected model, provider, day, tag or session"
            )),
        }
    }
}

/// One row of a usage table.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct UsageRow {
    /// The group (a model, provider, day or tag).
    pub key: String,
    /// Calls.
    pub calls: u64,
    /// Calls that failed.
    pub errors: u64,
    /// Input tokens.
    pub input_tokens: u64,
    /// Output tokens.
    pub output_tokens: u64,
    /// Input tokens read from a prompt cache.
    pub cache_read_tokens: u64,
    /// Reasoning tokens.
    pub reasoning_tokens: u64,
    /// Cost in USD (unpriced calls count nothing).
    pub cost_usd: f64,
    /// Mean latency in milliseconds.
    pub avg_latency_ms: u64,
}

/// The UTC day (`YYYY-MM-DD`) of a time in milliseconds since the epoch.
pub fn day_of(time_ms: i64) -> String {
    // Days to a civil date (proleptic Gregorian), after Howard Hinnant's algorithm.
    let z = time_ms.div_euclid(86_400_000) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

fn keys(r: &UsageRecord, by: GroupBy) -> Vec<String> {
    match by {
        GroupBy::Model => vec![r.full_model()],
        GroupBy::Provider => vec![r.provider.clone()],
        GroupBy::Day => vec![day_of(r.time_ms)],
        GroupBy::Session => vec![r.session.clone().unwrap_or_else(|| "(none)".into())],
        GroupBy::Tag if r.tags.is_empty() => vec!["(none)".into()],
        GroupBy::Tag => {
            let mut t = r.tags.clone();
            t.sort();
            t.dedup();
            t
        }
    }
}

/// The records grouped: days in order, anything else most expensive first (then by name).
pub fn summarize(records: &[UsageRecord], by: GroupBy) -> Vec<UsageRow> {
    let mut groups: BTreeMap<String, (UsageRow, u128)> = BTreeMap::new();
    for r in records {
        for key in keys(r, by) {
            let (row, latency) = groups.entry(key.clone()).or_default();
            row.key = key;
            row.calls += 1;
            row.errors += u64::from(!r.is_ok());
            row.input_tokens += r.input_tokens;
            row.output_tokens += r.output_tokens;
            row.cache_read_tokens += r.cache_read_tokens;
            row.reasoning_tokens += r.reasoning_tokens;
            row.cost_usd += r.cost_usd.filter(|c| c.is_finite()).unwrap_or(0.0);
            *latency += u128::from(r.latency_ms);
        }
    }
    let mut rows: Vec<UsageRow> = groups
        .into_values()
        .map(|(mut row, latency)| {
            row.avg_latency_ms = (latency / u128::from(row.calls.max(1))) as u64;
            row
        })
        .collect();
    if by != GroupBy::Day {
        rows.sort_by(|a, b| b.cost_usd.total_cmp(&a.cost_usd).then(a.key.cmp(&b.key)));
    }
    rows
}
