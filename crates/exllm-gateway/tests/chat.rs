//! `/v1/chat/completions` through the gateway to a loopback provider: whole answers,
//! streams with usage, streamed parallel tool calls, and provider errors in OpenAI's shape.

use crate::support::{config_toml, gateway, http, provider, sse_data};
use serde_json::{json, Value};

fn body(model: &str, stream: bool) -> Value {
    json!({
        "model": model,
        "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hi"}],
        "stream": stream,
        "stream_options": {"include_usage": true},
    })
}

async fn post(url: &str, body: &Value) -> reqwest::Response {
    http()
        .post(url)
        .bearer_auth("sk-master")
        .json(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_whole_answer_comes_back_as_a_chat_completion() {
    let up = provider().await;
    let (gw, _) = gateway(&config_toml(&up, "")).await;
    let resp = post(
        &gw.url("/v1/chat/completions"),
        &json!({"model": "up-echo", "messages": [{"role": "user", "content": "hi"}]}),
    )
    .await;
    assert_eq!(resp.status(), 200);
    let v: Value = resp.json().await.unwrap();
    assert_eq!(v["object"], "chat.completion");
    assert_eq!(v["model"], "up-echo");
    assert_eq!(v["choices"][0]["message"]["content"], "hello world");
    assert_eq!(v["choices"][0]["finish_reason"], "stop");
    assert_eq!(v["usage"]["prompt_tokens"], 12);
    assert_eq!(v["usage"]["completion_tokens"], 3);
    assert_eq!(v["usage"]["prompt_tokens_details"]["cached_tokens"], 4);
}

#[tokio::test]
async fn a_stream_with_include_usage_ends_with_a_usage_chunk_then_done() {
    let up = provider().await;
    let (gw, _) = gateway(&config_toml(&up, "")).await;
    let resp = post(&gw.url("/v1/chat/completions"), &body("up-echo", true)).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "text/event-stream");
    let text = resp.text().await.unwrap();
    let data = sse_data(&text);
    assert_eq!(data.last().map(String::as_str), Some("[DONE]"), "{text}");
    let chunks: Vec<Value> = data[..data.len() - 1]
        .iter()
        .map(|d| serde_json::from_str(d).unwrap())
        .collect();
    assert_eq!(chunks[0]["choices"][0]["delta"]["role"], "assistant");
    let content: String = chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
        .collect();
    assert_eq!(content, "hello world");
    let finish: Vec<&Value> = chunks
        .iter()
        .map(|c| &c["choices"][0]["finish_reason"])
        .filter(|f| !f.is_null())
        .collect();
    assert_eq!(finish, [&json!("stop")]);
    let last = chunks.last().unwrap();
    assert_eq!(last["choices"], json!([]));
    assert_eq!(last["usage"]["prompt_tokens"], 12);
    assert_eq!(last["usage"]["total_tokens"], 15);
    assert!(chunks
        .iter()
        .all(|c| c["object"] == "chat.completion.chunk" && c["id"] == chunks[0]["id"]));
}

#[tokio::test]
async fn parallel_tool_calls_stream_with_ids_names_then_fragments() {
    let up = provider().await;
    let (gw, _) = gateway(&config_toml(&up, "")).await;
    let resp = post(&gw.url("/v1/chat/completions"), &body("up-tools", true)).await;
    let text = resp.text().await.unwrap();
    let data = sse_data(&text);
    assert_eq!(data.last().map(String::as_str), Some("[DONE]"));
    let mut calls: Vec<(String, String, String)> = Vec::new();
    let mut finish = None;
    for d in &data[..data.len() - 1] {
        let c: Value = serde_json::from_str(d).unwrap();
        if let Some(f) = c["choices"][0]["finish_reason"].as_str() {
            finish = Some(f.to_owned());
        }
        for tc in c["choices"][0]["delta"]["tool_calls"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let i = tc["index"].as_u64().unwrap() as usize;
            if let Some(id) = tc["id"].as_str() {
                assert_eq!(i, calls.len(), "a call's first delta comes once, in order");
                assert_eq!(tc["type"], "function");
                let name = tc["function"]["name"].as_str().unwrap().to_owned();
                calls.push((id.to_owned(), name, String::new()));
            }
            calls[i].2 += tc["function"]["arguments"].as_str().unwrap_or("");
        }
    }
    assert_eq!(
        calls,
        [
            (
                "call_w".into(),
                "weather".into(),
                "{\"city\":\"Paris\"}".into()
            ),
            ("call_t".into(), "time".into(), "{\"tz\":\"CET\"}".into()),
        ]
    );
    assert_eq!(finish.as_deref(), Some("tool_calls"));
}

#[tokio::test]
async fn a_stream_broken_after_content_ends_with_an_error_frame_not_done() {
    let up = provider().await;
    let (gw, _) = gateway(&config_toml(&up, "")).await;
    let resp = post(&gw.url("/v1/chat/completions"), &body("up-broken", true)).await;
    assert_eq!(resp.status(), 200);
    let text = resp.text().await.unwrap();
    let data = sse_data(&text);
    assert!(text.contains("partial "), "{text}");
    assert!(!data.iter().any(|d| d == "[DONE]"), "{text}");
    let last: Value = serde_json::from_str(data.last().unwrap()).unwrap();
    assert!(last["error"]["message"].is_string(), "{last}");
    assert!(last["error"]["type"].is_string(), "{last}");
}

#[tokio::test]
async fn a_provider_429_arrives_as_429_with_retry_after() {
    let up = provider().await;
    let (gw, _) = gateway(&config_toml(&up, "")).await;
    for stream in [false, true] {
        let resp = post(&gw.url("/v1/chat/completions"), &body("up-limited", stream)).await;
        assert_eq!(resp.status(), 429);
        assert_eq!(resp.headers()["retry-after"], "7");
        let v: Value = resp.json().await.unwrap();
        assert_eq!(v["error"]["type"], "rate_limit_error");
        assert!(
            v["error"]["message"]
                .as_str()
                .unwrap()
                .contains("slow down"),
            "{v}"
        );
    }
}

#[tokio::test]
async fn unknown_models_and_bad_bodies_are_refused_in_openais_shape() {
    let up = provider().await;
    let (gw, _) = gateway(&config_toml(&up, "")).await;
    let url = gw.url("/v1/chat/completions");
    for model in [
        "gpt-4o",
        "openai/echo",
        "../../etc/passwd",
        "http://127.0.0.1:1/v1",
    ] {
        let resp = post(&url, &body(model, false)).await;
        assert_eq!(resp.status(), 404, "{model}");
        let v: Value = resp.json().await.unwrap();
        assert_eq!(v["error"]["code"], "model_not_found");
    }
    let resp = post(&url, &json!({"model": "up-echo", "messages": "hi"})).await;
    assert_eq!(resp.status(), 400);
    let v: Value = resp.json().await.unwrap();
    assert_eq!(v["error"]["type"], "invalid_request_error");
}

#[tokio::test]
async fn an_error_inside_a_200_is_not_passed_off_as_an_answer() {
    let up = provider().await;
    let (gw, _) = gateway(&config_toml(&up, "")).await;
    let resp = post(&gw.url("/v1/chat/completions"), &body("up-failed", false)).await;
    assert_eq!(resp.status(), 502);
    let v: Value = resp.json().await.unwrap();
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("the run failed"),
        "{v}"
    );
}
