//! The subcommands other than chat against a scripted HTTP server on 127.0.0.1: what they send,
//! the one JSON object they print, the files they write, and errors.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One request as the server received it.
#[derive(Debug, Clone)]
pub(crate) struct Request {
    pub(crate) head: String,
    pub(crate) body: Vec<u8>,
}

impl Request {
    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }
}

/// A server answering one request per connection with the next scripted reply.
pub(crate) struct Server {
    pub(crate) url: String,
    requests: Arc<Mutex<Vec<Request>>>,
}

pub(crate) fn serve(replies: Vec<(u16, &'static str, Vec<u8>)>) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let requests = Arc::new(Mutex::new(Vec::new()));
    let seen = requests.clone();
    std::thread::spawn(move || {
        for (status, ctype, body) in replies {
            let Ok((mut conn, _)) = listener.accept() else {
                return;
            };
            conn.set_read_timeout(Some(Duration::from_secs(10)))
                .unwrap();
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            let head_end = loop {
                let n = conn.read(&mut chunk).unwrap_or(0);
                if n == 0 {
                    break None;
                }
                buf.extend_from_slice(&chunk[..n]);
                if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                    break Some(i + 4);
                }
            };
            let Some(head_end) = head_end else { continue };
            let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .map_or(0, |v| v.trim().parse().unwrap());
            while buf.len() < head_end + length {
                let n = conn.read(&mut chunk).unwrap_or(0);
                if n == 0 {
                    break;
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            seen.lock().unwrap().push(Request {
                head,
                body: buf[head_end..].to_vec(),
            });
            let reply = format!(
                "HTTP/1.1 {status} X\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = conn.write_all(reply.as_bytes());
            let _ = conn.write_all(&body);
        }
    });
    Server { url, requests }
}

impl Server {
    pub(crate) fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }
}

fn exllm(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_exllm"))
        .args(args)
        .env("OPENAI_API_KEY", "sk-cli-test")
        .env("VOYAGE_API_KEY", "pa-cli-test")
        .env("NO_PROXY", "127.0.0.1")
        .env_remove("HTTP_PROXY")
        .env_remove("HTTPS_PROXY")
        .env_remove("ALL_PROXY")
        .env_remove("OPENAI_BASE_URL")
        .env("HOME", std::env::temp_dir().join("exllm-cli-test-home"))
        .output()
        .expect("the binary runs")
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not one JSON object ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

#[test]
fn rerank_prints_the_results_in_the_providers_order() {
    let body = br#"{"object":"list","data":[{"relevance_score":0.57,"index":1},{"relevance_score":0.25,"index":0}],"usage":{"total_tokens":12}}"#;
    let server = serve(vec![(200, "application/json", body.to_vec()); 2]);
    let args = [
        "rerank",
        "-m",
        "voyage/rerank-2.5",
        "--base-url",
        &server.url,
        "--query",
        "rain",
        "--json",
        "sunny day",
        "rainy day",
    ];
    let out = exllm(&args);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        json(&out),
        serde_json::json!({"results": [{"index": 1, "score": 0.57}, {"index": 0, "score": 0.25}]})
    );
    let r = &server.requests()[0];
    assert!(r.head.starts_with("post /rerank "), "{}", r.head);
    assert!(
        r.head.contains("authorization: bearer pa-cli-test"),
        "{}",
        r.head
    );
    assert_eq!(
        r.json()["documents"],
        serde_json::json!(["sunny day", "rainy day"])
    );

    // For people: an aligned table, best first.
    let out = exllm(
        &args[..args.len() - 3]
            .iter()
            .chain(&["sunny day", "rainy day"])
            .copied()
            .collect::<Vec<_>>(),
    );
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0].split_whitespace().collect::<Vec<_>>(),
        ["RANK", "SCORE", "INDEX", "DOCUMENT"]
    );
    assert!(
        lines[1].starts_with("1") && lines[1].ends_with("rainy day"),
        "{text}"
    );
}

#[test]
fn speak_writes_the_audio_and_describes_it() {
    let audio: Vec<u8> = (0..200u8).collect();
    let server = serve(vec![(200, "audio/mpeg", audio.clone())]);
    let dir = std::env::temp_dir().join(format!("exllm-speak-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("hello.mp3");
    let path_s = path.to_string_lossy().into_owned();
    let out = exllm(&[
        "speak",
        "-m",
        "openai/tts-1",
        "--base-url",
        &server.url,
        "--voice",
        "nova",
        "--out",
        &path_s,
        "--json",
        "Hello",
        "there",
    ]);
    assert!(out.status.success(), "{out:?}");
    let v = json(&out);
    assert_eq!(v["bytes"], 200);
    assert_eq!(v["path"], path_s.as_str());
    assert_eq!(v["sha256"].as_str().map(str::len), Some(64));
    assert_eq!(std::fs::read(&path).unwrap(), audio);
    let r = &server.requests()[0];
    assert!(r.head.starts_with("post /audio/speech "), "{}", r.head);
    assert_eq!(
        r.json(),
        serde_json::json!({"model": "tts-1", "input": "Hello there", "voice": "nova", "response_format": "mp3"})
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_http_error_is_the_error_object_and_a_failing_exit() {
    let body =
        br#"{"error":{"message":"Unknown parameter: 'quality'.","type":"invalid_request_error"}}"#;
    let server = serve(vec![(400, "application/json", body.to_vec())]);
    let out = exllm(&[
        "image",
        "-m",
        "openai/dall-e-2",
        "--base-url",
        &server.url,
        "--quality",
        "hd",
        "--json",
        "a cat",
    ]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let v = json(&out);
    assert_eq!(v["error"]["status"], 400);
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Unknown parameter"),
        "{v}"
    );
}

#[test]
fn embed_json_is_the_vectors_and_usage() {
    let body = br#"{"data":[{"index":1,"embedding":[3,4]},{"index":0,"embedding":"AAAAPw=="}],"usage":{"prompt_tokens":5}}"#;
    let server = serve(vec![(200, "application/json", body.to_vec())]);
    let out = exllm(&[
        "embed",
        "-m",
        "openai/e",
        "--base-url",
        &server.url,
        "--json",
        "a",
        "b",
    ]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        json(&out),
        serde_json::json!({"embeddings": [[0.5], [3.0, 4.0]], "usage": {"input_tokens": 5}})
    );
}

#[test]
fn similar_refuses_an_answer_with_too_few_vectors() {
    // Three lines and the query ask for four vectors; the server sends two.
    let body = br#"{"data":[{"index":0,"embedding":[1,0]},{"index":1,"embedding":[0,1]}]}"#;
    let server = serve(vec![(200, "application/json", body.to_vec()); 2]);
    let dir = std::env::temp_dir().join(format!("exllm-similar-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("docs.txt");
    std::fs::write(&file, "alpha\nbeta\ngamma\n").unwrap();
    let file = file.to_string_lossy().into_owned();
    let args = [
        "similar",
        &file,
        "-q",
        "alpha",
        "-m",
        "openai/e",
        "--base-url",
        &server.url,
    ];
    let out = exllm(&args);
    assert_eq!(out.status.code(), Some(1), "an error, not a panic: {out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("4") && err.contains("got 2") && !err.contains("panicked"),
        "{err}"
    );
    let out = exllm(&[&args[..], &["--json"]].concat());
    assert_eq!(json(&out)["error"]["kind"], "Decode");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn api_names_the_wire_format_of_the_call() {
    let body = br#"{"id":"r","results":[{"index":0,"relevance_score":0.9}],"meta":{"billed_units":{"search_units":1}}}"#;
    let server = serve(vec![(200, "application/json", body.to_vec())]);
    let out = exllm(&[
        "rerank",
        "-m",
        "openai/some-reranker",
        "--base-url",
        &server.url,
        "--api",
        "cohere-rerank",
        "-q",
        "q",
        "--json",
        "doc",
    ]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(json(&out)["results"][0]["index"], 0);
    assert!(server.requests()[0].head.starts_with("post /rerank "));

    // An API of another kind of call is refused before anything is sent.
    let out = exllm(&["embed", "-m", "openai/e", "--api", "rerank", "--json", "a"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let v = json(&out);
    assert_eq!(v["error"]["kind"], "Config");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("openai-embed"),
        "{v}"
    );
}
