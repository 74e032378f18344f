//! The Gemini codec's tests, by direction: encoding requests, decoding whole answers, and
//! decoding streams (with the odd shapes recorded answers take).

mod decode;
mod encode;
mod media;
mod stream;

use super::*;
use crate::error::ErrorKind;
use crate::provider::test_support::{
    collect, data_frames, finish_of, fixture_pair, header_key, sse_data, TestCodec,
};
use crate::types::{CacheBreakpoint, Message, Reasoning, ReasoningConfig, Tool, ToolResult};
use crate::types::{ProviderItem, StreamEvent, ToolCall};

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

const BASE: &str = "https://generativelanguage.googleapis.com/v1beta";
const CALL_SIG: &str = "CsQCAVSoXO4exllmSigCallZz9y8x7";

fn endpoint() -> Endpoint {
    header_key("gemini", BASE, "x-goog-api-key", "AIza-test-key")
}

const CODEC: TestCodec = TestCodec::new(&GeminiCodec, "gemini-2.5-flash", endpoint);

/// One named value of `fixtures/edge_cases.json`.
fn edge(name: &str) -> Value {
    let all: Value = serde_json::from_str(include_str!("fixtures/edge_cases.json")).unwrap();
    all[name].clone()
}

/// A named `edge_cases.json` list as SSE `data` payloads.
fn edge_chunks(name: &str) -> Vec<String> {
    edge(name)
        .as_array()
        .unwrap()
        .iter()
        .map(Value::to_string)
        .collect()
}

fn signature_only(sig: &str) -> Part {
    Part::Reasoning(Reasoning {
        signature: Some(sig.into()),
        ..Default::default()
    })
}
