//! The gateway benchmark's Markdown: one row per gateway, ratios to the peers, the targets
//! of issues 17 and 18 with "met" or not, and the Redis commands per request.

use std::time::Duration;

use serde_json::Value;

use super::Sizes;

fn rows<'a>(all: &'a [Value], target: &str, phase: &str) -> Vec<&'a Value> {
    all.iter()
        .filter(|v| v["target"] == target && v["phase"] == phase)
        .collect()
}

fn median(mut v: Vec<f64>) -> Option<f64> {
    v.retain(|x| x.is_finite());
    if v.is_empty() {
        return None;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    let m = v.len() / 2;
    Some(if v.len() % 2 == 1 {
        v[m]
    } else {
        (v[m - 1] + v[m]) / 2.0
    })
}

/// The median of `field` over a target's runs of `phase`.
fn med(all: &[Value], target: &str, phase: &str, field: &str) -> Option<f64> {
    median(
        rows(all, target, phase)
            .iter()
            .filter_map(|v| v[field].as_f64())
            .collect(),
    )
}

/// The median over repetitions of `f(a's run, b's run)` for runs of the same repetition.
fn paired(
    all: &[Value],
    a: &str,
    b: &str,
    phase: &str,
    f: impl Fn(&Value, &Value) -> Option<f64>,
) -> Option<f64> {
    let bs = rows(all, b, phase);
    median(
        rows(all, a, phase)
            .iter()
            .filter_map(|x| {
                let y = bs.iter().find(|y| y["rep"] == x["rep"])?;
                f(x, y)
            })
            .collect(),
    )
}

fn field_ratio(field: &'static str) -> impl Fn(&Value, &Value) -> Option<f64> {
    move |x, y| Some(x[field].as_f64()? / y[field].as_f64()?)
}

fn added(all: &[Value], target: &str, field: &'static str) -> Option<f64> {
    paired(all, target, "direct", "c1", move |x, y| {
        Some(x[field].as_f64()? - y[field].as_f64()?)
    })
}

fn us(v: Option<f64>) -> String {
    match v {
        None => "–".into(),
        Some(v) if v.abs() >= 10_000.0 => format!("{:.1} ms", v / 1000.0),
        Some(v) if v.abs() >= 100.0 => format!("{v:.0} µs"),
        Some(v) => format!("{v:.1} µs"),
    }
}

fn ns(v: Option<f64>) -> String {
    match v {
        None => "–".into(),
        Some(v) if v >= 10_000.0 => format!("{:.1} µs", v / 1000.0),
        Some(v) => format!("{v:.0} ns"),
    }
}

fn mib(kb: Option<f64>) -> String {
    kb.map_or("–".into(), |k| format!("{:.1} MiB", k / 1024.0))
}

fn num(v: Option<f64>, unit: &str) -> String {
    v.map_or("–".into(), |v| format!("{v:.0}{unit}"))
}

fn ratio(v: Option<f64>) -> String {
    v.filter(|v| v.is_finite())
        .map_or("–".into(), |v| format!("{v:.1}×"))
}

fn errors(all: &[Value], target: &str) -> u64 {
    all.iter()
        .filter(|v| v["target"] == target)
        .filter_map(|v| v["errors"].as_u64())
        .sum()
}

/// The whole Markdown section body.
pub fn summary(
    all: &[Value],
    names: &[String],
    elapsed: Duration,
    quick: bool,
    s: &Sizes,
) -> String {
    let mut md = String::new();
    md.push_str(&format!(
        "Run took {:.0} s ({}; {} repetition(s); soak {} s). Medians over the repetitions.\n\n",
        elapsed.as_secs_f64(),
        if quick { "`--quick`" } else { "full" },
        s.reps,
        s.soak.as_secs()
    ));
    md.push_str("| gateway | CPU/request, c=1 | CPU/request, c=64 | p50 added, c=1 | p99 added, c=1 | requests/s, c=64 | CPU/chunk (stream) | peak RSS after c=256 | soak RSS growth | failed requests |\n|---|---|---|---|---|---|---|---|---|---|\n");
    let m = |t: &str, p: &str, f: &str| med(all, t, p, f);
    md.push_str(&format!(
        "| mock alone (direct) | {} (mock) | {} (mock) | p50 {} | p99 {} | {} | {} (mock) | {} (mock) | – | {} |\n",
        us(m("direct", "c1", "cpu_us_per_req")),
        us(m("direct", "c64", "cpu_us_per_req")),
        us(m("direct", "c1", "p50_us")),
        us(m("direct", "c1", "p99_us")),
        num(m("direct", "c64", "rps"), ""),
        ns(m("direct", "stream", "cpu_ns_per_chunk")),
        mib(m("direct", "c256", "hwm_kb")),
        errors(all, "direct"),
    ));
    for t in names {
        let soak = m(t, "soak", "growth_pct").map_or("–".into(), |g| format!("{g:+.1} %"));
        md.push_str(&format!(
            "| {t} | {} | {} | {} | {} | {} | {} | {} | {soak} | {} |\n",
            us(m(t, "c1", "cpu_us_per_req")),
            us(m(t, "c64", "cpu_us_per_req")),
            us(added(all, t, "p50_us")),
            us(added(all, t, "p99_us")),
            num(m(t, "c64", "rps"), ""),
            ns(m(t, "stream", "cpu_ns_per_chunk")),
            mib(m(t, "c256", "hwm_kb")),
            errors(all, t),
        ));
    }
    md.push_str(
        "\nCPU is the gateway's process tree only (`utime + stime` from `/proc/PID/stat`); \
         \"added\" is the gateway's latency minus the mock's, called directly in the same \
         repetition; the mock, the load generator and the gateway share the machine's cores.\n",
    );
    let mock_c64 = names
        .iter()
        .find(|n| *n == "exllm")
        .and_then(|n| m(n, "c64", "mock_cpu_us_per_req"));
    if let Some(mc) = mock_c64 {
        md.push_str(&format!(
            "Through exllm at c=64 the mock itself spent {} of CPU per request.\n",
            us(Some(mc))
        ));
    }
    // Ratios to the peers.
    let peers: Vec<&String> = names.iter().filter(|n| !n.starts_with("exllm")).collect();
    if names.iter().any(|n| n == "exllm") && !peers.is_empty() {
        md.push_str("\n### Peers against exllm (same run; > 1× means exllm is better)\n\n| peer | CPU/request c=1 (peer ÷ exllm) | CPU/request c=64 | p50 added | requests/s c=64 (exllm ÷ peer) | CPU/chunk | peak RSS |\n|---|---|---|---|---|---|---|\n");
        for p in peers {
            let r = |phase: &str, f: &'static str| paired(all, p, "exllm", phase, field_ratio(f));
            let add = match (added(all, p, "p50_us"), added(all, "exllm", "p50_us")) {
                (Some(a), Some(b)) if b > 0.0 => Some(a / b),
                _ => None,
            };
            let rss = match (m(p, "c256", "hwm_kb"), m("exllm", "c256", "hwm_kb")) {
                (Some(a), Some(b)) => Some(a / b),
                _ => None,
            };
            md.push_str(&format!(
                "| {p} | {} | {} | {} | {} | {} | {} |\n",
                ratio(r("c1", "cpu_us_per_req")),
                ratio(r("c64", "cpu_us_per_req")),
                ratio(add),
                ratio(paired(all, "exllm", p, "c64", field_ratio("rps"))),
                ratio(r("stream", "cpu_ns_per_chunk")),
                ratio(rss),
            ));
        }
    }
    let failures: Vec<String> = all
        .iter()
        .filter(|v| v["errors"].as_u64().unwrap_or(0) > 0)
        .map(|v| {
            format!(
                "- {} ({}): {} failed; first: {}\n",
                v["target"].as_str().unwrap_or("?"),
                v["phase"].as_str().unwrap_or("?"),
                v["errors"],
                v["first_error"].as_str().unwrap_or("?").replace('|', "\\|")
            )
        })
        .collect();
    if !failures.is_empty() {
        md.push_str("\nFailed requests:\n\n");
        for f in failures {
            md.push_str(&f);
        }
    }
    md.push_str(&targets(all, names));
    md.push_str(&redis(all, names));
    md
}

fn targets(all: &[Value], names: &[String]) -> String {
    if !names.iter().any(|n| n == "exllm") {
        return String::new();
    }
    let m = |t: &str, p: &str, f: &str| med(all, t, p, f);
    let mut md = String::from(
        "\n### Targets (issues 17 and 18)\n\n| target | measured | met |\n|---|---|---|\n",
    );
    let mut row = |what: &str, v: Option<f64>, shown: String, ok: &dyn Fn(f64) -> bool| {
        let met = match v {
            Some(v) if ok(v) => "yes",
            Some(_) => "**no**",
            None => "not measured",
        };
        md.push_str(&format!("| {what} | {shown} | {met} |\n"));
    };
    let cpu = m("exllm", "c1", "cpu_us_per_req");
    row(
        "CPU per proxied request ≤ 100 µs (c=1)",
        cpu,
        us(cpu),
        &|v| v <= 100.0,
    );
    let cpu64 = m("exllm", "c64", "cpu_us_per_req");
    row(
        "… and at c=64 (not a target of its own)",
        cpu64,
        us(cpu64),
        &|v| v <= 100.0,
    );
    let p50 = added(all, "exllm", "p50_us");
    row("added latency p50 ≤ 0.2 ms (c=1)", p50, us(p50), &|v| {
        v <= 200.0
    });
    let rps = m("exllm", "c64", "rps");
    row(
        "≥ 10,000 requests/s at c=64, mock included",
        rps,
        num(rps, "/s"),
        &|v| v >= 10_000.0,
    );
    let chunk = m("exllm", "stream", "cpu_ns_per_chunk");
    row(
        "≤ 2 µs of gateway CPU per streamed chunk",
        chunk,
        ns(chunk),
        &|v| v <= 2_000.0,
    );
    let rss = m("exllm", "c256", "hwm_kb");
    row("peak RSS ≤ 50 MiB at c=256", rss, mib(rss), &|v| {
        v <= 50.0 * 1024.0
    });
    let soak = m("exllm", "soak", "growth_pct");
    row(
        "soak: RSS grows < 10 %",
        soak,
        soak.map_or("–".into(), |g| format!("{g:+.1} %")),
        &|v| v < 10.0,
    );
    for gov in names.iter().filter(|n| n.starts_with("exllm-gov")) {
        for phase in ["c1", "c64"] {
            let r = paired(all, gov, "exllm", phase, field_ratio("cpu_us_per_req"));
            row(
                &format!("{gov} CPU/request ÷ exllm, {phase}: ≤ 2×"),
                r,
                r.map_or("–".into(), |r| format!("{r:.2}×")),
                &|v| v <= 2.0,
            );
        }
    }
    md
}

fn redis(all: &[Value], names: &[String]) -> String {
    let mut md = String::new();
    for t in names {
        let Some(v) = rows(all, t, "redis").into_iter().next() else {
            continue;
        };
        if md.is_empty() {
            md.push_str("\n### Redis commands per request (router state in Redis)\n\n| gateway | commands sent per request (`MONITOR`, script-internal ones left out) | of them | `EVALSHA` per request (`INFO commandstats`) | server commands incl. those inside scripts |\n|---|---|---|---|---|\n");
        }
        let by = v["by_command_per_req"]
            .as_object()
            .map(|o| {
                o.iter()
                    .map(|(k, n)| format!("{k} {:.2}", n.as_f64().unwrap_or(0.0)))
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default();
        let f = |k: &str| v[k].as_f64().map_or("–".into(), |x| format!("{x:.2}"));
        md.push_str(&format!(
            "| {t} | {} | {by} | {} | {} |\n",
            f("round_trips_per_req"),
            f("evalsha_per_req"),
            f("server_commands_incl_lua_per_req"),
        ));
    }
    md
}
