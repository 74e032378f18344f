//! A Redis state chosen by the config file, against a real redis-server: two routers built
//! from the same TOML (`[state] redis_url`) or LiteLLM YAML (`router_settings.redis_host`,
//! `redis_port`) hold one RPM limit between them, and a config that fails closed refuses
//! calls within its timeout when Redis does not answer.

#![cfg(feature = "redis")]

use crate::router::ok;
use crate::support::redis::Redis;
use crate::support::{TestServer, KEY};
use exllm::router::{RouterBuilder, RouterConfig};
use exllm::{ChatRequest, ErrorKind};
use std::net::TcpListener;
use std::time::{Duration, Instant};

fn ask() -> ChatRequest {
    ChatRequest::new("g", crate::support::hello_messages()).with_max_tokens(10)
}

fn build(cfg: RouterConfig) -> exllm::router::Router {
    RouterBuilder::from_config(cfg)
        .env_lookup(|k| (k == "TEST_KEY").then(|| KEY.to_owned()))
        .build()
        .expect("router builds")
}

/// Two routers of `cfg`: the first call passes, the other router's is refused by the shared
/// RPM of 1, and only one request reaches the server.
async fn one_limit_between_two(cfg: RouterConfig, server: &TestServer) {
    assert!(cfg.state.is_redis(), "{:?}", cfg.state);
    assert!(cfg.warnings.is_empty(), "{:?}", cfg.warnings);
    let a = build(cfg.clone());
    let b = build(cfg);
    a.chat(ask()).await.expect("the first call passes");
    let e = b.chat(ask()).await.expect_err("the shared limit holds");
    assert_eq!(e.kind(), ErrorKind::RateLimit, "{e}");
    assert_eq!(server.request_count(), 1);
}

#[tokio::test]
async fn a_toml_state_table_shares_one_limit_through_redis() {
    let redis = Redis::start();
    let server = TestServer::start(vec![ok(), ok()]).await;
    let text = format!(
        r#"
max_wait = "0s"
[state]
redis_url = "redis://127.0.0.1:{}/"
prefix = "toml-state:"
timeout = "2s"
on_unavailable = "closed"
[[deployments]]
group = "g"
model = "openai/gpt-4o-mini"
api_base = "{}"
api_key = "os.environ/TEST_KEY"
rpm = 1
"#,
        redis.port,
        server.url()
    );
    let cfg = RouterConfig::from_toml(&text, "router.toml").unwrap();
    one_limit_between_two(cfg, &server).await;
}

#[tokio::test]
async fn litellm_redis_router_settings_share_one_limit() {
    let redis = Redis::start();
    let server = TestServer::start(vec![ok(), ok()]).await;
    let text = format!(
        r#"
model_list:
  - model_name: g
    litellm_params:
      model: openai/gpt-4o-mini
      api_base: {}
      api_key: os.environ/TEST_KEY
      rpm: 1
router_settings:
  redis_host: 127.0.0.1
  redis_port: {}
"#,
        server.url(),
        redis.port
    );
    let mut cfg = RouterConfig::from_litellm_yaml(&text, "router.yaml").unwrap();
    assert_eq!(
        cfg.state.redis_port.as_deref(),
        Some(redis.port.to_string().as_str())
    );
    // LiteLLM's YAML has no bounded wait: do not wait for the shared bucket to refill.
    cfg.settings.max_wait = Duration::ZERO;
    one_limit_between_two(cfg, &server).await;
}

#[tokio::test]
async fn a_config_failing_closed_refuses_within_its_timeout() {
    // Accepts connections and never answers.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let server = TestServer::start(vec![ok()]).await;
    let text = format!(
        r#"
max_wait = "0s"
[state]
redis_url = "redis://{}/"
timeout = "300ms"
on_unavailable = "closed"
[[deployments]]
group = "g"
model = "openai/gpt-4o-mini"
api_base = "{}"
api_key = "os.environ/TEST_KEY"
"#,
        silent.local_addr().unwrap(),
        server.url()
    );
    let r = build(RouterConfig::from_toml(&text, "router.toml").unwrap());
    let t0 = Instant::now();
    let e = r.chat(ask()).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Network, "{e}");
    assert!(t0.elapsed() < Duration::from_secs(3), "{:?}", t0.elapsed());
    assert_eq!(server.request_count(), 0);
    let bad = RouterConfig::from_toml(
        "[state]\non_unavailable = \"maybe\"\n[[deployments]]\ngroup = \"g\"\nmodel = \"openai/x\"\n",
        "router.toml",
    )
    .unwrap_err();
    assert!(bad.message().contains("on_unavailable"), "{bad}");
    assert!(bad.message().contains("router.toml"), "{bad}");
}

#[tokio::test]
async fn share_cooldowns_keeps_calls_off_redis() {
    // Accepts connections and never answers: a state sharing everything would wait or fail
    // closed; one sharing cooldowns does not ask Redis on a call at all.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let server = TestServer::start(vec![ok()]).await;
    let text = format!(
        r#"
[state]
redis_url = "redis://{}/"
timeout = "300ms"
on_unavailable = "closed"
share = "cooldowns"
[[deployments]]
group = "g"
model = "openai/gpt-4o-mini"
api_base = "{}"
api_key = "os.environ/TEST_KEY"
"#,
        silent.local_addr().unwrap(),
        server.url()
    );
    let cfg = RouterConfig::from_toml(&text, "router.toml").unwrap();
    assert!(cfg.state.cooldowns_only);
    let r = build(cfg);
    let t0 = Instant::now();
    r.chat(ask()).await.unwrap();
    assert!(
        t0.elapsed() < Duration::from_millis(300),
        "{:?}",
        t0.elapsed()
    );
    let bad = RouterConfig::from_toml(
        "[state]\nshare = \"some\"\n[[deployments]]\ngroup = \"g\"\nmodel = \"openai/x\"\n",
        "router.toml",
    )
    .unwrap_err();
    assert!(bad.message().contains("share"), "{bad}");
}
