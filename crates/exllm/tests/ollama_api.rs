//! Every management endpoint of [`exllm::ollama::Ollama`] end to end against a local server
//! speaking Ollama's documented API: version, tags, ps, show, copy, delete, the NDJSON progress
//! streams of pull, push and create, generate (whole and streamed, with `context`), and the
//! blob endpoints: `HEAD /api/blobs/:digest` (200 / 404) and `POST /api/blobs/:digest`, checked
//! by a server that hashes what it receives (201, or 400 when the digest does not match).

use crate::ollama_wire as wire;
use crate::support;

use exllm::ollama::{describe, GenerateRequest, Ollama, Progress};
use exllm::ErrorKind;
use futures_util::StreamExt;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use support::{Recorded, Reply, TestServer};
use wire::MODEL;

fn ollama(server: &TestServer) -> Ollama {
    Ollama::new(server.root()).unwrap()
}

fn check(r: &Recorded, method: &str, path: &str) {
    assert_eq!((r.method.as_str(), r.path.as_str()), (method, path));
}

/// Drains a progress stream: the lines before the end, and the error that ended it, if any.
async fn drain(mut s: exllm::ollama::ProgressStream) -> (Vec<Progress>, Option<exllm::Error>) {
    let mut lines = Vec::new();
    while let Some(item) = s.next().await {
        match item {
            Ok(p) => lines.push(p),
            Err(e) => {
                assert!(s.next().await.is_none(), "nothing after the error");
                return (lines, Some(e));
            }
        }
    }
    (lines, None)
}

fn statuses(lines: &[Progress]) -> Vec<&str> {
    lines.iter().map(|p| p.status.as_str()).collect()
}

fn expected_statuses(lines: &[Value]) -> Vec<&str> {
    lines
        .iter()
        .map(|l| l["status"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn version() {
    let server = TestServer::start(vec![Reply::json(200, r#"{"version":"0.12.6"}"#)]).await;
    assert_eq!(ollama(&server).version().await.unwrap(), "0.12.6");
    check(&server.only_request(), "GET", "/api/version");
}

#[tokio::test]
async fn a_host_without_a_scheme_is_http() {
    let server = TestServer::start(vec![Reply::json(200, r#"{"version":"0.12.6"}"#)]).await;
    let o = Ollama::new(server.host()).unwrap();
    assert_eq!(o.base_url(), server.root());
    assert_eq!(o.version().await.unwrap(), "0.12.6");
}

#[tokio::test]
async fn list_reads_api_tags() {
    let tags = json!({"models": [wire::tag("qwen3:8b", 5_225_376_047), wire::tag("llama3.2:latest", 2_019_393_189)]});
    let server = TestServer::start(vec![Reply::json(200, tags.to_string())]).await;
    let models = ollama(&server).list().await.unwrap();
    check(&server.only_request(), "GET", "/api/tags");
    assert_eq!(models.len(), 2);
    assert_eq!(models[0].name, "qwen3:8b");
    assert_eq!(models[0].size, Some(5_225_376_047));
    assert_eq!(
        models[1].digest.as_deref(),
        Some("a80c4f17acd55265feec403c7aef86be0c25983ab279d83f3bcd3abbcb5b8b72")
    );
    assert_eq!(models[0].details.as_ref().unwrap()["family"], "qwen3");
    assert!(models[0].modified_at.is_some());
}

#[tokio::test]
async fn ps_lists_loaded_models() {
    let body = json!({"models": [{
        "name": "mistral:latest",
        "model": "mistral:latest",
        "size": 5_137_025_024u64,
        "digest": "2ae6f6dd7a3dd734790bbbf58b8909a606e0e7e97e94b7604e0aa7ae4490e6d8",
        "details": {"format": "gguf", "family": "llama", "parameter_size": "7.2B"},
        "expires_at": "2025-06-04T14:38:31.83753-07:00",
        "size_vram": 5_137_025_024u64
    }]});
    let server = TestServer::start(vec![Reply::json(200, body.to_string())]).await;
    let running = ollama(&server).ps().await.unwrap();
    check(&server.only_request(), "GET", "/api/ps");
    assert_eq!(running.len(), 1);
    assert_eq!(running[0].name, "mistral:latest");
    assert_eq!(running[0].size_vram, Some(5_137_025_024));
    assert_eq!(
        running[0].expires_at.as_deref(),
        Some("2025-06-04T14:38:31.83753-07:00")
    );
}

#[tokio::test]
async fn show_posts_the_model() {
    let body = json!({
        "modelfile": "FROM qwen3:8b\nPARAMETER temperature 0.6",
        "parameters": "temperature 0.6",
        "template": "{{ .Prompt }}",
        "details": {"family": "qwen3", "parameter_size": "8.2B", "quantization_level": "Q4_K_M"},
        "model_info": {"general.architecture": "qwen3", "qwen3.context_length": 40960},
        "capabilities": ["completion", "tools", "thinking"]
    });
    let server = TestServer::start(vec![Reply::json(200, body.to_string())]).await;
    let shown = ollama(&server).show(MODEL, true).await.unwrap();
    let r = server.only_request();
    check(&r, "POST", "/api/show");
    assert_eq!(r.json(), json!({"model": MODEL, "verbose": true}));
    assert_eq!(shown, body, "the whole answer is returned");
}

#[tokio::test]
async fn copy_then_copy_of_an_unknown_model() {
    let server = TestServer::start(vec![
        Reply::status(200),
        Reply::json(404, r#"{"error":"model \"nope\" not found"}"#),
    ])
    .await;
    let o = ollama(&server);
    o.copy(MODEL, "qwen3-backup").await.unwrap();
    let err = o.copy("nope", "x").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert_eq!(err.message(), "model \"nope\" not found");
    let reqs = server.requests();
    check(&reqs[0], "POST", "/api/copy");
    assert_eq!(
        reqs[0].json(),
        json!({"source": MODEL, "destination": "qwen3-backup"})
    );
}

#[tokio::test]
async fn delete_200_and_404() {
    let server = TestServer::start(vec![
        Reply::status(200),
        Reply::json(404, r#"{"error":"model 'qwen3-backup' not found"}"#),
    ])
    .await;
    let o = ollama(&server);
    o.delete("qwen3-backup").await.unwrap();
    let err = o.delete("qwen3-backup").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert_eq!(err.status(), Some(404));
    assert_eq!(err.message(), "model 'qwen3-backup' not found");
    for r in server.requests() {
        check(&r, "DELETE", "/api/delete");
        assert_eq!(r.json(), json!({"model": "qwen3-backup"}));
    }
}

#[tokio::test]
async fn pull_streams_progress_to_success() {
    let lines = wire::pull_progress();
    let server = TestServer::start(vec![Reply::ndjson(&lines)]).await;
    let (got, err) = drain(ollama(&server).pull(MODEL, false).await.unwrap()).await;
    assert!(err.is_none(), "{err:?}");
    assert_eq!(statuses(&got), expected_statuses(&lines));
    assert_eq!(got[2].completed, Some(1_306_344_011));
    assert_eq!(got[2].total, Some(5_225_376_047));
    assert_eq!(describe(&got[2]), "pulling a3de86cd1c13 24%");
    assert_eq!(describe(&got[3]), "pulling a3de86cd1c13 100%");
    assert_eq!(describe(&got[0]), "pulling manifest");
    let r = server.only_request();
    check(&r, "POST", "/api/pull");
    assert_eq!(
        r.json(),
        json!({"model": MODEL, "insecure": false, "stream": true})
    );
    assert_eq!(r.header("accept"), Some("application/x-ndjson"));
}

#[tokio::test]
async fn pull_progress_cut_anywhere_still_parses() {
    let lines = wire::pull_progress();
    let body = wire::ndjson(&lines);
    let server = TestServer::start(vec![Reply::stream(
        "application/x-ndjson",
        support::split_every(body.as_bytes(), 3),
    )])
    .await;
    let (got, err) = drain(ollama(&server).pull(MODEL, true).await.unwrap()).await;
    assert!(err.is_none(), "{err:?}");
    assert_eq!(statuses(&got), expected_statuses(&lines));
    assert_eq!(server.only_request().json()["insecure"], true);
}

#[tokio::test]
async fn pull_error_line_ends_the_stream_with_an_error() {
    let lines = vec![
        json!({"status": "pulling manifest"}),
        json!({"error": "pull model manifest: file does not exist"}),
    ];
    let server = TestServer::start(vec![Reply::ndjson(&lines)]).await;
    let (got, err) = drain(ollama(&server).pull("nope:1b", false).await.unwrap()).await;
    assert_eq!(statuses(&got), ["pulling manifest"]);
    let err = err.expect("the error line is an error");
    assert_eq!(err.message(), "pull model manifest: file does not exist");
    assert_eq!(err.provider(), Some("ollama"));
}

#[tokio::test]
async fn pull_ending_before_success_is_truncated() {
    let mut lines = wire::pull_progress();
    lines.truncate(3);
    let server = TestServer::start(vec![Reply::ndjson(&lines)]).await;
    let (got, err) = drain(ollama(&server).pull(MODEL, false).await.unwrap()).await;
    assert_eq!(got.len(), 3);
    assert_eq!(err.expect("no success line").kind(), ErrorKind::Truncated);
}

#[tokio::test]
async fn push_streams_progress_and_its_errors() {
    let lines = wire::push_progress();
    let server = TestServer::start(vec![
        Reply::ndjson(&lines),
        Reply::ndjson(&[
            json!({"status": "retrieving manifest"}),
            json!({"error": "unauthorized: authentication required"}),
        ]),
    ])
    .await;
    let o = ollama(&server);
    let (got, err) = drain(o.push("me/qwen3:8b", false).await.unwrap()).await;
    assert!(err.is_none(), "{err:?}");
    assert_eq!(statuses(&got), expected_statuses(&lines));
    assert_eq!(describe(&got[2]), "starting upload 50%");
    let (got, err) = drain(o.push("me/qwen3:8b", false).await.unwrap()).await;
    assert_eq!(got.len(), 1);
    assert_eq!(
        err.expect("error line").message(),
        "unauthorized: authentication required"
    );
    for r in server.requests() {
        check(&r, "POST", "/api/push");
        assert_eq!(
            r.json(),
            json!({"model": "me/qwen3:8b", "insecure": false, "stream": true})
        );
    }
}

#[tokio::test]
async fn create_streams_progress() {
    let lines = wire::create_progress();
    let server = TestServer::start(vec![Reply::ndjson(&lines)]).await;
    let spec = json!({
        "from": MODEL,
        "system": "You are Mario from Super Mario Bros.",
        "parameters": {"temperature": 0.9}
    });
    let (got, err) = drain(
        ollama(&server)
            .create("mario", spec.as_object().unwrap().clone())
            .await
            .unwrap(),
    )
    .await;
    assert!(err.is_none(), "{err:?}");
    assert_eq!(statuses(&got), expected_statuses(&lines));
    let r = server.only_request();
    check(&r, "POST", "/api/create");
    let mut expected = spec;
    expected["model"] = "mario".into();
    expected["stream"] = true.into();
    assert_eq!(r.json(), expected);
}

fn generate_request(context: Vec<i64>) -> GenerateRequest {
    let mut options = serde_json::Map::new();
    options.insert("num_ctx".into(), 8192.into());
    options.insert("temperature".into(), 0.2.into());
    GenerateRequest {
        model: MODEL.into(),
        prompt: "Why is the sky blue?".into(),
        context,
        options,
        keep_alive: Some("5m".into()),
        ..Default::default()
    }
}

#[tokio::test]
async fn generate_whole_returns_context() {
    let last = wire::generate_lines(&[151_644, 872, 198]).pop().unwrap();
    let mut whole = last.clone();
    whole["response"] = "The sky is blue because of Rayleigh scattering.".into();
    let server = TestServer::start(vec![Reply::json(200, whole.to_string())]).await;
    let resp = ollama(&server)
        .generate(&generate_request(vec![1, 2, 3]))
        .await
        .unwrap();
    assert_eq!(
        resp.response,
        "The sky is blue because of Rayleigh scattering."
    );
    assert!(resp.done);
    assert_eq!(resp.done_reason.as_deref(), Some("stop"));
    assert_eq!(resp.context, [151_644, 872, 198]);
    assert_eq!(resp.prompt_eval_count, Some(26));
    assert_eq!(resp.eval_count, Some(298));
    assert_eq!(resp.total_duration, Some(5_191_566_416));
    let r = server.only_request();
    check(&r, "POST", "/api/generate");
    assert_eq!(
        r.json(),
        json!({
            "model": MODEL,
            "prompt": "Why is the sky blue?",
            "context": [1, 2, 3],
            "options": {"num_ctx": 8192, "temperature": 0.2},
            "keep_alive": "5m",
            "stream": false
        })
    );
}

#[tokio::test]
async fn generate_stream_ends_with_the_context() {
    let lines = wire::generate_lines(&[7, 8, 9]);
    let body = wire::ndjson(&lines);
    let server = TestServer::start(vec![Reply::stream(
        "application/x-ndjson",
        support::split_every(body.as_bytes(), 10),
    )])
    .await;
    let mut s = ollama(&server)
        .generate_stream(&generate_request(Vec::new()))
        .await
        .unwrap();
    let mut pieces = Vec::new();
    while let Some(p) = s.next().await {
        pieces.push(p.unwrap());
    }
    assert_eq!(pieces.len(), 4);
    let text: String = pieces.iter().map(|p| p.response.as_str()).collect();
    assert_eq!(text, "The sky is blue because of Rayleigh scattering.");
    let last = pieces.last().unwrap();
    assert!(last.done);
    assert_eq!(last.context, [7, 8, 9]);
    assert!(pieces[..3].iter().all(|p| !p.done && p.context.is_empty()));
    let r = server.only_request();
    check(&r, "POST", "/api/generate");
    assert_eq!(r.json()["stream"], true);
    assert!(r.json().get("context").is_none(), "no empty context sent");
}

// Blobs.

fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// A temporary file of `len` bytes, removed on drop.
struct TempFile {
    path: PathBuf,
    data: Vec<u8>,
}

impl TempFile {
    fn new(name: &str, len: usize) -> TempFile {
        let data: Vec<u8> = (0..len).map(|i| (i * 31 % 251) as u8).collect();
        let path = std::env::temp_dir().join(format!(
            "exllm-ollama-test-{}-{name}.bin",
            std::process::id()
        ));
        std::fs::write(&path, &data).unwrap();
        TempFile { path, data }
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// `POST /api/blobs/:digest` as Ollama checks it: the body's sha256 must equal the digest in
/// the path, and the body must be as long as its `Content-Length`.
fn blob_upload() -> Reply {
    Reply::from_fn(|r| {
        let Some(digest) = r.path.strip_prefix("/api/blobs/") else {
            return Reply::json(404, r#"{"error":"not found"}"#);
        };
        let declared = r.header("content-length").and_then(|v| v.parse().ok());
        let actual = sha256(&r.body);
        if r.method != "POST" || declared != Some(r.body.len()) {
            return Reply::json(400, r#"{"error":"bad upload"}"#);
        }
        if actual != digest {
            let msg = format!("digest mismatch, expected \"{digest}\", got \"{actual}\"");
            return Reply::json(400, json!({ "error": msg }).to_string());
        }
        Reply::status(201)
    })
}

type Calls = Arc<Mutex<Vec<(u64, u64)>>>;

fn recorder() -> (Calls, impl Fn(u64, u64) + Send + Sync + 'static) {
    let calls: Calls = Arc::default();
    let c = calls.clone();
    (calls, move |done, total| {
        c.lock().unwrap().push((done, total))
    })
}

#[tokio::test]
async fn blob_exists_is_a_head_request() {
    let digest = sha256(b"abc");
    let server = TestServer::start(vec![
        Reply::status(200),
        Reply::json(404, r#"{"error":"blob not found"}"#),
    ])
    .await;
    let o = ollama(&server);
    assert!(o.blob_exists(&digest).await.unwrap());
    assert!(!o.blob_exists(&digest).await.unwrap());
    for r in server.requests() {
        check(&r, "HEAD", &format!("/api/blobs/{digest}"));
        assert!(r.body.is_empty());
    }
}

#[tokio::test]
async fn push_blob_streams_the_file_and_the_server_checks_it() {
    let file = TempFile::new("upload", 300_000);
    let digest = sha256(&file.data);
    let server = TestServer::start(vec![Reply::status(404), blob_upload()]).await;
    let (calls, progress) = recorder();
    let got = ollama(&server)
        .push_blob(&file.path, progress)
        .await
        .unwrap();
    assert_eq!(got, digest);
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    check(&reqs[0], "HEAD", &format!("/api/blobs/{digest}"));
    check(&reqs[1], "POST", &format!("/api/blobs/{digest}"));
    assert_eq!(reqs[1].body, file.data, "the file's bytes, unchanged");
    assert_eq!(reqs[1].header("content-length"), Some("300000"));
    assert_eq!(reqs[1].header("transfer-encoding"), None);

    let calls = calls.lock().unwrap().clone();
    assert!(calls.len() > 2, "progress while hashing and uploading");
    assert!(calls
        .iter()
        .all(|&(done, total)| total == 300_000 && done <= total));
    assert_eq!(calls.last(), Some(&(300_000, 300_000)));
}

#[tokio::test]
async fn push_blob_skips_a_blob_the_server_has() {
    let file = TempFile::new("existing", 5_000);
    let server = TestServer::start(vec![Reply::status(200), blob_upload()]).await;
    let (calls, progress) = recorder();
    let got = ollama(&server)
        .push_blob(&file.path, progress)
        .await
        .unwrap();
    assert_eq!(got, sha256(&file.data));
    check(&server.only_request(), "HEAD", &format!("/api/blobs/{got}"));
    assert_eq!(server.replies_left(), 1, "no POST");
    assert_eq!(calls.lock().unwrap().last(), Some(&(5_000, 5_000)));
}

#[tokio::test]
async fn an_upload_under_a_wrong_digest_is_a_bad_request() {
    let file = TempFile::new("mismatch", 4_096);
    let wrong = sha256(b"something else");
    let server = TestServer::start(vec![blob_upload()]).await;
    let err = ollama(&server)
        .upload(&file.path, &wrong, Arc::new(|_, _| {}))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BadRequest);
    assert_eq!(err.status(), Some(400));
    assert!(err.message().contains("digest mismatch"), "{err}");
    assert!(err.to_string().contains(&wrong), "names the digest: {err}");
    let r = server.only_request();
    check(&r, "POST", &format!("/api/blobs/{wrong}"));
    assert_eq!(r.body, file.data);
}

#[tokio::test]
async fn an_invalid_digest_fails_before_any_request() {
    let file = TempFile::new("invalid", 10);
    let server = TestServer::start(vec![]).await;
    let o = ollama(&server);
    for bad in [
        "sha256:xyz",
        "md5:900150983cd24fb0d6963f7d28e17f72",
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015a",
        "sha256:../../api/delete",
    ] {
        let err = o.blob_exists(bad).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{bad}");
        let err = o
            .upload(&file.path, bad, Arc::new(|_, _| {}))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{bad}");
    }
    assert_eq!(server.request_count(), 0);
}

#[tokio::test]
async fn a_missing_file_fails_before_any_request() {
    let server = TestServer::start(vec![]).await;
    let missing = std::env::temp_dir().join("exllm-ollama-test-no-such-file.bin");
    let err = ollama(&server)
        .push_blob(&missing, |_, _| {})
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(err.message().contains("no-such-file"), "{err}");
    assert_eq!(server.request_count(), 0);
}
