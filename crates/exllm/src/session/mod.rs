//! Conversations that outlive one call: a [`Session`] keeps the whole history (every part kind,
//! reasoning signatures included, so the next turn can be sent back to the same provider), the
//! usage and cost of each turn and in total, and the settings the conversation runs with.
//!
//! A session is the piece between a single [`Client::chat`] call and an application's chat
//! loop: it builds each request from the history, fits it into the model's context window
//! first (see [`crate::context`]), and appends the answer only once it is complete, so a failed
//! or broken call never leaves a half turn behind. Sessions are plain data: they save to and
//! load from versioned JSON files ([`Session::save`], [`Session::load`]), written atomically,
//! and a [`SessionStore`] keeps named ones in a directory.
//!
//! ```
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! use exllm::session::Session;
//! use exllm::Client;
//! let client = Client::builder().build().unwrap();
//! let mut s = Session::new("mock/echo").with_system("Be brief.");
//! let resp = s.chat(&client, "Hello").await.unwrap();
//! assert_eq!(resp.text(), "Hello");
//! assert_eq!(s.messages.len(), 2);
//! # });
//! ```

mod file;
mod policy;
mod store;
mod stream;

pub use file::SCHEMA_VERSION;
pub use policy::{ContextPolicy, ContextStrategy};
pub use store::{SessionInfo, SessionStore};
pub use stream::SessionStream;

use crate::catalog::Cost;
use crate::context::{fit_to_context, TokenBudget};
use crate::types::{ChatRequest, ChatResponse, JsonMap, Message, Role, Usage};
use crate::{Client, Result};
use serde::{Deserialize, Serialize};

/// A conversation with its history, totals and settings.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use exllm::session::Session;
/// use exllm::Client;
/// let client = Client::builder().build().unwrap();
/// let mut session = Session::new("mock/echo").with_system("Be brief.").with_max_tokens(200);
/// session.chat(&client, "Hello").await.unwrap();
/// session.chat(&client, "And again").await.unwrap();
/// assert_eq!(session.messages.len(), 4); // two user turns, two answers
/// let path = std::env::temp_dir().join(format!("exllm-doc-session-{}.json", std::process::id()));
/// session.save(&path).unwrap();
/// assert_eq!(Session::load(&path).unwrap(), session);
/// # std::fs::remove_file(&path).unwrap();
/// # });
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Session {
    /// The `provider/model` the next turn goes to.
    pub model: String,
    /// How requests are built.
    #[serde(default)]
    pub options: SessionOptions,
    /// The conversation so far, without the system prompt (that is in `options`).
    #[serde(default)]
    pub messages: Vec<Message>,
    /// One record per completed turn, in order.
    #[serde(default)]
    pub turns: Vec<Turn>,
    /// Usage summed over every turn.
    #[serde(default)]
    pub usage: Usage,
    /// Cost summed over the priced turns (`None` while no turn was priced).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost: Option<Cost>,
    /// The application's own data (a title, tags, a user id, ...).
    #[serde(default, skip_serializing_if = "JsonMap::is_empty")]
    pub metadata: JsonMap,
    /// When the session was created, in seconds since the Unix epoch.
    #[serde(default)]
    pub created_at: u64,
    /// When a turn was last recorded, in seconds since the Unix epoch.
    #[serde(default)]
    pub updated_at: u64,
    /// Top-level fields this build does not know, kept so a save does not lose them.
    #[serde(flatten)]
    pub extra: JsonMap,
}

/// How a session builds its requests.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SessionOptions {
    /// The system prompt, sent first on every turn.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    /// Maximum output tokens per turn.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
    /// Sampling temperature.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    /// How the history is fitted into the context window before each call.
    #[serde(default)]
    pub context: ContextPolicy,
}

/// What one completed turn cost.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Turn {
    /// The model the turn was sent to.
    pub model: String,
    /// The provider's usage report (`None` when it sent none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
    /// The price, when the catalog knows the model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost: Option<Cost>,
    /// History messages left out of the request to fit the context window.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub dropped_messages: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

pub(crate) fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

impl Session {
    /// An empty session for `model` (`provider/model`).
    pub fn new(model: impl Into<String>) -> Self {
        let t = now();
        Session {
            model: model.into(),
            created_at: t,
            updated_at: t,
            ..Default::default()
        }
    }

    /// Sets the system prompt.
    pub fn with_system(mut self, system: impl Into<String>) -> Self {
        self.options.system = Some(system.into());
        self
    }

    /// Sets the output token limit.
    pub fn with_max_tokens(mut self, n: u32) -> Self {
        self.options.max_tokens = Some(n);
        self
    }

    /// Sets the temperature.
    pub fn with_temperature(mut self, t: f64) -> Self {
        self.options.temperature = Some(t);
        self
    }

    /// Sets the context-window policy.
    pub fn with_context(mut self, policy: ContextPolicy) -> Self {
        self.options.context = policy;
        self
    }

    /// Sets one metadata entry.
    pub fn with_metadata(mut self, key: impl Into<String>, value: serde_json::Value) -> Self {
        self.metadata.insert(key.into(), value);
        self
    }

    /// Sends `text` as the next user turn and records the answer.
    pub async fn chat(&mut self, client: &Client, text: impl Into<String>) -> Result<ChatResponse> {
        self.chat_message(client, Message::user(text)).await
    }

    /// Sends any message (a user turn with images, a tool result, ...) and records the
    /// answer. On error the history is unchanged.
    pub async fn chat_message(
        &mut self,
        client: &Client,
        message: Message,
    ) -> Result<ChatResponse> {
        let (req, dropped) = self.request_for(&message)?;
        let resp = client.chat(req).await?;
        self.record(message, &resp, dropped);
        Ok(resp)
    }

    /// Streams the answer to `text`. The returned stream yields the events as they arrive and
    /// appends the turn to the history when the stream completes.
    pub async fn chat_stream(
        &mut self,
        client: &Client,
        text: impl Into<String>,
    ) -> Result<SessionStream<'_>> {
        self.chat_stream_message(client, Message::user(text)).await
    }

    /// [`Session::chat_stream`] for any message.
    pub async fn chat_stream_message(
        &mut self,
        client: &Client,
        message: Message,
    ) -> Result<SessionStream<'_>> {
        let (req, dropped) = self.request_for(&message)?;
        let inner = client.chat_stream(req).await?;
        Ok(SessionStream::new(self, inner, message, dropped))
    }

    /// The request the next turn would send with `next` appended, after fitting the context
    /// window, and how many history messages were left out. A model the catalog does not know
    /// (and without a window in the policy) is not fitted.
    pub fn request_for(&self, next: &Message) -> Result<(ChatRequest, usize)> {
        let mut messages = Vec::with_capacity(self.messages.len() + 2);
        if let Some(s) = &self.options.system {
            messages.push(Message::system(s.clone()));
        }
        messages.extend(self.messages.iter().cloned());
        messages.push(next.clone());
        let mut dropped = 0;
        if let Some(mut opts) = self.options.context.fit_options() {
            if opts.max_output_tokens.is_none() {
                opts.max_output_tokens = self.options.max_tokens.map(u64::from);
            }
            if TokenBudget::resolve(&self.model, &opts, false).is_ok() {
                let fitted = fit_to_context(&messages, &self.model, &opts)?;
                dropped = fitted.dropped.len();
                messages = fitted.messages;
            }
        }
        let mut req = ChatRequest::new(self.model.clone(), messages);
        req.max_tokens = self.options.max_tokens;
        req.temperature = self.options.temperature;
        Ok((req, dropped))
    }

    /// Appends a completed turn: the message sent, the answer, its usage and cost. Called by
    /// [`Session::chat`] and by [`SessionStream`] on completion; call it yourself after sending
    /// a request built with [`Session::request_for`].
    pub fn record(&mut self, sent: Message, resp: &ChatResponse, dropped_messages: usize) {
        self.messages.push(sent);
        if !resp.content.is_empty() {
            self.messages
                .push(Message::new(Role::Assistant, resp.content.clone()));
        }
        if let Some(u) = &resp.usage {
            self.usage.add(u);
        }
        if let Some(c) = &resp.cost {
            self.cost.get_or_insert_with(Cost::default).add(c);
        }
        self.turns.push(Turn {
            model: self.model.clone(),
            usage: resp.usage.clone(),
            cost: resp.cost.clone(),
            dropped_messages,
        });
        self.updated_at = now();
    }
}
