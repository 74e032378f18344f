//! Two `exllm serve` processes sharing a real redis-server and a throwaway PostgreSQL
//! cluster (initdb in a temp dir, `postgres` on a free 127.0.0.1 port; as root both run as
//! the `postgres` user), in front of a loopback OpenAI-compatible provider whose every answer
//! uses 12 input and 3 output tokens, and one that answers every request with a 429. Unpriced models cost $0.001 per input and $0.002 per
//! output token here, so each answer costs [`COST`].

use crate::support::{exllm, serve, temp_dir, Reply};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

// The library's redis-server harness (routing_redis loads it too).
#[allow(dead_code, clippy::duplicate_mod)]
#[path = "../../../exllm/tests/support/redis.rs"]
pub mod redis;

/// What one answer costs.
pub const COST: f64 = 0.018;
/// The master key of both instances.
pub const MASTER: &str = "sk-master-7f3e";

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// A PostgreSQL server binary: on PATH, else Debian's versioned directory.
fn pg_bin(name: &str) -> PathBuf {
    if let Ok(out) = Command::new("sh")
        .args(["-c", &format!("command -v {name}")])
        .output()
    {
        let p = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        if !p.is_empty() {
            return PathBuf::from(p);
        }
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL must be installed (scripts/setup installs it)")
        .filter_map(|e| e.ok().map(|e| e.path().join("bin").join(name)))
        .filter(|p| p.exists())
        .collect();
    found.sort();
    found.pop().expect("PostgreSQL server binaries")
}

/// Runs a PostgreSQL binary, as the `postgres` user when we are root (it refuses root).
fn pg_command(name: &str) -> Command {
    if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(pg_bin(name));
        c
    } else {
        Command::new(pg_bin(name))
    }
}

/// A throwaway PostgreSQL cluster, stopped when dropped.
pub struct Postgres {
    child: Child,
    pub port: u16,
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Postgres {
    pub fn start(dir: &Path) -> Postgres {
        let data = dir.join("pgdata");
        if is_root() {
            let ok = Command::new("chown")
                .args(["-R", "postgres"])
                .arg(dir)
                .status()
                .unwrap()
                .success();
            assert!(ok, "chown the cluster's directory to postgres");
        }
        let out = pg_command("initdb")
            .args(["-A", "trust", "-U", "postgres", "--no-sync", "-D"])
            .arg(&data)
            .output()
            .expect("initdb runs");
        assert!(
            out.status.success(),
            "initdb: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let port = free_port();
        let child = pg_command("postgres")
            .arg("-D")
            .arg(&data)
            .args(["-p", &port.to_string(), "-c", "listen_addresses=127.0.0.1"])
            .arg("-k")
            .arg(dir)
            .args(["-c", "fsync=off", "-c", "max_connections=100"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("postgres runs");
        let pg = Postgres { child, port };
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "postgres did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        pg
    }

    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

/// An answer: status, lower-cased head, body.
pub struct Answer {
    pub status: u16,
    pub head: String,
    pub body: String,
}

/// One HTTP/1.1 request on a fresh connection.
pub fn request(port: u16, method: &str, path: &str, key: &str, body: &str) -> Answer {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
        return Answer {
            status: 0,
            head: String::new(),
            body: String::new(),
        };
    };
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let _ = write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {key}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let out = String::from_utf8_lossy(&out).into_owned();
    let (head, body) = out.split_once("\r\n\r\n").unwrap_or((&out, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    Answer {
        status,
        head: head.to_ascii_lowercase(),
        body: body.to_owned(),
    }
}

/// A chat request body for `model`.
pub fn chat_body(model: &str, stream: bool) -> String {
    serde_json::json!({"model": model, "messages": [{"role": "user", "content": "hi"}],
        "max_tokens": 10, "stream": stream, "stream_options": {"include_usage": true}})
    .to_string()
}

/// Whether an answer is a whole success: a 200, and for a stream its end without an error.
pub fn succeeded(a: &Answer, stream: bool) -> bool {
    a.status == 200 && (!stream || (a.body.contains("[DONE]") && !a.body.contains("\"error\"")))
}

fn provider() -> String {
    serve(100_000, |body| {
        let usage =
            serde_json::json!({"prompt_tokens": 12, "completion_tokens": 3, "total_tokens": 15});
        if body["stream"] == true {
            let chunk = |delta: serde_json::Value, finish: Option<&str>| {
                serde_json::json!({"id": "up-1", "object": "chat.completion.chunk", "created": 1, "model": "up",
                    "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})
                .to_string()
            };
            let last = serde_json::json!({"id": "up-1", "object": "chat.completion.chunk", "created": 1,
                "model": "up", "choices": [], "usage": usage});
            Reply::sse(
                &[
                    chunk(
                        serde_json::json!({"role": "assistant", "content": "hel"}),
                        None,
                    ),
                    chunk(serde_json::json!({"content": "lo"}), None),
                    chunk(serde_json::json!({}), Some("stop")),
                    last.to_string(),
                    "[DONE]".to_owned(),
                ],
                Duration::from_millis(40),
            )
        } else {
            std::thread::sleep(Duration::from_millis(40));
            Reply::json(
                &serde_json::json!({"id": "up-1", "object": "chat.completion", "created": 1, "model": "up",
                    "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "hello"}}],
                    "usage": usage})
                .to_string(),
            )
        }
    })
}

/// Requests the rate-limited provider received.
pub static SICK_HITS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// A provider that answers every request with a 429 asking for 30 s (counted in
/// [`SICK_HITS`]); its base URL.
fn sick_provider() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for mut s in listener.incoming().flatten() {
            SICK_HITS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            // The head, then as much body as it announced.
            while let Ok(n) = s.read(&mut chunk) {
                if n == 0 {
                    break;
                }
                buf.extend_from_slice(&chunk[..n]);
                let text = String::from_utf8_lossy(&buf).to_ascii_lowercase();
                if let Some(end) = text.find("\r\n\r\n") {
                    let len = text
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .and_then(|v| v.trim().parse::<usize>().ok())
                        .unwrap_or(0);
                    if buf.len() >= end + 4 + len {
                        break;
                    }
                }
            }
            let body = r#"{"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}}"#;
            let _ = write!(
                s,
                "HTTP/1.1 429 Too Many Requests\r\nretry-after: 30\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    format!("http://{addr}")
}

/// One `exllm serve`, killed when dropped; its stderr goes to `log`.
pub struct Instance {
    child: Child,
    pub port: u16,
    config: PathBuf,
    home: PathBuf,
    pub log: PathBuf,
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Instance {
    /// Starts `exllm serve` on `port` and waits until it is ready; `Err` with its log when it
    /// exited first.
    fn spawn(home: &Path, config: &Path, port: u16, log: &Path) -> Result<Child, String> {
        let err = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .unwrap();
        let mut child = exllm(home)
            .args(["serve", "--config"])
            .arg(config)
            .args(["--port", &port.to_string()])
            .env("EXLLM_LOG", "debug")
            .stdout(Stdio::null())
            .stderr(err)
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if request(port, "GET", "/health/ready", "", "").status == 200 {
                return Ok(child);
            }
            if let Ok(Some(status)) = child.try_wait() {
                return Err(format!(
                    "exllm serve exited: {status:?}: {}",
                    std::fs::read_to_string(log).unwrap_or_default()
                ));
            }
            assert!(Instant::now() < deadline, "exllm serve did not get ready");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// SIGKILL: no shutdown, no flush.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Starts it again with the same config, port and journal.
    pub fn restart(&mut self) {
        self.kill();
        self.child = Self::spawn(&self.home, &self.config, self.port, &self.log)
            .unwrap_or_else(|e| panic!("{e}"));
    }
}

/// Redis, PostgreSQL, the provider and two instances.
pub struct Cluster {
    pub a: Instance,
    pub b: Instance,
    pub redis: Option<redis::Redis>,
    pub pg: Postgres,
}

impl Cluster {
    /// `teams`: extra `[governance.teams.*]` TOML.
    pub fn start(name: &str, teams: &str) -> Cluster {
        let dir = temp_dir(&format!("shared-{name}"));
        std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .unwrap();
        let pg = Postgres::start(&dir);
        let redis = redis::Redis::start();
        let up = provider();
        let sick = sick_provider();
        let instance = |n: &str| {
            let config = dir.join(format!("{n}.toml"));
            let mut models: String = ["a", "b"]
                .iter()
                .map(|m| format!("[[models]]\nname = \"{m}\"\nmodel = \"openai/up-{m}\"\napi_base = \"{up}/v1\"\napi_key = \"sk-up\"\n"))
                .collect();
            // Group `g`: both upstream models behind one name.
            models.push_str("[[models]]\nname = \"g\"\ngroup = \"g\"\n");
            for m in ["a", "b"] {
                models.push_str(&format!("[[deployments]]\ngroup = \"g\"\nmodel = \"openai/up-{m}\"\napi_base = \"{up}/v1\"\napi_key = \"sk-up\"\n"));
            }
            // Group `h`: a healthy deployment and one that is rate limited for 30 s.
            models.push_str("[[models]]\nname = \"h\"\ngroup = \"h\"\n");
            for (m, base) in [("ok", &up), ("sick", &sick)] {
                models.push_str(&format!("[[deployments]]\ngroup = \"h\"\nmodel = \"openai/up-{m}\"\napi_base = \"{base}/v1\"\napi_key = \"sk-up\"\n"));
            }
            std::fs::write(
                &config,
                format!(
                    "master_key = \"{MASTER}\"\n{models}\n[governance]\npostgres_url = \"{}\"\njournal = \"{}\"\nkey_secret = \"test-secret\"\nunpriced_input_per_1m = 1000.0\nunpriced_output_per_1m = 2000.0\n{teams}\n[governance.shared]\nredis_url = \"{}\"\ntimeout = \"300ms\"\n",
                    pg.url(),
                    dir.join(format!("{n}.journal")).display(),
                    redis.url(),
                ),
            )
            .unwrap();
            let home = dir.join(format!("home-{n}"));
            std::fs::create_dir_all(&home).unwrap();
            let log = dir.join(format!("{n}.log"));
            // A free port can be taken by a test running beside this one before the instance
            // binds it: another port then.
            let mut tries = 0;
            let (child, port) = loop {
                let port = free_port();
                match Instance::spawn(&home, &config, port, &log) {
                    Ok(child) => break (child, port),
                    Err(e) if e.contains("Address already in use") && tries < 5 => tries += 1,
                    Err(e) => panic!("{e}"),
                }
            };
            Instance {
                child,
                port,
                config,
                home,
                log,
            }
        };
        let a = instance("a");
        let b = instance("b");
        Cluster {
            a,
            b,
            redis: Some(redis),
            pg,
        }
    }

    /// Makes a key through instance A's admin API; the key and its id.
    pub fn key(&self, body: serde_json::Value) -> (String, String) {
        let r = request(
            self.a.port,
            "POST",
            "/key/generate",
            MASTER,
            &body.to_string(),
        );
        assert_eq!(r.status, 200, "{}", r.body);
        let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
        (
            v["key"].as_str().unwrap().to_owned(),
            v["id"].as_str().unwrap().to_owned(),
        )
    }

    /// The ledger's rows of a team (or key), as instance A reads them: count and USD.
    pub fn ledger(&self, filter: &str) -> (u64, f64) {
        let r = request(
            self.a.port,
            "GET",
            &format!("/spend/logs?{filter}&by=model"),
            MASTER,
            "",
        );
        assert_eq!(r.status, 200, "{}", r.body);
        let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
        let groups = v["groups"].as_array().cloned().unwrap_or_default();
        let n = groups.iter().map(|g| g["requests"].as_u64().unwrap()).sum();
        let usd = groups.iter().map(|g| g["cost_usd"].as_f64().unwrap()).sum();
        (n, usd)
    }

    /// Waits until the ledger holds `n` rows for `filter` (the other instance writes in the
    /// background); its count and USD then.
    pub fn ledger_at_least(&self, filter: &str, n: u64) -> (u64, f64) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let got = self.ledger(filter);
            if got.0 >= n || Instant::now() > deadline {
                return got;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// `exllm spend --postgres URL ARGS --json`, read straight from the shared database: its
    /// groups' request count and USD.
    pub fn spend_cli(&self, args: &[&str]) -> (u64, f64) {
        let out = exllm(&self.a.home)
            .args(["spend", "--postgres", &self.pg.url(), "--json"])
            .args(args)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        let groups = v["groups"].as_array().cloned().unwrap_or_default();
        let n = groups.iter().map(|g| g["requests"].as_u64().unwrap()).sum();
        let usd = groups.iter().map(|g| g["cost_usd"].as_f64().unwrap()).sum();
        (n, usd)
    }

    /// A key's spend as instance `port` reports it (`/key/info`): settled and reserved USD.
    pub fn key_spend(&self, port: u16, id: &str) -> (f64, f64) {
        let r = request(port, "GET", &format!("/key/info?key={id}"), MASTER, "");
        assert_eq!(r.status, 200, "{}", r.body);
        let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
        let info = &v["info"];
        (
            info["spend"].as_f64().expect("a spend figure"),
            info["reserved"].as_f64().expect("a reserved figure"),
        )
    }

    /// Both instances' stderr so far.
    pub fn logs(&self) -> String {
        let read = |p: &Path| std::fs::read_to_string(p).unwrap_or_default();
        let mut out = read(&self.a.log);
        out.push_str(&read(&self.b.log));
        out
    }
}
