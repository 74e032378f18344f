use super::*;

#[test]
fn our_toml_names_groups_and_direct_entries() {
    let text = r#"
master_key = "os.environ/GW_KEY"
strategy = "least_busy"
[limits]
max_body_bytes = 1000
timeout = "2m"
shutdown_grace = 5
[[models]]
name = "mini"
model = "openai/gpt-4o-mini"
api_key = "os.environ/OPENAI_KEY"
api_base = "http://127.0.0.1:9/v1"
[[models]]
name = "smart"
group = "claude"
[[deployments]]
group = "claude"
model = "anthropic/claude-sonnet-4-5"
api_key = "sk-literal"
"#;
    let cfg = GatewayConfig::from_toml(text, "gw.toml").unwrap();
    assert_eq!(cfg.master_key, Some(KeySource::Env("GW_KEY".into())));
    assert_eq!(cfg.limits.max_body_bytes, 1000);
    assert_eq!(cfg.limits.timeout, Duration::from_secs(120));
    assert_eq!(cfg.limits.shutdown_grace, Duration::from_secs(5));
    assert!(cfg.warnings.is_empty(), "{:?}", cfg.warnings);
    assert_eq!(cfg.model_names(), ["mini", "smart", "claude"]);
    assert_eq!(cfg.models[1].target, Target::Group("claude".into()));
    assert!(
        matches!(&cfg.models[0].target, Target::Direct { model, .. } if model == "openai/gpt-4o-mini")
    );
    assert_eq!(cfg.router.deployments.len(), 1);
}

#[test]
fn bad_entries_are_config_errors() {
    for (text, needle) in [
        (
            "[[models]]\nname = \"a\"\nmodel = \"nope\"",
            "provider/model",
        ),
        (
            "[[models]]\nname = \"a\"\ngroup = \"g\"",
            "no `[[deployments]]`",
        ),
        ("[[models]]\nname = \"a\"", "either"),
        (
            "[[models]]\nname = \"a\"\nmodel = \"x/y\"\n[[models]]\nname = \"a\"\nmodel = \"x/z\"",
            "twice",
        ),
        ("[limits]\ntimeout = \"soon\"", "duration"),
        ("[limits]\nbogus = 1", "bogus"),
    ] {
        let err = GatewayConfig::from_toml(text, "gw.toml").unwrap_err();
        assert!(
            err.message().contains(needle),
            "{}: {}",
            needle,
            err.message()
        );
    }
}

#[test]
fn a_litellm_config_reads_as_it_is() {
    let text = r#"
model_list:
  - model_name: gpt-4o
    litellm_params:
      model: openai/gpt-4o
      api_key: os.environ/OPENAI_API_KEY
  - model_name: claude
    litellm_params:
      model: anthropic/claude-sonnet-4-5
      api_key: os.environ/ANTHROPIC_API_KEY
router_settings:
  routing_strategy: simple-shuffle
litellm_settings:
  request_timeout: 30
general_settings:
  master_key: sk-1234
  database_url: postgres://x
"#;
    let cfg = GatewayConfig::from_litellm_yaml(text, "config.yaml").unwrap();
    assert_eq!(
        cfg.master_key,
        Some(KeySource::Value(exllm::Secret::new("sk-1234")))
    );
    assert_eq!(cfg.limits.timeout, Duration::from_secs(30));
    assert_eq!(cfg.model_names(), ["gpt-4o", "claude"]);
    assert_eq!(cfg.warnings.len(), 1, "{:?}", cfg.warnings);
    assert!(cfg.warnings[0].contains("database_url"));
}

#[test]
fn keys_resolve_from_the_environment_given() {
    let env = |k: &str| (k == "K").then(|| "v".to_owned());
    let key = resolve_key(&KeySource::Env("K".into()), &env).unwrap();
    assert_eq!(key.expose(), "v");
    assert!(resolve_key(&KeySource::Env("MISSING".into()), &env).is_err());
    assert_eq!(parse_duration("250ms"), Some(Duration::from_millis(250)));
    assert_eq!(parse_duration("1h"), Some(Duration::from_secs(3600)));
    assert_eq!(parse_duration("x"), None);
}

#[test]
fn shared_governance_state_reads_and_bad_values_are_config_errors() {
    let base = "[governance]\ndb = \"x.db\"\n[governance.models.m]\nrpm = 5\n[governance.shared]\nredis_url = \"redis://127.0.0.1:6379/\"\n";
    let cfg = GatewayConfig::from_toml(
        &format!("{base}on_unavailable = \"open\"\ntimeout = \"80ms\"\n"),
        "gw.toml",
    )
    .unwrap();
    let shared = cfg.governance.shared.as_ref().unwrap();
    assert!(shared.fail_open);
    assert_eq!(shared.timeout, Duration::from_millis(80));
    assert_eq!(shared.prefix, "exllm:gw:");
    assert_eq!(cfg.governance.models["m"].rpm, Some(5));
    // The URL (which may hold a password) is not in Debug.
    let shown = format!("{shared:?}");
    assert!(!shown.contains("6379"), "{shown}");
    for bad in ["on_unavailable = \"maybe\"\n", "timeout = \"soon\"\n"] {
        let e = GatewayConfig::from_toml(&format!("{base}{bad}"), "gw.toml").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Config, "{e}");
    }
    let e = GatewayConfig::from_toml("[governance.shared]\nredis_url = \"http://x\"\n", "gw.toml")
        .unwrap_err();
    assert!(e.message().contains("redis://"), "{e}");
}

#[test]
fn metrics_protection_and_passthrough_are_read_from_both_spellings() {
    let toml = "master_key = \"k\"\nprotect_metrics = true\n[[models]]\nname = \"m\"\nmodel = \"openai/x\"\npassthrough = false\n";
    let cfg = GatewayConfig::from_toml(toml, "gw.toml").unwrap();
    assert!(cfg.protect_metrics && cfg.models[0].passthrough == Some(false));
    assert!(cfg.warnings.is_empty(), "{:?}", cfg.warnings);
    let on = GatewayConfig::from_toml(
        "[[models]]\nname = \"m\"\nmodel = \"openai/x\"\n",
        "gw.toml",
    )
    .unwrap();
    assert!(!on.protect_metrics && on.models[0].passthrough.is_none());
    let err = GatewayConfig::from_toml("protect_metrics = true\n", "gw.toml").unwrap_err();
    assert!(err.message().contains("master key"), "{err}");
    let grouped = "[[models]]\nname = \"g2\"\ngroup = \"g\"\npassthrough = true\n[[deployments]]\ngroup = \"g\"\nmodel = \"openai/x\"\n";
    assert!(GatewayConfig::from_toml(grouped, "gw.toml").is_err());
    let yaml = "model_list:\n  - model_name: m\n    litellm_params:\n      model: openai/x\nlitellm_settings:\n  require_auth_for_metrics_endpoint: true\ngeneral_settings:\n  master_key: sk-1\n";
    let cfg = GatewayConfig::from_litellm_yaml(yaml, "config.yaml").unwrap();
    assert!(cfg.protect_metrics);
    assert!(
        cfg.warnings.iter().all(|w| !w.contains("require_auth")),
        "{:?}",
        cfg.warnings
    );
}

#[test]
fn the_response_cache_is_read_from_both_spellings() {
    let cfg =
        GatewayConfig::from_toml("[cache]\nttl = \"10m\"\nmax_bytes = 1024\n", "gw.toml").unwrap();
    let c = cfg.cache.unwrap();
    assert_eq!((c.ttl, c.max_bytes), (Duration::from_secs(600), 1024));
    assert!(GatewayConfig::from_toml("", "gw.toml")
        .unwrap()
        .cache
        .is_none());
    let e = GatewayConfig::from_toml("[cache]\nttl = \"soon\"\n", "gw.toml").unwrap_err();
    assert!(e.message().contains("cache.ttl"), "{e}");
    let yaml = "model_list:\n  - model_name: m\n    litellm_params:\n      model: openai/x\nlitellm_settings:\n  cache: true\n  cache_params:\n    type: redis\n    ttl: 120\n";
    let cfg = GatewayConfig::from_litellm_yaml(yaml, "config.yaml").unwrap();
    assert_eq!(cfg.cache.unwrap().ttl, Duration::from_secs(120));
    assert!(
        cfg.warnings.iter().all(|w| !w.contains("cache")),
        "{:?}",
        cfg.warnings
    );
}
