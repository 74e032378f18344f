//! The command lines of `exllm-bench load` (one load on any endpoint, for trying a gateway
//! by hand) and `exllm-bench gateway` (the whole benchmark over a targets file).

use std::time::Duration;

use super::{Run, Sizes, Target};
use crate::loadgen::{self, Load};

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

/// `load --addr A [--path P] [--header K:V]... [--model M] [--stream] [--concurrency C]
/// [--n N] [--secs S]`: prints one JSON line.
pub fn load_cmd(args: &[String]) -> i32 {
    let Some(addr) = opt(args, "--addr") else {
        eprintln!("load: --addr is required");
        return 2;
    };
    let headers = args
        .windows(2)
        .filter(|w| w[0] == "--header")
        .filter_map(|w| w[1].split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let model = opt(args, "--model").unwrap_or("bench-200").to_owned();
    let stream = args.iter().any(|a| a == "--stream");
    let l = Load {
        addr: addr.to_owned(),
        path: opt(args, "--path")
            .unwrap_or("/v1/chat/completions")
            .to_owned(),
        headers,
        min_events: if stream {
            crate::mock::shape(model.as_bytes()).0
        } else {
            0
        },
        model,
        stream,
        concurrency: num(args, "--concurrency", 1),
        n: num(args, "--n", 1000),
        max: Duration::from_secs(num(args, "--secs", 60) as u64),
    };
    match loadgen::run(&l) {
        Ok(s) => {
            println!("{}", serde_json::to_string(&s).unwrap_or_default());
            i32::from(s.ok == 0)
        }
        Err(e) => {
            eprintln!("load: {e}");
            1
        }
    }
}

/// `gateway --targets FILE --mock ADDR --mock-pid PID [--quick] [--reps R] [--soak SECS]
/// [--redis URL] [--out DIR]`: prints the summary and writes it to DIR.
pub fn gateway_cmd(args: &[String]) -> i32 {
    let (Some(file), Some(mock), Some(mock_pid)) = (
        opt(args, "--targets"),
        opt(args, "--mock"),
        opt(args, "--mock-pid").and_then(|p| p.parse().ok()),
    ) else {
        eprintln!("gateway: --targets, --mock and --mock-pid are required");
        return 2;
    };
    let targets: Vec<Target> = match std::fs::read_to_string(file)
        .map_err(|e| e.to_string())
        .and_then(|t| serde_json::from_str(&t).map_err(|e| e.to_string()))
    {
        Ok(t) => t,
        Err(e) => {
            eprintln!("gateway: {file}: {e}");
            return 2;
        }
    };
    let quick = args.iter().any(|a| a == "--quick");
    let mut sizes = if quick { Sizes::quick() } else { Sizes::full() };
    sizes.reps = num(args, "--reps", sizes.reps).max(1);
    if let Some(s) = opt(args, "--soak").and_then(|s| s.parse().ok()) {
        sizes.soak = Duration::from_secs(s);
    }
    let run = Run {
        targets,
        mock: (mock.to_owned(), mock_pid),
        sizes,
        redis_url: opt(args, "--redis").map(str::to_owned),
        out: opt(args, "--out").unwrap_or("target/gateway-bench").into(),
        quick,
    };
    match run.go() {
        Ok(md) => {
            print!("{md}");
            0
        }
        Err(e) => {
            eprintln!("gateway: {e}");
            1
        }
    }
}
