//! Usage analytics: where the calls and the money go. Each call becomes a [`UsageRecord`]
//! (time, provider, model, tokens by kind, cost, latency, status, session, tags); with the
//! `usage-log` feature a [`UsageLog`] keeps them in a local SQLite file and a
//! [`UsageLogger`] callback writes one per call. Nothing is logged unless the caller adds the
//! logger: the log is opt-in.
//!
//! The analysis is plain functions over records, so it needs no database and is tested on
//! made-up histories: [`summarize`] groups them ([`GroupBy`]), [`recommend`] finds cheaper
//! catalog models with the same capabilities and enough context, the saving computed by
//! pricing the calls actually made, and [`forecast`] projects next month's spend from the
//! trend of the daily spend.

mod advice;
#[cfg(feature = "usage-log")]
mod logger;
mod report;
#[cfg(feature = "usage-log")]
mod sqlite;
#[cfg(test)]
mod tests;

pub use advice::{forecast, recommend, Forecast, Saving};
#[cfg(feature = "usage-log")]
pub use logger::UsageLogger;
pub use report::{day_of, summarize, GroupBy, UsageRow};
#[cfg(feature = "usage-log")]
pub use sqlite::UsageLog;

use crate::types::Usage;
use serde::{Deserialize, Serialize};

/// One call, as the usage log keeps it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UsageRecord {
    /// When the call ended, milliseconds since the Unix epoch.
    pub time_ms: i64,
    /// exllm provider name (`openai`).
    pub provider: String,
    /// Model id without the provider (`gpt-4o-mini`).
    pub model: String,
    /// Input (prompt) tokens, cached ones included.
    pub input_tokens: u64,
    /// Output tokens, reasoning included.
    pub output_tokens: u64,
    /// Input tokens read from the provider's prompt cache.
    pub cache_read_tokens: u64,
    /// Input tokens written to the provider's prompt cache.
    pub cache_write_tokens: u64,
    /// Reasoning tokens among the output tokens.
    pub reasoning_tokens: u64,
    /// What the call cost in USD, when it was priced.
    pub cost_usd: Option<f64>,
    /// How long the call took, in milliseconds.
    pub latency_ms: u64,
    /// `ok`, or the kind of the error the call ended with (`rate_limit`, ...).
    pub status: String,
    /// The session the call belongs to, if the caller names one.
    pub session: Option<String>,
    /// The caller's labels.
    pub tags: Vec<String>,
}

impl UsageRecord {
    /// `provider/model`.
    pub fn full_model(&self) -> String {
        format!("{}/{}", self.provider, self.model)
    }

    /// The token counts as a [`Usage`] (for pricing with the catalog).
    pub fn usage(&self) -> Usage {
        let some = |n: u64| (n > 0).then_some(n);
        Usage {
            input_tokens: Some(self.input_tokens),
            output_tokens: Some(self.output_tokens),
            cache_read_tokens: some(self.cache_read_tokens),
            cache_write_tokens: some(self.cache_write_tokens),
            reasoning_tokens: some(self.reasoning_tokens),
            ..Default::default()
        }
    }

    /// Whether the call succeeded.
    pub fn is_ok(&self) -> bool {
        self.status == "ok"
    }
}

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
