//! IBM watsonx.ai (`watsonx`): the IBM Cloud API key is exchanged at IAM
//! (`POST /identity/token`, form `grant_type=urn:ibm:params:oauth:grant-type:apikey&apikey=`)
//! for a token kept until shortly before it expires; chat goes to
//! `/ml/v1/text/chat?version=...` (streams to `/ml/v1/text/chat_stream`) with `model_id` and
//! the project or space id in the body. The IAM and service URLs both name the test server.

use super::{check_faults, fault_replies, retry};
use crate::support::{self, assert_no_key, hello_messages, Reply, TestServer, KEY};
use exllm::{ChatRequest, Client, ErrorKind, FinishKind};
use serde_json::json;
use support::fixtures::{chat, TEXT};

const MODEL: &str = "ibm/granite-3-8b-instruct";
const IAM_TOKEN: &str = "eyJraWQiOiJpYW0ifQ.iam-token.sig";
const PROJECT: &str = "0f2e-project-41";

fn request() -> ChatRequest {
    ChatRequest::new(format!("watsonx/{MODEL}"), hello_messages()).with_max_tokens(64)
}

/// A client whose service and IAM URLs are the test server, with the key and `extra` vars.
fn client(server: &TestServer, extra: &'static [(&'static str, &'static str)]) -> Client {
    let root = server.root();
    Client::builder()
        .env_lookup(move |k| match k {
            "WATSONX_URL" => Some(root.clone()),
            "WATSONX_IAM_URL" => Some(format!("{root}/identity/token")),
            "WATSONX_APIKEY" => Some(KEY.to_owned()),
            other => extra
                .iter()
                .find(|(n, _)| *n == other)
                .map(|(_, v)| (*v).to_owned()),
        })
        .retry(retry())
        .build()
        .unwrap()
}

const IN_PROJECT: &[(&str, &str)] = &[("WATSONX_PROJECT_ID", PROJECT)];

fn iam_reply() -> Reply {
    Reply::json(
        200,
        json!({"access_token": IAM_TOKEN, "refresh_token": "not_supported",
               "token_type": "Bearer", "expires_in": 3600, "expiration": 1_900_000_000,
               "scope": "ibm openid"})
        .to_string(),
    )
}

/// A watsonx answer: Chat Completions' shape, the model in `model_id`.
fn answer() -> String {
    let mut v: serde_json::Value = serde_json::from_str(&chat::text(MODEL)).unwrap();
    let m = v.as_object_mut().unwrap();
    m.remove("model");
    m.insert("model_id".into(), json!(MODEL));
    m.insert("model_version".into(), json!("1.1.0"));
    v.to_string()
}

#[tokio::test]
async fn iam_exchange_then_whole_and_streamed_chat() {
    let server = TestServer::start(vec![
        iam_reply(),
        Reply::json(200, answer()),
        Reply::sse_split(&chat::text_stream(MODEL), 13),
    ])
    .await;
    let c = client(&server, IN_PROJECT);
    let whole = c.chat(request()).await.unwrap();
    assert_eq!(whole.text(), TEXT);
    assert_eq!(whole.model.as_deref(), Some(MODEL));
    assert_eq!(whole.finish_kind(), Some(FinishKind::Stop));
    let streamed = support::streamed(&c, request()).await.unwrap();
    assert_eq!(streamed.text(), TEXT);

    let reqs = server.requests();
    assert_eq!(reqs.len(), 3, "one token exchange for both calls");
    let iam = &reqs[0];
    assert_eq!(
        (iam.method.as_str(), iam.path.as_str()),
        ("POST", "/identity/token")
    );
    assert_eq!(
        String::from_utf8_lossy(&iam.body),
        format!("grant_type=urn%3Aibm%3Aparams%3Aoauth%3Agrant-type%3Aapikey&apikey={KEY}")
    );
    assert_eq!(iam.header("authorization"), None);
    for (r, route) in reqs[1..].iter().zip(["chat", "chat_stream"]) {
        assert_eq!(r.path, format!("/ml/v1/text/{route}?version=2024-05-31"));
        assert_eq!(
            r.header("authorization"),
            Some(format!("Bearer {IAM_TOKEN}").as_str()),
            "the key itself is never sent to the service"
        );
        let body = r.json();
        assert_eq!(body["model_id"], MODEL);
        assert_eq!(body["project_id"], PROJECT);
        assert_eq!(body["max_tokens"], 64);
        assert!(
            body.get("model").is_none() && body.get("stream").is_none(),
            "{body}"
        );
    }
}

#[tokio::test]
async fn a_deployment_space_and_an_api_version_from_the_environment() {
    let server = TestServer::start(vec![iam_reply(), Reply::json(200, answer())]).await;
    let c = client(
        &server,
        &[
            ("WATSONX_SPACE_ID", "space-7"),
            ("WATSONX_VERSION", "2025-02-11"),
        ],
    );
    c.chat(request()).await.unwrap();
    let r = &server.requests()[1];
    assert_eq!(r.path, "/ml/v1/text/chat?version=2025-02-11");
    let body = r.json();
    assert_eq!(body["space_id"], "space-7");
    assert!(body.get("project_id").is_none(), "{body}");
}

#[tokio::test]
async fn iam_and_service_errors_are_typed() {
    let server = TestServer::start(vec![
        Reply::json(
            400,
            r#"{"errorCode":"BXNIM0415E","errorMessage":"Provided API key could not be found.","context":{"requestId":"abc"}}"#,
        ),
        iam_reply(),
        Reply::json(
            404,
            r#"{"errors":[{"code":"model_not_supported","message":"Model 'ibm/nope' is not supported","more_info":"https://cloud.ibm.com/apidocs/watsonx-ai"}],"trace":"9f1c","status_code":404}"#,
        ),
    ])
    .await;
    let c = client(&server, IN_PROJECT);
    let err = c.chat(request()).await.unwrap_err();
    assert_eq!(err.status(), Some(400));
    assert!(
        err.message().contains("API key could not be found"),
        "{err}"
    );
    assert_eq!(err.code(), Some("BXNIM0415E"));
    assert_no_key(&err);
    let err = c.chat(request()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    assert!(err.message().contains("is not supported"), "{err}");
    assert_no_key(&err);
    assert!(!format!("{err:?}").contains(IAM_TOKEN));
}

#[tokio::test]
async fn faults_rate_limits_and_cut_streams() {
    let mut replies = vec![iam_reply()];
    replies.extend(fault_replies(
        MODEL,
        r#"{"errors":[{"code":"token_quota_reached","message":"Rate limit of 8 requests per second exceeded"}],"trace":"1a2b","status_code":429}"#,
    ));
    let server = TestServer::start(replies).await;
    check_faults(&client(&server, IN_PROJECT), request, "Rate limit of 8").await;
}

#[tokio::test]
async fn a_project_or_space_is_required_before_sending() {
    let server = TestServer::start(vec![]).await;
    let err = client(&server, &[]).chat(request()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    assert!(err.message().contains("WATSONX_PROJECT_ID"), "{err}");
    assert_eq!(server.request_count(), 0);
}
