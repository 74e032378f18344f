//! `exllm serve` builds the `ner` guardrail of a key's guardrail set (the binary registers
//! the model at start): a key whose set blocks names is refused, naming the rule and not the
//! name, while a key without it is answered.

use crate::support::{exllm, temp_dir};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Stdio};
use std::time::Duration;

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn post(port: u16, path: &str, key: &str, body: &Value) -> (u16, String) {
    let body = body.to_string();
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    write!(
        s,
        "POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {key}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
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
    (
        status,
        out.split_once("\r\n\r\n").map_or("", |(_, b)| b).to_owned(),
    )
}

#[test]
fn a_key_whose_set_blocks_names_is_refused_and_one_without_is_answered() {
    let home = temp_dir("serve-ner");
    let config = home.join("gateway.toml");
    std::fs::write(
        &config,
        format!(
            "master_key = \"sk-cli\"\n[governance]\ndb = \"{}\"\n\
             [guardrail_sets.people]\nner = {{ input = \"block\" }}\n\
             [[models]]\nname = \"echo\"\nmodel = \"mock/echo\"\n",
            home.join("gw.db").display()
        ),
    )
    .unwrap();
    // The model's one download is shared with the other CLI tests' (not one per run).
    let cache = std::env::temp_dir().join("exllm-cli-test-home/.cache/exllm");
    let child = exllm(&home)
        .env("EXLLM_CACHE_DIR", &cache)
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
    let key = |body: Value| {
        let (status, out) = post(port, "/key/generate", "sk-cli", &body);
        assert_eq!(status, 200, "{out}");
        let v: Value = serde_json::from_str(&out).unwrap();
        v["key"].as_str().unwrap().to_owned()
    };
    let guarded = key(json!({"metadata": {"guardrails": ["people"]}}));
    let plain = key(json!({}));
    let said = "My name is Alex Rivera and I live at 742 Evergreen Terrace, Springfield.";
    let chat = json!({"model": "echo", "messages": [{"role": "user", "content": said}]});

    let (status, body) = post(port, "/v1/chat/completions", &guarded, &chat);
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("person_name"), "{body}");
    assert!(!body.contains("Rivera"), "{body}");

    let (status, body) = post(port, "/v1/chat/completions", &plain, &chat);
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("Alex Rivera"), "{body}");
}
