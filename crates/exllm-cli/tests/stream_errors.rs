//! An error reported inside a successful (200) answer, against loopback servers: an OpenAI
//! Responses `error` event or `response.failed`, an Ollama `{"error": ...}` line mid-stream.
//! `exllm chat` still prints what arrived (with `"finish_reason": "error"` under `--json`)
//! but fails, with and without `--session`; a failed turn is not saved.

use crate::support::{exllm, serve, temp_dir, Reply};
use std::process::Output;
use std::time::Duration;

const CREATED: &str = r#"{"type":"response.created","sequence_number":0,"response":{"id":"resp_1","object":"response","status":"in_progress","model":"gpt-4o-mini","output":[]}}"#;
const DELTA: &str = r#"{"type":"response.output_text.delta","sequence_number":1,"output_index":0,"content_index":0,"delta":"Hal"}"#;
const ERROR_EVENT: &str = r#"{"type":"error","sequence_number":2,"code":"server_error","message":"The model crashed.","param":null}"#;
const FAILED: &str = r#"{"type":"response.failed","sequence_number":2,"response":{"id":"resp_1","object":"response","status":"failed","model":"gpt-4o-mini","error":{"code":"server_error","message":"Something went wrong."},"output":[]}}"#;

/// A Responses server that streams `last` after some text, or answers a non-streaming
/// request with a failed response.
fn responses(last: &'static str, count: usize) -> String {
    let url = serve(count, move |body| {
        if body["stream"] == true {
            let events: Vec<String> = [CREATED, DELTA, last].map(String::from).to_vec();
            Reply::sse(&events, Duration::ZERO)
        } else {
            Reply::json(
                r#"{"id":"resp_1","object":"response","status":"failed","model":"gpt-4o-mini",
                    "error":{"code":"server_error","message":"Something went wrong."},"output":[]}"#,
            )
        }
    });
    format!("{url}/v1")
}

fn chat(home: &std::path::Path, url: &str, extra: &[&str]) -> Output {
    let mut args = vec![
        "chat",
        "-m",
        "openai/gpt-4o-mini",
        "--api",
        "openai-responses",
        "--base-url",
        url,
    ];
    args.extend(extra);
    args.push("hello");
    exllm(home)
        .env("OPENAI_API_KEY", "test-key")
        .env("EXLLM_SESSIONS_DIR", home.join("sessions"))
        .args(args)
        .output()
        .unwrap()
}

fn stdout_json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("stdout is not one JSON object ({e}): {out:?}"))
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn a_responses_error_event_fails_the_command() {
    let home = temp_dir("stream-error-event");
    let url = responses(ERROR_EVENT, 2);
    let out = chat(&home, &url, &["--stream", "--json"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let v = stdout_json(&out);
    assert_eq!(v["finish_reason"], "error");
    assert_eq!(v["text"], "Hal");
    assert_eq!(v["error"]["message"], "The model crashed.");
    assert!(stderr(&out).contains("The model crashed."), "{out:?}");

    let out = chat(&home, &url, &["--stream"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "Hal\n");
}

#[test]
fn a_failed_response_fails_the_command() {
    let home = temp_dir("stream-failed");
    let url = responses(FAILED, 2);
    let out = chat(&home, &url, &["--stream", "--json"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert_eq!(stdout_json(&out)["finish_reason"], "error");
    assert!(stderr(&out).contains("Something went wrong."), "{out:?}");
    // Not streamed: the same failure in one body.
    let out = chat(&home, &url, &["--json"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert_eq!(stdout_json(&out)["finish_reason"], "error");
}

#[test]
fn a_session_reports_the_error_and_keeps_the_conversation_as_it_was() {
    let home = temp_dir("stream-error-session");
    let url = responses(ERROR_EVENT, 3);
    for extra in [&["--stream"][..], &["--stream", "--json"]] {
        let mut args = vec!["--session", "s"];
        args.extend(extra);
        let out = chat(&home, &url, &args);
        assert_eq!(out.status.code(), Some(1), "{out:?}");
        assert!(stderr(&out).contains("The model crashed."), "{out:?}");
        assert!(
            !home.join("sessions").join("s.json").exists(),
            "a failed turn was saved"
        );
    }
    let out = chat(&home, &url, &["--session", "s", "--json"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert_eq!(stdout_json(&out)["finish_reason"], "error");
}

#[test]
fn an_ollama_error_line_mid_stream_fails_the_command() {
    let home = temp_dir("stream-ollama");
    let url = serve(2, |_| {
        Reply::ndjson(&[
            r#"{"model":"llama3","created_at":"2025-01-01T00:00:00Z","message":{"role":"assistant","content":"Hel"},"done":false}"#,
            r#"{"error":"an error was encountered while running the model: unexpected EOF"}"#,
        ])
    });
    for session in [false, true] {
        let mut args = vec![
            "chat",
            "-m",
            "ollama/my-model",
            "--base-url",
            &url,
            "--stream",
            "--json",
        ];
        if session {
            args.extend(["--session", "o"]);
        }
        args.push("hi");
        let out = exllm(&home)
            .env("EXLLM_SESSIONS_DIR", home.join("sessions"))
            .args(args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "session {session}: {out:?}");
        let v = stdout_json(&out);
        assert_eq!(v["finish_reason"], "error");
        assert_eq!(v["text"], "Hel");
        assert!(stderr(&out).contains("unexpected EOF"), "{out:?}");
    }
}
