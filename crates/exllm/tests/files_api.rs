//! `Client::files` end to end against local servers speaking OpenAI's `/files` and
//! Anthropic's Files API: a multipart upload streamed from disk checked field by field on
//! the server side, listing, lookup, deletion, content streamed to a file, and error statuses;
//! Gemini's resumable upload.

use crate::support::{assert_no_key, client_for, Recorded, Reply, TestServer, KEY};
use exllm::ErrorKind;
use serde_json::json;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// A fresh path under the system temp directory.
pub fn temp_path(name: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    std::env::temp_dir().join(format!("exllm-{}-{nanos}-{name}", std::process::id()))
}

/// One field of a multipart body: name, file name, content type, content.
pub type Field = (String, Option<String>, Option<String>, Vec<u8>);

/// The fields of a multipart body.
pub fn form_fields(r: &Recorded) -> Vec<Field> {
    let ct = r.header("content-type").expect("content type");
    let boundary = ct
        .strip_prefix("multipart/form-data; boundary=")
        .expect("multipart");
    let delim = format!("--{boundary}");
    let body = &r.body;
    let mut out = Vec::new();
    let find = |from: usize, needle: &[u8]| {
        body[from..]
            .windows(needle.len())
            .position(|w| w == needle)
            .map(|i| i + from)
    };
    let mut start = find(0, delim.as_bytes()).expect("first boundary") + delim.len();
    loop {
        if body[start..].starts_with(b"--") {
            assert_eq!(
                &body[start..],
                b"--\r\n",
                "the form ends with its closing line"
            );
            break;
        }
        assert!(body[start..].starts_with(b"\r\n"));
        let head_end = find(start, b"\r\n\r\n").expect("part head");
        let head = String::from_utf8_lossy(&body[start + 2..head_end]).into_owned();
        let next = find(head_end, format!("\r\n{delim}").as_bytes()).expect("next boundary");
        let content = body[head_end + 4..next].to_vec();
        let param = |key: &str| {
            head.split(';')
                .find_map(|p| p.trim().strip_prefix(&format!("{key}=\"")))
                .map(|v| v.split('"').next().unwrap().to_owned())
        };
        let ctype = head
            .lines()
            .find_map(|l| l.strip_prefix("Content-Type: "))
            .map(str::to_owned);
        out.push((param("name").unwrap(), param("filename"), ctype, content));
        start = next + 2 + delim.len();
    }
    out
}

fn file_json(id: &str) -> serde_json::Value {
    json!({"id": id, "object": "file", "bytes": 300000, "created_at": 1677610602,
           "filename": "big.jsonl", "purpose": "batch", "status": "processed"})
}

#[tokio::test]
async fn openai_upload_streams_the_file_with_its_purpose() {
    let path = temp_path("big.jsonl");
    // Larger than one read buffer, so the body goes out in many pieces.
    let data: Vec<u8> = (0..300_000u32).map(|i| b'a' + (i % 26) as u8).collect();
    std::fs::write(&path, &data).unwrap();
    let server = TestServer::start(vec![Reply::json(200, file_json("file-abc").to_string())]).await;
    let files = client_for("openai", &server, 0).files("openai").unwrap();
    let seen = Arc::new(AtomicU64::new(0));
    let s = seen.clone();
    let f = files
        .upload_with_progress(
            &path,
            Some("batch"),
            Arc::new(move |sent, total| {
                assert_eq!(total, 300_000);
                s.store(sent, Ordering::SeqCst);
            }),
        )
        .await
        .unwrap();
    std::fs::remove_file(&path).ok();
    assert_eq!(
        (f.id.as_str(), f.bytes, f.provider.as_str()),
        ("file-abc", Some(300000), "openai")
    );
    assert_eq!(seen.load(Ordering::SeqCst), 300_000);
    let r = server.only_request();
    assert_eq!((r.method.as_str(), r.path.as_str()), ("POST", "/v1/files"));
    assert_eq!(
        r.header("authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );
    let fields = form_fields(&r);
    assert_eq!(fields.len(), 2);
    assert_eq!(
        (fields[0].0.as_str(), fields[0].3.as_slice()),
        ("purpose", &b"batch"[..])
    );
    assert_eq!(fields[1].0, "file");
    assert_eq!(
        fields[1].1.as_deref(),
        Some(path.file_name().unwrap().to_str().unwrap())
    );
    assert_eq!(fields[1].2.as_deref(), Some("application/jsonl"));
    assert!(fields[1].3 == data, "the file arrives whole and unchanged");
}

#[tokio::test]
async fn list_get_delete_and_content() {
    let listing = json!({"object": "list", "data": [file_json("file-1"), file_json("file-2")], "has_more": true});
    let server = TestServer::start(vec![
        Reply::json(200, listing.to_string()),
        Reply::json(200, file_json("file-1").to_string()),
        Reply::json(
            200,
            json!({"id": "file-1", "object": "file", "deleted": true}).to_string(),
        ),
        Reply::body(
            200,
            "application/octet-stream",
            b"line one\nline two\n".to_vec(),
        ),
    ])
    .await;
    let files = client_for("groq", &server, 0).files("groq").unwrap();
    let l = files.list(Some(2), Some("file-0")).await.unwrap();
    assert_eq!(
        (l.files.len(), l.has_more, l.files[1].id.as_str()),
        (2, true, "file-2")
    );
    assert_eq!(
        files.get("file-1").await.unwrap().filename.as_deref(),
        Some("big.jsonl")
    );
    files.delete("file-1").await.unwrap();
    let out = temp_path("content.bin");
    assert_eq!(files.download("file-1", &out).await.unwrap(), 18);
    assert_eq!(std::fs::read(&out).unwrap(), b"line one\nline two\n");
    std::fs::remove_file(&out).ok();
    let paths: Vec<(String, String)> = server
        .requests()
        .into_iter()
        .map(|r| (r.method, r.path))
        .collect();
    assert_eq!(
        paths,
        [
            ("GET", "/v1/files?limit=2&after=file-0"),
            ("GET", "/v1/files/file-1"),
            ("DELETE", "/v1/files/file-1"),
            ("GET", "/v1/files/file-1/content"),
        ]
        .map(|(m, p)| (m.to_owned(), p.to_owned()))
    );
}

#[tokio::test]
async fn a_missing_file_is_not_found_without_the_key() {
    let body = json!({"error": {"message": "No such File object: file-x", "type": "invalid_request_error", "param": "id", "code": null}});
    let server = TestServer::start(vec![Reply::json(404, body.to_string())]).await;
    let files = client_for("openai", &server, 0).files("openai").unwrap();
    let e = files.get("file-x").await.unwrap_err();
    assert_eq!((e.kind(), e.status()), (ErrorKind::NotFound, Some(404)));
    assert!(e.message().contains("No such File"), "{e}");
    assert_no_key(&e);
}

#[tokio::test]
async fn anthropic_files_send_the_beta_and_no_purpose() {
    let path = temp_path("doc.pdf");
    std::fs::write(&path, b"%PDF-1.4 tiny").unwrap();
    let obj = json!({"id": "file_011CNha8iCJcU1wXNR6q4V8w", "type": "file", "filename": "doc.pdf",
        "mime_type": "application/pdf", "size_bytes": 13, "created_at": "2025-04-14T10:00:00Z", "downloadable": false});
    let server = TestServer::start(vec![
        Reply::json(200, obj.to_string()),
        Reply::json(
            200,
            json!({"id": "file_011CNha8iCJcU1wXNR6q4V8w", "type": "file_deleted"}).to_string(),
        ),
    ])
    .await;
    let files = client_for("anthropic", &server, 0)
        .files("anthropic")
        .unwrap();
    let f = files.upload(&path, None).await.unwrap();
    std::fs::remove_file(&path).ok();
    assert_eq!(
        (f.bytes, f.media_type.as_deref()),
        (Some(13), Some("application/pdf"))
    );
    files.delete(&f.id).await.unwrap();
    for r in server.requests() {
        assert_eq!(r.header("anthropic-beta"), Some("files-api-2025-04-14"));
        assert_eq!(r.header("x-api-key"), Some(KEY));
    }
    let up = &server.requests()[0];
    let fields = form_fields(up);
    assert_eq!(fields.len(), 1);
    assert_eq!(
        (fields[0].2.as_deref(), fields[0].3.as_slice()),
        (Some("application/pdf"), &b"%PDF-1.4 tiny"[..])
    );
}

#[tokio::test]
async fn providers_without_a_file_store_say_so() {
    let server = TestServer::start(vec![]).await;
    let e = client_for("cohere", &server, 0)
        .files("cohere")
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unsupported);
}

/// Gemini's answer to an upload start: where to send the bytes, on `host`.
pub fn upload_started(host: String) -> Reply {
    Reply::json(200, "{}").header(
        "x-goog-upload-url",
        &format!("http://{host}/upload/v1/files?upload_id=ABC-123"),
    )
}

#[tokio::test]
async fn gemini_uploads_are_resumable_and_files_have_uris() {
    let path = temp_path("clip.mp3");
    let data: Vec<u8> = (0..70_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(&path, &data).unwrap();
    let file = json!({"name": "files/abc-123", "displayName": "clip.mp3", "mimeType": "audio/mpeg",
        "sizeBytes": "70000", "createTime": "2025-01-01T00:00:00.123456Z", "expirationTime": "2025-01-03T00:00:00Z",
        "uri": "https://generativelanguage.googleapis.com/v1beta/files/abc-123", "state": "ACTIVE"});
    let server = TestServer::start(vec![
        Reply::from_fn(|r| upload_started(r.header("host").unwrap().to_owned())),
        Reply::json(200, json!({"file": file}).to_string()),
        Reply::json(
            200,
            json!({"files": [file], "nextPageToken": "tok/2"}).to_string(),
        ),
        Reply::json(200, file.to_string()),
        Reply::json(200, "{}"),
    ])
    .await;
    let files = client_for("gemini", &server, 0).files("gemini").unwrap();
    let f = files.upload(&path, None).await.unwrap();
    std::fs::remove_file(&path).ok();
    assert_eq!(
        (f.id.as_str(), f.bytes, f.status.as_deref()),
        ("files/abc-123", Some(70000), Some("ACTIVE"))
    );
    assert_eq!(
        f.uri.as_deref(),
        Some("https://generativelanguage.googleapis.com/v1beta/files/abc-123")
    );
    assert_eq!(f.created_at, Some(1735689600));
    let l = files.list(Some(1), None).await.unwrap();
    assert_eq!((l.files.len(), l.next.as_deref()), (1, Some("tok/2")));
    assert_eq!(
        files
            .get("files/abc-123")
            .await
            .unwrap()
            .media_type
            .as_deref(),
        Some("audio/mpeg")
    );
    files.delete("files/abc-123").await.unwrap();
    let e = match files.content("files/abc-123").await {
        Err(e) => e,
        Ok(_) => panic!("Gemini gives no content back"),
    };
    assert_eq!(e.kind(), ErrorKind::Unsupported);

    let r = server.requests();
    assert_eq!(
        (r[0].method.as_str(), r[0].path.as_str()),
        ("POST", "/upload/v1/files")
    );
    assert_eq!(r[0].header("x-goog-upload-protocol"), Some("resumable"));
    assert_eq!(r[0].header("x-goog-upload-command"), Some("start"));
    assert_eq!(
        r[0].header("x-goog-upload-header-content-length"),
        Some("70000")
    );
    assert_eq!(
        r[0].header("x-goog-upload-header-content-type"),
        Some("audio/mpeg")
    );
    assert_eq!(r[0].header("x-goog-api-key"), Some(KEY));
    assert_eq!(
        r[0].json(),
        json!({"file": {"display_name": path.file_name().unwrap().to_str().unwrap()}})
    );
    assert_eq!(r[1].path, "/upload/v1/files?upload_id=ABC-123");
    assert_eq!(
        r[1].header("x-goog-upload-command"),
        Some("upload, finalize")
    );
    assert_eq!(r[1].header("x-goog-upload-offset"), Some("0"));
    assert!(
        r[1].body == data,
        "the bytes arrive as they are, without a form"
    );
    assert_eq!(r[2].path, "/v1/files?pageSize=1");
    assert_eq!(r[3].path, "/v1/files/abc-123");
    assert_eq!(
        (r[4].method.as_str(), r[4].path.as_str()),
        ("DELETE", "/v1/files/abc-123")
    );
}

#[tokio::test]
async fn a_gemini_upload_url_on_another_host_is_refused() {
    let path = temp_path("x.txt");
    std::fs::write(&path, b"x").unwrap();
    let server = TestServer::start(vec![upload_started("elsewhere.example:443".into())]).await;
    let files = client_for("gemini", &server, 0).files("gemini").unwrap();
    let e = files.upload(&path, None).await.unwrap_err();
    std::fs::remove_file(&path).ok();
    assert_eq!(e.kind(), ErrorKind::Decode);
    assert!(e.message().contains("another host"), "{e}");
    assert_eq!(
        server.request_count(),
        1,
        "nothing is sent to the other host"
    );
}

#[tokio::test]
async fn content_larger_than_the_body_limit_streams_to_disk() {
    use exllm::provider::{Api, Auth, Endpoint};
    use exllm::transport::{HttpTransport, RetryPolicy};
    let big: Vec<u8> = (0..200_000u32).map(|i| b'0' + (i % 10) as u8).collect();
    let server = TestServer::start(vec![
        Reply::body(200, "application/octet-stream", big.clone()),
        Reply::json(
            200,
            format!(
                "{{\"id\": \"file-1\", \"filename\": \"{}\"}}",
                "x".repeat(100_000)
            ),
        ),
    ])
    .await;
    let mut transport = HttpTransport::new(Default::default()).unwrap();
    transport.max_body_bytes = 64 << 10;
    let mut ep = Endpoint::new("openai", server.url());
    ep.auth = Auth::Bearer(KEY.into());
    let provider = exllm::client::HttpBackend::new(
        Api::OpenAiChat.codec(),
        ep,
        transport,
        RetryPolicy::none(),
    );
    let client = exllm::Client::builder()
        .env_lookup(|_| None)
        .provider("openai", Arc::new(provider))
        .build()
        .unwrap();
    let files = client.files("openai").unwrap();
    let out = temp_path("big.bin");
    assert_eq!(files.download("file-1", &out).await.unwrap(), 200_000);
    assert!(std::fs::read(&out).unwrap() == big);
    std::fs::remove_file(&out).ok();
    // A body read whole is still held to the limit.
    let e = files.get("file-1").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TooLarge);
}
