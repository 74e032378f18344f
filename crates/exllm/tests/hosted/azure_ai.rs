//! Azure AI Foundry models (`azure-ai`): `POST {endpoint}/chat/completions?api-version=...`
//! with the model in the body, the key in `api-key` or an Entra ID token as a bearer, and the
//! optional `extra-parameters` header. `https://{resource}.services.ai.azure.com` cannot point
//! at 127.0.0.1, so the endpoint variable names the test server.

use super::{check_faults, env, fault_replies, retry};
use crate::support::{self, assert_no_key, hello_messages, Reply, TestServer, KEY};
use exllm::{ChatRequest, Client, ErrorKind, FinishKind};
use serde_json::json;
use support::fixtures::{chat, TEXT};

const MODEL: &str = "Mistral-Large-2411";

fn request() -> ChatRequest {
    ChatRequest::new(format!("azure-ai/{MODEL}"), hello_messages()).with_max_tokens(64)
}

fn client(server: &TestServer, vars: &'static [(&'static str, &'static str)]) -> Client {
    let endpoint = format!("{}/models", server.root());
    let lookup = env(vars);
    Client::builder()
        .env_lookup(move |k| match k {
            "AZURE_AI_ENDPOINT" => Some(endpoint.clone()),
            other => lookup(other),
        })
        .retry(retry())
        .build()
        .unwrap()
}

const WITH_KEY: &[(&str, &str)] = &[("AZURE_AI_API_KEY", KEY)];

#[tokio::test]
async fn whole_and_streamed_with_the_key_in_api_key() {
    let server = TestServer::start(vec![
        Reply::json(200, chat::text(MODEL)),
        Reply::sse_split(&chat::text_stream(MODEL), 7),
    ])
    .await;
    let c = client(&server, WITH_KEY);
    let whole = c.chat(request()).await.unwrap();
    assert_eq!(whole.text(), TEXT);
    assert_eq!(whole.finish_kind(), Some(FinishKind::Stop));
    let streamed = support::streamed(&c, request()).await.unwrap();
    assert_eq!(streamed, whole);
    for (i, r) in server.requests().iter().enumerate() {
        assert_eq!(
            r.path,
            "/models/chat/completions?api-version=2024-05-01-preview"
        );
        assert_eq!(r.header("api-key"), Some(KEY));
        assert_eq!(r.header("authorization"), None);
        assert_eq!(r.header("extra-parameters"), None, "sent only when set");
        let body = r.json();
        assert_eq!(body["model"], MODEL);
        assert_eq!(body["max_tokens"], 64);
        assert_eq!(
            body["messages"][0],
            json!({"role": "system", "content": "Be brief."})
        );
        assert_eq!(body.get("stream").is_some(), i == 1, "{body}");
        assert!(body.get("stream_options").is_none(), "{body}");
    }
}

#[tokio::test]
async fn entra_id_token_api_version_and_extra_parameters_from_the_environment() {
    let server = TestServer::start(vec![Reply::json(200, chat::text(MODEL))]).await;
    let c = client(
        &server,
        &[
            ("AZURE_AI_AD_TOKEN", "eyJ0eXAiOiJKV1QifQ.entra.sig"),
            ("AZURE_AI_API_VERSION", "2025-05-01"),
            ("AZURE_AI_EXTRA_PARAMETERS", "pass-through"),
        ],
    );
    c.chat(request()).await.unwrap();
    let r = server.only_request();
    assert_eq!(r.path, "/models/chat/completions?api-version=2025-05-01");
    assert_eq!(
        r.header("authorization"),
        Some("Bearer eyJ0eXAiOiJKV1QifQ.entra.sig")
    );
    assert_eq!(r.header("api-key"), None);
    assert_eq!(r.header("extra-parameters"), Some("pass-through"));
}

#[tokio::test]
async fn errors_are_typed_with_the_service_message() {
    let server = TestServer::start(vec![
        Reply::json(
            401,
            r#"{"error":{"code":"Unauthorized","message":"Access denied due to invalid subscription key or wrong API endpoint."}}"#,
        ),
        Reply::json(
            422,
            r#"{"error":{"code":"Invalid input","status":422,"message":"invalid input error","details":[{"type":"extra_forbidden","loc":["body","top_k"],"msg":"Extra inputs are not permitted"}]}}"#,
        ),
    ])
    .await;
    let c = client(&server, WITH_KEY);
    let err = c.chat(request()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth, "{err}");
    assert!(err.message().contains("invalid subscription key"), "{err}");
    assert_no_key(&err);
    let err = c.chat(request()).await.unwrap_err();
    assert_eq!(err.status(), Some(422));
    assert!(err.message().contains("invalid input"), "{err}");
}

#[tokio::test]
async fn faults_rate_limits_and_cut_streams() {
    let server = TestServer::start(fault_replies(
        MODEL,
        r#"{"error":{"code":"429","message":"Rate limit is exceeded. Try again in 120 seconds."}}"#,
    ))
    .await;
    check_faults(
        &client(&server, WITH_KEY),
        request,
        "Rate limit is exceeded",
    )
    .await;
}

#[tokio::test]
async fn without_an_endpoint_or_a_key_the_error_names_the_variables() {
    let c = Client::builder()
        .env_lookup(|k| (k == "AZURE_AI_API_KEY").then(|| KEY.to_owned()))
        .build()
        .unwrap();
    let err = c.chat(request()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    assert!(err.message().contains("AZURE_AI_RESOURCE_NAME"), "{err}");
    let c = Client::builder()
        .env_lookup(|k| (k == "AZURE_AI_ENDPOINT").then(|| "http://127.0.0.1:9/models".into()))
        .build()
        .unwrap();
    let err = c.chat(request()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    assert!(err.message().contains("AZURE_AI_API_KEY"), "{err}");
    assert!(err.message().contains("AZURE_AI_AD_TOKEN"), "{err}");
}
