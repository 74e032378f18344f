//! Local-model tests, as modules of one test binary (one link, not five).

mod common;

mod chat;
mod defaults;
mod embeddings;
mod errors;
#[cfg(feature = "ner")]
mod ner;
mod tiny_models;
mod tokenizer_ids;
mod tool_calls;
