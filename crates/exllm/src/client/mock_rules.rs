//! A mock provider driven by rules rather than a queue: each rule matches requests on the
//! model, the last user message (a regex) or the presence of tools, and answers with text,
//! tool calls, an error, a delay or a chunked stream. Tests describe a whole conversation's
//! behaviour up front, whatever order the calls come in; [`super::MockProvider`] stays the
//! simple queue-and-handler mock.

use super::{Backend, ChatStream};
use crate::error::{Error, ErrorKind, Result};
use crate::types::{
    response_to_events, ChatRequest, ChatResponse, FinishKind, FinishReason, Part, Role,
    StreamEvent, ToolCall,
};
use futures_util::future::BoxFuture;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What a rule answers.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum MockAnswer {
    /// A text answer (streamed word by word).
    Text(String),
    /// Tool calls: `(name, JSON arguments)`.
    ToolCalls(Vec<(String, serde_json::Value)>),
    /// A whole response, as it is (boxed: it is far larger than the other answers).
    Response(Box<ChatResponse>),
    /// An error of this kind, message and HTTP status.
    Error {
        /// Its kind.
        kind: ErrorKind,
        /// Its message.
        message: String,
        /// Its HTTP status, when it should look like one.
        status: Option<u16>,
    },
    /// A text answer streamed as exactly these pieces, `pause` between two of them (a call
    /// that is not streamed gets them joined).
    Chunks {
        /// The pieces, in order.
        pieces: Vec<String>,
        /// The pause before each piece after the first.
        pause: Duration,
    },
}

/// One rule: every condition set must hold; an unset condition matches anything.
#[derive(Debug, Clone)]
pub struct MockRule {
    /// The model, the provider prefix removed: exact, or a prefix when it ends in `*`.
    pub model: Option<String>,
    /// A regex the text of the last user message must match.
    pub text: Option<regex::Regex>,
    /// Whether the request must carry tools (`Some(true)`) or none (`Some(false)`).
    pub tools: Option<bool>,
    /// How long to wait before answering.
    pub delay: Duration,
    /// The answer.
    pub answer: MockAnswer,
}

impl MockRule {
    /// A rule that matches every request and answers `answer`; narrow it with
    /// [`MockRule::model`], [`MockRule::text`] and [`MockRule::tools`].
    pub fn answer(answer: MockAnswer) -> Self {
        MockRule {
            model: None,
            text: None,
            tools: None,
            delay: Duration::ZERO,
            answer,
        }
    }

    /// A rule answering `text`.
    pub fn text_answer(text: impl Into<String>) -> Self {
        Self::answer(MockAnswer::Text(text.into()))
    }

    /// Only for this model (exact, or a prefix when it ends in `*`).
    pub fn model(mut self, model: impl Into<String>) -> Self {
        self.model = Some(model.into());
        self
    }

    /// Only when the last user message matches `pattern`; an invalid regex is an
    /// [`ErrorKind::InvalidInput`] error.
    pub fn text(mut self, pattern: &str) -> Result<Self> {
        let re = regex::Regex::new(pattern).map_err(|e| {
            Error::new(
                ErrorKind::InvalidInput,
                format!("invalid mock pattern: {e}"),
            )
        })?;
        self.text = Some(re);
        Ok(self)
    }

    /// Only when the request carries tools (`true`) or none (`false`).
    pub fn tools(mut self, present: bool) -> Self {
        self.tools = Some(present);
        self
    }

    /// Waits this long before answering (a slow provider, a timeout test).
    pub fn delay(mut self, d: Duration) -> Self {
        self.delay = d;
        self
    }

    /// Whether the rule applies to `req`.
    pub fn matches(&self, req: &ChatRequest) -> bool {
        let model_ok = self
            .model
            .as_deref()
            .is_none_or(|m| match m.strip_suffix('*') {
                Some(prefix) => req.model.starts_with(prefix),
                None => req.model == m,
            });
        let tools_ok = self.tools.is_none_or(|t| t != req.tools.is_empty());
        model_ok
            && tools_ok
            && self
                .text
                .as_ref()
                .is_none_or(|re| re.is_match(&last_user(req)))
    }
}

/// The text of the last user message.
fn last_user(req: &ChatRequest) -> String {
    req.messages
        .iter()
        .rev()
        .find(|m| m.role == Role::User)
        .map(|m| m.text())
        .unwrap_or_default()
}

/// A rule-driven mock provider: the first matching rule answers; when none matches, the
/// default answer does (an echo of the last user message unless [`MockRules::otherwise`]
/// sets one).
///
/// ```
/// # fn block_on<F: std::future::Future>(f: F) -> F::Output {
/// #     tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(f)
/// # }
/// # block_on(async {
/// use exllm::client::{MockAnswer, MockRule, MockRules};
/// use exllm::{ChatRequest, Client, ErrorKind, Message};
/// use std::sync::Arc;
/// let rules = MockRules::new()
///     .rule(MockRule::text_answer("Sunny, 21 °C").text("(?i)weather").unwrap())
///     .rule(MockRule::answer(MockAnswer::Error {
///         kind: ErrorKind::RateLimit,
///         message: "slow down".into(),
///         status: Some(429),
///     }).model("busy-model"))
///     .otherwise(MockAnswer::Text("I don't know".into()));
/// let client = Client::builder().provider("mock", Arc::new(rules.clone())).build().unwrap();
/// let ask = |model: &str, text: &str| ChatRequest::new(model, vec![Message::user(text)]);
/// let r = client.chat(ask("mock/any", "What's the weather?")).await.unwrap();
/// assert_eq!(r.text(), "Sunny, 21 °C");
/// let e = client.chat(ask("mock/busy-model", "Hi")).await.unwrap_err();
/// assert_eq!(e.status(), Some(429));
/// assert_eq!(client.chat(ask("mock/any", "Hi")).await.unwrap().text(), "I don't know");
/// assert_eq!(rules.requests().len(), 3);
/// # });
/// ```
#[derive(Clone, Default)]
pub struct MockRules {
    rules: Arc<Vec<MockRule>>,
    default: Option<MockAnswer>,
    requests: Arc<Mutex<Vec<ChatRequest>>>,
}

impl std::fmt::Debug for MockRules {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockRules")
            .field("rules", &self.rules)
            .field("default", &self.default)
            .finish_non_exhaustive()
    }
}

impl MockRules {
    /// No rules: every request gets the echo of its last user message.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a rule after the existing ones (earlier rules win).
    pub fn rule(mut self, rule: MockRule) -> Self {
        Arc::make_mut(&mut self.rules).push(rule);
        self
    }

    /// The answer when no rule matches.
    pub fn otherwise(mut self, answer: MockAnswer) -> Self {
        self.default = Some(answer);
        self
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<ChatRequest> {
        self.requests
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The delay and answer for `req` (recorded as received).
    fn pick(&self, req: ChatRequest) -> (Duration, MockAnswer) {
        let found = self.rules.iter().find(|r| r.matches(&req));
        let picked = match (found, &self.default) {
            (Some(r), _) => (r.delay, r.answer.clone()),
            (None, Some(d)) => (Duration::ZERO, d.clone()),
            (None, None) => (Duration::ZERO, MockAnswer::Text(last_user(&req))),
        };
        self.requests
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(req);
        picked
    }
}

/// The response an answer stands for (the joined text for chunks), or its error.
fn response(answer: &MockAnswer) -> Result<ChatResponse> {
    Ok(match answer {
        MockAnswer::Text(t) => super::MockProvider::text_response(t.clone()),
        MockAnswer::Chunks { pieces, .. } => super::MockProvider::text_response(pieces.concat()),
        MockAnswer::Response(r) => (**r).clone(),
        MockAnswer::ToolCalls(calls) => ChatResponse {
            model: Some("mock".into()),
            content: calls
                .iter()
                .enumerate()
                .map(|(i, (name, arguments))| {
                    Part::ToolCall(ToolCall {
                        id: format!("call_mock_{i}"),
                        name: name.clone(),
                        arguments: arguments.clone(),
                        provider_meta: None,
                    })
                })
                .collect(),
            finish: Some(FinishReason::new(FinishKind::ToolCalls, "tool_calls")),
            ..Default::default()
        },
        MockAnswer::Error {
            kind,
            message,
            status,
        } => {
            let e = Error::new(*kind, message.clone()).with_provider("mock");
            return Err(match status {
                Some(s) => e.with_status(*s),
                None => e,
            });
        }
    })
}

/// The events of a chunked answer: its text deltas replaced by exactly `pieces`.
fn chunk_events(pieces: &[String]) -> Vec<StreamEvent> {
    let resp = super::MockProvider::text_response(pieces.concat());
    let mut events = Vec::new();
    let mut placed = false;
    for ev in response_to_events(&resp) {
        if matches!(ev, StreamEvent::TextDelta(_)) {
            if !placed {
                events.extend(pieces.iter().cloned().map(StreamEvent::TextDelta));
                placed = true;
            }
        } else {
            events.push(ev);
        }
    }
    events
}

impl Backend for MockRules {
    fn chat(&self, req: ChatRequest) -> BoxFuture<'static, Result<ChatResponse>> {
        let (delay, answer) = self.pick(req);
        Box::pin(async move {
            tokio::time::sleep(delay).await;
            response(&answer)
        })
    }

    fn chat_stream(&self, req: ChatRequest) -> BoxFuture<'static, Result<ChatStream>> {
        let (delay, answer) = self.pick(req);
        Box::pin(async move {
            tokio::time::sleep(delay).await;
            let MockAnswer::Chunks { pieces, pause } = answer else {
                return Ok(ChatStream::from_events(response_to_events(&response(
                    &answer,
                )?)));
            };
            let events = chunk_events(&pieces);
            let stream = futures_util::stream::unfold(
                (events.into_iter(), false),
                move |(mut it, sent_text)| async move {
                    let ev = it.next()?;
                    let is_text = matches!(ev, StreamEvent::TextDelta(_));
                    if is_text && sent_text {
                        tokio::time::sleep(pause).await;
                    }
                    Some((Ok(ev), (it, sent_text || is_text)))
                },
            );
            Ok(ChatStream::new(stream))
        })
    }
}

#[cfg(test)]
#[path = "mock_rules_tests.rs"]
mod tests;
