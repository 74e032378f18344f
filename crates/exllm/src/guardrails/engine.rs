//! A set of guardrails and how it runs around a call: every text of the request through the
//! text pass (masking into the call's [`Vault`]), the request-wide checks, then the answer —
//! whole, or as a guarded stream — with its placeholders restored.

use super::scan::scan_whole;
use super::stream::GuardedStream;
use super::{Guardrail, Scope, Stage};
use crate::error::Result;
use crate::types::{ChatRequest, ChatResponse, Part, Role};
use crate::{ChatStream, Client};
use serde_json::Value;
use std::collections::HashSet;
use std::future::Future;
use std::sync::Arc;

/// An ordered set of guardrails. Cheap to clone.
#[derive(Clone, Default)]
pub struct Guardrails {
    rails: Vec<Arc<dyn Guardrail>>,
}

/// Lists the guardrails by name.
impl std::fmt::Debug for Guardrails {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.rails.iter().map(|r| r.name()))
            .finish()
    }
}

impl Guardrails {
    /// An empty set (lets everything through).
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a guardrail.
    pub fn with(mut self, rail: impl Guardrail) -> Self {
        self.rails.push(Arc::new(rail));
        self
    }

    /// Adds a shared guardrail.
    pub fn push(&mut self, rail: Arc<dyn Guardrail>) {
        self.rails.push(rail);
    }

    /// The guardrails, in order.
    pub fn rails(&self) -> &[Arc<dyn Guardrail>] {
        &self.rails
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.rails.is_empty()
    }

    /// The hold-back window of a stream: the longest match any guardrail can make.
    pub(crate) fn window(&self) -> usize {
        self.rails
            .iter()
            .map(|r| r.max_match_len())
            .max()
            .unwrap_or(0)
            .max(64)
    }

    /// Checks and masks a request. Returns the request to send and the vault that restores
    /// the answer; fails with [`crate::ErrorKind::Guardrail`] when a rule blocks it.
    pub async fn check_input(&self, mut req: ChatRequest) -> Result<(ChatRequest, super::Vault)> {
        let mut vault = super::Vault::new();
        for rail in &self.rails {
            for f in rail.check_request(&req).await? {
                match f.action {
                    super::Action::Block => {
                        return Err(super::blocked(rail.name(), &f.rule, Stage::Input))
                    }
                    super::Action::Allow => {}
                    _ => super::report(rail.name(), &f, Stage::Input),
                }
            }
        }
        if self.rails.is_empty() {
            return Ok((req, vault));
        }
        for m in &mut req.messages {
            check_parts(
                &self.rails,
                &mut m.content,
                Scope {
                    stage: Stage::Input,
                    role: m.role,
                },
                &mut vault,
            )?;
        }
        Ok((req, vault))
    }

    /// Checks an answer and restores the request's placeholders in it (text, refusals,
    /// reasoning text, tool-call arguments, other choices).
    pub fn check_output(
        &self,
        mut resp: ChatResponse,
        vault: &super::Vault,
    ) -> Result<ChatResponse> {
        let mut vault = vault.clone();
        check_parts(
            &self.rails,
            &mut resp.content,
            Scope {
                stage: Stage::Output,
                role: Role::Assistant,
            },
            &mut vault,
        )?;
        for alt in &mut resp.alternatives {
            check_parts(
                &self.rails,
                &mut alt.content,
                Scope {
                    stage: Stage::Output,
                    role: Role::Assistant,
                },
                &mut vault,
            )?;
        }
        let text = resp.text();
        let tool_calls = resp.content.iter().any(|p| matches!(p, Part::ToolCall(_)));
        let answer = super::Answer {
            text: &text,
            complete: true,
            tool_calls,
        };
        check_answer(&self.rails, answer, &mut HashSet::new())?;
        Ok(resp)
    }

    /// Whether a stream must hold its answer back until it is complete.
    pub(crate) fn holds_answer(&self) -> bool {
        self.rails.iter().any(|r| r.holds_answer())
    }

    /// Guards a streamed answer: checked and restored as it arrives, with a hold-back window.
    pub fn check_stream(&self, stream: ChatStream, vault: super::Vault) -> ChatStream {
        let pricing = stream.shared_pricing();
        let guarded = ChatStream::new(GuardedStream::new(
            stream,
            self.rails.clone(),
            vault,
            self.window(),
            self.holds_answer(),
        ));
        guarded.priced_like(pricing)
    }

    /// Runs `send` on the checked, masked request and checks the answer.
    pub async fn chat<F, Fut>(&self, req: ChatRequest, send: F) -> Result<ChatResponse>
    where
        F: FnOnce(ChatRequest) -> Fut,
        Fut: Future<Output = Result<ChatResponse>>,
    {
        let (req, vault) = self.check_input(req).await?;
        let resp = send(req).await?;
        self.check_output(resp, &vault)
    }

    /// Runs `send` on the checked, masked request and guards the stream it returns.
    pub async fn chat_stream<F, Fut>(&self, req: ChatRequest, send: F) -> Result<ChatStream>
    where
        F: FnOnce(ChatRequest) -> Fut,
        Fut: Future<Output = Result<ChatStream>>,
    {
        let (req, vault) = self.check_input(req).await?;
        let stream = send(req).await?;
        Ok(self.check_stream(stream, vault))
    }
}

/// A [`Client`] with a set of guardrails around its chat calls.
#[derive(Clone, Debug)]
pub struct Guarded {
    /// The client that sends the checked requests.
    pub client: Client,
    /// The guardrails.
    pub guardrails: Guardrails,
}

impl Guarded {
    /// `client` behind `guardrails`.
    pub fn new(client: Client, guardrails: Guardrails) -> Self {
        Guarded { client, guardrails }
    }

    /// [`Client::chat`] with the request checked and masked, the answer checked and restored.
    pub async fn chat(&self, req: ChatRequest) -> Result<ChatResponse> {
        self.guardrails.chat(req, |r| self.client.chat(r)).await
    }

    /// [`Client::chat_stream`] with the request checked and masked, the stream checked and
    /// restored as it arrives.
    pub async fn chat_stream(&self, req: ChatRequest) -> Result<ChatStream> {
        self.guardrails
            .chat_stream(req, |r| self.client.chat_stream(r))
            .await
    }
}

/// Runs the text pass over every text of `parts` (tool-call arguments and tool results too).
pub(super) fn check_parts(
    rails: &[Arc<dyn Guardrail>],
    parts: &mut [Part],
    scope: Scope,
    vault: &mut super::Vault,
) -> Result<()> {
    for part in parts {
        match part {
            Part::Text { text } => *text = scan_whole(text, scope, rails, vault)?,
            Part::Refusal { text } if scope.stage == Stage::Output => {
                *text = scan_whole(text, scope, rails, vault)?
            }
            // Reasoning sent back carries a signature over its text: left as it is.
            Part::Reasoning(r) if scope.stage == Stage::Output => {
                r.text = scan_whole(&r.text, scope, rails, vault)?
            }
            Part::ToolCall(call) => check_value(rails, &mut call.arguments, scope, vault)?,
            Part::ToolResult(res) => {
                let scope = Scope {
                    role: Role::Tool,
                    ..scope
                };
                check_parts(rails, &mut res.content, scope, vault)?
            }
            _ => {}
        }
    }
    Ok(())
}

/// Runs the text pass over every string of a JSON value (tool-call arguments).
pub(super) fn check_value(
    rails: &[Arc<dyn Guardrail>],
    v: &mut Value,
    scope: Scope,
    vault: &mut super::Vault,
) -> Result<()> {
    match v {
        Value::String(s) => *s = scan_whole(s, scope, rails, vault)?,
        Value::Array(items) => {
            for item in items {
                check_value(rails, item, scope, vault)?;
            }
        }
        Value::Object(map) => {
            for (_, item) in map.iter_mut() {
                check_value(rails, item, scope, vault)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// Runs every guardrail's verdict on the answer as a whole; `seen` keeps a stream from
/// reporting the same warning at every chunk.
pub(super) fn check_answer(
    rails: &[Arc<dyn Guardrail>],
    answer: super::Answer<'_>,
    seen: &mut HashSet<(usize, String)>,
) -> Result<()> {
    for (i, rail) in rails.iter().enumerate() {
        for f in rail.check_answer(answer) {
            match f.action {
                super::Action::Block => {
                    return Err(super::blocked(rail.name(), &f.rule, Stage::Output))
                }
                super::Action::Allow => {}
                _ => {
                    if seen.insert((i, f.rule.clone())) {
                        super::report(rail.name(), &f, Stage::Output);
                    }
                }
            }
        }
    }
    Ok(())
}
