//! Health probes against a loopback provider: `Router::probe` feeds the state like a call,
//! and background probes at the configured interval cool a failing deployment and record
//! the latency of an answering one, without any caller's request.

use crate::router::{dep, ok};
use crate::support::{Reply, TestServer};
use exllm::router::{CooldownPolicy, Router, RouterConfig, RouterSettings};
use exllm::ErrorKind;
use std::time::Duration;

fn down() -> Reply {
    Reply::json(500, r#"{"error":{"message":"down"}}"#)
}

#[tokio::test]
async fn background_probes_cool_a_failing_deployment_then_record_its_latency() {
    let server = TestServer::start(vec![down(), ok(), ok(), ok(), ok(), ok(), ok(), ok()]).await;
    let r = Router::builder()
        .deployment(dep("g", &server))
        .settings(RouterSettings {
            health_interval: Some(Duration::from_millis(150)),
            cooldown: CooldownPolicy {
                allowed_fails: 1,
                cooldown: Duration::from_millis(300),
                ..Default::default()
            },
            ..Default::default()
        })
        .env_lookup(|_| None)
        .build()
        .unwrap();
    // The first probe meets the 500: the deployment cools, nobody having called it.
    let mut cooled = false;
    for _ in 0..40 {
        tokio::time::sleep(Duration::from_millis(25)).await;
        if r.stats("g#0").unwrap().cooling_until.is_some() {
            cooled = true;
            break;
        }
    }
    assert!(cooled, "the failed probe cools the deployment");
    // After the cooldown a probe gets an answer: the deployment is back, with a latency.
    let mut back = None;
    for _ in 0..80 {
        tokio::time::sleep(Duration::from_millis(25)).await;
        let st = r.stats("g#0").unwrap();
        if st.cooling_until.is_none() && st.per_token_ms.is_some() {
            back = Some(st);
            break;
        }
    }
    assert!(back.is_some(), "a later probe answered");
    assert!(server.request_count() >= 2);
    // The probes end with the router.
    drop(r);
    tokio::time::sleep(Duration::from_millis(400)).await;
    let after = server.request_count();
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        server.request_count(),
        after,
        "no probes once the router is gone"
    );
}

#[tokio::test]
async fn a_probe_of_a_cooling_deployment_sends_nothing() {
    let server = TestServer::start(vec![Reply::json(
        429,
        r#"{"error":{"message":"slow down"}}"#,
    )
    .header("retry-after", "30")])
    .await;
    let r = Router::builder()
        .deployment(dep("g", &server))
        .env_lookup(|_| None)
        .build()
        .unwrap();
    let e = r.probe("g#0").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::RateLimit);
    let e = r.probe("g#0").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::CircuitOpen, "{e}");
    assert!(e.retry_after().unwrap() > Duration::from_secs(20));
    assert_eq!(server.request_count(), 1);
    assert_eq!(
        r.probe("nope").await.unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    let cfg = RouterConfig::from_toml(
        "health_interval = \"45s\"\n[[deployments]]\ngroup = \"g\"\nmodel = \"openai/x\"\n",
        "router.toml",
    )
    .unwrap();
    assert_eq!(cfg.settings.health_interval, Some(Duration::from_secs(45)));
    assert!(cfg.warnings.is_empty(), "{:?}", cfg.warnings);
}
