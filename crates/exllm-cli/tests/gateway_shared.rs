//! Governance across two `exllm serve` instances sharing Redis and PostgreSQL (see
//! [`cluster`]): a team budget concurrent requests cannot overspend, also across a Redis
//! restart; one RPM limit for both; revocations seen by both within a second; a SIGKILL that
//! loses no ledger row; key scopes, and keys never printed in logs, metrics or errors; a
//! deployment one instance cooled avoided by both, at one round trip per request.

mod cluster;

use cluster::{chat_body, request, succeeded, Cluster, COST, MASTER, SICK_HITS};
use serde_json::json;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Sends `n` chat requests at once, alternating instances and streamed/whole; how many
/// succeeded whole and the statuses of the others.
fn burst(c: &Cluster, key: &str, n: usize) -> (u64, Vec<u16>) {
    let key = Arc::new(key.to_owned());
    let ports = [c.a.port, c.b.port];
    let threads: Vec<_> = (0..n)
        .map(|i| {
            let key = key.clone();
            let port = ports[i % 2];
            let stream = i % 4 < 2;
            std::thread::spawn(move || {
                let a = request(
                    port,
                    "POST",
                    "/v1/chat/completions",
                    &key,
                    &chat_body("a", stream),
                );
                (succeeded(&a, stream), a.status)
            })
        })
        .collect();
    let mut ok = 0;
    let mut others = Vec::new();
    for t in threads {
        match t.join().unwrap() {
            (true, _) => ok += 1,
            (false, s) => others.push(s),
        }
    }
    (ok, others)
}

#[test]
fn a_team_budget_holds_across_instances_and_a_redis_restart() {
    let mut c = Cluster::start(
        "budget",
        "[governance.teams.t1]\nmax_budget = 1.0\n[governance.teams.t2]\nmax_budget = 1.0\n",
    );
    let (k1, _) = c.key(json!({"team_id": "t1"}));
    let (ok, refused) = burst(&c, &k1, 64);
    // $1 buys 55 answers at $0.018 when nothing is reserved; reservations of calls in flight
    // may refuse a few more, never fewer.
    assert!(
        (30..=55).contains(&ok),
        "{ok} answered, refused: {refused:?}"
    );
    assert!(
        refused.iter().all(|s| *s == 429 || *s == 400),
        "{refused:?}"
    );
    let (rows, usd) = c.ledger_at_least("team=t1", ok);
    assert_eq!(rows, ok);
    assert!(usd <= 1.0 + 1e-9, "{usd}");
    assert!(
        (usd - ok as f64 * COST).abs() < 1e-6,
        "{usd} vs {ok} answers"
    );

    // Again, with Redis restarted while requests are in flight.
    let (k2, _) = c.key(json!({"team_id": "t2"}));
    let port = c.redis.as_ref().unwrap().port;
    let key = k2.clone();
    let (pa, pb) = (c.a.port, c.b.port);
    // 16 callers keep asking until the budget says no (400: a total budget) or 4 s pass,
    // retrying the 503s of the outage.
    let load = std::thread::spawn(move || {
        let deadline = Instant::now() + Duration::from_secs(4);
        let threads: Vec<_> = (0..16)
            .map(|i| {
                let key = key.clone();
                let port = if i % 2 == 0 { pa } else { pb };
                std::thread::spawn(move || {
                    let mut ok = 0u64;
                    for round in 0.. {
                        let stream = (i + round) % 2 == 0;
                        let a = request(
                            port,
                            "POST",
                            "/v1/chat/completions",
                            &key,
                            &chat_body("a", stream),
                        );
                        ok += u64::from(succeeded(&a, stream));
                        if a.status == 400 || Instant::now() > deadline {
                            break;
                        }
                        if a.status == 503 {
                            std::thread::sleep(Duration::from_millis(20));
                        }
                    }
                    ok
                })
            })
            .collect();
        threads.into_iter().map(|t| t.join().unwrap()).sum::<u64>()
    });
    std::thread::sleep(Duration::from_millis(100));
    c.redis = None;
    std::thread::sleep(Duration::from_millis(300));
    c.redis = Some(cluster::redis::Redis::start_on(port));
    let ok2 = load.join().unwrap();
    let (rows, usd) = c.ledger_at_least("team=t2", ok2);
    assert_eq!(rows, ok2);
    assert!(usd <= 1.0 + 1e-9, "{usd}");
    assert!(
        (usd - ok2 as f64 * COST).abs() < 1e-6,
        "{usd} vs {ok2} answers"
    );
    assert!(ok2 > 0);
    // Both instances noticed the restart and say so.
    for port in [c.a.port, c.b.port] {
        let m = request(port, "GET", "/metrics", MASTER, "").body;
        assert!(m.contains("exllm_governance_redis_epochs_total 1"), "{m}");
        assert!(
            !m.contains("exllm_governance_redis_failed_closed_total 0"),
            "{m}"
        );
    }
}

#[test]
fn one_rpm_limit_for_both_instances_and_every_refusal_says_when() {
    let mut c = Cluster::start("rpm", "");
    let (key, _) = c.key(json!({"rpm_limit": 100}));
    let key = Arc::new(key);
    let ports = [c.a.port, c.b.port];
    let threads: Vec<_> = (0..12)
        .map(|t| {
            let key = key.clone();
            std::thread::spawn(move || {
                let mut out = Vec::new();
                for i in 0..25 {
                    let port = ports[(t + i) % 2];
                    let a = request(
                        port,
                        "POST",
                        "/v1/chat/completions",
                        &key,
                        &chat_body("b", false),
                    );
                    out.push((a.status, a.head.contains("\r\nretry-after: ")));
                }
                out
            })
        })
        .collect();
    let all: Vec<(u16, bool)> = threads
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    assert_eq!(all.len(), 300);
    assert_eq!(all.iter().filter(|a| a.0 == 200).count(), 100);
    let refused: Vec<_> = all.iter().filter(|a| a.0 != 200).collect();
    assert_eq!(refused.len(), 200);
    assert!(refused.iter().all(|a| a.0 == 429 && a.1), "{refused:?}");
    // One Redis round trip per request on the hot path.
    let mut admits = 0;
    for port in ports {
        let m = request(port, "GET", "/metrics", MASTER, "").body;
        let n = metric(&m, "exllm_governance_redis_admits_total");
        assert_eq!(metric(&m, "exllm_governance_redis_round_trips_total"), n);
        admits += n;
    }
    assert_eq!(admits, 300);

    // Redis loses its data: the window still holds the minute's 100 requests, re-posted by
    // the instances that admitted them.
    let port = c.redis.as_ref().unwrap().port;
    c.redis = None;
    c.redis = Some(cluster::redis::Redis::start_on(port));
    for i in 0..10 {
        let a = request(
            ports[i % 2],
            "POST",
            "/v1/chat/completions",
            &key,
            &chat_body("b", false),
        );
        assert_eq!(a.status, 429, "{}", a.body);
        assert!(a.head.contains("\r\nretry-after: "), "{}", a.head);
    }
}

/// A counter's value in a `/metrics` text.
fn metric(text: &str, name: &str) -> u64 {
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {name} in {text}"))
}

#[test]
fn a_deployment_one_instance_cools_is_avoided_by_both_at_one_round_trip() {
    let c = Cluster::start("cool", "");
    let (key, _) = c.key(json!({}));
    let hits = || SICK_HITS.load(std::sync::atomic::Ordering::SeqCst);
    // Instance A until one call met the rate-limited deployment of group `h` (the router
    // answers from the healthy one; the 429 cools the other for its 30 s).
    for i in 0..40 {
        let a = request(
            c.a.port,
            "POST",
            "/v1/chat/completions",
            &key,
            &chat_body("h", i % 2 == 0),
        );
        assert!(succeeded(&a, i % 2 == 0), "{} {}", a.status, a.body);
        if hits() > 0 {
            break;
        }
    }
    assert_eq!(hits(), 1);
    // B reads the cooldown in the background (every 250 ms) and never calls it; without it,
    // 30 calls would miss the sick deployment with a chance of 2^-30.
    std::thread::sleep(Duration::from_millis(600));
    for i in 0..30 {
        let a = request(
            c.b.port,
            "POST",
            "/v1/chat/completions",
            &key,
            &chat_body("h", i % 2 == 0),
        );
        assert!(succeeded(&a, i % 2 == 0), "{} {}", a.status, a.body);
    }
    assert_eq!(hits(), 1);
    let (ma, mb) = (
        request(c.a.port, "GET", "/metrics", MASTER, "").body,
        request(c.b.port, "GET", "/metrics", MASTER, "").body,
    );
    assert_eq!(
        metric(&ma, "exllm_router_shared_cooldowns_published_total"),
        1
    );
    assert_eq!(
        metric(&mb, "exllm_router_shared_cooldowns_applied_total"),
        1
    );
    // The router's state added no round trip to governance's one per request.
    for m in [&ma, &mb] {
        let admits = metric(m, "exllm_governance_redis_admits_total");
        assert!(admits > 0, "{m}");
        assert_eq!(
            metric(m, "exllm_governance_redis_round_trips_total"),
            admits
        );
    }
}

#[test]
fn answers_are_cached_per_tenant_and_shared_by_both_instances() {
    let c = Cluster::start(
        "cache",
        "[governance.teams.t1]\nmax_budget = 100.0\n[governance.teams.t2]\nmax_budget = 100.0\n[cache]\nttl = \"1m\"\n",
    );
    let (k1, _) = c.key(json!({"team_id": "t1"}));
    let (k1b, _) = c.key(json!({"team_id": "t1"}));
    let (k2, _) = c.key(json!({"team_id": "t2"}));
    let (k3, k3_id) = c.key(json!({}));
    let ask = |port: u16, key: &str, body: &str| {
        let a = request(port, "POST", "/v1/chat/completions", key, body);
        assert_eq!(a.status, 200, "{}", a.body);
        let state = a
            .head
            .lines()
            .find_map(|l| l.strip_prefix("x-exllm-cache: "))
            .map(str::to_owned);
        (state, a.body)
    };
    let whole = chat_body("a", false);
    let (state, first) = ask(c.a.port, &k1, &whole);
    assert_eq!(state.as_deref(), Some("miss"));
    // Stored off the request's path.
    std::thread::sleep(Duration::from_millis(300));
    // Another key of the same team, on the other instance: the stored answer.
    let (state, again) = ask(c.b.port, &k1b, &whole);
    assert_eq!(state.as_deref(), Some("hit"));
    let text = |b: &str| {
        serde_json::from_str::<serde_json::Value>(b).unwrap()["choices"][0]["message"]["content"]
            .clone()
    };
    assert_eq!(text(&again), text(&first));
    // Another team, or a key without one: their own entries.
    assert_eq!(ask(c.b.port, &k2, &whole).0.as_deref(), Some("miss"));
    assert_eq!(ask(c.a.port, &k3, &whole).0.as_deref(), Some("miss"));
    // Neither streams nor sampled answers are cached.
    let (state, _) = ask(c.a.port, &k1, &chat_body("a", true));
    assert_eq!(state, None);
    let sampled =
        json!({"model": "a", "messages": [{"role": "user", "content": "hi"}], "temperature": 0.7})
            .to_string();
    assert_eq!(ask(c.a.port, &k1, &sampled).0, None);
    // The hit cost nothing: team t1 paid for the first answer, the stream and the sample.
    let (rows, usd) = c.ledger_at_least("team=t1", 4);
    assert_eq!(rows, 4);
    assert!((usd - 3.0 * COST).abs() < 1e-6, "{usd}");
    // Entries are prefixed per tenant in Redis and hold no key.
    let port = c.redis.as_ref().unwrap().port.to_string();
    let keys = std::process::Command::new("redis-cli")
        .args(["-p", &port, "--scan", "--pattern", "exllm:gw:cache:*"])
        .output()
        .unwrap();
    let keys = String::from_utf8(keys.stdout).unwrap();
    let mut tenants: Vec<&str> = keys
        .lines()
        .map(|k| {
            k.trim_start_matches("exllm:gw:cache:")
                .rsplit_once(':')
                .unwrap()
                .0
        })
        .map(|t| t.trim_end_matches(":exllm:v2:chat"))
        .collect();
    tenants.sort();
    let k3_tenant = format!("key:{k3_id}");
    assert_eq!(
        tenants,
        vec![k3_tenant.as_str(), "team:t1", "team:t2"],
        "{keys}"
    );
    for k in [&k1, &k1b, &k2, &k3] {
        assert!(!keys.contains(k.as_str()));
    }
    let m = request(c.b.port, "GET", "/metrics", MASTER, "").body;
    assert!(
        m.contains("exllm_gateway_cache_hits_total{store=\"redis\"} 1"),
        "{m}"
    );
}

#[test]
fn a_revoked_key_is_refused_by_both_instances_within_a_second() {
    let c = Cluster::start("revoke", "");
    let (key, id) = c.key(json!({}));
    for port in [c.a.port, c.b.port] {
        let a = request(
            port,
            "POST",
            "/v1/chat/completions",
            &key,
            &chat_body("a", false),
        );
        assert_eq!(a.status, 200, "{}", a.body);
    }
    let r = request(
        c.a.port,
        "POST",
        "/key/delete",
        MASTER,
        &json!({"keys": [id]}).to_string(),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let t0 = Instant::now();
    // The chat route (its admission checks revocations in Redis) and one that reserves
    // nothing (each instance reads revocations every 250 ms), on both instances.
    for port in [c.b.port, c.a.port] {
        for path in ["/v1/chat/completions", "/v1/messages/count_tokens"] {
            loop {
                let a = request(port, "POST", path, &key, &chat_body("a", false));
                if a.status == 401 {
                    break;
                }
                assert!(
                    t0.elapsed() < Duration::from_secs(1),
                    "{path}: still {} after 1 s",
                    a.status
                );
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }
    assert!(t0.elapsed() < Duration::from_secs(1));
}

#[test]
fn a_killed_instance_loses_no_ledger_row_and_the_totals_reconcile() {
    let mut c = Cluster::start("kill", "");
    // A budget far above what the run spends, so that Redis keeps the key's spend.
    let (key, id) = c.key(json!({"max_budget": 1000.0, "budget_duration": "30d"}));
    // One answer through each instance first: a fresh Redis holds budget checks for its
    // first second (instances put back what they had in flight), which would be most of the
    // run below.
    let mut warm = 0;
    for port in [c.a.port, c.b.port] {
        let a = request(
            port,
            "POST",
            "/v1/chat/completions",
            &key,
            &chat_body("a", false),
        );
        assert!(succeeded(&a, false), "{}", a.body);
        warm += 1;
    }
    let key = Arc::new(key);
    let ports = [c.a.port, c.b.port];
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let (key, stop) = (key.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut ok = 0u64;
                let mut i = 0;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let stream = (t + i) % 2 == 0;
                    let a = request(
                        ports[(t + i) % 2],
                        "POST",
                        "/v1/chat/completions",
                        &key,
                        &chat_body("a", stream),
                    );
                    ok += u64::from(succeeded(&a, stream));
                    i += 1;
                }
                ok
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(800));
    c.b.kill();
    std::thread::sleep(Duration::from_millis(200));
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let answered: u64 = warm + threads.into_iter().map(|t| t.join().unwrap()).sum::<u64>();
    assert!(answered > 20, "{answered}");
    // The restarted instance writes what its journal kept.
    c.b.restart();
    let filter = format!("key={id}");
    let (rows, usd) = c.ledger_at_least(&filter, answered);
    // Every answer a caller received is in the ledger; at most the calls the kill cut
    // (8 callers) were charged without an answer.
    assert!(
        rows >= answered && rows <= answered + 8,
        "{rows} rows, {answered} answers"
    );
    assert!((usd - rows as f64 * COST).abs() < 1e-6, "{usd}");
    // `exllm spend` reads the same rows from PostgreSQL, without a gateway.
    let (cli_rows, cli_usd) = c.spend_cli(&["--key", &id, "--by", "model"]);
    assert_eq!(cli_rows, rows);
    assert!((cli_usd - usd).abs() < 1e-6, "{cli_usd} vs {usd}");
    // The budget both instances enforce (Redis, read back through either instance's admin
    // API) agrees with the ledger, but for the settlements of the calls the kill cut: the
    // killed instance journals a row and then sends its settlement, so at most the calls
    // then in flight (one per caller) differ.
    for port in [c.a.port, c.b.port] {
        let (settled, _) = c.key_spend(port, &id);
        assert!(
            (settled - usd).abs() <= 8.0 * COST + 1e-6,
            "Redis holds {settled} USD settled, the ledger {usd} USD"
        );
    }
    assert!(
        std::fs::read_to_string(&c.b.log)
            .unwrap()
            .contains("left in its journal")
            || rows == answered
    );
}

#[test]
fn a_scoped_key_reaches_only_its_models_and_no_key_is_ever_printed() {
    let c = Cluster::start("scope", "");
    // Scoped to group `g`, whose deployments are the models `a` and `b` serve directly.
    let (key, _) = c.key(json!({"models": ["g"]}));
    for port in [c.a.port, c.b.port] {
        for stream in [true, false] {
            let ok = request(
                port,
                "POST",
                "/v1/chat/completions",
                &key,
                &chat_body("g", stream),
            );
            assert!(succeeded(&ok, stream), "{}", ok.body);
        }
        for other in ["a", "b"] {
            let no = request(
                port,
                "POST",
                "/v1/chat/completions",
                &key,
                &chat_body(other, false),
            );
            assert_eq!(no.status, 403, "{}", no.body);
            assert!(!no.body.contains(&key));
        }
        let bad = request(
            port,
            "POST",
            "/v1/chat/completions",
            "sk-exllm-0123456789abcdef",
            &chat_body("a", false),
        );
        assert_eq!(bad.status, 401);
        assert!(!bad.body.contains("0123456789abcdef"), "{}", bad.body);
    }
    let metrics = request(c.a.port, "GET", "/metrics", MASTER, "").body
        + &request(c.b.port, "GET", "/metrics", MASTER, "").body;
    assert!(metrics.contains("exllm_governance_redis_up"), "{metrics}");
    let logs = c.logs();
    assert!(
        logs.contains("DEBUG") || logs.contains("debug"),
        "EXLLM_LOG=debug took effect"
    );
    for secret in [
        key.as_str(),
        &key["sk-exllm-".len()..],
        MASTER,
        "sk-up",
        "0123456789abcdef",
        "test-secret",
    ] {
        assert!(!logs.contains(secret), "a log line holds {secret}");
        assert!(!metrics.contains(secret), "a metric holds {secret}");
    }
}
