//! The bench crate builds and its mock answers like the real APIs: one whole OpenAI chat
//! completion and one stream (K chunks, a usage chunk, `[DONE]`) over plain reqwest, plus the
//! Anthropic and Gemini stream shapes. No timings are asserted.

use std::time::Duration;

use exllm_bench::mock;

fn start() -> String {
    let m = mock::spawn(Duration::from_secs(10), Duration::from_secs(60)).unwrap();
    m.addr.to_string()
}

#[tokio::test]
async fn whole_and_stream() {
    let addr = start();
    let http = reqwest::Client::new();
    let url = format!("http://{addr}/v1/chat/completions");

    let whole: serde_json::Value = http
        .post(&url)
        .json(&serde_json::json!({"model": "bench-5", "messages": [{"role": "user", "content": "hi"}]}))
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(whole["object"], "chat.completion");
    assert!(whole["choices"][0]["message"]["content"]
        .as_str()
        .unwrap()
        .contains("Paris"));
    assert_eq!(whole["usage"]["total_tokens"], 93);

    let resp = http
        .post(&url)
        .json(&serde_json::json!({"model": "bench-7", "stream": true, "stream_options": {"include_usage": true}, "messages": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.headers()["content-type"],
        "text/event-stream; charset=utf-8"
    );
    let text = resp.text().await.unwrap();
    let events: Vec<&str> = text.split("\n\n").filter(|e| !e.is_empty()).collect();
    // Role chunk, 7 content chunks, finish chunk, usage chunk, [DONE].
    assert_eq!(events.len(), 11, "{text}");
    assert_eq!(events[10], "data: [DONE]");
    let usage: serde_json::Value =
        serde_json::from_str(events[9].strip_prefix("data: ").unwrap()).unwrap();
    assert_eq!(usage["usage"]["completion_tokens"], 7);
    let mut content = String::new();
    for e in &events[1..8] {
        let v: serde_json::Value = serde_json::from_str(e.strip_prefix("data: ").unwrap()).unwrap();
        content.push_str(v["choices"][0]["delta"]["content"].as_str().unwrap());
    }
    assert!(content.starts_with(" The quick"));
}

#[test]
fn other_formats_and_shapes() {
    assert_eq!(mock::shape(br#"{"model":"bench-300-64"}"#), (300, 64));
    assert_eq!(
        mock::shape(b"/v1beta/models/bench-12:streamGenerateContent"),
        (12, 0)
    );
    let a = String::from_utf8(mock::render(mock::Kind::AnthropicStream, 3, 0)).unwrap();
    assert_eq!(a.matches("event: content_block_delta").count(), 3);
    assert!(a.ends_with("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"));
    let g = String::from_utf8(mock::render(mock::Kind::GeminiStream, 4, 10)).unwrap();
    let frames: Vec<&str> = g.split("\r\n\r\n").filter(|e| !e.is_empty()).collect();
    assert_eq!(frames.len(), 4);
    for f in frames {
        let v: serde_json::Value = serde_json::from_str(f.strip_prefix("data: ").unwrap()).unwrap();
        assert_eq!(
            v["candidates"][0]["content"]["parts"][0]["text"]
                .as_str()
                .unwrap()
                .len(),
            10
        );
    }
}
