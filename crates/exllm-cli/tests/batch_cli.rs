//! `exllm batch` and `exllm files` as a user runs them, against a scripted server on
//! 127.0.0.1: a job submitted in one process and followed by id in later ones (the job store),
//! results as JSON and as a table, a client-side batch for a provider without a batch API,
//! file commands, and the errors for an unknown job.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A reply that never comes: the server holds the request open.
const STALL: &str = "(stall)";

/// The requests a server received: each one's lower-cased head and its body.
type Seen = Arc<Mutex<Vec<(String, Vec<u8>)>>>;

/// A server answering one request per connection with the next scripted JSON reply, and
/// recording each request's head and body.
pub(crate) fn serve(replies: Vec<String>) -> (String, Seen) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/v1", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for body in replies {
            let Ok((mut conn, _)) = listener.accept() else {
                return;
            };
            conn.set_read_timeout(Some(Duration::from_secs(10)))
                .unwrap();
            let (mut buf, mut chunk) = (Vec::new(), [0u8; 8192]);
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
            let len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .map_or(0, |v| v.trim().parse().unwrap());
            while buf.len() < head_end + len {
                let n = conn.read(&mut chunk).unwrap_or(0);
                if n == 0 {
                    break;
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            log.lock().unwrap().push((head, buf[head_end..].to_vec()));
            if body == STALL {
                // Hold the request unanswered until the client goes away.
                std::thread::sleep(Duration::from_secs(30));
                return;
            }
            let status = if body.contains("\"error\"") && !body.contains("custom_id") {
                404
            } else {
                200
            };
            let reply = format!(
                "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = conn.write_all(reply.as_bytes());
        }
    });
    (url, seen)
}

pub(crate) fn exllm(store: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_exllm"))
        .args(args)
        .env("OPENAI_API_KEY", "sk-cli-test")
        .env("TOGETHER_API_KEY", "to-cli-test")
        .env("EXLLM_BATCH_DIR", store)
        .env("NO_PROXY", "127.0.0.1")
        .env_remove("HTTP_PROXY")
        .env_remove("HTTPS_PROXY")
        .env_remove("ALL_PROXY")
        .env_remove("OPENAI_BASE_URL")
        .env("HOME", std::env::temp_dir().join("exllm-cli-test-home"))
        .output()
        .expect("the binary runs")
}

pub(crate) fn json(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not one JSON object ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

pub(crate) fn dir(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("exllm-cli-batch-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn job(status: &str, files: bool) -> String {
    let (out, err) = if files {
        ("\"file-out\"", "\"file-err\"")
    } else {
        ("null", "null")
    };
    format!(
        r#"{{"id":"batch_abc123","object":"batch","status":"{status}","input_file_id":"file-in","output_file_id":{out},"error_file_id":{err},"created_at":1711471533,"request_counts":{{"total":2,"completed":1,"failed":1}}}}"#
    )
}

#[test]
fn a_job_submitted_in_one_process_is_followed_by_id_in_others() {
    let d = dir("openai");
    let input = d.join("in.jsonl");
    std::fs::write(&input, "{\"id\": \"a\", \"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}]}\nWhat is 2+2?\n").unwrap();
    let answer = r#"{"id":"c","object":"chat.completion","model":"gpt-5","choices":[{"index":0,"message":{"role":"assistant","content":"Hello"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1000,"completion_tokens":100}}"#;
    let (url, seen) = serve(vec![
        r#"{"id":"file-in","object":"file","bytes":200,"purpose":"batch","filename":"batch.jsonl"}"#.into(),
        job("validating", false),
        job("completed", true),
        job("completed", true),
        format!("{{\"custom_id\":\"a\",\"response\":{{\"status_code\":200,\"body\":{answer}}},\"error\":null}}\n"),
        r#"{"custom_id":"line-2","response":null,"error":{"code":"batch_expired","message":"expired"}}"#.into(),
    ]);
    let store = d.join("jobs");
    let out = exllm(
        &store,
        &[
            "batch",
            "submit",
            "-m",
            "openai/gpt-5",
            input.to_str().unwrap(),
            "--base-url",
            &url,
            "--json",
        ],
    );
    let v = json(&out);
    assert_eq!(
        (v["id"].as_str(), v["status"].as_str(), v["model"].as_str()),
        (
            Some("batch_abc123"),
            Some("validating"),
            Some("openai/gpt-5")
        )
    );

    let out = exllm(
        &store,
        &[
            "batch",
            "status",
            "batch_abc123",
            "--base-url",
            &url,
            "--json",
        ],
    );
    let v = json(&out);
    assert_eq!(
        (v["status"].as_str(), v["counts"]["succeeded"].as_u64()),
        (Some("completed"), Some(1))
    );

    let out = exllm(
        &store,
        &[
            "batch",
            "results",
            "batch_abc123",
            "--base-url",
            &url,
            "--json",
        ],
    );
    let v = json(&out);
    let results = v["results"].as_array().unwrap();
    assert_eq!(results[0]["id"], "a");
    assert_eq!(results[0]["response"]["text"], "Hello");
    assert_eq!(results[1]["id"], "line-2");
    assert_eq!(results[1]["error"]["code"], "batch_expired");
    assert!(v["cost_usd"].as_f64().unwrap() > 0.0, "{v}");

    let out = exllm(&store, &["batch", "list"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with("ID") && text.contains("batch_abc123") && text.contains("openai/gpt-5"),
        "{text}"
    );

    let requests = seen.lock().unwrap().clone();
    assert!(requests[0].0.starts_with("post /v1/files"));
    let upload = String::from_utf8_lossy(&requests[0].1);
    assert!(
        upload.contains("\"custom_id\":\"line-2\"") && upload.contains("What is 2+2?"),
        "{upload}"
    );
    assert!(requests[1].0.starts_with("post /v1/batches"));
    assert!(requests[4].0.starts_with("get /v1/files/file-out/content"));
}

#[test]
fn an_unknown_job_needs_its_provider_and_a_missing_one_is_not_found() {
    let d = dir("unknown");
    let out = exllm(&d, &["batch", "status", "batch_nope", "--json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--provider"));
    let (url, _) = serve(vec![
        r#"{"error":{"message":"No batch found","type":"invalid_request_error"}}"#.into(),
    ]);
    let out = exllm(
        &d,
        &[
            "batch",
            "status",
            "batch_nope",
            "-p",
            "openai",
            "--base-url",
            &url,
            "--json",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (v["error"]["status"].as_u64(), v["error"]["kind"].as_str()),
        (Some(404), Some("NotFound"))
    );
}

#[test]
fn a_provider_without_a_batch_api_runs_the_batch_itself() {
    let d = dir("local");
    let input = d.join("in.jsonl");
    std::fs::write(&input, "one\ntwo\n").unwrap();
    let answer = r#"{"id":"c","object":"chat.completion","model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":1}}"#;
    let (url, seen) = serve(vec![answer.into(), answer.into()]);
    let out = exllm(
        &d.join("jobs"),
        &[
            "batch",
            "submit",
            "-m",
            "together/m",
            input.to_str().unwrap(),
            "--base-url",
            &url,
            "--concurrency",
            "1",
            "--json",
        ],
    );
    let v = json(&out);
    assert_eq!(v["job"]["api"], "local");
    assert_eq!(v["results"].as_array().unwrap().len(), 2);
    assert_eq!(v["results"][1]["response"]["text"], "ok");
    assert_eq!(seen.lock().unwrap().len(), 2);
    let checkpoint = d.join("in.jsonl.checkpoint.jsonl");
    assert_eq!(
        std::fs::read_to_string(&checkpoint)
            .unwrap()
            .lines()
            .count(),
        2
    );
    // A rerun finds everything done and sends nothing (the server has no replies left).
    let out = exllm(
        &d.join("jobs"),
        &[
            "batch",
            "submit",
            "-m",
            "together/m",
            input.to_str().unwrap(),
            "--base-url",
            &url,
            "--json",
        ],
    );
    assert_eq!(json(&out)["results"].as_array().unwrap().len(), 2);
    let id = v["job"]["id"].as_str().unwrap().to_owned();
    let out = exllm(&d.join("jobs"), &["batch", "status", &id]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("completed") && text.contains("2/2"), "{text}");
    let out = exllm(&d.join("jobs"), &["batch", "results", &id]);
    let text = String::from_utf8_lossy(&out.stdout);
    let rows: Vec<&str> = text.lines().collect();
    assert!(
        rows[0].starts_with("ID") && rows[0].contains("RESULT") && rows[0].ends_with("TEXT"),
        "{text}"
    );
    assert!(
        rows[1].starts_with("line-1") && rows[1].contains(" ok ") && rows[1].ends_with("ok"),
        "{text}"
    );
}

#[test]
fn submit_wait_polls_until_the_job_ends_and_prints_its_results() {
    let d = dir("wait");
    let input = d.join("in.jsonl");
    std::fs::write(&input, "only\n").unwrap();
    let answer = r#"{"id":"c","object":"chat.completion","model":"gpt-5","choices":[{"index":0,"message":{"role":"assistant","content":"done"},"finish_reason":"stop"}]}"#;
    let one = |status: &str, files: bool| {
        job(status, files).replace(
            r#""total":2,"completed":1,"failed":1"#,
            r#""total":1,"completed":1,"failed":0"#,
        )
    };
    let (url, seen) = serve(vec![
        r#"{"id":"file-in","object":"file","bytes":10,"purpose":"batch"}"#.into(),
        one("validating", false),
        one("in_progress", false),
        one("completed", true).replace(r#""error_file_id":"file-err""#, r#""error_file_id":null"#),
        format!(
            "{{\"custom_id\":\"line-1\",\"response\":{{\"status_code\":200,\"body\":{answer}}}}}\n"
        ),
    ]);
    let v = json(&exllm(
        &d.join("jobs"),
        &[
            "batch",
            "submit",
            "-m",
            "openai/gpt-5",
            input.to_str().unwrap(),
            "--base-url",
            &url,
            "--wait",
            "--poll",
            "0",
            "--json",
        ],
    ));
    assert_eq!(v["job"]["status"], "completed");
    assert_eq!(v["results"][0]["response"]["text"], "done");
    assert_eq!(seen.lock().unwrap().len(), 5);
}

#[test]
fn files_upload_list_and_delete() {
    let d = dir("files");
    let file = d.join("notes.txt");
    std::fs::write(&file, "hello file").unwrap();
    let obj = r#"{"id":"file-1","object":"file","bytes":10,"created_at":1,"filename":"notes.txt","purpose":"user_data"}"#;
    let (url, seen) = serve(vec![
        obj.into(),
        format!(r#"{{"object":"list","data":[{obj}],"has_more":false}}"#),
        r#"{"id":"file-1","object":"file","deleted":true}"#.into(),
    ]);
    let v = json(&exllm(
        &d,
        &[
            "files",
            "upload",
            file.to_str().unwrap(),
            "-p",
            "openai",
            "--base-url",
            &url,
            "--json",
        ],
    ));
    assert_eq!(
        (v["id"].as_str(), v["bytes"].as_u64()),
        (Some("file-1"), Some(10))
    );
    let out = exllm(&d, &["files", "list", "-p", "openai", "--base-url", &url]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with("ID") && text.contains("file-1") && text.contains("notes.txt"),
        "{text}"
    );
    let v = json(&exllm(
        &d,
        &[
            "files",
            "delete",
            "file-1",
            "-p",
            "openai",
            "--base-url",
            &url,
            "--json",
        ],
    ));
    assert_eq!(v["deleted"], true);
    let requests = seen.lock().unwrap().clone();
    let upload = String::from_utf8_lossy(&requests[0].1);
    assert!(
        upload.contains("name=\"purpose\"\r\n\r\nuser_data\r\n") && upload.contains("hello file"),
        "{upload}"
    );
    assert!(requests[2].0.starts_with("delete /v1/files/file-1"));
}

#[test]
fn a_killed_client_side_batch_resumes_in_a_new_process() {
    let d = dir("killed");
    let input = d.join("in.jsonl");
    std::fs::write(&input, "p1\np2\np3\np4\n").unwrap();
    let answer = r#"{"id":"c","object":"chat.completion","model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}]}"#;
    let (url, _) = serve(vec![answer.into(), answer.into(), STALL.into()]);
    let store = d.join("jobs");
    let mut child = Command::new(env!("CARGO_BIN_EXE_exllm"))
        .args([
            "batch",
            "submit",
            "-m",
            "together/m",
            input.to_str().unwrap(),
            "--base-url",
            &url,
            "--concurrency",
            "1",
        ])
        .env("TOGETHER_API_KEY", "to-cli-test")
        .env("EXLLM_BATCH_DIR", &store)
        .env("NO_PROXY", "127.0.0.1")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let checkpoint = d.join("in.jsonl.checkpoint.jsonl");
    let lines = || std::fs::read_to_string(&checkpoint).map_or(0, |t| t.lines().count());
    let start = std::time::Instant::now();
    while lines() < 2 {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the first two calls never finished"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(lines(), 2);

    let (url, seen) = serve(vec![answer.into(), answer.into()]);
    let v = json(&exllm(
        &store,
        &[
            "batch",
            "submit",
            "-m",
            "together/m",
            input.to_str().unwrap(),
            "--base-url",
            &url,
            "--json",
        ],
    ));
    let ids: Vec<&str> = v["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["line-1", "line-2", "line-3", "line-4"]);
    let sent: Vec<String> = seen
        .lock()
        .unwrap()
        .iter()
        .map(|(_, body)| {
            serde_json::from_slice::<serde_json::Value>(body).unwrap()["messages"][0]["content"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    let mut sent = sent;
    sent.sort();
    assert_eq!(
        sent,
        ["p3", "p4"],
        "only the unfinished requests are sent again"
    );
}

#[test]
fn a_router_group_runs_the_batch_through_the_router() {
    let d = dir("routed");
    let input = d.join("in.jsonl");
    std::fs::write(&input, "one\ntwo\n").unwrap();
    let answer = r#"{"id":"c","object":"chat.completion","model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"routed"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":1}}"#;
    let (url, seen) = serve(vec![answer.into(), answer.into()]);
    let config = d.join("router.toml");
    std::fs::write(
        &config,
        format!("[[deployments]]\nid = \"only\"\ngroup = \"fast\"\nmodel = \"openai/gpt-4o-mini\"\napi_base = \"{url}\"\napi_key = \"sk-r\"\n"),
    )
    .unwrap();
    let out = exllm(
        &d.join("jobs"),
        &[
            "batch",
            "submit",
            "-m",
            "fast",
            input.to_str().unwrap(),
            "--router-config",
            config.to_str().unwrap(),
            "--json",
        ],
    );
    let v = json(&out);
    assert_eq!(
        (v["job"]["api"].as_str(), v["job"]["provider"].as_str()),
        (Some("local"), Some("router"))
    );
    let texts: Vec<&str> = v["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["response"]["text"].as_str().unwrap())
        .collect();
    assert_eq!(texts, ["routed", "routed"]);
    let requests = seen.lock().unwrap().clone();
    assert_eq!(requests.len(), 2);
    assert!(
        requests[0].0.contains("authorization: bearer sk-r"),
        "{}",
        requests[0].0
    );
}
