//! OpenAI over the Responses API (`.api("openai", Api::OpenAiResponses)`), end to end against a
//! local server: text and tool calls, whole and streamed, the request on the wire, and
//! streamed answers that collect into the same response as whole ones.

use crate::support;

use exllm::{Api, ChatRequest, Client, FinishKind, StreamEvent};
use futures_util::StreamExt;
use serde_json::json;
use support::fixtures::{responses, ARGS_FRAGMENTS, TEXT, TEXT_DELTAS};
use support::{fast_retry, hello_messages, weather_args, weather_tool, Reply, TestServer, KEY};

const WIRE_MODEL: &str = "gpt-4.1-mini-2025-04-14";

fn client(server: &TestServer) -> Client {
    Client::builder()
        .env_lookup(|_| None)
        .base_url("openai", server.url())
        .api_key("openai", KEY)
        .api("openai", Api::OpenAiResponses)
        .retry(fast_retry(0))
        .build()
        .unwrap()
}

fn request() -> ChatRequest {
    ChatRequest::new("openai/gpt-4.1-mini", hello_messages()).with_max_tokens(64)
}

fn tool_request() -> ChatRequest {
    request().with_tool(weather_tool())
}

fn assert_responses_request(r: &support::Recorded, stream: bool) {
    assert_eq!(r.method, "POST");
    assert_eq!(r.path, "/v1/responses");
    assert_eq!(
        r.header("authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );
    assert_eq!(r.header("content-type"), Some("application/json"));
    let body = r.json();
    assert_eq!(body["model"], "gpt-4.1-mini");
    assert_eq!(
        body["input"],
        json!([
            {"role": "system", "content": [{"type": "input_text", "text": "Be brief."}]},
            {"role": "user", "content": [{"type": "input_text", "text": "Say hello"}]}
        ])
    );
    assert!(body.get("messages").is_none(), "{body}");
    assert_eq!(body["max_output_tokens"], 64);
    assert!(body.get("max_tokens").is_none(), "{body}");
    assert!(body.get("max_completion_tokens").is_none(), "{body}");
    if stream {
        assert_eq!(r.header("accept"), Some("text/event-stream"));
        assert_eq!(body["stream"], true);
    } else {
        assert!(body.get("stream").is_none(), "{body}");
    }
}

#[tokio::test]
async fn text_whole() {
    let server = TestServer::start(vec![Reply::json(200, responses::text(WIRE_MODEL))]).await;
    let resp = client(&server).chat(request()).await.unwrap();
    assert_eq!(resp.text(), TEXT);
    assert_eq!(resp.id.as_deref(), Some(responses::ID));
    assert_eq!(resp.model.as_deref(), Some(WIRE_MODEL));
    let finish = resp.finish.as_ref().unwrap();
    assert_eq!(finish.kind, FinishKind::Stop);
    assert_eq!(finish.raw.as_deref(), Some("completed"));
    let usage = resp.usage.as_ref().unwrap();
    assert_eq!(usage.input_tokens, Some(14));
    assert_eq!(usage.output_tokens, Some(6));
    assert_eq!(usage.reasoning_tokens, Some(0));
    assert!(resp.error.is_none());
    assert_responses_request(&server.only_request(), false);
}

#[tokio::test]
async fn text_streamed() {
    let server = TestServer::start(vec![Reply::sse_split(
        &responses::text_stream(WIRE_MODEL),
        9,
    )])
    .await;
    let mut stream = client(&server).chat_stream(request()).await.unwrap();
    let mut deltas = Vec::new();
    let mut finishes = 0;
    while let Some(ev) = stream.next().await {
        match ev.unwrap() {
            StreamEvent::TextDelta(t) => deltas.push(t),
            StreamEvent::Finish(f) => {
                assert_eq!(f.kind, FinishKind::Stop);
                finishes += 1;
            }
            _ => {}
        }
    }
    // The `output_text.done` event repeats the text: it must not be added twice.
    assert_eq!(deltas, TEXT_DELTAS);
    assert_eq!(finishes, 1);
    assert_responses_request(&server.only_request(), true);
}

#[tokio::test]
async fn text_streamed_equals_whole() {
    let server = TestServer::start(vec![
        Reply::json(200, responses::text(WIRE_MODEL)),
        Reply::sse_split(&responses::text_stream(WIRE_MODEL), 13),
    ])
    .await;
    let c = client(&server);
    let whole = c.chat(request()).await.unwrap();
    let streamed = support::streamed(&c, request()).await.unwrap();
    assert_eq!(streamed, whole);
    assert_eq!(streamed.text(), TEXT);
}

fn assert_tool_answer(resp: &exllm::ChatResponse) {
    let calls = resp.tool_calls();
    assert_eq!(calls.len(), 1, "{resp:?}");
    assert_eq!(calls[0].id, responses::CALL_ID);
    assert_eq!(calls[0].name, "get_weather");
    assert_eq!(calls[0].arguments, weather_args());
    assert_eq!(resp.finish_kind(), Some(FinishKind::ToolCalls));
}

fn assert_tools_sent(r: &support::Recorded) {
    assert_eq!(
        r.json()["tools"],
        json!([{
            "type": "function",
            "name": "get_weather",
            "description": "Current weather for a city",
            "parameters": weather_tool().parameters
        }])
    );
}

#[tokio::test]
async fn tool_call_whole() {
    let server = TestServer::start(vec![Reply::json(200, responses::tool(WIRE_MODEL))]).await;
    let resp = client(&server).chat(tool_request()).await.unwrap();
    assert_tool_answer(&resp);
    let r = server.only_request();
    assert_responses_request(&r, false);
    assert_tools_sent(&r);
}

#[tokio::test]
async fn tool_call_arguments_streamed_in_fragments() {
    let server = TestServer::start(vec![Reply::sse_split(
        &responses::tool_stream(WIRE_MODEL),
        6,
    )])
    .await;
    let mut stream = client(&server).chat_stream(tool_request()).await.unwrap();
    let mut fragments = Vec::new();
    while let Some(ev) = stream.next().await {
        if let StreamEvent::ToolCallDelta { arguments, .. } = ev.unwrap() {
            fragments.push(arguments);
        }
    }
    // `function_call_arguments.done` and `output_item.done` repeat the arguments: not re-sent.
    assert_eq!(fragments, ARGS_FRAGMENTS);
    let r = server.only_request();
    assert_responses_request(&r, true);
    assert_tools_sent(&r);
}

#[tokio::test]
async fn tool_call_streamed_equals_whole() {
    let server = TestServer::start(vec![
        Reply::json(200, responses::tool(WIRE_MODEL)),
        Reply::sse_split(&responses::tool_stream(WIRE_MODEL), 4),
    ])
    .await;
    let c = client(&server);
    let whole = c.chat(tool_request()).await.unwrap();
    let streamed = support::streamed(&c, tool_request()).await.unwrap();
    assert_tool_answer(&whole);
    assert_eq!(streamed, whole);
}

#[tokio::test]
async fn chat_api_stays_the_default_for_openai() {
    // Without `.api(..)`, the same provider speaks Chat Completions.
    let server = TestServer::start(vec![Reply::json(
        200,
        support::fixtures::chat::text("gpt-4o-mini"),
    )])
    .await;
    let c = support::client_for("openai", &server, 0);
    c.chat(request()).await.unwrap();
    assert_eq!(server.only_request().path, "/v1/chat/completions");
}
