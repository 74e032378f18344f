//! Unit tests of the config files: both formats give the same router; errors name file,
//! line and field; unknown fields warn; budgets and durations.

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

#[test]
fn toml_budgets_and_durations() {
    let text = format!(
        "{TOML}\n[[budgets]]\ngroup = \"fast\"\nusd = 2.5\nperiod = \"1d\"\naction = \"warn\"\n\n[[budgets]]\ntag = \"prod\"\nusd = 1\nperiod = 3600\n"
    );
    let c = RouterConfig::from_toml(&text, "r.toml").unwrap();
    assert_eq!(
        c.settings.budgets,
        vec![
            SpendLimit {
                scope: SpendScope::Group("fast".into()),
                limit_usd: 2.5,
                period: Duration::from_secs(86_400),
                action: crate::catalog::BudgetAction::Warn,
            },
            SpendLimit {
                scope: SpendScope::Tag("prod".into()),
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
