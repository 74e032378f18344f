//! Routed streams that break after content: with stream recovery and auto-resume on in the
//! client template, the answer continues
//! on another deployment of the group (the partial text sent back as the assistant's turn)
//! and the route marks the continuation; without it, the stream ends with the typed error
//! carrying the partial answer and the route of the break.

use crate::router::{ask, dep};
use crate::support::fixtures::data;
use crate::support::{Ending, Reply, TestServer};
use exllm::recovery::RecoveryStore;
use exllm::router::{Router, RouterSettings};
use exllm::{Client, ErrorKind};
use serde_json::{json, Value};

/// An OpenAI chat stream of these text deltas; `done` adds the finish, usage and `[DONE]`.
fn openai(deltas: &[&str], done: bool) -> String {
    let chunk = |delta: Value, finish: Value| {
        data(
            &json!({"id": "c1", "object": "chat.completion.chunk", "model": "gpt-4o-mini",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}),
        )
    };
    let mut s = chunk(json!({"role": "assistant", "content": ""}), Value::Null);
    for d in deltas {
        s += &chunk(json!({"content": d}), Value::Null);
    }
    if done {
        s += &chunk(json!({}), json!("stop"));
        s += &data(
            &json!({"id": "c1", "object": "chat.completion.chunk", "model": "gpt-4o-mini",
            "choices": [], "usage": {"prompt_tokens": 30, "completion_tokens": 3,
            "total_tokens": 33}}),
        );
        s += "data: [DONE]\n\n";
    }
    s
}

fn cut(body: String) -> Reply {
    Reply::sse(vec![body.into_bytes()]).ending(Ending::Close)
}

fn settings() -> RouterSettings {
    RouterSettings {
        seed: Some(5),
        ..Default::default()
    }
}

/// A router over `a` then `b`; `store` keeps interrupted answers, and with `resume` a broken
/// stream continues on the other deployment.
fn router(a: &TestServer, b: &TestServer, store: RecoveryStore, resume: bool) -> Router {
    let template = Client::builder()
        .recovery(Some(store))
        .auto_resume(u32::from(resume));
    Router::builder()
        .deployment(dep("s", a).order(1))
        .deployment(dep("s", b).order(2))
        .settings(settings())
        .client_template(template)
        .env_lookup(|_| None)
        .build()
        .unwrap()
}

#[tokio::test]
async fn with_auto_resume_a_stream_broken_after_content_continues_on_another_deployment() {
    let a = TestServer::start(vec![cut(openai(&["It was a dark ", "and stormy"], false))]).await;
    let b = TestServer::start(vec![Reply::sse(vec![
        openai(&[" night."], true).into_bytes()
    ])])
    .await;
    let store = RecoveryStore::default();
    let r = router(&a, &b, store.clone(), true);
    let resp = r
        .chat_stream(ask("s"))
        .await
        .unwrap()
        .collect_response()
        .await
        .expect("continued on the other deployment");
    assert_eq!(resp.text(), "It was a dark and stormy night.");
    // The continuation was asked with the text already passed on as the assistant's turn.
    let sent = b.only_request().json();
    let msgs = sent["messages"].as_array().unwrap();
    assert!(
        msgs.iter()
            .any(|m| m["role"] == "assistant" && m["content"] == "It was a dark and stormy"),
        "{sent}"
    );
    let route = resp.route.expect("the route is collected");
    let seen: Vec<(&str, Option<&str>, bool)> = route
        .attempts
        .iter()
        .map(|a| (a.deployment.as_str(), a.error.as_deref(), a.resumed))
        .collect();
    assert_eq!(
        seen,
        vec![("s#0", Some("Network"), false), ("s#1", None, true)],
        "{route:?}"
    );
    assert_eq!(route.answered_by(), Some("s#1"));
    // Both reservations were settled; the break counts once against the first deployment.
    assert_eq!(r.stats("s#0").unwrap().in_flight, 0);
    assert_eq!(r.stats("s#1").unwrap().in_flight, 0);
    // The client's recovery kept the broken part; the continuation took it out of the store.
    assert!(store.is_empty(), "{} left", store.len());
}

#[tokio::test]
async fn without_auto_resume_the_break_ends_with_the_partial_answer_and_its_route() {
    let a = TestServer::start(vec![cut(openai(&["It was a dark ", "and stormy"], false))]).await;
    let b = TestServer::start(vec![Reply::sse(vec![
        openai(&[" night."], true).into_bytes()
    ])])
    .await;
    let r = router(&a, &b, RecoveryStore::default(), false);
    let mut e = r
        .chat_stream(ask("s"))
        .await
        .unwrap()
        .collect_response()
        .await
        .expect_err("never a silently truncated answer");
    assert_eq!(e.kind(), ErrorKind::Network);
    let partial = e.take_partial().expect("the partial answer");
    assert_eq!(partial.text(), "It was a dark and stormy");
    let route = partial.route.expect("the partial answer carries the route");
    assert_eq!(route.attempts.len(), 1);
    assert_eq!(route.attempts[0].error.as_deref(), Some("Network"));
    assert_eq!(b.request_count(), 0, "no switch without auto-resume");
}

#[tokio::test]
async fn a_continuation_that_cannot_start_ends_with_the_whole_partial_answer() {
    let a = TestServer::start(vec![cut(openai(&["It was a dark ", "and stormy"], false))]).await;
    let b = TestServer::start(vec![
        Reply::json(500, r#"{"error":{"message":"down"}}"#),
        Reply::json(500, r#"{"error":{"message":"down"}}"#),
        Reply::json(500, r#"{"error":{"message":"down"}}"#),
        Reply::json(500, r#"{"error":{"message":"down"}}"#),
    ])
    .await;
    let settings = RouterSettings {
        max_attempts: 2,
        ..settings()
    };
    let r = Router::builder()
        .deployment(dep("s", &a).order(1))
        .deployment(dep("s", &b).order(2))
        .settings(settings)
        .client_template(Client::builder().auto_resume(3))
        .env_lookup(|_| None)
        .build()
        .unwrap();
    let mut e = r
        .chat_stream(ask("s"))
        .await
        .unwrap()
        .collect_response()
        .await
        .expect_err("the continuation failed");
    assert!(
        e.recovery_id().is_some(),
        "the client's recovery kept it: {e:?}"
    );
    let partial = e.take_partial().expect("the partial answer");
    assert_eq!(partial.text(), "It was a dark and stormy");
    let route = partial.route.unwrap();
    assert_eq!(route.attempts.len(), 2, "{route:?}");
    assert!(route.attempts[1].resumed);
    assert_eq!(route.attempts[1].status, Some(500));
    assert_eq!(b.request_count(), 1, "the attempt cap holds");
}
