//! A chat request in canonical form: messages, tools and every generation setting, plus
//! `provider_options` for anything a provider offers that the canonical form does not name.

use super::message::Message;
use super::JsonMap;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A chat request. Plain public fields with `Default`, plus `with_*` setters for chaining.
///
/// ```
/// use exllm::{ChatRequest, Message};
/// let req = ChatRequest::new("openai/gpt-4o-mini", vec![Message::user("Hello")])
///     .with_max_tokens(100)
///     .with_temperature(0.2);
/// assert_eq!(req.max_tokens, Some(100));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChatRequest {
    /// `provider/model` (the client picks the provider from the part before the first `/`).
    pub model: String,
    /// The conversation.
    pub messages: Vec<Message>,
    /// The caller's tools.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<Tool>,
    /// Whether and which tool the model must call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_choice: Option<ToolChoice>,
    /// Whether the model may call several tools at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parallel_tool_calls: Option<bool>,
    /// Sampling temperature.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    /// Nucleus sampling.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f64>,
    /// Top-k sampling (where supported).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_k: Option<u32>,
    /// Maximum output tokens (sent as `max_completion_tokens`, `max_output_tokens`,
    /// `max_tokens`... as each API names it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
    /// Stop sequences.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stop: Vec<String>,
    /// Sampling seed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// Number of choices (only the first is decoded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n: Option<u32>,
    /// Frequency penalty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frequency_penalty: Option<f64>,
    /// Presence penalty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub presence_penalty: Option<f64>,
    /// Text, JSON object or JSON Schema output.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_format: Option<ResponseFormat>,
    /// Reasoning effort or thinking budget.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning: Option<ReasoningConfig>,
    /// Service tier (`auto`, `flex`, `priority`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_tier: Option<String>,
    /// A predicted output: text most of the answer is expected to repeat (a file being
    /// edited), which lets the provider generate faster (OpenAI Chat Completions
    /// `prediction`; other APIs warn that it was not sent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prediction: Option<String>,
    /// An end-user id for abuse monitoring.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Ask for a spoken answer too (OpenAI audio models, `gpt-4o-audio-preview`): sent as
    /// `modalities: ["text", "audio"]` and `audio: {voice, format}`; the answer's audio is a
    /// [`super::Part::Audio`]. Only Chat Completions sends it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audio: Option<AudioOutput>,
    /// Return log probabilities.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logprobs: Option<bool>,
    /// How many alternatives per token with `logprobs`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_logprobs: Option<u8>,
    /// A JSON object merged into the provider's request body last (objects merge key by key,
    /// anything else replaces), so any provider field works without a new release.
    #[serde(default, skip_serializing_if = "JsonMap::is_empty")]
    pub provider_options: JsonMap,
    /// This call's timeouts, replacing the client's (not part of the wire request).
    #[serde(skip)]
    pub timeouts: Option<super::Timeouts>,
    /// This call's retry policy, replacing the client's ([`super::RetryPolicy::none`]
    /// opts out; not part of the wire request).
    #[serde(skip)]
    pub retry: Option<super::RetryPolicy>,
    /// This call's cache policy, replacing the client cache's ([`super::CachePolicy`];
    /// not part of the wire request nor of the cache key).
    #[serde(skip)]
    pub cache: Option<super::CachePolicy>,
}

/// The spoken answer asked for with [`ChatRequest::audio`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AudioOutput {
    /// The voice (`alloy`, `ash`, `ballad`, `coral`, `echo`, `sage`, `shimmer`, `verse`, ...).
    pub voice: String,
    /// The audio format (`wav`, `mp3`, `flac`, `opus`, `pcm16`; streams need `pcm16`).
    pub format: String,
}

impl Default for AudioOutput {
    fn default() -> Self {
        AudioOutput {
            voice: "alloy".into(),
            format: "wav".into(),
        }
    }
}

impl ChatRequest {
    /// This request as sent to `model`: itself when it already names it, else a copy that
    /// does (for callers that lend a request to be sent under another model name).
    pub(crate) fn for_model(&self, model: &str) -> std::borrow::Cow<'_, ChatRequest> {
        if self.model == model {
            return std::borrow::Cow::Borrowed(self);
        }
        let mut copy = self.clone();
        model.clone_into(&mut copy.model);
        std::borrow::Cow::Owned(copy)
    }

    /// A request for `model` (`provider/model`) with the given messages.
    pub fn new(model: impl Into<String>, messages: Vec<Message>) -> Self {
        ChatRequest {
            model: model.into(),
            messages,
            ..Default::default()
        }
    }

    /// Sets the output token limit.
    pub fn with_max_tokens(mut self, n: u32) -> Self {
        self.max_tokens = Some(n);
        self
    }

    /// Sets the temperature.
    pub fn with_temperature(mut self, t: f64) -> Self {
        self.temperature = Some(t);
        self
    }

    /// Adds a tool.
    pub fn with_tool(mut self, tool: Tool) -> Self {
        self.tools.push(tool);
        self
    }

    /// Sets the tool choice.
    pub fn with_tool_choice(mut self, choice: ToolChoice) -> Self {
        self.tool_choice = Some(choice);
        self
    }

    /// Sets the response format.
    pub fn with_response_format(mut self, format: ResponseFormat) -> Self {
        self.response_format = Some(format);
        self
    }

    /// Sets the reasoning configuration.
    pub fn with_reasoning(mut self, reasoning: ReasoningConfig) -> Self {
        self.reasoning = Some(reasoning);
        self
    }

    /// Sets this call's timeouts.
    pub fn with_timeouts(mut self, t: super::Timeouts) -> Self {
        self.timeouts = Some(t);
        self
    }

    /// Sets this call's retry policy.
    pub fn with_retry(mut self, r: super::RetryPolicy) -> Self {
        self.retry = Some(r);
        self
    }

    /// Sets one provider option (merged into the wire body).
    pub fn with_provider_option(mut self, key: impl Into<String>, value: Value) -> Self {
        self.provider_options.insert(key.into(), value);
        self
    }
}

/// A function the model may call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Tool {
    /// The name the model calls it by.
    pub name: String,
    /// What it does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// JSON Schema of its arguments.
    pub parameters: Value,
    /// Ask for strict schema adherence where the provider offers it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strict: Option<bool>,
}

impl Tool {
    /// A tool with a name, description and JSON Schema for its arguments.
    pub fn new(name: impl Into<String>, description: impl Into<String>, parameters: Value) -> Self {
        Tool {
            name: name.into(),
            description: Some(description.into()),
            parameters,
            strict: None,
        }
    }

    /// A tool whose arguments are the Rust type `A`, its JSON Schema from `schemars`.
    ///
    /// ```
    /// #[derive(schemars::JsonSchema)]
    /// struct Add { a: f64, b: f64 }
    /// let t = exllm::Tool::for_type::<Add>("add", "Adds two numbers");
    /// assert_eq!(t.parameters["properties"]["a"]["type"], "number");
    /// ```
    pub fn for_type<A: schemars::JsonSchema>(
        name: impl Into<String>,
        description: impl Into<String>,
    ) -> Self {
        let mut parameters = super::schema::schema_of::<A>();
        if let Some(o) = parameters.as_object_mut() {
            // The title is the Rust type's name, of no use to the model.
            o.remove("title");
        }
        Tool::new(name, description, parameters)
    }

    /// The parameters schema, or an empty object schema when none was given.
    pub fn parameters_or_empty(&self) -> Value {
        if self.parameters.is_null() {
            serde_json::json!({"type": "object", "properties": {}})
        } else {
            self.parameters.clone()
        }
    }
}

/// Whether and which tool the model must call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ToolChoice {
    /// The model decides.
    Auto,
    /// No tool calls.
    None,
    /// At least one tool call.
    Required,
    /// This tool.
    Tool(String),
}

/// The shape of the output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ResponseFormat {
    /// Free text.
    Text,
    /// Any JSON object.
    JsonObject,
    /// JSON matching a schema.
    JsonSchema {
        /// A name for the schema.
        name: String,
        /// The JSON Schema.
        schema: Value,
        /// What the output is.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        description: Option<String>,
        /// Strict adherence where offered.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        strict: Option<bool>,
    },
}

/// How hard a reasoning model should think.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum ReasoningEffort {
    /// No reasoning where the model allows it.
    None,
    /// Minimal.
    Minimal,
    /// Low.
    Low,
    /// Medium.
    Medium,
    /// High.
    High,
}

impl ReasoningEffort {
    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            ReasoningEffort::None => "none",
            ReasoningEffort::Minimal => "minimal",
            ReasoningEffort::Low => "low",
            ReasoningEffort::Medium => "medium",
            ReasoningEffort::High => "high",
        }
    }

    /// A thinking budget in tokens for providers that take a budget rather than an effort.
    pub fn budget_tokens(self) -> u32 {
        match self {
            ReasoningEffort::None => 0,
            ReasoningEffort::Minimal | ReasoningEffort::Low => 1024,
            ReasoningEffort::Medium => 2048,
            ReasoningEffort::High => 4096,
        }
    }
}

/// Reasoning settings: an effort, a token budget, or both.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReasoningConfig {
    /// The effort level.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effort: Option<ReasoningEffort>,
    /// A thinking budget in tokens (Anthropic, Gemini, Bedrock).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget_tokens: Option<u32>,
    /// Ask for a reasoning summary (OpenAI Responses: `auto`, `concise`, `detailed`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
}

impl ReasoningConfig {
    /// The budget: the explicit one, else one derived from the effort.
    pub fn budget(&self) -> Option<u32> {
        self.budget_tokens
            .or_else(|| self.effort.map(ReasoningEffort::budget_tokens))
    }
}
