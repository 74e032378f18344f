//! `Client::list_models` against a local `/models` endpoint: the request (method, path, auth
//! headers) and the decoded entries.

use crate::support;

use support::fixtures::{anthropic, chat};
use support::{client_for, Reply, TestServer, KEY};

#[tokio::test]
async fn openai_models() {
    let server = TestServer::start(vec![Reply::json(200, chat::models())]).await;
    let models = client_for("openai", &server, 0)
        .list_models("openai")
        .await
        .unwrap();
    let ids: Vec<&str> = models.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(ids, ["gpt-4o-mini", "text-embedding-3-small"]);
    assert_eq!(models[0].owned_by.as_deref(), Some("system"));
    assert_eq!(models[0].display_name, None);
    let r = server.only_request();
    assert_eq!(r.method, "GET");
    assert_eq!(r.path, "/v1/models");
    assert_eq!(
        r.header("authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );
    assert!(r.body.is_empty());
}

#[tokio::test]
async fn anthropic_models() {
    let server = TestServer::start(vec![Reply::json(200, anthropic::models())]).await;
    let models = client_for("anthropic", &server, 0)
        .list_models("anthropic")
        .await
        .unwrap();
    assert_eq!(models.len(), 2);
    assert_eq!(models[0].id, "claude-sonnet-4-5-20250929");
    assert_eq!(models[0].display_name.as_deref(), Some("Claude Sonnet 4.5"));
    let r = server.only_request();
    assert_eq!(r.method, "GET");
    assert_eq!(r.path, "/v1/models");
    assert_eq!(r.header("x-api-key"), Some(KEY));
    assert_eq!(r.header("anthropic-version"), Some("2023-06-01"));
}

#[tokio::test]
async fn compatible_models() {
    let server = TestServer::start(vec![Reply::json(200, chat::models())]).await;
    let models = client_for("vllm", &server, 0)
        .list_models("vllm")
        .await
        .unwrap();
    assert_eq!(models.len(), 2);
    assert_eq!(server.only_request().path, "/v1/models");
}

#[tokio::test]
async fn malformed_model_list_is_a_decode_error() {
    let server =
        TestServer::start(vec![Reply::json(200, r#"{"data": [{"object": "model"}]}"#)]).await;
    let err = client_for("openai", &server, 0)
        .list_models("openai")
        .await
        .unwrap_err();
    assert_eq!(err.kind(), exllm::ErrorKind::Decode, "{err:?}");
    support::assert_no_key(&err);
}
