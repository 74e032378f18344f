//! Request sanitisation: control characters (C0 but tab and line ends, DEL, C1) stripped or
//! blocked, roles outside an allowed set refused, and limits on the size of each message and
//! of the whole request. Sizes count the text a provider is sent (text, tool results, tool-call
//! arguments), not media, whose limits are the provider's.

use super::{Action, Finding, Guardrail, Scope};
use crate::error::Result;
use crate::types::{ChatRequest, Message, Part, Role};
use futures_util::future::BoxFuture;
use std::ops::Range;

/// Sanitises requests (and, when asked, strips control characters from answers).
#[derive(Debug, Clone, PartialEq)]
pub struct Sanitize {
    /// What to do with control characters in the request (default [`Action::Strip`]).
    pub control: Action,
    /// What to do with control characters in the answer (default [`Action::Allow`]).
    pub output_control: Action,
    /// The roles a request may use (default all).
    pub roles: Vec<Role>,
    /// The largest message, in bytes of text.
    pub max_message_bytes: Option<usize>,
    /// The largest request, in bytes of text over all messages.
    pub max_total_bytes: Option<usize>,
    /// What to do with a disallowed role or an oversized message or request (default block).
    pub action: Action,
}

impl Default for Sanitize {
    fn default() -> Self {
        Sanitize {
            control: Action::Strip,
            output_control: Action::Allow,
            roles: vec![
                Role::System,
                Role::Developer,
                Role::User,
                Role::Assistant,
                Role::Tool,
            ],
            max_message_bytes: None,
            max_total_bytes: None,
            action: Action::Block,
        }
    }
}

impl Sanitize {
    /// Only these roles.
    pub fn with_roles(mut self, roles: impl IntoIterator<Item = Role>) -> Self {
        self.roles = roles.into_iter().collect();
        self
    }

    /// Size limits per message and per request, in bytes of text.
    pub fn with_limits(mut self, message: Option<usize>, total: Option<usize>) -> Self {
        self.max_message_bytes = message;
        self.max_total_bytes = total;
        self
    }

    /// The action on control characters in requests.
    pub fn with_control(mut self, action: Action) -> Self {
        self.control = action;
        self
    }
}

/// Whether `c` is a control character a chat text has no use for.
fn is_control(c: char) -> bool {
    matches!(u32::from(c), 0..=0x08 | 0x0B | 0x0C | 0x0E..=0x1F | 0x7F..=0x9F)
}

/// Runs of control characters in `text`.
pub(crate) fn control_runs(text: &str) -> Vec<Range<usize>> {
    // C1 characters are encoded 0xC2 0x80..0x9F: any other text has no byte to look at.
    let suspect = text
        .bytes()
        .any(|b| (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r')) || b == 0x7F || b == 0xC2);
    if !suspect {
        return Vec::new();
    }
    let mut out: Vec<Range<usize>> = Vec::new();
    for (i, c) in text.char_indices().filter(|&(_, c)| is_control(c)) {
        let end = i + c.len_utf8();
        match out.last_mut() {
            Some(r) if r.end == i => r.end = end,
            _ => out.push(i..end),
        }
    }
    out
}

/// The bytes of text of a message: what its size limit counts.
fn message_bytes(m: &Message) -> usize {
    parts_bytes(&m.content)
}

fn parts_bytes(parts: &[Part]) -> usize {
    parts
        .iter()
        .map(|p| match p {
            Part::Text { text } | Part::Refusal { text } => text.len(),
            Part::Reasoning(r) => r.text.len(),
            Part::ToolCall(c) => c.name.len() + c.arguments.to_string().len(),
            Part::ToolResult(r) => parts_bytes(&r.content),
            _ => 0,
        })
        .sum()
}

impl Guardrail for Sanitize {
    fn name(&self) -> &str {
        "sanitize"
    }

    fn scan(&self, text: &str, scope: Scope) -> Vec<Finding> {
        let Some(action) = scope.action(self.control, self.output_control) else {
            return Vec::new();
        };
        control_runs(text)
            .into_iter()
            .map(|r| Finding::span("control_char", "CONTROL", r, action))
            .collect()
    }

    fn max_match_len(&self) -> usize {
        // A run split across chunks is two runs, each acted on alike.
        8
    }

    fn check_request<'a>(&'a self, req: &'a ChatRequest) -> BoxFuture<'a, Result<Vec<Finding>>> {
        let mut out = Vec::new();
        if self.action != Action::Allow {
            let mut total = 0usize;
            let mut role_bad = false;
            let mut big = false;
            for m in &req.messages {
                role_bad |= !self.roles.contains(&m.role);
                let n = message_bytes(m);
                big |= self.max_message_bytes.is_some_and(|max| n > max);
                total += n;
            }
            if role_bad {
                out.push(Finding::whole("invalid_role", self.action, None));
            }
            if big {
                out.push(Finding::whole("message_too_large", self.action, None));
            }
            if self.max_total_bytes.is_some_and(|max| total > max) {
                out.push(Finding::whole("request_too_large", self.action, None));
            }
        }
        Box::pin(async move { Ok(out) })
    }
}
