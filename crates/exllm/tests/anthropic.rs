//! Anthropic Messages, end to end against a local server: text and tool calls, whole and
//! streamed, the request on the wire (`x-api-key`, `anthropic-version`, `system`, `max_tokens`),
//! and streamed answers that collect into the same response as whole ones.

use crate::support;

use exllm::{ChatRequest, FinishKind, Part, StreamEvent};
use futures_util::StreamExt;
use serde_json::json;
use support::fixtures::{anthropic, ARGS_FRAGMENTS, TEXT, TEXT_DELTAS};
use support::{client_for, hello_messages, weather_args, weather_tool, Reply, TestServer, KEY};

const WIRE_MODEL: &str = "claude-sonnet-4-5-20250929";

fn request() -> ChatRequest {
    ChatRequest::new("anthropic/claude-sonnet-4-5", hello_messages()).with_max_tokens(64)
}

fn tool_request() -> ChatRequest {
    request().with_tool(weather_tool())
}

fn assert_messages_request(r: &support::Recorded, stream: bool) {
    assert_eq!(r.method, "POST");
    assert_eq!(r.path, "/v1/messages");
    assert_eq!(r.header("x-api-key"), Some(KEY));
    assert_eq!(r.header("anthropic-version"), Some("2023-06-01"));
    assert_eq!(r.header("authorization"), None);
    assert_eq!(r.header("content-type"), Some("application/json"));
    let body = r.json();
    assert_eq!(body["model"], "claude-sonnet-4-5");
    assert_eq!(
        body["system"],
        json!([{"type": "text", "text": "Be brief."}])
    );
    assert_eq!(
        body["messages"],
        json!([{"role": "user", "content": [{"type": "text", "text": "Say hello"}]}])
    );
    assert_eq!(body["max_tokens"], 64);
    if stream {
        assert_eq!(r.header("accept"), Some("text/event-stream"));
        assert_eq!(body["stream"], true);
    } else {
        assert!(body.get("stream").is_none(), "{body}");
    }
}

#[tokio::test]
async fn text_whole() {
    let server = TestServer::start(vec![Reply::json(200, anthropic::text(WIRE_MODEL))]).await;
    let resp = client_for("anthropic", &server, 0)
        .chat(request())
        .await
        .unwrap();
    assert_eq!(resp.text(), TEXT);
    assert_eq!(resp.id.as_deref(), Some(anthropic::ID));
    assert_eq!(resp.model.as_deref(), Some(WIRE_MODEL));
    let finish = resp.finish.as_ref().unwrap();
    assert_eq!(finish.kind, FinishKind::Stop);
    assert_eq!(finish.raw.as_deref(), Some("end_turn"));
    let usage = resp.usage.as_ref().unwrap();
    assert_eq!(usage.input_tokens, Some(14));
    assert_eq!(usage.output_tokens, Some(6));
    // Not sent by the provider: unknown, not zero.
    assert_eq!(usage.cache_read_tokens, None);
    assert_eq!(usage.reasoning_tokens, None);
    assert_messages_request(&server.only_request(), false);
}

#[tokio::test]
async fn default_max_tokens_is_sent() {
    // The Messages API requires `max_tokens`: one is sent even when the caller sets none.
    let server = TestServer::start(vec![Reply::json(200, anthropic::text(WIRE_MODEL))]).await;
    let req = ChatRequest::new("anthropic/claude-sonnet-4-5", hello_messages());
    client_for("anthropic", &server, 0).chat(req).await.unwrap();
    let n = server.only_request().json()["max_tokens"].as_u64();
    assert!(n.is_some_and(|n| n > 0), "max_tokens: {n:?}");
}

#[tokio::test]
async fn text_streamed() {
    let server = TestServer::start(vec![Reply::sse_split(
        &anthropic::text_stream(WIRE_MODEL),
        8,
    )])
    .await;
    let mut stream = client_for("anthropic", &server, 0)
        .chat_stream(request())
        .await
        .unwrap();
    let mut deltas = Vec::new();
    let mut saw_start = false;
    let mut finish = None;
    while let Some(ev) = stream.next().await {
        match ev.unwrap() {
            StreamEvent::Start { id, model } => {
                assert_eq!(id.as_deref(), Some(anthropic::ID));
                assert_eq!(model.as_deref(), Some(WIRE_MODEL));
                saw_start = true;
            }
            StreamEvent::TextDelta(t) => deltas.push(t),
            StreamEvent::Finish(f) => finish = Some(f),
            _ => {}
        }
    }
    assert!(saw_start);
    assert_eq!(deltas, TEXT_DELTAS);
    assert_eq!(finish.map(|f| f.kind), Some(FinishKind::Stop));
    assert_messages_request(&server.only_request(), true);
}

#[tokio::test]
async fn text_streamed_equals_whole() {
    let server = TestServer::start(vec![
        Reply::json(200, anthropic::text(WIRE_MODEL)),
        Reply::sse_split(&anthropic::text_stream(WIRE_MODEL), 10),
    ])
    .await;
    let c = client_for("anthropic", &server, 0);
    let whole = c.chat(request()).await.unwrap();
    let streamed = support::streamed(&c, request()).await.unwrap();
    assert_eq!(streamed, whole);
    // Input tokens come from message_start, output tokens from message_delta.
    let u = streamed.usage.unwrap();
    assert_eq!((u.input_tokens, u.output_tokens), (Some(14), Some(6)));
}

fn assert_tool_answer(resp: &exllm::ChatResponse) {
    assert_eq!(resp.content.len(), 2, "{resp:?}");
    assert_eq!(resp.content[0], Part::text(anthropic::PREAMBLE));
    let calls = resp.tool_calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].id, anthropic::TOOL_ID);
    assert_eq!(calls[0].name, "get_weather");
    assert_eq!(calls[0].arguments, weather_args());
    let finish = resp.finish.as_ref().unwrap();
    assert_eq!(finish.kind, FinishKind::ToolCalls);
    assert_eq!(finish.raw.as_deref(), Some("tool_use"));
}

fn assert_tools_sent(r: &support::Recorded) {
    assert_eq!(
        r.json()["tools"],
        json!([{
            "name": "get_weather",
            "description": "Current weather for a city",
            "input_schema": weather_tool().parameters
        }])
    );
}

#[tokio::test]
async fn tool_call_whole() {
    let server = TestServer::start(vec![Reply::json(200, anthropic::tool(WIRE_MODEL))]).await;
    let resp = client_for("anthropic", &server, 0)
        .chat(tool_request())
        .await
        .unwrap();
    assert_tool_answer(&resp);
    let r = server.only_request();
    assert_messages_request(&r, false);
    assert_tools_sent(&r);
}

#[tokio::test]
async fn tool_call_arguments_streamed_in_fragments() {
    let server = TestServer::start(vec![Reply::sse_split(
        &anthropic::tool_stream(WIRE_MODEL),
        5,
    )])
    .await;
    let mut stream = client_for("anthropic", &server, 0)
        .chat_stream(tool_request())
        .await
        .unwrap();
    let mut fragments = Vec::new();
    let mut ended = false;
    while let Some(ev) = stream.next().await {
        match ev.unwrap() {
            StreamEvent::ToolCallStart { index, id, name } => {
                assert_eq!(
                    (index, id.as_str(), name.as_str()),
                    (1, anthropic::TOOL_ID, "get_weather")
                );
            }
            StreamEvent::ToolCallDelta { index, arguments } => {
                assert_eq!(index, 1);
                fragments.push(arguments);
            }
            StreamEvent::ToolCallEnd { index } => {
                assert_eq!(index, 1);
                ended = true;
            }
            _ => {}
        }
    }
    assert!(ended);
    assert_eq!(fragments, ARGS_FRAGMENTS);
    let r = server.only_request();
    assert_messages_request(&r, true);
    assert_tools_sent(&r);
}

#[tokio::test]
async fn tool_call_streamed_equals_whole() {
    let server = TestServer::start(vec![
        Reply::json(200, anthropic::tool(WIRE_MODEL)),
        Reply::sse_split(&anthropic::tool_stream(WIRE_MODEL), 3),
    ])
    .await;
    let c = client_for("anthropic", &server, 0);
    let whole = c.chat(tool_request()).await.unwrap();
    let streamed = support::streamed(&c, tool_request()).await.unwrap();
    assert_tool_answer(&whole);
    assert_eq!(streamed, whole);
}

#[tokio::test]
async fn key_from_the_environment_lookup() {
    let server = TestServer::start(vec![Reply::json(200, anthropic::text(WIRE_MODEL))]).await;
    let c = exllm::Client::builder()
        .env_lookup(|k| (k == "ANTHROPIC_API_KEY").then(|| "sk-ant-from-env".to_owned()))
        .base_url("anthropic", server.url())
        .build()
        .unwrap();
    c.chat(request()).await.unwrap();
    assert_eq!(
        server.only_request().header("x-api-key"),
        Some("sk-ant-from-env")
    );
}

#[tokio::test]
async fn base_url_from_the_environment_lookup() {
    let server = TestServer::start(vec![Reply::json(200, anthropic::text(WIRE_MODEL))]).await;
    let url = server.url();
    let c = exllm::Client::builder()
        .env_lookup(move |k| match k {
            "ANTHROPIC_API_KEY" => Some(KEY.to_owned()),
            "ANTHROPIC_BASE_URL" => Some(url.clone()),
            _ => None,
        })
        .build()
        .unwrap();
    let resp = c.chat(request()).await.unwrap();
    assert_eq!(resp.text(), TEXT);
    assert_messages_request(&server.only_request(), false);
}

#[tokio::test]

async fn a_header_set_by_the_caller_replaces_the_default() {
    // The caller pins another API version: the server must see that one value, not both.
    let server = TestServer::start(vec![Reply::json(200, anthropic::text(WIRE_MODEL))]).await;
    let c = exllm::Client::builder()
        .env_lookup(|_| None)
        .base_url("anthropic", server.url())
        .api_key("anthropic", KEY)
        .header("anthropic", "anthropic-version", "2024-10-22")
        .header(
            "anthropic",
            "anthropic-beta",
            "fine-grained-tool-streaming-2025-05-14",
        )
        .build()
        .unwrap();
    c.chat(request()).await.unwrap();
    let r = server.only_request();
    let versions: Vec<&str> = r
        .headers
        .iter()
        .filter(|(k, _)| k == "anthropic-version")
        .map(|(_, v)| v.as_str())
        .collect();
    assert_eq!(
        versions,
        ["2024-10-22"],
        "anthropic-version sent as {versions:?}"
    );
    assert_eq!(
        r.header("anthropic-beta"),
        Some("fine-grained-tool-streaming-2025-05-14")
    );
}

#[tokio::test]
async fn thinking_streamed_equals_whole_with_its_signature() {
    let whole = json!({
        "id": anthropic::ID, "type": "message", "role": "assistant", "model": WIRE_MODEL,
        "content": [
            {"type": "thinking", "thinking": "The user wants a greeting.", "signature": "EqQBCkYIBxgCKkBsig"},
            {"type": "text", "text": TEXT}
        ],
        "stop_reason": "end_turn", "stop_sequence": null,
        "usage": {"input_tokens": 14, "output_tokens": 6}
    });
    let ev = support::fixtures::event;
    let stream = ev(
        "message_start",
        &json!({"type": "message_start", "message": {
            "id": anthropic::ID, "type": "message", "role": "assistant", "model": WIRE_MODEL,
            "content": [], "stop_reason": null, "stop_sequence": null,
            "usage": {"input_tokens": 14, "output_tokens": 1}}}),
    ) + &ev(
        "content_block_start",
        &json!({"type": "content_block_start", "index": 0,
            "content_block": {"type": "thinking", "thinking": "", "signature": ""}}),
    ) + &ev(
        "content_block_delta",
        &json!({"type": "content_block_delta", "index": 0,
            "delta": {"type": "thinking_delta", "thinking": "The user wants "}}),
    ) + &ev(
        "content_block_delta",
        &json!({"type": "content_block_delta", "index": 0,
            "delta": {"type": "thinking_delta", "thinking": "a greeting."}}),
    ) + &ev(
        "content_block_delta",
        &json!({"type": "content_block_delta", "index": 0,
            "delta": {"type": "signature_delta", "signature": "EqQBCkYIBxgCKkBsig"}}),
    ) + &ev(
        "content_block_stop",
        &json!({"type": "content_block_stop", "index": 0}),
    ) + &ev(
        "content_block_start",
        &json!({"type": "content_block_start", "index": 1,
            "content_block": {"type": "text", "text": ""}}),
    ) + &ev(
        "content_block_delta",
        &json!({"type": "content_block_delta", "index": 1,
            "delta": {"type": "text_delta", "text": TEXT}}),
    ) + &ev(
        "content_block_stop",
        &json!({"type": "content_block_stop", "index": 1}),
    ) + &ev(
        "message_delta",
        &json!({"type": "message_delta",
            "delta": {"stop_reason": "end_turn", "stop_sequence": null}, "usage": {"output_tokens": 6}}),
    ) + &ev("message_stop", &json!({"type": "message_stop"}));
    let server = TestServer::start(vec![
        Reply::json(200, whole.to_string()),
        Reply::sse_split(&stream, 9),
    ])
    .await;
    let c = client_for("anthropic", &server, 0);
    let whole = c.chat(request()).await.unwrap();
    let streamed = support::streamed(&c, request()).await.unwrap();
    assert_eq!(whole.reasoning_text(), "The user wants a greeting.");
    match &whole.content[0] {
        Part::Reasoning(r) => assert_eq!(r.signature.as_deref(), Some("EqQBCkYIBxgCKkBsig")),
        other => panic!("expected reasoning first, got {other:?}"),
    }
    assert_eq!(whole.text(), TEXT);
    assert_eq!(streamed, whole);
}
