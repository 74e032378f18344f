//! Embeddings in canonical form: texts in, one vector per text out, in order.

use super::response::Warning;
use super::usage::Usage;
use super::JsonMap;
use serde::{Deserialize, Serialize};

/// What the embeddings will be used for (Cohere `input_type`, Gemini `taskType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum EmbedInputType {
    /// A search query.
    SearchQuery,
    /// A document to be searched.
    SearchDocument,
    /// Input to a classifier.
    Classification,
    /// Input to clustering.
    Clustering,
}

/// An embeddings request.
///
/// ```
/// use exllm::EmbedRequest;
/// let req = EmbedRequest::new("openai/text-embedding-3-small", ["cat", "kitten"]);
/// assert_eq!(req.inputs.len(), 2);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EmbedRequest {
    /// `provider/model`.
    pub model: String,
    /// The texts.
    pub inputs: Vec<String>,
    /// Output dimensions, where the model can shorten its vectors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dimensions: Option<u32>,
    /// What the vectors are for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_type: Option<EmbedInputType>,
    /// Merged into the provider's request body.
    #[serde(default, skip_serializing_if = "JsonMap::is_empty")]
    pub provider_options: JsonMap,
}

impl EmbedRequest {
    /// A request for `model` (`provider/model`) over `inputs`.
    pub fn new<S: Into<String>>(
        model: impl Into<String>,
        inputs: impl IntoIterator<Item = S>,
    ) -> Self {
        EmbedRequest {
            model: model.into(),
            inputs: inputs.into_iter().map(Into::into).collect(),
            ..Default::default()
        }
    }
}

/// Embeddings, one per input, in input order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EmbedResponse {
    /// The model, as the provider names it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// One vector per input.
    pub embeddings: Vec<Vec<f32>>,
    /// Token usage (input tokens), when reported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
    /// Settings the provider could not honour.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<Warning>,
}

impl EmbedResponse {
    /// Appends another batch's vectors and usage.
    pub fn extend(&mut self, other: EmbedResponse) {
        self.embeddings.extend(other.embeddings);
        for w in other.warnings {
            if !self.warnings.contains(&w) {
                self.warnings.push(w);
            }
        }
        if self.model.is_none() {
            self.model = other.model;
        }
        match (&mut self.usage, other.usage) {
            (Some(a), Some(b)) => a.add(&b),
            (a @ None, b) => *a = b,
            _ => {}
        }
    }
}
