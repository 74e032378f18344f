//! Errors before anything is sent (a missing or unusable key, an unknown provider), typed
//! errors from model listing, and an error echoing the key that must not leak it.

use super::*;

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
