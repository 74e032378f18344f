//! Stream recovery against a loopback server: a stream cut mid-answer keeps what arrived under
//! a recovery id, `resume` continues it with each strategy (prefill or instruction, paragraph,
//! summary), the output budget and usage are not double counted, half-formed tool calls are
//! regenerated, and auto-resume hides the break from the caller.

use crate::support;

use exllm::recovery::ResumeStrategy;
use exllm::{ChatRequest, Client, ErrorKind, Message, Role, StreamEvent};
use futures_util::StreamExt;
use serde_json::{json, Value};
use support::fixtures::{data, event};
use support::{fast_retry, Ending, Reply, TestServer, KEY};

fn client(provider: &str, server: &TestServer, auto_resume: u32) -> Client {
    Client::builder()
        .env_lookup(|_| None)
        .base_url(provider, server.url())
        .api_key(provider, KEY)
        .retry(fast_retry(0))
        .auto_resume(auto_resume)
        .build()
        .unwrap()
}

/// An OpenAI client keeping interrupted answers in `store`.
fn sharing(server: &TestServer, store: exllm::recovery::RecoveryStore) -> Client {
    Client::builder()
        .env_lookup(|_| None)
        .base_url("openai", server.url())
        .api_key("openai", KEY)
        .recovery(Some(store))
        .build()
        .unwrap()
}

/// An OpenAI chat stream of these text deltas; `done` adds the finish, usage and `[DONE]`.
fn openai(deltas: &[&str], done: bool, completion_tokens: u64) -> String {
    let chunk = |delta: Value, finish: Value| {
        data(
            &json!({"id": "c1", "object": "chat.completion.chunk", "model": "gpt-4o-mini",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}),
        )
    };
    let mut s = chunk(json!({"role": "assistant", "content": ""}), Value::Null);
    for d in deltas {
        s += &chunk(json!({"content": d}), Value::Null);
    }
    if done {
        s += &chunk(json!({}), json!("stop"));
        s += &data(
            &json!({"id": "c1", "object": "chat.completion.chunk", "model": "gpt-4o-mini",
            "choices": [], "usage": {"prompt_tokens": 20, "completion_tokens": completion_tokens,
            "total_tokens": 20 + completion_tokens}}),
        );
        s += "data: [DONE]\n\n";
    }
    s
}

/// A stream that sends `deltas` and then breaks (connection closed mid-body).
fn cut(body: String) -> Reply {
    Reply::sse(vec![body.into_bytes()]).ending(Ending::Close)
}

fn ask(model: &str) -> ChatRequest {
    ChatRequest::new(model, vec![Message::user("Tell me a story")]).with_max_tokens(100)
}

#[tokio::test]
async fn a_cut_stream_is_kept_and_resumed_exactly() {
    let server = TestServer::start(vec![
        cut(openai(&["It was a dark ", "and stormy"], false, 0)),
        Reply::json(200, chat_json(" night.", 3)),
    ])
    .await;
    let c = client("openai", &server, 0);
    let err = support::streamed(&c, ask("openai/gpt-4o-mini"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Network, "{err:?}");
    let id = err.recovery_id().expect("a recovery id").to_owned();
    assert_eq!(err.partial().unwrap().text(), "It was a dark and stormy");
    assert_eq!(c.recovery_store().unwrap().len(), 1);

    let resp = c.resume(&id, ResumeStrategy::Exact).await.unwrap();
    assert_eq!(resp.text(), "It was a dark and stormy night.");
    assert_eq!(resp.provider_meta[exllm::client::RESUMED_FROM], id.as_str());
    let sent = server.requests()[1].json();
    let msgs = sent["messages"].as_array().unwrap();
    // OpenAI has no prefill: the partial answer, then an instruction to continue.
    assert_eq!(
        msgs[1],
        json!({"role": "assistant", "content": "It was a dark and stormy"})
    );
    assert_eq!(msgs[2]["role"], "user");
    // Nothing was counted for the broken stream; the estimate of the kept text (24 chars,
    // 6 tokens) comes off the budget.
    assert_eq!(sent["max_completion_tokens"], 94);
    assert!(c.recovery_store().unwrap().is_empty());
    let again = c.resume(&id, ResumeStrategy::Exact).await.unwrap_err();
    assert_eq!(again.kind(), ErrorKind::InvalidInput);
}

fn anthropic_head(text: &str) -> String {
    event(
        "message_start",
        &json!({"type": "message_start", "message": {"id": "msg_1",
        "type": "message", "role": "assistant", "model": "claude-sonnet-4-5", "content": [],
        "stop_reason": null, "usage": {"input_tokens": 30, "output_tokens": 1}}}),
    ) + &event(
        "content_block_start",
        &json!({"type": "content_block_start", "index": 0,
            "content_block": {"type": "text", "text": ""}}),
    ) + &event(
        "content_block_delta",
        &json!({"type": "content_block_delta", "index": 0,
            "delta": {"type": "text_delta", "text": text}}),
    )
}

fn anthropic_tail(output_tokens: u64) -> String {
    event(
        "content_block_stop",
        &json!({"type": "content_block_stop", "index": 0}),
    ) + &event(
        "message_delta",
        &json!({"type": "message_delta",
            "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": output_tokens}}),
    ) + &event("message_stop", &json!({"type": "message_stop"}))
}

#[tokio::test]
async fn anthropic_continues_a_prefill_and_auto_resume_hides_the_break() {
    let server = TestServer::start(vec![
        cut(anthropic_head("Once upon a time, ")),
        Reply::sse_split(
            &(anthropic_head(" there lived a cat.") + &anthropic_tail(6)),
            13,
        ),
    ])
    .await;
    let c = client("anthropic", &server, 1);
    let mut s = c
        .chat_stream(ask("anthropic/claude-sonnet-4-5"))
        .await
        .unwrap();
    let mut text = String::new();
    let mut collector = exllm::Collector::new();
    while let Some(e) = s.next().await {
        let e = e.expect("no error reaches the caller");
        if let StreamEvent::TextDelta(t) = &e {
            text.push_str(t);
        }
        collector.push(e);
    }
    assert_eq!(text, "Once upon a time, there lived a cat.");
    let resp = collector.finish();
    // The broken segment's usage counts too: 30 + 30 input, 1 + 6 output.
    let u = resp.usage.unwrap();
    assert_eq!((u.input_tokens, u.output_tokens), (Some(60), Some(7)));
    let sent = server.requests()[1].json();
    let msgs = sent["messages"].as_array().unwrap();
    // A prefill: the kept text (trailing space removed) is the last message.
    assert_eq!(msgs.len(), 2);
    assert_eq!(msgs[1]["role"], "assistant");
    assert_eq!(msgs[1]["content"][0]["text"], "Once upon a time,");
    assert_eq!(sent["max_tokens"], 99);
}

#[tokio::test]
async fn paragraph_and_summary_strategies() {
    let server = TestServer::start(vec![cut(openai(
        &["Intro para.\n\n", "Second para, cut"],
        false,
        0,
    ))])
    .await;
    let c = client("openai", &server, 0);
    let err = support::streamed(&c, ask("openai/gpt-4o-mini"))
        .await
        .unwrap_err();
    let id = err.recovery_id().unwrap().to_owned();
    // The store outlives the client: another client sharing it resumes.
    drop(server);
    let server = TestServer::start(vec![Reply::json(
        200,
        chat_json("Second paragraph, whole.", 5),
    )])
    .await;
    let c2 = sharing(&server, c.recovery_store().unwrap().clone());
    let resp = c2.resume(&id, ResumeStrategy::Paragraph).await.unwrap();
    assert_eq!(resp.text(), "Intro para.\n\nSecond paragraph, whole.");
    let msgs = server.requests()[0].json()["messages"].clone();
    assert_eq!(msgs[1]["content"], "Intro para.");

    // Summarize: one call for the summary, one for the continuation.
    let store = exllm::recovery::RecoveryStore::default();
    let mut partial = exllm::ChatResponse::default();
    partial
        .content
        .push(exllm::Part::text("A long tale about a cat named Tom who"));
    let id = store.save(
        ask("openai/gpt-4o-mini"),
        partial,
        ErrorKind::Network,
        "cut".into(),
    );
    let server = TestServer::start(vec![
        Reply::json(200, chat_json("Tom the cat.", 3)),
        Reply::json(200, chat_json(" sailed away.", 4)),
    ])
    .await;
    let c3 = sharing(&server, store);
    let resp = c3.resume(&id, ResumeStrategy::Summarize).await.unwrap();
    assert_eq!(
        resp.text(),
        "A long tale about a cat named Tom who sailed away."
    );
    assert_eq!(resp.usage.unwrap().output_tokens, Some(7));
    let reqs = server.requests();
    assert!(reqs[0].json()["messages"][1]["content"]
        .as_str()
        .unwrap()
        .contains("Tom who"));
    let last = reqs[1].json()["messages"]
        .as_array()
        .unwrap()
        .last()
        .cloned()
        .unwrap();
    assert!(last["content"].as_str().unwrap().contains("Tom the cat."));
}

fn chat_json(text: &str, completion_tokens: u64) -> String {
    json!({"id": "c2", "object": "chat.completion", "model": "gpt-4o-mini",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
            "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 20, "completion_tokens": completion_tokens,
            "total_tokens": 20 + completion_tokens}})
    .to_string()
}

#[tokio::test]
async fn half_formed_tool_calls_are_regenerated_not_resumed() {
    let head = data(
        &json!({"id": "c1", "object": "chat.completion.chunk", "model": "m",
        "choices": [{"index": 0, "delta": {"role": "assistant", "content": "Checking. ",
        "tool_calls": [{"index": 0, "id": "call_1", "type": "function",
            "function": {"name": "get_weather", "arguments": "{\"city\": \"Par"}}]},
        "finish_reason": null}]}),
    );
    let server = TestServer::start(vec![cut(head), Reply::json(200, chat_json("Done.", 2))]).await;
    let c = client("openai", &server, 0);
    let err = support::streamed(&c, ask("openai/gpt-4o-mini"))
        .await
        .unwrap_err();
    let resp = c
        .resume(err.recovery_id().unwrap(), ResumeStrategy::Exact)
        .await
        .unwrap();
    assert_eq!(resp.text(), "Checking. Done.");
    let msgs = server.requests()[1].json()["messages"].clone();
    assert_eq!(
        msgs[1],
        json!({"role": "assistant", "content": "Checking."})
    );
    assert!(resp.tool_calls().is_empty());
    let _ = Role::Tool;
}

#[tokio::test]
async fn nothing_received_means_nothing_to_recover() {
    let server = TestServer::start(vec![Reply::sse(vec![]).ending(Ending::Close)]).await;
    let c = client("openai", &server, 1);
    let err = support::streamed(&c, ask("openai/gpt-4o-mini"))
        .await
        .unwrap_err();
    assert!(err.recovery_id().is_none(), "{err:?}");
    assert_eq!(server.request_count(), 1);
}

#[tokio::test]
async fn a_stream_past_the_kept_limit_is_not_kept() {
    // 10 bytes kept at most: the first stream stays within it, the second passes it.
    let store = exllm::recovery::RecoveryStore::default().with_max_kept_bytes(10);
    let server = TestServer::start(vec![
        cut(openai(&["0123", "4567"], false, 0)),
        cut(openai(&["0123", "4567", "89ab"], false, 0)),
    ])
    .await;
    let c = sharing(&server, store.clone());
    let within = support::streamed(&c, ask("openai/gpt-4o-mini"))
        .await
        .unwrap_err();
    assert!(within.recovery_id().is_some(), "{within:?}");
    assert_eq!(within.partial().unwrap().text(), "01234567");
    let past = support::streamed(&c, ask("openai/gpt-4o-mini"))
        .await
        .unwrap_err();
    assert_eq!(past.kind(), ErrorKind::Network, "{past:?}");
    assert!(
        past.recovery_id().is_none(),
        "past the limit nothing is kept"
    );
    // The caller still got every event.
    assert_eq!(past.partial().unwrap().text(), "0123456789ab");
    assert_eq!(store.len(), 1, "only the first break was stored");
    assert_eq!(
        exllm::recovery::RecoveryStore::default().max_kept_bytes(),
        exllm::recovery::DEFAULT_MAX_KEPT_BYTES
    );
}
