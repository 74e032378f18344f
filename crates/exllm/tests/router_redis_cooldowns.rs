//! [`SharedCooldowns`] against a real `redis-server`: a deployment one router (standing for
//! one process) saw rate limited is skipped by another that never called it, without a
//! request waiting for Redis; with Redis out of reach, calls go on and the outage is counted.
#![cfg(feature = "redis")]

use crate::router::{ask, dep, ok};
use crate::support::redis::Redis;
use crate::support::{Reply, TestServer};
use exllm::router::{Router, RouterSettings, RouterState, SharedCooldowns, SharedCooldownsConfig};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn shared(url: String) -> Arc<SharedCooldowns> {
    let cfg = SharedCooldownsConfig {
        url,
        prefix: "cool:".into(),
        timeout: Duration::from_millis(300),
        refresh: Duration::from_millis(50),
        ..Default::default()
    };
    Arc::new(SharedCooldowns::new(cfg, Default::default()).unwrap())
}

fn limited() -> Reply {
    Reply::json(
        429,
        r#"{"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}}"#,
    )
    .header("retry-after", "30")
}

/// The sick deployment comes first (`order` 1): a router calls it unless it knows it cools.
fn build(sick: &TestServer, well: &TestServer, state: Arc<SharedCooldowns>) -> Router {
    Router::builder()
        .deployment(dep("g", sick).order(1))
        .deployment(dep("g", well).order(2))
        .settings(RouterSettings {
            seed: Some(3),
            ..Default::default()
        })
        .state(state)
        .env_lookup(|_| None)
        .build()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deployment_one_process_cooled_is_skipped_by_another() {
    let redis = Redis::start();
    let sick = TestServer::start(vec![limited(), limited()]).await;
    let well = TestServer::start((0..6).map(|_| ok()).collect()).await;
    let (s1, s2) = (shared(redis.url()), shared(redis.url()));
    let (r1, r2) = (
        build(&sick, &well, s1.clone()),
        build(&sick, &well, s2.clone()),
    );
    // The first process meets the 429 and falls back within the call.
    r1.chat(ask("g")).await.unwrap();
    assert_eq!(sick.request_count(), 1);
    s1.flush().await;
    assert_eq!(s1.counters().published, 1);
    // The second learns of it at its next refresh and never calls the sick deployment.
    let deadline = Instant::now() + Duration::from_secs(5);
    while s2.counters().applied == 0 {
        assert!(Instant::now() < deadline, "{:?}", s2.counters());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let until = r2.stats("g#0").unwrap().cooling_until.expect("cooling");
    assert!(until > Instant::now() + Duration::from_secs(25));
    for _ in 0..5 {
        let resp = r2.chat(ask("g")).await.unwrap();
        assert_eq!(resp.route.unwrap().attempts.len(), 1);
    }
    assert_eq!((sick.request_count(), well.request_count()), (1, 6));
    // Reading its own cooldown back does not lengthen it or count as another's.
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(s1.counters().applied, 0);
    assert_eq!(s2.counters().published, 0);
}

#[tokio::test]
async fn with_redis_out_of_reach_calls_go_on_and_the_outage_is_counted() {
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let s = shared(format!("redis://127.0.0.1:{port}/"));
    let sick = TestServer::start(vec![limited()]).await;
    let well = TestServer::start(vec![ok(), ok()]).await;
    let r = build(&sick, &well, s.clone());
    let t0 = Instant::now();
    r.chat(ask("g")).await.unwrap();
    r.chat(ask("g")).await.unwrap();
    assert!(t0.elapsed() < Duration::from_secs(2));
    // The cooldown holds in this process.
    assert_eq!((sick.request_count(), well.request_count()), (1, 2));
    s.flush().await;
    assert_eq!(s.counters().published, 0);
    assert!(s.counters().unavailable > 0);
}
