//! The circuit breaker end to end: repeated failures open it and calls fail fast without a
//! request; after the open period one probe goes through and a success closes it.

use crate::support;

use exllm::transport::{BreakerPolicy, BreakerState};
use exllm::{ChatRequest, Client, ErrorKind};
use std::time::Duration;
use support::fixtures::chat;
use support::{fast_retry, hello_messages, Reply, TestServer, KEY};

fn client(server: &TestServer, retries: u32, threshold: u32) -> Client {
    Client::builder()
        .env_lookup(|_| None)
        .base_url("openai", server.url())
        .api_key("openai", KEY)
        .retry(fast_retry(retries))
        .breaker(BreakerPolicy {
            failure_threshold: threshold,
            window: Duration::from_secs(60),
            open_for: Duration::from_millis(200),
        })
        .build()
        .unwrap()
}

fn request() -> ChatRequest {
    ChatRequest::new("openai/gpt-4o-mini", hello_messages())
}

#[tokio::test]
async fn failures_open_the_breaker_and_a_probe_closes_it() {
    let server = TestServer::start(vec![
        Reply::json(500, r#"{"error":{"message":"boom"}}"#),
        Reply::json(500, r#"{"error":{"message":"boom"}}"#),
        Reply::json(500, r#"{"error":{"message":"boom"}}"#),
        Reply::json(200, chat::text("gpt-4o-mini")),
    ])
    .await;
    let c = client(&server, 0, 3);
    for _ in 0..3 {
        assert_eq!(
            c.chat(request()).await.unwrap_err().kind(),
            ErrorKind::Server
        );
    }
    let fast = c.chat(request()).await.unwrap_err();
    assert_eq!(fast.kind(), ErrorKind::CircuitOpen, "{fast}");
    assert!(fast
        .retry_after()
        .is_some_and(|d| d <= Duration::from_millis(200)));
    assert_eq!(server.request_count(), 3, "an open breaker sends nothing");
    assert!(matches!(c.health()[..], [(ref name, BreakerState::Open { .. })] if name == "openai"));

    tokio::time::sleep(Duration::from_millis(250)).await;
    c.chat(request())
        .await
        .expect("the probe goes through and succeeds");
    assert_eq!(
        c.health(),
        vec![("openai".to_string(), BreakerState::Closed)]
    );
    assert_eq!(server.request_count(), 4);
}

#[tokio::test]
async fn within_one_call_the_last_real_error_is_returned() {
    let replies = (0..6)
        .map(|_| Reply::json(503, r#"{"error":{"message":"busy"}}"#))
        .collect();
    let server = TestServer::start(replies).await;
    // The breaker opens after two failures, in the middle of this call's retries.
    let err = client(&server, 5, 2).chat(request()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Server, "{err}");
    assert_eq!(err.message(), "busy");
    assert_eq!(server.request_count(), 2);
}

#[tokio::test]
async fn client_errors_do_not_count() {
    let replies = (0..4)
        .map(|_| Reply::json(400, r#"{"error":{"message":"bad"}}"#))
        .collect();
    let server = TestServer::start(replies).await;
    let c = client(&server, 0, 2);
    for _ in 0..4 {
        assert_eq!(
            c.chat(request()).await.unwrap_err().kind(),
            ErrorKind::BadRequest
        );
    }
    assert_eq!(
        c.health(),
        vec![("openai".to_string(), BreakerState::Closed)]
    );
}
