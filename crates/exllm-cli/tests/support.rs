//! What the CLI's test files share: running the binary with a clean environment, and a
//! loopback HTTP/1.1 server that answers each request from its JSON body, streaming the
//! reply in pieces with a pause between them (so a test can act while an answer is still
//! arriving). The server thread ends by itself: after its last connection, after
//! [`IDLE`] without one, or when a client goes away mid-reply.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStderr, Command, Stdio};
use std::time::{Duration, Instant};

/// The server stops when no connection arrives for this long.
pub const IDLE: Duration = Duration::from_secs(60);

/// The binary with no provider keys, model or catalog from the caller's environment, and a
/// home of its own.
pub fn exllm(home: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_exllm"));
    for var in [
        "OPENAI_API_KEY",
        "ANTHROPIC_API_KEY",
        "EXLLM_MODEL",
        "EXLLM_CATALOG",
        "XDG_CONFIG_HOME",
        "XDG_STATE_HOME",
        "XDG_DATA_HOME",
        "EXLLM_HISTORY",
        "EXLLM_SESSIONS_DIR",
        "NO_COLOR",
        "OLLAMA_HOST",
        "OLLAMA_BASE_URL",
        "EXLLM_USAGE_LOG",
        "EXLLM_USAGE_TAGS",
        "EXLLM_USAGE_SESSION",
    ] {
        c.env_remove(var);
    }
    c.env("HOME", home);
    c
}

/// `exllm serve --config CONFIG --port 0` with `home`, on the port it printed; killed when
/// dropped, so a failing check does not leave it running.
pub struct Gateway {
    pub child: Child,
    pub port: u16,
    /// Its stderr, kept open while it runs.
    _stderr: std::io::Lines<BufReader<ChildStderr>>,
}

impl Gateway {
    /// Starts `cmd` (an [`exllm`] command, the caller's variables set) serving `config`.
    pub fn start(mut cmd: Command, config: &Path) -> Gateway {
        let mut child = cmd
            .args(["serve", "--config"])
            .arg(config)
            .args(["--port", "0"])
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let line = lines.next().unwrap().unwrap();
        let port = line.rsplit(':').next().and_then(|p| p.parse().ok());
        let Some(port) = port else {
            let _ = child.kill();
            panic!("no port in {line:?}");
        };
        Gateway {
            child,
            port,
            _stderr: lines,
        }
    }

    /// A POST of `body` to `path` with `key` as the bearer token: the status and the body.
    pub fn post(&self, path: &str, key: &str, body: &str) -> (u16, String) {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
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
        let body = out.split_once("\r\n\r\n").map_or("", |(_, b)| b).to_owned();
        (status, body)
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A fresh empty directory for one test.
pub fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("exllm-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// One reply: a 200 with this content type, its body sent as these pieces.
pub struct Reply {
    pub content_type: &'static str,
    pub pieces: Vec<String>,
    /// The pause before each piece after the first.
    pub pause: Duration,
}

impl Reply {
    /// Server-sent events, one `data:` frame per JSON value.
    pub fn sse(events: &[String], pause: Duration) -> Self {
        Reply {
            content_type: "text/event-stream",
            pieces: events.iter().map(|e| format!("data: {e}\n\n")).collect(),
            pause,
        }
    }

    /// Newline-delimited JSON, one line per piece.
    pub fn ndjson(lines: &[&str]) -> Self {
        Reply {
            content_type: "application/x-ndjson",
            pieces: lines.iter().map(|l| format!("{l}\n")).collect(),
            pause: Duration::ZERO,
        }
    }

    /// One JSON body.
    pub fn json(body: &str) -> Self {
        Reply {
            content_type: "application/json",
            pieces: vec![body.to_owned()],
            pause: Duration::ZERO,
        }
    }
}

/// Serves up to `count` requests on 127.0.0.1, each answered by `reply(body)` with the
/// request's JSON body; the base URL (`http://127.0.0.1:PORT`).
pub fn serve(
    count: usize,
    reply: impl Fn(&serde_json::Value) -> Reply + Send + Sync + 'static,
) -> String {
    let reply = std::sync::Arc::new(reply);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    listener.set_nonblocking(true).unwrap();
    std::thread::spawn(move || {
        let mut served = 0;
        let mut last = Instant::now();
        while served < count && last.elapsed() < IDLE {
            match listener.accept() {
                Ok((stream, _)) => {
                    served += 1;
                    last = Instant::now();
                    // One thread per connection: a slow reply does not hold up the next.
                    let reply = reply.clone();
                    std::thread::spawn(move || answer(stream, &*reply));
                }
                Err(_) => std::thread::sleep(Duration::from_millis(20)),
            }
        }
    });
    format!("http://{addr}")
}

fn answer(
    mut s: TcpStream,
    reply: &(impl Fn(&serde_json::Value) -> Reply + ?Sized),
) -> std::io::Result<()> {
    s.set_nonblocking(false)?;
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    s.set_write_timeout(Some(Duration::from_secs(10)))?;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        match s.read(&mut chunk)? {
            0 => return Ok(()),
            n => buf.extend_from_slice(&chunk[..n]),
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
    let length = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok())
        .unwrap_or(0);
    while buf.len() < head_end + length {
        match s.read(&mut chunk)? {
            0 => break,
            n => buf.extend_from_slice(&chunk[..n]),
        }
    }
    let body = serde_json::from_slice(&buf[head_end..]).unwrap_or(serde_json::Value::Null);
    let r = reply(&body);
    write!(
        s,
        "HTTP/1.1 200 OK\r\ncontent-type: {}\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n",
        r.content_type
    )?;
    for (i, piece) in r.pieces.iter().enumerate() {
        if i > 0 {
            std::thread::sleep(r.pause);
        }
        // A client that went away (an answer stopped with Ctrl-C) ends the reply here.
        write!(s, "{:x}\r\n{piece}\r\n", piece.len())?;
        s.flush()?;
    }
    s.write_all(b"0\r\n\r\n")?;
    s.flush()
}

/// The text of the last user message of a Chat Completions, Responses or Ollama request.
pub fn last_user_text(body: &serde_json::Value) -> String {
    let messages = body
        .get("messages")
        .or_else(|| body.get("input"))
        .and_then(|m| m.as_array())
        .cloned()
        .unwrap_or_default();
    let Some(m) = messages.iter().rev().find(|m| m["role"] == "user") else {
        return String::new();
    };
    match &m["content"] {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Array(parts) => parts
            .iter()
            .filter_map(|p| p["text"].as_str())
            .collect::<Vec<_>>()
            .join(""),
        _ => String::new(),
    }
}

/// A Chat Completions stream chunk carrying `text`.
pub fn chat_chunk(text: &str) -> String {
    serde_json::json!({"id": "c1", "object": "chat.completion.chunk", "model": "m",
        "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": null}]})
    .to_string()
}

/// The closing Chat Completions chunk (finish reason `stop`).
pub fn chat_stop() -> String {
    serde_json::json!({"id": "c1", "object": "chat.completion.chunk", "model": "m",
        "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    .to_string()
}
