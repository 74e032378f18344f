//! The OpenAI-compatible rows added for NVIDIA NIM, Cloudflare Workers AI, GitHub Models,
//! Moonshot, DashScope, Z.ai, MiniMax, Featherless and Baseten, end to end against a local
//! server: each row answers whole and streamed from its key variable, and its own error
//! shape becomes a typed error with the provider's message. Then the row-specific settings:
//! Cloudflare's account in the path, GitHub's API version header, MiniMax's output limit
//! name, and OpenRouter's optional attribution headers.

use crate::support;

use exllm::{ChatRequest, Client, ErrorKind, FinishKind};
use support::fixtures::{chat, TEXT};
use support::{assert_no_key, fast_retry, hello_messages, Reply, TestServer, KEY};

/// One row: how it is called and how it fails.
struct Row {
    provider: &'static str,
    /// The model without the provider prefix.
    model: &'static str,
    /// The variable the key is read from.
    key_env: &'static str,
    /// Other variables the row needs (name, value).
    env: &'static [(&'static str, &'static str)],
    /// The path the server must see, after the test server's `/v1` base.
    path: &'static str,
    /// An error the provider answers with: status and body.
    error: (u16, &'static str),
    /// What the error's message must contain.
    message: &'static str,
    kind: ErrorKind,
}

const ROWS: &[Row] = &[
    Row {
        provider: "nvidia",
        model: "meta/llama-3.3-70b-instruct",
        key_env: "NVIDIA_NIM_API_KEY",
        env: &[],
        path: "/v1/chat/completions",
        error: (
            404,
            r#"{"type":"about:blank","status":404,"title":"Not Found","detail":"Function 'abc': Not found for account 'xyz'"}"#,
        ),
        message: "Not found for account",
        kind: ErrorKind::NotFound,
    },
    Row {
        provider: "cloudflare",
        model: "@cf/meta/llama-3.1-8b-instruct",
        key_env: "CLOUDFLARE_API_TOKEN",
        env: &[("CLOUDFLARE_ACCOUNT_ID", "acc123")],
        path: "/v1/chat/completions",
        error: (
            400,
            r#"{"errors":[{"message":"AiError: Bad input: missing messages","code":5006}],"success":false,"result":{},"messages":[]}"#,
        ),
        message: "Bad input",
        kind: ErrorKind::BadRequest,
    },
    Row {
        provider: "github",
        model: "openai/gpt-4.1-mini",
        key_env: "GITHUB_TOKEN",
        env: &[],
        path: "/v1/chat/completions",
        error: (
            400,
            r#"{"error":{"code":"unknown_model","message":"Unknown model: openai/nope","details":"Unknown model: openai/nope"}}"#,
        ),
        message: "Unknown model",
        kind: ErrorKind::BadRequest,
    },
    Row {
        provider: "moonshot",
        model: "kimi-k2.6",
        key_env: "MOONSHOT_API_KEY",
        env: &[],
        path: "/v1/chat/completions",
        error: (
            401,
            r#"{"error":{"message":"Invalid Authentication","type":"invalid_authentication_error"}}"#,
        ),
        message: "Invalid Authentication",
        kind: ErrorKind::Auth,
    },
    Row {
        provider: "dashscope",
        model: "qwen-plus",
        key_env: "DASHSCOPE_API_KEY",
        env: &[],
        path: "/v1/chat/completions",
        error: (
            400,
            r#"{"error":{"code":"model_not_found","param":null,"message":"The model `qwen-x` does not exist or you do not have access to it.","type":"invalid_request_error"},"id":"chatcmpl-1","request_id":"r-1"}"#,
        ),
        message: "does not exist",
        kind: ErrorKind::BadRequest,
    },
    Row {
        provider: "zai",
        model: "glm-4.6",
        key_env: "ZHIPUAI_API_KEY",
        env: &[],
        path: "/v1/chat/completions",
        error: (
            429,
            r#"{"error":{"code":"1302","message":"High concurrency usage of this API, please reduce concurrency or contact customer service to increase limits"}}"#,
        ),
        message: "High concurrency",
        kind: ErrorKind::RateLimit,
    },
    Row {
        provider: "minimax",
        model: "MiniMax-M2.7",
        key_env: "MINIMAX_API_KEY",
        env: &[],
        path: "/v1/chat/completions",
        error: (
            400,
            r#"{"error":{"type":"bad_request_error","message":"invalid params, tool call id is invalid","http_code":"400"}}"#,
        ),
        message: "invalid params",
        kind: ErrorKind::BadRequest,
    },
    Row {
        provider: "featherless",
        model: "Qwen/Qwen2.5-7B-Instruct",
        key_env: "FEATHERLESSAI_API_KEY",
        env: &[],
        path: "/v1/chat/completions",
        error: (
            403,
            r#"{"error":{"message":"Your plan does not allow this model","type":"permission_error"}}"#,
        ),
        message: "plan does not allow",
        kind: ErrorKind::Auth,
    },
    Row {
        provider: "baseten",
        model: "deepseek-ai/DeepSeek-V3.1",
        key_env: "BASETEN_API_KEY",
        env: &[],
        path: "/v1/chat/completions",
        error: (
            400,
            r#"{"error":{"message":"max_tokens must be at least 1","type":"BadRequestError","param":null,"code":400}}"#,
        ),
        message: "max_tokens must be",
        kind: ErrorKind::BadRequest,
    },
];

/// A client that reads `row`'s variables (the key from its variable) and sends to `server`.
fn client(row: &'static Row, server: &TestServer) -> Client {
    Client::builder()
        .env_lookup(move |k| {
            if k == row.key_env {
                return Some(KEY.to_owned());
            }
            row.env
                .iter()
                .find(|(name, _)| *name == k)
                .map(|(_, v)| (*v).to_owned())
        })
        .base_url(row.provider, server.url())
        .retry(fast_retry(0))
        .build()
        .expect("client builds")
}

fn request(row: &Row) -> ChatRequest {
    ChatRequest::new(format!("{}/{}", row.provider, row.model), hello_messages())
        .with_max_tokens(64)
}

#[tokio::test]
async fn each_row_answers_whole_and_streamed_and_types_its_errors() {
    for row in ROWS {
        let who = row.provider;
        let (status, body) = row.error;
        let server = TestServer::start(vec![
            Reply::json(200, chat::text(row.model)),
            Reply::sse_split(&chat::text_stream(row.model), 9),
            Reply::json(status, body),
        ])
        .await;
        let c = client(row, &server);

        let whole = c.chat(request(row)).await.unwrap();
        assert_eq!(whole.text(), TEXT, "{who}");
        assert_eq!(whole.finish_kind(), Some(FinishKind::Stop), "{who}");
        assert_eq!(whole.usage.as_ref().and_then(|u| u.output_tokens), Some(6));
        let streamed = support::streamed(&c, request(row)).await.unwrap();
        assert_eq!(streamed, whole, "{who}: streamed differs");

        let err = c.chat(request(row)).await.unwrap_err();
        assert_eq!(err.status(), Some(status), "{who}");
        assert_eq!(err.kind(), row.kind, "{who}: {err}");
        assert!(err.message().contains(row.message), "{who}: {err}");
        assert_no_key(&err);

        let reqs = server.requests();
        assert_eq!(reqs.len(), 3, "{who}");
        for (i, r) in reqs.iter().enumerate() {
            assert_eq!(r.method, "POST", "{who}");
            assert_eq!(r.path, row.path, "{who}");
            assert_eq!(
                r.header("authorization"),
                Some(format!("Bearer {KEY}").as_str()),
                "{who}"
            );
            let body = r.json();
            assert_eq!(body["model"], row.model, "{who}");
            assert_eq!(body["messages"][1]["content"], "Say hello", "{who}");
            assert_eq!(body.get("stream").is_some(), i == 1, "{who}: {body}");
        }
    }
}

#[test]
fn every_row_is_listed_with_its_key_variables() {
    for row in ROWS {
        let spec = exllm::provider::registry::find(row.provider).expect(row.provider);
        assert!(spec.key_env.contains(&row.key_env), "{}", row.provider);
        assert!(spec.key_required, "{}", row.provider);
        assert!(!spec.default_model.is_empty(), "{}", row.provider);
    }
}

#[tokio::test]
async fn cloudflare_puts_the_account_in_the_path_and_needs_it() {
    let server = TestServer::start(vec![Reply::json(200, chat::text("m"))]).await;
    // A base URL with the registry's placeholder: the account id fills it as it fills the
    // registry's own URL.
    let c = Client::builder()
        .env_lookup(|k| match k {
            "CLOUDFLARE_API_KEY" => Some(KEY.to_owned()),
            "CLOUDFLARE_ACCOUNT_ID" => Some("acc-9".to_owned()),
            _ => None,
        })
        .base_url(
            "cloudflare",
            format!("{}/client/v4/accounts/{{account_id}}/ai/v1", server.root()),
        )
        .build()
        .unwrap();
    c.chat(ChatRequest::new("cloudflare/@cf/m", hello_messages()))
        .await
        .unwrap();
    assert_eq!(
        server.only_request().path,
        "/client/v4/accounts/acc-9/ai/v1/chat/completions"
    );
    let without_account = Client::builder()
        .env_lookup(|k| (k == "CLOUDFLARE_API_TOKEN").then(|| KEY.to_owned()))
        .build()
        .unwrap();
    let err = without_account
        .chat(ChatRequest::new("cloudflare/@cf/m", hello_messages()))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    assert!(err.to_string().contains("CLOUDFLARE_ACCOUNT_ID"), "{err}");
    assert_eq!(server.request_count(), 1);
}

#[tokio::test]
async fn github_sends_its_api_version_and_minimax_its_completion_limit() {
    let server = TestServer::start(vec![
        Reply::json(200, chat::text("m")),
        Reply::json(200, chat::text("m")),
    ])
    .await;
    for provider in ["github", "minimax"] {
        let c = support::client_for(provider, &server, 0);
        c.chat(ChatRequest::new(format!("{provider}/m"), hello_messages()).with_max_tokens(64))
            .await
            .unwrap();
    }
    let reqs = server.requests();
    assert_eq!(reqs[0].header("x-github-api-version"), Some("2022-11-28"));
    assert_eq!(reqs[0].json()["max_tokens"], 64);
    assert_eq!(reqs[1].header("x-github-api-version"), None);
    assert_eq!(reqs[1].json()["max_completion_tokens"], 64);
    assert!(reqs[1].json().get("max_tokens").is_none());
}

#[tokio::test]
async fn openrouter_attribution_headers_come_from_the_environment_when_set() {
    let server = TestServer::start(vec![
        Reply::json(200, chat::text("m")),
        Reply::json(200, chat::text("m")),
        Reply::json(200, chat::text("m")),
    ])
    .await;
    let with = Client::builder()
        .env_lookup(|k| match k {
            "OPENROUTER_API_KEY" => Some(KEY.to_owned()),
            "OPENROUTER_SITE_URL" => Some("https://app.example".to_owned()),
            "OR_APP_NAME" => Some("Example App".to_owned()),
            _ => None,
        })
        .base_url("openrouter", server.url())
        .build()
        .unwrap();
    let without = support::client_for("openrouter", &server, 0);
    let by_builder = Client::builder()
        .env_lookup(|_| None)
        .api_key("openrouter", KEY)
        .base_url("openrouter", server.url())
        .var("openrouter", "app_name", "Builder App")
        .build()
        .unwrap();
    for c in [&with, &without, &by_builder] {
        c.chat(ChatRequest::new(
            "openrouter/openai/gpt-4o-mini",
            hello_messages(),
        ))
        .await
        .unwrap();
    }
    let reqs = server.requests();
    assert_eq!(reqs[0].header("http-referer"), Some("https://app.example"));
    assert_eq!(reqs[0].header("x-title"), Some("Example App"));
    assert_eq!(reqs[1].header("http-referer"), None);
    assert_eq!(reqs[1].header("x-title"), None);
    assert_eq!(reqs[2].header("http-referer"), None);
    assert_eq!(reqs[2].header("x-title"), Some("Builder App"));
}
