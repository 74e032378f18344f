//! Watching calls: caller callbacks for requests, responses, stream events, errors and
//! retries; `tracing` spans with the OpenTelemetry GenAI attributes; and metrics through the
//! `metrics` facade (requests, tokens, cost, latency, time to first token). A callback that
//! fails or panics is logged and never breaks the call; message content is recorded only when
//! the caller opts in.

mod callbacks;
mod instruments;
#[cfg(feature = "otlp")]
pub mod otlp;
mod record;
mod redact;
mod watched;

pub use callbacks::{CallInfo, Callback, Callbacks, RetryInfo};
pub(crate) use instruments::InstrumentCache;
pub(crate) use record::Watch;
pub use redact::{Redactor, SENSITIVE_HEADERS};

/// What telemetry records.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TelemetryOptions {
    /// Record prompts and answers in spans (`gen_ai.prompt`, `gen_ai.completion`). Off by
    /// default: they may hold personal data.
    pub record_content: bool,
}

/// Metric names (the GenAI conventions where one exists).
pub mod metric {
    /// Calls, by provider, model and outcome.
    pub const REQUESTS: &str = "gen_ai.client.requests";
    /// Input and output tokens (label `gen_ai.token.type`).
    pub const TOKENS: &str = "gen_ai.client.token.usage";
    /// Call duration in seconds.
    pub const DURATION: &str = "gen_ai.client.operation.duration";
    /// Seconds from the request to the first streamed token.
    pub const TIME_TO_FIRST_TOKEN: &str = "gen_ai.client.time_to_first_token";
    /// Cost in USD.
    pub const COST: &str = "exllm.cost.usd";
}
