//! Unit tests: config files (both formats give the same router; errors name file, line and
//! field; unknown fields warn), strategies with seeded randomness, buckets and the memory
//! state's reservations.

use super::*;
use std::time::Duration;

const LITELLM: &str = r#"
model_list:
  - model_name: fast
    litellm_params:
      model: openai/gpt-4o-mini
      api_base: http://127.0.0.1:9/v1
      api_key: os.environ/FAST_KEY
      rpm: 10
      tpm: 20000
      weight: 2
      order: 1
      tags: [prod]
      timeout: 30
    model_info:
      id: fast-a
  - model_name: fast
    litellm_params:
      model: gpt-4o
      api_key: sk-plain
      order: 2
  - model_name: smart
    litellm_params:
      model: anthropic/claude-sonnet-4-5
    tpm: 5000
router_settings:
  routing_strategy: least-busy
  num_retries: 3
  allowed_fails: 2
  cooldown_time: 45
  fallbacks: [{fast: [smart]}]
  context_window_fallbacks: [{fast: [smart]}]
general_settings:
  master_key: sk-1234
"#;

const TOML: &str = r#"
strategy = "least_busy"
max_attempts = 4

[cooldown]
allowed_fails = 2
cooldown = "45s"

[fallbacks]
fast = ["smart"]

[context_window_fallbacks]
fast = ["smart"]

[[deployments]]
id = "fast-a"
group = "fast"
model = "openai/gpt-4o-mini"
api_base = "http://127.0.0.1:9/v1"
api_key = "os.environ/FAST_KEY"
rpm = 10
tpm = 20000
weight = 2
order = 1
tags = ["prod"]

[[deployments]]
group = "fast"
model = "openai/gpt-4o"
api_key = "sk-plain"
order = 2

[[deployments]]
group = "smart"
model = "anthropic/claude-sonnet-4-5"
tpm = 5000
"#;

#[test]
fn litellm_model_list_and_our_toml_give_the_same_router() {
    let a = RouterConfig::from_litellm_yaml(LITELLM, "proxy.yaml").unwrap();
    let b = RouterConfig::from_toml(TOML, "router.toml").unwrap();
    assert_eq!(a.deployments, b.deployments);
    assert_eq!(a.settings, b.settings);
    assert_eq!(a.settings.strategy, StrategyKind::LeastBusy);
    assert_eq!(
        a.deployments[0].api_key,
        Some(KeySource::Env("FAST_KEY".into()))
    );
    assert!(b.warnings.is_empty(), "{:?}", b.warnings);
    // LiteLLM fields the router does not use are warnings, not failures.
    assert!(
        a.warnings
            .iter()
            .any(|w| w.contains("model_list[0].litellm_params.timeout")),
        "{:?}",
        a.warnings
    );
    assert!(
        a.warnings.iter().any(|w| w.contains("general_settings")),
        "{:?}",
        a.warnings
    );
    // Both build the same router (keys from the lookup, never the process environment).
    let build = |c: RouterConfig| {
        RouterBuilder::from_config(c)
            .env_lookup(|k| (k == "FAST_KEY").then(|| "sk-fast".to_owned()))
            .build()
            .unwrap()
    };
    let (ra, rb) = (build(a), build(b));
    assert_eq!(ra.groups(), vec!["fast", "smart"]);
    let ids = |r: &Router| r.deployments().map(|d| d.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&ra), vec!["fast-a", "fast#1", "smart#0"]);
    assert_eq!(ids(&ra), ids(&rb));
    assert_eq!(ra.settings(), rb.settings());
    // Keys never show in Debug.
    let shown = format!("{ra:?} {rb:?}");
    assert!(
        !shown.contains("sk-plain") && !shown.contains("sk-fast"),
        "{shown}"
    );
}

#[test]
fn a_missing_key_variable_is_a_config_error_naming_it() {
    let c = RouterConfig::from_toml(TOML, "router.toml").unwrap();
    let e = RouterBuilder::from_config(c)
        .env_lookup(|_| None)
        .build()
        .unwrap_err();
    assert_eq!(e.kind(), crate::ErrorKind::Config);
    assert!(e.message().contains("FAST_KEY"), "{e}");
    assert!(!format!("{e:?}").contains("sk-plain"));
}

#[test]
fn bad_values_name_the_file_line_and_field() {
    let bad = TOML.replace("rpm = 10", "rpm = \"ten\"");
    let e = RouterConfig::from_toml(&bad, "router.toml").unwrap_err();
    let m = e.message();
    assert!(m.starts_with("router.toml: line 21: field `rpm`"), "{m}");

    let bad = TOML.replace("openai/gpt-4o-mini", "gpt-4o-mini");
    let m = RouterConfig::from_toml(&bad, "router.toml")
        .unwrap_err()
        .to_string();
    assert!(
        m.contains("line 18") && m.contains("field `model`") && m.contains("provider/model"),
        "{m}"
    );

    let bad = TOML.replace("least_busy", "fastest");
    let m = RouterConfig::from_toml(&bad, "router.toml")
        .unwrap_err()
        .to_string();
    assert!(
        m.contains("line 2") && m.contains("unknown strategy `fastest`"),
        "{m}"
    );

    let bad = LITELLM.replace("rpm: 10", "rpm: many");
    let m = RouterConfig::from_litellm_yaml(&bad, "proxy.yaml")
        .unwrap_err()
        .to_string();
    assert!(
        m.contains("proxy.yaml") && m.contains("line 8") && m.contains("litellm_params.rpm"),
        "{m}"
    );

    let bad = LITELLM.replace(
        "    litellm_params:\n      model: gpt-4o\n",
        "    litellm_params:\n      api_base: x\n",
    );
    let m = RouterConfig::from_litellm_yaml(&bad, "proxy.yaml")
        .unwrap_err()
        .to_string();
    assert!(
        m.contains("missing field `model`") && m.contains("line"),
        "{m}"
    );
}

#[test]
fn unknown_toml_fields_warn() {
    let extra = TOML.replace("rpm = 10", "rpm = 10\ncolour = \"red\"");
    let c = RouterConfig::from_toml(&extra, "r.toml").unwrap();
    assert_eq!(
        c.warnings,
        vec!["r.toml: `deployments[0].colour` is not used by the exllm router; ignored"]
    );
}

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
    budgets: &'a [&'a Budget],
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
    let budget = Budget {
        scope: BudgetScope::Group("g".into()),
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
    // Budget: 0.6 reserved + 0.5 > 1.0.
    assert!(matches!(
        ready(st.admit(&admission(&budgets, &policy, 10, 0.5))),
        Err(Refusal::Budget { .. })
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
    let none: [&Budget; 0] = [];
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

#[test]
fn toml_budgets_and_durations() {
    let text = format!(
        "{TOML}\n[[budgets]]\ngroup = \"fast\"\nusd = 2.5\nperiod = \"1d\"\naction = \"warn\"\n\n[[budgets]]\ntag = \"prod\"\nusd = 1\nperiod = 3600\n"
    );
    let c = RouterConfig::from_toml(&text, "r.toml").unwrap();
    assert_eq!(
        c.settings.budgets,
        vec![
            Budget {
                scope: BudgetScope::Group("fast".into()),
                limit_usd: 2.5,
                period: Duration::from_secs(86_400),
                action: crate::catalog::BudgetAction::Warn,
            },
            Budget {
                scope: BudgetScope::Tag("prod".into()),
                limit_usd: 1.0,
                period: Duration::from_secs(3600),
                action: crate::catalog::BudgetAction::Refuse,
            },
        ]
    );
    let bad = text.replace("tag = \"prod\"", "tag = \"prod\"\ngroup = \"fast\"");
    let m = RouterConfig::from_toml(&bad, "r.toml")
        .unwrap_err()
        .to_string();
    assert!(
        m.contains("r.toml: line") && m.contains("exactly one of"),
        "{m}"
    );
    let bad = text.replace("period = \"1d\"", "period = \"soon\"");
    let m = RouterConfig::from_toml(&bad, "r.toml")
        .unwrap_err()
        .to_string();
    assert!(
        m.contains("field `period`") && m.contains("bad duration `soon`"),
        "{m}"
    );
}
