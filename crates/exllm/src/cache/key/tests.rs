use super::*;
use crate::types::Message;

fn scope() -> CacheScope {
    CacheScope::new("openai", "https://api.openai.com/v1", "openai-chat")
        .with_credential(Some(Secret::new("sk-one")))
}

fn ask() -> ChatRequest {
    ChatRequest::new("openai/gpt-4o-mini", vec![Message::user("Hi")])
}

#[test]
fn key_order_does_not_matter() {
    let a: Value = serde_json::json!({"b": 1, "a": {"y": [1, 2], "x": "s"}});
    let b: Value = serde_json::json!({"a": {"x": "s", "y": [1, 2]}, "b": 1});
    let (mut sa, mut sb) = (Vec::new(), Vec::new());
    canonical(&a, &mut sa);
    canonical(&b, &mut sb);
    assert_eq!(sa, sb);
    assert_eq!(sa, br#"{"a":{"x":"s","y":[1,2]},"b":1}"#);
}

#[test]
fn keys_follow_the_request_not_its_settings() {
    let k = KeyMaker::default();
    let req = ask();
    let mut other = req.clone();
    other.retry = Some(crate::transport::RetryPolicy::none());
    assert_eq!(
        k.chat(&scope(), &req).unwrap(),
        k.chat(&scope(), &other).unwrap()
    );
    other.model = "anthropic/gpt-4o-mini".into();
    assert_ne!(
        k.chat(&scope(), &req).unwrap(),
        k.chat(&scope(), &other).unwrap()
    );
    let key = k.chat(&scope(), &req).unwrap();
    assert!(key.starts_with("exllm:v2:chat:"));
    assert_eq!(key.len(), "exllm:v2:chat:".len() + 64);
}

#[test]
fn every_part_of_the_scope_separates_answers() {
    let k = KeyMaker::default();
    let base = k.chat(&scope(), &ask()).unwrap();
    let mut s = scope();
    s.base_url = "http://proxy.internal/v1".into();
    assert_ne!(k.chat(&s, &ask()).unwrap(), base, "base URL");
    let mut s = scope();
    s.api = "openai-responses".into();
    assert_ne!(k.chat(&s, &ask()).unwrap(), base, "API");
    let mut s = scope();
    s.provider = "azure".into();
    assert_ne!(k.chat(&s, &ask()).unwrap(), base, "provider");
    let s = scope().with_credential(Some(Secret::new("sk-two")));
    assert_ne!(k.chat(&s, &ask()).unwrap(), base, "credential");
    let s = scope().with_credential(None);
    assert_ne!(k.chat(&s, &ask()).unwrap(), base, "no credential");
    let tenant = KeyMaker {
        namespace: "team-b".into(),
        ..KeyMaker::default()
    };
    assert_ne!(tenant.chat(&scope(), &ask()).unwrap(), base, "namespace");
    let secret = KeyMaker {
        secret: Secret::new("deployment secret"),
        ..KeyMaker::default()
    };
    assert_ne!(secret.chat(&scope(), &ask()).unwrap(), base, "secret");
}

#[test]
fn the_credential_never_reaches_the_key_or_debug() {
    let k = KeyMaker::default();
    let key = k.chat(&scope(), &ask()).unwrap();
    assert!(!key.contains("sk-one"));
    let shown = format!("{:?}", scope());
    assert!(!shown.contains("sk-one"), "{shown}");
}

#[test]
fn a_request_json_cannot_carry_has_no_key() {
    let k = KeyMaker::default();
    let mut nan = ask();
    nan.temperature = Some(f64::NAN);
    let e = k.chat(&scope(), &nan).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    let mut inf = ask();
    inf.top_p = Some(f64::INFINITY);
    assert!(k.chat(&scope(), &inf).is_err());
}
