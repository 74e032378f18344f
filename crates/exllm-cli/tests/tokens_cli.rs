//! `exllm tokens`: the provider's count through its counting endpoint (Anthropic's
//! `count_tokens` on 127.0.0.1), and `--local`, which sends nothing.

use crate::support::{exllm, serve, temp_dir, Reply};
use serde_json::{json, Value};

#[test]
fn tokens_asks_the_provider() {
    // The answer tells whether the body was the counting one (no `max_tokens`).
    let url = serve(1, |body| {
        let n = match (body.get("max_tokens"), body["messages"][0]["role"].as_str()) {
            (None, Some("user")) => 321,
            _ => 1,
        };
        Reply::json(&json!({ "input_tokens": n }).to_string())
    });
    let home = temp_dir("tokens-remote");
    let out = exllm(&home)
        .env("ANTHROPIC_API_KEY", "test-key")
        .args(["tokens", "-m", "anthropic/claude-sonnet-4-5", "--json"])
        .args(["--base-url", &format!("{url}/v1"), "Hello there"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v, json!({"tokens": 321}));
}

#[test]
fn tokens_local_sends_nothing() {
    let home = temp_dir("tokens-local");
    let out = exllm(&home)
        .args(["tokens", "--local", "-m", "anthropic/claude-sonnet-4-5"])
        .args(["--base-url", "http://127.0.0.1:9/v1", "Hello there"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let n: u64 = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
    assert!(n > 0);
}
