//! A moderation-backed guardrail: the request's user and tool texts go to a moderation model
//! through [`Client::moderate`] before the request is sent; a flagged verdict is acted on,
//! naming the flagged categories (never the text).

use super::{Action, Finding, Guardrail, Scope};
use crate::error::Result;
use crate::types::{ChatRequest, ModerationRequest, Role};
use crate::Client;
use futures_util::future::BoxFuture;

/// Screens requests with a moderation model.
#[derive(Debug, Clone)]
pub struct Moderation {
    /// The client that calls the moderation model.
    pub client: Client,
    /// The moderation model, `provider/model` (`openai/omni-moderation-latest`).
    pub model: String,
    /// What to do with a flagged request.
    pub action: Action,
}

impl Moderation {
    /// Screens with `model` through `client`, blocking flagged requests.
    pub fn new(client: Client, model: impl Into<String>) -> Self {
        Moderation {
            client,
            model: model.into(),
            action: Action::Block,
        }
    }

    /// The action on a flagged request.
    pub fn with_action(mut self, action: Action) -> Self {
        self.action = action;
        self
    }
}

impl Guardrail for Moderation {
    fn name(&self) -> &str {
        "moderation"
    }

    fn scan(&self, _text: &str, _scope: Scope) -> Vec<Finding> {
        Vec::new()
    }

    fn check_request<'a>(&'a self, req: &'a ChatRequest) -> BoxFuture<'a, Result<Vec<Finding>>> {
        Box::pin(async move {
            let texts: Vec<String> = req
                .messages
                .iter()
                .filter(|m| matches!(m.role, Role::User | Role::Tool))
                .map(|m| m.text())
                .filter(|t| !t.trim().is_empty())
                .collect();
            if texts.is_empty() || self.action == Action::Allow {
                return Ok(Vec::new());
            }
            let verdict = self
                .client
                .moderate(ModerationRequest::new(self.model.clone(), texts))
                .await?;
            if !verdict.flagged() {
                return Ok(Vec::new());
            }
            let mut categories: Vec<&str> = verdict
                .results
                .iter()
                .flat_map(|r| r.flagged_categories())
                .collect();
            categories.sort_unstable();
            categories.dedup();
            let rule = if categories.is_empty() {
                "flagged".to_owned()
            } else {
                format!("flagged:{}", categories.join(","))
            };
            Ok(vec![Finding::whole(rule, self.action, None)])
        })
    }
}
