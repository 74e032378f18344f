//! Cohere v2 end to end against a local server speaking its documented format: `/v2/chat`
//! whole and streamed (typed SSE events), tool calls with their tool plan (kept in
//! `provider_meta`), tool results sent back as documents, `/v2/embed` in batches of at most 96
//! texts, `/v2/rerank` ordered by score, and errors.

use crate::support;
#[path = "cohere/wire.rs"]
mod wire;

use exllm::{
    ChatRequest, ChatResponse, Client, EmbedInputType, EmbedRequest, ErrorKind, FinishKind,
    Message, RerankRequest, Role, ToolResult,
};
use serde_json::{json, Value};
use support::fixtures::{TEXT, TEXT_DELTAS};
use support::{
    assert_no_key, hello_messages, weather_args, weather_tool, Recorded, Reply, TestServer, KEY,
};

const MODEL: &str = "command-a-03-2025";

/// A client for `cohere` at the server's `/v2`.
fn client(server: &TestServer, retries: u32) -> Client {
    Client::builder()
        .env_lookup(|_| None)
        .base_url("cohere", format!("{}/v2", server.root()))
        .api_key("cohere", KEY)
        .retry(support::fast_retry(retries))
        .build()
        .unwrap()
}

fn request() -> ChatRequest {
    ChatRequest::new(format!("cohere/{MODEL}"), hello_messages()).with_max_tokens(64)
}

fn check_chat_request(r: &Recorded, stream: bool) {
    assert_eq!(r.method, "POST");
    assert_eq!(r.path, "/v2/chat");
    let bearer = format!("Bearer {KEY}");
    assert_eq!(r.header("authorization"), Some(bearer.as_str()));
    let body = r.json();
    assert_eq!(body["model"], MODEL);
    assert_eq!(
        body["messages"],
        json!([
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Say hello"}
        ])
    );
    assert_eq!(body["max_tokens"], 64);
    if stream {
        assert_eq!(body["stream"], true);
        assert_eq!(r.header("accept"), Some("text/event-stream"));
    } else {
        assert!(body.get("stream").is_none(), "{body}");
    }
}

fn check_usage(resp: &ChatResponse) {
    let u = resp.usage.as_ref().expect("usage");
    assert_eq!(u.input_tokens, Some(71), "tokens, not billed units");
    assert_eq!(u.output_tokens, Some(7));
    assert_eq!(u.cache_read_tokens, Some(64));
    assert_eq!(u.reasoning_tokens, None);
}

#[tokio::test]
async fn chat_text_whole() {
    let server = TestServer::start(vec![Reply::json(200, wire::text())]).await;
    let resp = client(&server, 0).chat(request()).await.unwrap();
    check_chat_request(&server.only_request(), false);
    assert_eq!(resp.text(), TEXT);
    assert_eq!(resp.id.as_deref(), Some(wire::ID));
    assert_eq!(resp.finish_kind(), Some(FinishKind::Stop));
    assert_eq!(
        resp.finish.as_ref().unwrap().raw.as_deref(),
        Some("COMPLETE")
    );
    check_usage(&resp);
}

#[tokio::test]
async fn chat_text_stream_equals_whole() {
    let server = TestServer::start(vec![
        Reply::sse_split(&wire::text_stream(), 7),
        Reply::json(200, wire::text()),
    ])
    .await;
    let c = client(&server, 0);
    let (deltas, streamed) =
        support::deltas_and_folded(c.chat_stream(request()).await.unwrap()).await;
    assert_eq!(deltas, TEXT_DELTAS);
    assert_eq!(
        streamed,
        support::unpriced(c.chat(request()).await.unwrap())
    );
    check_usage(&streamed);
    check_chat_request(&server.requests()[0], true);
}

#[tokio::test]
async fn tool_calls_with_a_tool_plan_and_results_sent_back() {
    let server = TestServer::start(vec![
        Reply::json(200, wire::tool()),
        Reply::json(200, wire::text()),
    ])
    .await;
    let c = client(&server, 0);
    let req = request().with_tool(weather_tool());
    let resp = c.chat(req.clone()).await.unwrap();
    let calls = resp.tool_calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].id, wire::CALL_ID);
    assert_eq!(calls[0].name, "get_weather");
    assert_eq!(calls[0].arguments, weather_args());
    assert_eq!(resp.finish_kind(), Some(FinishKind::ToolCalls));
    assert_eq!(
        resp.finish.as_ref().unwrap().raw.as_deref(),
        Some("TOOL_CALL")
    );
    assert_eq!(resp.provider_meta["tool_plan"], wire::PLAN);
    assert_eq!(resp.text(), "", "the plan is not answer text");

    let mut next = req;
    next.messages
        .push(Message::new(Role::Assistant, resp.content.clone()));
    next.messages.push(Message::tool_result(ToolResult::text(
        wire::CALL_ID,
        r#"{"temperature": 21}"#,
    )));
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
    let body = reqs[1].json();
    let messages = body["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 4, "{messages:#?}");
    assert_eq!(messages[2]["role"], "assistant");
    let sent_call = &messages[2]["tool_calls"][0];
    assert_eq!(sent_call["id"], wire::CALL_ID);
    assert_eq!(sent_call["type"], "function");
    assert_eq!(sent_call["function"]["name"], "get_weather");
    let args: Value =
        serde_json::from_str(sent_call["function"]["arguments"].as_str().unwrap()).unwrap();
    assert_eq!(args, weather_args(), "arguments go back as a JSON string");
    assert_eq!(
        messages[3],
        json!({
            "role": "tool",
            "tool_call_id": wire::CALL_ID,
            "content": [{"type": "document", "document": {"data": "{\"temperature\": 21}"}}]
        })
    );
}

#[tokio::test]
async fn tool_call_stream_equals_whole() {
    let server = TestServer::start(vec![
        Reply::sse_split(&wire::tool_stream(), 5),
        Reply::json(200, wire::tool()),
    ])
    .await;
    let c = client(&server, 0);
    let req = request().with_tool(weather_tool());
    let streamed = support::streamed(&c, req.clone()).await.unwrap();
    assert_eq!(streamed.tool_calls()[0].arguments, weather_args());
    assert_eq!(streamed.tool_calls()[0].id, wire::CALL_ID);
    assert_eq!(streamed.provider_meta["tool_plan"], wire::PLAN);
    assert_eq!(streamed.finish_kind(), Some(FinishKind::ToolCalls));
    assert_eq!(streamed, c.chat(req).await.unwrap());
}

#[tokio::test]
async fn citations_go_into_provider_meta() {
    let citation = json!({
        "start": 0, "end": 7, "text": "Bonjour",
        "sources": [{"type": "document", "id": "doc:0", "document": {"id": "doc:0", "snippet": "Bonjour"}}],
        "type": "TEXT_CONTENT"
    });
    let mut body: Value = serde_json::from_str(&wire::text()).unwrap();
    body["message"]["citations"] = json!([citation.clone()]);
    let server = TestServer::start(vec![Reply::json(200, body.to_string())]).await;
    let resp = client(&server, 0).chat(request()).await.unwrap();
    assert_eq!(resp.text(), TEXT);
    assert_eq!(resp.provider_meta["citations"], json!([citation]));
}

#[tokio::test]
async fn a_stream_ending_in_error_finishes_with_error() {
    let mut body = wire::text_stream();
    let end = body.rfind("event: message-end").unwrap();
    body.truncate(end);
    body.push_str(&format!(
        "event: message-end\ndata: {}\n\n",
        json!({"type": "message-end", "delta": {"finish_reason": "ERROR", "error": "internal model failure"}})
    ));
    let server = TestServer::start(vec![Reply::sse_split(&body, 9)]).await;
    let resp = client(&server, 0)
        .chat_stream(request())
        .await
        .unwrap()
        .collect_response()
        .await
        .unwrap();
    assert_eq!(resp.text(), TEXT, "what arrived is kept");
    assert_eq!(resp.finish_kind(), Some(FinishKind::Error));
    assert_eq!(resp.error.unwrap().message, "internal model failure");
}

#[tokio::test]
async fn a_stream_cut_before_message_end_is_truncated() {
    let body = wire::text_stream();
    let cut = &body[..body.rfind("event: content-end").unwrap()];
    let server = TestServer::start(vec![Reply::sse_split(cut, 9)]).await;
    let err = client(&server, 0)
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
async fn embeddings_batch_by_96_and_come_back_in_order() {
    let texts: Vec<String> = (0..200).map(|i| format!("text-{i}")).collect();
    let embed = || {
        Reply::from_fn(|r| {
            let body = r.json();
            assert_eq!(body["model"], "embed-v4.0");
            assert_eq!(body["input_type"], "search_query");
            assert_eq!(body["embedding_types"], json!(["float"]));
            Reply::json(200, wire::embed(body["texts"].as_array().unwrap()))
        })
    };
    let server = TestServer::start(vec![embed(), embed(), embed()]).await;
    let mut req = EmbedRequest::new("cohere/embed-v4.0", texts);
    req.input_type = Some(EmbedInputType::SearchQuery);
    let resp = client(&server, 0).embed(req).await.unwrap();
    let reqs = server.requests();
    let sizes: Vec<usize> = reqs
        .iter()
        .map(|r| r.json()["texts"].as_array().unwrap().len())
        .collect();
    assert_eq!(sizes, [96, 96, 8], "at most 96 texts per request");
    for r in &reqs {
        assert_eq!(r.path, "/v2/embed");
        let bearer = format!("Bearer {KEY}");
        assert_eq!(r.header("authorization"), Some(bearer.as_str()));
    }
    assert_eq!(resp.embeddings.len(), 200);
    for (i, v) in resp.embeddings.iter().enumerate() {
        assert_eq!(v, &vec![i as f32, 1.0], "vector {i}");
    }
    let usage = resp.usage.expect("billed input tokens");
    assert_eq!(usage.input_tokens, Some(200), "summed over the batches");
}

#[tokio::test]
async fn rerank_orders_by_score() {
    let server = TestServer::start(vec![Reply::json(200, wire::rerank())]).await;
    let docs = [
        "Carson City is the capital city of the American state of Nevada.",
        "Washington, D.C. is the capital of the United States.",
        "Capital punishment has existed in the United States since before it was a country.",
        "The Commonwealth of the Northern Mariana Islands is a group of islands.",
    ];
    let req = RerankRequest {
        model: "cohere/rerank-v3.5".into(),
        query: "What is the capital of the United States?".into(),
        documents: docs.iter().map(|d| d.to_string()).collect(),
        top_n: Some(4),
        ..Default::default()
    };
    let resp = client(&server, 0).rerank(req).await.unwrap();
    let r = server.only_request();
    assert_eq!(r.path, "/v2/rerank");
    let body = r.json();
    assert_eq!(body["model"], "rerank-v3.5");
    assert_eq!(body["query"], "What is the capital of the United States?");
    assert_eq!(body["documents"], json!(docs));
    assert_eq!(body["top_n"], 4);
    let order: Vec<usize> = resp.results.iter().map(|r| r.index).collect();
    assert_eq!(order, [0, 1, 2, 3], "highest score first");
    let scores: Vec<f64> = resp.results.iter().map(|r| r.relevance_score).collect();
    assert_eq!(scores, [0.9990564, 0.75, 0.125, 0.000_27]);
    assert_eq!(
        resp.id.as_deref(),
        Some("07734bd2-2473-4f07-94e1-0d9f0e6843cf")
    );
}

#[tokio::test]
async fn unauthorized_is_auth() {
    let body = r#"{"id":"4c1e7d2a-9d3b-4a43-8f0e-2b7d0c1e5f6a","message":"invalid api token"}"#;
    let server = TestServer::start(vec![Reply::json(401, body)]).await;
    let err = client(&server, 3).chat(request()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth);
    assert_eq!(err.status(), Some(401));
    assert_eq!(err.message(), "invalid api token");
    assert_eq!(err.provider(), Some("cohere"));
    assert_eq!(server.request_count(), 1, "auth errors are not retried");
    assert_no_key(&err);
}

#[tokio::test]
async fn bad_request_carries_the_message() {
    let body = r#"{"id":"0b5a2c34-6f8e-4f5e-9a0b-1c2d3e4f5a6b","message":"invalid request: message must be at least 1 token long or tool results must be specified."}"#;
    let server = TestServer::start(vec![Reply::json(400, body)]).await;
    let err = client(&server, 2).chat(request()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BadRequest);
    assert!(
        err.message()
            .starts_with("invalid request: message must be"),
        "{err}"
    );
    assert!(err.to_string().contains("at least 1 token"), "{err}");
    assert_eq!(server.request_count(), 1);
    assert_no_key(&err);
}

#[tokio::test]
async fn rate_limited_rerank_is_retried() {
    let body = r#"{"id":"3f9c","message":"You are using a Trial key, which is limited to 10 API calls / minute."}"#;
    let server = TestServer::start(vec![
        Reply::json(429, body),
        Reply::json(200, wire::rerank()),
    ])
    .await;
    let req = RerankRequest {
        model: "cohere/rerank-v3.5".into(),
        query: "q".into(),
        documents: vec!["a".into(), "b".into(), "c".into(), "d".into()],
        ..Default::default()
    };
    let resp = client(&server, 2).rerank(req.clone()).await.unwrap();
    assert_eq!(resp.results.len(), 4);
    assert_eq!(server.request_count(), 2);

    let server = TestServer::start(vec![Reply::json(429, body)]).await;
    let err = client(&server, 0).rerank(req).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::RateLimit);
    assert!(err.message().contains("Trial key"), "{err}");
    assert_no_key(&err);
}

#[tokio::test]
async fn a_missing_key_names_the_variable_and_co_api_key_works() {
    let server = TestServer::start(vec![Reply::json(200, wire::text())]).await;
    let base = format!("{}/v2", server.root());
    let err = Client::builder()
        .env_lookup(|_| None)
        .base_url("cohere", base.clone())
        .build()
        .unwrap()
        .chat(request())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    assert!(err.message().contains("COHERE_API_KEY"), "{err}");
    assert_eq!(server.request_count(), 0);

    let c = Client::builder()
        .env_lookup(|k| (k == "CO_API_KEY").then(|| KEY.to_owned()))
        .base_url("cohere", base)
        .build()
        .unwrap();
    assert_eq!(c.chat(request()).await.unwrap().text(), TEXT);
    let bearer = format!("Bearer {KEY}");
    assert_eq!(
        server.only_request().header("authorization"),
        Some(bearer.as_str())
    );
}
