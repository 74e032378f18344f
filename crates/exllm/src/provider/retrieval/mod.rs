//! Embeddings and reranking codecs, one file per wire format (`rerank` is the
//! Jina / Voyage / Together `/rerank` that OpenAI-compatible hosts serve). Pure functions like the chat
//! codecs; each chat codec's `encode_embed` / `decode_embed` / `encode_rerank` delegate here so
//! the chat files stay about chat.

pub(crate) mod bedrock;
pub(crate) mod cohere;
pub(crate) mod gemini;
pub(crate) mod ollama;
pub(crate) mod openai;
pub(crate) mod rerank;

use crate::types::Usage;
use serde_json::Value;

/// Reads an embedding: a JSON array of numbers, or a base64 string of little-endian `f32`s
/// (what `encoding_format: "base64"` asks for, and Voyage or OpenAI clients often do).
pub(crate) fn vector(v: &Value) -> Option<Vec<f32>> {
    match v {
        Value::Array(a) => a.iter().map(|x| x.as_f64().map(|f| f as f32)).collect(),
        Value::String(s) => {
            let bytes = crate::media::base64::decode(s)?;
            if bytes.len() % 4 != 0 {
                return None;
            }
            let floats = bytes
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]));
            Some(floats.collect())
        }
        _ => None,
    }
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
mod compat_tests;
#[cfg(test)]
mod tests;
