//! Helpers the test files share: a client aimed at the test server, the usual messages and
//! tool, and the ways a test reads a stream.

use super::{TestServer, KEY};
use std::time::Duration;

/// A retry policy with 1 ms backoff, to keep tests fast.
pub fn fast_retry(max_retries: u32) -> exllm::transport::RetryPolicy {
    exllm::transport::RetryPolicy {
        max_retries,
        base_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(5),
        ..Default::default()
    }
}

/// A client sending `provider` to `server` with [`KEY`], reading no process environment.
pub fn client_for(provider: &str, server: &TestServer, retries: u32) -> exllm::Client {
    exllm::Client::builder()
        .env_lookup(|_| None)
        .base_url(provider, server.url())
        .api_key(provider, KEY)
        .retry(fast_retry(retries))
        .build()
        .expect("client builds")
}

/// Fails when the key shows in the error's `Debug` or `Display` form.
pub fn assert_no_key(err: &exllm::Error) {
    let debug = format!("{err:?}");
    let display = err.to_string();
    assert!(!debug.contains(KEY), "key leaked in Debug: {debug}");
    assert!(!display.contains(KEY), "key leaked in Display: {display}");
}

/// A system and a user message.
pub fn hello_messages() -> Vec<exllm::Message> {
    vec![
        exllm::Message::system("Be brief."),
        exllm::Message::user("Say hello"),
    ]
}

/// The weather tool the tool-call tests offer.
pub fn weather_tool() -> exllm::Tool {
    exllm::Tool::new(
        "get_weather",
        "Current weather for a city",
        serde_json::json!({
            "type": "object",
            "properties": {
                "city": {"type": "string"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}
            },
            "required": ["city"]
        }),
    )
}

/// The arguments the tool-call fixtures carry.
pub fn weather_args() -> serde_json::Value {
    serde_json::json!({"city": "Paris", "unit": "celsius"})
}

/// Streams `req` and folds the events into the response (or the error, with what arrived).
pub async fn streamed(
    c: &exllm::Client,
    req: exllm::ChatRequest,
) -> exllm::Result<exllm::ChatResponse> {
    c.chat_stream(req).await?.collect_response().await
}

/// Reads a stream to its end: its text deltas, and its events folded by the caller's own
/// [`exllm::Collector`] (so without the price the client puts on whole answers).
pub async fn deltas_and_folded(mut s: exllm::ChatStream) -> (Vec<String>, exllm::ChatResponse) {
    use futures_util::StreamExt;
    let mut deltas = Vec::new();
    let mut collector = exllm::Collector::new();
    while let Some(e) = s.next().await {
        let e = e.expect("the stream does not fail");
        if let exllm::StreamEvent::TextDelta(t) = &e {
            deltas.push(t.clone());
        }
        collector.push(e);
    }
    (deltas, collector.finish())
}

/// A whole answer with the price the client put on it taken off (asserting there was one), to
/// compare with a stream folded by the caller.
pub fn unpriced(mut resp: exllm::ChatResponse) -> exllm::ChatResponse {
    assert!(resp.cost.take().is_some(), "the catalog prices this model");
    resp
}
