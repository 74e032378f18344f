//! Ollama's native server API beyond chat: model management (list, show, copy, delete, pull,
//! push, create, running models, version), raw generation with `context`, and blob upload.
//! Chat and embeddings go through the ordinary [`crate::Client`] (`ollama/<model>`); this
//! module covers what only Ollama has. Requests are plain JSON built here, bodies are decoded
//! with serde, and the NDJSON progress streams reuse the shared framing.

mod blob;
mod client;
mod types;

pub use client::{describe, Ollama};
pub use types::{
    GenerateRequest, GenerateResponse, LocalModel, Progress, ProgressStream, RunningModel,
};
