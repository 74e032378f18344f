//! The routes beyond chat (images, transcription, translation, speech, moderation, rerank)
//! through the gateway to a loopback OpenAI-compatible provider, driven by the official
//! `openai` SDK (tests/sdk/openai_media.py), plus what the provider received and the metrics.

use crate::sdk::sdk_python;
use crate::support::{gateway, http, serve_app, Running};
use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::post;
use serde_json::{json, Value};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The `model` of each request the provider received, with its path.
type Seen = Arc<Mutex<Vec<(String, String)>>>;

fn json_resp(v: Value) -> Response {
    Response::builder()
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(v.to_string()))
        .unwrap()
}

/// The `model` of a JSON body, or of a multipart form's `model` field.
fn model_of(headers: &HeaderMap, body: &[u8]) -> String {
    if let Ok(v) = serde_json::from_slice::<Value>(body) {
        return v["model"].as_str().unwrap_or("").to_owned();
    }
    let ct = headers[header::CONTENT_TYPE].to_str().unwrap();
    let b = exllm_gateway::wire::multipart::boundary(ct).unwrap();
    let parts = exllm_gateway::wire::multipart::parse(&Bytes::copy_from_slice(body), &b).unwrap();
    let p = parts.iter().find(|p| p.name == "model").unwrap();
    p.text().unwrap().to_owned()
}

async fn provider(seen: Seen) -> Running {
    let route = move |path: &'static str| {
        let seen = seen.clone();
        move |headers: HeaderMap, body: Bytes| {
            let seen = seen.clone();
            async move {
                let model = model_of(&headers, &body);
                seen.lock().unwrap().push((path.to_owned(), model.clone()));
                let text = String::from_utf8_lossy(&body).into_owned();
                if model == "limited" {
                    return Response::builder()
                        .status(StatusCode::TOO_MANY_REQUESTS)
                        .header("retry-after", "7")
                        .header(header::CONTENT_TYPE, "application/json")
                        .body(Body::from(
                            r#"{"error":{"message":"slow down","type":"rate_limit_error"}}"#,
                        ))
                        .unwrap();
                }
                match path {
                    "images" => json_resp(
                        json!({"created": 1, "data": [{"b64_json": "aGk=", "revised_prompt": "a cat, drawn"}]}),
                    ),
                    "transcriptions" if text.contains("srt") => Response::builder()
                        .header(header::CONTENT_TYPE, "text/plain")
                        .body(Body::from(
                            "1\n00:00:00,000 --> 00:00:01,500\nhello there\n",
                        ))
                        .unwrap(),
                    "transcriptions" => json_resp(
                        json!({"text": "hello there", "language": "english", "duration": 1.5,
                        "segments": [{"id": 0, "start": 0.0, "end": 1.5, "text": "hello there"}]}),
                    ),
                    "translations" => json_resp(json!({"text": "translated"})),
                    "speech" => {
                        let chunks = (0..100).map(|_| {
                            Ok::<_, std::io::Error>(Bytes::from_static(b"ID3-audio-bytes"))
                        });
                        Response::builder()
                            .header(header::CONTENT_TYPE, "audio/mpeg")
                            .body(Body::from_stream(futures_util::stream::iter(chunks)))
                            .unwrap()
                    }
                    "moderations" => {
                        json_resp(json!({"id": "modr-1", "model": "omni-up", "results": [
                            {"flagged": true, "categories": {"violence": true, "hate": false}, "category_scores": {"violence": 0.9, "hate": 0.01}},
                            {"flagged": false, "categories": {"violence": false, "hate": false}, "category_scores": {"violence": 0.0, "hate": 0.0}},
                        ]}))
                    }
                    _ => json_resp(
                        json!({"results": [{"index": 1, "relevance_score": 0.9}, {"index": 0, "relevance_score": 0.1}], "usage": {"total_tokens": 7}}),
                    ),
                }
            }
        }
    };
    let app = axum::Router::new()
        .route("/v1/images/generations", post(route("images")))
        .route("/v1/audio/transcriptions", post(route("transcriptions")))
        .route("/v1/audio/translations", post(route("translations")))
        .route("/v1/audio/speech", post(route("speech")))
        .route("/v1/moderations", post(route("moderations")))
        .route("/v1/rerank", post(route("rerank")));
    serve_app(app).await
}

fn config(up: &Running) -> String {
    let mut t = String::from("master_key = \"os.environ/GW_MASTER\"\n");
    for (name, model) in [
        ("img", "dall-e-up"),
        ("stt", "whisper-up"),
        ("tts", "tts-up"),
        ("mod", "omni-up"),
        ("mod-limited", "limited"),
        ("rr", "rerank-up"),
    ] {
        t += &format!(
            "[[models]]\nname = \"{name}\"\nmodel = \"openai/{model}\"\napi_base = \"http://{}/v1\"\napi_key = \"os.environ/UP_KEY\"\n",
            up.addr
        );
    }
    t
}

#[tokio::test]
async fn the_openai_sdk_drives_images_audio_moderation_and_rerank() {
    let python = sdk_python();
    let seen = Seen::default();
    let up = provider(seen.clone()).await;
    let (gw, _) = gateway(&config(&up)).await;
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/sdk/openai_media.py");
    let run = tokio::process::Command::new(python)
        .arg(script)
        .arg(gw.url(""))
        .arg("sk-master")
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(120), run)
        .await
        .expect("the SDK script finished in time")
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stdout.trim_end().ends_with("ok"),
        "status {:?}\nstdout:\n{stdout}\nstderr:\n{stderr}",
        out.status
    );
    // The provider saw the configured models, never the callers' names.
    let seen = seen.lock().unwrap().clone();
    for (path, model) in [
        ("images", "dall-e-up"),
        ("transcriptions", "whisper-up"),
        ("translations", "whisper-up"),
        ("speech", "tts-up"),
        ("moderations", "omni-up"),
        ("rerank", "rerank-up"),
    ] {
        assert!(
            seen.contains(&(path.to_owned(), model.to_owned())),
            "{path}: {seen:?}"
        );
    }
    assert!(!seen.iter().any(|(_, m)| m == "not-configured"));
    let text = http()
        .get(gw.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for line in [
        "exllm_requests_total{model=\"stt\",deployment=\"openai/whisper-up\",status=\"200\"} 4",
        "exllm_requests_total{model=\"img\",deployment=\"openai/dall-e-up\",status=\"200\"} 1",
        "exllm_errors_total{model=\"mod-limited\",deployment=\"openai/limited\",kind=\"rate_limit\"} 1",
        "exllm_tokens_total{model=\"rr\",deployment=\"openai/rerank-up\",type=\"input\"} 7",
    ] {
        assert!(text.contains(line), "{line}\n{text}");
    }
}

#[tokio::test]
async fn media_routes_refuse_unknown_models_groups_and_bad_forms() {
    let up = provider(Seen::default()).await;
    let toml = format!(
        "{}[[deployments]]\ngroup = \"grp\"\nmodel = \"openai/dall-e-up\"\napi_base = \"http://{}/v1\"\napi_key = \"os.environ/UP_KEY\"\n",
        config(&up),
        up.addr
    );
    let (gw, _) = gateway(&toml).await;
    let post = |path: &str, body: &'static str, ct: &'static str| {
        http()
            .post(gw.url(path))
            .bearer_auth("sk-master")
            .header(header::CONTENT_TYPE, ct)
            .body(body)
            .send()
    };
    let r = post(
        "/v1/images/generations",
        r#"{"model":"grp","prompt":"x"}"#,
        "application/json",
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 400);
    let v: Value = r.json().await.unwrap();
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("router group"),
        "{v}"
    );
    let r = post(
        "/v1/audio/transcriptions",
        "not a form",
        "multipart/form-data; boundary=B",
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 400);
    let r = post("/v1/audio/transcriptions", "{}", "application/json")
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = post("/v1/moderations", r#"{"input":"x"}"#, "application/json")
        .await
        .unwrap();
    // No `model`: the default name, which this config does not serve.
    assert_eq!(r.status(), 404);
    let r = post(
        "/v1/rerank",
        r#"{"model":"rr","query":"q","documents":[1]}"#,
        "application/json",
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 400);
    let r = http()
        .post(gw.url("/v1/rerank"))
        .body(r#"{"model":"rr","query":"q","documents":["a"]}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}
