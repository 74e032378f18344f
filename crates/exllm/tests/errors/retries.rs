//! Retryable failures: rate limits (and how long to wait: `retry-after`, reset headers,
//! Google's RetryInfo), server errors, Anthropic overloads; and the quota error that is not
//! retried.

use super::*;

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
