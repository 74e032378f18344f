//! The CLI's conventions: `--json` prints one object and the plain form is for people
//! (`cost`, `catalog show`, `ollama list/show`), money prints without binary noise, no
//! colour codes reach a pipe, and completions and the manual page are generated.

use crate::support::{exllm, serve, temp_dir, Reply};
use std::process::Output;

fn run(args: &[&str]) -> Output {
    exllm(&temp_dir("conventions-home"))
        .args(args)
        .output()
        .unwrap()
}

fn text(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn cost_is_a_table_or_one_json_object() {
    let args = [
        "cost",
        "-m",
        "anthropic/claude-sonnet-4-5",
        "--input",
        "10000",
        "--output",
        "2000",
        "--cached",
        "4000",
    ];
    let out = run(&args);
    assert!(out.status.success(), "{out:?}");
    let table = text(&out);
    let lines: Vec<Vec<&str>> = table
        .lines()
        .map(|l| {
            l.split("  ")
                .filter(|c| !c.is_empty())
                .map(str::trim)
                .collect()
        })
        .collect();
    assert_eq!(
        lines,
        [
            vec!["PART", "USD"],
            vec!["input", "0.018"],
            vec!["cached input", "0.0012"],
            vec!["output", "0.03"],
            vec!["total", "0.0492"],
        ],
        "{table}"
    );
    let out = run(&[&args[..], &["--json"]].concat());
    assert!(out.status.success(), "{out:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["total"], 0.0492);
    assert_eq!(v["cached_input"], 0.0012);
    let missing = run(&["cost", "-m", "nowhere/nothing", "--json"]);
    assert_eq!(missing.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&missing.stdout).unwrap();
    assert_eq!(v["error"]["kind"], "NotFound");
}

#[test]
fn catalog_show_is_labelled_lines_or_one_json_object() {
    let out = run(&["catalog", "show", "openai/gpt-4o-mini"]);
    assert!(out.status.success(), "{out:?}");
    let shown = text(&out);
    assert!(shown.starts_with("model:"), "{shown}");
    assert!(
        shown.contains("input:") && shown.contains("$/1M tokens"),
        "{shown}"
    );
    assert!(!shown.contains('{'), "not JSON: {shown}");
    let out = run(&["catalog", "show", "openai/gpt-4o-mini", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["id"], "gpt-4o-mini");
    assert_eq!(text(&out).lines().count(), 1);
}

#[test]
fn money_prints_without_float_noise() {
    // gpt-4o-mini: 1 input token at $0.15/1M plus 4 output at $0.60/1M sum, in binary
    // floating point, to 2.5499999999999997e-06.
    let url = serve(1, |_| {
        Reply::json(
            r#"{"id": "c1", "object": "chat.completion", "model": "gpt-4o-mini",
                "choices": [{"index": 0, "message": {"role": "assistant", "content": "ok"},
                             "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 1, "completion_tokens": 4, "total_tokens": 5}}"#,
        )
    });
    let out = exllm(&temp_dir("money"))
        .env("OPENAI_API_KEY", "test-key")
        .args(["chat", "-m", "openai/gpt-4o-mini", "--base-url"])
        .arg(format!("{url}/v1"))
        .args(["--json", "hi"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["cost"]["total"].to_string(), "2.55e-6", "{}", text(&out));
    assert_eq!(v["cost"]["output"].to_string(), "2.4e-6");
}

#[test]
fn no_colour_codes_reach_a_pipe() {
    let out = run(&["-v", "chat", "-m", "mock/echo", "hi"]);
    assert!(out.status.success(), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("INFO"), "a log line was expected: {err}");
    assert!(
        !out.stderr.contains(&0x1b),
        "colour codes on a pipe: {err:?}"
    );
}

#[test]
fn completions_for_each_shell() {
    for (shell, marker) in [
        ("bash", "complete -F _exllm"),
        ("zsh", "#compdef exllm"),
        ("fish", "complete -c exllm"),
    ] {
        let out = run(&["completions", shell]);
        assert!(out.status.success(), "{shell}: {out:?}");
        let script = text(&out);
        assert!(script.contains(marker), "{shell}: {script}");
        for sub in ["chat", "session", "catalog", "completions"] {
            assert!(script.contains(sub), "{shell} lacks {sub}");
        }
    }
    assert_eq!(run(&["completions", "tcsh"]).status.code(), Some(2));
}

#[test]
fn the_manual_page_is_roff() {
    let out = run(&["man"]);
    assert!(out.status.success(), "{out:?}");
    let page = text(&out);
    assert!(page.contains(".TH exllm 1"), "{page}");
    assert!(
        page.contains(".SH SUBCOMMANDS") && page.contains("exllm\\-chat"),
        "{page}"
    );
    let dir = temp_dir("man");
    let out = run(&["man", "--out", dir.to_str().unwrap()]);
    assert!(out.status.success(), "{out:?}");
    for page in ["exllm.1", "exllm-chat.1", "exllm-session-list.1"] {
        let roff = std::fs::read_to_string(dir.join(page)).unwrap();
        assert!(roff.contains(".TH"), "{page}: {roff}");
    }
}

#[test]
fn ollama_list_and_show_print_for_people() {
    let url = serve(5, |body| {
        if body.get("insecure").is_some() {
            Reply::ndjson(&[
                r#"{"status": "pulling manifest"}"#,
                r#"{"status": "pulling abc", "digest": "sha256:abc", "total": 100, "completed": 50}"#,
                r#"{"status": "success"}"#,
            ])
        } else if body.is_null() {
            Reply::json(
                r#"{"models": [{"name": "llama3:8b", "modified_at": "2025-01-02T03:04:05Z",
                    "size": 4661224676, "digest": "abc",
                    "details": {"parameter_size": "8.0B", "quantization_level": "Q4_0"}}]}"#,
            )
        } else {
            Reply::json(
                r#"{"parameters": "stop \"<|eot_id|>\"", "template": "{{ .Prompt }}",
                    "details": {"family": "llama", "parameter_size": "8.0B", "format": "gguf"},
                    "model_info": {"llama.context_length": 8192},
                    "capabilities": ["completion", "tools"]}"#,
            )
        }
    });
    let home = temp_dir("ollama-print");
    let ollama = |args: &[&str]| {
        exllm(&home)
            .args(["ollama", "--host", &url])
            .args(args)
            .output()
            .unwrap()
    };
    let out = ollama(&["list"]);
    assert!(out.status.success(), "{out:?}");
    let lines: Vec<Vec<String>> = text(&out)
        .lines()
        .map(|l| l.split_whitespace().map(String::from).collect())
        .collect();
    assert_eq!(lines[0], ["NAME", "SIZE", "PARAMS", "QUANT", "MODIFIED"]);
    assert_eq!(
        lines[1],
        [
            "llama3:8b",
            "4.7",
            "GB",
            "8.0B",
            "Q4_0",
            "2025-01-02T03:04:05Z"
        ]
    );
    let out = ollama(&["list", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v[0]["name"], "llama3:8b");

    let out = ollama(&["show", "llama3:8b"]);
    assert!(out.status.success(), "{out:?}");
    let shown = text(&out);
    assert!(shown.starts_with("family:       llama\n"), "{shown}");
    assert!(
        shown.contains("context:      8192\ncapabilities: completion, tools"),
        "{shown}"
    );
    assert!(shown.contains("\ntemplate:\n  {{ .Prompt }}"), "{shown}");
    let out = ollama(&["show", "llama3:8b", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["details"]["family"], "llama");
    // Progress is for people: --json prints the outcome, one object.
    let out = ollama(&["pull", "llama3:8b", "--json"]);
    assert!(out.status.success(), "{out:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not one JSON object ({e}): {}", text(&out)));
    assert_eq!(v["status"], "success");
}
