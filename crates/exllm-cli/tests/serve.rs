//! `exllm serve` as a user runs it: the binary listens, answers in OpenAI's format with the
//! built-in `mock` provider behind it, reloads its config on SIGHUP, and exits cleanly on
//! SIGTERM.

use crate::support::{exllm, temp_dir, Gateway};
use std::time::Duration;

fn signal(pid: u32, sig: &str) {
    let ok = std::process::Command::new("kill")
        .args([sig, &pid.to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill {sig} {pid}");
}

#[test]
fn serve_answers_reloads_on_sighup_and_stops_on_sigterm() {
    let home = temp_dir("serve");
    let config = home.join("gateway.toml");
    let entry = |name: &str| format!("[[models]]\nname = \"{name}\"\nmodel = \"mock/echo\"\n");
    std::fs::write(
        &config,
        format!("master_key = \"sk-cli\"\n{}", entry("first")),
    )
    .unwrap();
    let mut server = Gateway::start(exllm(&home), &config);
    let post = |path: &str, body: &str| server.post(path, "sk-cli", body);
    let chat = |model: &str| {
        format!(r#"{{"model":"{model}","messages":[{{"role":"user","content":"Hello gateway"}}]}}"#)
    };
    let (status, body) = post("/v1/chat/completions", &chat("first"));
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"content\":\"Hello gateway\""), "{body}");
    assert_eq!(post("/v1/chat/completions", &chat("second")).0, 404);

    std::fs::write(
        &config,
        format!(
            "master_key = \"sk-cli\"\n{}{}",
            entry("first"),
            entry("second")
        ),
    )
    .unwrap();
    signal(server.child.id(), "-HUP");
    let mut reloaded = false;
    for _ in 0..100 {
        if post("/v1/chat/completions", &chat("second")).0 == 200 {
            reloaded = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(reloaded, "SIGHUP did not load the new model");

    signal(server.child.id(), "-TERM");
    let mut status = None;
    for _ in 0..200 {
        if let Some(s) = server.child.try_wait().unwrap() {
            status = Some(s);
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let status = status.expect("exllm serve exited after SIGTERM");
    assert!(status.success(), "{status:?}");
}

#[test]
fn a_bad_config_is_a_config_error() {
    let home = temp_dir("serve-bad");
    let config = home.join("gateway.toml");
    std::fs::write(
        &config,
        "[[models]]\nname = \"x\"\nmodel = \"no-provider\"\n",
    )
    .unwrap();
    let out = exllm(&home)
        .args(["serve", "--config"])
        .arg(&config)
        .args(["--port", "0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("provider/model"));
}
