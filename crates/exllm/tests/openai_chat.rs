//! OpenAI over Chat Completions, end to end against a local server: text and tool calls,
//! whole and streamed, the request as it arrives on the wire, and streamed answers that
//! collect into the same response as whole ones.

use crate::support;

use exllm::{ChatRequest, FinishKind, Part, StreamEvent};
use futures_util::StreamExt;
use serde_json::json;
use std::time::{Duration, Instant};
use support::fixtures::{chat, ARGS_FRAGMENTS, TEXT, TEXT_DELTAS};
use support::{client_for, hello_messages, weather_args, weather_tool, Reply, TestServer, KEY};

const WIRE_MODEL: &str = "gpt-4o-mini-2024-07-18";

fn request() -> ChatRequest {
    ChatRequest::new("openai/gpt-4o-mini", hello_messages()).with_max_tokens(64)
}

fn assert_chat_request(r: &support::Recorded, stream: bool) {
    assert_eq!(r.method, "POST");
    assert_eq!(r.path, "/v1/chat/completions");
    assert_eq!(
        r.header("authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );
    assert_eq!(r.header("x-api-key"), None);
    assert_eq!(r.header("content-type"), Some("application/json"));
    let body = r.json();
    assert_eq!(body["model"], "gpt-4o-mini");
    assert_eq!(
        body["messages"],
        json!([
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Say hello"}
        ])
    );
    assert_eq!(body["max_completion_tokens"], 64);
    assert!(body.get("max_tokens").is_none(), "{body}");
    if stream {
        assert_eq!(r.header("accept"), Some("text/event-stream"));
        assert_eq!(body["stream"], true);
        assert_eq!(body["stream_options"], json!({"include_usage": true}));
    } else {
        assert!(body.get("stream").is_none(), "{body}");
        assert!(body.get("stream_options").is_none(), "{body}");
    }
}

#[tokio::test]
async fn text_whole() {
    let server = TestServer::start(vec![Reply::json(200, chat::text(WIRE_MODEL))]).await;
    let client = client_for("openai", &server, 0);
    let resp = client.chat(request()).await.unwrap();

    assert_eq!(resp.text(), TEXT);
    assert_eq!(resp.id.as_deref(), Some(chat::ID));
    assert_eq!(resp.model.as_deref(), Some(WIRE_MODEL));
    let finish = resp.finish.as_ref().unwrap();
    assert_eq!(finish.kind, FinishKind::Stop);
    assert_eq!(finish.raw.as_deref(), Some("stop"));
    let usage = resp.usage.as_ref().unwrap();
    assert_eq!(usage.input_tokens, Some(14));
    assert_eq!(usage.output_tokens, Some(6));
    assert_eq!(usage.cache_read_tokens, Some(0));
    assert_eq!(usage.reasoning_tokens, Some(0));
    assert_eq!(usage.cache_write_tokens, None);
    assert_eq!(
        resp.provider_meta.get("system_fingerprint"),
        Some(&json!("fp_e2e"))
    );
    assert!(resp.warnings.is_empty(), "{:?}", resp.warnings);

    assert_chat_request(&server.only_request(), false);
}

#[tokio::test]
async fn text_streamed_in_small_pieces() {
    // 7-byte pieces cut lines, JSON strings and the multi-byte characters of the text.
    let server = TestServer::start(vec![Reply::sse_split(&chat::text_stream(WIRE_MODEL), 7)]).await;
    let client = client_for("openai", &server, 0);
    let mut stream = client.chat_stream(request()).await.unwrap();
    let mut deltas = Vec::new();
    let mut finish_seen = false;
    while let Some(ev) = stream.next().await {
        match ev.unwrap() {
            StreamEvent::TextDelta(t) => {
                assert!(!finish_seen, "text after finish");
                deltas.push(t);
            }
            StreamEvent::Finish(f) => {
                assert_eq!(f.kind, FinishKind::Stop);
                finish_seen = true;
            }
            _ => {}
        }
    }
    assert!(finish_seen);
    assert_eq!(deltas, TEXT_DELTAS);
    assert_chat_request(&server.only_request(), true);
}

#[tokio::test]
async fn text_streamed_equals_whole() {
    let server = TestServer::start(vec![
        Reply::json(200, chat::text(WIRE_MODEL)),
        Reply::sse_split(&chat::text_stream(WIRE_MODEL), 11),
    ])
    .await;
    let client = client_for("openai", &server, 0);
    let whole = client.chat(request()).await.unwrap();
    let streamed = support::streamed(&client, request()).await.unwrap();
    assert_eq!(streamed, whole);
    assert_eq!(streamed.text(), TEXT);
    assert!(streamed.usage.is_some());
    assert_eq!(server.request_count(), 2);
}

fn tool_request() -> ChatRequest {
    request().with_tool(weather_tool())
}

fn assert_tool_answer(resp: &exllm::ChatResponse) {
    let calls = resp.tool_calls();
    assert_eq!(calls.len(), 1, "{resp:?}");
    assert_eq!(calls[0].id, chat::CALL_ID);
    assert_eq!(calls[0].name, "get_weather");
    assert_eq!(calls[0].arguments, weather_args());
    assert_eq!(resp.finish_kind(), Some(FinishKind::ToolCalls));
    assert_eq!(
        resp.finish.as_ref().unwrap().raw.as_deref(),
        Some("tool_calls")
    );
    assert_eq!(resp.text(), "");
}

fn assert_tools_sent(r: &support::Recorded) {
    let body = r.json();
    assert_eq!(
        body["tools"],
        json!([{
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": "Current weather for a city",
                "parameters": weather_tool().parameters
            }
        }])
    );
}

#[tokio::test]
async fn tool_call_whole() {
    let server = TestServer::start(vec![Reply::json(200, chat::tool(WIRE_MODEL))]).await;
    let client = client_for("openai", &server, 0);
    let resp = client.chat(tool_request()).await.unwrap();
    assert_tool_answer(&resp);
    let r = server.only_request();
    assert_chat_request(&r, false);
    assert_tools_sent(&r);
}

#[tokio::test]
async fn tool_call_arguments_streamed_in_fragments() {
    let server = TestServer::start(vec![Reply::sse_split(&chat::tool_stream(WIRE_MODEL), 5)]).await;
    let client = client_for("openai", &server, 0);
    let mut stream = client.chat_stream(tool_request()).await.unwrap();
    let mut fragments = Vec::new();
    let mut starts = 0;
    while let Some(ev) = stream.next().await {
        match ev.unwrap() {
            StreamEvent::ToolCallStart { index, id, name } => {
                assert_eq!(
                    (index, id.as_str(), name.as_str()),
                    (0, chat::CALL_ID, "get_weather")
                );
                starts += 1;
            }
            StreamEvent::ToolCallDelta { index, arguments } => {
                assert_eq!(index, 0);
                fragments.push(arguments);
            }
            _ => {}
        }
    }
    assert_eq!(starts, 1);
    assert_eq!(fragments, ARGS_FRAGMENTS);
    let r = server.only_request();
    assert_chat_request(&r, true);
    assert_tools_sent(&r);
}

#[tokio::test]
async fn tool_call_streamed_equals_whole() {
    let server = TestServer::start(vec![
        Reply::json(200, chat::tool(WIRE_MODEL)),
        Reply::sse_split(&chat::tool_stream(WIRE_MODEL), 3),
    ])
    .await;
    let client = client_for("openai", &server, 0);
    let whole = client.chat(tool_request()).await.unwrap();
    let streamed = support::streamed(&client, tool_request()).await.unwrap();
    assert_tool_answer(&whole);
    assert_eq!(streamed, whole);
    assert!(matches!(streamed.content[0], Part::ToolCall(_)));
}

#[tokio::test]
async fn stream_events_arrive_before_the_body_ends() {
    // One piece per SSE event, 150 ms apart: the first text must come long before the end.
    let body = chat::text_stream(WIRE_MODEL);
    let pieces: Vec<Vec<u8>> = body
        .split_inclusive("\n\n")
        .map(|e| e.as_bytes().to_vec())
        .collect();
    let n = pieces.len() as u32;
    let delay = Duration::from_millis(150);
    let server = TestServer::start(vec![Reply::sse(pieces).delay(delay)]).await;
    let client = client_for("openai", &server, 0);
    let started = Instant::now();
    let mut stream = client.chat_stream(request()).await.unwrap();
    let mut first_text = None;
    while let Some(ev) = stream.next().await {
        if let StreamEvent::TextDelta(_) = ev.unwrap() {
            first_text.get_or_insert_with(|| started.elapsed());
        }
    }
    let total = started.elapsed();
    let first_text = first_text.expect("text arrived");
    assert!(total >= delay * (n - 1), "total {total:?}");
    assert!(
        first_text + delay * 3 <= total,
        "first text at {first_text:?}, stream over at {total:?}: events were buffered"
    );
}

#[tokio::test]
async fn parallel_tool_calls_stream_by_index() {
    let chunk = |delta: serde_json::Value, finish: Option<&str>| {
        support::fixtures::data(&json!({
            "id": "chatcmpl-par", "object": "chat.completion.chunk", "created": 1, "model": "m",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]
        }))
    };
    let call = |index: u32, id: &str, name: &str| {
        json!({"tool_calls": [{"index": index, "id": id, "type": "function",
                               "function": {"name": name, "arguments": ""}}]})
    };
    let args = |index: u32, text: &str| json!({"tool_calls": [{"index": index, "function": {"arguments": text}}]});
    let body = chunk(call(0, "call_a", "get_weather"), None)
        + &chunk(args(0, r#"{"city":"#), None)
        + &chunk(call(1, "call_b", "get_time"), None)
        + &chunk(args(1, r#"{"tz": "Europe/"#), None)
        + &chunk(args(0, r#" "Paris"}"#), None)
        + &chunk(args(1, r#"Paris"}"#), None)
        + &chunk(json!({}), Some("tool_calls"))
        + "data: [DONE]\n\n";
    let server = TestServer::start(vec![Reply::sse_split(&body, 10)]).await;
    let resp = client_for("openai", &server, 0)
        .chat_stream(tool_request())
        .await
        .unwrap()
        .collect_response()
        .await
        .unwrap();
    let calls = resp.tool_calls();
    assert_eq!(calls.len(), 2, "{resp:?}");
    assert_eq!(
        (calls[0].id.as_str(), calls[0].name.as_str()),
        ("call_a", "get_weather")
    );
    assert_eq!(calls[0].arguments, json!({"city": "Paris"}));
    assert_eq!(
        (calls[1].id.as_str(), calls[1].name.as_str()),
        ("call_b", "get_time")
    );
    assert_eq!(calls[1].arguments, json!({"tz": "Europe/Paris"}));
    assert_eq!(resp.finish_kind(), Some(FinishKind::ToolCalls));
}
