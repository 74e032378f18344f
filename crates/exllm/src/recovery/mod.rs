//! Stream recovery: when a stream breaks (reset, stall, a 5xx or a malformed frame mid-way),
//! what had arrived is kept in a [`RecoveryStore`] under an id the error carries
//! ([`crate::Error::recovery_id`]), and [`crate::Client::resume`] continues the answer with a
//! [`ResumeStrategy`] instead of paying for it twice. Tool calls are never resumed
//! half-formed: they are dropped from what is kept and regenerated whole.

mod resume;
mod store;

pub(crate) use resume::{budget_left, continuation, kept_text, merge, summary_request};
pub use store::{Interrupted, RecoveryStore, DEFAULT_MAX_KEPT_BYTES};

use serde::{Deserialize, Serialize};

/// How an interrupted answer is continued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ResumeStrategy {
    /// Continue from the exact cut-off: the partial answer is sent back as the start of the
    /// assistant's turn (a prefill where the model supports it, else with an instruction to
    /// continue).
    Exact,
    /// Keep the answer up to its last complete paragraph and regenerate from there.
    Paragraph,
    /// Have the model summarise what was received, then continue after it.
    Summarize,
}
