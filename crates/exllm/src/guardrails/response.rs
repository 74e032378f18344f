//! Response validation: banned terms (found in the answer's text like any other match, so a
//! stream catches them as they arrive), a maximum answer size (checked as the answer grows),
//! and a JSON Schema the whole answer must match. A schema can only judge a complete answer,
//! so a stream guarded by one holds its text back until the end and releases it only when it
//! matches; answers that call tools are not held to the schema.

use super::{Action, Finding, Guardrail, Scope, Stage};
use crate::error::{Error, ErrorKind, Result};
use crate::types::schema::Validator;
use regex::Regex;
use serde_json::Value;

/// The answer as a whole, for [`Guardrail::check_answer`].
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct Answer<'a> {
    /// The text released so far (restored, as the caller sees it); all of it when complete.
    pub text: &'a str,
    /// Whether the answer is complete (a whole answer, or a stream that finished).
    pub complete: bool,
    /// Whether the answer calls tools.
    pub tool_calls: bool,
}

/// Rules over the answer.
#[derive(Debug, Clone)]
pub struct ResponseRules {
    /// The schema the answer's text, read as JSON, must match.
    pub schema: Option<Validator>,
    /// Terms the answer may not contain (case-insensitive, whole words).
    pub banned: Option<Regex>,
    /// The largest answer, in bytes of text.
    pub max_bytes: Option<usize>,
    /// What to do when a rule fails (default block).
    pub action: Action,
}

impl Default for ResponseRules {
    fn default() -> Self {
        ResponseRules {
            schema: None,
            banned: None,
            max_bytes: None,
            action: Action::Block,
        }
    }
}

impl ResponseRules {
    /// No rules yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// The answer must be JSON matching `schema`; an invalid schema is an error.
    pub fn with_schema(mut self, schema: &Value) -> Result<Self> {
        self.schema = Some(Validator::new(schema)?);
        Ok(self)
    }

    /// Terms the answer may not contain, matched case-insensitively as whole words.
    pub fn with_banned<S: AsRef<str>>(mut self, terms: impl IntoIterator<Item = S>) -> Self {
        let alts: Vec<String> = terms
            .into_iter()
            .map(|t| t.as_ref().trim().to_owned())
            .filter(|t| !t.is_empty())
            .map(|t| regex::escape(&t))
            .collect();
        self.banned = (!alts.is_empty()).then(|| word_regex(&alts));
        self
    }

    /// The largest answer, in bytes.
    pub fn with_max_bytes(mut self, max: usize) -> Self {
        self.max_bytes = Some(max);
        self
    }

    /// The action when a rule fails.
    pub fn with_action(mut self, action: Action) -> Self {
        self.action = action;
        self
    }
}

/// A term is a whole word where it starts or ends with a word character.
fn word_regex(alts: &[String]) -> Regex {
    let one: Vec<String> = alts
        .iter()
        .map(|a| {
            let first = a.chars().next().is_some_and(is_word);
            let last = a.chars().next_back().is_some_and(is_word);
            format!(
                "{}{a}{}",
                if first { r"\b" } else { "" },
                if last { r"\b" } else { "" }
            )
        })
        .collect();
    // Escaped literals joined by `|` always compile; the fallback matches nothing.
    Regex::new(&format!("(?i){}", one.join("|")))
        .unwrap_or_else(|_| Regex::new(r"[^\s\S]").expect("valid pattern"))
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The JSON in an answer: its text, or the body of a single fenced code block around it.
fn json_body(text: &str) -> &str {
    let t = text.trim();
    let Some(rest) = t.strip_prefix("```") else {
        return t;
    };
    let Some(body) = rest.strip_suffix("```") else {
        return t;
    };
    let body = body.strip_prefix("json").unwrap_or(body);
    body.trim()
}

impl Guardrail for ResponseRules {
    fn name(&self) -> &str {
        "response"
    }

    fn scan(&self, text: &str, scope: Scope) -> Vec<Finding> {
        let (Some(re), Stage::Output) = (&self.banned, scope.stage) else {
            return Vec::new();
        };
        if self.action == Action::Allow {
            return Vec::new();
        }
        re.find_iter(text)
            .filter(|m| !m.is_empty())
            .map(|m| Finding::span("banned_term", "BANNED", m.range(), self.action))
            .collect()
    }

    fn check_answer(&self, answer: Answer<'_>) -> Vec<Finding> {
        let mut out = Vec::new();
        if self.action == Action::Allow {
            return out;
        }
        if self.max_bytes.is_some_and(|max| answer.text.len() > max) {
            out.push(Finding::whole("too_long", self.action, None));
        }
        if let (Some(schema), true, false) = (&self.schema, answer.complete, answer.tool_calls) {
            match serde_json::from_str::<Value>(json_body(answer.text)) {
                Err(_) => out.push(Finding::whole("invalid_json", self.action, None)),
                Ok(v) => {
                    if schema.check(&v).is_err() {
                        out.push(Finding::whole("schema_mismatch", self.action, None));
                    }
                }
            }
        }
        out
    }

    fn holds_answer(&self) -> bool {
        self.schema.is_some()
    }
}

/// An invalid configured schema, as a configuration error.
pub(crate) fn schema_from_config(v: &Value) -> Result<Value> {
    match v {
        Value::String(s) => serde_json::from_str(s).map_err(|e| {
            Error::new(
                ErrorKind::Config,
                format!("guardrails response schema is not JSON: {e}"),
            )
        }),
        other => Ok(other.clone()),
    }
}
