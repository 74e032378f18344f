//! `MockProvider` through the public client: queued text and tool calls, a handler, queued
//! errors, broken streams that keep their partial answer, request capture, reset, and
//! streaming that gives the same response as a whole call.

use exllm::{
    ChatRequest, ChatResponse, Client, Error, ErrorKind, FinishKind, FinishReason, Message,
    MockProvider, Part, StreamEvent, ToolCall, Usage, Warning,
};
use futures_util::StreamExt;
use serde_json::json;
use std::sync::Arc;

fn client(mock: &MockProvider) -> Client {
    Client::builder()
        .env_lookup(|_| None)
        .provider("mock", Arc::new(mock.clone()))
        .build()
        .unwrap()
}

fn ask(text: &str) -> ChatRequest {
    ChatRequest::new("mock/test-model", vec![Message::user(text)])
}

async fn collect(c: &Client, req: ChatRequest) -> exllm::Result<ChatResponse> {
    c.chat_stream(req).await?.collect_response().await
}

#[tokio::test]
async fn queued_text_comes_first_then_the_echo() {
    let mock = MockProvider::new()
        .with_text("Hi there")
        .with_text("Second");
    let c = client(&mock);
    assert_eq!(c.chat(ask("one")).await.unwrap().text(), "Hi there");
    assert_eq!(c.chat(ask("two")).await.unwrap().text(), "Second");
    let echo = c.chat(ask("echo me please")).await.unwrap();
    assert_eq!(echo.text(), "echo me please");
    assert_eq!(echo.finish_kind(), Some(FinishKind::Stop));
    assert_eq!(echo.usage.unwrap().output_tokens, Some(3));
}

#[tokio::test]
async fn queued_tool_calls() {
    let mock = MockProvider::new().with_tool_calls(vec![
        ("get_weather", json!({"city": "Paris"})),
        ("get_time", json!({"tz": "Europe/Paris"})),
    ]);
    let resp = client(&mock).chat(ask("weather?")).await.unwrap();
    let calls = resp.tool_calls();
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0].name, "get_weather");
    assert_eq!(calls[0].arguments, json!({"city": "Paris"}));
    assert_eq!(calls[1].name, "get_time");
    assert_ne!(calls[0].id, calls[1].id);
    assert!(!calls[0].id.is_empty());
    assert_eq!(resp.finish_kind(), Some(FinishKind::ToolCalls));
}

#[tokio::test]
async fn handler_answers_when_the_queue_is_empty() {
    let mock = MockProvider::new().with_text("queued").with_handler(|req| {
        Ok(MockProvider::text_response(format!(
            "{} got {} message(s)",
            req.model,
            req.messages.len()
        )))
    });
    let c = client(&mock);
    assert_eq!(c.chat(ask("a")).await.unwrap().text(), "queued");
    assert_eq!(
        c.chat(ask("b")).await.unwrap().text(),
        "test-model got 1 message(s)"
    );
    let streamed = collect(&c, ask("c")).await.unwrap();
    assert_eq!(streamed.text(), "test-model got 1 message(s)");
}

#[tokio::test]
async fn handler_errors_are_returned() {
    let mock = MockProvider::new()
        .with_handler(|_| Err(Error::new(ErrorKind::ContextLength, "prompt is too long")));
    let err = client(&mock).chat(ask("x")).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ContextLength);
    assert_eq!(err.message(), "prompt is too long");
}

#[tokio::test]
async fn queued_errors_are_returned_once() {
    let mock = MockProvider::new()
        .with_error(
            Error::new(ErrorKind::RateLimit, "slow down")
                .with_status(429)
                .with_retry_after(std::time::Duration::from_secs(2)),
        )
        .with_error(Error::new(ErrorKind::Server, "boom").with_status(500));
    let c = client(&mock);
    let err = c.chat(ask("1")).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::RateLimit);
    assert_eq!(err.status(), Some(429));
    assert_eq!(err.retry_after(), Some(std::time::Duration::from_secs(2)));
    let err = c.chat_stream(ask("2")).await.err().expect("stream error");
    assert_eq!(err.kind(), ErrorKind::Server);
    assert_eq!(c.chat(ask("3")).await.unwrap().text(), "3");
}

#[tokio::test]
async fn broken_stream_keeps_the_partial_answer() {
    let partial = MockProvider::text_response("The answer is");
    let mock = MockProvider::new()
        .with_broken_stream(
            partial.clone(),
            Error::new(ErrorKind::Network, "connection reset"),
        )
        .with_broken_stream(
            partial.clone(),
            Error::new(ErrorKind::Network, "connection reset"),
        );
    let c = client(&mock);

    // Streamed: the events of the partial answer arrive, then the error.
    let mut stream = c.chat_stream(ask("q")).await.unwrap();
    let mut text = String::new();
    let mut failed = None;
    while let Some(ev) = stream.next().await {
        match ev {
            Ok(StreamEvent::TextDelta(t)) => text.push_str(&t),
            Ok(_) => {}
            Err(e) => failed = Some(e),
        }
    }
    assert_eq!(text, "The answer is");
    assert_eq!(failed.map(|e| e.kind()), Some(ErrorKind::Network));

    // Collected / whole: the error carries the partial answer.
    let err = c.chat(ask("q")).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Network);
    assert_eq!(err.partial(), Some(&partial));
}

#[tokio::test]
async fn broken_stream_collected_keeps_the_partial_answer() {
    let partial = MockProvider::text_response("half an");
    let mock = MockProvider::new()
        .with_broken_stream(partial.clone(), Error::new(ErrorKind::Truncated, "cut"));
    let err = collect(&client(&mock), ask("q")).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Truncated);
    assert_eq!(err.partial(), Some(&partial));
}

#[tokio::test]
async fn requests_are_captured_without_the_provider_prefix() {
    let mock = MockProvider::new();
    let c = client(&mock);
    let req = ChatRequest::new(
        "mock/family/model-1",
        vec![Message::system("sys"), Message::user("first")],
    )
    .with_max_tokens(10)
    .with_temperature(0.5);
    c.chat(req).await.unwrap();
    collect(&c, ask("second")).await.unwrap();
    let reqs = mock.requests();
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[0].model, "family/model-1");
    assert_eq!(reqs[0].messages.len(), 2);
    assert_eq!(reqs[0].max_tokens, Some(10));
    assert_eq!(reqs[0].temperature, Some(0.5));
    assert_eq!(reqs[1].model, "test-model");
    assert_eq!(reqs[1].messages[0].text(), "second");
}

#[tokio::test]
async fn reset_forgets_queue_handler_and_requests() {
    let mock = MockProvider::new()
        .with_text("queued")
        .with_handler(|_| Ok(MockProvider::text_response("handled")));
    let c = client(&mock);
    c.chat(ask("x")).await.unwrap();
    // Clones share state: a reply queued through a clone is forgotten too.
    let _ = mock.clone().with_text("never seen");
    mock.reset();
    assert!(mock.requests().is_empty());
    assert_eq!(
        c.chat(ask("plain echo")).await.unwrap().text(),
        "plain echo"
    );
    assert_eq!(mock.requests().len(), 1);
}

fn rich_response() -> ChatResponse {
    ChatResponse {
        id: Some("mock-1".into()),
        model: Some("mock-large".into()),
        content: vec![
            Part::text("Let me look that up for you."),
            Part::ToolCall(ToolCall {
                id: "call_1".into(),
                name: "search".into(),
                arguments: json!({"q": "rust", "limit": 3}),
                provider_meta: None,
            }),
            Part::ToolCall(ToolCall {
                id: "call_2".into(),
                name: "fetch".into(),
                arguments: json!({"url": "https://example.invalid"}),
                provider_meta: Some(json!({"item_id": "fc_9"})),
            }),
        ],
        finish: Some(FinishReason::new(FinishKind::ToolCalls, "tool_calls")),
        usage: Some(Usage {
            input_tokens: Some(21),
            output_tokens: Some(9),
            cache_read_tokens: Some(4),
            ..Default::default()
        }),
        provider_meta: [("citations".to_owned(), json!(["https://example.invalid"]))]
            .into_iter()
            .collect(),
        warnings: vec![Warning::unsupported("top_k", "mock")],
        error: None,
        cost: None,
        alternatives: vec![exllm::Alternative {
            index: 1,
            content: vec![Part::text("Another answer.")],
            finish: Some(FinishReason::new(FinishKind::Stop, "stop")),
        }],
        service_tier: Some("default".into()),
        route: Some(exllm::Route {
            group: "fast".into(),
            attempts: vec![exllm::RouteAttempt {
                group: "fast".into(),
                deployment: "fast#0".into(),
                model: "mock/large".into(),
                latency_ms: 12,
                ..Default::default()
            }],
        }),
        citations: vec![exllm::Citation::new(
            "https://example.invalid",
            Some("Example".into()),
        )],
    }
}

#[tokio::test]
async fn streaming_gives_the_same_response_as_a_whole_call() {
    let mock = MockProvider::new()
        .with_response(rich_response())
        .with_response(rich_response());
    let c = client(&mock);
    let whole = c.chat(ask("q")).await.unwrap();
    let streamed = collect(&c, ask("q")).await.unwrap();
    assert_eq!(whole, rich_response());
    assert_eq!(streamed, whole);

    // The echo streams in several text deltas and still collects to the whole answer.
    let whole = c.chat(ask("one two three four")).await.unwrap();
    let mut stream = c.chat_stream(ask("one two three four")).await.unwrap();
    let mut deltas = 0;
    let mut collector = exllm::Collector::new();
    while let Some(ev) = stream.next().await {
        let ev = ev.unwrap();
        if matches!(ev, StreamEvent::TextDelta(_)) {
            deltas += 1;
        }
        collector.push(ev);
    }
    assert!(deltas > 1, "text should arrive in pieces, got {deltas}");
    assert_eq!(collector.finish(), whole);
}

#[tokio::test]
async fn the_mock_is_available_without_registration() {
    let c = Client::builder().env_lookup(|_| None).build().unwrap();
    let resp = c.chat(ask("hello mock")).await.unwrap();
    assert_eq!(resp.text(), "hello mock");
    assert!(c.list_models("mock").await.unwrap().is_empty());
}

#[tokio::test]
async fn a_mock_can_stand_in_for_any_provider_name() {
    let mock = MockProvider::new().with_text("from the fake openai");
    let c = Client::builder()
        .env_lookup(|_| None)
        .provider("openai", Arc::new(mock.clone()))
        .build()
        .unwrap();
    // No key configured: the registered provider replaces the HTTP one entirely.
    let resp = c
        .chat(ChatRequest::new(
            "openai/gpt-4o-mini",
            vec![Message::user("hi")],
        ))
        .await
        .unwrap();
    assert_eq!(resp.text(), "from the fake openai");
    assert_eq!(mock.requests()[0].model, "gpt-4o-mini");
}
