//! # exllm-gateway
//!
//! `exllm serve`: an HTTP server that speaks the OpenAI and Anthropic APIs to its callers and
//! any provider exllm supports behind them. A request in either format is decoded into
//! exllm's canonical types, sent through the library's [`exllm::Client`] (or a router group),
//! and the answer is encoded back in the caller's format. The format codecs in [`wire`] are
//! pure functions over bytes and types, like the library's provider codecs, but run the other
//! way round: they decode requests and encode responses.

#![warn(missing_docs)]

pub mod auth;
pub mod budget;
pub mod config;
pub mod errors;
pub mod guard;
pub mod keys;
pub mod ledger;
pub mod metrics;
#[cfg(feature = "postgres")]
pub mod pg;
pub mod server;
pub mod shared;
pub mod wire;

pub use config::GatewayConfig;
pub use server::{chat, run, Gateway};
