//! How the router picks, on loopback servers: the lowest-latency strategy settles on the
//! faster deployment once both are measured, and the pre-call checks remove deployments whose
//! window or features (from the catalog) cannot take the request, before anything is sent.

use crate::router::{ask, ok};
use crate::support::fixtures::chat;
use crate::support::{self, Reply, TestServer, KEY};
use exllm::catalog::{Catalog, ModelEntry};
use exllm::router::{Deployment, Route, Router, RouterSettings, StrategyKind};
use exllm::{ChatRequest, Client, ErrorKind, Message};
use std::time::Duration;

const CALLS: usize = 24;

fn slow_ok() -> Reply {
    let body = chat::text("gpt-4o-mini").into_bytes();
    let (a, b) = body.split_at(10);
    Reply::stream("application/json", vec![a.to_vec(), b.to_vec()])
        .delay(Duration::from_millis(120))
}

#[tokio::test]
async fn lowest_latency_settles_on_the_faster_deployment() {
    let slow = TestServer::start((0..CALLS).map(|_| slow_ok()).collect()).await;
    let fast = TestServer::start((0..CALLS).map(|_| ok()).collect()).await;
    let settings = RouterSettings {
        strategy: StrategyKind::LowestLatency,
        seed: Some(42),
        ..Default::default()
    };
    let dep = |s: &TestServer| {
        Deployment::new("g", "openai/gpt-4o-mini")
            .api_base(s.url())
            .api_key(KEY)
    };
    let r = Router::builder()
        .deployment(dep(&slow))
        .deployment(dep(&fast))
        .settings(settings)
        .env_lookup(|_| None)
        .build()
        .unwrap();
    for _ in 0..CALLS {
        r.chat(ask("g")).await.unwrap();
    }
    // Each is measured once; then only the one within the buffer of the best is used.
    assert_eq!(slow.request_count(), 1);
    assert_eq!(fast.request_count(), CALLS - 1);
    let (s, f) = (r.stats("g#0").unwrap(), r.stats("g#1").unwrap());
    assert!(s.per_token_ms.unwrap() > f.per_token_ms.unwrap() * 1.1);
    assert_eq!(
        (s.ttft_ms, f.ttft_ms),
        (None, None),
        "no stream was measured"
    );
}

fn model(id: &str, window: u64, tools: Option<bool>) -> ModelEntry {
    let mut m = ModelEntry {
        provider: "openai".into(),
        id: id.into(),
        mode: Some("chat".into()),
        context_window: Some(window),
        ..Default::default()
    };
    if let Some(t) = tools {
        m.capabilities.insert("supports_function_calling".into(), t);
    }
    m
}

fn long_prompt() -> ChatRequest {
    let text = "The quick brown fox jumps over the lazy dog. ".repeat(40);
    ChatRequest::new("g", vec![Message::user(text)]).with_max_tokens(10)
}

#[tokio::test]
async fn pre_call_checks_remove_what_cannot_serve_before_sending() {
    let tiny = TestServer::start(vec![]).await;
    let no_tools = TestServer::start(vec![ok()]).await;
    let huge = TestServer::start(vec![ok()]).await;
    let catalog = Catalog::from_models(vec![
        model("tiny", 50, None),
        model("no-tools", 100_000, Some(false)),
        model("huge", 1_000_000, Some(true)),
    ]);
    let d = |group: &str, m: &str, s: &TestServer| {
        Deployment::new(group, format!("openai/{m}"))
            .api_base(s.url())
            .api_key(KEY)
    };
    let mut settings = RouterSettings::default();
    settings
        .context_window_fallbacks
        .insert("x".into(), vec!["big".into()]);
    let r = Router::builder()
        .deployment(d("g", "tiny", &tiny))
        .deployment(d("g", "no-tools", &no_tools))
        .deployment(d("x", "tiny", &tiny))
        .deployment(d("big", "huge", &huge))
        .settings(settings)
        .client_template(Client::builder().catalog(catalog))
        .env_lookup(|_| None)
        .build()
        .unwrap();

    // Too long for `tiny`: the other deployment answers.
    let resp = r.chat(long_prompt()).await.unwrap();
    assert_eq!(Route::of(&resp).unwrap().answered_by(), Some("g#1"));

    // With tools: `tiny` is too small and `no-tools` has no tools: nothing is sent.
    let e = r
        .chat(long_prompt().with_tool(support::weather_tool()))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unsupported);
    assert!(
        e.message().contains("window") && e.message().contains("tools"),
        "{e}"
    );

    // Every deployment of `x` is too small: the context-window fallback takes it, and the
    // route shows no wasted call.
    let mut req = long_prompt();
    req.model = "x".into();
    let resp = r.chat(req).await.unwrap();
    let route = Route::of(&resp).unwrap();
    assert_eq!(route.attempts.len(), 1);
    assert_eq!(route.answered_by(), Some("big#0"));
    assert_eq!(tiny.request_count(), 0);
    assert_eq!(no_tools.request_count(), 1);
}

#[tokio::test]
async fn streams_are_ranked_by_their_time_to_first_content() {
    let body = chat::text_stream("gpt-4o-mini");
    let late = || {
        let (a, b) = body.split_at(5);
        Reply::sse(vec![a.as_bytes().to_vec(), b.as_bytes().to_vec()])
            .delay(Duration::from_millis(120))
    };
    let quick = || Reply::sse(vec![body.as_bytes().to_vec()]);
    let slow = TestServer::start((0..8).map(|_| late()).collect()).await;
    let fast = TestServer::start((0..8).map(|_| quick()).collect()).await;
    let settings = RouterSettings {
        strategy: StrategyKind::LowestLatency,
        seed: Some(9),
        ..Default::default()
    };
    let dep = |s: &TestServer| {
        Deployment::new("g", "openai/gpt-4o-mini")
            .api_base(s.url())
            .api_key(KEY)
    };
    let r = Router::builder()
        .deployment(dep(&slow))
        .deployment(dep(&fast))
        .settings(settings)
        .env_lookup(|_| None)
        .build()
        .unwrap();
    for _ in 0..8 {
        let resp = r
            .chat_stream(ask("g"))
            .await
            .unwrap()
            .collect_response()
            .await
            .unwrap();
        assert_eq!(resp.text(), support::fixtures::TEXT);
    }
    assert_eq!((slow.request_count(), fast.request_count()), (1, 7));
    let (s, f) = (r.stats("g#0").unwrap(), r.stats("g#1").unwrap());
    assert!(
        s.ttft_ms.unwrap() > f.ttft_ms.unwrap() + 50.0,
        "{s:?} {f:?}"
    );
}
