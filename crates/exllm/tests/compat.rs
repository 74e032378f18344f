//! The OpenAI-compatible providers (registry rows, no code of their own), end to end against a
//! local server: every row runs the same suite (text and a tool call, whole and streamed, the
//! request on the wire, streamed equals whole), plus the row-specific settings: key variables,
//! optional keys of local servers, base URLs from the environment, extra headers, other APIs.

use crate::support;

use exllm::{Api, ChatRequest, ChatResponse, Client, ErrorKind, FinishKind};
use serde_json::json;
use support::fixtures::{chat, responses, TEXT};
use support::{
    assert_no_key, client_for, fast_retry, hello_messages, weather_args, weather_tool, Reply,
    TestServer, KEY,
};

/// What a row must put on the wire.
struct Row {
    provider: &'static str,
    /// The model as the caller writes it.
    model: &'static str,
    /// The model as the server must receive it.
    wire_model: &'static str,
    /// `stream_options.include_usage` is sent when streaming.
    stream_usage: bool,
}

fn check_request(r: &support::Recorded, row: &Row, stream: bool, tools: bool) {
    let who = row.provider;
    assert_eq!(r.method, "POST", "{who}");
    assert_eq!(r.path, "/v1/chat/completions", "{who}");
    assert_eq!(
        r.header("authorization"),
        Some(format!("Bearer {KEY}").as_str()),
        "{who}"
    );
    assert_eq!(r.header("content-type"), Some("application/json"), "{who}");
    let body = r.json();
    assert_eq!(body["model"], row.wire_model, "{who}");
    assert_eq!(
        body["messages"],
        json!([
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Say hello"}
        ]),
        "{who}"
    );
    assert_eq!(body["max_tokens"], 64, "{who}: {body}");
    assert!(body.get("max_completion_tokens").is_none(), "{who}: {body}");
    if stream {
        assert_eq!(r.header("accept"), Some("text/event-stream"), "{who}");
        assert_eq!(body["stream"], true, "{who}");
        if row.stream_usage {
            assert_eq!(
                body["stream_options"],
                json!({"include_usage": true}),
                "{who}"
            );
        } else {
            assert!(body.get("stream_options").is_none(), "{who}: {body}");
        }
    } else {
        assert!(body.get("stream").is_none(), "{who}: {body}");
    }
    if tools {
        assert_eq!(body["tools"][0]["type"], "function", "{who}");
        assert_eq!(body["tools"][0]["function"]["name"], "get_weather", "{who}");
        assert_eq!(
            body["tools"][0]["function"]["parameters"],
            weather_tool().parameters,
            "{who}"
        );
    } else {
        assert!(body.get("tools").is_none(), "{who}: {body}");
    }
}

async fn collect(c: &Client, req: ChatRequest) -> ChatResponse {
    support::streamed(c, req).await.unwrap()
}

async fn run_suite(row: Row) {
    let m = row.wire_model;
    let server = TestServer::start(vec![
        Reply::json(200, chat::text(m)),
        Reply::sse_split(&chat::text_stream(m), 7),
        Reply::json(200, chat::tool(m)),
        Reply::sse_split(&chat::tool_stream(m), 5),
    ])
    .await;
    let c = client_for(row.provider, &server, 0);
    let req = ChatRequest::new(row.model, hello_messages()).with_max_tokens(64);
    let tool_req = req.clone().with_tool(weather_tool());

    let text = c.chat(req.clone()).await.unwrap();
    assert_eq!(text.text(), TEXT, "{}", row.provider);
    assert_eq!(text.finish_kind(), Some(FinishKind::Stop));
    assert_eq!(text.usage.as_ref().and_then(|u| u.output_tokens), Some(6));
    assert_eq!(text.model.as_deref(), Some(m));
    let text_streamed = collect(&c, req).await;
    assert_eq!(
        text_streamed, text,
        "{}: streamed text differs",
        row.provider
    );

    let tool = c.chat(tool_req.clone()).await.unwrap();
    let calls = tool.tool_calls();
    assert_eq!(calls.len(), 1, "{}", row.provider);
    assert_eq!(calls[0].id, chat::CALL_ID);
    assert_eq!(calls[0].name, "get_weather");
    assert_eq!(calls[0].arguments, weather_args());
    assert_eq!(tool.finish_kind(), Some(FinishKind::ToolCalls));
    let tool_streamed = collect(&c, tool_req).await;
    assert_eq!(
        tool_streamed, tool,
        "{}: streamed tool call differs",
        row.provider
    );

    let reqs = server.requests();
    assert_eq!(reqs.len(), 4);
    check_request(&reqs[0], &row, false, false);
    check_request(&reqs[1], &row, true, false);
    check_request(&reqs[2], &row, false, true);
    check_request(&reqs[3], &row, true, true);
}

macro_rules! suite {
    ($($test:ident: $provider:literal, $model:literal => $wire:literal, stream_usage: $su:literal;)*) => {$(
        #[tokio::test]
        async fn $test() {
            run_suite(Row {
                provider: $provider,
                model: $model,
                wire_model: $wire,
                stream_usage: $su,
            })
            .await;
        }
    )*};
}

suite! {
    groq: "groq", "groq/qwen/qwen3-32b" => "qwen/qwen3-32b", stream_usage: true;
    xai: "xai", "xai/grok-3-mini" => "grok-3-mini", stream_usage: true;
    mistral: "mistral", "mistral/mistral-small-latest" => "mistral-small-latest", stream_usage: false;
    perplexity: "perplexity", "perplexity/sonar" => "sonar", stream_usage: false;
    deepseek: "deepseek", "deepseek/deepseek-chat" => "deepseek-chat", stream_usage: true;
    openrouter: "openrouter", "openrouter/anthropic/claude-3.5-sonnet" => "anthropic/claude-3.5-sonnet", stream_usage: true;
    together: "together", "together/meta-llama/Llama-3.3-70B-Instruct-Turbo" => "meta-llama/Llama-3.3-70B-Instruct-Turbo", stream_usage: true;
    fireworks: "fireworks", "fireworks/accounts/fireworks/models/llama-v3p3-70b-instruct" => "accounts/fireworks/models/llama-v3p3-70b-instruct", stream_usage: true;
    deepinfra: "deepinfra", "deepinfra/meta-llama/Llama-3.3-70B-Instruct" => "meta-llama/Llama-3.3-70B-Instruct", stream_usage: true;
    lmstudio: "lmstudio", "lmstudio/qwen2.5-7b-instruct" => "qwen2.5-7b-instruct", stream_usage: true;
    vllm: "vllm", "vllm/Qwen/Qwen2.5-7B-Instruct" => "Qwen/Qwen2.5-7B-Instruct", stream_usage: true;
    openai_compatible: "openai-compatible", "openai-compatible/my-model" => "my-model", stream_usage: true;
}

fn text_request(model: &str) -> ChatRequest {
    ChatRequest::new(model, hello_messages()).with_max_tokens(64)
}

#[tokio::test]
async fn key_read_from_the_provider_variable() {
    let server = TestServer::start(vec![Reply::json(200, chat::text("m"))]).await;
    let c = Client::builder()
        .env_lookup(|k| (k == "GROQ_API_KEY").then(|| "gsk-from-env".to_owned()))
        .base_url("groq", server.url())
        .retry(fast_retry(0))
        .build()
        .unwrap();
    c.chat(text_request("groq/m")).await.unwrap();
    assert_eq!(
        server.only_request().header("authorization"),
        Some("Bearer gsk-from-env")
    );
}

#[tokio::test]
async fn key_read_from_the_second_variable() {
    let server = TestServer::start(vec![Reply::json(200, chat::text("sonar"))]).await;
    let c = Client::builder()
        .env_lookup(|k| (k == "PPLX_API_KEY").then(|| "pplx-second".to_owned()))
        .base_url("perplexity", server.url())
        .retry(fast_retry(0))
        .build()
        .unwrap();
    c.chat(text_request("perplexity/sonar")).await.unwrap();
    assert_eq!(
        server.only_request().header("authorization"),
        Some("Bearer pplx-second")
    );
}

#[tokio::test]
async fn builder_key_wins_over_the_environment() {
    let server = TestServer::start(vec![Reply::json(200, chat::text("m"))]).await;
    let c = Client::builder()
        .env_lookup(|k| (k == "DEEPSEEK_API_KEY").then(|| "from-env".to_owned()))
        .base_url("deepseek", server.url())
        .api_key("deepseek", KEY)
        .build()
        .unwrap();
    c.chat(text_request("deepseek/m")).await.unwrap();
    assert_eq!(
        server.only_request().header("authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );
}

#[tokio::test]
async fn local_servers_need_no_key() {
    for provider in ["lmstudio", "vllm", "openai-compatible"] {
        let server = TestServer::start(vec![Reply::json(200, chat::text("m"))]).await;
        let c = Client::builder()
            .env_lookup(|_| None)
            .base_url(provider, server.url())
            .build()
            .unwrap();
        let resp = c
            .chat(text_request(&format!("{provider}/m")))
            .await
            .unwrap();
        assert_eq!(resp.text(), TEXT);
        let r = server.only_request();
        assert_eq!(r.header("authorization"), None, "{provider}");
        assert_eq!(r.path, "/v1/chat/completions");
    }
}

#[tokio::test]
async fn local_base_url_from_the_environment() {
    let server = TestServer::start(vec![Reply::json(200, chat::text("m"))]).await;
    let url = server.url();
    let c = Client::builder()
        .env_lookup(move |k| (k == "OPENAI_COMPATIBLE_BASE_URL").then(|| url.clone()))
        .build()
        .unwrap();
    c.chat(text_request("openai-compatible/m")).await.unwrap();
    assert_eq!(server.only_request().json()["model"], "m");
}

#[tokio::test]

async fn openai_compatible_without_a_base_url_is_a_config_error() {
    let c = Client::builder().env_lookup(|_| None).build().unwrap();
    let err = c
        .chat(text_request("openai-compatible/m"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    assert!(
        err.to_string().contains("OPENAI_COMPATIBLE_BASE_URL"),
        "{err}"
    );
}

#[tokio::test]
async fn extra_headers_reach_the_server() {
    let server = TestServer::start(vec![Reply::json(200, chat::text("m"))]).await;
    let c = Client::builder()
        .env_lookup(|_| None)
        .base_url("openrouter", server.url())
        .api_key("openrouter", KEY)
        .header("openrouter", "HTTP-Referer", "https://exllm.test")
        .header("openrouter", "X-Title", "exllm e2e")
        .build()
        .unwrap();
    c.chat(text_request("openrouter/openai/gpt-4o-mini"))
        .await
        .unwrap();
    let r = server.only_request();
    assert_eq!(r.header("http-referer"), Some("https://exllm.test"));
    assert_eq!(r.header("x-title"), Some("exllm e2e"));
    assert_eq!(r.json()["model"], "openai/gpt-4o-mini");
}

#[tokio::test]
async fn compatible_rows_can_speak_responses() {
    for provider in ["xai", "vllm"] {
        let server = TestServer::start(vec![
            Reply::json(200, responses::text("m")),
            Reply::sse_split(&responses::text_stream("m"), 17),
        ])
        .await;
        let c = Client::builder()
            .env_lookup(|_| None)
            .base_url(provider, server.url())
            .api_key(provider, KEY)
            .api(provider, Api::OpenAiResponses)
            .build()
            .unwrap();
        let req = text_request(&format!("{provider}/m"));
        let whole = c.chat(req.clone()).await.unwrap();
        let streamed = collect(&c, req).await;
        assert_eq!(whole.text(), TEXT);
        assert_eq!(streamed, whole, "{provider}");
        for r in server.requests() {
            assert_eq!(r.path, "/v1/responses", "{provider}");
            assert_eq!(r.json()["max_output_tokens"], 64);
        }
    }
}

#[tokio::test]
async fn unsupported_settings_come_back_as_warnings() {
    // Mistral does not take `top_k`: it is not sent and the response says so.
    let server = TestServer::start(vec![Reply::json(200, chat::text("m"))]).await;
    let c = client_for("mistral", &server, 0);
    let mut req = text_request("mistral/m");
    req.top_k = Some(5);
    let resp = c.chat(req).await.unwrap();
    assert!(server.only_request().json().get("top_k").is_none());
    assert!(
        resp.warnings
            .iter()
            .any(|w| w.setting.as_deref() == Some("top_k")),
        "{:?}",
        resp.warnings
    );
}

#[tokio::test]
async fn missing_key_of_a_compatible_row_names_its_variable() {
    let server = TestServer::start(vec![]).await;
    let c = Client::builder()
        .env_lookup(|_| None)
        .base_url("together", server.url())
        .build()
        .unwrap();
    let err = c.chat(text_request("together/m")).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    assert!(err.to_string().contains("TOGETHER_API_KEY"), "{err}");
    assert_no_key(&err);
    assert_eq!(server.request_count(), 0);
}

#[tokio::test]
async fn base_url_with_a_trailing_slash() {
    let server = TestServer::start(vec![Reply::json(200, chat::text("m"))]).await;
    let c = Client::builder()
        .env_lookup(|_| None)
        .base_url("fireworks", format!("{}/", server.url()))
        .api_key("fireworks", KEY)
        .build()
        .unwrap();
    c.chat(text_request("fireworks/m")).await.unwrap();
    assert_eq!(server.only_request().path, "/v1/chat/completions");
}
