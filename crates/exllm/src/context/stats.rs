//! Where a conversation's tokens go, and what fitting it would cost.

use super::fit::Costed;
use super::{FitOptions, TokenBudget};
use crate::tokens::TokenCount;
use crate::types::Message;

/// A conversation measured against a model's window.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ContextStats {
    /// Tokens of the whole request (messages, reply priming, tools).
    pub total: TokenCount,
    /// Tokens of each message, framing included.
    pub per_message: Vec<u64>,
    /// Tokens besides the messages: reply priming and tool definitions.
    pub fixed: u64,
    /// The budget, when the window is known.
    pub budget: Option<TokenBudget>,
    /// `total / context_window`, when the window is known.
    pub window_share: Option<f64>,
    /// Indices of the messages fitting would drop (empty when everything fits); `None` when
    /// the window is unknown or even the must-keep messages do not fit.
    pub would_drop: Option<Vec<usize>>,
}

/// [`context_stats_with`] under default [`FitOptions`].
///
/// ```
/// use exllm::context::context_stats;
/// use exllm::Message;
/// let s = context_stats(&[Message::system("Be brief."), Message::user("Hi")], "openai/gpt-4o");
/// assert_eq!(s.per_message.len(), 2);
/// assert!(s.window_share.unwrap() < 0.01);
/// assert_eq!(s.would_drop, Some(vec![]));
/// ```
pub fn context_stats(messages: &[Message], model: &str) -> ContextStats {
    context_stats_with(messages, model, &FitOptions::default())
}

/// Tokens per message, share of the window and what [`super::fit_to_context`] with `opts`
/// would drop.
pub fn context_stats_with(messages: &[Message], model: &str, opts: &FitOptions) -> ContextStats {
    let costed = Costed::new(messages, model, opts);
    let total = costed
        .per_message
        .iter()
        .fold(costed.fixed, |acc, c| acc + *c);
    let budget = TokenBudget::resolve(model, opts, costed.exact()).ok();
    let would_drop = budget.and_then(|b| {
        let keep = costed.plan(messages, opts.strategy, b.input, 0).ok()?;
        Some((0..messages.len()).filter(|&i| !keep[i]).collect())
    });
    ContextStats {
        total,
        per_message: costed.per_message.iter().map(|c| c.tokens).collect(),
        fixed: costed.fixed.tokens,
        window_share: budget
            .filter(|b| b.context_window > 0)
            .map(|b| total.tokens as f64 / b.context_window as f64),
        budget,
        would_drop,
    }
}
