//! Runs one client's workload and measures it: CPU time of this process over the timed part only
//! (`getrusage(RUSAGE_SELF)`, user + system), per-call latency percentiles, throughput and peak
//! RSS (`VmHWM`). Meant to run in a child process that holds nothing but the client.

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use serde::Serialize;

use crate::clients::{BoxError, Client, Format};

/// What to run.
#[derive(Debug, Clone)]
pub struct Workload {
    /// Client name (`raw`, `exllm`, `exllm-off`, `async-openai`, `genai`).
    pub client: String,
    /// Mock address.
    pub addr: String,
    /// Wire format.
    pub format: Format,
    /// Stream (true) or whole calls.
    pub stream: bool,
    /// Timed calls.
    pub n: usize,
    /// Calls in flight.
    pub concurrency: usize,
    /// Model name (`bench-K[-W]`).
    pub model: String,
    /// Untimed calls first.
    pub warmup: usize,
}

/// One measured run.
#[derive(Debug, Serialize)]
pub struct Measured {
    pub client: String,
    pub stream: bool,
    pub n: usize,
    pub concurrency: usize,
    pub model: String,
    pub cpu_s: f64,
    pub wall_s: f64,
    pub chunks: usize,
    pub bytes: usize,
    pub cpu_us_per_call: f64,
    pub cpu_ns_per_chunk: f64,
    pub p50_us: f64,
    pub p99_us: f64,
    pub calls_per_s: f64,
    pub peak_rss_kb: u64,
}

/// User + system CPU time of this process.
pub fn cpu_time() -> Duration {
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `ru` is a valid, writable rusage.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(ru.ru_utime) + tv(ru.ru_stime)
}

/// Peak resident set of this process in KiB (`VmHWM`).
pub fn peak_rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

async fn batch(
    client: &Client,
    w: &Workload,
    n: usize,
    lat: &mut Vec<Duration>,
) -> Result<(usize, usize), BoxError> {
    let mut results = futures_util::stream::iter(0..n)
        .map(|_| async {
            let t = Instant::now();
            let seen = if w.stream {
                client.stream(&w.model).await?
            } else {
                client.whole(&w.model).await?
            };
            Ok::<_, BoxError>((t.elapsed(), seen))
        })
        .buffer_unordered(w.concurrency.max(1));
    let (mut chunks, mut bytes) = (0, 0);
    while let Some(r) = results.next().await {
        let (d, seen) = r?;
        lat.push(d);
        chunks += seen.chunks;
        bytes += seen.bytes;
    }
    Ok((chunks, bytes))
}

/// Runs `w` on a current-thread runtime (the same for every client) and measures it.
pub fn run(w: &Workload) -> Result<Measured, BoxError> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let client = Client::new(&w.client, &w.addr, w.format)?;
        let mut lat = Vec::with_capacity(w.n + w.warmup);
        batch(&client, w, w.warmup, &mut lat).await?;
        lat.clear();
        let cpu0 = cpu_time();
        let t0 = Instant::now();
        let (chunks, bytes) = batch(&client, w, w.n, &mut lat).await?;
        let wall = t0.elapsed();
        let cpu = (cpu_time() - cpu0).as_secs_f64();
        if w.stream && chunks == 0 {
            return Err("no text chunks arrived".into());
        }
        lat.sort();
        let pct = |p: f64| {
            let i = ((lat.len() as f64 * p).ceil() as usize).clamp(1, lat.len()) - 1;
            lat[i].as_secs_f64() * 1e6
        };
        Ok(Measured {
            client: w.client.clone(),
            stream: w.stream,
            n: w.n,
            concurrency: w.concurrency,
            model: w.model.clone(),
            cpu_s: cpu,
            wall_s: wall.as_secs_f64(),
            chunks,
            bytes,
            cpu_us_per_call: cpu * 1e6 / w.n as f64,
            cpu_ns_per_chunk: cpu * 1e9 / chunks.max(1) as f64,
            p50_us: pct(0.50),
            p99_us: pct(0.99),
            calls_per_s: w.n as f64 / wall.as_secs_f64(),
            peak_rss_kb: peak_rss_kb(),
        })
    })
}
