//! Cutting a conversation into turns that must be kept or dropped whole.
//!
//! Dropping a single message can break a conversation: a tool result without its call (or a
//! call without its result) is rejected by most APIs, and a reasoning block separated from the
//! answer it led to is rejected by Anthropic. So messages are grouped into units: a message
//! that carries only tool results joins the unit before it, an assistant message joins a
//! preceding reasoning-only assistant message, and every span from a tool call to its
//! matching result is one unit whatever lies in between.

use crate::types::{Message, Part, Role};
use std::collections::HashMap;
use std::ops::Range;

fn only<F: Fn(&Part) -> bool>(m: &Message, f: F) -> bool {
    !m.content.is_empty() && m.content.iter().all(f)
}

fn is_results_only(m: &Message) -> bool {
    only(m, |p| matches!(p, Part::ToolResult(_)))
}

fn is_reasoning_only(m: &Message) -> bool {
    m.role == Role::Assistant && only(m, |p| matches!(p, Part::Reasoning(_)))
}

/// The units of `messages`, as contiguous index ranges covering all of them in order.
pub(crate) fn units(messages: &[Message]) -> Vec<Range<usize>> {
    // Last index each message's tool calls are answered at.
    let mut call_at: HashMap<&str, usize> = HashMap::new();
    let mut span_end: Vec<usize> = (0..messages.len()).collect();
    for (i, m) in messages.iter().enumerate() {
        for part in &m.content {
            match part {
                Part::ToolCall(c) => {
                    call_at.insert(c.id.as_str(), i);
                }
                Part::ToolResult(r) => {
                    if let Some(&c) = call_at.get(r.call_id.as_str()) {
                        span_end[c] = span_end[c].max(i);
                    }
                }
                _ => {}
            }
        }
    }
    let mut out: Vec<Range<usize>> = Vec::new();
    let mut open_until = 0usize;
    for (i, m) in messages.iter().enumerate() {
        let joins = i > 0
            && (i <= open_until
                || is_results_only(m)
                || (m.role == Role::Assistant && is_reasoning_only(&messages[i - 1])));
        match out.last_mut() {
            Some(last) if joins => last.end = i + 1,
            _ => out.push(i..i + 1),
        }
        open_until = open_until.max(span_end[i]);
    }
    out
}

/// Whether `m` is a user's own message (not a carrier of tool results).
pub(crate) fn is_user_turn(m: &Message) -> bool {
    m.role == Role::User && !is_results_only(m)
}

/// Whether `m` is a system or developer instruction.
pub(crate) fn is_system(m: &Message) -> bool {
    matches!(m.role, Role::System | Role::Developer)
}

/// Which units must survive: those with system messages, the newest user message and, when
/// `first_user` is set, the first user message.
pub(crate) fn pinned(messages: &[Message], units: &[Range<usize>], first_user: bool) -> Vec<bool> {
    let newest = messages.iter().rposition(is_user_turn);
    let first = messages
        .iter()
        .position(is_user_turn)
        .filter(|_| first_user);
    units
        .iter()
        .map(|u| {
            let has = |i: Option<usize>| i.is_some_and(|i| u.contains(&i));
            has(newest) || has(first) || messages[u.clone()].iter().any(is_system)
        })
        .collect()
}
