//! `exllm chat`, `exllm route` and `exllm health` with a router config, against loopback
//! providers: a 429 moves to the group's next deployment within the call, `--explain` shows
//! a deployment removed for its window, LiteLLM YAML is read through `EXLLM_ROUTER_CONFIG`.

use crate::support::{exllm, serve, temp_dir, Reply};
use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// A server answering every request with `status` and a JSON error; counts the requests.
fn failing(status: u16) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(8) {
            let Ok(mut s) = stream else { continue };
            counter.fetch_add(1, Ordering::SeqCst);
            let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            // The head, then the body its content-length announces.
            loop {
                if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                    let head = String::from_utf8_lossy(&buf[..i]).to_ascii_lowercase();
                    let len = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .and_then(|v| v.trim().parse::<usize>().ok())
                        .unwrap_or(0);
                    if buf.len() >= i + 4 + len {
                        break;
                    }
                }
                match s.read(&mut chunk) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => buf.extend_from_slice(&chunk[..n]),
                }
            }
            let body = r#"{"error":{"message":"slow down","type":"rate_limit_error"}}"#;
            let _ = write!(
                s,
                "HTTP/1.1 {status} Too Many Requests\r\ncontent-type: application/json\r\nretry-after: 30\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    (format!("http://127.0.0.1:{}", addr.port()), hits)
}

/// A Chat Completions server answering `text`.
fn answering(text: &'static str) -> String {
    serve(4, move |_| {
        Reply::json(
            &serde_json::json!({
                "id": "c1", "object": "chat.completion", "model": "gpt-4o-mini",
                "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                    "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7}
            })
            .to_string(),
        )
    })
}

fn two_deployments(first: &str, second: &str) -> String {
    format!(
        r#"max_wait = "0s"
[[deployments]]
id = "first"
group = "fast"
model = "openai/gpt-4o-mini"
api_base = "{first}/v1"
api_key = "sk-one"
order = 1
[[deployments]]
id = "second"
group = "fast"
model = "openai/gpt-4o-mini"
api_base = "{second}/v1"
api_key = "sk-two"
order = 2
"#
    )
}

#[test]
fn a_429_moves_to_the_next_deployment_and_json_shows_the_route() {
    let home = temp_dir("route-429");
    let (first, hits) = failing(429);
    let second = answering("from the second");
    let config = home.join("router.toml");
    std::fs::write(&config, two_deployments(&first, &second)).unwrap();
    let out = exllm(&home)
        .args(["chat", "--router-config"])
        .arg(&config)
        .args(["-m", "fast", "--json", "Hi"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["text"], "from the second", "{v}");
    let attempts = v["route"]["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 2, "{v}");
    assert_eq!(attempts[0]["deployment"], "first");
    assert_eq!(attempts[0]["error"], "RateLimit");
    assert_eq!(attempts[0]["status"], 429);
    assert_eq!(attempts[1]["deployment"], "second");
    assert!(attempts[1].get("error").is_none(), "{v}");
    assert!(attempts[1]["latency_ms"].is_u64(), "{v}");
    assert_eq!(hits.load(Ordering::SeqCst), 1);
}

#[test]
fn a_provider_model_is_not_routed() {
    let home = temp_dir("route-direct");
    let (first, _) = failing(429);
    let direct = answering("direct");
    let config = home.join("router.toml");
    std::fs::write(&config, two_deployments(&first, &first)).unwrap();
    let out = exllm(&home)
        .env("EXLLM_ROUTER_CONFIG", &config)
        .env("OPENAI_API_KEY", "sk-direct")
        .args([
            "chat",
            "-m",
            "openai/gpt-4o-mini",
            "--base-url",
            &direct,
            "--json",
            "Hi",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["text"], "direct");
    assert!(v.get("route").is_none(), "{v}");
}

#[test]
fn explain_shows_a_deployment_removed_for_its_window_without_sending() {
    let home = temp_dir("route-explain");
    let (small, small_hits) = failing(500);
    let (big, big_hits) = failing(500);
    // openai/gpt-4 has an 8192-token window in the catalog; gpt-4o-mini a far larger one.
    let config = home.join("router.toml");
    std::fs::write(
        &config,
        format!(
            r#"[[deployments]]
id = "small"
group = "fast"
model = "openai/gpt-4"
api_base = "{small}"
api_key = "sk"
[[deployments]]
id = "big"
group = "fast"
model = "openai/gpt-4o-mini"
api_base = "{big}"
api_key = "sk"
"#
        ),
    )
    .unwrap();
    let prompt = "lorem ipsum dolor sit amet ".repeat(3000);
    let run = |json: bool| {
        let mut c = exllm(&home);
        c.env("EXLLM_ROUTER_CONFIG", &config)
            .args(["route", "--explain", "-m", "fast"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if json {
            c.arg("--json");
        }
        let mut child = c.spawn().unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(prompt.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    };
    let out = run(false);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let small_line = text.lines().find(|l| l.starts_with("small")).unwrap();
    assert!(
        small_line.contains("removed") && small_line.contains("8192"),
        "{text}"
    );
    let big_line = text.lines().find(|l| l.starts_with("big")).unwrap();
    assert!(big_line.contains("candidate"), "{text}");
    assert!(text.contains("choice: big"), "{text}");

    let out = run(true);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["choice"], "big", "{v}");
    assert!(v["prompt_tokens"].as_u64().unwrap() > 8192, "{v}");
    let considered = v["considered"].as_array().unwrap();
    assert_eq!(considered.len(), 2);
    assert!(considered[0]["removed"]
        .as_str()
        .unwrap()
        .contains("window"));
    assert!(considered[1].get("removed").is_none(), "{v}");
    // Nothing was sent.
    assert_eq!(small_hits.load(Ordering::SeqCst), 0);
    assert_eq!(big_hits.load(Ordering::SeqCst), 0);
}

#[test]
fn a_litellm_yaml_config_routes_through_the_env_variable() {
    let home = temp_dir("route-litellm");
    let (first, hits) = failing(429);
    let second = answering("litellm says hi");
    let config = home.join("config.yaml");
    std::fs::write(
        &config,
        format!(
            r#"model_list:
  - model_name: smart
    litellm_params:
      model: openai/gpt-4o-mini
      api_base: {first}
      api_key: os.environ/ROUTE_TEST_KEY
      order: 1
  - model_name: smart
    litellm_params:
      model: openai/gpt-4o-mini
      api_base: {second}
      api_key: os.environ/ROUTE_TEST_KEY
      order: 2
"#
        ),
    )
    .unwrap();
    let out = exllm(&home)
        .env("EXLLM_ROUTER_CONFIG", &config)
        .env("ROUTE_TEST_KEY", "sk-lite")
        .args(["chat", "-m", "smart", "Hi"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "litellm says hi"
    );
    assert_eq!(hits.load(Ordering::SeqCst), 1);
}

#[test]
fn health_lists_every_deployment() {
    let home = temp_dir("route-health");
    // The default config: router.toml in the user's config directory.
    let dir = home.join(".config").join("exllm");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("router.toml"),
        two_deployments("http://127.0.0.1:9", "http://127.0.0.1:9"),
    )
    .unwrap();
    let out = exllm(&home).args(["health", "--json"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let deps = v["deployments"].as_array().unwrap();
    let ids: Vec<&str> = deps
        .iter()
        .filter_map(|d| d["deployment"].as_str())
        .collect();
    assert_eq!(ids, ["first", "second"]);
    assert!(deps
        .iter()
        .all(|d| d["state"] == "ok" && d["group"] == "fast"));

    let out = exllm(&home).arg("health").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(
        text.lines()
            .any(|l| l.starts_with("first") && l.contains("ok")),
        "{text}"
    );
    assert!(text.lines().any(|l| l.starts_with("second")), "{text}");
}

#[test]
fn a_missing_named_config_is_a_config_error() {
    let home = temp_dir("route-missing");
    let out = exllm(&home)
        .env("EXLLM_ROUTER_CONFIG", home.join("nope.toml"))
        .args(["chat", "-m", "fast", "Hi"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nope.toml"));
}

#[test]
fn a_routed_stream_falls_back_and_json_shows_the_route() {
    let home = temp_dir("route-stream");
    let (first, hits) = failing(429);
    let second = serve(2, |_| {
        Reply::sse(
            &[
                crate::support::chat_chunk("streamed "),
                crate::support::chat_chunk("answer"),
                crate::support::chat_stop(),
                "[DONE]".to_owned(),
            ],
            Duration::from_millis(5),
        )
    });
    let config = home.join("router.toml");
    std::fs::write(&config, two_deployments(&first, &second)).unwrap();
    let out = exllm(&home)
        .env("EXLLM_ROUTER_CONFIG", &config)
        .args(["chat", "-m", "fast", "--stream", "--json", "Hi"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["text"], "streamed answer", "{v}");
    let attempts = v["route"]["attempts"].as_array().unwrap();
    let ids: Vec<&str> = attempts
        .iter()
        .filter_map(|a| a["deployment"].as_str())
        .collect();
    assert_eq!(ids, ["first", "second"], "{v}");
    assert_eq!(hits.load(Ordering::SeqCst), 1);

    // Without --json the text streams to stdout.
    let out = exllm(&home)
        .env("EXLLM_ROUTER_CONFIG", &config)
        .args(["chat", "-m", "fast", "--stream", "Hi"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "streamed answer"
    );
}

#[test]
fn a_group_that_fails_everywhere_reports_the_error_with_its_route() {
    let home = temp_dir("route-fail");
    let (first, first_hits) = failing(429);
    let (second, second_hits) = failing(429);
    let config = home.join("router.toml");
    std::fs::write(&config, two_deployments(&first, &second)).unwrap();
    let out = exllm(&home)
        .env("EXLLM_ROUTER_CONFIG", &config)
        .args(["chat", "-m", "fast", "--json", "Hi"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["error"]["kind"].is_string(), "{v}");
    let ids: Vec<&str> = v["route"]["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["deployment"].as_str())
        .collect();
    assert_eq!(ids, ["first", "second"], "{v}");
    // Both cool for the Retry-After they sent: neither is asked again.
    assert_eq!(first_hits.load(Ordering::SeqCst), 1);
    assert_eq!(second_hits.load(Ordering::SeqCst), 1);
}

#[test]
fn health_probe_asks_each_deployment_once() {
    let home = temp_dir("route-probe");
    let (first, first_hits) = failing(429);
    let second = answering("pong");
    let config = home.join("router.toml");
    std::fs::write(&config, two_deployments(&first, &second)).unwrap();
    let out = exllm(&home)
        .args(["health", "--probe", "--json", "--router-config"])
        .arg(&config)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let deps = v["deployments"].as_array().unwrap();
    assert_eq!(deps[0]["probe"]["error"], "RateLimit", "{v}");
    assert_eq!(deps[0]["probe"]["status"], 429, "{v}");
    // The probe fed the state: the 429 cools the first for its Retry-After.
    assert_eq!(deps[0]["state"], "cooling", "{v}");
    assert!(deps[0]["cooling_for_s"].as_f64().unwrap() > 20.0, "{v}");
    assert_eq!(deps[1]["state"], "ok", "{v}");
    assert!(deps[1]["per_token_ms"].is_f64(), "{v}");
    assert!(deps[1]["probe"].get("error").is_none(), "{v}");
    assert!(deps[1]["probe"]["latency_ms"].is_u64(), "{v}");
    assert_eq!(first_hits.load(Ordering::SeqCst), 1);
}

#[test]
fn a_schema_with_a_group_is_refused_not_ignored() {
    let home = temp_dir("route-schema");
    let (first, hits) = failing(429);
    let config = home.join("router.toml");
    std::fs::write(&config, two_deployments(&first, &first)).unwrap();
    let schema = home.join("s.json");
    std::fs::write(&schema, r#"{"type":"object"}"#).unwrap();
    let out = exllm(&home)
        .env("EXLLM_ROUTER_CONFIG", &config)
        .args(["chat", "-m", "fast", "--schema"])
        .arg(&schema)
        .arg("Hi")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--schema"));
    assert_eq!(hits.load(Ordering::SeqCst), 0);
}

#[test]
fn route_without_explain_sends_and_an_unknown_group_names_the_groups() {
    let home = temp_dir("route-send");
    let (first, _) = failing(429);
    let second = answering("sent by route");
    let config = home.join("router.toml");
    std::fs::write(&config, two_deployments(&first, &second)).unwrap();
    let out = exllm(&home)
        .env("EXLLM_ROUTER_CONFIG", &config)
        .args(["route", "-m", "fast", "Hi"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "sent by route");

    let out = exllm(&home)
        .env("EXLLM_ROUTER_CONFIG", &config)
        .args(["route", "--explain", "-m", "slow", "Hi"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("no group `slow`") && stderr.contains("fast"),
        "{stderr}"
    );
}
