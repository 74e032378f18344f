//! A conversation turn: a role and an ordered list of parts.

use super::part::{Part, ToolResult};
use serde::{Deserialize, Serialize};

/// Who speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Role {
    /// Instructions from the application.
    System,
    /// OpenAI's developer instructions (sent as system where a provider has no such role).
    Developer,
    /// The user.
    User,
    /// The model.
    Assistant,
    /// Tool results.
    Tool,
}

/// One message of a conversation.
///
/// ```
/// use exllm::{Message, Part, Role};
/// let question = Message::new(
///     Role::User,
///     vec![
///         Part::text("What is in this picture?"),
///         Part::image_url("https://example.com/cat.png"),
///     ],
/// );
/// assert_eq!(question.text(), "What is in this picture?");
/// let history = vec![Message::system("Be brief."), question, Message::assistant("A cat.")];
/// assert_eq!(history[2].role, Role::Assistant);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    /// Who speaks.
    pub role: Role,
    /// What is said, in order.
    pub content: Vec<Part>,
    /// An optional participant name (OpenAI `name`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl Message {
    /// A message with the given role and parts.
    pub fn new(role: Role, content: Vec<Part>) -> Self {
        Message {
            role,
            content,
            name: None,
        }
    }

    /// A system message.
    pub fn system(text: impl Into<String>) -> Self {
        Self::new(Role::System, vec![Part::text(text)])
    }

    /// A developer message.
    pub fn developer(text: impl Into<String>) -> Self {
        Self::new(Role::Developer, vec![Part::text(text)])
    }

    /// A user message.
    pub fn user(text: impl Into<String>) -> Self {
        Self::new(Role::User, vec![Part::text(text)])
    }

    /// An assistant message.
    pub fn assistant(text: impl Into<String>) -> Self {
        Self::new(Role::Assistant, vec![Part::text(text)])
    }

    /// A tool message carrying one result.
    pub fn tool_result(result: ToolResult) -> Self {
        Self::new(Role::Tool, vec![Part::ToolResult(result)])
    }

    /// All text parts, joined.
    pub fn text(&self) -> String {
        self.content.iter().filter_map(Part::as_text).collect()
    }
}
