//! Unit tests: strategies with seeded randomness, buckets and the memory state's
//! reservations and cooldowns.

use super::*;
use std::time::Duration;

fn dep(id: &str, weight: f64) -> Deployment {
    Deployment::new("g", "mock/m").id(id).weight(weight)
}

fn cand(d: &Deployment, latency: Option<f64>) -> Candidate<'_> {
    Candidate {
        deployment: d,
        in_flight: 0,
        latency_ms: latency,
        headroom: None,
        estimated_cost: None,
    }
}

#[test]
fn lowest_latency_picks_within_the_buffer_reproducibly() {
    let ds = [dep("a", 1.0), dep("b", 1.0), dep("c", 1.0)];
    let cands = [
        cand(&ds[0], Some(100.0)),
        cand(&ds[1], Some(105.0)),
        cand(&ds[2], Some(300.0)),
    ];
    let run = |seed| {
        let s = StrategyKind::LowestLatency.build(Some(seed), 0.1);
        (0..400).map(|_| s.pick(&cands)).collect::<Vec<_>>()
    };
    let picks = run(7);
    assert_eq!(picks, run(7), "a seed gives the same picks");
    assert!(!picks.contains(&2), "the slow one is outside the buffer");
    let a = picks.iter().filter(|&&i| i == 0).count();
    assert!(
        (120..=280).contains(&a),
        "both within the buffer are used: {a}/400"
    );
    // A deployment never measured is tried first.
    let fresh = [cand(&ds[0], Some(1.0)), cand(&ds[1], None)];
    assert_eq!(
        StrategyKind::LowestLatency.build(Some(1), 0.1).pick(&fresh),
        1
    );
}

#[test]
fn weighted_least_busy_usage_and_cost() {
    let ds = [dep("a", 3.0), dep("b", 1.0), dep("c", 0.0)];
    let cands: Vec<_> = ds.iter().map(|d| cand(d, None)).collect();
    let s = StrategyKind::Weighted.build(Some(3), 0.1);
    let mut n = [0usize; 3];
    for _ in 0..4000 {
        n[s.pick(&cands)] += 1;
    }
    assert_eq!(n[2], 0);
    assert!((2700..=3300).contains(&n[0]), "{n:?}");

    let mut busy = cands.clone();
    busy[0].in_flight = 4;
    busy[1].in_flight = 1;
    busy[2].in_flight = 2;
    assert_eq!(StrategyKind::LeastBusy.build(Some(1), 0.1).pick(&busy), 1);

    let mut room = cands.clone();
    room[0].headroom = Some(0.2);
    room[1].headroom = Some(0.9);
    room[2].headroom = Some(0.5);
    assert_eq!(StrategyKind::UsageBased.build(Some(1), 0.1).pick(&room), 1);

    let mut cost = cands.clone();
    cost[0].estimated_cost = Some(0.02);
    cost[1].estimated_cost = None;
    cost[2].estimated_cost = Some(0.01);
    assert_eq!(StrategyKind::LowestCost.build(Some(1), 0.1).pick(&cost), 2);
}

/// The value of a future that is ready at once (the memory state's).
fn ready<T>(f: impl std::future::Future<Output = T>) -> T {
    futures_util::FutureExt::now_or_never(f).expect("the memory state answers at once")
}

fn admission<'a>(
    budgets: &'a [&'a SpendLimit],
    policy: &'a CooldownPolicy,
    tokens: u64,
    usd: f64,
) -> Admission<'a> {
    Admission {
        deployment: "d",
        group: "g",
        tags: &[],
        rpm: Some(3),
        tpm: Some(1000),
        tokens,
        cost_usd: usd,
        budgets,
        cooldown: policy,
    }
}

#[test]
fn memory_state_reserves_then_reconciles() {
    let st = MemoryState::default();
    let policy = CooldownPolicy::default();
    let budget = SpendLimit {
        scope: SpendScope::Group("g".into()),
        limit_usd: 1.0,
        period: Duration::from_secs(3600),
        action: crate::catalog::BudgetAction::Refuse,
    };
    let budgets = [&budget];
    // TPM: 600 reserved leaves room for no second 600 until reconciled.
    let r1 = ready(st.admit(&admission(&budgets, &policy, 600, 0.6))).unwrap();
    assert!(matches!(
        ready(st.admit(&admission(&budgets, &policy, 600, 0.1))),
        Err(Refusal::RateLimited { .. })
    ));
    // SpendLimit: 0.6 reserved + 0.5 > 1.0.
    assert!(matches!(
        ready(st.admit(&admission(&budgets, &policy, 10, 0.5))),
        Err(Refusal::SpendLimit { .. })
    ));
    st.settle(
        r1,
        Settlement {
            tokens: Some(100),
            cost_usd: Some(0.1),
            ttft_ms: None,
            per_token_ms: Some(5.0),
            verdict: Verdict::Success,
        },
    );
    assert!((ready(st.spent("group:g")) - 0.1).abs() < 1e-9);
    let r2 = ready(st.admit(&admission(&budgets, &policy, 600, 0.5))).unwrap();
    // RPM 3: the third request of the minute is the last.
    let r3 = ready(st.admit(&admission(&budgets, &policy, 10, 0.0))).unwrap();
    assert!(matches!(
        ready(st.admit(&admission(&budgets, &policy, 10, 0.0))),
        Err(Refusal::RateLimited { .. })
    ));
    let stats = st.stats("d", Some(3), Some(1000));
    assert_eq!(stats.in_flight, 2);
    assert_eq!((stats.ttft_ms, stats.per_token_ms), (None, Some(5.0)));
    // A rate limit cools until its reset; a neutral end leaves no mark.
    let until = r2.started + Duration::from_secs(30);
    st.settle(
        r2,
        Settlement {
            tokens: Some(0),
            cost_usd: Some(0.0),
            ttft_ms: None,
            per_token_ms: None,
            verdict: Verdict::CoolUntil(until),
        },
    );
    st.settle(
        r3,
        Settlement {
            tokens: None,
            cost_usd: None,
            ttft_ms: None,
            per_token_ms: None,
            verdict: Verdict::Neutral,
        },
    );
    assert_eq!(
        st.stats("d", Some(3), Some(1000)).cooling_until,
        Some(until)
    );
    assert!(matches!(
        ready(st.admit(&admission(&budgets, &policy, 1, 0.0))),
        Err(Refusal::Cooling { .. })
    ));
}

#[test]
fn failures_in_a_window_cool_and_caller_timeouts_do_not() {
    let policy = CooldownPolicy {
        allowed_fails: 2,
        ..Default::default()
    };
    let now = std::time::Instant::now();
    let server = crate::Error::new(crate::ErrorKind::Server, "boom").with_status(500);
    assert_eq!(state::verdict_of(&server, &policy, now), Verdict::Failure);
    let ours = crate::Error::new(crate::ErrorKind::Timeout, "t")
        .with_timeout_kind(crate::TimeoutKind::Total);
    assert_eq!(state::verdict_of(&ours, &policy, now), Verdict::Neutral);
    let limited = crate::Error::new(crate::ErrorKind::RateLimit, "slow")
        .with_retry_after(Duration::from_secs(7));
    assert_eq!(
        state::verdict_of(&limited, &policy, now),
        Verdict::CoolUntil(now + Duration::from_secs(7))
    );
    let auth = crate::Error::new(crate::ErrorKind::Auth, "no").with_status(401);
    assert_eq!(
        state::verdict_of(&auth, &policy, now),
        Verdict::CoolUntil(now + policy.rejected)
    );

    let st = MemoryState::default();
    let none: [&SpendLimit; 0] = [];
    for _ in 0..2 {
        let r = ready(st.admit(&admission(&none, &policy, 1, 0.0))).unwrap();
        st.settle(
            r,
            Settlement {
                tokens: Some(0),
                cost_usd: Some(0.0),
                ttft_ms: None,
                per_token_ms: None,
                verdict: Verdict::Failure,
            },
        );
    }
    assert!(st.stats("d", None, None).cooling_until.is_some());
}
