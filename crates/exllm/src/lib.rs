//! # exllm
//!
//! One Rust API for every large-language-model provider. A request names its model as
//! `provider/model`; the [`Client`] routes it through that provider's codec — a pure
//! function pair from canonical types to the provider's wire format and back — over a shared
//! transport. Streaming and non-streaming answers fold into the same [`ChatResponse`].
//!
//! ```no_run
//! # async fn run() -> exllm::Result<()> {
//! use exllm::{ChatRequest, Client, Message};
//! let client = Client::from_env()?;
//! let req = ChatRequest::new("anthropic/claude-sonnet-4-5", vec![
//!     Message::system("Answer in one word."),
//!     Message::user("Capital of France?"),
//! ]);
//! let resp = client.chat(req).await?;
//! println!("{} ({:?})", resp.text(), resp.usage);
//! # Ok(()) }
//! ```

#![warn(missing_docs)]

pub mod cache;
pub mod catalog;
pub mod client;
mod collector;
pub mod context;
mod error;
pub mod media;
pub mod ollama;
pub mod provider;
pub mod recovery;
pub mod router;
pub mod session;
pub mod similarity;
pub mod structured;
pub mod telemetry;
pub mod tokens;
pub mod transport;
pub mod types;

pub use client::{ChatProvider, ChatStream, Client, ClientBuilder};
pub use collector::Collector;
pub use error::{Error, ErrorKind, Result, TimeoutKind};
pub use provider::{Api, MockProvider};
pub use types::*;
