//! Broken bodies and streams: malformed or empty JSON, a whole body cut short, a stream cut
//! or stalled mid-body (keeping the partial answer), a stream without its terminal event, an
//! error event inside a stream.

use super::*;

#[tokio::test]
async fn malformed_json_is_a_decode_error() {
    let cases: [(&str, ChatRequest); 3] = [
        ("openai", openai_request()),
        ("anthropic", anthropic_request()),
        ("xai", ChatRequest::new("xai/grok-3-mini", hello_messages())),
    ];
    for (provider, req) in cases {
        let server = TestServer::start(vec![Reply::json(
            200,
            r#"{"id": "x", "choices": [{"index": 0, "message": {"content": "#,
        )])
        .await;
        let err = client_for(provider, &server, 2)
            .chat(req)
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Decode, "{provider}: {err}");
        assert_eq!(err.provider(), Some(provider));
        assert!(!err.is_retryable());
        assert_eq!(server.request_count(), 1, "{provider}");
        assert_no_key(&err);
    }
}

#[tokio::test]
async fn whole_body_cut_short_is_a_network_error() {
    let body = chat::text("gpt-4o-mini");
    let server = TestServer::start(vec![Reply::cut_body(
        200,
        &body.as_bytes()[..40],
        body.len(),
    )])
    .await;
    let err = client_for("openai", &server, 2)
        .chat(openai_request())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Network, "{err:?}");
    assert_no_key(&err);
}

/// `(provider, request, stream head with the whole text)` for each wire API.
fn stream_heads() -> Vec<(&'static str, ChatRequest, String)> {
    vec![
        ("openai", openai_request(), chat::text_stream_head("m")),
        (
            "anthropic",
            anthropic_request(),
            anthropic::text_stream_head("m"),
        ),
        (
            "xai",
            ChatRequest::new("xai/grok-3-mini", hello_messages()),
            responses::text_stream_head("m"),
        ),
    ]
}

fn client_for_head(provider: &str, server: &TestServer, retries: u32) -> Client {
    let mut b = Client::builder()
        .env_lookup(|_| None)
        .base_url(provider, server.url())
        .api_key(provider, KEY)
        .retry(fast_retry(retries));
    if provider == "xai" {
        b = b.api("xai", exllm::Api::OpenAiResponses);
    }
    b.build().unwrap()
}

#[tokio::test]
async fn stream_cut_mid_body_keeps_the_partial_answer() {
    for (provider, req, head) in stream_heads() {
        let server =
            TestServer::start(vec![Reply::sse_split(&head, 64).ending(Ending::Close)]).await;
        let c = client_for_head(provider, &server, 3);
        let err = support::streamed(&c, req).await.unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::Network | ErrorKind::Truncated),
            "{provider}: {err:?}"
        );
        let partial = err
            .partial()
            .unwrap_or_else(|| panic!("{provider}: no partial"));
        assert_eq!(partial.text(), TEXT, "{provider}");
        assert_eq!(partial.finish, None, "{provider}");
        assert_eq!(
            server.request_count(),
            1,
            "{provider}: a started stream is not retried"
        );
        assert_no_key(&err);
    }
}

#[tokio::test]
async fn stream_without_terminal_event_is_truncated() {
    for (provider, req, head) in stream_heads() {
        // The body ends cleanly, but before `[DONE]` / `message_stop` / `response.completed`.
        let server = TestServer::start(vec![Reply::sse_split(&head, 64)]).await;
        let c = client_for_head(provider, &server, 3);
        let mut err = support::streamed(&c, req).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Truncated, "{provider}: {err:?}");
        assert_eq!(err.provider(), Some(provider));
        let partial = err.take_partial().expect("partial kept");
        assert_eq!(partial.text(), TEXT, "{provider}");
        assert_eq!(server.request_count(), 1);
        assert_no_key(&err);
    }
}

#[tokio::test]
async fn stream_stalling_mid_body_times_out_with_the_partial_answer() {
    let head = chat::text_stream_head("m");
    let server = TestServer::start(vec![
        Reply::sse_split(&head, 4096).ending(Ending::Stall(Duration::from_secs(20)))
    ])
    .await;
    let c = client_with_timeout("openai", &server, 2, Duration::from_millis(500));
    let stream = c.chat_stream(openai_request()).await.unwrap();
    let err = stream.collect_response().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err:?}");
    assert_eq!(err.timeout_kind(), Some(TimeoutKind::Stall), "{err:?}");
    assert_eq!(err.partial().map(|p| p.text()), Some(TEXT.to_owned()));
    assert_eq!(server.request_count(), 1);
    assert_no_key(&err);
}

#[tokio::test]
async fn error_event_inside_a_stream_ends_the_answer_with_finish_error() {
    let body = anthropic::text_stream_head("claude")
        + &support::fixtures::event(
            "error",
            &serde_json::json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}),
        );
    let server = TestServer::start(vec![Reply::sse_split(&body, 50)]).await;
    let resp = client_for("anthropic", &server, 0)
        .chat_stream(anthropic_request())
        .await
        .unwrap()
        .collect_response()
        .await
        .unwrap();
    assert_eq!(resp.text(), TEXT);
    assert_eq!(resp.finish_kind(), Some(FinishKind::Error));
    let e = resp.error.expect("the provider's error is kept");
    assert_eq!(e.code.as_deref(), Some("overloaded_error"));
    assert_eq!(e.message, "Overloaded");
}

#[tokio::test]
async fn empty_success_body_is_a_decode_error() {
    let server = TestServer::start(vec![Reply::json(200, "")]).await;
    let err = client_for("openai", &server, 1)
        .chat(openai_request())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decode, "{err:?}");
    assert_eq!(server.request_count(), 1);
    assert_no_key(&err);
}
