use super::*;
use crate::error::ErrorKind;
use crate::provider::test_support::{
    bearer, call, collect, finish_of, settings, sorted_settings, sse, typed_frames, TestCodec,
};
use crate::types::ResponseFormat;
use crate::types::{
    CacheBreakpoint, ImageDetail, Message, Reasoning, ReasoningConfig, ReasoningEffort, Tool,
    ToolResult,
};

mod decode;
mod encode;
mod stream;

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

fn endpoint() -> Endpoint {
    bearer("openai", "https://api.openai.com/v1", "sk-test-key")
}

const CODEC: TestCodec = TestCodec::new(&OpenAiResponsesCodec, "gpt-4.1", endpoint);

const CREATED: &str = r#"{"type":"response.created","sequence_number":0,"response":{"id":"resp_s","object":"response","status":"in_progress","model":"gpt-4.1","output":[]}}"#;
