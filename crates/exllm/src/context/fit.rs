//! Choosing the turns to keep: the pinned units, then the newest others while they fit.
//!
//! Kept turns always form the pinned units plus one unbroken run of the most recent ones, so
//! the model never sees a conversation with holes in its recent past. Each message is counted
//! once; the plan works on those numbers, so fitting a long history costs one counting pass.

use super::units::{pinned, units};
use super::{FitOptions, Fitted, Strategy, TokenBudget};
use crate::tokens::{count_fixed_with, count_message_with, ModelCounter, TokenCount};
use crate::types::Message;
use crate::{Error, ErrorKind, Result};
use std::ops::Range;

/// A conversation's token costs, counted once.
pub(crate) struct Costed {
    /// Tokens of each message, framing included.
    pub(crate) per_message: Vec<TokenCount>,
    /// Reply priming and tool definitions.
    pub(crate) fixed: TokenCount,
    /// The turn units.
    pub(crate) units: Vec<Range<usize>>,
}

impl Costed {
    pub(crate) fn new(messages: &[Message], model: &str, opts: &FitOptions) -> Costed {
        let counter = ModelCounter::new(model);
        Costed {
            per_message: messages
                .iter()
                .map(|m| count_message_with(&counter, m))
                .collect(),
            fixed: count_fixed_with(&counter, &opts.tools),
            units: units(messages),
        }
    }

    /// Whether every count is exact.
    pub(crate) fn exact(&self) -> bool {
        self.fixed.exact && self.per_message.iter().all(|c| c.exact)
    }

    fn unit_cost(&self, u: &Range<usize>) -> u64 {
        self.per_message[u.clone()]
            .iter()
            .fold(0u64, |a, c| a.saturating_add(c.tokens))
    }

    /// Which messages to keep within `budget` tokens, with `extra` tokens already taken;
    /// fails when the pinned units alone do not fit.
    pub(crate) fn plan(
        &self,
        messages: &[Message],
        strategy: Strategy,
        budget: u64,
        extra: u64,
    ) -> Result<Vec<bool>> {
        let pins = pinned(messages, &self.units, strategy == Strategy::Smart);
        let mut total = self.fixed.tokens.saturating_add(extra);
        for (u, _) in self.units.iter().zip(&pins).filter(|(_, p)| **p) {
            total = total.saturating_add(self.unit_cost(u));
        }
        if total > budget {
            return Err(Error::new(
                ErrorKind::ContextLength,
                format!(
                    "the messages that must be kept (system, first and newest user turns) need \
                     {total} tokens, but only {budget} are available"
                ),
            ));
        }
        let mut keep = vec![false; messages.len()];
        let mut open = true;
        for (u, pin) in self.units.iter().zip(&pins).rev() {
            let take = *pin || {
                let cost = self.unit_cost(u);
                open &= total.saturating_add(cost) <= budget;
                if open {
                    total += cost;
                }
                open
            };
            if take {
                keep[u.clone()].iter_mut().for_each(|k| *k = true);
            }
        }
        Ok(keep)
    }

    /// The fitted result of a plan (the summary, if any, goes in by the caller).
    pub(crate) fn apply(&self, messages: &[Message], keep: &[bool], budget: u64) -> Fitted {
        let (mut kept, mut dropped, mut out) = (Vec::new(), Vec::new(), Vec::new());
        let mut tokens = self.fixed;
        for (i, m) in messages.iter().enumerate() {
            if keep[i] {
                kept.push(i);
                out.push(m.clone());
                tokens = tokens + self.per_message[i];
            } else {
                dropped.push(i);
            }
        }
        Fitted {
            messages: out,
            kept,
            dropped,
            tokens,
            budget,
            summary: None,
        }
    }
}

/// Drops turns from `messages` until the request fits `model`'s window, leaving room for the
/// answer and a safety margin (see [`FitOptions`]).
///
/// System messages and the newest user message always survive (and the first user turn under
/// [`Strategy::Smart`]); a tool call and its results, and reasoning and its answer, are kept or
/// dropped together; order is preserved. Fails with [`ErrorKind::ContextLength`] when even
/// the messages that must survive do not fit, and with [`ErrorKind::InvalidInput`] when the
/// window is unknown and not given.
///
/// ```
/// use exllm::context::{fit_to_context, FitOptions};
/// use exllm::Message;
/// let msgs = vec![Message::system("Be brief."), Message::user("Hi")];
/// let fitted = fit_to_context(&msgs, "openai/gpt-4o", &FitOptions::default())?;
/// assert!(fitted.dropped.is_empty());
/// # Ok::<(), exllm::Error>(())
/// ```
pub fn fit_to_context(messages: &[Message], model: &str, opts: &FitOptions) -> Result<Fitted> {
    let costed = Costed::new(messages, model, opts);
    let budget = TokenBudget::resolve(model, opts, costed.exact())?.input;
    let keep = costed.plan(messages, opts.strategy, budget, 0)?;
    Ok(costed.apply(messages, &keep, budget))
}
