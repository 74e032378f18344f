//! `exllm chat --session` and `exllm chat -i` through a router group: each turn goes to a
//! deployment of the group with the session's history, the answer shows its route, and the
//! session records it like a direct turn.

use crate::support::{chat_chunk, chat_stop, exllm, serve, temp_dir, Reply};
use std::io::Write;
use std::process::Stdio;
use std::sync::{Arc, Mutex};

/// A Chat Completions server answering `answer N` (N counting from 1), whole or streamed as
/// asked, and keeping every request's messages.
fn recording() -> (String, Arc<Mutex<Vec<serde_json::Value>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let keep = seen.clone();
    let url = serve(8, move |body| {
        let mut all = keep.lock().unwrap();
        all.push(body["messages"].clone());
        let text = format!("answer {}", all.len());
        if body["stream"] == true {
            return Reply::sse(
                &[chat_chunk(&text), chat_stop(), "[DONE]".into()],
                std::time::Duration::ZERO,
            );
        }
        Reply::json(
            &serde_json::json!({
                "id": "c1", "object": "chat.completion", "model": "gpt-4o-mini",
                "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                    "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7}
            })
            .to_string(),
        )
    });
    (url, seen)
}

fn config(dir: &std::path::Path, url: &str) -> std::path::PathBuf {
    let path = dir.join("router.toml");
    std::fs::write(
        &path,
        format!(
            r#"[[deployments]]
group = "team"
model = "openai/gpt-4o-mini"
api_base = "{url}/v1"
api_key = "sk-one"
"#
        ),
    )
    .unwrap();
    path
}

#[test]
fn a_session_on_a_group_is_routed_and_keeps_its_history() {
    let home = temp_dir("route-session");
    let (url, seen) = recording();
    let cfg = config(&home, &url);
    let run = |args: &[&str]| {
        exllm(&home)
            .env("EXLLM_SESSIONS_DIR", home.join("sessions"))
            .env("EXLLM_ROUTER_CONFIG", &cfg)
            .args(args)
            .output()
            .unwrap()
    };
    let first = run(&["chat", "--session", "s", "-m", "team", "--json", "first"]);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&first.stdout).unwrap();
    assert_eq!(v["text"], "answer 1");
    assert_eq!(v["route"]["attempts"][0]["deployment"], "team#0", "{v}");
    // The saved session keeps the group: the next turn is routed with the history.
    let second = run(&["chat", "--session", "s", "--stream", "second"]);
    assert!(
        second.status.success(),
        "{}",
        String::from_utf8_lossy(&second.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&second.stdout).trim(), "answer 2");
    let all = seen.lock().unwrap();
    let texts: Vec<&str> = all[1]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["content"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(texts, ["first", "answer 1", "second"], "{all:?}");
}

#[test]
fn the_repl_routes_each_turn_through_the_group() {
    let home = temp_dir("route-repl");
    let (url, seen) = recording();
    let cfg = config(&home, &url);
    let mut child = exllm(&home)
        .env("EXLLM_SESSIONS_DIR", home.join("sessions"))
        .args(["chat", "-i", "--router-config"])
        .arg(&cfg)
        .args(["-m", "team"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"one\ntwo\n/quit\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("answer 1") && stdout.contains("answer 2"),
        "{stdout}"
    );
    let all = seen.lock().unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[1].as_array().unwrap().len(), 3, "{all:?}");
}
