//! The shared state against a real `redis-server` (started on a free local port, killed on
//! drop; `scripts/setup` installs it), with two governors standing for two instances.

use super::*;
use crate::keys::{Limits, Period};
use std::process::{Child, Command, Stdio};

struct Redis {
    child: Child,
    port: u16,
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Redis {
    fn start_on(port: u16) -> Redis {
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server must be installed (scripts/setup installs it)");
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "redis-server did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Redis { child, port }
    }

    fn start() -> Redis {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        Redis::start_on(port)
    }
}

fn governor(port: u16, fail_open: bool) -> RedisGovernor {
    holding(port, fail_open, Duration::from_secs(60))
}

fn holding(port: u16, fail_open: bool, hold: Duration) -> RedisGovernor {
    RedisGovernor::new(SharedConfig {
        redis_url: format!("redis://127.0.0.1:{port}/"),
        timeout: Duration::from_millis(300),
        fail_open,
        hold,
        ..SharedConfig::default()
    })
    .unwrap()
}

fn no_seed() -> SeedFn {
    Arc::new(|_, _, _| Ok(0.0))
}

fn scope(limits: &Limits) -> Vec<(Scope<'_>, Span)> {
    vec![(
        Scope {
            key: "team:t".into(),
            label: "team `t`".into(),
            limits,
        },
        Span {
            start: 0,
            end: None,
        },
    )]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_share_one_request_window() {
    let redis = Redis::start();
    let (a, b) = (governor(redis.port, false), governor(redis.port, false));
    let limits = Limits {
        rpm: Some(100),
        ..Limits::default()
    };
    let (mut admitted, mut refused) = (0, 0);
    for i in 0..300 {
        let g = if i % 2 == 0 { &a } else { &b };
        match g.admit(&scope(&limits), &[], 10, 0.0, &no_seed()).await {
            Ok(Some(_)) => admitted += 1,
            Err(r) => {
                assert_eq!(r.status, 429);
                let wait = r.retry_after.expect("every refusal says when to retry");
                assert!((1..=60).contains(&wait), "{wait}");
                refused += 1;
            }
            Ok(None) => panic!("admitted unchecked with Redis up"),
        }
    }
    assert_eq!((admitted, refused), (100, 200));
    assert!(a
        .render()
        .contains("exllm_governance_redis_up{on_unavailable=\"closed\"} 1"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_per_minute_count_what_calls_really_used() {
    let redis = Redis::start();
    let g = governor(redis.port, false);
    let limits = Limits {
        tpm: Some(100),
        ..Limits::default()
    };
    let id = g.admit(&scope(&limits), &[], 80, 0.0, &no_seed()).await;
    let id = id.unwrap().unwrap();
    let r = g.admit(&scope(&limits), &[], 30, 0.0, &no_seed()).await;
    assert_eq!(r.unwrap_err().status, 429);
    // The first call used 20 tokens, not 80: 30 more fit.
    g.settle(id, 20, 0.0);
    g.flush().await;
    let r = g.admit(&scope(&limits), &[], 30, 0.0, &no_seed()).await;
    assert!(matches!(r, Ok(Some(_))), "{r:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_reservations_never_overspend() {
    let redis = Redis::start();
    let (a, b) = (
        Arc::new(governor(redis.port, false)),
        Arc::new(governor(redis.port, false)),
    );
    let limits = Arc::new(Limits {
        max_budget: Some(1.0),
        period: Period::Total,
        ..Limits::default()
    });
    let mut tasks = Vec::new();
    for i in 0..64 {
        let g = if i % 2 == 0 { a.clone() } else { b.clone() };
        let limits = limits.clone();
        tasks.push(tokio::spawn(async move {
            // Reserve $0.10, spend $0.07.
            match g.admit(&scope(&limits), &[], 1, 0.1, &no_seed()).await {
                Ok(Some(id)) => {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    g.settle(id, 1, 0.07);
                    0.07
                }
                Ok(None) => panic!("unchecked"),
                Err(r) => {
                    assert_eq!(r.kind, "budget_exceeded");
                    0.0
                }
            }
        }));
    }
    let mut spent = 0.0;
    for t in tasks {
        spent += t.await.unwrap();
    }
    assert!(spent <= 1.0 + 1e-9, "{spent}");
    assert!(spent >= 0.63, "the budget was used: {spent}");
    a.flush().await;
    b.flush().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revocation_reaches_the_other_instance() {
    let redis = Redis::start();
    let (a, b) = (governor(redis.port, false), governor(redis.port, false));
    let none = Limits::default();
    let member = vec!["id:key_1".to_owned()];
    assert!(b
        .admit(&scope(&none), &member, 1, 0.0, &no_seed())
        .await
        .is_ok());
    a.deny("id:key_1", unix_ms()).await.unwrap();
    // At once in the admit script, and within one poll in memory.
    let r = b.admit(&scope(&none), &member, 1, 0.0, &no_seed()).await;
    assert_eq!(r.unwrap_err().status, 401);
    tokio::time::sleep(POLL * 3).await;
    assert!(b.is_denied(&member));
    assert!(!b.is_denied(&["id:key_2".to_owned()]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_redis_fails_as_configured_within_the_timeout() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let limits = Limits {
        rpm: Some(1),
        ..Limits::default()
    };
    let (closed, open) = (governor(port, false), governor(port, true));
    let t0 = std::time::Instant::now();
    let r = closed.admit(&scope(&limits), &[], 1, 0.0, &no_seed()).await;
    assert_eq!(r.unwrap_err().status, 503);
    let r = open.admit(&scope(&limits), &[], 1, 0.0, &no_seed()).await;
    assert_eq!(r.unwrap(), None);
    assert!(t0.elapsed() < Duration::from_secs(2));
    let text = closed.render();
    assert!(
        text.contains("exllm_governance_redis_up{on_unavailable=\"closed\"} 0"),
        "{text}"
    );
    assert!(
        text.contains("exllm_governance_redis_failed_closed_total 1"),
        "{text}"
    );
    assert!(open
        .render()
        .contains("exllm_governance_redis_failed_open_total 1"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_restart_budgets_come_back_from_the_ledger_and_calls_in_flight() {
    let redis = Redis::start();
    let port = redis.port;
    let g = governor(port, false);
    let limits = Limits {
        max_budget: Some(1.0),
        ..Limits::default()
    };
    let seeded: SeedFn = Arc::new(|scope, from, until| {
        assert_eq!((scope, from), ("team:t", 0));
        assert!(until > 0);
        Ok(0.5)
    });
    // Before the restart: $0.3 held by a call in flight.
    let held = g.admit(&scope(&limits), &[], 1, 0.3, &seeded).await;
    let held = held.unwrap().unwrap();
    drop(redis);
    let _redis = Redis::start_on(port);
    // The ledger says $0.5 was spent; $0.3 is in flight: $0.2 is left, not $0.5.
    let r = g.admit(&scope(&limits), &[], 1, 0.25, &seeded).await;
    assert_eq!(r.unwrap_err().kind, "budget_exceeded");
    let r = g.admit(&scope(&limits), &[], 1, 0.2, &seeded).await;
    assert!(matches!(r, Ok(Some(_))), "{r:?}");
    g.settle(held, 1, 0.0);
    g.flush().await;
    assert!(g.render().contains("exllm_governance_redis_epochs_total 1"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_a_killed_instance_reserved_comes_back_when_its_hold_lapses() {
    let redis = Redis::start();
    let limits = Limits {
        max_budget: Some(1.0),
        ..Limits::default()
    };
    let killed = holding(redis.port, false, Duration::from_millis(600));
    let held = killed.admit(&scope(&limits), &[], 1, 0.6, &no_seed()).await;
    assert!(matches!(held, Ok(Some(_))), "{held:?}");
    // Gone without settling, as under SIGKILL.
    drop(killed);
    let other = governor(redis.port, false);
    let r = other.admit(&scope(&limits), &[], 1, 0.6, &no_seed()).await;
    assert_eq!(r.unwrap_err().kind, "budget_exceeded");
    tokio::time::sleep(Duration::from_millis(700)).await;
    let r = other.admit(&scope(&limits), &[], 1, 0.6, &no_seed()).await;
    assert!(matches!(r, Ok(Some(_))), "{r:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_restart_the_windows_hold_what_every_instance_admitted() {
    let redis = Redis::start();
    let port = redis.port;
    let (a, b) = (governor(port, false), governor(port, false));
    let limits = Limits {
        rpm: Some(6),
        tpm: Some(1000),
        ..Limits::default()
    };
    // Five requests across both instances; three of them settle under their estimate.
    let mut ids = Vec::new();
    for i in 0..5 {
        let g = if i % 2 == 0 { &a } else { &b };
        let id = g.admit(&scope(&limits), &[], 150, 0.0, &no_seed()).await;
        ids.push((i, id.unwrap().unwrap()));
    }
    for (i, id) in ids.iter().take(3) {
        let g = if i % 2 == 0 { &a } else { &b };
        g.settle(*id, 50, 0.0);
    }
    a.flush().await;
    b.flush().await;
    // Redis loses everything.
    drop(redis);
    let _redis = Redis::start_on(port);
    // 3 × 50 + 2 × 150 = 450 tokens and 5 requests in the window: 600 more tokens are too
    // many, 500 fit; then the sixth request is the last.
    let r = a.admit(&scope(&limits), &[], 600, 0.0, &no_seed()).await;
    assert_eq!(r.unwrap_err().kind, "rate_limit_error");
    let r = b.admit(&scope(&limits), &[], 500, 0.0, &no_seed()).await;
    assert!(matches!(r, Ok(Some(_))), "{r:?}");
    let r = a.admit(&scope(&limits), &[], 1, 0.0, &no_seed()).await;
    let e = r.unwrap_err();
    assert_eq!(e.kind, "rate_limit_error");
    assert!(e.message.contains("requests per minute"), "{}", e.message);
    assert!(e.retry_after.is_some_and(|s| s <= 60));
    for g in [&a, &b] {
        assert!(g.render().contains("exllm_governance_redis_epochs_total 1"));
    }
}
