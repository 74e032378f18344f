//! Error statuses that are not retried: 401, 400 and 404 carry the kind, the provider's
//! message and its code or type.

use super::*;

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
