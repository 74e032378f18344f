use super::*;
use crate::error::ErrorKind;
use crate::provider::test_support::{
    bearer, call, collect, data_frames, finish_of, settings, split, sse, TestCodec,
};
use crate::provider::Auth;
use crate::types::{
    Alternative, CacheBreakpoint, Citation, ImageDetail, MediaSource, Message, Part, ProviderItem,
    Reasoning, ReasoningConfig, ReasoningEffort, ResponseFormat, Role, Secret, Tool, ToolChoice,
    ToolResult,
};
use serde_json::json;

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

fn endpoint() -> Endpoint {
    bearer("openai", "https://api.openai.com/v1/", "sk-test-key")
}

const CODEC: TestCodec = TestCodec::new(&OpenAiChatCodec, "gpt-4o-mini", endpoint);

mod audio;
mod decode;
mod encode;
mod stream;
