//! Failures end to end against a local server: every one is a typed `exllm::Error` (never a
//! panic) with the right kind, status, provider message and code; retries happen exactly for
//! the retryable ones and only before the answer starts; a broken stream keeps what arrived;
//! and no error ever shows the API key.

use crate::support;

use exllm::transport::Timeouts;
use exllm::{ChatRequest, Client, ErrorKind, FinishKind, TimeoutKind};
use std::time::Duration;
use support::fixtures::{anthropic, chat, responses, TEXT};
use support::{
    assert_no_key, client_for, fast_retry, hello_messages, Ending, Reply, TestServer, KEY,
};

fn openai_request() -> ChatRequest {
    ChatRequest::new("openai/gpt-4o-mini", hello_messages()).with_max_tokens(64)
}

fn anthropic_request() -> ChatRequest {
    ChatRequest::new("anthropic/claude-sonnet-4-5", hello_messages()).with_max_tokens(64)
}

/// A client whose time-to-first-byte and stall timeouts are `t`.
fn client_with_timeout(provider: &str, server: &TestServer, retries: u32, t: Duration) -> Client {
    client_with_timeouts(
        provider,
        server,
        retries,
        Timeouts::default().with_first_byte(t).with_stall(t),
    )
}

fn client_with_timeouts(provider: &str, server: &TestServer, retries: u32, t: Timeouts) -> Client {
    Client::builder()
        .env_lookup(|_| None)
        .base_url(provider, server.url())
        .api_key(provider, KEY)
        .retry(fast_retry(retries))
        .timeouts(t)
        .build()
        .unwrap()
}

const OPENAI_401: &str = r#"{"error":{"message":"Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}"#;

#[tokio::test]
async fn unauthorized_is_auth_with_the_provider_message() {
    let server = TestServer::start(vec![
        Reply::json(401, OPENAI_401).header("x-request-id", "req_e2e_401")
    ])
    .await;
    let err = client_for("openai", &server, 3)
        .chat(openai_request())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth);
    assert_eq!(err.status(), Some(401));
    assert_eq!(err.provider(), Some("openai"));
    assert!(
        err.message().starts_with("Incorrect API key provided."),
        "{err}"
    );
    assert!(
        matches!(
            err.code(),
            Some("invalid_api_key" | "invalid_request_error")
        ),
        "{:?}",
        err.code()
    );
    assert_eq!(err.request_id(), Some("req_e2e_401"));
    assert!(!err.is_retryable());
    assert!(err.body().is_some_and(|b| b.contains("invalid_api_key")));
    assert_eq!(server.request_count(), 1, "auth errors are not retried");
    assert_no_key(&err);
}

#[tokio::test]
async fn anthropic_unauthorized_is_auth() {
    let body = r#"{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"},"request_id":"req_011CE2e"}"#;
    let server = TestServer::start(vec![
        Reply::json(401, body).header("request-id", "req_011CE2e")
    ])
    .await;
    let err = client_for("anthropic", &server, 2)
        .chat(anthropic_request())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth);
    assert_eq!(err.message(), "invalid x-api-key");
    assert_eq!(err.code(), Some("authentication_error"));
    assert_eq!(err.request_id(), Some("req_011CE2e"));
    assert_eq!(server.request_count(), 1);
    assert_no_key(&err);
}

#[tokio::test]
async fn bad_request_carries_message_and_code() {
    let body = r#"{"error":{"message":"Invalid value for 'temperature': expected a number between 0 and 2.","type":"invalid_request_error","param":"temperature","code":"invalid_value"}}"#;
    let server = TestServer::start(vec![Reply::json(400, body)]).await;
    let err = client_for("openai", &server, 2)
        .chat(openai_request())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BadRequest);
    assert_eq!(err.status(), Some(400));
    assert_eq!(
        err.message(),
        "Invalid value for 'temperature': expected a number between 0 and 2."
    );
    assert!(
        matches!(err.code(), Some("invalid_value" | "invalid_request_error")),
        "{:?}",
        err.code()
    );
    assert!(
        err.to_string().contains("Invalid value for 'temperature'"),
        "{err}"
    );
    assert_eq!(server.request_count(), 1);
    assert_no_key(&err);
}

#[tokio::test]
async fn anthropic_bad_request_carries_message_and_type() {
    let body = r#"{"type":"error","error":{"type":"invalid_request_error","message":"max_tokens: 999999 > 64000, which is the maximum allowed"}}"#;
    let server = TestServer::start(vec![Reply::json(400, body)]).await;
    let err = client_for("anthropic", &server, 0)
        .chat(anthropic_request())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BadRequest);
    assert_eq!(err.code(), Some("invalid_request_error"));
    assert!(err.message().starts_with("max_tokens: 999999"), "{err}");
    assert_no_key(&err);
}

#[tokio::test]
async fn not_found_is_not_found() {
    let body = r#"{"error":{"message":"The model `gpt-9` does not exist or you do not have access to it.","type":"invalid_request_error","param":null,"code":"model_not_found"}}"#;
    let server = TestServer::start(vec![Reply::json(404, body)]).await;
    let err = client_for("openai", &server, 2)
        .chat(ChatRequest::new("openai/gpt-9", hello_messages()))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert_eq!(err.status(), Some(404));
    assert!(err.message().contains("gpt-9"), "{err}");
    assert_eq!(server.request_count(), 1);
    assert_no_key(&err);
}

const RATE_LIMITED: &str = r#"{"error":{"message":"Rate limit reached for gpt-4o-mini on requests per min (RPM): Limit 3, Used 3, Requested 1.","type":"requests","param":null,"code":"rate_limit_exceeded"}}"#;

#[tokio::test]
async fn rate_limit_then_success_is_retried() {
    let server = TestServer::start(vec![
        Reply::json(429, RATE_LIMITED).header("retry-after", "0"),
        Reply::json(200, chat::text("gpt-4o-mini")),
    ])
    .await;
    let resp = client_for("openai", &server, 2)
        .chat(openai_request())
        .await
        .unwrap();
    assert_eq!(resp.text(), TEXT);
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    assert_eq!(
        reqs[0].body, reqs[1].body,
        "the retry sends the same request"
    );
    assert_eq!(
        reqs[1].header("authorization"),
        reqs[0].header("authorization")
    );
}

#[tokio::test]
async fn rate_limit_before_a_stream_is_retried() {
    let server = TestServer::start(vec![
        Reply::json(429, RATE_LIMITED).header("retry-after-ms", "5"),
        Reply::sse_split(&chat::text_stream("gpt-4o-mini"), 16),
    ])
    .await;
    let resp = client_for("openai", &server, 1)
        .chat_stream(openai_request())
        .await
        .unwrap()
        .collect_response()
        .await
        .unwrap();
    assert_eq!(resp.text(), TEXT);
    assert_eq!(server.request_count(), 2);
}

#[tokio::test]
async fn rate_limit_beyond_max_retries_is_a_rate_limit_error() {
    let replies = (0..4)
        .map(|_| Reply::json(429, RATE_LIMITED).header("retry-after", "0"))
        .collect();
    let server = TestServer::start(replies).await;
    let err = client_for("openai", &server, 2)
        .chat(openai_request())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::RateLimit);
    assert_eq!(err.status(), Some(429));
    assert!(err.is_retryable());
    assert_eq!(err.retry_after(), Some(Duration::ZERO));
    assert!(err.message().starts_with("Rate limit reached"), "{err}");
    assert_eq!(server.request_count(), 3, "one try and two retries");
    assert_eq!(server.replies_left(), 1);
    assert_no_key(&err);
}

#[tokio::test]
async fn retry_after_longer_than_allowed_is_not_waited_for() {
    let server = TestServer::start(vec![
        Reply::json(429, RATE_LIMITED).header("retry-after", "3600"),
        Reply::json(200, chat::text("gpt-4o-mini")),
    ])
    .await;
    let started = std::time::Instant::now();
    let err = client_for("openai", &server, 3)
        .chat(openai_request())
        .await
        .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(err.kind(), ErrorKind::RateLimit);
    assert_eq!(err.retry_after(), Some(Duration::from_secs(3600)));
    assert_eq!(server.request_count(), 1);
}

#[tokio::test]
async fn server_error_then_success_is_retried() {
    let server = TestServer::start(vec![
        Reply::json(
            500,
            r#"{"error":{"message":"The server had an error while processing your request.","type":"server_error","param":null,"code":null}}"#,
        ),
        Reply::json(200, chat::text("gpt-4o-mini")),
    ])
    .await;
    let resp = client_for("openai", &server, 1)
        .chat(openai_request())
        .await
        .unwrap();
    assert_eq!(resp.text(), TEXT);
    assert_eq!(server.request_count(), 2);
}

#[tokio::test]
async fn plain_text_gateway_error_is_a_server_error() {
    let server = TestServer::start(vec![Reply::body(
        503,
        "text/plain",
        "upstream connect error\n",
    )])
    .await;
    let err = client_for("groq", &server, 0)
        .chat(ChatRequest::new("groq/m", hello_messages()))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Server);
    assert_eq!(err.status(), Some(503));
    assert_eq!(err.message(), "upstream connect error");
    assert!(err.is_retryable());
    assert_eq!(server.request_count(), 1);
    assert_no_key(&err);
}

const OVERLOADED: &str =
    r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#;

#[tokio::test]
async fn anthropic_overloaded_is_overloaded_and_retryable() {
    let server = TestServer::start(vec![Reply::json(529, OVERLOADED)]).await;
    let err = client_for("anthropic", &server, 0)
        .chat(anthropic_request())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Overloaded);
    assert_eq!(err.status(), Some(529));
    assert_eq!(err.code(), Some("overloaded_error"));
    assert_eq!(err.message(), "Overloaded");
    assert!(err.is_retryable());
    assert_eq!(server.request_count(), 1);
    assert_no_key(&err);
}

#[tokio::test]
async fn anthropic_overloaded_then_success_is_retried() {
    let server = TestServer::start(vec![
        Reply::json(529, OVERLOADED),
        Reply::sse_split(&anthropic::text_stream("claude"), 32),
    ])
    .await;
    let resp = client_for("anthropic", &server, 1)
        .chat_stream(anthropic_request())
        .await
        .unwrap()
        .collect_response()
        .await
        .unwrap();
    assert_eq!(resp.text(), TEXT);
    assert_eq!(server.request_count(), 2);
}

#[tokio::test]
async fn insufficient_quota_is_not_retried() {
    let body = r#"{"error":{"message":"You exceeded your current quota, please check your plan and billing details.","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}"#;
    let server = TestServer::start(vec![
        Reply::json(429, body).header("retry-after", "0"),
        Reply::json(200, chat::text("gpt-4o-mini")),
    ])
    .await;
    let err = client_for("openai", &server, 3)
        .chat(openai_request())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::QuotaExceeded);
    assert_eq!(err.status(), Some(429));
    assert_eq!(err.code(), Some("insufficient_quota"));
    assert!(!err.is_retryable());
    assert_eq!(server.request_count(), 1);
    assert_no_key(&err);
}

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
async fn stall_before_headers_times_out() {
    let server = TestServer::start(vec![Reply::stall(Duration::from_secs(20))]).await;
    let c = client_with_timeout("openai", &server, 0, Duration::from_millis(300));
    let err = c.chat(openai_request()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err:?}");
    assert_eq!(err.timeout_kind(), Some(TimeoutKind::FirstByte), "{err:?}");
    assert!(err.is_retryable());
    assert_eq!(server.request_count(), 1);
    assert_no_key(&err);
}

#[tokio::test]
async fn stall_then_success_is_retried() {
    let server = TestServer::start(vec![
        Reply::stall(Duration::from_secs(20)),
        Reply::stall(Duration::from_secs(20)),
        Reply::json(200, chat::text("gpt-4o-mini")),
    ])
    .await;
    let c = client_with_timeout("openai", &server, 1, Duration::from_millis(300));
    // A request that opts out of retrying fails on the first stall.
    let once = openai_request().with_retry(exllm::transport::RetryPolicy::none());
    assert_eq!(
        c.chat(once).await.unwrap_err().timeout_kind(),
        Some(TimeoutKind::FirstByte)
    );
    let resp = c.chat(openai_request()).await.unwrap();
    assert_eq!(resp.text(), TEXT);
    assert_eq!(resp.provider_meta[exllm::client::RETRIES], 1);
    assert_eq!(server.request_count(), 3);
}

#[tokio::test]
async fn rate_limit_reset_headers_and_retry_info_set_the_wait() {
    let server = TestServer::start(vec![
        Reply::json(429, r#"{"error":{"message":"Rate limit reached","type":"tokens","code":"rate_limit_exceeded"}}"#)
            .header("x-ratelimit-remaining-tokens", "0")
            .header("x-ratelimit-reset-tokens", "20ms"),
        Reply::sse_split(&chat::text_stream("m"), 7),
    ])
    .await;
    let c = client_for("openai", &server, 1);
    let resp = support::streamed(&c, openai_request()).await.unwrap();
    assert_eq!(resp.text(), TEXT);
    assert_eq!(resp.provider_meta[exllm::client::RETRIES], 1);

    let body = r#"{"error":{"code":429,"message":"Quota exceeded","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"42s"}]}}"#;
    let server = TestServer::start(vec![Reply::json(429, body)]).await;
    let err = client_for("gemini", &server, 0)
        .chat(ChatRequest::new(
            "gemini/gemini-2.5-flash",
            hello_messages(),
        ))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::RateLimit);
    assert_eq!(err.retry_after(), Some(Duration::from_secs(42)));
}

#[tokio::test]
async fn a_body_that_stalls_is_a_stall_timeout() {
    let body = chat::text("gpt-4o-mini").into_bytes();
    let (head, _) = body.split_at(body.len() / 2);
    let server = TestServer::start(vec![Reply::stream("application/json", vec![head.to_vec()])
        .ending(Ending::Stall(Duration::from_secs(20)))])
    .await;
    let c = client_with_timeout("openai", &server, 0, Duration::from_millis(300));
    let err = c.chat(openai_request()).await.unwrap_err();
    assert_eq!(err.timeout_kind(), Some(TimeoutKind::Stall), "{err:?}");
}

#[tokio::test]
async fn the_total_timeout_covers_retries_and_streams_and_is_not_retried() {
    // Non-streaming: every attempt stalls; the total limit ends the call, whatever the retries.
    let server = TestServer::start(vec![
        Reply::stall(Duration::from_secs(20)),
        Reply::stall(Duration::from_secs(20)),
    ])
    .await;
    let t = Timeouts::default()
        .with_first_byte(Duration::from_millis(200))
        .with_total(Duration::from_millis(300));
    let err = client_with_timeouts("openai", &server, 5, t)
        .chat(openai_request())
        .await
        .unwrap_err();
    assert_eq!(err.timeout_kind(), Some(TimeoutKind::Total), "{err:?}");
    assert!(!err.is_retryable());
    assert_eq!(server.request_count(), 2);

    // Streaming: chunks keep coming (no stall), but the whole stream is too slow.
    let body = chat::text_stream("m");
    let events = body.split_inclusive("\n\n").map(|e| e.as_bytes().to_vec());
    let server = TestServer::start(vec![
        Reply::sse(events.collect()).delay(Duration::from_millis(100))
    ])
    .await;
    let t = Timeouts::default()
        .with_stall(Duration::from_secs(5))
        .with_total(Duration::from_millis(450));
    let c = client_with_timeouts("openai", &server, 0, t);
    let err = support::streamed(&c, openai_request()).await.unwrap_err();
    assert_eq!(err.timeout_kind(), Some(TimeoutKind::Total), "{err:?}");
    assert!(err.partial().is_some_and(|p| !p.text().is_empty()));

    // A request's own timeouts replace the client's.
    let server = TestServer::start(vec![Reply::stall(Duration::from_secs(20))]).await;
    let c = client_with_timeouts("openai", &server, 0, Timeouts::none());
    let req = openai_request()
        .with_timeouts(Timeouts::none().with_first_byte(Duration::from_millis(100)));
    let err = c.chat(req).await.unwrap_err();
    assert_eq!(err.timeout_kind(), Some(TimeoutKind::FirstByte), "{err:?}");
}

#[tokio::test]
async fn reset_before_headers_is_a_network_error_and_retried() {
    let server = TestServer::start(vec![
        Reply::reset(),
        Reply::json(200, chat::text("gpt-4o-mini")),
    ])
    .await;
    let resp = client_for("openai", &server, 1)
        .chat(openai_request())
        .await
        .unwrap();
    assert_eq!(resp.text(), TEXT);
    assert_eq!(server.request_count(), 2);

    let server = TestServer::start(vec![Reply::reset()]).await;
    let err = client_for("openai", &server, 0)
        .chat(openai_request())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Network, "{err:?}");
    assert!(err.is_retryable());
    assert_eq!(err.provider(), Some("openai"));
    assert_no_key(&err);
}

#[tokio::test]
async fn missing_api_key_is_a_config_error_and_sends_nothing() {
    for (provider, var, req) in [
        ("openai", "OPENAI_API_KEY", openai_request()),
        ("anthropic", "ANTHROPIC_API_KEY", anthropic_request()),
    ] {
        let server = TestServer::start(vec![]).await;
        let c = Client::builder()
            .env_lookup(|_| None)
            .base_url(provider, server.url())
            .build()
            .unwrap();
        let err = c.chat(req.clone()).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config, "{provider}");
        assert!(err.to_string().contains(var), "{provider}: {err}");
        assert!(!err.is_retryable());
        let err = c.chat_stream(req).await.err().expect("stream refused too");
        assert_eq!(err.kind(), ErrorKind::Config);
        assert_eq!(server.request_count(), 0, "{provider}");
    }
}

#[tokio::test]
async fn unknown_provider_is_a_config_error() {
    let c = Client::builder().env_lookup(|_| None).build().unwrap();
    let err = c
        .chat(ChatRequest::new("nosuchprovider/model-x", hello_messages()))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    assert!(err.to_string().contains("nosuchprovider"), "{err}");

    let err = c
        .chat(ChatRequest::new("gpt-4o-mini", hello_messages()))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config, "a model without provider/");

    let err = c.list_models("nosuchprovider").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
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
async fn list_models_errors_are_typed() {
    let server = TestServer::start(vec![Reply::json(401, OPENAI_401)]).await;
    let err = client_for("openai", &server, 0)
        .list_models("openai")
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth);
    assert_eq!(err.status(), Some(401));
    assert_no_key(&err);
}

#[tokio::test]
async fn a_key_that_cannot_be_a_header_is_a_config_error() {
    for provider in ["openai", "anthropic"] {
        let server = TestServer::start(vec![]).await;
        let bad_key = format!("{KEY}\nX-Injected: 1");
        let c = Client::builder()
            .env_lookup(|_| None)
            .base_url(provider, server.url())
            .api_key(provider, bad_key.as_str())
            .build()
            .unwrap();
        let req = ChatRequest::new(format!("{provider}/m"), hello_messages());
        let err = c.chat(req).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config, "{provider}: {err:?}");
        assert_no_key(&err);
        assert_eq!(server.request_count(), 0, "{provider}");
    }
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

#[tokio::test]

async fn an_error_echoing_the_key_does_not_leak_it() {
    // Some servers repeat the credential they rejected; the error must still not show it.
    let body = format!(
        r#"{{"error":{{"message":"Incorrect API key provided: {KEY}.","type":"invalid_request_error","code":"invalid_api_key"}}}}"#
    );
    let server = TestServer::start(vec![Reply::json(401, body)]).await;
    let err = client_for("openai", &server, 0)
        .chat(openai_request())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth);
    assert_no_key(&err);
}

/// A listener whose accept queue is full: the kernel drops further SYNs, so a connect to it
/// hangs the way one to an unreachable host does, on loopback.
fn unaccepting_listener() -> (
    std::net::SocketAddr,
    tokio::net::TcpListener,
    Vec<std::net::TcpStream>,
) {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let listener = socket.listen(0).unwrap();
    let addr = listener.local_addr().unwrap();
    // Fill the queue (a backlog of 0 still holds one or two finished handshakes); each of
    // these connects completes at once or fails, it never waits.
    let mut held = Vec::new();
    for _ in 0..4 {
        match std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)) {
            Ok(s) => held.push(s),
            Err(_) => break,
        }
    }
    (addr, listener, held)
}

#[tokio::test]
async fn a_connect_that_hangs_is_a_connect_timeout_and_retried() {
    let (addr, _listener, _held) = unaccepting_listener();
    let c = Client::builder()
        .env_lookup(|_| None)
        .base_url("openai", format!("http://{addr}/v1"))
        .api_key("openai", KEY)
        .retry(fast_retry(1))
        .timeouts(Timeouts::none().with_connect(Duration::from_millis(150)))
        .build()
        .unwrap();
    let started = std::time::Instant::now();
    let err = c.chat(openai_request()).await.unwrap_err();
    assert_eq!(err.timeout_kind(), Some(TimeoutKind::Connect), "{err:?}");
    assert!(err.is_retryable(), "nothing was sent: {err:?}");
    // One retry: two connect attempts of 150 ms each, never the kernel's own minutes-long wait.
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(300), "{took:?}");
    assert!(took < Duration::from_secs(10), "{took:?}");
}
