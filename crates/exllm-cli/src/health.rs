//! `exllm health`: each deployment of the router config with its state as the router's state
//! holds it — cooling or not and until when, requests in flight, recent latency, RPM/TPM
//! headroom. The default state lives in this process, so a fresh `exllm health` shows what a
//! shared state (or this process's own calls) recorded; `--probe` also sends each deployment
//! a one-token request first, which feeds that state (a 429 cools the deployment).

use crate::output;
use clap::Args;
use exllm::router::Router;
use exllm::{ChatRequest, Message};
use serde_json::json;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

#[derive(Args)]
pub struct HealthArgs {
    /// One JSON object: `deployments`, each with its state.
    #[arg(long)]
    json: bool,
    /// Also send each deployment a one-token request and show how it answered.
    #[arg(long)]
    probe: bool,
    #[command(flatten)]
    router: crate::router_config::RouterArg,
}

pub async fn run(args: HealthArgs) -> u8 {
    let router = match crate::router_config::require(&args.router) {
        Ok(r) => r,
        Err(e) => return output::report(&e, args.json),
    };
    let probes = if args.probe {
        probe_all(&router).await
    } else {
        Vec::new()
    };
    let now = Instant::now();
    let wall = SystemTime::now();
    let mut items = Vec::new();
    let mut rows = Vec::new();
    for (n, d) in router.deployments().enumerate() {
        let st = router.stats(&d.id).unwrap_or_default();
        let left = st.cooling_until.map(|u| u.saturating_duration_since(now));
        let until_unix = left.and_then(|l| (wall + l).duration_since(UNIX_EPOCH).ok());
        items.push(json!({
            "deployment": d.id,
            "group": d.group,
            "model": d.model,
            "state": if left.is_some() { "cooling" } else { "ok" },
            "cooling_for_s": left.map(|l| l.as_secs_f64()),
            "cooling_until_unix": until_unix.map(|t| t.as_secs_f64()),
            "in_flight": st.in_flight,
            "ttft_ms": st.ttft_ms,
            "per_token_ms": st.per_token_ms,
            "headroom": st.headroom,
            "rpm": d.rpm,
            "tpm": d.tpm,
        }));
        if let Some(p) = probes.get(n) {
            items[n]["probe"] = p.clone();
        }
        let ms = |v: Option<f64>| v.map_or("-".into(), |v| format!("{v:.1}ms"));
        rows.push(vec![
            d.id.clone(),
            d.group.clone(),
            d.model.clone(),
            match left {
                Some(l) => format!("cooling ({:.1}s more)", l.as_secs_f64()),
                None => "ok".into(),
            },
            st.in_flight.to_string(),
            ms(st.ttft_ms),
            ms(st.per_token_ms),
        ]);
        if let Some(p) = probes.get(n) {
            rows[n].push(match p["error"].as_str() {
                Some(kind) => format!("failed: {kind} after {}ms", p["latency_ms"]),
                None => format!("answered in {}ms", p["latency_ms"]),
            });
        }
    }
    if args.json {
        output::emit(json!({ "deployments": items }));
    } else {
        let mut head = vec![
            "DEPLOYMENT",
            "GROUP",
            "MODEL",
            "STATE",
            "IN FLIGHT",
            "TTFT",
            "PER TOKEN",
        ];
        if args.probe {
            head.push("PROBE");
        }
        output::table(&head, &rows);
    }
    0
}

/// One one-token request per deployment, each through a router of that deployment alone (so
/// that it is not routed elsewhere) sharing the router's state, all at once; in
/// configuration order.
async fn probe_all(router: &Router) -> Vec<serde_json::Value> {
    let calls = router.deployments().map(|d| {
        let d = d.clone();
        let state = router.state().clone();
        async move {
            // The router's own state: what the probe finds (a 429, a latency) shows as its state.
            let one = Router::builder()
                .deployment(d.clone())
                .state(state)
                .client_template(crate::local::register(exllm::Client::builder()))
                .settings(exllm::router::RouterSettings {
                    max_attempts: 1,
                    ..Default::default()
                })
                .build();
            let mut req = ChatRequest::new(d.group.clone(), vec![Message::user("ping")]);
            req.max_tokens = Some(1);
            let t0 = Instant::now();
            let result = match one {
                Ok(one) => one.chat(req).await.map(|_| ()),
                Err(e) => Err(e),
            };
            let ms = t0.elapsed().as_millis() as u64;
            match result {
                Ok(()) => json!({ "latency_ms": ms }),
                Err(e) => json!({
                    "latency_ms": ms,
                    "error": format!("{:?}", e.kind()),
                    "status": e.status(),
                    "message": e.message(),
                }),
            }
        }
    });
    futures_util::future::join_all(calls).await
}
