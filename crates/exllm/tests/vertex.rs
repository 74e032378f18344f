//! Vertex AI end to end: a service-account key (made fresh with `openssl` for each run) is
//! exchanged for a token at the key file's own `token_uri` on 127.0.0.1, and the token goes
//! to Gemini's `generateContent` and Anthropic's `rawPredict` under the project's path.
#![cfg(feature = "vertex")]

use crate::support;

use exllm::{ChatRequest, Client, ErrorKind, Message};
use serde_json::json;
use std::path::{Path, PathBuf};
use support::fixtures::anthropic;
use support::{fast_retry, Reply, TestServer};

pub(crate) const TOKEN: &str = "ya29.test-access-token";

/// Writes a service-account file whose key is a fresh RSA key and whose token endpoint is
/// `token_uri` (openssl is required: the test fails without it).
pub(crate) fn service_account(dir: &Path, token_uri: &str, project: &str) -> Option<PathBuf> {
    let key = dir.join("key.pem");
    let ok = std::process::Command::new("openssl")
        .args([
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
        ])
        .arg(&key)
        .stderr(std::process::Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(
        ok,
        "openssl could not make an RSA key (scripts/setup installs openssl)"
    );
    let pem = std::fs::read_to_string(&key).ok()?;
    let sa = json!({
        "type": "service_account",
        "project_id": project,
        "private_key_id": "k1",
        "private_key": pem,
        "client_email": "exllm-test@example-project.iam.gserviceaccount.com",
        "client_id": "1",
        "token_uri": token_uri,
    });
    let path = dir.join("sa.json");
    std::fs::write(&path, sa.to_string()).ok()?;
    Some(path)
}

pub(crate) fn temp_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("exllm-vertex-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

pub(crate) fn token_reply() -> Reply {
    Reply::json(
        200,
        json!({"access_token": TOKEN, "expires_in": 3600, "token_type": "Bearer"}).to_string(),
    )
}

fn gemini_reply() -> Reply {
    Reply::json(
        200,
        json!({
            "candidates": [{"content": {"role": "model", "parts": [{"text": "Bonjour"}]}, "finishReason": "STOP", "index": 0}],
            "usageMetadata": {"promptTokenCount": 4, "candidatesTokenCount": 2, "totalTokenCount": 6},
            "modelVersion": "gemini-2.5-flash",
            "responseId": "r1"
        })
        .to_string(),
    )
}

#[tokio::test]
async fn gemini_on_vertex_uses_an_oauth_token_and_the_project_path() {
    let server = TestServer::start(vec![token_reply(), gemini_reply(), gemini_reply()]).await;
    let dir = temp_dir("gemini");
    let Some(sa) = service_account(&dir, &format!("{}/token", server.root()), "file-project")
    else {
        return;
    };
    let client = Client::builder()
        .env_lookup(|_| None)
        .base_url(
            "vertex",
            format!(
                "{}/v1/projects/{{project}}/locations/{{location}}/publishers/google",
                server.root()
            ),
        )
        .var("vertex", "project", "p1")
        .credentials_file("vertex", &sa)
        .retry(fast_retry(0))
        .build()
        .unwrap();
    for _ in 0..2 {
        let resp = client
            .chat(ChatRequest::new(
                "vertex/gemini-2.5-flash",
                vec![Message::user("Salut")],
            ))
            .await
            .unwrap();
        assert_eq!(resp.text(), "Bonjour");
        assert_eq!(resp.usage.unwrap().input_tokens, Some(4));
    }
    let reqs = server.requests();
    assert_eq!(
        reqs.len(),
        3,
        "one token exchange, then two calls with the cached token"
    );
    assert_eq!(reqs[0].path, "/token");
    let form = String::from_utf8_lossy(&reqs[0].body).to_string();
    assert!(
        form.contains("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer"),
        "{form}"
    );
    assert!(form.contains("assertion="), "{form}");
    for r in &reqs[1..] {
        assert_eq!(
            r.path,
            "/v1/projects/p1/locations/us-central1/publishers/google/models/gemini-2.5-flash:generateContent"
        );
        assert_eq!(
            r.header("authorization"),
            Some(format!("Bearer {TOKEN}").as_str())
        );
        assert_eq!(r.json()["contents"][0]["parts"][0]["text"], "Salut");
    }
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test]
async fn the_project_comes_from_the_key_file_when_not_set() {
    let server = TestServer::start(vec![token_reply(), gemini_reply()]).await;
    let dir = temp_dir("project");
    let Some(sa) = service_account(&dir, &format!("{}/token", server.root()), "file-project")
    else {
        return;
    };
    let client = Client::builder()
        .env_lookup(|_| None)
        .base_url(
            "vertex",
            format!(
                "{}/v1/projects/{{project}}/locations/{{location}}/publishers/google",
                server.root()
            ),
        )
        .var("vertex", "location", "europe-west4")
        .credentials_file("vertex", &sa)
        .retry(fast_retry(0))
        .build()
        .unwrap();
    client
        .chat(ChatRequest::new(
            "vertex/gemini-2.5-pro",
            vec![Message::user("x")],
        ))
        .await
        .unwrap();
    let last = server.requests().pop().unwrap();
    assert_eq!(
        last.path,
        "/v1/projects/file-project/locations/europe-west4/publishers/google/models/gemini-2.5-pro:generateContent"
    );
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test]
async fn anthropic_on_vertex_uses_raw_predict_and_the_vertex_version() {
    let server = TestServer::start(vec![
        token_reply(),
        Reply::json(200, anthropic::text("claude-sonnet-4-5")),
        Reply::stream(
            "text/event-stream",
            vec![anthropic::text_stream("claude-sonnet-4-5").into_bytes()],
        ),
    ])
    .await;
    let dir = temp_dir("anthropic");
    let Some(sa) = service_account(&dir, &format!("{}/token", server.root()), "p2") else {
        return;
    };
    let client = Client::builder()
        .env_lookup(|_| None)
        .base_url(
            "vertex-anthropic",
            format!(
                "{}/v1/projects/{{project}}/locations/{{location}}",
                server.root()
            ),
        )
        .var("vertex-anthropic", "location", "us-east5")
        .credentials_file("vertex-anthropic", &sa)
        .retry(fast_retry(0))
        .build()
        .unwrap();
    let req = ChatRequest::new(
        "vertex-anthropic/claude-sonnet-4-5@20250929",
        vec![Message::user("Hi")],
    );
    let whole = client.chat(req.clone()).await.unwrap();
    let streamed = support::streamed(&client, req).await.unwrap();
    assert!(!whole.text().is_empty());
    assert_eq!(whole.text(), streamed.text());
    let reqs = server.requests();
    let base =
        "/v1/projects/p2/locations/us-east5/publishers/anthropic/models/claude-sonnet-4-5@20250929";
    assert_eq!(reqs[1].path, format!("{base}:rawPredict"));
    assert_eq!(reqs[2].path, format!("{base}:streamRawPredict"));
    for r in &reqs[1..] {
        let body = r.json();
        assert_eq!(body["anthropic_version"], "vertex-2023-10-16");
        assert!(body.get("model").is_none(), "{body}");
        assert_eq!(
            r.header("authorization"),
            Some(format!("Bearer {TOKEN}").as_str())
        );
        assert!(r.header("x-api-key").is_none());
    }
    assert_eq!(reqs[2].json()["stream"], true);
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test]
async fn a_bad_credentials_file_is_a_config_error_before_any_request() {
    let dir = temp_dir("bad");
    let path = dir.join("sa.json");
    std::fs::write(
        &path,
        "{\"type\": \"service_account\", \"private_key\": \"not a key\"}",
    )
    .unwrap();
    let client = Client::builder()
        .env_lookup(|_| None)
        .var("vertex", "project", "p")
        .credentials_file("vertex", &path)
        .build()
        .unwrap();
    let err = client
        .chat(ChatRequest::new(
            "vertex/gemini-2.5-flash",
            vec![Message::user("x")],
        ))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    assert!(err.message().contains("service-account"), "{err}");
    let missing = Client::builder()
        .env_lookup(|_| None)
        .var("vertex", "project", "p")
        .credentials_file("vertex", dir.join("nope.json"))
        .build()
        .unwrap()
        .chat(ChatRequest::new(
            "vertex/gemini-2.5-flash",
            vec![Message::user("x")],
        ))
        .await
        .unwrap_err();
    assert_eq!(missing.kind(), ErrorKind::Config);
    std::fs::remove_dir_all(dir).ok();
}
