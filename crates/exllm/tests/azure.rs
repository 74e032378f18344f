//! Azure OpenAI end to end against a local server: the `azure` row (v1 GA API,
//! `/openai/v1/chat/completions`, the deployment name as the body's `model`) and the
//! `azure-deployments` row (`/openai/deployments/<name>/chat/completions?api-version=...`, no
//! model in the body), the key in `api-key`, an Entra ID token as a bearer when no key is set,
//! and the configuration errors. `https://{resource}.openai.azure.com` cannot point at
//! 127.0.0.1, so the tests give a base URL and check path, query and headers.

use crate::support;

use exllm::{Api, ChatRequest, Client, ErrorKind, FinishKind, Message};
use serde_json::json;
use support::fixtures::{chat, responses, TEXT};
use support::{assert_no_key, fast_retry, hello_messages, Recorded, Reply, TestServer, KEY};

const DEPLOYMENT: &str = "gpt-4.1-mini-prod";
const AD_TOKEN: &str = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.entra-example.sig";

fn request(provider: &str) -> ChatRequest {
    ChatRequest::new(format!("{provider}/{DEPLOYMENT}"), hello_messages()).with_max_tokens(64)
}

/// The base URL each row is given: the server in place of `https://{resource}.openai.azure.com`.
fn base(provider: &str, server: &TestServer) -> String {
    match provider {
        "azure" => format!("{}/openai/v1", server.root()),
        _ => format!("{}/openai", server.root()),
    }
}

/// A client for `provider` with the key, or with `env` as the only environment.
fn client(
    provider: &str,
    server: &TestServer,
    key: bool,
    env: &'static [(&'static str, &'static str)],
) -> Client {
    let mut b = Client::builder()
        .env_lookup(|k| {
            env.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        })
        .base_url(provider, base(provider, server))
        .retry(fast_retry(2));
    if key {
        b = b.api_key(provider, KEY);
    }
    b.build().unwrap()
}

/// The request target with percent escapes in its query decoded (`%2D` is `-`).
fn decoded(path: &str) -> String {
    let Some((p, q)) = path.split_once('?') else {
        return path.to_owned();
    };
    let mut out = Vec::new();
    let b = q.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match (b[i], q.get(i + 1..i + 3).map(|h| u8::from_str_radix(h, 16))) {
            (b'%', Some(Ok(byte))) => {
                out.push(byte);
                i += 3;
            }
            (c, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    format!("{p}?{}", String::from_utf8(out).unwrap())
}

fn check_key(r: &Recorded) {
    assert_eq!(r.header("api-key"), Some(KEY));
    assert_eq!(r.header("authorization"), None);
}

#[tokio::test]
async fn v1_chat_whole_and_streamed() {
    let server = TestServer::start(vec![
        Reply::json(200, chat::text(DEPLOYMENT)),
        Reply::sse_split(&chat::text_stream(DEPLOYMENT), 9),
    ])
    .await;
    let c = client("azure", &server, true, &[]);
    let whole = c.chat(request("azure")).await.unwrap();
    let streamed = support::streamed(&c, request("azure")).await.unwrap();
    assert_eq!(whole.text(), TEXT);
    assert_eq!(whole.finish_kind(), Some(FinishKind::Stop));
    assert_eq!(streamed, whole);
    for (i, r) in server.requests().iter().enumerate() {
        assert_eq!(r.method, "POST");
        assert_eq!(
            r.path, "/openai/v1/chat/completions",
            "no api-version on v1"
        );
        check_key(r);
        let body = r.json();
        assert_eq!(
            body["model"], DEPLOYMENT,
            "v1 names the deployment in the body"
        );
        assert_eq!(body["max_completion_tokens"], 64);
        assert!(body.get("max_tokens").is_none(), "{body}");
        assert_eq!(
            body["messages"][0],
            json!({"role": "system", "content": "Be brief."})
        );
        assert_eq!(body.get("stream").is_some(), i == 1, "{body}");
    }
}

#[tokio::test]
async fn v1_speaks_the_responses_api_too() {
    let server = TestServer::start(vec![Reply::json(200, responses::text(DEPLOYMENT))]).await;
    let c = Client::builder()
        .env_lookup(|_| None)
        .base_url("azure", base("azure", &server))
        .api_key("azure", KEY)
        .api("azure", Api::OpenAiResponses)
        .build()
        .unwrap();
    assert_eq!(c.chat(request("azure")).await.unwrap().text(), TEXT);
    let r = server.only_request();
    assert_eq!(r.path, "/openai/v1/responses");
    check_key(&r);
    assert_eq!(r.json()["model"], DEPLOYMENT);
}

#[tokio::test]
async fn deployments_path_with_api_version_and_no_model_in_the_body() {
    let server = TestServer::start(vec![
        Reply::json(200, chat::text(DEPLOYMENT)),
        Reply::sse_split(&chat::text_stream(DEPLOYMENT), 11),
    ])
    .await;
    let c = client("azure-deployments", &server, true, &[]);
    let mut req = request("azure-deployments");
    req.messages
        .insert(0, Message::developer("Use metric units."));
    assert_eq!(c.chat(req.clone()).await.unwrap().text(), TEXT);
    let streamed = support::streamed(&c, req).await.unwrap();
    assert_eq!(streamed.text(), TEXT);
    for r in server.requests() {
        assert_eq!(
            decoded(&r.path),
            format!("/openai/deployments/{DEPLOYMENT}/chat/completions?api-version=2024-10-21")
        );
        check_key(&r);
        let body = r.json();
        assert!(
            body.get("model").is_none(),
            "the path names the deployment: {body}"
        );
        assert_eq!(body["max_completion_tokens"], 64);
        assert_eq!(
            body["messages"][0],
            json!({"role": "developer", "content": "Use metric units."})
        );
    }
}

#[tokio::test]
async fn the_api_version_comes_from_var_or_environment() {
    let server = TestServer::start(vec![
        Reply::json(200, chat::text(DEPLOYMENT)),
        Reply::json(200, chat::text(DEPLOYMENT)),
    ])
    .await;
    let by_var = Client::builder()
        .env_lookup(|k| (k == "AZURE_OPENAI_API_VERSION").then(|| "2024-06-01".into()))
        .base_url("azure-deployments", base("azure-deployments", &server))
        .api_key("azure-deployments", KEY)
        .var("azure-deployments", "api_version", "2025-01-01-preview")
        .build()
        .unwrap();
    by_var.chat(request("azure-deployments")).await.unwrap();
    let by_env = client(
        "azure-deployments",
        &server,
        true,
        &[("AZURE_OPENAI_API_VERSION", "2024-06-01")],
    );
    by_env.chat(request("azure-deployments")).await.unwrap();
    let paths: Vec<String> = server.requests().iter().map(|r| decoded(&r.path)).collect();
    let prefix = format!("/openai/deployments/{DEPLOYMENT}/chat/completions");
    assert_eq!(
        paths,
        [
            format!("{prefix}?api-version=2025-01-01-preview"),
            format!("{prefix}?api-version=2024-06-01"),
        ],
        "the builder's value wins over the environment"
    );
}

#[tokio::test]
async fn an_entra_id_token_is_a_bearer_when_no_key_is_set() {
    for provider in ["azure", "azure-deployments"] {
        let server = TestServer::start(vec![Reply::json(200, chat::text(DEPLOYMENT))]).await;
        let c = client(
            provider,
            &server,
            false,
            &[("AZURE_OPENAI_AD_TOKEN", AD_TOKEN)],
        );
        assert_eq!(c.chat(request(provider)).await.unwrap().text(), TEXT);
        let r = server.only_request();
        let bearer = format!("Bearer {AD_TOKEN}");
        assert_eq!(
            r.header("authorization"),
            Some(bearer.as_str()),
            "{provider}"
        );
        assert_eq!(r.header("api-key"), None, "{provider}");
    }
}

#[tokio::test]
async fn a_key_wins_over_a_token() {
    let server = TestServer::start(vec![Reply::json(200, chat::text(DEPLOYMENT))]).await;
    let c = client(
        "azure",
        &server,
        false,
        &[
            ("AZURE_OPENAI_API_KEY", KEY),
            ("AZURE_OPENAI_AD_TOKEN", AD_TOKEN),
        ],
    );
    c.chat(request("azure")).await.unwrap();
    check_key(&server.only_request());
}

#[tokio::test]
async fn no_key_and_no_token_is_a_config_error() {
    for provider in ["azure", "azure-deployments"] {
        let server = TestServer::start(vec![]).await;
        let err = client(provider, &server, false, &[])
            .chat(request(provider))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config, "{provider}");
        assert!(err.message().contains("AZURE_OPENAI_API_KEY"), "{err}");
        assert!(err.message().contains("AZURE_OPENAI_AD_TOKEN"), "{err}");
        assert_eq!(err.provider(), Some(provider));
        assert_eq!(server.request_count(), 0);
    }
}

#[tokio::test]
async fn no_resource_and_no_base_url_is_a_config_error() {
    for provider in ["azure", "azure-deployments"] {
        let err = Client::builder()
            .env_lookup(|_| None)
            .api_key(provider, KEY)
            .build()
            .unwrap()
            .chat(request(provider))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config, "{provider}");
        assert!(err.message().contains("AZURE_RESOURCE_NAME"), "{err}");
        assert_no_key(&err);
    }
}

#[tokio::test]
async fn base_urls_come_from_the_environment() {
    let server = TestServer::start(vec![
        Reply::json(200, chat::text(DEPLOYMENT)),
        Reply::json(200, chat::text(DEPLOYMENT)),
    ])
    .await;
    let v1 = format!("{}/openai/v1", server.root());
    let deployments = format!("{}/openai", server.root());
    let c = Client::builder()
        .env_lookup(move |k| match k {
            "AZURE_OPENAI_BASE_URL" => Some(v1.clone()),
            "AZURE_OPENAI_ENDPOINT_BASE_URL" => Some(deployments.clone()),
            "AZURE_API_KEY" => Some(KEY.into()),
            _ => None,
        })
        .build()
        .unwrap();
    c.chat(request("azure")).await.unwrap();
    c.chat(request("azure-deployments")).await.unwrap();
    let reqs = server.requests();
    assert_eq!(reqs[0].path, "/openai/v1/chat/completions");
    assert!(
        reqs[1].path.starts_with("/openai/deployments/"),
        "{}",
        reqs[1].path
    );
    for r in &reqs {
        check_key(r);
    }
}

#[tokio::test]
async fn errors_are_typed_and_the_key_never_shows() {
    let unauthorized = json!({"error": {"code": "401", "message": format!(
        "Access denied due to invalid subscription key {KEY} or wrong API endpoint."
    )}});
    let filtered = json!({"error": {
        "message": "The response was filtered due to the prompt triggering Azure OpenAI's content management policy.",
        "type": null, "param": "prompt", "code": "content_filter", "status": 400
    }});
    let limited = json!({"error": {"code": "429", "message": "Requests to the ChatCompletions_Create Operation have exceeded call rate limit."}});
    let server = TestServer::start(vec![
        Reply::json(401, unauthorized.to_string()),
        Reply::json(400, filtered.to_string()),
        Reply::json(429, limited.to_string()).header("retry-after", "0"),
        Reply::json(200, chat::text(DEPLOYMENT)),
    ])
    .await;
    let c = client("azure-deployments", &server, true, &[]);
    let err = c.chat(request("azure-deployments")).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth);
    assert!(err.message().starts_with("Access denied"), "{err}");
    assert_no_key(&err);
    let err = c.chat(request("azure-deployments")).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BadRequest);
    assert_eq!(err.code(), Some("content_filter"));
    assert_no_key(&err);
    let resp = c.chat(request("azure-deployments")).await.unwrap();
    assert_eq!(resp.text(), TEXT, "the 429 was retried");
    assert_eq!(server.request_count(), 4);
}

#[tokio::test]
async fn the_api_version_query_is_sent_as_written() {
    let server = TestServer::start(vec![Reply::json(200, chat::text(DEPLOYMENT))]).await;
    client("azure-deployments", &server, true, &[])
        .chat(request("azure-deployments"))
        .await
        .unwrap();
    assert_eq!(
        server.only_request().path,
        format!("/openai/deployments/{DEPLOYMENT}/chat/completions?api-version=2024-10-21")
    );
}
