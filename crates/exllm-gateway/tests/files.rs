//! `/v1/files` and `/v1/batches` through the gateway to a loopback OpenAI-compatible file
//! store, driven by the official `openai` SDK (tests/sdk/openai_files.py); and the choice of
//! provider when several could hold the files.

use crate::sdk::sdk_python;
use crate::support::{gateway, http, serve_app, Running};
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use exllm_gateway::wire::multipart;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Default)]
struct Store {
    files: BTreeMap<String, (Value, Bytes)>,
    batches: Vec<Value>,
    uploads: usize,
}

type Shared = Arc<Mutex<Store>>;

fn json_resp(status: StatusCode, v: Value) -> Response {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(v.to_string()))
        .unwrap()
}

fn missing() -> Response {
    json_resp(
        StatusCode::NOT_FOUND,
        json!({"error": {"message": "No such file", "type": "invalid_request_error"}}),
    )
}

async fn upload(State(s): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let b = multipart::boundary(headers[header::CONTENT_TYPE].to_str().unwrap()).unwrap();
    let parts = multipart::parse(&body, &b).unwrap();
    let file = parts.iter().find(|p| p.name == "file").unwrap();
    let purpose = parts.iter().find(|p| p.name == "purpose").unwrap();
    let mut st = s.lock().unwrap();
    st.uploads += 1;
    let id = format!("file-{}", st.uploads);
    let obj = json!({"id": id, "object": "file", "bytes": file.data.len(), "created_at": 1,
        "filename": file.filename, "purpose": purpose.text().unwrap(), "status": "processed"});
    st.files.insert(id, (obj.clone(), file.data.clone()));
    json_resp(StatusCode::OK, obj)
}

async fn list_files(State(s): State<Shared>) -> Response {
    let data: Vec<Value> = s
        .lock()
        .unwrap()
        .files
        .values()
        .map(|f| f.0.clone())
        .collect();
    json_resp(StatusCode::OK, json!({"object": "list", "data": data}))
}

async fn get_file(State(s): State<Shared>, Path(id): Path<String>) -> Response {
    match s.lock().unwrap().files.get(&id) {
        Some(f) => json_resp(StatusCode::OK, f.0.clone()),
        None => missing(),
    }
}

async fn delete_file(State(s): State<Shared>, Path(id): Path<String>) -> Response {
    match s.lock().unwrap().files.remove(&id) {
        Some(_) => json_resp(
            StatusCode::OK,
            json!({"id": id, "object": "file", "deleted": true}),
        ),
        None => missing(),
    }
}

async fn content(State(s): State<Shared>, Path(id): Path<String>) -> Response {
    match s.lock().unwrap().files.get(&id) {
        Some(f) => Response::new(Body::from(f.1.clone())),
        None => missing(),
    }
}

fn batch(id: &str, input: &str, status: &str) -> Value {
    json!({"id": id, "object": "batch", "endpoint": "/v1/chat/completions", "input_file_id": input,
        "completion_window": "24h", "status": status, "created_at": 1})
}

async fn create_batch(State(s): State<Shared>, body: Bytes) -> Response {
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert!(
        v.get("model").is_none(),
        "the routing field is not forwarded"
    );
    let b = batch(
        "batch_1",
        v["input_file_id"].as_str().unwrap(),
        "validating",
    );
    s.lock().unwrap().batches.push(b.clone());
    json_resp(StatusCode::OK, b)
}

async fn list_batches(State(s): State<Shared>) -> Response {
    let data = s.lock().unwrap().batches.clone();
    json_resp(
        StatusCode::OK,
        json!({"object": "list", "data": data, "has_more": false}),
    )
}

async fn get_batch(State(s): State<Shared>, Path(id): Path<String>) -> Response {
    let st = s.lock().unwrap();
    match st.batches.iter().find(|b| b["id"] == id.as_str()) {
        Some(b) => json_resp(StatusCode::OK, b.clone()),
        None => missing(),
    }
}

async fn cancel_batch(State(s): State<Shared>, Path(id): Path<String>) -> Response {
    let st = s.lock().unwrap();
    match st.batches.iter().find(|b| b["id"] == id.as_str()) {
        Some(b) => json_resp(
            StatusCode::OK,
            batch(&id, b["input_file_id"].as_str().unwrap(), "cancelling"),
        ),
        None => missing(),
    }
}

async fn store() -> (Shared, Running) {
    let s = Shared::default();
    let app = axum::Router::new()
        .route("/v1/files", post(upload).get(list_files))
        .route("/v1/files/{id}", get(get_file).delete(delete_file))
        .route("/v1/files/{id}/content", get(content))
        .route("/v1/batches", post(create_batch).get(list_batches))
        .route("/v1/batches/{id}", get(get_batch))
        .route("/v1/batches/{id}/cancel", post(cancel_batch))
        .with_state(s.clone());
    (s, serve_app(app).await)
}

fn entry(name: &str, model: &str, up: &Running) -> String {
    format!(
        "[[models]]\nname = \"{name}\"\nmodel = \"openai/{model}\"\napi_base = \"http://{}/v1\"\napi_key = \"os.environ/UP_KEY\"\n",
        up.addr
    )
}

#[tokio::test]
async fn the_openai_sdk_uploads_files_and_runs_batches_through_the_gateway() {
    let python = sdk_python();
    let (s, up) = store().await;
    let toml = format!(
        "master_key = \"os.environ/GW_MASTER\"\n{}",
        entry("fast", "gpt-up", &up)
    );
    let (gw, _) = gateway(&toml).await;
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/sdk/openai_files.py");
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
    // The refused batch file never reached the provider.
    assert_eq!(s.lock().unwrap().uploads, 1);
}

#[tokio::test]
async fn with_several_providers_the_header_names_the_file_store() {
    let (a, up_a) = store().await;
    let (b, up_b) = store().await;
    let toml = format!(
        "master_key = \"os.environ/GW_MASTER\"\n{}{}",
        entry("one", "m", &up_a),
        entry("two", "m", &up_b)
    );
    let (gw, _) = gateway(&toml).await;
    let list = |model: Option<&'static str>| {
        let mut r = http().get(gw.url("/v1/files")).bearer_auth("sk-master");
        if let Some(m) = model {
            r = r.header("x-exllm-model", m);
        }
        r.send()
    };
    let r = list(None).await.unwrap();
    assert_eq!(r.status(), 400);
    let v: Value = r.json().await.unwrap();
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("x-exllm-model"),
        "{v}"
    );
    assert_eq!(list(Some("nope")).await.unwrap().status(), 404);
    let form = "--B\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nassistants\r\n--B\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\ntwo\r\n--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"n.txt\"\r\n\r\nnotes\r\n--B--\r\n";
    let r = http()
        .post(gw.url("/v1/files"))
        .bearer_auth("sk-master")
        .header(header::CONTENT_TYPE, "multipart/form-data; boundary=B")
        .body(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        (a.lock().unwrap().uploads, b.lock().unwrap().uploads),
        (0, 1)
    );
    let v: Value = list(Some("two")).await.unwrap().json().await.unwrap();
    assert_eq!(v["data"][0]["filename"], "n.txt");
    let r = http()
        .get(gw.url("/v1/files/..%2Fetc/content"))
        .bearer_auth("sk-master")
        .header("x-exllm-model", "one")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = http()
        .get(gw.url("/v1/batches"))
        .header("x-exllm-model", "one")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}
