//! The gateway benchmark (`exllm-bench gateway`, driven by `bench/gateway.sh`): gateways
//! already running in front of the loopback mock, each named in a targets file with its
//! process id and address, are measured one after another under the same loads from
//! [`crate::loadgen`]. CPU and memory are read from `/proc` for the gateway's process tree
//! only; latency is compared with calling the mock directly in the same repetition.
//!
//! Phases, per repetition and target (targets interleaved, so a slow spell of the shared
//! machine falls on all of them): latency at concurrency 1 (whole answers; its CPU per
//! request is the headline figure), a stream of 1,000 chunks at a time (CPU per chunk),
//! throughput at concurrency 64. Then once per target: peak RSS after concurrency 256,
//! Redis commands per request (targets with Redis state), and the soak.

mod cli;
mod proc;
mod report;

pub use cli::{gateway_cmd, load_cmd};

use std::io::Write;
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::{json, Value};

use crate::clients::BoxError;
use crate::loadgen::{self, Load};

/// A gateway under test.
#[derive(Debug, Clone, Deserialize)]
pub struct Target {
    /// Row label.
    pub name: String,
    /// Its process (its descendants are counted with it).
    pub pid: u32,
    /// `host:port`.
    pub addr: String,
    /// The chat completions path.
    #[serde(default = "default_path")]
    pub path: String,
    /// Headers every request carries (keys, provider routing).
    #[serde(default)]
    pub headers: Vec<(String, String)>,
    /// Whether to soak it.
    #[serde(default)]
    pub soak: bool,
    /// Whether its state is in the Redis server (`--redis`): count commands per request.
    #[serde(default)]
    pub redis: bool,
}

fn default_path() -> String {
    "/v1/chat/completions".into()
}

/// Sizes of one run.
#[derive(Debug, Clone)]
pub struct Sizes {
    /// Repetitions of the interleaved phases.
    pub reps: usize,
    /// Requests (and the time cap) of the concurrency-1 latency phase.
    pub lat: (usize, Duration),
    /// Streams of 1,000 chunks, and the time cap.
    pub stream: (usize, Duration),
    /// Requests at concurrency 64, and the time cap.
    pub c64: (usize, Duration),
    /// Requests at concurrency 256, and the time cap.
    pub c256: (usize, Duration),
    /// Soak duration.
    pub soak: Duration,
    /// Requests counted against Redis.
    pub redis_n: usize,
}

impl Sizes {
    /// `--quick`: about a minute per target. CPU is read in 10 ms clock ticks, so every
    /// phase runs long enough for a few dozen of them on exllm.
    pub fn quick() -> Sizes {
        Sizes {
            reps: 1,
            lat: (5_000, Duration::from_secs(5)),
            stream: (200, Duration::from_secs(6)),
            c64: (20_000, Duration::from_secs(6)),
            c256: (5_000, Duration::from_secs(8)),
            soak: Duration::from_secs(20),
            redis_n: 200,
        }
    }

    /// The full run.
    pub fn full() -> Sizes {
        Sizes {
            reps: 3,
            lat: (20_000, Duration::from_secs(15)),
            stream: (1_000, Duration::from_secs(20)),
            c64: (100_000, Duration::from_secs(20)),
            c256: (30_000, Duration::from_secs(20)),
            soak: Duration::from_secs(600),
            redis_n: 1_000,
        }
    }
}

/// Content chunks of the stream phase's model (the mock adds a role, a finish and a usage
/// chunk, and `[DONE]`).
const STREAM_CHUNKS: usize = 1_000;

/// Everything one run needs.
pub struct Run {
    /// The gateways.
    pub targets: Vec<Target>,
    /// The mock's address and process.
    pub mock: (String, u32),
    /// Sizes.
    pub sizes: Sizes,
    /// The Redis server the `redis` targets keep state in.
    pub redis_url: Option<String>,
    /// Where `gateway-runs.jsonl` and `gateway-summary.md` go.
    pub out: std::path::PathBuf,
    /// Whether this is `--quick` (for the report).
    pub quick: bool,
}

fn load(
    t: &Target,
    model: &str,
    stream: bool,
    concurrency: usize,
    n: usize,
    max: Duration,
) -> Load {
    Load {
        addr: t.addr.clone(),
        path: t.path.clone(),
        headers: t.headers.clone(),
        model: model.into(),
        stream,
        concurrency,
        n,
        max,
        min_events: if stream {
            crate::mock::shape(model.as_bytes()).0
        } else {
            0
        },
    }
}

/// Runs `l` against `t` and measures the gateway's CPU (and the mock's) over it.
fn measured(t: &Target, mock_pid: u32, l: &Load) -> Result<Value, BoxError> {
    // Let the previous phase's trailing work (logging, settlement) finish first.
    std::thread::sleep(Duration::from_millis(150));
    let (c0, m0) = (proc::cpu(t.pid), proc::cpu(mock_pid));
    let s = loadgen::run(l)?;
    std::thread::sleep(Duration::from_millis(150));
    let (c1, m1) = (proc::cpu(t.pid), proc::cpu(mock_pid));
    let cpu = (c1 - c0).as_secs_f64();
    let ok = s.ok as f64;
    let mut v = serde_json::to_value(&s)?;
    let o = v.as_object_mut().ok_or("stats")?;
    o.insert("cpu_s".into(), cpu.into());
    // Nothing succeeded: no cost per request to speak of.
    if s.ok > 0 {
        o.insert("cpu_us_per_req".into(), (cpu * 1e6 / ok).into());
        o.insert(
            "mock_cpu_us_per_req".into(),
            ((m1 - m0).as_secs_f64() * 1e6 / ok).into(),
        );
    }
    if l.stream && s.ok > 0 {
        let chunks = s.ok * (crate::mock::shape(l.model.as_bytes()).0 + 3);
        o.insert(
            "cpu_ns_per_chunk".into(),
            (cpu * 1e9 / chunks as f64).into(),
        );
    }
    o.insert("rss_kb".into(), proc::rss_kb(t.pid).into());
    o.insert("hwm_kb".into(), proc::hwm_kb(t.pid).into());
    Ok(v)
}

impl Run {
    /// Runs every phase; writes the JSON lines and the summary; returns the summary.
    pub fn go(&self) -> Result<String, BoxError> {
        std::fs::create_dir_all(&self.out)?;
        let mut lines = std::fs::File::create(self.out.join("gateway-runs.jsonl"))?;
        let started = Instant::now();
        let direct = Target {
            name: "direct".into(),
            pid: self.mock.1,
            addr: self.mock.0.clone(),
            path: default_path(),
            headers: Vec::new(),
            soak: false,
            redis: false,
        };
        let mut rows: Vec<Value> = Vec::new();
        let mut note = |rows: &mut Vec<Value>, target: &str, phase: &str, rep: usize, v: Value| {
            let mut v = v;
            if let Some(o) = v.as_object_mut() {
                o.insert("target".into(), target.into());
                o.insert("phase".into(), phase.into());
                o.insert("rep".into(), rep.into());
            }
            let _ = writeln!(lines, "{v}");
            rows.push(v);
        };
        let say = |what: String| {
            eprintln!("[{:>5.0}s] {what}", started.elapsed().as_secs_f64());
        };
        let s = &self.sizes;
        let mock_pid = self.mock.1;
        let stream_model = format!("bench-{STREAM_CHUNKS}");
        for rep in 0..s.reps {
            // Rotate so no gateway always runs first in a repetition.
            let mut order: Vec<&Target> = std::iter::once(&direct).chain(&self.targets).collect();
            let shift = rep % order.len();
            order.rotate_left(shift);
            for t in order {
                if !proc::alive(t.pid) {
                    say(format!("{} (pid {}) is gone; skipped", t.name, t.pid));
                    continue;
                }
                say(format!("rep {}/{}: {}", rep + 1, s.reps, t.name));
                // Warm: connections, caches, lazily built state, the JIT of the peers.
                let _ = loadgen::run(&load(t, "bench-200", false, 8, 500, Duration::from_secs(3)));
                let _ = loadgen::run(&load(t, &stream_model, true, 1, 3, Duration::from_secs(3)));
                let mut phase = |phase: &str, l: Load| match measured(t, mock_pid, &l) {
                    Ok(v) => {
                        if v["errors"].as_u64().unwrap_or(0) > 0 {
                            say(format!(
                                "  {phase}: {} errors, first: {}",
                                v["errors"], v["first_error"]
                            ));
                        }
                        note(&mut rows, &t.name, phase, rep, v);
                    }
                    Err(e) => say(format!("  {phase} failed: {e}")),
                };
                phase("c1", load(t, "bench-200", false, 1, s.lat.0, s.lat.1));
                phase(
                    "stream",
                    load(t, &stream_model, true, 1, s.stream.0, s.stream.1),
                );
                phase("c64", load(t, "bench-200", false, 64, s.c64.0, s.c64.1));
            }
        }
        for t in std::iter::once(&direct).chain(&self.targets) {
            if !proc::alive(t.pid) {
                continue;
            }
            say(format!("{}: concurrency 256", t.name));
            match measured(
                t,
                mock_pid,
                &load(t, "bench-200", false, 256, s.c256.0, s.c256.1),
            ) {
                Ok(v) => note(&mut rows, &t.name, "c256", 0, v),
                Err(e) => say(format!("  c256 failed: {e}")),
            }
        }
        if let Some(url) = &self.redis_url {
            for t in self.targets.iter().filter(|t| t.redis) {
                say(format!("{}: Redis commands per request", t.name));
                match redis_counts(t, url, s.redis_n) {
                    Ok(v) => note(&mut rows, &t.name, "redis", 0, v),
                    Err(e) => say(format!("  Redis count failed: {e}")),
                }
            }
        }
        for t in self.targets.iter().filter(|t| t.soak && !s.soak.is_zero()) {
            if !proc::alive(t.pid) {
                continue;
            }
            say(format!("{}: soak for {} s", t.name, s.soak.as_secs()));
            let v = soak(t, s.soak);
            note(&mut rows, &t.name, "soak", 0, v);
        }
        let names: Vec<String> = self.targets.iter().map(|t| t.name.clone()).collect();
        let md = report::summary(&rows, &names, started.elapsed(), self.quick, s);
        std::fs::write(self.out.join("gateway-summary.md"), &md)?;
        Ok(md)
    }
}

/// Whole requests at concurrency 64 with a stream slice at concurrency 16 every fourth
/// second, for `dur`; resident memory sampled after every slice. Growth is the last sample
/// against the one a tenth of the way in (allocators and caches have settled by then).
fn soak(t: &Target, dur: Duration) -> Value {
    let t0 = Instant::now();
    let c0 = proc::cpu(t.pid);
    let mut samples: Vec<(f64, u64)> = Vec::new();
    let (mut ok, mut errors, mut first_error) = (0usize, 0usize, None);
    let mut i = 0usize;
    while t0.elapsed() < dur {
        let slice = Duration::from_secs(1);
        let l = if i % 4 == 3 {
            load(t, "bench-200", true, 16, usize::MAX, slice)
        } else {
            load(t, "bench-200", false, 64, usize::MAX, slice)
        };
        if let Ok(s) = loadgen::run(&l) {
            ok += s.ok;
            errors += s.errors;
            first_error = first_error.or(s.first_error);
        }
        samples.push((t0.elapsed().as_secs_f64(), proc::rss_kb(t.pid)));
        i += 1;
    }
    let cpu = (proc::cpu(t.pid) - c0).as_secs_f64();
    let base = samples
        .iter()
        .find(|(s, _)| *s >= dur.as_secs_f64() / 10.0)
        .or(samples.first())
        .map_or(0, |s| s.1);
    let end = samples.last().map_or(0, |s| s.1);
    let max = samples.iter().map(|s| s.1).max().unwrap_or(0);
    json!({
        "seconds": t0.elapsed().as_secs_f64(),
        "ok": ok,
        "errors": errors,
        "first_error": first_error,
        "cpu_us_per_req": cpu * 1e6 / ok.max(1) as f64,
        "rss_base_kb": base,
        "rss_end_kb": end,
        "rss_max_kb": max,
        "growth_pct": if base > 0 { (end as f64 / base as f64 - 1.0) * 100.0 } else { f64::NAN },
        "samples": samples.len(),
    })
}

/// Commands the gateway sends Redis per request, `n` sequential whole requests: the
/// client's own commands from `MONITOR` (commands run inside Lua scripts are tagged `lua`
/// there and left out: they are not round trips), and the server's `INFO commandstats`
/// (which counts the scripts' inner commands too).
fn redis_counts(t: &Target, url: &str, n: usize) -> Result<Value, BoxError> {
    let stats = || -> Result<Vec<(String, u64)>, BoxError> {
        let out = std::process::Command::new("redis-cli")
            .args(["-u", url, "INFO", "commandstats"])
            .output()?;
        Ok(String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| {
                let (name, rest) = l.strip_prefix("cmdstat_")?.split_once(':')?;
                let calls = rest.split(',').find_map(|kv| kv.strip_prefix("calls="))?;
                Some((name.to_owned(), calls.parse().ok()?))
            })
            .collect())
    };
    let monitor_file =
        std::env::temp_dir().join(format!("exllm-bench-monitor-{}", std::process::id()));
    let mut monitor = std::process::Command::new("redis-cli")
        .args(["-u", url, "MONITOR"])
        .stdout(std::fs::File::create(&monitor_file)?)
        .spawn()?;
    std::thread::sleep(Duration::from_millis(300));
    let before = stats()?;
    let s = loadgen::run(&load(t, "bench-200", false, 1, n, Duration::from_secs(60)))?;
    // Settlements go out after the answer; give them time to land.
    std::thread::sleep(Duration::from_millis(1000));
    let after = stats()?;
    let _ = monitor.kill();
    let _ = monitor.wait();
    let text = std::fs::read_to_string(&monitor_file).unwrap_or_default();
    let _ = std::fs::remove_file(&monitor_file);
    let mut by_command: std::collections::BTreeMap<String, u64> = Default::default();
    for line in text.lines() {
        // `1733550000.123456 [0 127.0.0.1:50000] "evalsha" ...`; `[0 lua]` inside scripts.
        let Some((_, rest)) = line.split_once(" [") else {
            continue;
        };
        let Some((client, cmd)) = rest.split_once("] ") else {
            continue;
        };
        if client.ends_with(" lua") {
            continue;
        }
        let cmd = cmd.split('"').nth(1).unwrap_or("").to_ascii_lowercase();
        if cmd == "info" || cmd == "monitor" {
            continue;
        }
        *by_command.entry(cmd).or_default() += 1;
    }
    let ok = s.ok.max(1) as f64;
    let sent: u64 = by_command.values().sum();
    let delta = |name: &str| {
        let get = |v: &[(String, u64)]| v.iter().find(|(k, _)| k == name).map_or(0, |x| x.1);
        get(&after).saturating_sub(get(&before))
    };
    let all: u64 = after
        .iter()
        .map(|(k, _)| delta(k))
        .sum::<u64>()
        .saturating_sub(delta("info"));
    Ok(json!({
        "ok": s.ok,
        "errors": s.errors,
        "first_error": s.first_error,
        "round_trips_per_req": sent as f64 / ok,
        "by_command_per_req": by_command.iter().map(|(k, v)| (k.clone(), json!(*v as f64 / ok))).collect::<serde_json::Map<_, _>>(),
        "server_commands_incl_lua_per_req": all as f64 / ok,
        "evalsha_per_req": delta("evalsha") as f64 / ok,
    }))
}
