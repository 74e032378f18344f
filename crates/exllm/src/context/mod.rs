//! Keeping a conversation inside a model's context window.
//!
//! Long chats and agent loops outgrow the window, and the provider's answer to that is a
//! `context_length_exceeded` error after the request was paid for in latency. This module
//! decides beforehand what to drop: [`fit_to_context`] keeps the system prompt, the newest
//! user message and as many recent turns as fit (dropping whole turns, so a tool call is never
//! separated from its results), [`fit_to_context_with_summary`] replaces what was dropped with
//! a summary the caller produces, and [`context_stats`] shows where the tokens go. Beyond
//! truncation: [`compress_oldest`] summarizes the oldest turns (tool calls kept with their
//! results), [`pack`] splits the window by [`BudgetWeights`] across system prompt, history,
//! tools and retrieved documents, and [`semantic_chunks`] cuts long documents where their
//! topic changes. Counts come
//! from [`crate::tokens`]; the window and output reserve from the [catalog](crate::catalog)
//! unless [`FitOptions`] overrides them.
//!
//! ```
//! use exllm::context::{fit_to_context, FitOptions};
//! use exllm::Message;
//! let mut history = vec![Message::system("Be brief.")];
//! for i in 0..200 {
//!     history.push(Message::user(format!("question {i} ").repeat(50)));
//!     history.push(Message::assistant(format!("answer {i} ").repeat(50)));
//! }
//! history.push(Message::user("And now?"));
//! let opts = FitOptions::default().with_context_window(8_000).with_max_output_tokens(1_000);
//! let fitted = fit_to_context(&history, "openai/gpt-4o", &opts)?;
//! assert!(fitted.tokens.tokens <= fitted.budget);
//! assert_eq!(fitted.messages[0], history[0]);
//! assert_eq!(fitted.messages.last(), history.last());
//! # Ok::<(), exllm::Error>(())
//! ```

mod budget;
mod chunk;
mod compress;
mod fit;
mod stats;
mod summarize;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_beyond;
mod units;

pub use budget::{pack, split_budget, BudgetParts, BudgetWeights, Packed};
pub use chunk::{boundaries, semantic_chunks, sentences, Chunk, ChunkOptions};
pub use compress::{compress_oldest, compressible, CompressOptions, Compressed, SUMMARY_PROMPT};
pub use fit::fit_to_context;
pub use stats::{context_stats, context_stats_with, ContextStats};
pub use summarize::fit_to_context_with_summary;

use crate::catalog::Catalog;
use crate::tokens::TokenCount;
use crate::types::{Message, Tool};
use crate::{Error, ErrorKind, Result};

/// Which turns go when a conversation does not fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Strategy {
    /// Keep system messages and the most recent turns; drop the oldest others.
    SlidingWindow,
    /// Like [`Strategy::SlidingWindow`], but the first user turn (the task) is kept too.
    #[default]
    Smart,
}

/// How to fit a conversation.
#[derive(Debug, Clone, Default)]
pub struct FitOptions {
    /// Which turns to drop.
    pub strategy: Strategy,
    /// The context window; the catalog's when `None`.
    pub context_window: Option<u64>,
    /// Tokens to leave for the answer; the catalog's `max_output_tokens` when `None` (or a
    /// quarter of the window, at most 4,096, for a model the catalog does not know).
    pub max_output_tokens: Option<u64>,
    /// Extra headroom; when `None`, 1 % of the window for exact counts and 10 % for estimates.
    pub safety_margin: Option<u64>,
    /// Tool definitions sent with the request (they take room too).
    pub tools: Vec<Tool>,
}

impl FitOptions {
    /// Sets the strategy.
    pub fn with_strategy(mut self, strategy: Strategy) -> Self {
        self.strategy = strategy;
        self
    }

    /// Overrides the context window.
    pub fn with_context_window(mut self, tokens: u64) -> Self {
        self.context_window = Some(tokens);
        self
    }

    /// Overrides the room left for the answer.
    pub fn with_max_output_tokens(mut self, tokens: u64) -> Self {
        self.max_output_tokens = Some(tokens);
        self
    }

    /// Overrides the safety margin.
    pub fn with_safety_margin(mut self, tokens: u64) -> Self {
        self.safety_margin = Some(tokens);
        self
    }

    /// Sets the tool definitions.
    pub fn with_tools(mut self, tools: Vec<Tool>) -> Self {
        self.tools = tools;
        self
    }
}

/// A fitted conversation.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Fitted {
    /// The messages to send, in their original order (with the summary, if any, after the
    /// leading system messages).
    pub messages: Vec<Message>,
    /// Indices (into the input) of the messages kept.
    pub kept: Vec<usize>,
    /// Indices (into the input) of the messages dropped.
    pub dropped: Vec<usize>,
    /// Tokens of the fitted request (messages, reply priming and tools).
    pub tokens: TokenCount,
    /// The input budget it had to fit: window − output reserve − safety margin.
    pub budget: u64,
    /// The summary that replaced the dropped messages ([`fit_to_context_with_summary`]).
    pub summary: Option<String>,
}

/// Where the input budget comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenBudget {
    /// The model's context window.
    pub context_window: u64,
    /// Room left for the answer.
    pub output_reserve: u64,
    /// Headroom for counting error.
    pub safety_margin: u64,
    /// What the input may use: window − reserve − margin (0 if they exceed the window).
    pub input: u64,
}

impl TokenBudget {
    /// The budget for `model` under `opts`; `exact` says whether counts are exact (which
    /// decides the default margin). Fails when the window is unknown.
    pub fn resolve(model: &str, opts: &FitOptions, exact: bool) -> Result<TokenBudget> {
        let entry = Catalog::shared_model(model);
        let window = opts
            .context_window
            .or_else(|| entry.and_then(|e| e.context_window.or(e.max_input_tokens)))
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::InvalidInput,
                    format!(
                        "the context window of {model} is unknown; set FitOptions::context_window"
                    ),
                )
            })?;
        let output_reserve = opts
            .max_output_tokens
            .or_else(|| entry.and_then(|e| e.max_output_tokens.or(e.max_tokens)))
            .unwrap_or((window / 4).min(4_096));
        let safety_margin =
            opts.safety_margin
                .unwrap_or(if exact { window / 100 } else { window / 10 });
        Ok(TokenBudget {
            context_window: window,
            output_reserve,
            safety_margin,
            input: window
                .saturating_sub(output_reserve)
                .saturating_sub(safety_margin),
        })
    }
}
