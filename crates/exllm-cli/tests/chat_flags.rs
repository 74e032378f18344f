//! `exllm chat -n`, `--service-tier` and `--prediction`: what they put in the request, and
//! every choice printed, whole and streamed.

use crate::support::{exllm, serve, temp_dir, Reply};
use serde_json::{json, Value};
use std::time::Duration;

/// A whole answer with two choices whose texts say what the request carried.
fn two_choices(body: &Value) -> Reply {
    let said = format!(
        "n={} tier={} prediction={}",
        body["n"], body["service_tier"], body["prediction"]
    );
    Reply::json(
        &json!({"id": "c1", "model": "gpt-4o-mini", "service_tier": "flex", "choices": [
            {"index": 0, "finish_reason": "stop",
             "message": {"role": "assistant", "content": said}},
            {"index": 1, "finish_reason": "stop",
             "message": {"role": "assistant", "content": "Second"}}]})
        .to_string(),
    )
}

fn run(url: &str, args: &[&str]) -> std::process::Output {
    let home = temp_dir("chat-flags");
    exllm(&home)
        .args(["chat", "-m", "openai/gpt-4o-mini", "--base-url", url])
        .args(args)
        .env("OPENAI_API_KEY", "sk-test")
        .output()
        .expect("the binary runs")
}

#[test]
fn choices_tier_and_prediction_text_are_sent_and_every_choice_printed() {
    let url = serve(1, two_choices);
    let out = run(
        &format!("{url}/v1"),
        &[
            "-n",
            "2",
            "--service-tier",
            "flex",
            "--prediction",
            "fn main() {}",
            "q",
        ],
    );
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        stdout,
        "n=2 tier=\"flex\" prediction={\"content\":\"fn main() {}\",\"type\":\"content\"}\n[choice 1]\nSecond\n"
    );
}

#[test]
fn a_prediction_file_is_read_and_choices_go_to_json() {
    let dir = temp_dir("chat-flags-prediction");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("draft.rs");
    std::fs::write(&file, "let x = 1;\n").unwrap();
    let url = serve(1, two_choices);
    let out = run(
        &format!("{url}/v1"),
        &[
            "--choices",
            "2",
            "--prediction",
            file.to_str().unwrap(),
            "--json",
            "q",
        ],
    );
    assert!(out.status.success(), "{out:?}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v["text"],
        "n=2 tier=null prediction={\"content\":\"let x = 1;\\n\",\"type\":\"content\"}"
    );
    assert_eq!(v["alternatives"][0]["text"], "Second");
    assert_eq!(v["service_tier"], "flex");
}

#[test]
fn streamed_choices_are_printed_after_the_first() {
    let chunk = |index: u32, content: &str, finish: Value| {
        json!({"id": "c2", "model": "gpt-4o-mini", "choices": [
            {"index": index, "delta": {"content": content}, "finish_reason": finish}]})
        .to_string()
    };
    let events = vec![
        chunk(0, "Fir", Value::Null),
        chunk(1, "Sec", Value::Null),
        chunk(0, "st", json!("stop")),
        chunk(1, "ond", json!("stop")),
        "[DONE]".to_owned(),
    ];
    let url = serve(1, move |_| Reply::sse(&events, Duration::ZERO));
    let out = run(&format!("{url}/v1"), &["-n", "2", "--stream", "q"]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "First\n[choice 1]\nSecond\n"
    );
}

#[test]
fn zero_choices_is_a_usage_error() {
    let out = run("http://127.0.0.1:9/v1", &["-n", "0", "q"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
}
