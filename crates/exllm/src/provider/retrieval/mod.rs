//! Embeddings and reranking codecs, one file per wire format. Pure functions like the chat
//! codecs; each chat codec's `encode_embed` / `decode_embed` / `encode_rerank` delegate here so
//! the chat files stay about chat.

pub(crate) mod bedrock;
pub(crate) mod cohere;
pub(crate) mod gemini;
pub(crate) mod ollama;
pub(crate) mod openai;

use crate::types::Usage;
use serde_json::Value;

/// Reads a JSON array of numbers as an `f32` vector.
pub(crate) fn vector(v: &Value) -> Option<Vec<f32>> {
    v.as_array()?
        .iter()
        .map(|x| x.as_f64().map(|f| f as f32))
        .collect()
}

/// Usage with only an input count.
pub(crate) fn input_usage(n: Option<u64>, raw: Option<Value>) -> Option<Usage> {
    n.map(|n| Usage {
        input_tokens: Some(n),
        output_tokens: Some(0),
        raw: raw.map(Into::into),
        ..Default::default()
    })
}

#[cfg(test)]
mod tests;
