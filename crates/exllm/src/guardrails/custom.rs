//! The caller's own rules without writing a [`Guardrail`] type: a regular expression with an
//! action, or a closure over the text. (A type implementing [`Guardrail`] is the third way.)

use super::{Action, Finding, Guardrail, Scope, Stage};
use regex::Regex;
use std::sync::Arc;

/// A pattern and what to do with its matches.
#[derive(Debug, Clone)]
pub struct RegexRule {
    /// The rule's name, in errors and metrics.
    pub name: String,
    /// The placeholder label for masked matches (`TICKET` gives `<TICKET_1>`).
    pub label: String,
    /// The pattern.
    pub pattern: Regex,
    /// What to do with a match.
    pub action: Action,
    /// Where the rule applies.
    pub stages: Vec<Stage>,
    /// The longest match the pattern can make, for stream hold-back.
    pub max_len: usize,
}

impl RegexRule {
    /// A rule over requests and answers; the label is the name in upper case.
    pub fn new(name: impl Into<String>, pattern: Regex, action: Action) -> Self {
        let name = name.into();
        RegexRule {
            label: name.to_ascii_uppercase(),
            name,
            pattern,
            action,
            stages: vec![Stage::Input, Stage::Output],
            max_len: 128,
        }
    }

    /// Only on these stages.
    pub fn on(mut self, stages: impl IntoIterator<Item = Stage>) -> Self {
        self.stages = stages.into_iter().collect();
        self
    }

    /// The placeholder label.
    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = label.into();
        self
    }
}

impl Guardrail for RegexRule {
    fn name(&self) -> &str {
        &self.name
    }

    fn scan(&self, text: &str, scope: Scope) -> Vec<Finding> {
        if !self.stages.contains(&scope.stage) {
            return Vec::new();
        }
        self.pattern
            .find_iter(text)
            .filter(|m| !m.is_empty())
            .map(|m| {
                Finding::span(
                    self.name.clone(),
                    self.label.clone(),
                    m.range(),
                    self.action,
                )
            })
            .collect()
    }

    fn max_match_len(&self) -> usize {
        self.max_len
    }
}

type Check = Arc<dyn Fn(&str, Scope) -> Vec<Finding> + Send + Sync>;

/// A rule that is a closure: the text and where it comes from in, findings out.
#[derive(Clone)]
pub struct ClosureRule {
    name: String,
    check: Check,
    max_len: usize,
}

impl std::fmt::Debug for ClosureRule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClosureRule")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl ClosureRule {
    /// A rule named `name` running `check`.
    pub fn new(
        name: impl Into<String>,
        check: impl Fn(&str, Scope) -> Vec<Finding> + Send + Sync + 'static,
    ) -> Self {
        ClosureRule {
            name: name.into(),
            check: Arc::new(check),
            max_len: 128,
        }
    }

    /// The longest match the closure can make, for stream hold-back.
    pub fn with_max_len(mut self, bytes: usize) -> Self {
        self.max_len = bytes;
        self
    }
}

impl Guardrail for ClosureRule {
    fn name(&self) -> &str {
        &self.name
    }

    fn scan(&self, text: &str, scope: Scope) -> Vec<Finding> {
        (self.check)(text, scope)
    }

    fn max_match_len(&self) -> usize {
        self.max_len
    }
}
