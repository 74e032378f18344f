//! `exllm chat --session`, `exllm session ...` and `exllm chat -i` as a user runs them, against
//! the in-process mock (which echoes the last user message), with sessions in a temp dir.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn sessions(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("exllm-cli-sessions-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn command(dir: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_exllm"));
    c.args(args)
        .env_remove("EXLLM_MODEL")
        .env_remove("EXLLM_CATALOG")
        .env("HOME", std::env::temp_dir().join("exllm-cli-test-home"))
        .env("EXLLM_SESSIONS_DIR", dir);
    c
}

fn exllm(dir: &Path, args: &[&str]) -> Output {
    command(dir, args).output().expect("the binary runs")
}

fn exllm_stdin(dir: &Path, args: &[&str], input: &str) -> Output {
    let mut child = command(dir, args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn a_session_continues_across_runs() {
    let d = sessions("continue");
    let out = exllm(
        &d,
        &["chat", "--session", "s1", "-m", "mock/echo", "hello there"],
    );
    assert!(out.status.success(), "{out:?}");
    assert_eq!(stdout(&out), "hello there\n");
    let out = exllm(
        &d,
        &["chat", "--session", "s1", "--stream", "second", "turn"],
    );
    assert!(out.status.success(), "{out:?}");
    assert_eq!(stdout(&out), "second turn\n");

    let out = exllm(&d, &["session", "show", "s1"]);
    assert!(out.status.success(), "{out:?}");
    let text = stdout(&out);
    assert!(
        text.starts_with("session s1: mock/echo, 4 messages, 2 turns"),
        "{text}"
    );
    assert!(
        text.contains("user: hello there\nassistant: hello there\nuser: second turn"),
        "{text}"
    );

    let out = exllm(&d, &["session", "show", "s1", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["version"], 1);
    assert_eq!(v["messages"].as_array().unwrap().len(), 4);
    assert_eq!(v["model"], "mock/echo");

    // --json prints the usual object.
    let out = exllm(&d, &["chat", "--session", "s1", "--json", "third"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["text"], "third");
}

#[test]
fn list_export_and_delete() {
    let d = sessions("manage");
    let out = exllm(&d, &["session", "list"]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(stdout(&out).lines().count(), 1, "only the header");
    for name in ["alpha", "beta"] {
        let out = exllm(
            &d,
            &[
                "chat",
                "--session",
                name,
                "-m",
                "mock/echo",
                "-s",
                "Be brief.",
                "hi",
            ],
        );
        assert!(out.status.success(), "{out:?}");
    }
    let text = stdout(&exllm(&d, &["session", "list"]));
    let names: Vec<&str> = text
        .lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(names, ["alpha", "beta"]);
    let v: serde_json::Value =
        serde_json::from_slice(&exllm(&d, &["session", "list", "--json"]).stdout).unwrap();
    assert_eq!(v[1]["messages"], 2);

    let md = stdout(&exllm(
        &d,
        &["session", "export", "alpha", "--format", "markdown"],
    ));
    assert!(md.starts_with("# Session alpha"), "{md}");
    assert!(
        md.contains("## System\n\nBe brief.") && md.contains("## Assistant\n\nhi"),
        "{md}"
    );
    let json = exllm(&d, &["session", "export", "alpha"]);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(v["options"]["system"], "Be brief.");

    let out = exllm(&d, &["session", "delete", "alpha"]);
    assert!(out.status.success(), "{out:?}");
    let out = exllm(&d, &["session", "show", "alpha"]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("alpha"),
        "{out:?}"
    );
    let out = exllm(&d, &["session", "delete", "../etc"]);
    assert!(!out.status.success(), "{out:?}");
}

#[test]
fn a_newer_session_file_is_refused() {
    let d = sessions("newer");
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(
        d.join("new.json"),
        r#"{"version": 9, "model": "mock/echo"}"#,
    )
    .unwrap();
    let out = exllm(&d, &["chat", "--session", "new", "hi"]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("newer exllm"),
        "{out:?}"
    );
    // Untouched.
    assert!(std::fs::read_to_string(d.join("new.json"))
        .unwrap()
        .contains("\"version\": 9"));
}

#[test]
fn the_repl_reads_prompts_and_commands_from_stdin() {
    let d = sessions("repl");
    let input = "first line\n/system Be brief.\n\n/model mock/other\nsecond line\n/cost\n/nope\n\
                 /save r1\nthird\n/quit\nnever sent\n";
    let out = exllm_stdin(&d, &["chat", "-i", "-m", "mock/echo"], input);
    assert!(out.status.success(), "{out:?}");
    let text = stdout(&out);
    assert!(
        text.starts_with("first line\nsecond line\n2 turns, "),
        "{text}"
    );
    assert!(text.ends_with("third\n"), "{text}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown command /nope"));

    // /save named the session, and the turn after it was saved too.
    let v: serde_json::Value =
        serde_json::from_slice(&exllm(&d, &["session", "show", "r1", "--json"]).stdout).unwrap();
    assert_eq!(v["messages"].as_array().unwrap().len(), 6);
    assert_eq!(v["model"], "mock/other");
    assert_eq!(v["options"]["system"], "Be brief.");

    // -i --session continues it and saves every turn.
    let out = exllm_stdin(&d, &["chat", "-i", "--session", "r1"], "fourth\n");
    assert!(out.status.success(), "{out:?}");
    assert_eq!(stdout(&out), "fourth\n");
    let v: serde_json::Value =
        serde_json::from_slice(&exllm(&d, &["session", "show", "r1", "--json"]).stdout).unwrap();
    assert_eq!(v["messages"].as_array().unwrap().len(), 8);
}
