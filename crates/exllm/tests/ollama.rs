//! Ollama's native chat API end to end against a local server speaking its documented format:
//! `/api/chat` with `"stream": false` (one JSON object) and streamed as NDJSON, tool calls with
//! object arguments and no ids, `think` and the `thinking` field, timings in `provider_meta`,
//! `/api/embed`, `/api/tags` through the client, and errors (a 404 for an unknown model, an
//! `{"error": ...}` line inside a stream). The management endpoints are in `ollama_api.rs`.

use crate::ollama_wire as wire;
use crate::support;

use exllm::{
    ChatRequest, ChatResponse, Client, EmbedRequest, ErrorKind, FinishKind, Message,
    ReasoningConfig, ReasoningEffort, Role, ToolResult,
};
use serde_json::{json, Value};
use support::fixtures::{TEXT, TEXT_DELTAS};
use support::{
    assert_no_key, hello_messages, split_every, weather_args, weather_tool, Recorded, Reply,
    TestServer, KEY,
};
use wire::MODEL;

fn client(server: &TestServer) -> Client {
    Client::builder()
        .env_lookup(|_| None)
        .base_url("ollama", server.root())
        .retry(support::fast_retry(0))
        .build()
        .unwrap()
}

fn request() -> ChatRequest {
    ChatRequest::new(format!("ollama/{MODEL}"), hello_messages())
        .with_max_tokens(64)
        .with_temperature(0.25)
}

/// An NDJSON reply cut every `n` bytes (pieces end inside lines and characters).
fn ndjson_reply(lines: &[Value], n: usize) -> Reply {
    Reply::stream(
        "application/x-ndjson",
        split_every(wire::ndjson(lines).as_bytes(), n),
    )
}

fn check_request(r: &Recorded, stream: bool) {
    assert_eq!(r.method, "POST");
    assert_eq!(r.path, "/api/chat");
    assert_eq!(r.header("authorization"), None, "no key configured");
    let body = r.json();
    assert_eq!(body["model"], MODEL);
    assert_eq!(
        body["messages"],
        json!([
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Say hello"}
        ])
    );
    assert_eq!(body["options"]["num_predict"], 64);
    assert_eq!(body["options"]["temperature"], 0.25);
    // Ollama streams unless told otherwise, so `false` must be explicit.
    assert_eq!(body["stream"], stream, "{body}");
    let accept = if stream {
        "application/x-ndjson"
    } else {
        "application/json"
    };
    assert_eq!(r.header("accept"), Some(accept));
}

fn check_done(resp: &ChatResponse) {
    assert_eq!(resp.model.as_deref(), Some(MODEL));
    assert_eq!(resp.finish_kind(), Some(FinishKind::Stop));
    assert_eq!(resp.finish.as_ref().unwrap().raw.as_deref(), Some("stop"));
    let u = resp.usage.as_ref().unwrap();
    assert_eq!((u.input_tokens, u.output_tokens), (Some(26), Some(298)));
    let meta = &resp.provider_meta;
    assert_eq!(meta["created_at"], wire::CREATED);
    assert_eq!(meta["total_duration"], 5_191_566_416u64);
    assert_eq!(meta["load_duration"], 2_154_458);
    assert_eq!(meta["prompt_eval_duration"], 383_809_000);
    assert_eq!(meta["eval_duration"], 4_799_921_000u64);
}

#[tokio::test]
async fn chat_whole_sends_stream_false() {
    let server = TestServer::start(vec![Reply::json(200, wire::chat_text())]).await;
    let resp = client(&server).chat(request()).await.unwrap();
    check_request(&server.only_request(), false);
    assert_eq!(resp.text(), TEXT);
    check_done(&resp);
}

#[tokio::test]
async fn chat_ndjson_stream_equals_whole() {
    let server = TestServer::start(vec![
        ndjson_reply(&wire::chat_text_lines(), 7),
        Reply::json(200, wire::chat_text()),
    ])
    .await;
    let c = client(&server);
    let (deltas, streamed) =
        support::deltas_and_folded(c.chat_stream(request()).await.unwrap()).await;
    assert_eq!(deltas, TEXT_DELTAS);
    check_done(&streamed);
    assert_eq!(streamed, c.chat(request()).await.unwrap());
    check_request(&server.requests()[0], true);
}

#[tokio::test]
async fn tool_calls_get_ids_and_results_go_back() {
    let server = TestServer::start(vec![
        Reply::json(
            200,
            wire::chat(
                json!({"role": "assistant", "content": "", "tool_calls": wire::tool_calls()}),
            ),
        ),
        Reply::json(200, wire::chat_text()),
    ])
    .await;
    let c = client(&server);
    let req = request().with_tool(weather_tool());
    let resp = c.chat(req.clone()).await.unwrap();
    let calls = resp.tool_calls();
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0].name, "get_weather");
    assert_eq!(calls[0].arguments, weather_args());
    assert_eq!(calls[1].arguments["city"], "Tokyo");
    assert!(!calls[0].id.is_empty());
    assert_ne!(calls[0].id, calls[1].id, "made-up ids are unique");
    assert_eq!(resp.finish_kind(), Some(FinishKind::ToolCalls));
    assert_eq!(resp.finish.as_ref().unwrap().raw.as_deref(), Some("stop"));

    let mut next = req;
    next.messages
        .push(Message::new(Role::Assistant, resp.content.clone()));
    for (call, answer) in calls.iter().zip(["21", "14"]) {
        let mut result = ToolResult::text(call.id.clone(), answer);
        result.name = Some(call.name.clone());
        next.messages.push(Message::tool_result(result));
    }
    assert_eq!(c.chat(next).await.unwrap().text(), TEXT);

    let reqs = server.requests();
    assert_eq!(
        reqs[0].json()["tools"],
        json!([{"type": "function", "function": {
            "name": "get_weather",
            "description": "Current weather for a city",
            "parameters": weather_tool().parameters
        }}])
    );
    let messages = reqs[1].json()["messages"].clone();
    assert_eq!(
        messages[2],
        json!({"role": "assistant", "content": "", "tool_calls": wire::tool_calls()}),
        "arguments go back as objects"
    );
    assert_eq!(
        messages[3],
        json!({"role": "tool", "content": "21", "tool_name": "get_weather"})
    );
    assert_eq!(
        messages[4],
        json!({"role": "tool", "content": "14", "tool_name": "get_weather"})
    );
}

#[tokio::test]
async fn streamed_tool_call_keeps_a_server_id() {
    let call = json!([{"id": "call_k1x9", "function": {"index": 0, "name": "get_weather", "arguments": weather_args()}}]);
    let lines = vec![
        wire::line(json!({"role": "assistant", "content": "", "tool_calls": call})),
        wire::last_line(),
    ];
    let server = TestServer::start(vec![ndjson_reply(&lines, 11)]).await;
    let resp = client(&server)
        .chat_stream(request().with_tool(weather_tool()))
        .await
        .unwrap()
        .collect_response()
        .await
        .unwrap();
    let calls = resp.tool_calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].id, "call_k1x9");
    assert_eq!(calls[0].arguments, weather_args());
    assert_eq!(resp.finish_kind(), Some(FinishKind::ToolCalls));
}

#[tokio::test]
async fn thinking_is_asked_for_and_read_whole_and_streamed() {
    let thinking = "The user greets me. ";
    let whole = wire::chat(json!({"role": "assistant", "content": TEXT, "thinking": thinking}));
    let mut lines = vec![
        wire::line(json!({"role": "assistant", "content": "", "thinking": "The user "})),
        wire::line(json!({"role": "assistant", "content": "", "thinking": "greets me. "})),
    ];
    lines.extend(wire::chat_text_lines());
    let server = TestServer::start(vec![Reply::json(200, whole), ndjson_reply(&lines, 13)]).await;
    let c = client(&server);
    let req = request().with_reasoning(ReasoningConfig {
        effort: Some(ReasoningEffort::High),
        ..Default::default()
    });
    let resp = c.chat(req.clone()).await.unwrap();
    assert_eq!(resp.reasoning_text(), thinking);
    assert_eq!(resp.text(), TEXT);
    let streamed = support::streamed(&c, req).await.unwrap();
    assert_eq!(streamed.reasoning_text(), thinking);
    assert_eq!(streamed.text(), TEXT);
    assert_eq!(streamed.content, resp.content);
    for r in server.requests() {
        assert_eq!(r.json()["think"], "high");
    }

    // The thinking goes back with the assistant turn.
    let server = TestServer::start(vec![Reply::json(200, wire::chat_text())]).await;
    let mut next = request();
    next.messages
        .push(Message::new(Role::Assistant, resp.content.clone()));
    next.messages.push(Message::user("And again?"));
    client(&server).chat(next).await.unwrap();
    assert_eq!(
        server.only_request().json()["messages"][2],
        json!({"role": "assistant", "content": TEXT, "thinking": thinking})
    );
}

const NOT_FOUND: &str = r#"{"error":"model \"llama9\" not found, try pulling it first"}"#;

#[tokio::test]
async fn an_unknown_model_is_not_found_with_the_message() {
    let server = TestServer::start(vec![
        Reply::json(404, NOT_FOUND),
        Reply::json(404, NOT_FOUND),
    ])
    .await;
    let c = client(&server);
    let req = ChatRequest::new("ollama/llama9", hello_messages());
    let err = c.chat(req.clone()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert_eq!(err.status(), Some(404));
    assert_eq!(err.provider(), Some("ollama"));
    assert_eq!(
        err.message(),
        "model \"llama9\" not found, try pulling it first"
    );
    let Err(err) = c.chat_stream(req).await else {
        panic!("a 404 before the stream must fail the call");
    };
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert!(err.message().contains("try pulling it first"));
    assert_eq!(server.request_count(), 2, "not retried");
}

#[tokio::test]
async fn an_error_line_mid_stream_ends_it_with_an_error() {
    let mut lines = wire::chat_text_lines();
    lines.truncate(2);
    lines
        .push(json!({"error": "an error was encountered while running the model: unexpected EOF"}));
    let server = TestServer::start(vec![ndjson_reply(&lines, 6)]).await;
    let resp = client(&server)
        .chat_stream(request())
        .await
        .unwrap()
        .collect_response()
        .await
        .unwrap();
    assert_eq!(
        resp.text(),
        TEXT_DELTAS[..2].concat(),
        "what arrived is kept"
    );
    assert_eq!(resp.finish_kind(), Some(FinishKind::Error));
    assert_eq!(
        resp.error.unwrap().message,
        "an error was encountered while running the model: unexpected EOF"
    );
}

#[tokio::test]
async fn a_stream_without_its_done_line_is_truncated() {
    let mut lines = wire::chat_text_lines();
    lines.pop();
    let server = TestServer::start(vec![ndjson_reply(&lines, 5)]).await;
    let err = client(&server)
        .chat_stream(request())
        .await
        .unwrap()
        .collect_response()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Truncated);
    assert_eq!(err.partial().unwrap().text(), TEXT);
}

#[tokio::test]
async fn embeddings_through_api_embed() {
    let server = TestServer::start(vec![Reply::json(
        200,
        json!({
            "model": "all-minilm",
            "embeddings": [[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]],
            "total_duration": 14_143_917u64,
            "load_duration": 1_019_500u64,
            "prompt_eval_count": 8
        })
        .to_string(),
    )])
    .await;
    let resp = client(&server)
        .embed(EmbedRequest::new("ollama/all-minilm", ["a", "b", "c"]))
        .await
        .unwrap();
    let r = server.only_request();
    assert_eq!(r.path, "/api/embed");
    assert_eq!(
        r.json(),
        json!({"model": "all-minilm", "input": ["a", "b", "c"]})
    );
    assert_eq!(
        resp.embeddings,
        vec![vec![0.1f32, 0.2], vec![0.3, 0.4], vec![0.5, 0.6]]
    );
    assert_eq!(resp.model.as_deref(), Some("all-minilm"));
    assert_eq!(resp.usage.unwrap().input_tokens, Some(8));
}

#[tokio::test]
async fn models_are_listed_from_api_tags() {
    let tags = json!({"models": [wire::tag("qwen3:8b", 5_225_376_047), wire::tag("llama3.2:latest", 2_019_393_189)]});
    let server = TestServer::start(vec![Reply::json(200, tags.to_string())]).await;
    let models = client(&server).list_models("ollama").await.unwrap();
    let r = server.only_request();
    assert_eq!((r.method.as_str(), r.path.as_str()), ("GET", "/api/tags"));
    let ids: Vec<&str> = models.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(ids, ["qwen3:8b", "llama3.2:latest"]);
}

#[tokio::test]
async fn ollama_host_without_a_scheme_and_an_optional_key() {
    let server = TestServer::start(vec![Reply::json(200, wire::chat_text())]).await;
    let host = server.host();
    let c = Client::builder()
        .env_lookup(move |k| match k {
            "OLLAMA_HOST" => Some(host.clone()),
            "OLLAMA_API_KEY" => Some(KEY.to_owned()),
            _ => None,
        })
        .build()
        .unwrap();
    assert_eq!(c.chat(request()).await.unwrap().text(), TEXT);
    let r = server.only_request();
    let bearer = format!("Bearer {KEY}");
    assert_eq!(r.header("authorization"), Some(bearer.as_str()));
    assert_eq!(r.path, "/api/chat");
}

#[tokio::test]
async fn a_key_echoed_in_an_error_is_redacted() {
    let body = json!({ "error": format!("unauthorized: key {KEY} is not valid") }).to_string();
    let server = TestServer::start(vec![Reply::json(401, body)]).await;
    let c = Client::builder()
        .env_lookup(|_| None)
        .base_url("ollama", server.root())
        .api_key("ollama", KEY)
        .build()
        .unwrap();
    let err = c.chat(request()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth);
    assert!(err.message().starts_with("unauthorized"), "{err}");
    assert_no_key(&err);
}
