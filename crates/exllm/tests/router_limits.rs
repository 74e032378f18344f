//! Router limits under concurrency, counted on loopback servers: 64 callers at once never
//! get more requests through than a deployment's RPM, nor spend past a budget, because both
//! are reserved before the call and reconciled after it.

use crate::router::{ask, dep, ok};
use crate::support::{Reply, TestServer};
use exllm::catalog::{BudgetAction, Catalog, ModelEntry, PriceSet, PriceTable};
use exllm::router::{Router, RouterSettings, SpendLimit, SpendScope};
use exllm::ErrorKind;
use std::time::Duration;

const CALLERS: usize = 64;

async fn run_all(r: &Router) -> Vec<exllm::Result<exllm::ChatResponse>> {
    let tasks: Vec<_> = (0..CALLERS)
        .map(|_| {
            let r = r.clone();
            tokio::spawn(async move { r.chat(ask("g")).await })
        })
        .collect();
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.expect("task"));
    }
    out
}

fn slow_ok() -> Reply {
    Reply::from_fn(|_| ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixty_four_callers_never_exceed_a_deployments_rpm() {
    let a = TestServer::start((0..CALLERS).map(|_| slow_ok()).collect()).await;
    let b = TestServer::start((0..CALLERS).map(|_| slow_ok()).collect()).await;
    let settings = RouterSettings {
        max_wait: Duration::ZERO,
        seed: Some(5),
        ..Default::default()
    };
    let r = Router::builder()
        .deployment(dep("g", &a).rpm(10))
        .deployment(dep("g", &b).rpm(7))
        .settings(settings)
        .env_lookup(|_| None)
        .build()
        .unwrap();
    let results = run_all(&r).await;
    let ok = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!((a.request_count(), b.request_count()), (10, 7));
    assert_eq!(ok, 17);
    for e in results.iter().filter_map(|r| r.as_ref().err()) {
        assert_eq!(e.kind(), ErrorKind::RateLimit, "{e}");
        assert!(e.retry_after().is_some());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixty_four_callers_never_exceed_a_deployments_tpm() {
    let server = TestServer::start((0..CALLERS).map(|_| slow_ok()).collect()).await;
    let settings = RouterSettings {
        max_wait: Duration::ZERO,
        ..Default::default()
    };
    let tpm = 100;
    let r = Router::builder()
        .deployment(dep("g", &server).tpm(tpm))
        .settings(settings)
        .env_lookup(|_| None)
        .build()
        .unwrap();
    let results = run_all(&r).await;
    let sent = server.request_count();
    let used: u64 = results
        .iter()
        .flatten()
        .map(|r| r.usage.as_ref().unwrap().total_tokens().unwrap())
        .sum();
    assert_eq!(sent, results.iter().filter(|r| r.is_ok()).count());
    assert!(sent >= 2, "{sent}");
    // What the servers saw used stays within the minute's tokens (plus the refill of the
    // test's own second).
    assert!(used <= tpm + 2, "{sent} calls used {used} tokens");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixty_four_callers_never_spend_past_a_budget() {
    let server = TestServer::start((0..CALLERS).map(|_| slow_ok()).collect()).await;
    let priced = priced();
    let limit = 0.1;
    let settings = RouterSettings {
        max_wait: Duration::ZERO,
        budgets: vec![SpendLimit {
            scope: SpendScope::Group("g".into()),
            limit_usd: limit,
            period: Duration::from_secs(3600),
            action: BudgetAction::Refuse,
        }],
        ..Default::default()
    };
    let r = Router::builder()
        .deployment(dep("g", &server))
        .settings(settings)
        .client_template(exllm::Client::builder().catalog(Catalog::from_models(vec![priced])))
        .env_lookup(|_| None)
        .build()
        .unwrap();
    let results = run_all(&r).await;
    let sent = server.request_count();
    let answered = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(sent, answered);
    assert!(sent >= 3, "the budget lets some calls through: {sent}");
    let per_call: f64 = results
        .iter()
        .flatten()
        .map(|r| r.cost.as_ref().unwrap().total)
        .next()
        .unwrap();
    assert!((per_call - 0.020).abs() < 1e-9, "{per_call}");
    assert!(
        sent as f64 * per_call <= limit + 1e-9,
        "{sent} calls overspend"
    );
    let spent = r.state().spent("group:g").await;
    assert!(
        (spent - sent as f64 * per_call).abs() < 1e-9,
        "reconciled: {spent}"
    );
    for e in results.iter().filter_map(|r| r.as_ref().err()) {
        assert_eq!(e.kind(), ErrorKind::QuotaExceeded, "{e}");
    }
}

/// `openai/gpt-4o-mini` at $1 per thousand tokens in and out: the fixture's 14 + 6 tokens
/// cost $0.020.
pub fn priced() -> ModelEntry {
    ModelEntry {
        provider: "openai".into(),
        id: "gpt-4o-mini".into(),
        mode: Some("chat".into()),
        context_window: Some(128_000),
        prices: PriceTable {
            base: PriceSet {
                input: Some(0.001),
                output: Some(0.001),
                ..Default::default()
            },
            tiers: Vec::new(),
        },
        ..Default::default()
    }
}

#[tokio::test]
async fn a_stream_dropped_mid_answer_is_reconciled_with_what_it_used() {
    use futures_util::StreamExt;
    let body = crate::support::fixtures::chat::text_stream("gpt-4o-mini");
    let server = TestServer::start(vec![
        Reply::sse_split(&body, 1 << 20),
        Reply::sse_split(&body, 1 << 20),
    ])
    .await;
    let settings = RouterSettings {
        budgets: vec![SpendLimit {
            scope: SpendScope::Group("g".into()),
            limit_usd: 10.0,
            period: Duration::from_secs(3600),
            action: BudgetAction::Refuse,
        }],
        ..Default::default()
    };
    let r = Router::builder()
        .deployment(dep("g", &server))
        .settings(settings)
        .client_template(exllm::Client::builder().catalog(Catalog::from_models(vec![priced()])))
        .env_lookup(|_| None)
        .build()
        .unwrap();
    // Read to the end: the provider's usage is charged.
    let resp = r
        .chat_stream(ask("g"))
        .await
        .unwrap()
        .collect_response()
        .await
        .unwrap();
    assert_eq!(resp.usage.as_ref().unwrap().total_tokens(), Some(20));
    assert!((r.state().spent("group:g").await - 0.020).abs() < 1e-9);
    // Dropped after the first text: the prompt estimate and the tokens of the text seen.
    let mut s = r.chat_stream(ask("g")).await.unwrap();
    let first_text = loop {
        match s.next().await.unwrap().unwrap() {
            exllm::StreamEvent::TextDelta(t) => break t,
            _ => continue,
        }
    };
    drop(s);
    let req = ask("g");
    let prompt = exllm::tokens::count_messages("openai/gpt-4o-mini", &req.messages, &[]).tokens;
    let seen = exllm::tokens::count_text("openai/gpt-4o-mini", &first_text).tokens;
    let expected = 0.020 + (prompt + seen) as f64 * 0.001;
    let spent = r.state().spent("group:g").await;
    assert!((spent - expected).abs() < 1e-9, "{spent} != {expected}");
    assert_eq!(r.stats("g#0").unwrap().in_flight, 0);
    assert_eq!(r.stats("g#0").unwrap().cooling_until, None);
}
