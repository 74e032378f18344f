//! `exllm-bench`: end-to-end client benchmarks over a loopback mock.
//!
//! ```text
//! exllm-bench serve [--idle SECS] [--max SECS]     mock server; prints its address, stops by itself
//! exllm-bench run --client C --addr A [--format openai|anthropic|gemini] [--stream]
//!                 [--n N] [--concurrency C] [--model bench-K[-W]] [--warmup W]
//!                                                  one measured run; prints one JSON line
//! exllm-bench suite [--quick] [--reps R] [--python PY] [--out DIR]
//!                                                  everything, interleaved; writes DIR/summary.md
//! exllm-bench router-redis --addr A [--n N]        Redis commands per routed call
//!                                                  (EXLLM_BENCH_REDIS, a running redis-server)
//! exllm-bench load --addr A [--path P] [--header K:V]... [--model M] [--stream]
//!                  [--concurrency C] [--n N] [--secs S]
//!                                                  one load on any endpoint; one JSON line
//! exllm-bench gateway --targets FILE --mock ADDR --mock-pid PID [--quick] [--reps R]
//!                     [--soak SECS] [--redis URL] [--out DIR]
//!                                                  gateways side by side (bench/gateway.sh)
//! ```
//!
//! The suite starts the mock as one child process and every run as another, so each client's
//! CPU time and peak RSS are its own and never include the server's.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use exllm_bench::clients::Format;
use exllm_bench::measure::{self, Workload};
use serde_json::Value;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let code = match args.first().map(String::as_str) {
        Some("serve") => serve(&args[1..]),
        Some("run") => run(&args[1..]),
        Some("suite") => suite(&args[1..]),
        Some("router-redis") => router_redis(&args[1..]),
        Some("load") => exllm_bench::gateway::load_cmd(&args[1..]),
        Some("gateway") => exllm_bench::gateway::gateway_cmd(&args[1..]),
        _ => {
            eprintln!("usage: exllm-bench serve|run|suite|router-redis|load|gateway [options] (see the source header)");
            2
        }
    };
    std::process::exit(code);
}

fn opt<'a>(args: &'a [String], name: &str) -> Option<&'a str> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(String::as_str)
}

fn num(args: &[String], name: &str, default: usize) -> usize {
    opt(args, name)
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn flag(args: &[String], name: &str) -> bool {
    args.iter().any(|a| a == name)
}

fn serve(args: &[String]) -> i32 {
    let idle = Duration::from_secs(num(args, "--idle", 120) as u64);
    let max = Duration::from_secs(num(args, "--max", 3600) as u64);
    let mock = match exllm_bench::mock::spawn(idle, max) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("mock: {e}");
            return 1;
        }
    };
    println!("{}", mock.addr);
    let _ = std::io::stdout().flush();
    let _ = mock.thread.join();
    0
}

/// `router-redis --addr A [--n N]`: Redis commands per routed call (see `routed.rs`).
fn router_redis(args: &[String]) -> i32 {
    let Some(addr) = opt(args, "--addr") else {
        eprintln!("router-redis: --addr is required");
        return 2;
    };
    match exllm_bench::routed::redis_round_trips(addr, num(args, "--n", 1000)) {
        Ok(v) => {
            println!("{v}");
            0
        }
        Err(e) => {
            eprintln!("router-redis: {e}");
            1
        }
    }
}

fn run(args: &[String]) -> i32 {
    let Some(addr) = opt(args, "--addr") else {
        eprintln!("run: --addr is required");
        return 2;
    };
    let n = num(args, "--n", 100);
    let concurrency = num(args, "--concurrency", 1);
    let w = Workload {
        client: opt(args, "--client").unwrap_or("raw").to_owned(),
        addr: addr.to_owned(),
        format: Format::parse(opt(args, "--format").unwrap_or("openai")).unwrap_or(Format::OpenAi),
        stream: flag(args, "--stream"),
        n,
        concurrency,
        model: opt(args, "--model").unwrap_or("bench-200").to_owned(),
        warmup: num(args, "--warmup", (n / 10).min(50).max(concurrency.min(n))),
    };
    match measure::run(&w) {
        Ok(m) => {
            println!("{}", serde_json::to_string(&m).unwrap());
            0
        }
        Err(e) => {
            eprintln!("run {}: {e}", w.client);
            1
        }
    }
}

/// One planned run of the suite.
#[derive(Debug, Clone)]
struct Plan {
    /// Table section.
    section: &'static str,
    /// Row label within the section.
    label: String,
    client: String,
    format: &'static str,
    stream: bool,
    n: usize,
    concurrency: usize,
    model: String,
}

struct Sizes {
    reps: usize,
    scale_reps: usize,
    seq: usize,
    conc: usize,
    streams: usize,
    scale_chunks: usize,
    scale_calls: usize,
}

fn plans(s: &Sizes, python: bool) -> (Vec<Plan>, Vec<Plan>) {
    let mut peers = vec![
        "raw",
        "exllm",
        "exllm-off",
        "exllm-traced",
        "exllm-watched",
        "async-openai",
        "genai",
    ];
    if python {
        peers.extend(["py-openai", "py-litellm"]);
    }
    let p =
        |section, label: String, client: &str, format, stream, n, concurrency, model: &str| Plan {
            section,
            label,
            client: client.to_owned(),
            format,
            stream,
            n,
            concurrency,
            model: model.to_owned(),
        };
    let mut main = Vec::new();
    for c in &peers {
        main.push(p(
            "main",
            "whole, sequential".into(),
            c,
            "openai",
            false,
            s.seq,
            1,
            "bench-200",
        ));
        main.push(p(
            "main",
            "whole, 32 in flight".into(),
            c,
            "openai",
            false,
            s.conc,
            32,
            "bench-200",
        ));
        main.push(p(
            "main",
            "stream, 200 chunks".into(),
            c,
            "openai",
            true,
            s.streams,
            1,
            "bench-200",
        ));
    }
    // genai's Gemini stream reader assumes one JSON array element per network read, which a
    // loopback server writing 16 KiB at a time does not give it: genai runs Anthropic only.
    for (f, clients) in [
        ("anthropic", &["exllm", "exllm-off", "genai"][..]),
        ("gemini", &["exllm", "exllm-off"][..]),
    ] {
        for c in clients {
            main.push(p(
                "formats",
                format!("{f} stream, 200 chunks"),
                c,
                f,
                true,
                s.streams,
                1,
                "bench-200",
            ));
        }
    }
    let mut scale = Vec::new();
    for k in [10usize, 100, 1_000, 10_000, 100_000] {
        let n = (s.scale_chunks / k).clamp(2, 1000);
        for c in ["raw", "exllm"] {
            scale.push(p(
                "chunks",
                format!("{k} chunks"),
                c,
                "openai",
                true,
                n,
                1,
                &format!("bench-{k}"),
            ));
        }
    }
    for conc in [1usize, 4, 16, 64, 256] {
        let n = s.scale_calls.max(conc * 4);
        for c in ["raw", "exllm"] {
            scale.push(p(
                "concurrency",
                format!("{conc} in flight"),
                c,
                "openai",
                false,
                n,
                conc,
                "bench-200",
            ));
        }
    }
    // 100 MB of text: 25,000 chunks of 4,000 bytes.
    for c in ["raw", "exllm", "exllm-off", "async-openai", "genai"] {
        scale.push(p(
            "memory",
            "100 MB stream".into(),
            c,
            "openai",
            true,
            1,
            1,
            "bench-25000-4000",
        ));
    }
    (main, scale)
}

fn spawn_mock(exe: &std::path::Path) -> std::io::Result<(Child, String)> {
    let mut child = Command::new(exe)
        .args(["serve", "--idle", "120", "--max", "3600"])
        .stdout(Stdio::piped())
        .spawn()?;
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line)?;
    Ok((child, line.trim().to_owned()))
}

fn run_child(
    exe: &std::path::Path,
    python: Option<&str>,
    addr: &str,
    plan: &Plan,
) -> Option<Value> {
    let mut cmd = match (plan.client.strip_prefix("py-"), python) {
        (Some(sdk), Some(py)) => {
            let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("python_runner.py");
            let mut c = Command::new(py);
            c.arg(script).args(["--client", sdk]);
            c
        }
        (Some(_), None) => return None,
        (None, _) => {
            let mut c = Command::new(exe);
            c.args(["run", "--client", &plan.client]);
            c
        }
    };
    // The Python SDKs are one to two orders of magnitude slower per call: a twentieth of the calls.
    let n = if plan.client.starts_with("py-") {
        (plan.n / 20).max(10)
    } else {
        plan.n
    };
    cmd.args(["--addr", addr, "--format", plan.format])
        .args(["--n", &n.to_string()])
        .args(["--concurrency", &plan.concurrency.to_string()])
        .args(["--model", &plan.model]);
    if plan.stream {
        cmd.arg("--stream");
    }
    let out = cmd.stderr(Stdio::inherit()).output().ok()?;
    if !out.status.success() {
        eprintln!("  {} {} failed", plan.client, plan.label);
        return None;
    }
    let line = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(line.lines().last()?).ok()
}

fn suite(args: &[String]) -> i32 {
    let quick = flag(args, "--quick");
    let sizes = if quick {
        Sizes {
            reps: 3,
            scale_reps: 1,
            seq: 2000,
            conc: 2000,
            streams: 100,
            scale_chunks: 20_000,
            scale_calls: 1000,
        }
    } else {
        Sizes {
            reps: 7,
            scale_reps: 3,
            seq: 20_000,
            conc: 20_000,
            streams: 1000,
            scale_chunks: 200_000,
            scale_calls: 5000,
        }
    };
    let sizes = Sizes {
        reps: num(args, "--reps", sizes.reps),
        ..sizes
    };
    let python = opt(args, "--python");
    let out_dir = std::path::PathBuf::from(opt(args, "--out").unwrap_or("target/exllm-bench"));
    let _ = std::fs::create_dir_all(&out_dir);
    let exe = std::env::current_exe().expect("own path");
    let (mut mock, addr) = match spawn_mock(&exe) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("suite: mock: {e}");
            return 1;
        }
    };
    eprintln!("mock at {addr}");
    let (main_plans, scale_plans) = plans(&sizes, python.is_some());
    let mut runs = std::fs::File::create(out_dir.join("runs.jsonl")).expect("runs.jsonl");
    let mut results: BTreeMap<(String, String, String), Vec<Value>> = BTreeMap::new();
    let mut order: Vec<(String, String, String)> = Vec::new();
    let started = Instant::now();
    let mut go = |plans: &[Plan], reps: usize, tag: &str| {
        for rep in 0..reps {
            eprintln!(
                "[{:>5.0}s] {tag} repetition {}/{reps}",
                started.elapsed().as_secs_f64(),
                rep + 1
            );
            // Peers interleave: each repetition walks the plans, rotated so no client is always first.
            let shift = rep % plans.len().max(1);
            for plan in plans.iter().cycle().skip(shift).take(plans.len()) {
                let Some(mut v) = run_child(&exe, python, &addr, plan) else {
                    continue;
                };
                // The repetition pairs this run with the other clients' runs of the same round.
                if let Some(o) = v.as_object_mut() {
                    o.insert("rep".into(), rep.into());
                }
                let _ = writeln!(
                    runs,
                    "{}",
                    serde_json::json!({"section": plan.section, "label": plan.label, "format": plan.format, "run": v})
                );
                let key = (
                    plan.section.to_owned(),
                    plan.label.clone(),
                    plan.client.clone(),
                );
                if !order.contains(&key) {
                    order.push(key.clone());
                }
                results.entry(key).or_default().push(v);
            }
        }
    };
    go(&main_plans, sizes.reps, "peers");
    go(&scale_plans, sizes.scale_reps, "scaling");
    let _ = mock.kill();
    let _ = mock.wait();
    let elapsed = started.elapsed();
    let md = report(&order, &results, elapsed, quick);
    print!("{md}");
    let _ = std::fs::write(out_dir.join("summary.md"), &md);
    0
}

fn median(vals: &[Value], field: &str) -> f64 {
    median_of(vals.iter().filter_map(|r| r[field].as_f64()).collect())
}

/// The median of the per-repetition ratios `a / b` (runs paired by repetition): a slow spell
/// of the shared machine slows both runs of a round, so their ratio moves less than either.
fn paired_ratio(a: &[Value], b: &[Value], field: &str) -> f64 {
    let ratios = a
        .iter()
        .filter_map(|x| {
            let y = b.iter().find(|y| y["rep"] == x["rep"])?;
            Some(x[field].as_f64()? / y[field].as_f64()?)
        })
        .collect();
    median_of(ratios)
}

fn median_of(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let m = v.len() / 2;
    if v.len() % 2 == 1 {
        v[m]
    } else {
        (v[m - 1] + v[m]) / 2.0
    }
}

fn fmt_lat(us: f64) -> String {
    if us >= 10_000.0 {
        format!("{:.1} ms", us / 1000.0)
    } else {
        format!("{us:.0} µs")
    }
}

fn report(
    order: &[(String, String, String)],
    results: &BTreeMap<(String, String, String), Vec<Value>>,
    elapsed: Duration,
    quick: bool,
) -> String {
    let mut md = String::new();
    let get = |s: &str, l: &str, c: &str, f: &str| {
        results
            .get(&(s.to_owned(), l.to_owned(), c.to_owned()))
            .map(|v| median(v, f))
    };
    let paired = |s: &str, l: &str, a: &str, b: &str, f: &str| {
        let runs = |c: &str| results.get(&(s.to_owned(), l.to_owned(), c.to_owned()));
        Some(paired_ratio(runs(a)?, runs(b)?, f)).filter(|r| r.is_finite())
    };
    let cost = |stream: bool| {
        if stream {
            "cpu_ns_per_chunk"
        } else {
            "cpu_us_per_call"
        }
    };
    md.push_str(&format!(
        "Suite took {:.0} s ({}). Medians of the repetitions; CPU is the client process only (user + sys).\n\n",
        elapsed.as_secs_f64(),
        if quick { "`--quick`" } else { "full" }
    ));
    let sections = [
        ("main", "Peers, OpenAI chat format"),
        (
            "formats",
            "Other stream formats (ratio against the raw OpenAI floor of the same size)",
        ),
        ("chunks", "Scaling: stream length (CPU per chunk)"),
        ("concurrency", "Scaling: calls in flight (whole responses)"),
        (
            "memory",
            "Scaling: memory for one 100 MB stream (25,000 chunks × 4,000 bytes)",
        ),
    ];
    for (section, title) in sections {
        let rows: Vec<_> = order.iter().filter(|k| k.0 == section).collect();
        if rows.is_empty() {
            continue;
        }
        md.push_str(&format!("### {title}\n\n"));
        md.push_str("| scenario | client | CPU | × raw | p50 | p99 | calls/s | peak RSS |\n|---|---|---|---|---|---|---|---|\n");
        let mut labels: Vec<&String> = Vec::new();
        for k in &rows {
            if !labels.contains(&&k.1) {
                labels.push(&k.1);
            }
        }
        for label in labels {
            for k in rows.iter().filter(|k| &k.1 == label) {
                let vals = &results[*k];
                let stream = vals[0]["stream"].as_bool().unwrap_or(false);
                let field = cost(stream);
                let mine = median(vals, field);
                let floor = if section == "formats" {
                    get("main", "stream, 200 chunks", "raw", field)
                } else {
                    get(section, label, "raw", field)
                };
                let ratio = floor.map_or("–".to_owned(), |f| format!("{:.2}×", mine / f));
                let unit = if stream { "ns/chunk" } else { "µs/call" };
                md.push_str(&format!(
                    "| {label} | {} | {:.1} {unit} | {ratio} | {} | {} | {:.0} | {:.1} MB |\n",
                    k.2,
                    mine,
                    fmt_lat(median(vals, "p50_us")),
                    fmt_lat(median(vals, "p99_us")),
                    median(vals, "calls_per_s"),
                    median(vals, "peak_rss_kb") / 1024.0,
                ));
            }
        }
        md.push('\n');
    }
    // Targets.
    md.push_str("### Targets (same run)\n\nEach ratio is the median over the repetitions of the ratio within a repetition (the\nclients of one repetition run back to back, so a slow spell of the machine slows both).\n\n| target | measured | met |\n|---|---|---|\n");
    // (what, client, against, limit): each over the three main scenarios; against raw, each
    // scenario has its own limit.
    const TARGETS: [(&str, &str, &str, Option<f64>); 3] = [
        ("exllm vs raw", "exllm", "raw", None),
        ("exllm layers on vs off", "exllm", "exllm-off", Some(1.1)),
        (
            "exllm telemetry (spans + metrics) on vs off",
            "exllm-traced",
            "exllm",
            Some(1.05),
        ),
    ];
    const SCENARIOS: [(&str, &str, f64); 3] = [
        ("whole, sequential", "cpu_us_per_call", 1.2),
        ("whole, 32 in flight", "cpu_us_per_call", 1.2),
        ("stream, 200 chunks", "cpu_ns_per_chunk", 1.3),
    ];
    for (what, client, against, limit) in TARGETS {
        for (scenario, field, vs_raw) in SCENARIOS {
            let limit = limit.unwrap_or(vs_raw);
            if let Some(r) = paired("main", scenario, client, against, field) {
                md.push_str(&format!(
                    "| {what}, {scenario}: CPU ≤ {limit}× | {r:.3}× | {} |\n",
                    if r <= limit { "yes" } else { "**no**" }
                ));
            }
        }
    }
    // Not a target: what one callback on every response and stream event adds.
    for (scenario, field, _) in SCENARIOS {
        if let Some(r) = paired("main", scenario, "exllm-watched", "exllm", field) {
            md.push_str(&format!(
                "| exllm telemetry + one callback vs off, {scenario} (no target) | {r:.3}× | — |\n"
            ));
        }
    }
    md.push('\n');
    md
}
