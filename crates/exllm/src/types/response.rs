//! A chat response in canonical form: content parts in order, finish reason, usage, and what the
//! cited sources, and what the provider sent beyond that (raw citation objects, logprobs,
//! ids) in `provider_meta`.

use super::citation::Citation;
use super::finish::{FinishKind, FinishReason};
use super::part::{Part, ToolCall};
use super::usage::Usage;
use super::JsonMap;
use serde::{Deserialize, Serialize};

/// A chat response. Streaming and non-streaming calls of the same answer give equal values.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use exllm::{ChatRequest, Client, FinishKind, Message};
/// // The built-in `mock` provider echoes the last user message, without a network.
/// let client = Client::builder().build().unwrap();
/// let req = ChatRequest::new("mock/echo", vec![Message::user("Hello")]);
/// let resp = client.chat(req).await.unwrap();
/// assert_eq!(resp.text(), "Hello");
/// assert_eq!(resp.finish_kind(), Some(FinishKind::Stop));
/// assert!(resp.tool_calls().is_empty());
/// if let Some(usage) = &resp.usage {
///     println!("{:?} tokens in, {:?} out", usage.input_tokens, usage.output_tokens);
/// }
/// # });
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChatResponse {
    /// The provider's response id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The model that answered, as the provider names it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// The answer's parts in order.
    pub content: Vec<Part>,
    /// Why the answer ended (`None` when the provider said nothing).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finish: Option<FinishReason>,
    /// Token usage (`None` when the provider reported none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
    /// The cost in USD, set by the client when the catalog prices the model and usage is
    /// known (codecs leave it `None`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost: Option<super::Cost>,
    /// The other choices when several were asked for (`n` > 1): index 1 onward, in order.
    /// The first choice is the response itself.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub alternatives: Vec<Alternative>,
    /// The service tier that served the request, as the provider names it (`default`,
    /// `flex`, `priority`, `standard`, ...), when it says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_tier: Option<String>,
    /// The sources the answer cites (web search, grounding), one per url in order of first
    /// appearance; the provider's own citation objects stay in `provider_meta`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub citations: Vec<Citation>,
    /// Everything else the provider sent that has no canonical field: citations, logprobs,
    /// search results, timings, system fingerprint, ...
    #[serde(default, skip_serializing_if = "JsonMap::is_empty")]
    pub provider_meta: JsonMap,
    /// How the router reached this answer: every attempt with its deployment, error kind and
    /// latency (`None` for a call not made through a router).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub route: Option<super::Route>,
    /// Settings the provider could not honour, and similar notices.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<Warning>,
    /// An error the provider reported inside a successful HTTP response (a failed Responses
    /// run, an error line in an Ollama stream).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ResponseError>,
}

impl ChatResponse {
    /// All visible text, concatenated in order.
    pub fn text(&self) -> String {
        self.content.iter().filter_map(Part::as_text).collect()
    }

    /// All reasoning text, concatenated in order.
    pub fn reasoning_text(&self) -> String {
        self.content
            .iter()
            .filter_map(|p| match p {
                Part::Reasoning(r) => Some(r.text.as_str()),
                _ => None,
            })
            .collect()
    }

    /// The caller's tool calls, in order.
    pub fn tool_calls(&self) -> Vec<&ToolCall> {
        self.content
            .iter()
            .filter_map(|p| match p {
                Part::ToolCall(c) => Some(c),
                _ => None,
            })
            .collect()
    }

    /// The normalised finish kind, if any.
    pub fn finish_kind(&self) -> Option<FinishKind> {
        self.finish.as_ref().map(|f| f.kind)
    }
}

/// Another choice of the same request (`n` > 1): its parts and why it ended.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Alternative {
    /// The provider's index of the choice (1 and up; 0 is the response itself).
    pub index: u32,
    /// The choice's parts in order.
    pub content: Vec<Part>,
    /// Why the choice ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finish: Option<FinishReason>,
}

impl Alternative {
    /// The choice's visible text.
    pub fn text(&self) -> String {
        self.content.iter().filter_map(Part::as_text).collect()
    }
}

/// A notice about the request: a setting the provider could not honour, a dropped part.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Warning {
    /// The setting concerned (`top_k`, `response_format`, ...), if one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub setting: Option<String>,
    /// What happened.
    pub message: String,
}

impl Warning {
    /// A warning about a setting the provider does not support; it was not sent.
    pub fn unsupported(setting: &str, provider: &str) -> Self {
        Warning {
            setting: Some(setting.to_owned()),
            message: format!("{provider} does not support `{setting}`; it was not sent"),
        }
    }
}

/// An error reported inside a successful HTTP response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResponseError {
    /// The provider's error code or type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// The provider's message.
    pub message: String,
}
