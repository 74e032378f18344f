//! `exllm health`: each deployment of the router config with its state as the router's state
//! holds it — cooling or not and until when, requests in flight, recent latency, RPM/TPM
//! headroom. The default state lives in this process, so a fresh `exllm health` shows what a
//! shared state (or this process's own calls) recorded.

use crate::output;
use clap::Args;
use serde_json::json;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

#[derive(Args)]
pub struct HealthArgs {
    /// One JSON object: `deployments`, each with its state.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    router: crate::router_config::RouterArg,
}

pub async fn run(args: HealthArgs) -> u8 {
    let router = match crate::router_config::require(&args.router) {
        Ok(r) => r,
        Err(e) => return output::report(&e, args.json),
    };
    let now = Instant::now();
    let wall = SystemTime::now();
    let mut items = Vec::new();
    let mut rows = Vec::new();
    for d in router.deployments() {
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
    }
    if args.json {
        output::emit(json!({ "deployments": items }));
    } else {
        output::table(
            &[
                "DEPLOYMENT",
                "GROUP",
                "MODEL",
                "STATE",
                "IN FLIGHT",
                "TTFT",
                "PER TOKEN",
            ],
            &rows,
        );
    }
    0
}
