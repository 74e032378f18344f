//! A token budget split by weights across the parts of a request — system prompt, history,
//! tool definitions and retrieved documents — sized to the model's window, and a request
//! packed into it.
//!
//! Fixed shares waste room: a short system prompt leaves its share unused while the history is
//! cut. So the split is water-filling: each part gets its weighted share of what is left, a
//! part that needs less than its share keeps only what it needs, and the rest is shared again
//! among the parts still wanting more, by their weights. No part gets more than it needs and
//! the parts together never exceed the input budget.

use super::units::units;
use super::{FitOptions, TokenBudget};
use crate::tokens::{count_fixed_with, count_message_with, ModelCounter};
use crate::types::{Message, Tool};
use crate::{Error, ErrorKind, Result};

/// How the input budget is shared when every part wants more than it can have.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BudgetWeights {
    /// The system prompt.
    pub system: f64,
    /// The conversation so far.
    pub history: f64,
    /// Tool definitions.
    pub tools: f64,
    /// Retrieved documents.
    pub documents: f64,
}

impl Default for BudgetWeights {
    fn default() -> Self {
        BudgetWeights {
            system: 0.15,
            history: 0.45,
            tools: 0.10,
            documents: 0.30,
        }
    }
}

/// What each part needs (tokens), or was given.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BudgetParts {
    /// The system prompt.
    pub system: u64,
    /// The conversation.
    pub history: u64,
    /// Tool definitions.
    pub tools: u64,
    /// Retrieved documents.
    pub documents: u64,
}

impl BudgetParts {
    /// The parts summed.
    pub fn total(&self) -> u64 {
        self.system + self.history + self.tools + self.documents
    }
    fn get(&self, i: usize) -> u64 {
        [self.system, self.history, self.tools, self.documents][i]
    }
    fn set(&mut self, i: usize, v: u64) {
        *[
            &mut self.system,
            &mut self.history,
            &mut self.tools,
            &mut self.documents,
        ][i] = v;
    }
}

/// Splits `budget` tokens among parts needing `need`, by `weights` (water-filling, see the
/// module docs). The result never exceeds `need` part by part, nor `budget` in total.
pub fn split_budget(budget: u64, need: BudgetParts, weights: BudgetWeights) -> BudgetParts {
    let w = [
        weights.system,
        weights.history,
        weights.tools,
        weights.documents,
    ]
    .map(|x| if x.is_finite() && x > 0.0 { x } else { 0.0 });
    let mut given = BudgetParts::default();
    let mut left = budget;
    let mut open: Vec<usize> = (0..4).filter(|&i| need.get(i) > 0).collect();
    while left > 0 && !open.is_empty() {
        let weight: f64 = open.iter().map(|&i| w[i]).sum();
        let share = |i: usize| -> u64 {
            if weight > 0.0 {
                ((left as f64) * w[i] / weight).floor() as u64
            } else {
                left / open.len() as u64
            }
        };
        // Parts that need less than their share are settled first; what they leave is shared
        // again. When none does, every part takes its share and the loop ends.
        let settled: Vec<usize> = open
            .iter()
            .copied()
            .filter(|&i| need.get(i) - given.get(i) <= share(i))
            .collect();
        if settled.is_empty() {
            let shares: Vec<(usize, u64)> = open.iter().map(|&i| (i, share(i))).collect();
            for (i, s) in shares {
                given.set(i, given.get(i) + s);
            }
            break;
        }
        for i in settled {
            let want = need.get(i) - given.get(i);
            given.set(i, need.get(i));
            left -= want;
            open.retain(|&j| j != i);
        }
    }
    given
}

/// A request packed into a budget.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Packed {
    /// System messages, then the documents (one system message), then the history kept.
    pub messages: Vec<Message>,
    /// The tool definitions kept (in order; those that did not fit are left off the end).
    pub tools: Vec<Tool>,
    /// The split the parts were fitted to.
    pub split: BudgetParts,
    /// What each part needed.
    pub needed: BudgetParts,
    /// The input budget: window − output reserve − safety margin.
    pub budget: u64,
    /// Tokens of the packed request (messages, priming and tools), as counted for the model.
    pub tokens: u64,
    /// History messages dropped (oldest first, whole tool-call units).
    pub dropped_history: usize,
    /// Documents left out (those that did not fit, in order after the ones kept).
    pub dropped_documents: usize,
    /// Tools left out.
    pub dropped_tools: usize,
}

/// Packs a request for `model` (its window and output reserve from `opts` or the catalog):
/// the budget is split by `weights`, then the documents are taken in order while they fit
/// their share, the tools likewise, and the history keeps its newest whole units (a tool call
/// never without its results). The system prompt must fit whole, else the call fails with
/// [`ErrorKind::ContextLength`]. Shares a part leaves unused go to the history.
pub fn pack(
    model: &str,
    system: &[Message],
    history: &[Message],
    tools: &[Tool],
    documents: &[String],
    weights: BudgetWeights,
    opts: &FitOptions,
) -> Result<Packed> {
    let counter = ModelCounter::new(model);
    let cost = |m: &Message| count_message_with(&counter, m).tokens;
    let base = count_fixed_with(&counter, &[]).tokens;
    let budget = TokenBudget::resolve(model, opts, false)?.input;
    let doc_msgs: Vec<Message> = documents.iter().map(|d| doc_message(d)).collect();
    let doc_costs: Vec<u64> = doc_msgs.iter().map(cost).collect();
    let tool_costs: Vec<u64> = (0..tools.len())
        .map(|k| {
            count_fixed_with(&counter, &tools[..=k]).tokens
                - if k == 0 {
                    base
                } else {
                    count_fixed_with(&counter, &tools[..k]).tokens
                }
        })
        .collect();
    let needed = BudgetParts {
        system: system.iter().map(cost).sum(),
        history: history.iter().map(cost).sum(),
        tools: tool_costs.iter().sum(),
        documents: doc_costs.iter().sum(),
    };
    let room = budget.saturating_sub(base);
    if needed.system > room {
        return Err(Error::new(
            ErrorKind::ContextLength,
            format!(
                "the system prompt needs {} tokens, but only {room} are available",
                needed.system
            ),
        ));
    }
    let mut split = split_budget(room, needed, weights);
    // The system prompt is never cut: it takes what it needs first.
    if split.system < needed.system {
        let rest = split_budget(
            room - needed.system,
            BudgetParts {
                system: 0,
                ..needed
            },
            weights,
        );
        split = BudgetParts {
            system: needed.system,
            ..rest
        };
    }
    let n_docs = prefix_fitting(&doc_costs, split.documents);
    let n_tools = prefix_fitting(&tool_costs, split.tools);
    let used_docs: u64 = doc_costs[..n_docs].iter().sum();
    let used_tools: u64 = tool_costs[..n_tools].iter().sum();
    let history_room = room - needed.system - used_docs - used_tools;
    let history_costs: Vec<u64> = history.iter().map(cost).collect();
    let mut from = history.len();
    let mut used_history = 0u64;
    for u in units(history).into_iter().rev() {
        let c: u64 = history_costs[u.clone()].iter().sum();
        if used_history + c > history_room {
            break;
        }
        used_history += c;
        from = u.start;
    }
    let mut messages: Vec<Message> = system.to_vec();
    if n_docs > 0 {
        messages.extend(doc_msgs[..n_docs].iter().cloned());
    }
    messages.extend(history[from..].iter().cloned());
    let tokens = base + needed.system + used_docs + used_tools + used_history;
    Ok(Packed {
        messages,
        tools: tools[..n_tools].to_vec(),
        split,
        needed,
        budget,
        tokens,
        dropped_history: from,
        dropped_documents: documents.len() - n_docs,
        dropped_tools: tools.len() - n_tools,
    })
}

/// A retrieved document as the message that carries it.
fn doc_message(text: &str) -> Message {
    Message::system(format!("Reference document:\n{text}"))
}

/// How many of `costs`, from the first, fit in `room`.
fn prefix_fitting(costs: &[u64], room: u64) -> usize {
    let mut used = 0u64;
    costs
        .iter()
        .take_while(|c| {
            used += **c;
            used <= room
        })
        .count()
}
