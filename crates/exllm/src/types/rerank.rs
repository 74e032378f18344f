//! Reranking: a query and documents in, documents ordered by relevance out.

use super::usage::Usage;
use super::JsonMap;
use serde::{Deserialize, Serialize};

/// A rerank request.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RerankRequest {
    /// `provider/model`.
    pub model: String,
    /// The query.
    pub query: String,
    /// The documents to order.
    pub documents: Vec<String>,
    /// Return only the best `top_n`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_n: Option<u32>,
    /// Merged into the provider's request body.
    #[serde(default, skip_serializing_if = "JsonMap::is_empty")]
    pub provider_options: JsonMap,
}

/// One scored document.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RerankResult {
    /// Index into the request's documents.
    pub index: usize,
    /// Relevance, higher is better.
    pub relevance_score: f64,
}

/// Documents by relevance, best first.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RerankResponse {
    /// The provider's response id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Scored documents, best first.
    pub results: Vec<RerankResult>,
    /// Usage, when reported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
}
