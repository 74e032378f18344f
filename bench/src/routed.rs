//! The router under test: a group of two deployments of the same model on the loopback mock,
//! its state in memory (`exllm-routed`) or in a real redis-server (`exllm-routed-redis`,
//! `EXLLM_BENCH_REDIS`, default `redis://127.0.0.1:6379/`), and `router-redis`: the Redis
//! commands a routed call costs, counted by the router (round trips on the call's path) and by
//! the server (`INFO`: the `EVALSHA` round trips, the settlements sent off the path included).

use crate::clients::BoxError;
use exllm::router::{Deployment, RedisState, RedisStateConfig, Router};
use serde_json::{json, Value};
use std::sync::Arc;

/// The Redis server of the `-redis` variants.
pub fn redis_url() -> String {
    std::env::var("EXLLM_BENCH_REDIS").unwrap_or_else(|_| "redis://127.0.0.1:6379/".into())
}

/// A router whose group `model` has two deployments of `provider/model` at `base`; with
/// `redis`, its state in that server (under a prefix of its own). Call within a runtime.
pub fn router(
    provider: &str,
    base: &str,
    model: &str,
    redis: Option<String>,
) -> Result<(Router, Option<Arc<RedisState>>), BoxError> {
    let dep = |n: u32| {
        Deployment::new(model, format!("{provider}/{model}"))
            .id(format!("d{n}"))
            .api_base(base)
            .api_key("sk-bench")
    };
    let mut b = Router::builder()
        .deployment(dep(0))
        .deployment(dep(1))
        .env_lookup(|_| None);
    let mut state = None;
    if let Some(url) = redis {
        let s = Arc::new(RedisState::new(RedisStateConfig {
            url,
            prefix: format!("exllm-bench:{}:", std::process::id()),
            ..Default::default()
        })?);
        b = b.state(s.clone());
        state = Some(s);
    }
    Ok((b.build()?, state))
}

/// The server's count of commands (`INFO stats`: this Redis counts the commands run inside
/// the Lua scripts too), and of `EVALSHA` calls (`INFO commandstats`: one per round trip of
/// the router's).
fn server_counts(url: &str) -> Result<(u64, u64), BoxError> {
    let out = std::process::Command::new("redis-cli")
        .args(["-u", url, "INFO", "all"])
        .output()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let field = |line: &str, key: &str| {
        line.split(',')
            .find_map(|kv| kv.strip_prefix(key))
            .and_then(|v| v.trim().parse::<u64>().ok())
    };
    let (mut all, mut evalsha) = (0, 0);
    for line in text.lines() {
        if let Some(n) = field(line, "total_commands_processed:") {
            all = n;
        }
        if let Some(rest) = line.strip_prefix("cmdstat_evalsha:") {
            evalsha = field(rest, "calls=").unwrap_or(0);
        }
    }
    Ok((all, evalsha))
}

/// `router-redis --addr A [--n N]`: `n` sequential routed calls with the state in Redis;
/// prints the Redis round trips per call on the call's path (the router's count) and the
/// server's counts per call (its own `INFO` call excluded): `EVALSHA`s (the admit on the
/// call's path, the settlement sent after it) and every command including those the scripts
/// run.
pub fn redis_round_trips(addr: &str, n: usize) -> Result<Value, BoxError> {
    let url = redis_url();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let base = format!("http://{addr}/v1");
        let (router, state) = router("openai", &base, "bench-200", Some(url.clone()))?;
        let state = state.ok_or("no redis state")?;
        let ask = || {
            exllm::ChatRequest::new(
                "bench-200",
                vec![exllm::Message::user("What is the capital of France?")],
            )
            .with_max_tokens(256)
        };
        // Warm: the connection is open and the scripts loaded.
        for _ in 0..10 {
            router.chat(ask()).await?;
        }
        state.flush().await;
        let c0 = state.counters();
        let (all0, eval0) = server_counts(&url)?;
        for _ in 0..n {
            router.chat(ask()).await?;
        }
        state.flush().await;
        let c1 = state.counters();
        let (all1, eval1) = server_counts(&url)?;
        let per = |a: u64, b: u64| (b - a) as f64 / n as f64;
        Ok(json!({
            "calls": n,
            "admits": c1.admits - c0.admits,
            "admit_round_trips_per_call": per(c0.admit_round_trips, c1.admit_round_trips),
            "settles_per_call": per(c0.settles, c1.settles),
            "server_commands_incl_lua_per_call": per(all0, all1.saturating_sub(1)),
            "server_evalsha_per_call": per(eval0, eval1),
            "unavailable": c1.unavailable - c0.unavailable,
        }))
    })
}
