//! A router group's guardrails, from its TOML (`[guardrails.<group>]`, `"*"`), LiteLLM's
//! `default_on` entries, and code: the deployment sees placeholders and the caller the
//! originals, whole and streamed; a blocked request reaches no deployment; groups without
//! guardrails are untouched.

use exllm::guardrails::{Guardrails, Secrets};
use exllm::router::{Deployment, Router, RouterBuilder, RouterConfig};
use exllm::{ChatRequest, Client, ErrorKind, Message, MockProvider};
use std::sync::Arc;

const TOML: &str = r#"
[[deployments]]
group = "guarded"
model = "mock/a"
[[deployments]]
group = "open"
model = "mock/b"
[guardrails.guarded]
pii = {}
"#;

fn with_mock(cfg: RouterConfig, mock: &MockProvider) -> RouterBuilder {
    RouterBuilder::from_config(cfg)
        .client_template(Client::builder().provider("mock", Arc::new(mock.clone())))
}

fn ask(group: &str, text: &str) -> ChatRequest {
    ChatRequest::new(group, vec![Message::user(text)])
}

#[tokio::test]
async fn a_group_masks_for_its_deployments_and_restores_for_the_caller() {
    let mock = MockProvider::new(); // echoes the last user message
    let cfg = RouterConfig::from_toml(TOML, "r.toml").unwrap();
    assert!(cfg.warnings.is_empty(), "{:?}", cfg.warnings);
    let r = with_mock(cfg, &mock).build().unwrap();
    let resp = r
        .chat(ask("guarded", "mail ann@example.com"))
        .await
        .unwrap();
    assert_eq!(mock.requests()[0].messages[0].text(), "mail <EMAIL_1>");
    assert_eq!(resp.text(), "mail ann@example.com");
    let s = r
        .chat_stream(ask("guarded", "call +14155552671"))
        .await
        .unwrap();
    let resp = s.collect_response().await.unwrap();
    assert_eq!(mock.requests()[1].messages[0].text(), "call <PHONE_1>");
    assert_eq!(resp.text(), "call +14155552671");
    // Another group has none.
    r.chat(ask("open", "mail ann@example.com")).await.unwrap();
    assert_eq!(
        mock.requests()[2].messages[0].text(),
        "mail ann@example.com"
    );
}

#[tokio::test]
async fn every_group_and_code_guardrails_block_before_any_deployment() {
    let mock = MockProvider::new();
    let toml = format!("{TOML}\n[guardrails.\"*\"]\nsecrets = {{}}\n");
    let r = with_mock(RouterConfig::from_toml(&toml, "r.toml").unwrap(), &mock)
        .build()
        .unwrap();
    for group in ["guarded", "open"] {
        let e = r
            .chat(ask(group, "key AKIAIOSFODNN7EXAMPLE"))
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Guardrail);
        let (res, route) = r
            .chat_stream_routed(ask(group, "AKIAIOSFODNN7EXAMPLE"))
            .await;
        assert!(res.is_err());
        assert!(route.attempts.is_empty());
    }
    assert!(mock.requests().is_empty());
    let mock = MockProvider::new();
    let r = Router::builder()
        .deployment(Deployment::new("g", "mock/x"))
        .client_template(Client::builder().provider("mock", Arc::new(mock.clone())))
        .guardrails("g", Guardrails::new().with(Secrets::default()))
        .build()
        .unwrap();
    assert!(r.guardrails("g").is_some());
    assert!(r
        .chat(ask("g", "ghp_0123456789abcdefghijABCDEFGHIJ012345"))
        .await
        .is_err());
    assert!(mock.requests().is_empty());
}

#[tokio::test]
async fn litellm_default_on_guardrails_guard_every_group() {
    let yaml = r#"
model_list:
  - model_name: fast
    litellm_params: { model: mock/a }
guardrails:
  - guardrail_name: mask-pii
    litellm_params: { guardrail: presidio, mode: pre_call, default_on: true }
  - guardrail_name: only-when-asked
    litellm_params: { guardrail: secret_detection, mode: pre_call }
"#;
    let cfg = RouterConfig::from_litellm_yaml(yaml, "c.yaml").unwrap();
    assert!(cfg.warnings.is_empty(), "{:?}", cfg.warnings);
    let star = &cfg.guardrails["*"];
    assert!(star.pii.is_some() && star.secrets.is_none());
    let mock = MockProvider::new();
    let r = with_mock(cfg, &mock).build().unwrap();
    let resp = r.chat(ask("fast", "ann@example.com")).await.unwrap();
    assert_eq!(mock.requests()[0].messages[0].text(), "<EMAIL_1>");
    assert_eq!(resp.text(), "ann@example.com");
    let bad = "model_list: []\nguardrails:\n  - guardrail_name: x\n    litellm_params: { guardrail: aporia }\n";
    let e = RouterConfig::from_litellm_yaml(bad, "c.yaml").unwrap_err();
    assert!(e.message().contains("aporia"), "{e}");
    let e = RouterConfig::from_toml(&format!("{TOML}[guardrails.nope]\npii = {{}}\n"), "r.toml")
        .and_then(|c| with_mock(c, &MockProvider::new()).build())
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config);
}
