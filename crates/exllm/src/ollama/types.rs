//! Request and response types of Ollama's management and generate endpoints.

use crate::error::{Error, ErrorKind, Result};
use crate::types::JsonMap;
use crate::wire::Frame;
use crate::wire::StreamDecoder;
use futures_core::Stream;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::pin::Pin;

/// A model on the server (`/api/tags`).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct LocalModel {
    /// `name:tag`.
    pub name: String,
    /// Last modified, as the server formats it.
    #[serde(default)]
    pub modified_at: Option<String>,
    /// Size in bytes.
    #[serde(default)]
    pub size: Option<u64>,
    /// Manifest digest.
    #[serde(default)]
    pub digest: Option<String>,
    /// Format, family, parameter size, quantization.
    #[serde(default)]
    pub details: Option<Value>,
}

/// A model loaded in memory (`/api/ps`).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct RunningModel {
    /// `name:tag`.
    pub name: String,
    /// Size in bytes.
    #[serde(default)]
    pub size: Option<u64>,
    /// Bytes in GPU memory.
    #[serde(default)]
    pub size_vram: Option<u64>,
    /// When it will be unloaded.
    #[serde(default)]
    pub expires_at: Option<String>,
    /// Format, family, parameter size, quantization.
    #[serde(default)]
    pub details: Option<Value>,
}

/// One progress line of pull, push or create.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct Progress {
    /// What the server is doing (`pulling manifest`, `success`, ...).
    pub status: String,
    /// The layer being transferred.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// Bytes in the layer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<u64>,
    /// Bytes done.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed: Option<u64>,
}

/// A stream of [`Progress`] lines; an `{"error": ...}` line ends it with an error.
pub type ProgressStream = Pin<Box<dyn Stream<Item = Result<Progress>> + Send>>;

/// A raw-prompt generation (`/api/generate`).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct GenerateRequest {
    /// The model.
    pub model: String,
    /// The prompt.
    pub prompt: String,
    /// Text after the insertion point (fill-in-the-middle).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suffix: Option<String>,
    /// Overrides the model's system prompt.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    /// Overrides the model's template.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub template: Option<String>,
    /// The `context` of a previous answer, to continue a conversation.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub context: Vec<i64>,
    /// Base64 images.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<String>,
    /// `"json"` or a JSON Schema.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub format: Option<Value>,
    /// Model parameters (`num_ctx`, `num_gpu`, `temperature`, ...).
    #[serde(skip_serializing_if = "JsonMap::is_empty")]
    pub options: JsonMap,
    /// Send the prompt without the template.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub raw: Option<bool>,
    /// How long the model stays loaded (`5m`, `0`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keep_alive: Option<Value>,
    /// Thinking on/off or a level.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub think: Option<Value>,
}

/// A generation, whole or one streamed piece of it.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
pub struct GenerateResponse {
    /// The model.
    #[serde(default)]
    pub model: String,
    /// When the server produced it.
    #[serde(default)]
    pub created_at: Option<String>,
    /// Generated text.
    #[serde(default)]
    pub response: String,
    /// Thinking text.
    #[serde(default)]
    pub thinking: Option<String>,
    /// Whether this is the last piece.
    #[serde(default)]
    pub done: bool,
    /// Why it ended (`stop`, `length`).
    #[serde(default)]
    pub done_reason: Option<String>,
    /// Pass back in the next request to continue.
    #[serde(default)]
    pub context: Vec<i64>,
    /// Prompt tokens.
    #[serde(default)]
    pub prompt_eval_count: Option<u64>,
    /// Generated tokens.
    #[serde(default)]
    pub eval_count: Option<u64>,
    /// Nanoseconds spent in total, loading, on the prompt and generating.
    #[serde(default)]
    pub total_duration: Option<u64>,
    /// Nanoseconds loading the model.
    #[serde(default)]
    pub load_duration: Option<u64>,
    /// Nanoseconds on the prompt.
    #[serde(default)]
    pub prompt_eval_duration: Option<u64>,
    /// Nanoseconds generating.
    #[serde(default)]
    pub eval_duration: Option<u64>,
}

/// Decodes NDJSON lines of `T`, turning `{"error": ...}` lines into errors and noting whether
/// the terminal line (`done` / `success`) arrived.
pub(crate) struct LineDecoder<T> {
    is_last: fn(&T) -> bool,
    ended: bool,
}

impl<T> LineDecoder<T> {
    pub(crate) fn new(is_last: fn(&T) -> bool) -> Self {
        LineDecoder {
            is_last,
            ended: false,
        }
    }
}

impl<T: serde::de::DeserializeOwned + Send> StreamDecoder<T> for LineDecoder<T> {
    fn decode(&mut self, frame: Frame<'_>, out: &mut Vec<T>) -> Result<()> {
        let v: Value = serde_json::from_slice(frame.data)
            .map_err(|e| crate::provider::decode_error("Ollama stream line", frame.data, e))?;
        if let Some(e) = v.get("error") {
            let msg = e
                .as_str()
                .map(str::to_owned)
                .unwrap_or_else(|| e.to_string());
            let lower = msg.to_ascii_lowercase();
            let kind = if lower.contains("not found") || lower.contains("does not exist") {
                ErrorKind::NotFound
            } else if lower.contains("unauthorized") || lower.contains("permission denied") {
                ErrorKind::Auth
            } else {
                ErrorKind::Server
            };
            return Err(Error::new(kind, msg).with_provider("ollama"));
        }
        let item: T = serde_json::from_value(v).map_err(|e| {
            Error::new(
                ErrorKind::Decode,
                format!("unexpected Ollama stream line: {e}"),
            )
        })?;
        self.ended |= (self.is_last)(&item);
        out.push(item);
        Ok(())
    }

    fn finish(&mut self, _out: &mut Vec<T>) -> Result<()> {
        crate::provider::decode::ended(self.ended, "the Ollama stream ended before its last line")
            .map_err(|e| e.with_provider("ollama"))
    }
}
