//! Google Gemini (AI Studio) end to end against a local server speaking its documented format:
//! `models/<m>:generateContent`, `models/<m>:streamGenerateContent?alt=sse` (SSE `data:` chunks,
//! each a whole response object), the key in `x-goog-api-key`, function calls (Gemini sends no
//! call ids, exllm makes them up), thought parts and thought signatures sent back on the next
//! turn, usage with thoughts and cached tokens, batched embeddings, model listing and errors.

use crate::support;
#[path = "gemini/wire.rs"]
mod wire;

use exllm::{
    ChatRequest, ChatResponse, Client, EmbedInputType, EmbedRequest, ErrorKind, FinishKind,
    Message, ReasoningConfig, Role, StreamEvent, ToolResult,
};
use futures_util::StreamExt;
use serde_json::{json, Value};
use support::fixtures::{TEXT, TEXT_DELTAS};
use support::{
    assert_no_key, client_for, hello_messages, weather_args, weather_tool, Reply, TestServer, KEY,
};
use wire::*;

fn request() -> ChatRequest {
    ChatRequest::new(format!("gemini/{MODEL}"), hello_messages())
        .with_max_tokens(64)
        .with_temperature(0.5)
}

fn check_usage(resp: &ChatResponse) {
    let u = resp.usage.as_ref().expect("usage");
    assert_eq!(u.input_tokens, Some(9));
    assert_eq!(u.output_tokens, Some(6 + 12), "output includes thoughts");
    assert_eq!(u.reasoning_tokens, Some(12));
    assert_eq!(u.cache_read_tokens, Some(4));
    assert_eq!(u.cache_write_tokens, None, "unknown is not zero");
    assert_eq!(u.raw, Some(usage_metadata().into()));
}

fn check_key(r: &support::Recorded) {
    assert_eq!(r.header("x-goog-api-key"), Some(KEY));
    assert_eq!(r.header("authorization"), None);
    assert!(!r.path.contains(KEY), "key in the URL: {}", r.path);
}

#[tokio::test]
async fn chat_whole() {
    let server = TestServer::start(vec![Reply::json(
        200,
        answer(json!([{"text": TEXT}]), "STOP"),
    )])
    .await;
    let resp = client_for("gemini", &server, 0)
        .chat(request())
        .await
        .unwrap();
    let r = server.only_request();
    assert_eq!(r.method, "POST");
    assert_eq!(r.path, format!("/v1/models/{MODEL}:generateContent"));
    check_key(&r);
    let body = r.json();
    assert_eq!(
        body["systemInstruction"],
        json!({"parts": [{"text": "Be brief."}]})
    );
    assert_eq!(
        body["contents"],
        json!([{"role": "user", "parts": [{"text": "Say hello"}]}])
    );
    assert_eq!(body["generationConfig"]["maxOutputTokens"], 64);
    assert_eq!(body["generationConfig"]["temperature"], 0.5);
    assert!(body.get("model").is_none(), "{body}");

    assert_eq!(resp.text(), TEXT);
    assert_eq!(resp.id.as_deref(), Some(RESPONSE_ID));
    assert_eq!(resp.model.as_deref(), Some(MODEL));
    assert_eq!(resp.finish_kind(), Some(FinishKind::Stop));
    assert_eq!(resp.finish.as_ref().unwrap().raw.as_deref(), Some("STOP"));
    assert_eq!(resp.provider_meta["safetyRatings"], safety());
    check_usage(&resp);
}

#[tokio::test]
async fn chat_stream_sse_equals_whole() {
    let server = TestServer::start(vec![
        Reply::sse_split(&answer_stream(&text_parts(), "STOP"), 9),
        Reply::json(200, answer(json!([{"text": TEXT}]), "STOP")),
    ])
    .await;
    let c = client_for("gemini", &server, 0);
    let (deltas, streamed) =
        support::deltas_and_folded(c.chat_stream(request()).await.unwrap()).await;
    assert_eq!(deltas, TEXT_DELTAS);
    let whole = support::unpriced(c.chat(request()).await.unwrap());
    assert_eq!(streamed, whole, "streamed and whole answers differ");
    check_usage(&streamed);

    let r = &server.requests()[0];
    assert_eq!(
        r.path,
        format!("/v1/models/{MODEL}:streamGenerateContent?alt=sse")
    );
    assert_eq!(r.header("accept"), Some("text/event-stream"));
    check_key(r);
    assert_eq!(r.json()["contents"][0]["parts"][0]["text"], "Say hello");
}

#[tokio::test]
async fn a_stream_cut_before_the_finish_reason_is_truncated() {
    let body = answer_stream(&text_parts(), "STOP");
    let cut = body.rsplit_once("data: ").unwrap().0.to_owned();
    let server = TestServer::start(vec![Reply::sse_split(&cut, 11)]).await;
    let err = client_for("gemini", &server, 0)
        .chat_stream(request())
        .await
        .unwrap()
        .collect_response()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Truncated);
    let partial = err.partial().expect("what arrived is kept");
    assert_eq!(partial.text(), TEXT_DELTAS[..3].concat());
}

fn tool_result_message(id: &str, text: &str) -> Message {
    Message::tool_result(ToolResult::text(id, text))
}

#[tokio::test]
async fn function_calls_get_unique_ids_and_answers_go_back_by_name() {
    let tokyo = json!({"city": "Tokyo", "unit": "celsius"});
    let parts = json!([
        call("get_weather", weather_args()),
        call("get_weather", tokyo.clone())
    ]);
    let server = TestServer::start(vec![
        Reply::json(200, answer(parts, "STOP")),
        Reply::json(200, answer(json!([{"text": "Sunny in both."}]), "STOP")),
    ])
    .await;
    let c = client_for("gemini", &server, 0);
    let req = request().with_tool(weather_tool());
    let resp = c.chat(req.clone()).await.unwrap();
    let calls = resp.tool_calls();
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0].name, "get_weather");
    assert_eq!(calls[0].arguments, weather_args());
    assert_eq!(calls[1].arguments, tokyo);
    assert!(!calls[0].id.is_empty() && !calls[1].id.is_empty());
    assert_ne!(calls[0].id, calls[1].id, "made-up ids must be unique");
    assert_eq!(resp.finish_kind(), Some(FinishKind::ToolCalls));
    assert_eq!(resp.finish.as_ref().unwrap().raw.as_deref(), Some("STOP"));

    let mut next = req.clone();
    next.messages
        .push(Message::new(Role::Assistant, resp.content.clone()));
    next.messages
        .push(tool_result_message(&calls[0].id, r#"{"temp": 21}"#));
    next.messages
        .push(tool_result_message(&calls[1].id, "cloudy"));
    let done = c.chat(next).await.unwrap();
    assert_eq!(done.text(), "Sunny in both.");

    let reqs = server.requests();
    let first = reqs[0].json();
    assert_eq!(
        first["tools"],
        json!([{"functionDeclarations": [{
            "name": "get_weather",
            "description": "Current weather for a city",
            "parameters": weather_tool().parameters
        }]}])
    );
    let body = reqs[1].json();
    assert_eq!(
        body["contents"],
        json!([
            {"role": "user", "parts": [{"text": "Say hello"}]},
            {"role": "model", "parts": [
                call("get_weather", weather_args()),
                call("get_weather", tokyo)
            ]},
            {"role": "user", "parts": [
                {"functionResponse": {"name": "get_weather", "response": {"temp": 21}}},
                {"functionResponse": {"name": "get_weather", "response": {"content": "cloudy"}}}
            ]}
        ])
    );
}

/// Two turns, each with one call: made-up ids may repeat across turns (`call_0`), and each
/// answer must still go back under the name of the call it answers.
#[tokio::test]
async fn answers_keep_their_function_name_across_turns() {
    let time_tool = exllm::Tool::new(
        "get_time",
        "Local time in a city",
        json!({"type": "object", "properties": {"city": {"type": "string"}}}),
    );
    let server = TestServer::start(vec![
        Reply::json(
            200,
            answer(json!([call("get_weather", weather_args())]), "STOP"),
        ),
        Reply::json(
            200,
            answer(json!([call("get_time", json!({"city": "Paris"}))]), "STOP"),
        ),
        Reply::json(200, answer(json!([{"text": "Done."}]), "STOP")),
    ])
    .await;
    let c = client_for("gemini", &server, 0);
    let mut req = request().with_tool(weather_tool()).with_tool(time_tool);
    let mut ids = Vec::new();
    for answer in ["21C", "14:05"] {
        let resp = c.chat(req.clone()).await.unwrap();
        let id = resp.tool_calls()[0].id.clone();
        ids.push(id.clone());
        req.messages
            .push(Message::new(Role::Assistant, resp.content.clone()));
        req.messages.push(tool_result_message(&id, answer));
    }
    c.chat(req).await.unwrap();
    let body = server.requests()[2].json();
    let contents = body["contents"].as_array().unwrap();
    let last = &contents[contents.len() - 1]["parts"][0]["functionResponse"];
    assert_eq!(
        last["name"], "get_time",
        "ids {ids:?}; contents: {contents:#?}"
    );
    let first = &contents[2]["parts"][0]["functionResponse"];
    assert_eq!(first["name"], "get_weather", "{contents:#?}");
}

#[tokio::test]
async fn streamed_call_events_carry_ids() {
    let parts = [call("get_weather", weather_args())];
    let server =
        TestServer::start(vec![Reply::sse_split(&answer_stream(&parts, "STOP"), 13)]).await;
    let mut s = client_for("gemini", &server, 0)
        .chat_stream(request().with_tool(weather_tool()))
        .await
        .unwrap();
    let mut ids = Vec::new();
    while let Some(e) = s.next().await {
        if let StreamEvent::ToolCall(c) = e.unwrap() {
            ids.push(c.id);
        }
    }
    assert_eq!(ids.len(), 1);
    assert!(!ids[0].is_empty(), "a tool call event without an id");
}

#[tokio::test]
async fn streamed_function_call_collects_with_an_id() {
    let parts = [call("get_weather", weather_args())];
    let server =
        TestServer::start(vec![Reply::sse_split(&answer_stream(&parts, "STOP"), 13)]).await;
    let resp = client_for("gemini", &server, 0)
        .chat_stream(request().with_tool(weather_tool()))
        .await
        .unwrap()
        .collect_response()
        .await
        .unwrap();
    let calls = resp.tool_calls();
    assert_eq!(calls.len(), 1);
    assert!(!calls[0].id.is_empty());
    assert_eq!(calls[0].arguments, weather_args());
    assert_eq!(resp.finish_kind(), Some(FinishKind::ToolCalls));
}

async fn thought_round_trip(first: Reply, stream: bool) {
    let server = TestServer::start(vec![
        first,
        Reply::json(200, answer(json!([{"text": "21C in Paris."}]), "STOP")),
    ])
    .await;
    let c = client_for("gemini", &server, 0);
    let req = request()
        .with_tool(weather_tool())
        .with_reasoning(ReasoningConfig {
            budget_tokens: Some(2048),
            ..Default::default()
        });
    let resp = if stream {
        let s = c.chat_stream(req.clone()).await.unwrap();
        s.collect_response().await.unwrap()
    } else {
        c.chat(req.clone()).await.unwrap()
    };
    assert_eq!(
        resp.reasoning_text(),
        "The user wants weather; call the tool."
    );
    assert_eq!(resp.text(), "Let me check.");
    let calls = resp.tool_calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(
        calls[0].provider_meta,
        Some(json!({"thoughtSignature": "SIG_CALL_b64=="}))
    );
    let u = resp.usage.as_ref().unwrap();
    assert_eq!(u.reasoning_tokens, Some(12));
    assert_eq!(u.output_tokens, Some(18));

    let mut next = req;
    let id = calls[0].id.clone();
    next.messages
        .push(Message::new(Role::Assistant, resp.content.clone()));
    next.messages.push(tool_result_message(&id, "21C"));
    assert_eq!(c.chat(next).await.unwrap().text(), "21C in Paris.");

    let reqs = server.requests();
    assert_eq!(
        reqs[0].json()["generationConfig"]["thinkingConfig"],
        json!({"thinkingBudget": 2048, "includeThoughts": true})
    );
    let body = reqs[1].json();
    assert_eq!(body["contents"][1]["role"], "model");
    assert_eq!(body["contents"][1]["parts"], thinking_parts_sent_back());
    assert_eq!(
        body["contents"][2]["parts"][0]["functionResponse"],
        json!({"name": "get_weather", "response": {"content": "21C"}})
    );
}

#[tokio::test]
async fn thought_signatures_round_trip_from_a_stream() {
    thought_round_trip(
        Reply::sse_split(&answer_stream(&thinking_parts(), "STOP"), 17),
        true,
    )
    .await;
}

#[tokio::test]
async fn thought_signatures_round_trip_from_a_whole_answer() {
    thought_round_trip(
        Reply::json(200, answer(Value::Array(thinking_parts()), "STOP")),
        false,
    )
    .await;
}

/// Gemini often sends the signature alone, in a last part with empty text.
#[tokio::test]
async fn a_trailing_bare_signature_goes_back_on_the_text_part() {
    let parts = [
        json!({"text": "Bonjour"}),
        json!({"text": "", "thoughtSignature": "SIG_TAIL=="}),
    ];
    let server = TestServer::start(vec![
        Reply::sse_split(&answer_stream(&parts, "STOP"), 8),
        Reply::json(200, answer(json!([{"text": "ok"}]), "STOP")),
    ])
    .await;
    let c = client_for("gemini", &server, 0);
    let resp = support::streamed(&c, request()).await.unwrap();
    assert_eq!(resp.text(), "Bonjour");
    let mut next = request();
    next.messages
        .push(Message::new(Role::Assistant, resp.content));
    next.messages.push(Message::user("Again"));
    c.chat(next).await.unwrap();
    let body = server.requests()[1].json();
    assert_eq!(
        body["contents"][1],
        json!({"role": "model", "parts": [{"text": "Bonjour", "thoughtSignature": "SIG_TAIL=="}]})
    );
}

#[tokio::test]
async fn embeddings_batch_by_100_and_come_back_in_order() {
    let texts: Vec<String> = (0..250).map(|i| format!("text-{i}")).collect();
    // The server embeds `text-<i>` as [i, -i, 0.5] and checks each request's shape.
    let embed = || {
        Reply::from_fn(|r| {
            let body = r.json();
            let vectors: Vec<Value> = body["requests"]
                .as_array()
                .unwrap()
                .iter()
                .map(|q| {
                    assert_eq!(q["model"], "models/gemini-embedding-001");
                    assert_eq!(q["taskType"], "RETRIEVAL_QUERY");
                    assert_eq!(q["outputDimensionality"], 3);
                    let t = q["content"]["parts"][0]["text"].as_str().unwrap();
                    let i: f64 = t.trim_start_matches("text-").parse().unwrap();
                    json!({ "values": [i, -i, 0.5] })
                })
                .collect();
            Reply::json(200, json!({ "embeddings": vectors }).to_string())
        })
    };
    let server = TestServer::start(vec![embed(), embed(), embed()]).await;
    let mut req = EmbedRequest::new("gemini/gemini-embedding-001", texts.clone());
    req.input_type = Some(EmbedInputType::SearchQuery);
    req.dimensions = Some(3);
    let resp = client_for("gemini", &server, 0).embed(req).await.unwrap();

    let reqs = server.requests();
    assert_eq!(reqs.len(), 3, "250 texts need 3 requests of at most 100");
    let sizes: Vec<usize> = reqs
        .iter()
        .map(|r| r.json()["requests"].as_array().unwrap().len())
        .collect();
    assert_eq!(sizes, [100, 100, 50]);
    for r in &reqs {
        assert_eq!(r.path, "/v1/models/gemini-embedding-001:batchEmbedContents");
        check_key(r);
    }
    assert_eq!(resp.embeddings.len(), 250);
    for (i, v) in resp.embeddings.iter().enumerate() {
        assert_eq!(v, &vec![i as f32, -(i as f32), 0.5], "vector {i}");
    }
}

#[tokio::test]
async fn model_listing() {
    let server = TestServer::start(vec![Reply::json(
        200,
        models_page(
            &["gemini-2.5-flash", "gemini-2.5-pro", "embedding-001"],
            None,
        ),
    )])
    .await;
    let models = client_for("gemini", &server, 0)
        .list_models("gemini")
        .await
        .unwrap();
    let r = server.only_request();
    assert_eq!(r.method, "GET");
    assert!(
        r.path == "/v1/models" || r.path.starts_with("/v1/models?"),
        "{}",
        r.path
    );
    check_key(&r);
    let ids: Vec<&str> = models.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(ids, ["gemini-2.5-flash", "gemini-2.5-pro", "embedding-001"]);
    assert_eq!(
        models[0].display_name.as_deref(),
        Some("Display gemini-2.5-flash")
    );
}

#[tokio::test]
async fn model_listing_follows_pages() {
    let server = TestServer::start(vec![
        Reply::json(200, models_page(&["gemini-2.5-flash"], Some("PAGE2"))),
        Reply::json(200, models_page(&["gemini-2.5-pro"], None)),
    ])
    .await;
    let models = client_for("gemini", &server, 0)
        .list_models("gemini")
        .await
        .unwrap();
    let ids: Vec<&str> = models.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(ids, ["gemini-2.5-flash", "gemini-2.5-pro"]);
    assert!(server.requests()[1].path.contains("pageToken=PAGE2"));
}

#[tokio::test]
async fn resource_exhausted_is_retried_then_succeeds() {
    let server = TestServer::start(vec![
        Reply::json(429, EXHAUSTED),
        Reply::json(200, answer(json!([{"text": TEXT}]), "STOP")),
    ])
    .await;
    let resp = client_for("gemini", &server, 2)
        .chat(request())
        .await
        .unwrap();
    assert_eq!(resp.text(), TEXT);
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[0].body, reqs[1].body, "the retry sends the same body");
    check_key(&reqs[1]);
}

#[tokio::test]
async fn resource_exhausted_without_retries_is_a_rate_limit() {
    let server = TestServer::start(vec![Reply::json(429, EXHAUSTED)]).await;
    let err = client_for("gemini", &server, 0)
        .chat(request())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::RateLimit);
    assert_eq!(err.status(), Some(429));
    assert_eq!(err.code(), Some("RESOURCE_EXHAUSTED"));
    assert_eq!(
        err.message(),
        "Resource has been exhausted (e.g. check quota)."
    );
    assert!(err.is_retryable());
    assert_eq!(err.provider(), Some("gemini"));
    assert_no_key(&err);
}

#[tokio::test]
async fn invalid_argument_carries_the_message() {
    let body = json!({"error": {
        "code": 400,
        "message": "* GenerateContentRequest.generation_config.max_output_tokens: must be positive\n",
        "status": "INVALID_ARGUMENT"
    }})
    .to_string();
    let server = TestServer::start(vec![Reply::json(400, body)]).await;
    let err = client_for("gemini", &server, 3)
        .chat(request())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BadRequest);
    assert_eq!(err.status(), Some(400));
    assert_eq!(err.code(), Some("INVALID_ARGUMENT"));
    assert!(
        err.message()
            .contains("max_output_tokens: must be positive"),
        "{err}"
    );
    assert!(err.to_string().contains("must be positive"), "{err}");
    assert!(!err.is_retryable());
    assert_eq!(server.request_count(), 1, "bad requests are not retried");
    assert_no_key(&err);
}

#[tokio::test]
async fn a_key_echoed_by_the_server_is_redacted() {
    let body = json!({"error": {
        "code": 400,
        "message": format!("API key not valid: {KEY}"),
        "status": "INVALID_ARGUMENT"
    }})
    .to_string();
    let server = TestServer::start(vec![Reply::json(400, body)]).await;
    let err = client_for("gemini", &server, 0)
        .chat(request())
        .await
        .unwrap_err();
    assert!(err.message().starts_with("API key not valid"), "{err}");
    assert_no_key(&err);
    assert!(!err.body().unwrap_or("").contains(KEY));
}

#[tokio::test]
async fn an_error_inside_the_stream_ends_it_with_an_error() {
    let mut body = answer_stream(&text_parts()[..2], "STOP");
    body = body.rsplit_once("data: ").unwrap().0.to_owned();
    body.push_str(
        "data: {\"error\":{\"code\":503,\"message\":\"The model is overloaded.\",\"status\":\"UNAVAILABLE\"}}\r\n\r\n",
    );
    let server = TestServer::start(vec![Reply::sse_split(&body, 10)]).await;
    let resp = client_for("gemini", &server, 0)
        .chat_stream(request())
        .await
        .unwrap()
        .collect_response()
        .await
        .unwrap();
    assert_eq!(resp.text(), TEXT_DELTAS[0]);
    assert_eq!(resp.finish_kind(), Some(FinishKind::Error));
    let e = resp.error.expect("the stream's error");
    assert_eq!(e.message, "The model is overloaded.");
    assert_eq!(e.code.as_deref(), Some("UNAVAILABLE"));
}

#[tokio::test]
async fn the_key_is_required_and_may_come_from_google_api_key() {
    let server = TestServer::start(vec![Reply::json(
        200,
        answer(json!([{"text": "hi"}]), "STOP"),
    )])
    .await;
    let with_env = |var: &'static str| {
        Client::builder()
            .env_lookup(move |k| (k == var).then(|| KEY.to_owned()))
            .base_url("gemini", server.url())
            .build()
            .unwrap()
    };
    let err = with_env("UNRELATED").chat(request()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    assert!(err.message().contains("GEMINI_API_KEY"), "{err}");
    assert_eq!(server.request_count(), 0);
    let resp = with_env("GOOGLE_API_KEY").chat(request()).await.unwrap();
    assert_eq!(resp.text(), "hi");
    check_key(&server.only_request());
}
