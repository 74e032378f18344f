//! Context caching and token counting end to end on a local server: `Client::count_tokens`
//! (Anthropic `count_tokens`, Gemini `countTokens`, the local count elsewhere), Anthropic's
//! 1-hour cache TTL on the wire and in the cost, and Gemini's `cachedContents` (create, get,
//! list, update, delete, use in a request, and the errors).

use crate::support;

use exllm::{CacheBreakpoint, CachedContentCreate, ChatRequest, ErrorKind, Message, Part, Role};
use serde_json::json;
use std::time::Duration;
use support::{client_for, hello_messages, weather_tool, Reply, TestServer, KEY};

#[tokio::test]
async fn anthropic_counts_on_the_server() {
    let server = TestServer::start(vec![Reply::json(200, r#"{"input_tokens": 1234}"#)]).await;
    let req = ChatRequest::new("anthropic/claude-sonnet-4-5", hello_messages())
        .with_max_tokens(64)
        .with_tool(weather_tool());
    let n = client_for("anthropic", &server, 0)
        .count_tokens(&req)
        .await
        .unwrap();
    assert_eq!(n, 1234);
    let r = server.only_request();
    assert_eq!(r.method, "POST");
    assert_eq!(r.path, "/v1/messages/count_tokens");
    assert_eq!(r.header("x-api-key"), Some(KEY));
    assert_eq!(r.header("anthropic-version"), Some("2023-06-01"));
    let body = r.json();
    assert_eq!(body["model"], "claude-sonnet-4-5");
    assert_eq!(body["system"][0]["text"], "Be brief.");
    assert_eq!(body["tools"][0]["name"], "get_weather");
    assert!(body.get("max_tokens").is_none(), "{body}");
}

#[tokio::test]
async fn anthropic_error_is_passed_through() {
    let err = r#"{"type":"error","error":{"type":"invalid_request_error","message":"messages: at least one message is required"}}"#;
    let server = TestServer::start(vec![Reply::json(400, err)]).await;
    let req = ChatRequest::new("anthropic/claude-sonnet-4-5", hello_messages());
    let e = client_for("anthropic", &server, 0)
        .count_tokens(&req)
        .await
        .unwrap_err();
    assert_eq!(e.status(), Some(400));
    assert_eq!(e.kind(), ErrorKind::BadRequest);
    assert!(e.to_string().contains("at least one message"), "{e}");
    support::assert_no_key(&e);
}

#[tokio::test]
async fn gemini_counts_on_the_server() {
    let answer =
        r#"{"totalTokens": 17, "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 17}]}"#;
    let server = TestServer::start(vec![Reply::json(200, answer)]).await;
    let req = ChatRequest::new("gemini/gemini-2.5-flash", hello_messages()).with_max_tokens(9);
    let n = client_for("gemini", &server, 0)
        .count_tokens(&req)
        .await
        .unwrap();
    assert_eq!(n, 17);
    let r = server.only_request();
    assert_eq!(r.method, "POST");
    assert!(
        r.path.ends_with("/models/gemini-2.5-flash:countTokens"),
        "{}",
        r.path
    );
    let g = &r.json()["generateContentRequest"];
    assert_eq!(g["model"], "models/gemini-2.5-flash");
    assert_eq!(g["contents"][0]["parts"][0]["text"], "Say hello");
    assert_eq!(g["systemInstruction"]["parts"][0]["text"], "Be brief.");
}

#[tokio::test]
async fn gemini_unknown_model_is_a_404() {
    let err = r#"{"error":{"code":404,"message":"models/nope is not found","status":"NOT_FOUND"}}"#;
    let server = TestServer::start(vec![Reply::json(404, err)]).await;
    let req = ChatRequest::new("gemini/nope", hello_messages());
    let e = client_for("gemini", &server, 0)
        .count_tokens(&req)
        .await
        .unwrap_err();
    assert_eq!(e.status(), Some(404));
    assert!(e.to_string().contains("not found"), "{e}");
}

#[tokio::test]
async fn other_providers_count_locally() {
    let server = TestServer::start(vec![]).await;
    let req = ChatRequest::new("openai/gpt-4o", hello_messages());
    let n = client_for("openai", &server, 0)
        .count_tokens(&req)
        .await
        .unwrap();
    let local = exllm::tokens::count_messages("gpt-4o", &req.messages, &req.tools);
    assert_eq!(n, local.tokens);
    assert!(n > 0);
    assert_eq!(server.request_count(), 0);
}

#[tokio::test]
async fn anthropic_1h_cache_ttl_is_sent_and_priced() {
    let answer = json!({
        "id": "msg_1", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5",
        "content": [{"type": "text", "text": "ok"}],
        "stop_reason": "end_turn",
        "usage": {"input_tokens": 10, "cache_creation_input_tokens": 1000000,
                  "cache_read_input_tokens": 0, "output_tokens": 1}
    });
    let server = TestServer::start(vec![
        Reply::json(200, answer.to_string()),
        Reply::json(200, answer.to_string()),
    ])
    .await;
    let client = client_for("anthropic", &server, 0);
    let ask = |ttl: Option<&str>| {
        let b = CacheBreakpoint {
            ttl: ttl.map(str::to_owned),
        };
        let parts = vec![Part::text("a long document"), Part::CacheBreakpoint(b)];
        ChatRequest::new(
            "anthropic/claude-sonnet-4-5",
            vec![Message::new(Role::User, parts)],
        )
        .with_max_tokens(8)
    };
    let long = client.chat(ask(Some("1h"))).await.unwrap();
    let short = client.chat(ask(None)).await.unwrap();
    let sent = server.requests();
    assert_eq!(
        sent[0].json()["messages"][0]["content"][0]["cache_control"],
        json!({"type": "ephemeral", "ttl": "1h"})
    );
    assert_eq!(
        sent[1].json()["messages"][0]["content"][0]["cache_control"],
        json!({"type": "ephemeral"})
    );
    // A million cache-write tokens: $6 at the 1-hour price, $3.75 at the 5-minute one.
    let (long, short) = (long.cost.unwrap(), short.cost.unwrap());
    assert!((long.cache_write - 6.0).abs() < 1e-6, "{long:?}");
    assert!((short.cache_write - 3.75).abs() < 1e-6, "{short:?}");
}

#[tokio::test]
async fn anthropic_1h_cache_ttl_prices_a_stream() {
    let ev = |name: &str, v: serde_json::Value| format!("event: {name}\ndata: {v}\n\n");
    let body = [
        ev(
            "message_start",
            json!({"type": "message_start", "message": {
            "id": "msg_2", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5",
            "content": [], "stop_reason": null,
            "usage": {"input_tokens": 10, "cache_creation_input_tokens": 1000000,
                      "cache_read_input_tokens": 0, "output_tokens": 1}}}),
        ),
        ev(
            "content_block_start",
            json!({"type": "content_block_start", "index": 0,
            "content_block": {"type": "text", "text": ""}}),
        ),
        ev(
            "content_block_delta",
            json!({"type": "content_block_delta", "index": 0,
            "delta": {"type": "text_delta", "text": "ok"}}),
        ),
        ev(
            "content_block_stop",
            json!({"type": "content_block_stop", "index": 0}),
        ),
        ev(
            "message_delta",
            json!({"type": "message_delta",
            "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 1}}),
        ),
        ev("message_stop", json!({"type": "message_stop"})),
    ]
    .concat();
    let server = TestServer::start(vec![Reply::sse(vec![body.into_bytes()])]).await;
    let parts = vec![
        Part::text("a long document"),
        Part::CacheBreakpoint(CacheBreakpoint {
            ttl: Some("1h".into()),
        }),
    ];
    let req = ChatRequest::new(
        "anthropic/claude-sonnet-4-5",
        vec![Message::new(Role::User, parts)],
    )
    .with_max_tokens(8);
    let resp = client_for("anthropic", &server, 0)
        .chat_stream(req)
        .await
        .unwrap()
        .collect_response()
        .await
        .unwrap();
    assert_eq!(resp.text(), "ok");
    let cost = resp.cost.unwrap();
    assert!((cost.cache_write - 6.0).abs() < 1e-6, "{cost:?}");
}

fn cache_json(name: &str) -> serde_json::Value {
    json!({
        "name": name,
        "model": "models/gemini-2.5-flash",
        "displayName": "book",
        "createTime": "2026-12-07T09:00:00Z",
        "updateTime": "2026-12-07T09:00:00Z",
        "expireTime": "2026-12-07T09:10:00Z",
        "usageMetadata": {"totalTokenCount": 40000}
    })
}

#[tokio::test]
async fn gemini_cache_lifecycle() {
    let name = "cachedContents/c1";
    let mut updated = cache_json(name);
    updated["expireTime"] = json!("2026-12-07T11:00:00Z");
    let server = TestServer::start(vec![
        Reply::json(200, cache_json(name).to_string()),
        Reply::json(200, cache_json(name).to_string()),
        Reply::json(
            200,
            json!({"cachedContents": [cache_json(name)], "nextPageToken": "p2"}).to_string(),
        ),
        Reply::json(200, updated.to_string()),
        Reply::json(200, "{}"),
    ])
    .await;
    let caches = client_for("gemini", &server, 0).gemini_caches("gemini");
    let mut c = CachedContentCreate::new(
        "gemini/gemini-2.5-flash",
        vec![
            Message::system("Answer from the book."),
            Message::user("The book."),
        ],
    )
    .with_ttl(Duration::from_secs(600));
    c.display_name = Some("book".into());
    let made = caches.create(c).await.unwrap();
    assert_eq!(made.name, name);
    assert_eq!(made.total_tokens, Some(40000));
    assert_eq!(caches.get(name).await.unwrap(), made);
    let page = caches.list(Some(5), None).await.unwrap();
    assert_eq!(page.caches, vec![made.clone()]);
    assert_eq!(page.next_page_token.as_deref(), Some("p2"));
    let later = caches
        .update_ttl(name, Duration::from_secs(7200))
        .await
        .unwrap();
    assert_eq!(later.expire_time.as_deref(), Some("2026-12-07T11:00:00Z"));
    caches.delete(name).await.unwrap();

    let r = server.requests();
    assert_eq!(
        (r[0].method.as_str(), r[0].path.as_str()),
        ("POST", "/v1/cachedContents")
    );
    let body = r[0].json();
    assert_eq!(body["model"], "models/gemini-2.5-flash");
    assert_eq!(body["ttl"], "600s");
    assert_eq!(body["displayName"], "book");
    assert_eq!(
        body["systemInstruction"]["parts"][0]["text"],
        "Answer from the book."
    );
    assert_eq!(body["contents"][0]["parts"][0]["text"], "The book.");
    assert_eq!(r[0].header("x-goog-api-key"), Some(KEY));
    assert_eq!(
        (r[1].method.as_str(), r[1].path.as_str()),
        ("GET", "/v1/cachedContents/c1")
    );
    assert_eq!(r[2].path, "/v1/cachedContents?pageSize=5");
    assert_eq!(r[3].method, "PATCH");
    assert_eq!(r[3].path, "/v1/cachedContents/c1?updateMask=ttl");
    assert_eq!(r[3].json(), json!({"ttl": "7200s"}));
    assert_eq!(
        (r[4].method.as_str(), r[4].path.as_str()),
        ("DELETE", "/v1/cachedContents/c1")
    );
}

#[tokio::test]
async fn gemini_request_reads_a_cache_and_prices_the_read() {
    let answer = json!({
        "candidates": [{"content": {"role": "model", "parts": [{"text": "Ahab."}]},
                        "finishReason": "STOP"}],
        "usageMetadata": {"promptTokenCount": 40010, "cachedContentTokenCount": 40000,
                          "candidatesTokenCount": 2, "totalTokenCount": 40012}
    });
    let server = TestServer::start(vec![Reply::json(200, answer.to_string())]).await;
    let client = client_for("gemini", &server, 0);
    let cache = exllm::CachedContent {
        name: "cachedContents/c1".into(),
        ..Default::default()
    };
    let req = ChatRequest::new("gemini/gemini-2.5-flash", vec![Message::user("Who?")]);
    let resp = client.chat(cache.use_in(req)).await.unwrap();
    assert_eq!(
        server.only_request().json()["cachedContent"],
        "cachedContents/c1"
    );
    let usage = resp.usage.unwrap();
    assert_eq!(usage.cache_read_tokens, Some(40000));
    let cost = resp.cost.unwrap();
    // 40k cached tokens at gemini-2.5-flash's cache-read price, the other 10 at its input one.
    let model = exllm::catalog::Catalog::shared_model("gemini/gemini-2.5-flash").unwrap();
    let read = model.prices.base.cache_read.unwrap();
    let input = model.prices.base.input.unwrap();
    assert!(read < input);
    assert!(
        (cost.cached_input - 40_000.0 * read).abs() < 1e-12,
        "{cost:?}"
    );
    assert!((cost.input - 10.0 * input).abs() < 1e-12, "{cost:?}");
}

#[tokio::test]
async fn gemini_cache_errors() {
    let missing = r#"{"error":{"code":404,"message":"CachedContent not found (or permission denied)","status":"NOT_FOUND"}}"#;
    let bad = r#"{"error":{"code":400,"message":"Cached content is too small. total_token_count=10, min_total_token_count=1024","status":"INVALID_ARGUMENT"}}"#;
    let server = TestServer::start(vec![Reply::json(404, missing), Reply::json(400, bad)]).await;
    let caches = client_for("gemini", &server, 0).gemini_caches("gemini");
    let e = caches.get("cachedContents/gone").await.unwrap_err();
    assert_eq!(e.status(), Some(404));
    assert!(e.to_string().contains("not found"), "{e}");
    let c = CachedContentCreate::new("gemini-2.5-flash", vec![Message::user("tiny")]);
    let e = caches.create(c).await.unwrap_err();
    assert_eq!(e.status(), Some(400));
    assert_eq!(e.kind(), ErrorKind::BadRequest);
    assert!(e.to_string().contains("too small"), "{e}");
    support::assert_no_key(&e);
    // A provider without the Gemini API has no caches, and nothing is sent.
    let other = client_for("openai", &server, 0).gemini_caches("openai");
    let e = other.get("cachedContents/x").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unsupported);
    assert_eq!(server.request_count(), 2);
}

#[tokio::test]
async fn gemini_cache_expiry_is_set_by_time() {
    let name = "cachedContents/c2";
    let mut updated = cache_json(name);
    updated["expireTime"] = json!("2026-12-08T00:00:00Z");
    let server = TestServer::start(vec![Reply::json(200, updated.to_string())]).await;
    let caches = client_for("gemini", &server, 0).gemini_caches("gemini");
    // 2026-12-08T00:00:00Z.
    let at = std::time::UNIX_EPOCH + Duration::from_secs(1_796_688_000);
    let c = caches.update_expire_time(name, at).await.unwrap();
    assert_eq!(c.expire_time.as_deref(), Some("2026-12-08T00:00:00Z"));
    let r = server.only_request();
    assert_eq!(r.method, "PATCH");
    assert_eq!(r.path, "/v1/cachedContents/c2?updateMask=expireTime");
    assert_eq!(r.json(), json!({"expireTime": "2026-12-08T00:00:00Z"}));
}
