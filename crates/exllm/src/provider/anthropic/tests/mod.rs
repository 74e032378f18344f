use super::*;
use crate::error::ErrorKind;
use crate::provider::test_support::{
    call, collect, finish_of, header_key, sorted_settings, sse, typed_frames, TestCodec,
};
use crate::provider::Codec;
use crate::types::{
    CacheBreakpoint, ImageDetail, ReasoningConfig, ResponseFormat, Tool, ToolResult,
};

mod decode;
mod encode;
mod stream;

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

fn endpoint() -> Endpoint {
    let mut ep = header_key(
        "anthropic",
        "https://api.anthropic.com/v1",
        "x-api-key",
        "sk-ant-test",
    );
    ep.headers
        .push(("anthropic-version".into(), "2023-06-01".into()));
    ep
}

const CODEC: TestCodec = TestCodec::new(&AnthropicCodec, "claude-sonnet-4-5", endpoint);

const START: &str = r#"{"type":"message_start","message":{"id":"msg_s","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":10,"output_tokens":1}}}"#;
const END_TURN: &str = r#"{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":5}}"#;
const STOP: &str = r#"{"type":"message_stop"}"#;

fn fixture(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}
