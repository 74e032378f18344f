//! Test support: a loopback OpenAI-compatible provider whose answer depends on the model
//! asked for, and a gateway started in-process in front of it.
//!
//! Provider models: `echo` (text "hello world", usage 12 in / 3 out with 4 cached), `tools`
//! (two parallel tool calls, streamed in fragments or whole), `limited` (429 with `Retry-After: 7`),
//! `broken` (streams one piece of text, then the connection breaks), `slow` (answers after
//! 400 ms), `failed` (a 200 carrying an error object). `/v1/embeddings` answers two dimensions per input.

#![allow(dead_code)]

mod native;

use axum::body::{Body, Bytes};
use axum::http::{header, StatusCode};
use axum::response::Response;
use axum::routing::post;
use exllm_gateway::{Gateway, GatewayConfig};
use futures_util::StreamExt;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

/// How many `slow` requests reached the provider (each test runs in its own process).
pub static SLOW_STARTED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Waits until `n` `slow` requests reached the provider.
pub async fn slow_started(n: usize) {
    for _ in 0..200 {
        if SLOW_STARTED.load(std::sync::atomic::Ordering::SeqCst) >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("no slow request reached the provider");
}

/// A running server; dropping it stops it.
pub struct Running {
    pub addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        self.task.abort();
    }
}

impl Running {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Asks the server to shut down and waits until it returned.
    pub async fn shutdown(mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        let task = std::mem::replace(&mut self.task, tokio::spawn(async {}));
        tokio::time::timeout(Duration::from_secs(10), task)
            .await
            .expect("the server stopped in time")
            .expect("the server task ended cleanly");
    }
}

fn chunk(delta: Value, finish: Option<&str>) -> String {
    let c = json!({"id": "up-1", "object": "chat.completion.chunk", "created": 1, "model": "up",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]});
    format!("data: {c}\n\n")
}

fn usage() -> Value {
    json!({"prompt_tokens": 12, "completion_tokens": 3, "total_tokens": 15,
        "prompt_tokens_details": {"cached_tokens": 4}})
}

pub(crate) fn sse(pieces: Vec<String>) -> Response {
    let stream = futures_util::stream::iter(
        pieces
            .into_iter()
            .map(|p| Ok::<_, std::io::Error>(Bytes::from(p))),
    );
    Response::builder()
        .header(header::CONTENT_TYPE, "text/event-stream")
        .body(Body::from_stream(stream))
        .unwrap()
}

pub(crate) fn json_response(status: StatusCode, v: Value) -> Response {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(v.to_string()))
        .unwrap()
}

async fn completions(body: Bytes) -> Response {
    let req: Value = serde_json::from_slice(&body).unwrap_or_default();
    let stream = req["stream"] == true;
    match req["model"].as_str().unwrap_or("") {
        "limited" => Response::builder()
            .status(429)
            .header("retry-after", "7")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(
                json!({"error": {"message": "slow down", "type": "rate_limit_error", "code": "rate_limit_exceeded"}}).to_string(),
            ))
            .unwrap(),
        "failed" => json_response(StatusCode::OK, json!({
            "id": "up-1", "object": "chat.completion", "created": 1, "model": "up", "choices": [],
            "error": {"message": "the run failed", "code": "server_error"},
        })),
        "tools" if stream => {
            let call = |i: u32, id: &str, name: &str| json!({"tool_calls": [{"index": i, "id": id, "type": "function", "function": {"name": name, "arguments": ""}}]});
            let args = |i: u32, a: &str| json!({"tool_calls": [{"index": i, "function": {"arguments": a}}]});
            sse(vec![
                chunk(json!({"role": "assistant", "content": null}), None),
                chunk(call(0, "call_w", "weather"), None),
                chunk(args(0, "{\"city\":"), None),
                chunk(args(0, "\"Paris\"}"), None),
                chunk(call(1, "call_t", "time"), None),
                chunk(args(1, "{\"tz\":\"CET\"}"), None),
                chunk(json!({}), Some("tool_calls")),
                "data: [DONE]\n\n".into(),
            ])
        }
        "tools" => json_response(StatusCode::OK, json!({
            "id": "up-1", "object": "chat.completion", "created": 1, "model": "up",
            "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {"role": "assistant", "content": null, "tool_calls": [
                {"id": "call_w", "type": "function", "function": {"name": "weather", "arguments": "{\"city\":\"Paris\"}"}},
                {"id": "call_t", "type": "function", "function": {"name": "time", "arguments": "{\"tz\":\"CET\"}"}},
            ]}}],
            "usage": usage(),
        })),
        "broken" if stream => {
            let first = chunk(json!({"role": "assistant", "content": "partial "}), None);
            // The break comes after a pause, once the first piece reached the caller.
            let pieces = futures_util::stream::iter(vec![Ok(Bytes::from(first))]).chain(
                futures_util::stream::once(async {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    Err(std::io::Error::other("cut"))
                }),
            );
            Response::builder()
                .header(header::CONTENT_TYPE, "text/event-stream")
                .body(Body::from_stream(pieces))
                .unwrap()
        }
        model => {
            if model == "slow" {
                SLOW_STARTED.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(400)).await;
            }
            if stream {
                let mut pieces = vec![
                    chunk(json!({"role": "assistant", "content": ""}), None),
                    chunk(json!({"content": "hello"}), None),
                    chunk(json!({"content": " world"}), None),
                    chunk(json!({}), Some("stop")),
                ];
                let u = json!({"id": "up-1", "object": "chat.completion.chunk", "created": 1, "model": "up", "choices": [], "usage": usage()});
                pieces.push(format!("data: {u}\n\n"));
                pieces.push("data: [DONE]\n\n".into());
                sse(pieces)
            } else {
                json_response(StatusCode::OK, json!({
                    "id": "up-1", "object": "chat.completion", "created": 1, "model": "up",
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": "hello world"}, "finish_reason": "stop"}],
                    "usage": usage(),
                }))
            }
        }
    }
}

async fn embeddings(body: Bytes) -> Response {
    let req: Value = serde_json::from_slice(&body).unwrap_or_default();
    let n = req["input"].as_array().map_or(1, Vec::len);
    let data: Vec<Value> = (0..n)
        .map(|i| json!({"object": "embedding", "index": i, "embedding": [1.0, i as f32]}))
        .collect();
    json_response(
        StatusCode::OK,
        json!({"object": "list", "data": data, "model": "e", "usage": {"prompt_tokens": 5, "total_tokens": 5}}),
    )
}

/// Serves `app` on 127.0.0.1:0.
pub async fn serve_app(app: axum::Router) -> Running {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Running {
        addr,
        stop: None,
        task,
    }
}

/// Starts the loopback provider.
pub async fn provider() -> Running {
    let app = axum::Router::new()
        .route("/v1/chat/completions", post(completions))
        .route("/v1/embeddings", post(embeddings))
        .route("/v1/messages", post(native::messages))
        .fallback(native::gemini);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Running {
        addr,
        stop: None,
        task,
    }
}

/// A TOML config serving each of the provider's models as `up-<model>` directly, with
/// `master_key = "sk-master"`, plus `extra` appended. Pass-through is off: these tests cover
/// the decoding path (tests/pass.rs covers pass-through).
pub fn config_toml(provider: &Running, extra: &str) -> String {
    let mut text = String::from("master_key = \"os.environ/GW_MASTER\"\n");
    text += extra;
    for m in ["echo", "tools", "limited", "broken", "slow", "failed"] {
        text += &format!(
            "\n[[models]]\nname = \"up-{m}\"\nmodel = \"openai/{m}\"\napi_base = \"http://{}/v1\"\napi_key = \"os.environ/UP_KEY\"\npassthrough = false\n",
            provider.addr
        );
    }
    text
}

/// `config_toml`, plus the Anthropic-speaking provider's models as `claude-<model>` and the
/// Gemini-speaking one's as `gem-echo` (support/native.rs).
pub fn config_toml_all(provider: &Running, extra: &str) -> String {
    let mut text = config_toml(provider, extra);
    for m in ["think", "tools", "overloaded"] {
        text += &format!(
            "\n[[models]]\nname = \"claude-{m}\"\nmodel = \"anthropic/{m}\"\napi_base = \"http://{}/v1\"\napi_key = \"os.environ/UP_KEY\"\npassthrough = false\n",
            provider.addr
        );
    }
    text += &format!(
        "\n[[models]]\nname = \"gem-echo\"\nmodel = \"gemini/gem\"\napi_base = \"http://{}/v1beta\"\napi_key = \"os.environ/UP_KEY\"\n",
        provider.addr
    );
    text
}

/// The environment the gateway reads keys from.
pub fn env() -> exllm_gateway::server::Env {
    Arc::new(|k: &str| match k {
        "GW_MASTER" => Some("sk-master".into()),
        "UP_KEY" => Some("sk-upstream".into()),
        _ => None,
    })
}

/// Starts a gateway for `toml` on 127.0.0.1:0; the returned `Gateway` reloads it.
pub async fn gateway(toml: &str) -> (Running, Gateway) {
    start(GatewayConfig::from_toml(toml, "test.toml").expect("config")).await
}

/// Starts a gateway for a config on 127.0.0.1:0.
pub async fn start(cfg: GatewayConfig) -> (Running, Gateway) {
    let gw = Gateway::with_env(&cfg, env()).expect("gateway");
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let serving = gw.clone();
    let task = tokio::spawn(async move {
        serving
            .serve(listener, async move {
                let _ = rx.await;
            })
            .await
            .unwrap();
    });
    (
        Running {
            addr,
            stop: Some(tx),
            task,
        },
        gw,
    )
}

/// A reqwest client.
pub fn http() -> reqwest::Client {
    reqwest::Client::builder().build().unwrap()
}

/// The `data:` payloads of an SSE body.
pub fn sse_data(body: &str) -> Vec<String> {
    body.split("\n\n")
        .filter_map(|f| f.strip_prefix("data: "))
        .map(str::to_owned)
        .collect()
}
