//! Structured output: answers as Rust values. A request is prepared for the provider's best
//! strategy — its native JSON Schema mode, a forced call of a tool whose parameters are the
//! schema, or JSON instructions — and the answer is extracted, validated against the schema
//! and deserialised; a failure is sent back to the model, which gets another try.

mod extract;
mod generate;
mod plan;
mod stream;

pub use crate::types::schema::{is_strict_compatible, schema_of, Validator};
pub use extract::{extract_json, partial_json};
pub use generate::Generated;
pub use stream::{StructuredEvent, StructuredStream};

use crate::catalog::ModelEntry;
use crate::provider::Api;
use serde::{Deserialize, Serialize};

/// How the model is asked for JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum OutputStrategy {
    /// The provider's own schema mode (OpenAI `json_schema`, Gemini `responseJsonSchema`,
    /// Ollama `format`, Cohere `json_object` with a schema).
    NativeSchema,
    /// A forced call of one tool whose parameters are the schema (Anthropic, Bedrock, and
    /// models without a schema mode but with tools).
    ToolCall,
    /// The schema in the system prompt, the JSON read from the text.
    JsonInstructions,
}

impl OutputStrategy {
    /// The best strategy for an API (`None`: a provider that is not an HTTP codec, such as a
    /// local model or the mock) and what the catalog says of the model.
    ///
    /// ```
    /// use exllm::structured::OutputStrategy;
    /// use exllm::Api;
    /// assert_eq!(OutputStrategy::choose(Some(Api::Anthropic), None), OutputStrategy::ToolCall);
    /// assert_eq!(OutputStrategy::choose(Some(Api::Gemini), None), OutputStrategy::NativeSchema);
    /// assert_eq!(OutputStrategy::choose(None, None), OutputStrategy::JsonInstructions);
    /// ```
    pub fn choose(api: Option<Api>, model: Option<&ModelEntry>) -> Self {
        let flag = |f: &str| model.and_then(|m| m.supports(f)) != Some(false);
        let (native, tools) = (flag("response_schema"), flag("function_calling"));
        match api {
            // Replicate models and SageMaker text-generation bodies take neither tools nor a
            // schema through one common input.
            Some(Api::Replicate | Api::SageMaker) => OutputStrategy::JsonInstructions,
            Some(Api::Anthropic | Api::Bedrock) if tools => OutputStrategy::ToolCall,
            _ if native && has_json_modes(api) => OutputStrategy::NativeSchema,
            Some(_) if tools => OutputStrategy::ToolCall,
            _ => OutputStrategy::JsonInstructions,
        }
    }
}

/// Whether the API has a JSON output mode and a JSON Schema mode of its own.
fn has_json_modes(api: Option<Api>) -> bool {
    matches!(
        api,
        Some(Api::OpenAiChat | Api::OpenAiResponses | Api::Gemini | Api::Ollama | Api::Cohere)
    )
}

/// Settings for [`crate::Client::generate_with`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenerateOptions {
    /// The strategy (`None`: chosen from the provider and the catalog).
    pub strategy: Option<OutputStrategy>,
    /// How many more tries after an answer that does not parse or match the schema.
    pub max_retries: u32,
    /// The schema's name (the tool name in the tool-call strategy).
    pub name: String,
    /// What the output is, shown to the model.
    pub description: Option<String>,
}

impl Default for GenerateOptions {
    fn default() -> Self {
        GenerateOptions {
            strategy: None,
            max_retries: 2,
            name: "output".into(),
            description: None,
        }
    }
}

impl GenerateOptions {
    /// Forces a strategy.
    pub fn with_strategy(mut self, s: OutputStrategy) -> Self {
        self.strategy = Some(s);
        self
    }

    /// Sets the number of retries after an invalid answer.
    pub fn with_max_retries(mut self, n: u32) -> Self {
        self.max_retries = n;
        self
    }
}
