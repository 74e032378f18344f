//! Limits a provider announces, shared through the router's Redis state: one process learns
//! them from the response headers and the others hold to them too (the announced size becomes
//! the shared bucket's, and what the provider says is left lowers it), so a fleet stops
//! sending before the provider answers 429. Against a real `redis-server`.
#![cfg(feature = "redis")]

use crate::router::{ask, dep, ok};
use crate::support::redis::Redis;
use crate::support::{Reply, TestServer};
use exllm::router::{RedisState, RedisStateConfig, Router, RouterSettings};
use exllm::ErrorKind;
use std::sync::Arc;
use std::time::Duration;

async fn pair(redis: &Redis, server: &TestServer) -> [(Router, Arc<RedisState>); 2] {
    let one = || async {
        let s = Arc::new(
            RedisState::new(RedisStateConfig {
                url: redis.url(),
                prefix: "learn:".into(),
                timeout: Duration::from_millis(500),
                ..Default::default()
            })
            .unwrap(),
        );
        s.connect().await.expect("redis answers");
        let r = Router::builder()
            .deployment(dep("g", server))
            .settings(RouterSettings {
                max_wait: Duration::ZERO,
                seed: Some(2),
                ..Default::default()
            })
            .state(s.clone())
            .env_lookup(|_| None)
            .build()
            .unwrap();
        (r, s)
    };
    [one().await, one().await]
}

fn announcing(limit: &str, remaining: &str, reset: &str) -> Reply {
    ok().header("x-ratelimit-limit-requests", limit)
        .header("x-ratelimit-remaining-requests", remaining)
        .header("x-ratelimit-reset-requests", reset)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_left_seen_by_one_process_holds_the_other_until_the_reset() {
    let redis = Redis::start();
    let server = TestServer::start(vec![announcing("2", "0", "30s"), ok()]).await;
    let [(r1, s1), (r2, _s2)] = pair(&redis, &server).await;
    r1.chat(ask("g")).await.unwrap();
    s1.flush().await;
    // The second process never saw the headers: the shared bucket says nothing is left.
    let e = r2.chat(ask("g")).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::RateLimit, "{e}");
    let wait = e.retry_after().expect("says when");
    assert!(
        wait > Duration::from_secs(20) && wait <= Duration::from_secs(31),
        "{wait:?}"
    );
    assert_eq!(server.request_count(), 1);
    assert_eq!(redis.hget("learn:dep:g#0", "rL"), "2");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_announced_remaining_count_lowers_the_shared_bucket() {
    let redis = Redis::start();
    // 6 a minute, but only one more left now (other clients share the quota): without the
    // announced count the bucket would still hold 5.
    let server = TestServer::start(vec![announcing("6", "1", "10s"), ok(), ok()]).await;
    let [(r1, s1), (r2, s2)] = pair(&redis, &server).await;
    r1.chat(ask("g")).await.unwrap();
    s1.flush().await;
    r2.chat(ask("g")).await.expect("the one that was left");
    s2.flush().await;
    let e = r1.chat(ask("g")).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::RateLimit, "{e}");
    let wait = e.retry_after().unwrap();
    assert!(
        wait > Duration::from_secs(5) && wait <= Duration::from_secs(10),
        "{wait:?}"
    );
    assert_eq!(server.request_count(), 2);
}
