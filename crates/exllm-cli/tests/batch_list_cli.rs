//! `exllm batch list --provider P`: the provider's listing followed page by page up to
//! `--limit`; `exllm batch submit --upload`: a Gemini batch sent as an uploaded JSONL file;
//! against scripted servers on 127.0.0.1.

use crate::batch_cli::{dir, exllm, json, serve};

fn job(id: &str) -> String {
    format!(
        r#"{{"id":"{id}","object":"batch","status":"completed","created_at":1711471533,"request_counts":{{"total":2,"completed":2,"failed":0}}}}"#
    )
}

#[test]
fn batch_list_follows_the_pages_up_to_its_limit() {
    let d = dir("list-pages");
    let (url, seen) = serve(vec![
        format!(
            r#"{{"object":"list","data":[{},{}],"last_id":"b2","has_more":true}}"#,
            job("b1"),
            job("b2")
        ),
        format!(
            r#"{{"object":"list","data":[{}],"last_id":"b3","has_more":true}}"#,
            job("b3")
        ),
    ]);
    let v = json(&exllm(
        &d,
        &[
            "batch",
            "list",
            "-p",
            "openai",
            "--base-url",
            &url,
            "--limit",
            "3",
            "--json",
        ],
    ));
    let ids: Vec<&str> = v["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["b1", "b2", "b3"]);
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 2);
    assert!(
        seen[0].0.starts_with("get /v1/batches?limit=3 "),
        "{}",
        seen[0].0
    );
    assert!(
        seen[1].0.starts_with("get /v1/batches?limit=1&after=b2 "),
        "{}",
        seen[1].0
    );
}

/// Reads one request (head and body) from `conn`.
fn read_request(conn: &mut std::net::TcpStream) -> (String, Vec<u8>) {
    use std::io::Read;
    let (mut buf, mut chunk) = (Vec::new(), [0u8; 8192]);
    let head_end = loop {
        let n = conn.read(&mut chunk).unwrap_or(0);
        assert!(n > 0, "the request ended early");
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
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
    (head, buf[head_end..].to_vec())
}

#[test]
fn batch_submit_upload_sends_gemini_requests_as_a_file() {
    use std::io::Write;
    let d = dir("gemini-upload");
    let input = d.join("in.jsonl");
    std::fs::write(
        &input,
        "{\"id\": \"a\", \"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}]}\n",
    )
    .unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let host = listener.local_addr().unwrap().to_string();
    let server_host = host.clone();
    let server = std::thread::spawn(move || {
        let mut seen = Vec::new();
        let replies = [
            (
                format!("x-goog-upload-url: http://{server_host}/upload/v1beta/files?upload_id=U1\r\n"),
                "{}".to_string(),
            ),
            (
                String::new(),
                r#"{"file": {"name": "files/in-1", "sizeBytes": "60", "state": "ACTIVE"}}"#.into(),
            ),
            (
                String::new(),
                r#"{"name": "batches/b-7", "metadata": {"name": "batches/b-7", "state": "BATCH_STATE_PENDING", "inputConfig": {"fileName": "files/in-1"}}}"#.into(),
            ),
        ];
        for (extra, body) in replies {
            let (mut conn, _) = listener.accept().unwrap();
            seen.push(read_request(&mut conn));
            let reply = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n{extra}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            conn.write_all(reply.as_bytes()).unwrap();
        }
        seen
    });
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_exllm"))
        .args(["batch", "submit", input.to_str().unwrap()])
        .args(["-m", "gemini/gemini-2.5-flash", "--upload", "--json"])
        .args(["--base-url", &format!("http://{host}/v1beta")])
        .env("GEMINI_API_KEY", "g-cli-test")
        .env("EXLLM_BATCH_DIR", &d)
        .env("NO_PROXY", "127.0.0.1")
        .env_remove("HTTP_PROXY")
        .env_remove("HTTPS_PROXY")
        .env_remove("ALL_PROXY")
        .output()
        .unwrap();
    let v = json(&out);
    assert_eq!(
        (v["id"].as_str(), v["input_file_id"].as_str()),
        (Some("batches/b-7"), Some("files/in-1"))
    );
    let seen = server.join().unwrap();
    assert!(
        seen[0].0.starts_with("post /upload/v1beta/files "),
        "{}",
        seen[0].0
    );
    let line: serde_json::Value =
        serde_json::from_slice(seen[1].1.strip_suffix(b"\n").unwrap()).unwrap();
    assert_eq!(line["key"], "a");
    assert_eq!(line["request"]["contents"][0]["parts"][0]["text"], "Hi");
    assert!(
        seen[2]
            .0
            .starts_with("post /v1beta/models/gemini-2.5-flash:batchgeneratecontent "),
        "{}",
        seen[2].0
    );
    let create: serde_json::Value = serde_json::from_slice(&seen[2].1).unwrap();
    assert_eq!(create["batch"]["input_config"]["file_name"], "files/in-1");
}
