//! The router's Redis state against a real `redis-server` started on a free local port: two
//! routers (standing for two processes, each with its own connection and local view) hold one
//! RPM limit and one budget, counted on the loopback providers; a dropped call's reservation
//! is reconciled; an unreachable Redis admits (fail open) or refuses with a typed error (fail
//! closed) within the configured time. A missing `redis-server` fails the tests.
#![cfg(feature = "redis")]

use crate::router::{ask, dep, ok};
use crate::router_limits::priced;
use crate::support::redis::Redis;
use crate::support::{Reply, TestServer};
use exllm::catalog::{BudgetAction, Catalog};
use exllm::router::{
    FailMode, RedisState, RedisStateConfig, Router, RouterSettings, SpendLimit, SpendScope,
};
use exllm::ErrorKind;
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

const CALLERS: usize = 64;

fn config(url: String, prefix: &str) -> RedisStateConfig {
    RedisStateConfig {
        url,
        prefix: prefix.into(),
        timeout: Duration::from_millis(300),
        refresh: Duration::from_millis(50),
        ..Default::default()
    }
}

async fn state(redis: &Redis, prefix: &str) -> Arc<RedisState> {
    let s = Arc::new(RedisState::new(config(redis.url(), prefix)).unwrap());
    s.connect().await.expect("redis answers");
    s
}

/// 64 callers at once, half through each router.
async fn run_split(a: &Router, b: &Router) -> Vec<exllm::Result<exllm::ChatResponse>> {
    let tasks: Vec<_> = (0..CALLERS)
        .map(|i| {
            let r = if i % 2 == 0 { a.clone() } else { b.clone() };
            tokio::spawn(async move { r.chat(ask("g")).await })
        })
        .collect();
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.expect("task"));
    }
    out
}

fn no_wait() -> RouterSettings {
    RouterSettings {
        max_wait: Duration::ZERO,
        seed: Some(5),
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_routers_sharing_redis_hold_one_rpm_limit() {
    let redis = Redis::start();
    let a = TestServer::start((0..CALLERS).map(|_| ok()).collect()).await;
    let b = TestServer::start((0..CALLERS).map(|_| ok()).collect()).await;
    let (s1, s2) = (state(&redis, "rpm:").await, state(&redis, "rpm:").await);
    let build = |s: Arc<RedisState>| {
        Router::builder()
            .deployment(dep("g", &a).rpm(10))
            .deployment(dep("g", &b).rpm(7))
            .settings(no_wait())
            .state(s)
            .env_lookup(|_| None)
            .build()
            .unwrap()
    };
    let (r1, r2) = (build(s1.clone()), build(s2.clone()));
    let results = run_split(&r1, &r2).await;
    let answered = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!((a.request_count(), b.request_count()), (10, 7));
    assert_eq!(answered, 17);
    for e in results.iter().filter_map(|r| r.as_ref().err()) {
        assert_eq!(e.kind(), ErrorKind::RateLimit, "{e}");
        assert!(e.retry_after().is_some());
    }
    for s in [&s1, &s2] {
        let c = s.counters();
        assert!(c.admits > 0);
        assert_eq!(
            c.admit_round_trips, c.admits,
            "one round trip per admit: {c:?}"
        );
        assert_eq!((c.unavailable, c.failed_open, c.failed_closed), (0, 0, 0));
    }
    // Each router saw both routers' calls: the shared buckets are empty for both, and once
    // every settlement landed nothing is in flight.
    s1.flush().await;
    s2.flush().await;
    for r in [&r1, &r2] {
        let stats = r.stats("g#0").unwrap();
        assert!(stats.headroom.unwrap() < 0.1, "{stats:?}");
    }
    assert_eq!(redis.hget("rpm:dep:g#0", "in"), "0");
    assert_eq!(redis.hget("rpm:dep:g#1", "in"), "0");
}

fn budget_settings(limit: f64) -> RouterSettings {
    RouterSettings {
        budgets: vec![SpendLimit {
            scope: SpendScope::Group("g".into()),
            limit_usd: limit,
            period: Duration::from_secs(3600),
            action: BudgetAction::Refuse,
        }],
        ..no_wait()
    }
}

fn priced_router(server: &TestServer, settings: RouterSettings, s: Arc<RedisState>) -> Router {
    Router::builder()
        .deployment(dep("g", server))
        .settings(settings)
        .state(s)
        .client_template(exllm::Client::builder().catalog(Catalog::from_models(vec![priced()])))
        .env_lookup(|_| None)
        .build()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_routers_sharing_redis_hold_one_budget() {
    let redis = Redis::start();
    let server = TestServer::start((0..CALLERS).map(|_| ok()).collect()).await;
    let limit = 0.1;
    let (s1, s2) = (state(&redis, "usd:").await, state(&redis, "usd:").await);
    let r1 = priced_router(&server, budget_settings(limit), s1.clone());
    let r2 = priced_router(&server, budget_settings(limit), s2.clone());
    let results = run_split(&r1, &r2).await;
    let sent = server.request_count();
    let answered = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(sent, answered);
    assert!(sent >= 3, "the budget lets some calls through: {sent}");
    let per_call = results
        .iter()
        .flatten()
        .map(|r| r.cost.as_ref().unwrap().total)
        .next()
        .unwrap();
    assert!((per_call - 0.020).abs() < 1e-9, "{per_call}");
    assert!(
        sent as f64 * per_call <= limit + 1e-9,
        "{sent} calls overspend"
    );
    for e in results.iter().filter_map(|r| r.as_ref().err()) {
        assert_eq!(e.kind(), ErrorKind::QuotaExceeded, "{e}");
    }
    // Reconciled with what the calls cost, seen alike from both routers.
    s2.flush().await;
    for r in [&r1, &r2] {
        let spent = r.state().spent("group:g").await;
        assert!(
            (spent - sent as f64 * per_call).abs() < 1e-9,
            "reconciled: {spent}"
        );
    }
    let reserved: f64 = redis
        .hget("usd:budget:group:g", "reserved")
        .parse()
        .unwrap();
    assert!(reserved.abs() < 1e-9, "{reserved}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_calls_reservation_is_reconciled() {
    let redis = Redis::start();
    let server = TestServer::start(vec![Reply::stall(Duration::from_secs(5))]).await;
    let s = state(&redis, "drop:").await;
    let settings = RouterSettings {
        budgets: budget_settings(10.0).budgets,
        ..no_wait()
    };
    let r = priced_router(&server, settings, s.clone());
    let call = tokio::spawn({
        let r = r.clone();
        async move { r.chat(ask("g")).await }
    });
    let deadline = Instant::now() + Duration::from_secs(5);
    while server.request_count() == 0 {
        assert!(
            Instant::now() < deadline,
            "the call never reached the server"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let reserved: f64 = redis
        .hget("drop:budget:group:g", "reserved")
        .parse()
        .unwrap();
    assert!(reserved > 0.0, "reserved while in flight: {reserved}");
    assert_eq!(redis.hget("drop:dep:g#0", "in"), "1");
    call.abort();
    let _ = call.await;
    s.flush().await;
    // The dropped call gave its reservation back and kept its estimate as spent (the
    // provider may bill it); nothing is left in flight and the deployment is not cooled.
    let left: f64 = redis
        .hget("drop:budget:group:g", "reserved")
        .parse()
        .unwrap();
    let settled: f64 = redis
        .hget("drop:budget:group:g", "settled")
        .parse()
        .unwrap();
    assert!(left.abs() < 1e-9, "{left}");
    assert!((settled - reserved).abs() < 1e-9, "{settled} vs {reserved}");
    assert_eq!(redis.hget("drop:dep:g#0", "in"), "0");
    let stats = r.stats("g#0").unwrap();
    assert_eq!((stats.in_flight, stats.cooling_until), (0, None));
    assert_eq!(s.counters().settles, 1);
}

#[tokio::test]
async fn an_unreachable_redis_fails_open_when_set_so() {
    let redis = Redis::start();
    let url = redis.url();
    let server = TestServer::start(vec![ok()]).await;
    let s = Arc::new(
        RedisState::new(RedisStateConfig {
            on_unavailable: FailMode::Open,
            ..config(url, "open:")
        })
        .unwrap(),
    );
    s.connect().await.unwrap();
    drop(redis);
    let r = Router::builder()
        .deployment(dep("g", &server).rpm(1))
        .settings(no_wait())
        .state(s.clone())
        .env_lookup(|_| None)
        .build()
        .unwrap();
    let t0 = Instant::now();
    let resp = r.chat(ask("g")).await;
    assert!(resp.is_ok(), "{resp:?}");
    assert!(t0.elapsed() < Duration::from_secs(2), "{:?}", t0.elapsed());
    assert_eq!(server.request_count(), 1);
    s.flush().await;
    let c = s.counters();
    assert_eq!((c.failed_open, c.failed_closed), (1, 0), "{c:?}");
    assert!(c.unavailable >= 1 && c.settles_lost == 1, "{c:?}");
}

#[tokio::test]
async fn a_silent_redis_fails_closed_within_the_timeout() {
    // Accepts connections and never answers: only the timeout ends the round trip.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("redis://{}/", silent.local_addr().unwrap());
    let server = TestServer::start(vec![ok()]).await;
    let timeout = Duration::from_millis(300);
    let s = Arc::new(
        RedisState::new(RedisStateConfig {
            on_unavailable: FailMode::Closed,
            timeout,
            ..config(url, "closed:")
        })
        .unwrap(),
    );
    let r = Router::builder()
        .deployment(dep("g", &server))
        .settings(no_wait())
        .state(s.clone())
        .env_lookup(|_| None)
        .build()
        .unwrap();
    let t0 = Instant::now();
    let e = r.chat(ask("g")).await.unwrap_err();
    let took = t0.elapsed();
    assert_eq!(e.kind(), ErrorKind::Network, "{e}");
    assert!(e.message().contains("unreachable"), "{e}");
    assert!(took >= timeout, "{took:?}");
    // Bounded by the timeout (plus slack for a loaded machine), not by TCP.
    assert!(took < timeout + Duration::from_secs(2), "bounded: {took:?}");
    assert_eq!(server.request_count(), 0, "nothing sent when refused");
    let c = s.counters();
    assert_eq!(
        (c.failed_open, c.failed_closed, c.unavailable),
        (0, 1, 1),
        "{c:?}"
    );
}

#[tokio::test]
async fn a_429_seen_by_one_router_cools_the_deployment_for_the_other() {
    let redis = Redis::start();
    let a = TestServer::start(vec![
        Reply::json(429, r#"{"error":{"message":"Rate limit reached"}}"#)
            .header("retry-after", "30"),
        ok(),
    ])
    .await;
    let b = TestServer::start(vec![ok(), ok()]).await;
    let (s1, s2) = (state(&redis, "cool:").await, state(&redis, "cool:").await);
    let build = |s: Arc<RedisState>| {
        Router::builder()
            .deployment(dep("g", &a).order(1))
            .deployment(dep("g", &b).order(2))
            .settings(no_wait())
            .state(s)
            .env_lookup(|_| None)
            .build()
            .unwrap()
    };
    let (r1, r2) = (build(s1.clone()), build(s2.clone()));
    r1.chat(ask("g")).await.unwrap();
    assert_eq!((a.request_count(), b.request_count()), (1, 1));
    s1.flush().await;
    // The second router has never seen `g#0` fail: Redis refuses it, so the call goes to
    // `g#1` without touching `g#0`, and the second router now knows it cools.
    r2.chat(ask("g")).await.unwrap();
    assert_eq!((a.request_count(), b.request_count()), (1, 2));
    let until = r2.stats("g#0").unwrap().cooling_until.expect("cooling");
    assert!(
        until > Instant::now() + Duration::from_secs(25),
        "{until:?}"
    );
}

#[tokio::test]
async fn failures_seen_by_two_routers_add_up_to_one_cooldown() {
    let redis = Redis::start();
    let fail = || Reply::json(500, r#"{"error":{"message":"boom"}}"#);
    let a = TestServer::start(vec![fail(), fail(), ok()]).await;
    let b = TestServer::start(vec![ok(), ok(), ok()]).await;
    let (s1, s2) = (state(&redis, "fails:").await, state(&redis, "fails:").await);
    let mut settings = no_wait();
    settings.cooldown.allowed_fails = 2;
    let build = |s: Arc<RedisState>| {
        Router::builder()
            .deployment(dep("g", &a).order(1))
            .deployment(dep("g", &b).order(2))
            .settings(settings.clone())
            .state(s)
            .env_lookup(|_| None)
            .build()
            .unwrap()
    };
    let (r1, r2) = (build(s1.clone()), build(s2.clone()));
    // One failure through each router: neither alone reaches two, together they cool `g#0`.
    r1.chat(ask("g")).await.unwrap();
    s1.flush().await;
    r2.chat(ask("g")).await.unwrap();
    s2.flush().await;
    assert_eq!((a.request_count(), b.request_count()), (2, 2));
    r1.chat(ask("g")).await.unwrap();
    assert_eq!((a.request_count(), b.request_count()), (2, 3));
    assert!(r1.stats("g#0").unwrap().cooling_until.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_routers_sharing_redis_hold_one_tpm_limit() {
    let redis = Redis::start();
    let server = TestServer::start((0..CALLERS).map(|_| ok()).collect()).await;
    let tpm = 100;
    let (s1, s2) = (state(&redis, "tpm:").await, state(&redis, "tpm:").await);
    let build = |s: Arc<RedisState>| {
        Router::builder()
            .deployment(dep("g", &server).tpm(tpm))
            .settings(no_wait())
            .state(s)
            .env_lookup(|_| None)
            .build()
            .unwrap()
    };
    let results = run_split(&build(s1), &build(s2)).await;
    let sent = server.request_count();
    let used: u64 = results
        .iter()
        .flatten()
        .map(|r| r.usage.as_ref().unwrap().total_tokens().unwrap())
        .sum();
    assert_eq!(sent, results.iter().filter(|r| r.is_ok()).count());
    assert!(sent >= 2, "{sent}");
    // Within the minute's tokens (plus the refill of the test's own second).
    assert!(used <= tpm + 2, "{sent} calls used {used} tokens");
}

#[tokio::test]
async fn a_routers_view_is_refreshed_with_the_others_calls() {
    let redis = Redis::start();
    let a = TestServer::start(vec![
        ok(),
        Reply::json(429, r#"{"error":{"message":"Rate limit reached"}}"#)
            .header("retry-after", "30"),
    ])
    .await;
    let b = TestServer::start(vec![ok(), ok()]).await;
    let (s1, s2) = (state(&redis, "view:").await, state(&redis, "view:").await);
    let build = |s: Arc<RedisState>| {
        Router::builder()
            .deployment(dep("g", &a).order(1))
            .deployment(dep("g", &b).order(2))
            .settings(no_wait())
            .state(s)
            .env_lookup(|_| None)
            .build()
            .unwrap()
    };
    let (r1, r2) = (build(s1.clone()), build(s2.clone()));
    r2.chat(ask("g")).await.unwrap();
    r1.chat(ask("g")).await.unwrap();
    assert_eq!((a.request_count(), b.request_count()), (2, 1));
    s1.flush().await;
    // The second router learns of the cooldown in the background, without a call of its own.
    let deadline = Instant::now() + Duration::from_secs(2);
    while r2.stats("g#0").unwrap().cooling_until.is_none() {
        assert!(Instant::now() < deadline, "the view was never refreshed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // So its next call goes straight to `g#1`: one admission, one round trip.
    let before = s2.counters();
    r2.chat(ask("g")).await.unwrap();
    let after = s2.counters();
    assert_eq!((a.request_count(), b.request_count()), (2, 2));
    assert_eq!(after.admits - before.admits, 1);
    assert_eq!(after.admit_round_trips - before.admit_round_trips, 1);
}

#[tokio::test]
async fn a_restarted_redis_is_reconnected_within_the_call() {
    let redis = Redis::start();
    let port = redis.port;
    let server = TestServer::start(vec![ok(), ok()]).await;
    let s = Arc::new(
        RedisState::new(RedisStateConfig {
            on_unavailable: FailMode::Closed,
            timeout: Duration::from_secs(2),
            ..config(redis.url(), "restart:")
        })
        .unwrap(),
    );
    s.connect().await.unwrap();
    let r = Router::builder()
        .deployment(dep("g", &server))
        .settings(no_wait())
        .state(s.clone())
        .env_lookup(|_| None)
        .build()
        .unwrap();
    r.chat(ask("g")).await.unwrap();
    s.flush().await;
    drop(redis);
    // A new server on the same port, without the scripts: the dropped connection is
    // replaced and the script sent again, within the call.
    let redis = Redis::start_on(port);
    r.chat(ask("g")).await.unwrap();
    s.flush().await;
    assert_eq!(server.request_count(), 2);
    let c = s.counters();
    assert_eq!((c.failed_open, c.failed_closed), (0, 0), "{c:?}");
    assert_eq!(redis.hget("restart:dep:g#0", "in"), "0");
}

#[test]
fn the_config_debug_hides_the_password() {
    let cfg = config("redis://user:s3cret-pw@127.0.0.1:6379/0".into(), "p:");
    let shown = format!("{cfg:?}");
    assert!(!shown.contains("s3cret-pw"), "{shown}");
    assert!(shown.contains("@127.0.0.1:6379/0"), "{shown}");
}

#[test]
fn outside_a_runtime_the_state_is_a_config_error() {
    let e = RedisState::new(RedisStateConfig::default()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config, "{e}");
}

/// Set in the child process of [`two_processes_sharing_redis_hold_one_rpm_limit`]:
/// `redis-url prefix server-a-url server-b-url`.
const CHILD: &str = "EXLLM_TEST_ROUTER_REDIS_CHILD";

fn limited(url_a: &str, url_b: &str, s: Arc<RedisState>) -> Router {
    let d = |url: &str| {
        exllm::router::Deployment::new("g", "openai/gpt-4o-mini")
            .api_base(url)
            .api_key(crate::support::KEY)
    };
    Router::builder()
        .deployment(d(url_a).rpm(10))
        .deployment(d(url_b).rpm(7))
        .settings(no_wait())
        .state(s)
        .env_lookup(|_| None)
        .build()
        .unwrap()
}

async fn run_calls(r: &Router, n: usize) -> usize {
    let tasks: Vec<_> = (0..n)
        .map(|_| {
            let r = r.clone();
            tokio::spawn(async move { r.chat(ask("g")).await })
        })
        .collect();
    let mut answered = 0;
    for t in tasks {
        answered += usize::from(t.await.expect("task").is_ok());
    }
    answered
}

/// A real second process: this test runs its own binary again, as the child, on the same
/// redis-server and loopback providers; the child calls 32 times while this process does.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_processes_sharing_redis_hold_one_rpm_limit() {
    if let Ok(args) = std::env::var(CHILD) {
        let args: Vec<&str> = args.split(' ').collect();
        let s = state_at(args[0], args[1]).await;
        let answered = run_calls(&limited(args[2], args[3], s.clone()), CALLERS / 2).await;
        s.flush().await;
        println!("child answered={answered} admits={}", s.counters().admits);
        return;
    }
    let redis = Redis::start();
    let a = TestServer::start((0..CALLERS).map(|_| ok()).collect()).await;
    let b = TestServer::start((0..CALLERS).map(|_| ok()).collect()).await;
    let child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "router_redis::two_processes_sharing_redis_hold_one_rpm_limit",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(
            CHILD,
            format!("{} procs: {} {}", redis.url(), a.url(), b.url()),
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the test binary runs again");
    let s = state(&redis, "procs:").await;
    let answered = run_calls(&limited(&a.url(), &b.url(), s.clone()), CALLERS / 2).await;
    // Settlements go out in the background: this process's reach Redis before it is read.
    s.flush().await;
    let out = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    assert!(
        out.status.success(),
        "child: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8_lossy(&out.stdout);
    let field = |name: &str| -> usize {
        let at = said
            .find(name)
            .unwrap_or_else(|| panic!("child said: {said}"))
            + name.len();
        let digits: String = said[at..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        digits.parse().unwrap()
    };
    // The child really called (through its own Redis connection), and both processes
    // together got exactly the two deployments' RPM through.
    assert!(field("admits=") >= CALLERS / 2, "{said}");
    assert_eq!((a.request_count(), b.request_count()), (10, 7));
    assert_eq!(answered + field("answered="), 17, "{said}");
    assert_eq!(redis.hget("procs:dep:g#0", "in"), "0");
}

async fn state_at(url: &str, prefix: &str) -> Arc<RedisState> {
    let s = Arc::new(RedisState::new(config(url.into(), prefix)).unwrap());
    s.connect().await.expect("redis answers");
    s
}
