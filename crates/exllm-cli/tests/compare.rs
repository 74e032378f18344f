//! `exllm compare` as a user runs it: the mock provider and a loopback OpenAI server answer
//! at once, a model that fails leaves the others' answers intact, `--json` holds every
//! model's answer, timings, usage, cost and error, and `--runs` repeats the calls.

use crate::support::{chat_chunk, chat_stop, exllm, serve, temp_dir, Reply};
use std::time::Duration;

/// An OpenAI Chat Completions server streaming "Hello world" with its usage, `count` times.
fn openai(count: usize) -> String {
    let url = serve(count, |body| {
        assert_eq!(body["stream"], true, "compare streams every call");
        let usage = serde_json::json!({"id": "c1", "object": "chat.completion.chunk",
            "model": "m", "choices": [],
            "usage": {"prompt_tokens": 7, "completion_tokens": 2, "total_tokens": 9}});
        let events = vec![
            chat_chunk("Hello"),
            chat_chunk(" world"),
            chat_stop(),
            usage.to_string(),
            "[DONE]".to_owned(),
        ];
        Reply::sse(&events, Duration::from_millis(20))
    });
    format!("{url}/v1")
}

fn compare(url: &str, args: &[&str]) -> std::process::Output {
    let home = temp_dir("compare");
    exllm(&home)
        .env("OPENAI_API_KEY", "sk-compare")
        .env("OPENAI_BASE_URL", url)
        .arg("compare")
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn json_has_every_model_and_one_failure_does_not_stop_the_others() {
    let url = openai(1);
    let out = compare(
        &url,
        &[
            "-m",
            "openai/gpt-4o-mini",
            "-m",
            "mock/echo",
            "-m",
            "nosuchprovider/x",
            "--json",
            "ping pong",
        ],
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
    assert_eq!(out.status.code(), Some(1), "one model failed");
    let models = v["models"].as_array().unwrap();
    assert_eq!(models.len(), 3);
    let openai = &models[0];
    assert_eq!(openai["model"], "openai/gpt-4o-mini");
    assert_eq!(openai["text"], "Hello world");
    assert_eq!(openai["usage"]["input_tokens"], 7);
    assert_eq!(openai["usage"]["output_tokens"], 2);
    assert!(openai["cost"]["total"].as_f64().unwrap() > 0.0, "{openai}");
    let (ttft, total) = (
        openai["ttft_ms"].as_f64().unwrap(),
        openai["total_ms"].as_f64().unwrap(),
    );
    // The server pauses 20 ms between pieces: the first token comes before the end.
    assert!(ttft < total && total >= 60.0, "{ttft} {total}");
    assert!(openai["error"].is_null());
    assert_eq!(models[1]["text"], "ping pong");
    assert!(models[2]["text"].is_null());
    assert!(
        models[2]["error"]["message"]
            .as_str()
            .unwrap()
            .contains("nosuchprovider"),
        "{v}"
    );
}

#[test]
fn text_output_lists_models_one_after_another_when_not_a_terminal() {
    let url = openai(1);
    let out = compare(
        &url,
        &["-m", "openai/gpt-4o-mini", "-m", "mock/x", "tick tock"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with("== openai/gpt-4o-mini\nHello world\n"),
        "{text}"
    );
    assert!(text.contains("tokens 7 in, 2 out"), "{text}");
    assert!(text.contains("cost $"), "{text}");
    assert!(text.contains("== mock/x\ntick tock\n"), "{text}");
    assert!(text.contains("first token"), "{text}");
}

#[test]
fn runs_repeat_every_call_and_report_medians() {
    let url = openai(3);
    let out = compare(
        &url,
        &["-m", "openai/gpt-4o-mini", "--runs", "3", "--json", "hi"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["runs"], 3);
    assert_eq!(v["models"][0]["failed_runs"], 0);
    assert!(v["models"][0]["total_ms"].as_f64().unwrap() >= 60.0, "{v}");
    let plain = compare(
        &openai(3),
        &["-m", "openai/gpt-4o-mini", "--runs", "3", "hi"],
    );
    let text = String::from_utf8(plain.stdout).unwrap();
    assert!(text.contains("(median)"), "{text}");
}
