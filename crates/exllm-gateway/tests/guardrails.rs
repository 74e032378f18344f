//! Guardrails through the gateway: virtual keys with different guardrail settings behave
//! differently; with a masking key the backend never sees the original values and the caller
//! gets them back, whole and streamed; a blocked request sends nothing to the backend; a
//! router group's `[guardrails.<group>]` applies to every caller.

use crate::support::{http, sse_data, start as serve, Running};
use axum::body::{Body, Bytes};
use axum::response::Response;
use axum::routing::post;
use exllm_gateway::GatewayConfig;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use tokio::net::TcpListener;

const EMAIL: &str = "ann.smith@example.com";
const IBAN: &str = "GB82WEST12345698765432";

type Seen = Arc<Mutex<Vec<String>>>;

/// An upstream that answers with the last user message, whole or in 3-byte SSE pieces, and
/// keeps every body it was sent.
async fn echo_upstream() -> (SocketAddr, Seen) {
    let seen: Seen = Arc::default();
    let keep = seen.clone();
    let app = axum::Router::new().route(
        "/v1/chat/completions",
        post(move |body: Bytes| {
            let keep = keep.clone();
            async move {
                let text = String::from_utf8_lossy(&body).into_owned();
                keep.lock().unwrap().push(text);
                let req: Value = serde_json::from_slice(&body).unwrap_or_default();
                let said = req["messages"]
                    .as_array()
                    .and_then(|m| m.last())
                    .and_then(|m| m["content"].as_str())
                    .unwrap_or("")
                    .to_owned();
                if req["stream"] == true {
                    let mut out = String::new();
                    let chars: Vec<char> = said.chars().collect();
                    for piece in chars.chunks(3) {
                        let p: String = piece.iter().collect();
                        let c = json!({"id": "x", "object": "chat.completion.chunk", "created": 1,
                            "model": "m", "choices": [{"index": 0, "delta": {"content": p}}]});
                        out += &format!("data: {c}\n\n");
                    }
                    let end = json!({"id": "x", "object": "chat.completion.chunk", "created": 1,
                        "model": "m", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]});
                    out += &format!("data: {end}\n\ndata: [DONE]\n\n");
                    Response::builder()
                        .header("content-type", "text/event-stream")
                        .body(Body::from(out))
                        .unwrap()
                } else {
                    let r = json!({"id": "x", "object": "chat.completion", "created": 1, "model": "m",
                        "choices": [{"index": 0, "finish_reason": "stop",
                            "message": {"role": "assistant", "content": said}}],
                        "usage": {"prompt_tokens": 3, "completion_tokens": 3, "total_tokens": 6}});
                    Response::builder()
                        .header("content-type", "application/json")
                        .body(Body::from(r.to_string()))
                        .unwrap()
                }
            }
        }),
    );
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (addr, seen)
}

fn config(up: SocketAddr, db: &std::path::Path) -> String {
    format!(
        r#"master_key = "os.environ/GW_MASTER"
[governance]
db = "{db}"
[guardrail_sets.strict]
pii = {{}}
secrets = {{}}
[[models]]
name = "echo"
model = "openai/echo"
api_base = "http://{addr}/v1"
api_key = "os.environ/UP_KEY"
[[deployments]]
group = "grp"
model = "openai/echo"
api_base = "http://{addr}/v1"
api_key = "os.environ/UP_KEY"
[guardrails.grp]
pii = {{ kinds = ["iban"] }}
"#,
        db = db.display(),
        addr = up
    )
}

async fn start(toml: &str) -> Running {
    let cfg = GatewayConfig::from_toml(toml, "g.toml").unwrap();
    assert!(cfg.warnings.is_empty(), "{:?}", cfg.warnings);
    serve(cfg).await.0
}

async fn new_key(gw: &Running, body: Value) -> String {
    let v: Value = http()
        .post(gw.url("/key/generate"))
        .bearer_auth("sk-master")
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    v["key"].as_str().unwrap().to_owned()
}

/// The status and the answer's text (streamed answers joined).
async fn ask(gw: &Running, key: &str, model: &str, text: &str, stream: bool) -> (u16, String) {
    let resp = http()
        .post(gw.url("/v1/chat/completions"))
        .bearer_auth(key)
        .json(&json!({"model": model, "stream": stream,
            "messages": [{"role": "user", "content": text}]}))
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let body = resp.text().await.unwrap();
    if !stream || status != 200 {
        let v: Value = serde_json::from_str(&body).unwrap_or_default();
        let t = v["choices"][0]["message"]["content"].as_str().unwrap_or("");
        return (status, if status == 200 { t.to_owned() } else { body });
    }
    let mut out = String::new();
    for d in sse_data(&body) {
        let v: Value = serde_json::from_str(&d).unwrap_or_default();
        out += v["choices"][0]["delta"]["content"].as_str().unwrap_or("");
    }
    (status, out)
}

fn db() -> std::path::PathBuf {
    let n = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    std::env::temp_dir().join(format!("exllm-guard-{}-{n}.db", std::process::id()))
}

#[tokio::test]
async fn keys_with_different_guardrails_behave_differently() {
    let (up, seen) = echo_upstream().await;
    let gw = start(&config(up, &db())).await;
    let strict = new_key(&gw, json!({"metadata": {"guardrails": ["strict"]}})).await;
    let litellm = new_key(&gw, json!({"guardrails": ["strict"]})).await;
    let inline = new_key(&gw, json!({"metadata": {"guardrails": {"secrets": {}}}})).await;
    let plain = new_key(&gw, json!({})).await;
    let said = format!("write to {EMAIL} today");
    for key in [&strict, &litellm] {
        for stream in [false, true] {
            let before = seen.lock().unwrap().len();
            let (status, answer) = ask(&gw, key, "echo", &said, stream).await;
            assert_eq!(
                (status, answer.as_str()),
                (200, said.as_str()),
                "stream {stream}"
            );
            let sent = seen.lock().unwrap()[before].clone();
            assert!(
                !sent.contains(EMAIL) && sent.contains("<EMAIL_1>"),
                "{sent}"
            );
        }
    }
    // The key without guardrails sends the text as it is; the inline one only blocks secrets.
    for key in [&plain, &inline] {
        let (status, answer) = ask(&gw, key, "echo", &said, true).await;
        assert_eq!((status, answer.as_str()), (200, said.as_str()));
        assert!(seen.lock().unwrap().last().unwrap().contains(EMAIL));
    }
    let secret = "deploy with AKIAIOSFODNN7EXAMPLE";
    let before = seen.lock().unwrap().len();
    for key in [&strict, &inline] {
        for stream in [false, true] {
            let (status, body) = ask(&gw, key, "echo", secret, stream).await;
            assert_eq!(status, 400, "{body}");
            assert!(
                body.contains("aws_access_key") && !body.contains("AKIA"),
                "{body}"
            );
        }
    }
    assert_eq!(
        seen.lock().unwrap().len(),
        before,
        "a blocked request sends nothing"
    );
    let (status, _) = ask(&gw, &plain, "echo", secret, false).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn a_group_guards_every_caller_and_a_missing_set_is_an_error() {
    let (up, seen) = echo_upstream().await;
    let gw = start(&config(up, &db())).await;
    let said = format!("pay {IBAN} now, {EMAIL}");
    for stream in [false, true] {
        let (status, answer) = ask(&gw, "sk-master", "grp", &said, stream).await;
        assert_eq!((status, answer.as_str()), (200, said.as_str()));
        let sent = seen.lock().unwrap().last().unwrap().clone();
        assert!(!sent.contains(IBAN) && sent.contains("<IBAN_1>"), "{sent}");
        assert!(sent.contains(EMAIL), "the group masks IBANs only: {sent}");
    }
    let odd = new_key(&gw, json!({"metadata": {"guardrails": ["nope"]}})).await;
    let (status, body) = ask(&gw, &odd, "echo", "hi", false).await;
    assert_eq!(status, 500);
    assert!(body.contains("nope"), "{body}");
}

#[test]
fn litellm_guardrail_entries_are_sets_keys_can_name() {
    let yaml = r#"
model_list:
  - model_name: m
    litellm_params: { model: openai/x }
guardrails:
  - guardrail_name: pii-out
    litellm_params: { guardrail: presidio, mode: [pre_call, post_call] }
"#;
    let cfg = GatewayConfig::from_litellm_yaml(yaml, "c.yaml").unwrap();
    assert!(cfg.warnings.is_empty(), "{:?}", cfg.warnings);
    let set = &cfg.guardrail_sets["pii-out"];
    let pii = set.pii.as_ref().unwrap();
    assert_eq!(pii.output, Some(exllm::guardrails::Action::Mask));
    assert!(cfg.router.guardrails.is_empty(), "not default_on");
}
