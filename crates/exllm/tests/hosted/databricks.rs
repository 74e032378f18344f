//! Databricks Model Serving (`databricks`): the workspace's OpenAI-compatible route
//! `{host}/serving-endpoints/chat/completions` with the serving endpoint's name as the model;
//! a personal access token as a bearer, else OAuth machine to machine — the client id and
//! secret (HTTP basic auth) traded at `{host}/oidc/v1/token` for a token the client keeps
//! until shortly before it expires.

use super::{check_faults, env, fault_replies, retry};
use crate::support::{self, hello_messages, Reply, TestServer, KEY};
use exllm::{ChatRequest, Client, ErrorKind, FinishKind};
use serde_json::json;
use support::fixtures::{chat, TEXT};

const MODEL: &str = "databricks-meta-llama-3-3-70b-instruct";
const CLIENT_ID: &str = "dbx-client-1";
const CLIENT_SECRET: &str = "dbx-secret-77f0";
/// `dbx-client-1:dbx-secret-77f0` in base64.
const BASIC: &str = "Basic ZGJ4LWNsaWVudC0xOmRieC1zZWNyZXQtNzdmMA==";
const M2M_TOKEN: &str = "eyJraWQiOiJkYngifQ.m2m.sig";

fn request() -> ChatRequest {
    ChatRequest::new(format!("databricks/{MODEL}"), hello_messages()).with_max_tokens(64)
}

/// A client whose `DATABRICKS_HOST` is the test server.
fn client(server: &TestServer, vars: &'static [(&'static str, &'static str)]) -> Client {
    let host = server.root();
    let lookup = env(vars);
    Client::builder()
        .env_lookup(move |k| match k {
            "DATABRICKS_HOST" => Some(host.clone()),
            other => lookup(other),
        })
        .retry(retry())
        .build()
        .unwrap()
}

const PAT: &[(&str, &str)] = &[("DATABRICKS_TOKEN", KEY)];
const M2M: &[(&str, &str)] = &[
    ("DATABRICKS_CLIENT_ID", CLIENT_ID),
    ("DATABRICKS_CLIENT_SECRET", CLIENT_SECRET),
];

fn token_reply(expires_in: u64) -> Reply {
    Reply::json(
        200,
        json!({"access_token": M2M_TOKEN, "token_type": "Bearer", "scope": "all-apis",
               "expires_in": expires_in})
        .to_string(),
    )
}

#[tokio::test]
async fn personal_access_token_whole_and_streamed() {
    let server = TestServer::start(vec![
        Reply::json(200, chat::text(MODEL)),
        Reply::sse_split(&chat::text_stream(MODEL), 11),
    ])
    .await;
    let c = client(&server, PAT);
    let mut req = request();
    req.reasoning = Some(exllm::ReasoningConfig {
        effort: Some(exllm::ReasoningEffort::Low),
        ..Default::default()
    });
    let whole = c.chat(req).await.unwrap();
    assert_eq!(whole.text(), TEXT);
    assert_eq!(whole.finish_kind(), Some(FinishKind::Stop));
    assert_eq!(support::streamed(&c, request()).await.unwrap(), whole);
    for (i, r) in server.requests().iter().enumerate() {
        assert_eq!(r.path, "/serving-endpoints/chat/completions");
        assert_eq!(
            r.header("authorization"),
            Some(format!("Bearer {KEY}").as_str())
        );
        let body = r.json();
        assert_eq!(body["model"], MODEL);
        assert_eq!(body["max_tokens"], 64);
        assert_eq!(body.get("reasoning_effort").is_some(), i == 0, "{body}");
        assert_eq!(body.get("stream").is_some(), i == 1, "{body}");
        assert!(body.get("stream_options").is_none(), "{body}");
    }
}

#[tokio::test]
async fn oauth_m2m_token_is_fetched_once_and_reused() {
    let server = TestServer::start(vec![
        token_reply(3600),
        Reply::json(200, chat::text(MODEL)),
        Reply::sse_split(&chat::text_stream(MODEL), 5),
        Reply::json(200, chat::text(MODEL)),
    ])
    .await;
    let c = client(&server, M2M);
    assert_eq!(c.chat(request()).await.unwrap().text(), TEXT);
    assert_eq!(support::streamed(&c, request()).await.unwrap().text(), TEXT);
    assert_eq!(c.chat(request()).await.unwrap().text(), TEXT);
    let reqs = server.requests();
    assert_eq!(reqs.len(), 4, "one token request for three calls");
    let t = &reqs[0];
    assert_eq!(
        (t.method.as_str(), t.path.as_str()),
        ("POST", "/oidc/v1/token")
    );
    assert_eq!(t.header("authorization"), Some(BASIC));
    assert_eq!(
        t.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(
        String::from_utf8_lossy(&t.body),
        "grant_type=client_credentials&scope=all-apis"
    );
    for r in &reqs[1..] {
        assert_eq!(r.path, "/serving-endpoints/chat/completions");
        assert_eq!(
            r.header("authorization"),
            Some(format!("Bearer {M2M_TOKEN}").as_str())
        );
    }
}

#[tokio::test]
async fn an_expiring_token_is_renewed_before_the_next_request() {
    // A token that lives 1 s is renewed at once (renewal comes well before expiry).
    let server = TestServer::start(vec![
        token_reply(1),
        Reply::json(200, chat::text(MODEL)),
        token_reply(3600),
        Reply::json(200, chat::text(MODEL)),
    ])
    .await;
    let c = client(&server, M2M);
    c.chat(request()).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    c.chat(request()).await.unwrap();
    let paths: Vec<String> = server.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(
        paths,
        [
            "/oidc/v1/token",
            "/serving-endpoints/chat/completions",
            "/oidc/v1/token",
            "/serving-endpoints/chat/completions"
        ]
    );
}

#[tokio::test]
async fn token_endpoint_and_serving_errors_are_typed() {
    let server = TestServer::start(vec![
        Reply::json(
            401,
            r#"{"error":"invalid_client","error_description":"Client authentication failed"}"#,
        ),
        token_reply(3600),
        Reply::json(
            404,
            r#"{"error_code":"RESOURCE_DOES_NOT_EXIST","message":"The given endpoint does not exist, please retry after checking the specified model and version deployment exists."}"#,
        ),
    ])
    .await;
    let c = client(&server, M2M);
    let err = c.chat(request()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth, "{err}");
    assert_eq!(err.status(), Some(401));
    assert!(
        err.message().contains("Client authentication failed"),
        "{err}"
    );
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains(CLIENT_SECRET), "{shown}");
    let err = c.chat(request()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    assert!(err.message().contains("endpoint does not exist"), "{err}");
    let shown = format!("{err} {err:?}");
    assert!(
        !shown.contains(M2M_TOKEN) && !shown.contains(CLIENT_SECRET),
        "{shown}"
    );
}

#[tokio::test]
async fn faults_rate_limits_and_cut_streams() {
    let server = TestServer::start(fault_replies(
        MODEL,
        r#"{"error_code":"REQUEST_LIMIT_EXCEEDED","message":"Exceeded workspace rate limit for Foundation Model APIs."}"#,
    ))
    .await;
    check_faults(
        &client(&server, PAT),
        request,
        "Exceeded workspace rate limit",
    )
    .await;
}

#[tokio::test]
async fn credentials_and_host_are_required() {
    let c = Client::builder()
        .env_lookup(|k| (k == "DATABRICKS_HOST").then(|| "http://127.0.0.1:9".into()))
        .build()
        .unwrap();
    let err = c.chat(request()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    assert!(err.message().contains("DATABRICKS_TOKEN"), "{err}");
    let c = Client::builder()
        .env_lookup(|k| match k {
            "DATABRICKS_HOST" => Some("http://127.0.0.1:9".into()),
            "DATABRICKS_CLIENT_ID" => Some(CLIENT_ID.into()),
            _ => None,
        })
        .build()
        .unwrap();
    let err = c.chat(request()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    assert!(err.message().contains("DATABRICKS_CLIENT_SECRET"), "{err}");
    let c = Client::builder()
        .env_lookup(|k| (k == "DATABRICKS_TOKEN").then(|| KEY.to_owned()))
        .build()
        .unwrap();
    let err = c.chat(request()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    assert!(err.message().contains("DATABRICKS_HOST"), "{err}");
}

#[tokio::test]
async fn reasoning_models_answer_with_content_lists() {
    let whole = json!({
        "id": "msg_1", "object": "chat.completion", "created": 1, "model": "databricks-claude-sonnet-4-5",
        "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": [
            {"type": "reasoning", "summary": [{"type": "summary_text", "text": "Two plus two.",
                                               "signature": "EqoBCkgIARABGAIiQL"}]},
            {"type": "text", "text": "4"}]}}],
        "usage": {"prompt_tokens": 12, "completion_tokens": 30, "total_tokens": 42}
    });
    let chunk = |content: serde_json::Value, finish: serde_json::Value| {
        let c = json!({"id": "msg_2", "object": "chat.completion.chunk", "created": 1,
                       "model": "databricks-claude-sonnet-4-5",
                       "choices": [{"index": 0, "delta": {"role": "assistant", "content": content},
                                    "finish_reason": finish}]});
        format!("data: {c}\n\n")
    };
    let stream = chunk(
        json!([{"type": "reasoning", "summary": [{"type": "summary_text", "text": "Two plus "}]}]),
        json!(null),
    ) + &chunk(
        json!([{"type": "reasoning", "summary": [{"type": "summary_text", "text": "two."}]}]),
        json!(null),
    ) + &chunk(json!("4"), json!(null))
        + &chunk(json!(""), json!("stop"))
        + "data: [DONE]\n\n";
    let server = TestServer::start(vec![
        Reply::json(200, whole.to_string()),
        Reply::sse_split(&stream, 17),
    ])
    .await;
    let c = client(&server, PAT);
    let r = c.chat(request()).await.unwrap();
    assert_eq!(r.text(), "4");
    assert_eq!(r.reasoning_text(), "Two plus two.");
    let s = support::streamed(&c, request()).await.unwrap();
    assert_eq!(s.text(), "4");
    assert_eq!(s.reasoning_text(), "Two plus two.");
    assert_eq!(s.finish_kind(), Some(FinishKind::Stop));
}

#[tokio::test]
async fn a_token_the_service_refuses_is_replaced_on_the_next_call() {
    let server = TestServer::start(vec![
        token_reply(3600),
        Reply::json(
            401,
            r#"{"error_code":"401","message":"Credential was not sent or was of an unsupported type for this API."}"#,
        ),
        token_reply(3600),
        Reply::json(200, chat::text(MODEL)),
    ])
    .await;
    let c = client(&server, M2M);
    let err = c.chat(request()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth, "{err}");
    assert_eq!(c.chat(request()).await.unwrap().text(), TEXT);
    let paths: Vec<String> = server.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(paths[2], "/oidc/v1/token", "{paths:?}");
}

#[tokio::test]
async fn a_passing_token_endpoint_failure_is_tried_once_more() {
    let unavailable = || {
        Reply::json(
            503,
            r#"{"error":"temporarily_unavailable","error_description":"Try again"}"#,
        )
        .header("retry-after", "0")
    };
    let server = TestServer::start(vec![
        unavailable(),
        token_reply(3600),
        Reply::json(200, chat::text(MODEL)),
        unavailable(),
        unavailable(),
    ])
    .await;
    let c = client(&server, M2M);
    assert_eq!(c.chat(request()).await.unwrap().text(), TEXT);
    let paths: Vec<String> = server.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(paths[..2], ["/oidc/v1/token", "/oidc/v1/token"]);
    // Twice in a row is the caller's error.
    let c = client(&server, M2M);
    let err = c.chat(request()).await.unwrap_err();
    assert_eq!(err.status(), Some(503));
    assert!(err.message().contains("Try again"), "{err}");
}
