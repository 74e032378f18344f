//! The canonical type model: one set of types that every provider's codec maps to and from.
//!
//! Requests, messages and their parts, responses, usage, finish reasons and stream events live
//! here, one concept per file. Nothing in this module knows about HTTP or any provider's wire
//! format, so the same values flow through every codec, the collector and the CLI.

mod batch;
mod cache_policy;
mod cached_content;
mod citation;
mod cost;
mod embed;
mod file;
mod finish;
mod image;
mod message;
mod moderation;
mod part;
mod raw_json;
mod request;
mod rerank;
mod response;
mod retry;
mod route;
pub mod schema;
mod secret;
mod speech;
mod stream;
mod timeouts;
mod transcription;
mod usage;

pub use batch::{BatchApi, BatchCounts, BatchJob, BatchPage, BatchResult, BatchStatus};
pub use cache_policy::CachePolicy;
pub use cached_content::{CachedContent, CachedContentCreate, CachedContentList};
pub use citation::Citation;
pub use cost::Cost;
pub use embed::{EmbedInputType, EmbedRequest, EmbedResponse};
pub(crate) use file::epoch_seconds;
pub use file::{FileList, FileObject};
pub use finish::{FinishKind, FinishReason};
pub use image::{GeneratedImage, ImageOutput, ImageRequest, ImageResponse};
pub use message::{Message, Role};
pub use moderation::{ModerationCategory, ModerationRequest, ModerationResponse, ModerationResult};
pub use part::{
    AudioPart, CacheBreakpoint, ImageDetail, MediaSource, Part, ProviderItem, Reasoning, ToolCall,
    ToolResult,
};
pub use raw_json::RawJson;
pub use request::{
    AudioOutput, ChatRequest, ReasoningConfig, ReasoningEffort, ResponseFormat, Tool, ToolChoice,
};
pub use rerank::{RerankRequest, RerankResponse, RerankResult};
pub use response::{Alternative, ChatResponse, ResponseError, Warning};
pub use retry::RetryPolicy;
pub use route::{Route, RouteAttempt, ROUTE_KEY};
pub use secret::{is_credential_header, Secret};
pub use speech::{AudioFormat, SpeechRequest, SpeechResponse};
pub use stream::{response_to_events, StreamEvent};
pub use timeouts::Timeouts;
pub use transcription::{
    TimestampGranularity, TranscriptFormat, TranscriptSegment, TranscriptWord, Transcription,
    TranscriptionRequest,
};
pub use usage::{Usage, UsageDetails};

/// A JSON object, used for `provider_options` and `provider_meta`.
pub type JsonMap = serde_json::Map<String, serde_json::Value>;
