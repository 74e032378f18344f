//! Why a response ended: a normalised kind plus the provider's own value, kept verbatim.

use serde::{Deserialize, Serialize};

/// The normalised reason a model stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum FinishKind {
    /// A natural end or a stop sequence.
    Stop,
    /// The output token limit was reached.
    Length,
    /// The model asked for one or more tool calls.
    ToolCalls,
    /// A safety system or the model itself refused or cut the answer.
    ContentFilter,
    /// The provider reported an error while generating.
    Error,
    /// Anything else (the raw value says what).
    Other,
}

impl FinishKind {
    /// The snake_case name used in JSON output (`stop`, `tool_calls`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            FinishKind::Stop => "stop",
            FinishKind::Length => "length",
            FinishKind::ToolCalls => "tool_calls",
            FinishKind::ContentFilter => "content_filter",
            FinishKind::Error => "error",
            FinishKind::Other => "other",
        }
    }
}

/// A finish reason: the normalised [`FinishKind`] and the provider's raw value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FinishReason {
    /// The normalised kind.
    pub kind: FinishKind,
    /// The provider's value as sent (`end_turn`, `MAX_TOKENS`, `completed`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw: Option<String>,
}

impl FinishReason {
    /// A finish reason with its raw provider value.
    pub fn new(kind: FinishKind, raw: impl Into<String>) -> Self {
        FinishReason {
            kind,
            raw: Some(raw.into()),
        }
    }

    /// A finish reason with no provider value (synthesised by exllm).
    pub fn kind(kind: FinishKind) -> Self {
        FinishReason { kind, raw: None }
    }
}
