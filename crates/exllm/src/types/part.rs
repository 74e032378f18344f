//! The pieces a message is made of: text, media, tool calls and results, reasoning, refusals
//! and provider-run items kept verbatim so a conversation can be sent back without loss.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One piece of a message's content.
///
/// ```
/// use exllm::{ChatResponse, Part};
/// let resp = ChatResponse {
///     content: vec![Part::text("It is "), Part::text("sunny.")],
///     ..Default::default()
/// };
/// for part in &resp.content {
///     match part {
///         Part::Text { text } => print!("{text}"),
///         Part::ToolCall(call) => println!("call {}({})", call.name, call.arguments),
///         _ => {} // images, reasoning, refusals, provider items, ...
///     }
/// }
/// assert_eq!(resp.content[0].as_text(), Some("It is "));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Part {
    /// Plain text.
    Text {
        /// The text.
        text: String,
    },
    /// An image, by URL or inline bytes.
    Image {
        /// Where the image comes from.
        source: MediaSource,
        /// Its media type (`image/png`, ...), required for inline data.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        media_type: Option<String>,
        /// OpenAI's `detail` hint.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        detail: Option<ImageDetail>,
    },
    /// A file or document (PDF, text, ...).
    File {
        /// Where the file comes from.
        source: MediaSource,
        /// Its media type (`application/pdf`, ...).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        media_type: Option<String>,
        /// A file name to show the model.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        filename: Option<String>,
    },
    /// Audio: a recording sent to the model (OpenAI `input_audio`), or speech the model
    /// answered with (OpenAI `message.audio`, with its transcript and id).
    Audio(AudioPart),
    /// A call of one of the caller's tools, made by the model.
    ToolCall(ToolCall),
    /// The caller's answer to a tool call.
    ToolResult(ToolResult),
    /// The model's reasoning, with whatever the provider needs to have it sent back.
    Reasoning(Reasoning),
    /// The model declined to answer (OpenAI `refusal`).
    Refusal {
        /// The refusal text.
        text: String,
    },
    /// Marks the end of a cacheable prefix (Anthropic `cache_control` on the part before it,
    /// Bedrock `cachePoint`).
    CacheBreakpoint(CacheBreakpoint),
    /// An item the provider produced and runs itself (web search, code execution, MCP calls,
    /// ...): kept as sent, so it can be shown and sent back to the same API.
    ProviderItem(ProviderItem),
}

impl Part {
    /// A text part.
    pub fn text(text: impl Into<String>) -> Self {
        Part::Text { text: text.into() }
    }

    /// An image part from a URL.
    pub fn image_url(url: impl Into<String>) -> Self {
        Part::Image {
            source: MediaSource::Url(url.into()),
            media_type: None,
            detail: None,
        }
    }

    /// An image part from base64 data.
    pub fn image_base64(media_type: impl Into<String>, data: impl Into<String>) -> Self {
        Part::Image {
            source: MediaSource::Base64(data.into()),
            media_type: Some(media_type.into()),
            detail: None,
        }
    }

    /// The text of a text part.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Part::Text { text } => Some(text),
            _ => None,
        }
    }
}

/// Where media bytes come from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum MediaSource {
    /// A URL the provider fetches (`https:` or a `data:` URL).
    Url(String),
    /// Base64-encoded bytes.
    Base64(String),
    /// A file id from the provider's file store.
    FileId(String),
}

/// Audio in a message.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AudioPart {
    /// The audio's bytes, base64-encoded (empty for an answer referred to by `id` only).
    #[serde(default)]
    pub data: String,
    /// Its format as OpenAI names it (`wav`, `mp3`, `pcm16`, ...) or a media type
    /// (`audio/L16;rate=24000`), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    /// What is said in it (the model's answers come with one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transcript: Option<String>,
    /// The provider's id of an audio answer, by which a later turn refers to it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Until when (Unix seconds) the provider keeps the answer for later turns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<u64>,
}

impl AudioPart {
    /// An audio input part from the file's bytes and its format (`wav`, `mp3`).
    pub fn from_bytes(bytes: &[u8], format: impl Into<String>) -> Self {
        AudioPart {
            data: crate::base64::encode(bytes),
            format: Some(format.into()),
            ..Default::default()
        }
    }
}

/// OpenAI's image detail level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ImageDetail {
    /// Let the provider choose.
    Auto,
    /// Low resolution, fewer tokens.
    Low,
    /// High resolution.
    High,
}

impl ImageDetail {
    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            ImageDetail::Auto => "auto",
            ImageDetail::Low => "low",
            ImageDetail::High => "high",
        }
    }
}

/// A tool call requested by the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ToolCall {
    /// The provider's call id (made up by exllm where the provider sends none).
    pub id: String,
    /// The tool's name.
    pub name: String,
    /// The arguments. An empty or `null` argument text becomes `{}`; text that is not valid JSON
    /// is kept as a JSON string so nothing is lost.
    pub arguments: Value,
    /// Provider data that must travel with the call (a Gemini thought signature, a Responses item
    /// id, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_meta: Option<Value>,
}

impl ToolCall {
    /// Parses a provider's argument text as [`ToolCall::arguments`] documents.
    pub fn parse_arguments(text: &str) -> Value {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Value::Object(Default::default());
        }
        match serde_json::from_str::<Value>(trimmed) {
            Ok(Value::Null) => Value::Object(Default::default()),
            Ok(v) => v,
            Err(_) => Value::String(text.to_owned()),
        }
    }

    /// The arguments as the JSON text most wire formats carry.
    pub fn arguments_text(&self) -> String {
        match &self.arguments {
            Value::String(s) => s.clone(),
            v => v.to_string(),
        }
    }
}

/// The caller's answer to a tool call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ToolResult {
    /// The id of the call this answers.
    pub call_id: String,
    /// The tool's name (some providers want it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The result: text and, where the provider allows, images.
    pub content: Vec<Part>,
    /// Whether the tool failed.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub is_error: bool,
}

impl ToolResult {
    /// A text result.
    pub fn text(call_id: impl Into<String>, text: impl Into<String>) -> Self {
        ToolResult {
            call_id: call_id.into(),
            content: vec![Part::text(text)],
            ..Default::default()
        }
    }

    /// All text parts of the result, joined.
    pub fn text_content(&self) -> String {
        self.content.iter().filter_map(Part::as_text).collect()
    }
}

/// Reasoning output, with what the provider needs to accept it back on the next turn.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Reasoning {
    /// The readable reasoning (or its summary); empty when the provider hides it.
    pub text: String,
    /// Anthropic / Bedrock signature of the thinking block, Gemini thought signature.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
    /// Opaque reasoning: OpenAI `encrypted_content`, Anthropic `redacted_thinking` data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encrypted: Option<String>,
    /// The provider's item id (OpenAI Responses reasoning items).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
}

/// End of a cacheable prefix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct CacheBreakpoint {
    /// Cache lifetime where the provider offers a choice (`5m`, `1h`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl: Option<String>,
}

/// An item that a provider produced and handles itself, kept verbatim.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProviderItem {
    /// The wire API it came from (`anthropic`, `openai-responses`, ...); it is only sent back
    /// to the same API.
    pub api: String,
    /// The item's type as the provider names it (`web_search_call`, `server_tool_use`, ...).
    pub item_type: String,
    /// The item as sent.
    pub raw: Value,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn arguments_parse_like_the_wire() {
        assert_eq!(ToolCall::parse_arguments(""), json!({}));
        assert_eq!(ToolCall::parse_arguments("null"), json!({}));
        assert_eq!(ToolCall::parse_arguments("{\"a\":1}"), json!({"a":1}));
        assert_eq!(ToolCall::parse_arguments("{\"a\":"), json!("{\"a\":"));
    }

    #[test]
    fn parts_serialize_with_a_type_tag() {
        let v = serde_json::to_value(Part::text("hi")).unwrap();
        assert_eq!(v, json!({"type": "text", "text": "hi"}));
        let back: Part = serde_json::from_value(v).unwrap();
        assert_eq!(back, Part::text("hi"));
    }
}
