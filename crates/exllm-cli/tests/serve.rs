//! `exllm serve` as a user runs it: the binary listens, answers in OpenAI's format with the
//! built-in `mock` provider behind it, reloads its config on SIGHUP, and exits cleanly on
//! SIGTERM.

use crate::support::{exllm, temp_dir};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Stdio};
use std::time::Duration;

/// Kills the server if a check fails first.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A POST of `body` to `path`; the status and body.
fn post(port: u16, path: &str, body: &str) -> (u16, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    write!(
        s,
        "POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer sk-cli\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let status = out
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = out.split_once("\r\n\r\n").map_or("", |(_, b)| b).to_owned();
    (status, body)
}

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
    let child = exllm(&home)
        .args(["serve", "--config"])
        .arg(&config)
        .args(["--port", "0"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut server = Server(child);
    let mut lines = BufReader::new(server.0.stderr.take().unwrap()).lines();
    let line = lines.next().unwrap().unwrap();
    let port: u16 = line
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no port in {line:?}"));
    let chat = |model: &str| {
        format!(r#"{{"model":"{model}","messages":[{{"role":"user","content":"Hello gateway"}}]}}"#)
    };
    let (status, body) = post(port, "/v1/chat/completions", &chat("first"));
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"content\":\"Hello gateway\""), "{body}");
    assert_eq!(post(port, "/v1/chat/completions", &chat("second")).0, 404);

    std::fs::write(
        &config,
        format!(
            "master_key = \"sk-cli\"\n{}{}",
            entry("first"),
            entry("second")
        ),
    )
    .unwrap();
    signal(server.0.id(), "-HUP");
    let mut reloaded = false;
    for _ in 0..100 {
        if post(port, "/v1/chat/completions", &chat("second")).0 == 200 {
            reloaded = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(reloaded, "SIGHUP did not load the new model");

    signal(server.0.id(), "-TERM");
    let mut status = None;
    for _ in 0..200 {
        if let Some(s) = server.0.try_wait().unwrap() {
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
