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
//!
//! ## What is stable
//!
//! The crate is at 0.1; within 0.1.x these are meant to keep their shape, changing only by
//! additions (the public enums are `#[non_exhaustive]`, and the structs have `Default`: fill
//! them with `..Default::default()` and a new field breaks nothing):
//!
//! - the canonical types ([`types`], re-exported at the root): [`ChatRequest`], [`Message`],
//!   [`Part`], [`ChatResponse`], [`StreamEvent`], [`Usage`], [`EmbedRequest`], ...;
//! - the client: [`Client`], [`ClientBuilder`], [`ChatStream`], [`Collector`],
//!   [`client::ToolSet`], and the `provider/model` naming of models;
//! - [`Error`] with its [`ErrorKind`] and accessors;
//! - the catalog's lookups, [`catalog::Cost`] and [`catalog::CostTracker`]; [`cache::Cache`];
//!   [`session::Session`] and its versioned file format; [`ollama::Ollama`];
//! - the configuration structs the builder takes: [`RetryPolicy`], [`Timeouts`],
//!   [`transport::BreakerPolicy`], [`cache::CachePolicy`];
//! - [`ClientBuilder::http_client`], the one escape hatch to the HTTP stack, with [`reqwest`]
//!   re-exported for it (its major version may change with exllm's minor version).
//!
//! Still moving, and free to change in any release:
//!
//! - [`provider`]: the [`provider::Codec`] trait, the codecs themselves,
//!   [`provider::Endpoint`], [`provider::Quirks`] and the [`provider::registry`] rows;
//! - [`wire`]: frames and framers, [`wire::StreamDecoder`], [`wire::Signer`];
//! - [`transport`]: [`transport::HttpTransport`], the credentialed signers (SigV4, Google
//!   OAuth), the breaker;
//! - [`telemetry`]: span and metric names follow the still-experimental OpenTelemetry GenAI
//!   conventions, and the `telemetry::otlp` exporter (feature `otlp`) follows the
//!   `opentelemetry` crates;
//! - [`tokens`] counting rules and estimates, [`context`] strategies, [`recovery`] internals.
//!
//! ## Layers
//!
//! Imports run one way, each layer reaching only those before it (`scripts/layer-check`
//! enforces it): [`types`] (with [`Error`] and [`Collector`]) → [`wire`] → [`media`] →
//! [`provider`] (pure codecs) beside [`transport`] (HTTP; neither knows the other) →
//! [`catalog`] → [`stream`] → [`cache`], [`telemetry`], [`recovery`] → [`client`] →
//! [`structured`], [`session`], [`ollama`], [`guardrails`], [`usage`] → [`router`] (which
//! applies a group's guardrails) → [`batch`] (whose client-side batches run under a router),
//! with [`tokens`] and [`context`] as helpers below the features.

#![warn(missing_docs)]

mod base64;
pub mod batch;
pub mod cache;
pub mod catalog;
pub mod client;
mod collector;
pub mod context;
mod error;
pub mod guardrails;
pub mod media;
pub mod ollama;
pub mod provider;
pub mod recovery;
pub mod router;
pub mod session;
pub mod similarity;
pub mod stream;
pub mod structured;
pub mod telemetry;
pub mod tokens;
pub mod transport;
pub mod types;
pub mod usage;
pub mod wire;

pub use client::{Backend, ChatStream, Client, ClientBuilder, MockProvider};
pub use collector::Collector;
pub use error::{Error, ErrorKind, Result, TimeoutKind};
pub use provider::Api;
pub use types::*;

/// The reqwest exllm is built on, for [`ClientBuilder::http_client`] (exllm's one escape hatch
/// to its HTTP stack): build the `reqwest::Client` with this path and the versions match.
pub use reqwest;

/// The guides in `docs/` at the workspace root, compiled and run as doc tests so that every
/// Rust block in them keeps working (blocks of other crates are marked `ignore`).
#[cfg(doctest)]
mod guides {
    #[doc = include_str!("../../../docs/migrate-litellm.md")]
    struct MigrateLitellm;
    #[doc = include_str!("../../../docs/migrate-async-openai.md")]
    struct MigrateAsyncOpenai;
    #[doc = include_str!("../../../docs/migrate-genai.md")]
    struct MigrateGenai;
    #[doc = include_str!("../../../docs/migrate-rig.md")]
    struct MigrateRig;
    #[doc = include_str!("../../../docs/migrate-exllm.md")]
    struct MigrateExllm;
    #[doc = include_str!("../../../docs/writing-a-provider.md")]
    struct WritingAProvider;
    #[doc = include_str!("../../../docs/providers.md")]
    struct Providers;
    #[doc = include_str!("../../../docs/context.md")]
    struct Context;
    #[cfg_attr(feature = "usage-log", doc = include_str!("../../../docs/cost.md"))]
    struct Cost;
}
