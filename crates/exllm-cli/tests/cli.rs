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
