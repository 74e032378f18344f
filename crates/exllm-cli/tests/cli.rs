//! The `exllm` binary as a user runs it: exit codes, the one-object JSON output, the catalog
//! and cost commands. Nothing here reaches the network.

use std::process::{Command, Output};

fn exllm(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_exllm"))
        .args(args)
        .env_remove("OPENAI_API_KEY")
        .env_remove("ANTHROPIC_API_KEY")
        .env_remove("EXLLM_MODEL")
        .env_remove("EXLLM_CATALOG")
        // No user catalog files: the built-in catalog only.
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
fn mock_chat_prints_one_json_object() {
    let out = exllm(&["chat", "-m", "mock/echo", "--json", "hello", "there"]);
    assert!(out.status.success(), "{out:?}");
    let v = json(&out);
    assert_eq!(v["text"], "hello there");
    assert_eq!(v["finish_reason"], "stop");
    assert_eq!(v["tool_calls"], serde_json::json!([]));
    assert_eq!(v["usage"]["output_tokens"], 2);
    assert_eq!(v["citations"], serde_json::json!([]));
}

#[test]
fn a_missing_key_is_one_line_naming_the_variable_and_exit_2() {
    let out = exllm(&["chat", "-m", "openai/gpt-4o-mini", "hello"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("OPENAI_API_KEY"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    let out = exllm(&["chat", "-m", "openai/gpt-4o-mini", "--json", "hello"]);
    assert_eq!(json(&out)["error"]["kind"], "Config");
}

#[test]
fn cost_prices_cached_and_plain_tokens() {
    // claude-sonnet-4-5: $3 / $15 per million, cache reads $0.30 per million.
    let out = exllm(&[
        "cost",
        "-m",
        "anthropic/claude-sonnet-4-5",
        "--input",
        "10000",
        "--output",
        "2000",
        "--cached",
        "4000",
        "--json",
    ]);
    assert!(out.status.success(), "{out:?}");
    let v = json(&out);
    let close = |key: &str, want: f64| {
        let got = v[key].as_f64().unwrap();
        assert!((got - want).abs() < 1e-9, "{key}: {got} != {want}");
    };
    close("input", 0.018);
    close("cached_input", 0.0012);
    close("output", 0.03);
    close("total", 0.0492);
    let unknown = exllm(&["cost", "-m", "nowhere/nothing", "--input", "1"]);
    assert_eq!(unknown.status.code(), Some(1));
}

#[test]
fn catalog_sync_writes_one_file_per_provider() {
    let input = std::env::temp_dir().join(format!("exllm-cli-litellm-{}.json", std::process::id()));
    std::fs::write(
        &input,
        r#"{"sample_spec": {"litellm_provider": "x"},
            "gpt-test": {"litellm_provider": "openai", "mode": "chat", "input_cost_per_token": 1e-6, "output_cost_per_token": 2e-6, "max_input_tokens": 1000},
            "claude-test": {"litellm_provider": "anthropic", "mode": "chat", "input_cost_per_token": "3e-6"}}"#,
    )
    .unwrap();
    let out_dir = std::env::temp_dir().join(format!("exllm-cli-catalog-{}", std::process::id()));
    let out = exllm(&[
        "catalog",
        "sync",
        "--from",
        input.to_str().unwrap(),
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{out:?}");
    let mut files: Vec<String> = std::fs::read_dir(&out_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(files, ["anthropic.json", "openai.json"]);
    let openai: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out_dir.join("openai.json")).unwrap())
            .unwrap();
    assert!(openai.to_string().contains("gpt-test"), "{openai}");
    std::fs::remove_dir_all(&out_dir).ok();
    std::fs::remove_file(&input).ok();

    let bad = exllm(&[
        "catalog",
        "sync",
        "--from",
        "/nonexistent/litellm.json",
        "--out",
        "/tmp/x",
    ]);
    assert_eq!(bad.status.code(), Some(2), "{bad:?}");
}

/// `exllm` with extra environment variables (on top of what [`exllm`] clears).
fn exllm_with(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_exllm"));
    cmd.args(args)
        .env_remove("OPENAI_API_KEY")
        .env_remove("EXLLM_CATALOG")
        .env("HOME", std::env::temp_dir().join("exllm-cli-test-home"));
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("the binary runs")
}

/// A loopback server answering every request with `body` (JSON), for `count` requests.
fn serve_json(body: &'static str, count: usize) -> String {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(count) {
            let Ok(mut s) = stream else { return };
            let mut buf = Vec::new();
            let mut chunk = [0u8; 1024];
            while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                match s.read(&mut chunk) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => buf.extend_from_slice(&chunk[..n]),
                }
            }
            let reply = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            s.write_all(reply.as_bytes()).ok();
        }
    });
    format!("http://{addr}/v1")
}

#[test]
fn chat_json_prints_the_cited_sources() {
    // Perplexity: titled search results first, then the bare url list.
    let url = serve_json(
        r#"{"id":"p1","model":"sonar","choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant","content":"Cited [1][2]."}}],
            "search_results":[{"title":"Two","url":"https://two.example/"}],
            "citations":["https://one.example/","https://two.example/"]}"#,
        1,
    );
    let out = exllm_with(
        &[
            "chat",
            "-m",
            "perplexity/sonar",
            "--base-url",
            &url,
            "--json",
            "q",
        ],
        &[("PERPLEXITY_API_KEY", "pplx-test")],
    );
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        json(&out)["citations"],
        serde_json::json!([
            {"url": "https://two.example/", "title": "Two"},
            {"url": "https://one.example/", "title": null}
        ])
    );
}

#[test]
fn chat_json_prints_other_choices_and_the_service_tier() {
    let url = serve_json(
        r#"{"id":"c","model":"gpt-4o-mini","service_tier":"default","choices":[
            {"index":0,"finish_reason":"stop","message":{"role":"assistant","content":"One"}},
            {"index":1,"finish_reason":"length","message":{"role":"assistant","content":"Two"}}],
            "usage":{"prompt_tokens":9,"completion_tokens":4,"total_tokens":13,
              "completion_tokens_details":{"accepted_prediction_tokens":3,"rejected_prediction_tokens":1}}}"#,
        1,
    );
    let out = exllm_with(
        &[
            "chat",
            "-m",
            "openai/gpt-4o-mini",
            "--base-url",
            &url,
            "--json",
            "q",
        ],
        &[("OPENAI_API_KEY", "sk-test")],
    );
    assert!(out.status.success(), "{out:?}");
    let v = json(&out);
    assert_eq!(v["text"], "One");
    assert_eq!(v["service_tier"], "default");
    assert_eq!(
        v["usage"]["details"],
        serde_json::json!({"accepted_prediction_tokens": 3, "rejected_prediction_tokens": 1})
    );
    assert_eq!(
        v["alternatives"],
        serde_json::json!([{"index": 1, "text": "Two", "tool_calls": [], "finish_reason": "length"}])
    );
}

#[test]
fn models_filters_list_the_catalog() {
    let out = exllm(&[
        "models",
        "--feature",
        "vision",
        "--feature",
        "tools",
        "--max-input-cost",
        "1.0",
        "--min-context",
        "100000",
        "--mode",
        "chat",
        "--sort",
        "cost",
        "--json",
    ]);
    assert!(out.status.success(), "{out:?}");
    let v = json(&out);
    let models = v.as_array().unwrap();
    assert!(!models.is_empty());
    let mut last = 0.0;
    for m in models {
        let features = m["features"].as_array().unwrap();
        assert!(features.contains(&"vision".into()), "{m}");
        assert!(features.contains(&"function_calling".into()), "{m}");
        let input = m["input_per_1m"].as_f64().unwrap();
        assert!(input <= 1.0 && input >= last, "{m}");
        last = input;
        assert!(m["context_window"].as_u64().unwrap() >= 100_000, "{m}");
    }
    let table = exllm(&["models", "--provider", "anthropic", "--sort", "context"]);
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(text.starts_with("MODEL"), "{text}");
    assert!(
        text.lines().skip(1).all(|l| l.starts_with("anthropic/")),
        "{text}"
    );
    let bad = exllm(&["models", "--max-input-cost=-1"]);
    assert_eq!(bad.status.code(), Some(2), "{bad:?}");
}

#[test]
fn models_live_joins_the_provider_list_with_the_catalog() {
    const LIST: &str = r#"{"object": "list", "data": [
        {"id": "gpt-4o", "object": "model", "owned_by": "openai"},
        {"id": "my-private-model", "object": "model", "owned_by": "me"}]}"#;
    let url = serve_json(LIST, 3);
    let key = [("OPENAI_API_KEY", "test-key")];
    let args = [
        "models",
        "--provider",
        "openai",
        "--base-url",
        &url,
        "--live",
    ];
    let out = exllm_with(&[&args[..], &["--json"]].concat(), &key);
    assert!(out.status.success(), "{out:?}");
    let v = json(&out);
    assert_eq!(v[0]["name"], "openai/gpt-4o");
    assert_eq!(v[0]["in_catalog"], true);
    assert!(v[0]["input_per_1m"].as_f64().unwrap() > 0.0);
    assert_eq!(v[1]["name"], "openai/my-private-model");
    assert_eq!(v[1]["in_catalog"], false);

    let out = exllm_with(&args, &key);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("(not in catalog)"), "{text}");
    // Without --live the plain live list is unchanged: one name per line.
    let plain = exllm_with(
        &["models", "--provider", "openai", "--base-url", &url],
        &key,
    );
    let text = String::from_utf8_lossy(&plain.stdout);
    assert_eq!(
        text.lines().collect::<Vec<_>>(),
        ["openai/gpt-4o", "openai/my-private-model"]
    );
    assert_eq!(exllm(&["models", "--live"]).status.code(), Some(2));
}

#[test]
fn models_providers_prints_capabilities() {
    let out = exllm(&["models", "--providers", "--json"]);
    assert!(out.status.success(), "{out:?}");
    let v = json(&out);
    let find = |name: &str| {
        v.as_array()
            .unwrap()
            .iter()
            .find(|p| p["provider"] == name)
            .unwrap()
    };
    assert!(find("openai")["endpoints"]
        .as_array()
        .unwrap()
        .contains(&"chat".into()));
    assert_eq!(find("openai")["cost_data"], true);
    assert!(!find("anthropic")["rate_limit_headers"]
        .as_array()
        .unwrap()
        .is_empty());
    assert_eq!(find("bedrock")["live_models"], false);
    let table = exllm(&["models", "--providers"]);
    assert!(String::from_utf8_lossy(&table.stdout).contains("cohere"));
}

#[test]
fn models_reads_user_yaml_catalog_files() {
    let dir = std::env::temp_dir().join(format!("exllm-cli-yaml-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("mine.yaml");
    std::fs::write(
        &file,
        "provider: acme\nmodels:\n  - id: rocket\n    mode: chat\n    context_window: '64000'\n    capabilities: {vision: true}\n    prices: {base: {input_per_1m: 0.5, output_per_1m: 1}}\n",
    )
    .unwrap();
    let path = file.to_str().unwrap();
    let out = exllm_with(
        &["models", "--catalog", "--provider", "acme", "--json"],
        &[("EXLLM_CATALOG", path)],
    );
    assert!(out.status.success(), "{out:?}");
    let v = json(&out);
    assert_eq!(v[0]["name"], "acme/rocket");
    assert_eq!(v[0]["input_per_1m"], 0.5);
    assert_eq!(v[0]["context_window"], 64000);

    std::fs::write(
        &file,
        "provider: acme\nmodels:\n  - id: rocket\n    context_window: lots\n",
    )
    .unwrap();
    let bad = exllm_with(&["models", "--catalog"], &[("EXLLM_CATALOG", path)]);
    assert_eq!(bad.status.code(), Some(2), "{bad:?}");
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(err.contains("mine.yaml") && err.contains("line 3"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}
