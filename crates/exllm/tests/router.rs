//! The router against scripted loopback providers: a 429 falls back within the same call, a
//! group whose deployments all cool waits (bounded) then fails saying when to retry, a
//! context-length error moves to the bigger-window group, streams fall back before their
//! first content and end with the partial answer after it, the caller's own cancellation
//! cools nothing.

use crate::support::fixtures::chat;
use crate::support::{self, Ending, Reply, TestServer, KEY};
use exllm::router::{Deployment, Route, Router, RouterSettings};
use exllm::{ChatRequest, ErrorKind};
use std::time::{Duration, Instant};

const MODEL: &str = "gpt-4o-mini";

pub fn ok() -> Reply {
    Reply::json(200, chat::text(MODEL))
}

pub fn dep(group: &str, server: &TestServer) -> Deployment {
    Deployment::new(group, "openai/gpt-4o-mini")
        .api_base(server.url())
        .api_key(KEY)
}

pub fn router(deps: Vec<Deployment>, settings: RouterSettings) -> Router {
    deps.into_iter()
        .fold(Router::builder(), |b, d| b.deployment(d))
        .settings(settings)
        .env_lookup(|_| None)
        .build()
        .expect("router builds")
}

pub fn ask(group: &str) -> ChatRequest {
    ChatRequest::new(group, support::hello_messages()).with_max_tokens(10)
}

fn seeded() -> RouterSettings {
    RouterSettings {
        seed: Some(11),
        ..Default::default()
    }
}

fn kinds(route: &Route) -> Vec<(String, Option<String>)> {
    route
        .attempts
        .iter()
        .map(|a| (a.deployment.clone(), a.error.clone()))
        .collect()
}

#[tokio::test]
async fn a_429_falls_back_to_the_next_deployment_within_the_call() {
    let a = TestServer::start(vec![Reply::json(
        429,
        r#"{"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}}"#,
    )
    .header("retry-after", "30")])
    .await;
    let b = TestServer::start(vec![ok(), ok()]).await;
    let r = router(
        vec![dep("fast", &a).order(1), dep("fast", &b).order(2)],
        seeded(),
    );
    let resp = r.chat(ask("fast")).await.unwrap();
    assert_eq!(resp.text(), support::fixtures::TEXT);
    let route = resp.route.clone().expect("the answer records its route");
    assert!(
        !resp.provider_meta.contains_key(exllm::ROUTE_KEY),
        "the route has its own field"
    );
    assert_eq!(
        kinds(&route),
        vec![
            ("fast#0".into(), Some("RateLimit".into())),
            ("fast#1".into(), None)
        ]
    );
    assert_eq!(route.attempts[0].status, Some(429));
    // The 429 cools the first deployment for its Retry-After: the next call skips it.
    let until = r.stats("fast#0").unwrap().cooling_until.expect("cooling");
    assert!(until > Instant::now() + Duration::from_secs(25));
    let resp = r.chat(ask("fast")).await.unwrap();
    assert_eq!(Route::of(&resp).unwrap().attempts.len(), 1);
    assert_eq!((a.request_count(), b.request_count()), (1, 2));
}

#[tokio::test]
async fn a_cooling_group_waits_for_the_soonest_then_fails_saying_when() {
    // Cooling for one second, within the bounded wait: the call waits and succeeds.
    let a = TestServer::start(vec![
        Reply::json(429, r#"{"error":{"message":"slow down"}}"#).header("retry-after", "1"),
        ok(),
    ])
    .await;
    let settings = RouterSettings {
        max_wait: Duration::from_secs(3),
        ..seeded()
    };
    let r = router(vec![dep("g", &a)], settings);
    let t0 = Instant::now();
    let resp = r.chat(ask("g")).await.unwrap();
    assert!(
        t0.elapsed() >= Duration::from_millis(900),
        "{:?}",
        t0.elapsed()
    );
    assert_eq!(Route::of(&resp).unwrap().attempts.len(), 2);

    // Cooling for longer than the wait: the 429 comes back, then a typed error with no
    // request sent, saying when to retry.
    let b = TestServer::start(vec![Reply::json(
        429,
        r#"{"error":{"message":"slow down"}}"#,
    )
    .header("retry-after", "30")])
    .await;
    let settings = RouterSettings {
        max_wait: Duration::from_millis(200),
        ..seeded()
    };
    let r = router(vec![dep("g", &b)], settings);
    let e = r.chat(ask("g")).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::RateLimit);
    let t0 = Instant::now();
    let e = r.chat(ask("g")).await.unwrap_err();
    assert!(
        t0.elapsed() < Duration::from_secs(1),
        "no wait past the bound"
    );
    assert_eq!(e.kind(), ErrorKind::CircuitOpen, "{e}");
    let wait = e.retry_after().expect("says when to retry");
    assert!(
        wait > Duration::from_secs(25) && wait <= Duration::from_secs(30),
        "{wait:?}"
    );
    assert!(e.message().contains("cooling"), "{e}");
    assert_eq!(b.request_count(), 1);
}

#[tokio::test]
async fn a_context_length_error_moves_to_the_bigger_window_group() {
    let small = TestServer::start(vec![Reply::json(
        400,
        r#"{"error":{"message":"This model's maximum context length is 8192 tokens.","type":"invalid_request_error","code":"context_length_exceeded"}}"#,
    )])
    .await;
    let other = TestServer::start(vec![]).await;
    let big = TestServer::start(vec![ok()]).await;
    let mut settings = seeded();
    settings
        .context_window_fallbacks
        .insert("small".into(), vec!["big".into()]);
    settings
        .fallbacks
        .insert("small".into(), vec!["other".into()]);
    let r = router(
        vec![dep("small", &small), dep("other", &other), dep("big", &big)],
        settings,
    );
    let resp = r.chat(ask("small")).await.unwrap();
    let route = Route::of(&resp).unwrap();
    assert_eq!(
        kinds(&route),
        vec![
            ("small#0".into(), Some("ContextLength".into())),
            ("big#0".into(), None)
        ]
    );
    assert_eq!(route.attempts[1].group, "big");
    assert_eq!(other.request_count(), 0);
    // The request's fault does not cool the deployment.
    assert_eq!(r.stats("small#0").unwrap().cooling_until, None);
}

#[tokio::test]
async fn a_stream_broken_before_content_falls_back_transparently() {
    let a = TestServer::start(vec![Reply::sse(vec![]).ending(Ending::Close)]).await;
    let b = TestServer::start(vec![Reply::sse_split(&chat::text_stream(MODEL), 7)]).await;
    let r = router(vec![dep("s", &a).order(1), dep("s", &b).order(2)], seeded());
    let resp = r
        .chat_stream(ask("s"))
        .await
        .unwrap()
        .collect_response()
        .await
        .unwrap();
    assert_eq!(resp.text(), support::fixtures::TEXT);
    let route = resp
        .route
        .clone()
        .expect("the stream's first event is its route, collected into the field");
    assert!(!resp.provider_meta.contains_key(exllm::ROUTE_KEY));
    assert_eq!(route.attempts.len(), 2);
    assert_eq!(route.attempts[0].deployment, "s#0");
    assert!(route.attempts[0].error.is_some());
    assert!(
        resp.cost.is_some(),
        "the stream is priced by the deployment's model"
    );
}

#[tokio::test]
async fn a_stream_broken_after_content_ends_with_the_partial_answer() {
    let a = TestServer::start(vec![Reply::sse(vec![
        chat::text_stream_head(MODEL).into_bytes()
    ])
    .ending(Ending::Close)])
    .await;
    let b = TestServer::start(vec![ok()]).await;
    let r = router(vec![dep("s", &a).order(1), dep("s", &b).order(2)], seeded());
    let mut e = r
        .chat_stream(ask("s"))
        .await
        .unwrap()
        .collect_response()
        .await
        .expect_err("never a silently truncated answer");
    let partial = e
        .take_partial()
        .expect("the error carries the partial answer");
    assert_eq!(partial.text(), support::fixtures::TEXT);
    assert_eq!(
        b.request_count(),
        0,
        "content was passed on: no silent switch"
    );
    // The break counts against the deployment once (one failure, below the threshold).
    assert_eq!(r.stats("s#0").unwrap().in_flight, 0);
}

#[tokio::test]
async fn the_callers_own_cancellation_cools_nothing_and_releases_its_slot() {
    let a = TestServer::start(vec![ok(), Reply::stall(Duration::from_secs(3)), ok()]).await;
    let r = router(vec![dep("g", &a).rpm(100)], seeded());
    // A first call warms the token counter, so the cancelled one reaches the server in time.
    r.chat(ask("g")).await.unwrap();
    let cut = tokio::time::timeout(Duration::from_millis(200), r.chat(ask("g"))).await;
    assert!(cut.is_err(), "the caller gave up");
    assert_eq!(a.request_count(), 2, "the cancelled call was sent");
    let stats = r.stats("g#0").unwrap();
    assert_eq!((stats.in_flight, stats.cooling_until), (0, None));
    let resp = r.chat(ask("g")).await.unwrap();
    let route = Route::of(&resp).unwrap();
    assert_eq!(route.attempts.len(), 1, "{route:?}");
}

#[tokio::test]
async fn a_content_policy_refusal_goes_to_its_own_fallbacks_and_others_to_the_generic_ones() {
    let strict = TestServer::start(vec![Reply::json(
        400,
        r#"{"error":{"message":"Your request was rejected as a result of our safety system.","type":"invalid_request_error","code":"content_policy_violation"}}"#,
    )])
    .await;
    let lenient = TestServer::start(vec![ok()]).await;
    let other = TestServer::start(vec![]).await;
    let mut settings = seeded();
    settings
        .content_policy_fallbacks
        .insert("strict".into(), vec!["lenient".into()]);
    settings
        .fallbacks
        .insert("strict".into(), vec!["other".into()]);
    let r = router(
        vec![
            dep("strict", &strict),
            dep("lenient", &lenient),
            dep("other", &other),
        ],
        settings,
    );
    let resp = r.chat(ask("strict")).await.unwrap();
    assert_eq!(Route::of(&resp).unwrap().answered_by(), Some("lenient#0"));
    assert_eq!(other.request_count(), 0);
}

#[tokio::test]
async fn server_errors_try_every_deployment_then_the_fallbacks_within_the_attempt_cap() {
    let err = || Reply::json(500, r#"{"error":{"message":"boom","type":"server_error"}}"#);
    let a = TestServer::start(vec![err(), err()]).await;
    let b = TestServer::start(vec![err(), err()]).await;
    let c = TestServer::start(vec![ok()]).await;
    let mut settings = RouterSettings {
        max_attempts: 3,
        max_wait: Duration::ZERO,
        ..seeded()
    };
    settings.fallbacks.insert("g".into(), vec!["spare".into()]);
    let r = router(
        vec![dep("g", &a), dep("g", &b), dep("spare", &c)],
        settings.clone(),
    );
    let resp = r.chat(ask("g")).await.unwrap();
    let route = Route::of(&resp).unwrap();
    assert_eq!(route.attempts.len(), 3);
    assert_eq!(route.answered_by(), Some("spare#0"));
    assert_eq!((a.request_count(), b.request_count()), (1, 1));

    // With a cap of 2 and no fallback, the last error comes back after two calls.
    settings.fallbacks.clear();
    settings.max_attempts = 2;
    let r = router(vec![dep("g", &a), dep("g", &b)], settings);
    let (e, route) = r.chat_routed(ask("g")).await;
    assert_eq!(e.unwrap_err().kind(), ErrorKind::Server);
    assert_eq!(a.request_count() + b.request_count(), 4);
    // The route of a failed call: both attempts, with their errors.
    assert_eq!(route.attempts.len(), 2);
    assert!(route
        .attempts
        .iter()
        .all(|a| a.error.as_deref() == Some("Server") && a.status == Some(500)));
}

#[tokio::test]
async fn a_failed_deployment_is_tried_again_when_the_rest_of_its_group_cools() {
    let err = Reply::json(500, r#"{"error":{"message":"boom","type":"server_error"}}"#);
    let a = TestServer::start(vec![ok(), err, ok()]).await;
    let b = TestServer::start(vec![Reply::json(
        429,
        r#"{"error":{"message":"slow down"}}"#,
    )
    .header("retry-after", "30")])
    .await;
    let r = router(vec![dep("g", &a).order(2), dep("g", &b).order(1)], seeded());
    let first = r.chat(ask("g")).await.unwrap();
    assert_eq!(Route::of(&first).unwrap().answered_by(), Some("g#0"));
    // `b` cools; `a` fails once, and is the only one left: it is tried again.
    let second = r.chat(ask("g")).await.unwrap();
    assert_eq!(
        kinds(&Route::of(&second).unwrap()),
        vec![("g#0".into(), Some("Server".into())), ("g#0".into(), None)]
    );
    assert_eq!((a.request_count(), b.request_count()), (3, 1));
}

#[tokio::test]
async fn a_rejected_key_cools_the_deployment_for_longer() {
    let a = TestServer::start(vec![Reply::json(
        401,
        r#"{"error":{"message":"Incorrect API key provided","type":"invalid_request_error","code":"invalid_api_key"}}"#,
    )])
    .await;
    let b = TestServer::start(vec![ok()]).await;
    let r = router(vec![dep("g", &a).order(1), dep("g", &b).order(2)], seeded());
    let resp = r.chat(ask("g")).await.unwrap();
    assert_eq!(
        kinds(&Route::of(&resp).unwrap())[0],
        ("g#0".into(), Some("Auth".into()))
    );
    let until = r.stats("g#0").unwrap().cooling_until.expect("cooling");
    let rejected = r.settings().cooldown.rejected;
    assert!(until > Instant::now() + rejected - Duration::from_secs(5));
}

#[tokio::test]
async fn deployments_of_a_registered_provider_route_like_http_ones() {
    let mock = exllm::MockProvider::new()
        .with_error(exllm::Error::new(ErrorKind::Overloaded, "busy").with_status(529))
        .with_text("from the mock");
    let r = Router::builder()
        .deployment(Deployment::new("m", "mock/first").order(1))
        .deployment(Deployment::new("m", "mock/second").order(2))
        .client_template(
            exllm::Client::builder().provider("mock", std::sync::Arc::new(mock.clone())),
        )
        .settings(seeded())
        .build()
        .unwrap();
    let resp = r.chat(ask("m")).await.unwrap();
    assert_eq!(resp.text(), "from the mock");
    let models: Vec<String> = mock.requests().into_iter().map(|q| q.model).collect();
    assert_eq!(models, vec!["first", "second"]);
    assert_eq!(
        kinds(&Route::of(&resp).unwrap()),
        vec![
            ("m#0".into(), Some("Overloaded".into())),
            ("m#1".into(), None)
        ]
    );
}

#[tokio::test]
async fn the_callers_own_time_limit_ends_the_call_without_cooling_or_moving_on() {
    let a = TestServer::start(vec![Reply::stall(Duration::from_secs(3))]).await;
    let b = TestServer::start(vec![ok()]).await;
    let r = router(vec![dep("g", &a).order(1), dep("g", &b).order(2)], seeded());
    // Warm the token counter so the limit is spent on the call, not on counting.
    let _ = exllm::tokens::count_messages("openai/gpt-4o-mini", &support::hello_messages(), &[]);
    let mut req = ask("g");
    req.timeouts = Some(exllm::transport::Timeouts {
        total: Some(Duration::from_millis(300)),
        ..Default::default()
    });
    let e = r.chat(req).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
    assert_eq!(e.timeout_kind(), Some(exllm::TimeoutKind::Total));
    assert_eq!(
        b.request_count(),
        0,
        "the caller's time is spent: no other deployment"
    );
    let stats = r.stats("g#0").unwrap();
    assert_eq!((stats.in_flight, stats.cooling_until), (0, None));
}
