//! Pass-through: a caller speaking the backend's own API gets the provider's bytes as they
//! are, and the provider gets the caller's bytes with only `model` rewritten; streams frame
//! by frame; usage still counted; errors and broken streams in the caller's format.

use crate::support::{gateway, http, serve_app, Running};
use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap};
use axum::response::Response;
use axum::routing::post;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the provider received: path, body, and the `anthropic-beta` header.
type Seen = Arc<Mutex<Vec<(String, Bytes, Option<String>)>>>;

const CHAT: &str = "{\"id\":\"up-1\",  \"object\":\"chat.completion\",\"model\":\"gpt-up\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"bytes as sent\"},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":11,\"completion_tokens\":4,\"total_tokens\":15},\"x_vendor\":{\"kept\":true}}";

const CHAT_FRAMES: [&str; 4] = [
    "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"model\":\"gpt-up\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"he\"},\"finish_reason\":null}],\"x_vendor\":1}\n\n",
    "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"model\":\"gpt-up\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"llo\"},\"finish_reason\":\"stop\"}]}\n\n",
    "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"model\":\"gpt-up\",\"choices\":[],\"usage\":{\"prompt_tokens\":21,\"completion_tokens\":2,\"total_tokens\":23}}\n\n",
    "data: [DONE]\n\n",
];

const MESSAGE_FRAMES: [&str; 4] = [
    "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-up\",\"content\":[],\"stop_reason\":null,\"usage\":{\"input_tokens\":30,\"cache_read_input_tokens\":5,\"output_tokens\":1}}}\n\n",
    "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\nevent: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"hi\"}}\n\n",
    "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\nevent: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"output_tokens\":9}}\n\n",
    "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n",
];

const RESPONSE: &str = "{\"id\":\"resp_1\",\"object\":\"response\",\"status\":\"completed\",\"model\":\"gpt-up\",\"error\":null,\"output\":[{\"type\":\"message\",\"role\":\"assistant\",\"content\":[{\"type\":\"output_text\",\"text\":\"ok\"}]}],\"usage\":{\"input_tokens\":7,\"output_tokens\":1,\"total_tokens\":8}}";

/// The frames, each cut in two so the gateway sees frames split across chunks, with a pause
/// between them; `then_break` cuts the connection after the second frame.
fn stream(frames: &[&'static str], then_break: bool) -> Response {
    let mut pieces: Vec<Result<Bytes, std::io::Error>> = Vec::new();
    for f in frames {
        let (a, b) = f.split_at(f.len() / 2);
        pieces.push(Ok(Bytes::from_static(a.as_bytes())));
        pieces.push(Ok(Bytes::from_static(b.as_bytes())));
    }
    if then_break {
        // Half a frame, then the break: the half must not reach the caller.
        pieces.truncate(5);
        pieces.push(Err(std::io::Error::other("cut")));
    }
    let s = futures_util::stream::iter(pieces).then(|p| async move {
        tokio::time::sleep(Duration::from_millis(5)).await;
        p
    });
    Response::builder()
        .header(header::CONTENT_TYPE, "text/event-stream")
        .body(Body::from_stream(s))
        .unwrap()
}

use futures_util::StreamExt;

fn json(status: u16, body: &'static str) -> Response {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json")
        .header("retry-after", "7")
        .body(Body::from(body))
        .unwrap()
}

async fn provider(seen: Seen) -> Running {
    let record = move |path: &'static str| {
        let seen = seen.clone();
        move |headers: HeaderMap, body: Bytes| {
            let seen = seen.clone();
            async move {
                let beta = headers
                    .get("anthropic-beta")
                    .map(|v| v.to_str().unwrap().to_owned());
                seen.lock().unwrap().push((path.into(), body.clone(), beta));
                let text = String::from_utf8_lossy(&body);
                let streamed = text.contains("\"stream\":true");
                match path {
                    _ if text.contains("\"limited\"") => json(
                        429,
                        "{\"error\":{\"message\":\"slow down\",\"type\":\"rate_limit_error\"}}",
                    ),
                    "chat" if text.contains("\"short\"") => stream(&CHAT_FRAMES[..1], false),
                    "chat" if streamed => stream(&CHAT_FRAMES, text.contains("\"cut\"")),
                    "chat" => json(200, CHAT),
                    "messages" => stream(&MESSAGE_FRAMES, text.contains("\"cut\"")),
                    _ => json(200, RESPONSE),
                }
            }
        }
    };
    let app = axum::Router::new()
        .route("/v1/chat/completions", post(record("chat")))
        .route("/v1/messages", post(record("messages")))
        .route("/v1/responses", post(record("responses")));
    serve_app(app).await
}

fn config(up: &Running) -> String {
    let mut t = String::from("master_key = \"os.environ/GW_MASTER\"\n");
    for (name, model, api) in [
        ("gpt", "openai/gpt-up", ""),
        ("gpt-limited", "openai/limited", ""),
        ("gpt-cut", "openai/cut", ""),
        ("gpt-short", "openai/short", ""),
        ("claude", "anthropic/claude-up", ""),
        ("claude-cut", "anthropic/cut", ""),
        ("claude-limited", "anthropic/limited", ""),
        ("resp", "openai/gpt-up", "api = \"openai-responses\"\n"),
    ] {
        t += &format!(
            "[[models]]\nname = \"{name}\"\nmodel = \"{model}\"\napi_base = \"http://{}/v1\"\napi_key = \"os.environ/UP_KEY\"\n{api}",
            up.addr
        );
    }
    t
}

async fn setup() -> (Seen, Running, Running) {
    let seen = Seen::default();
    let up = provider(seen.clone()).await;
    let (gw, _) = gateway(&config(&up)).await;
    (seen, up, gw)
}

async fn send(gw: &Running, path: &str, body: &str) -> reqwest::Response {
    http()
        .post(gw.url(path))
        .header("x-api-key", "sk-master")
        .header("anthropic-beta", "tools-2099")
        .header(header::CONTENT_TYPE, "application/json")
        .body(body.to_owned())
        .send()
        .await
        .unwrap()
}

async fn metrics(gw: &Running) -> String {
    http()
        .get(gw.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// The request as the caller wrote it, odd spacing and unknown fields included.
fn request(model: &str, stream: bool) -> String {
    format!("{{ \"messages\" : [{{\"role\":\"user\",\"content\":\"hi\"}}],\"model\":  \"{model}\", \"x_extra\": {{\"n\": 1.50}}, \"stream\":{stream},\"stream_options\":{{\"include_usage\":true}} }}")
}

#[tokio::test]
async fn a_whole_openai_answer_passes_through_byte_for_byte() {
    let (seen, _up, gw) = setup().await;
    let resp = send(&gw, "/v1/chat/completions", &request("gpt", false)).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.text().await.unwrap(), CHAT);
    let (path, body, _) = seen.lock().unwrap()[0].clone();
    assert_eq!(path, "chat");
    assert_eq!(body, request("gpt-up", false).as_bytes());
    let m = metrics(&gw).await;
    let labels = "model=\"gpt\",deployment=\"openai/gpt-up\"";
    assert!(
        m.contains(&format!(
            "exllm_requests_total{{{labels},status=\"200\"}} 1"
        )),
        "{m}"
    );
    assert!(
        m.contains(&format!("exllm_tokens_total{{{labels},type=\"input\"}} 11")),
        "{m}"
    );
    assert!(
        m.contains(&format!("exllm_tokens_total{{{labels},type=\"output\"}} 4")),
        "{m}"
    );
}

#[tokio::test]
async fn an_openai_stream_passes_through_frame_for_frame_with_usage_counted() {
    let (seen, _up, gw) = setup().await;
    let resp = send(&gw, "/v1/chat/completions", &request("gpt", true)).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "text/event-stream");
    let mut got = Vec::new();
    let mut body = resp.bytes_stream();
    while let Some(chunk) = body.next().await {
        let chunk = chunk.unwrap();
        // Whole frames only, though the provider cut each in two.
        assert!(chunk.ends_with(b"\n\n"), "{chunk:?}");
        got.extend_from_slice(&chunk);
    }
    assert_eq!(String::from_utf8(got).unwrap(), CHAT_FRAMES.concat());
    assert_eq!(
        seen.lock().unwrap()[0].1,
        request("gpt-up", true).as_bytes()
    );
    let m = metrics(&gw).await;
    let labels = "model=\"gpt\",deployment=\"openai/gpt-up\"";
    assert!(
        m.contains(&format!("exllm_tokens_total{{{labels},type=\"input\"}} 21")),
        "{m}"
    );
    assert!(!m.contains("exllm_errors_total{"), "{m}");
}

#[tokio::test]
async fn an_anthropic_stream_passes_through_with_its_beta_header_and_usage() {
    let (seen, _up, gw) = setup().await;
    let req = "{\"model\":\"claude\",\"max_tokens\":64,\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"hi\",\"cache_control\":{\"type\":\"ephemeral\"}}]}]}";
    let resp = send(&gw, "/v1/messages", req).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.text().await.unwrap(), MESSAGE_FRAMES.concat());
    let (path, body, beta) = seen.lock().unwrap()[0].clone();
    assert_eq!(path, "messages");
    assert_eq!(body, req.replace("\"claude\"", "\"claude-up\"").as_bytes());
    assert_eq!(beta.as_deref(), Some("tools-2099"));
    let m = metrics(&gw).await;
    let labels = "model=\"claude\",deployment=\"anthropic/claude-up\"";
    // Input counts the cache reads, as everywhere in exllm.
    assert!(
        m.contains(&format!("exllm_tokens_total{{{labels},type=\"input\"}} 35")),
        "{m}"
    );
    assert!(
        m.contains(&format!("exllm_tokens_total{{{labels},type=\"output\"}} 9")),
        "{m}"
    );
}

#[tokio::test]
async fn a_responses_answer_passes_through() {
    let (seen, _up, gw) = setup().await;
    let req = "{\"model\":\"resp\",\"input\":\"hi\",\"store\":false}";
    let resp = send(&gw, "/v1/responses", req).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.text().await.unwrap(), RESPONSE);
    let (path, body, _) = seen.lock().unwrap()[0].clone();
    assert_eq!(path, "responses");
    assert_eq!(body, req.replace("\"resp\"", "\"gpt-up\"").as_bytes());
}

#[tokio::test]
async fn provider_errors_come_back_in_the_callers_format_with_retry_after() {
    let (_seen, _up, gw) = setup().await;
    let resp = send(&gw, "/v1/chat/completions", &request("gpt-limited", false)).await;
    assert_eq!(resp.status(), 429);
    assert_eq!(resp.headers()["retry-after"], "7");
    let v: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(v["error"]["type"], "rate_limit_error");
    let req = "{\"model\":\"claude-limited\",\"max_tokens\":5,\"messages\":[]}";
    let resp = send(&gw, "/v1/messages", req).await;
    assert_eq!(resp.status(), 429);
    assert_eq!(resp.headers()["retry-after"], "7");
    let v: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(
        (&v["type"], &v["error"]["type"]),
        (&"error".into(), &"rate_limit_error".into())
    );
    let m = metrics(&gw).await;
    assert!(m.contains("exllm_errors_total{model=\"gpt-limited\",deployment=\"openai/limited\",kind=\"rate_limit\"} 1"), "{m}");
}

#[tokio::test]
async fn a_broken_stream_ends_with_the_formats_error_event_after_whole_frames() {
    let (_seen, _up, gw) = setup().await;
    let text = send(&gw, "/v1/chat/completions", &request("gpt-cut", true))
        .await
        .text()
        .await
        .unwrap();
    let (head, last) = text.trim_end().rsplit_once("\n\n").unwrap();
    assert_eq!(format!("{head}\n\n"), CHAT_FRAMES[..2].concat());
    assert!(last.starts_with("data: {\"error\":"), "{text}");
    assert!(!text.contains("[DONE]"));

    let req = "{\"model\":\"claude-cut\",\"max_tokens\":5,\"stream\":true,\"messages\":[]}";
    let text = send(&gw, "/v1/messages", req).await.text().await.unwrap();
    assert!(
        text.starts_with(MESSAGE_FRAMES[..2].concat().as_str()),
        "{text}"
    );
    let (_, last) = text.trim_end().rsplit_once("\n\n").unwrap();
    assert!(last.starts_with("event: error\ndata: {"), "{text}");
    assert!(
        last.contains("\"type\":\"error\"") && text.ends_with("\n\n"),
        "{text}"
    );
    assert!(!text.contains("message_stop"));

    // A stream that ends cleanly before its end is no complete answer either.
    let text = send(
        &gw,
        "/v1/chat/completions",
        &request("gpt-short", false).replace("\"stream\":false", "\"stream\":true"),
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(text.starts_with(CHAT_FRAMES[0]), "{text}");
    assert!(
        text.ends_with("\n\n") && text[CHAT_FRAMES[0].len()..].starts_with("data: {\"error\":"),
        "{text}"
    );
    let m = metrics(&gw).await;
    assert!(
        m.contains(
            "exllm_errors_total{model=\"gpt-cut\",deployment=\"openai/cut\",kind=\"server\"} 1"
        ),
        "{m}"
    );
}

#[tokio::test]
async fn an_openai_stream_without_usage_is_decoded_to_count_it() {
    let (seen, _up, gw) = setup().await;
    let req =
        "{\"model\":\"gpt\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    let text = send(&gw, "/v1/chat/completions", req)
        .await
        .text()
        .await
        .unwrap();
    // The library asked for usage, and the gateway re-encoded the answer under the
    // caller's model name, without the usage chunk the caller did not ask for.
    let sent = String::from_utf8(seen.lock().unwrap()[0].1.to_vec()).unwrap();
    assert!(sent.contains("\"include_usage\":true"), "{sent}");
    assert!(
        text.contains("\"model\":\"gpt\"") && !text.contains("\"usage\""),
        "{text}"
    );
    let m = metrics(&gw).await;
    assert!(
        m.contains(
            "exllm_tokens_total{model=\"gpt\",deployment=\"openai/gpt-up\",type=\"input\"} 21"
        ),
        "{m}"
    );
}

#[tokio::test]
async fn a_litellm_group_of_one_deployment_passes_through_and_a_routed_one_decodes() {
    let seen = Seen::default();
    let up = provider(seen.clone()).await;
    let yaml = format!(
        "model_list:\n  - model_name: lite\n    litellm_params:\n      model: openai/gpt-up\n      api_base: http://{a}/v1\n      api_key: k\n  - model_name: duo\n    litellm_params:\n      model: openai/gpt-up\n      api_base: http://{a}/v1\n      api_key: k\n  - model_name: duo\n    litellm_params:\n      model: openai/gpt-up\n      api_base: http://{a}/v1\n      api_key: k2\ngeneral_settings:\n  master_key: sk-master\n",
        a = up.addr
    );
    let cfg = exllm_gateway::GatewayConfig::from_litellm_yaml(&yaml, "config.yaml").unwrap();
    let (gw, _) = crate::support::start(cfg).await;
    let resp = send(&gw, "/v1/chat/completions", &request("lite", false)).await;
    assert_eq!(resp.text().await.unwrap(), CHAT);
    assert_eq!(
        seen.lock().unwrap()[0].1,
        request("gpt-up", false).as_bytes()
    );
    let plain = r#"{"model":"duo","messages":[{"role":"user","content":"hi"}]}"#;
    let resp = send(&gw, "/v1/chat/completions", plain).await;
    let v: serde_json::Value = resp.json().await.unwrap();
    // Two deployments: the router chose one, and the answer was re-encoded.
    assert_eq!(v["model"], "duo");
    assert_eq!(v["choices"][0]["message"]["content"], "bytes as sent");
    let m = metrics(&gw).await;
    assert!(
        m.contains("exllm_tokens_total{model=\"lite\",deployment=\""),
        "{m}"
    );
    assert!(
        m.contains("exllm_tokens_total{model=\"duo\",deployment=\""),
        "{m}"
    );
}

#[tokio::test]
async fn passed_through_usage_reaches_the_spend_ledger() {
    let seen = Seen::default();
    let up = provider(seen.clone()).await;
    let n = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let db = std::env::temp_dir().join(format!("exllm-pass-{}-{n}.db", std::process::id()));
    let toml = format!(
        "{}[governance]\ndb = \"{}\"\nunpriced_input_per_1m = 1000.0\nunpriced_output_per_1m = 2000.0\n",
        config(&up),
        db.display()
    );
    let (gw, _) = gateway(&toml).await;
    // A field the decoder does not know still passes (the provider judges the body).
    let resp = send(&gw, "/v1/chat/completions", &request("gpt", false)).await;
    assert_eq!(resp.text().await.unwrap(), CHAT);
    let text = send(&gw, "/v1/chat/completions", &request("gpt", true))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(text, CHAT_FRAMES.concat());
    assert_eq!(seen.lock().unwrap().len(), 2);
    gw.shutdown().await;
    let report = exllm_gateway::ledger::query(&db, &Default::default()).unwrap();
    let mut tokens: Vec<(u64, u64)> = report
        .rows
        .iter()
        .map(|r| (r.input_tokens, r.output_tokens))
        .collect();
    tokens.sort();
    assert_eq!(tokens, [(11, 4), (21, 2)], "{report:?}");
    assert!(report
        .rows
        .iter()
        .all(|r| r.status == 200 && r.cost_usd > 0.0));
}

#[tokio::test]
async fn a_compatible_host_decodes_unless_its_entry_asks_for_pass_through() {
    let up = provider(Seen::default()).await;
    let toml = format!(
        "master_key = \"os.environ/GW_MASTER\"\n[[models]]\nname = \"compat\"\nmodel = \"groq/gpt-up\"\napi_base = \"http://{a}/v1\"\napi_key = \"k\"\n[[models]]\nname = \"forced\"\nmodel = \"groq/gpt-up\"\napi_base = \"http://{a}/v1\"\napi_key = \"k\"\npassthrough = true\n",
        a = up.addr
    );
    let (gw, _) = gateway(&toml).await;
    let plain = |m: &str| {
        format!("{{\"model\":\"{m}\",\"messages\":[{{\"role\":\"user\",\"content\":\"hi\"}}]}}")
    };
    let v: serde_json::Value = send(&gw, "/v1/chat/completions", &plain("compat"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["model"], "compat", "{v}");
    assert!(v.get("x_vendor").is_none(), "{v}");
    let text = send(&gw, "/v1/chat/completions", &plain("forced"))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(text, CHAT);
}
