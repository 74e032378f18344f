//! Limits learned from response headers, against a loopback provider that announces them: a
//! deployment with no RPM/TPM in its config takes the provider's (`x-ratelimit-*`,
//! `anthropic-ratelimit-*`), and its buckets follow what the provider says is left, so the
//! router stops sending before the provider would answer 429.

use crate::router::{ask, dep, ok};
use crate::support::fixtures::chat;
use crate::support::{Reply, TestServer};
use exllm::router::{Deployment, Router, RouterSettings};
use exllm::ErrorKind;
use std::time::Duration;

fn router(d: Deployment) -> Router {
    Router::builder()
        .deployment(d)
        .settings(RouterSettings {
            max_wait: Duration::from_millis(200),
            seed: Some(3),
            ..Default::default()
        })
        .env_lookup(|_| None)
        .build()
        .unwrap()
}

fn openai(limit: &str, remaining: &str, reset: &str) -> Reply {
    ok().header("x-ratelimit-limit-requests", limit)
        .header("x-ratelimit-remaining-requests", remaining)
        .header("x-ratelimit-reset-requests", reset)
}

#[tokio::test]
async fn announced_requests_limits_fill_the_bucket_the_config_left_out() {
    let server =
        TestServer::start(vec![openai("2", "1", "30s"), openai("2", "0", "30s"), ok()]).await;
    let r = router(dep("g", &server));
    assert_eq!(r.stats("g#0").unwrap().headroom, None, "nothing known yet");
    let first = r.chat(ask("g")).await.unwrap();
    assert_eq!(
        first.provider_meta[exllm::provider::RATE_LIMITS_KEY]["requests_limit"],
        2
    );
    // Learned: 2 a minute, 1 left.
    let h = r.stats("g#0").unwrap().headroom.expect("a learned limit");
    assert!((0.45..0.6).contains(&h), "{h}");
    r.chat(ask("g")).await.unwrap();
    // None left until the reset in 30 s: the third call is not sent.
    let e = r.chat(ask("g")).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::RateLimit, "{e}");
    let wait = e.retry_after().expect("says when");
    assert!(wait > Duration::from_secs(20), "{wait:?}");
    assert_eq!(server.request_count(), 2);
}

#[tokio::test]
async fn announced_token_limits_and_anthropic_headers_are_learned_too() {
    let server = TestServer::start(vec![ok()
        .header("anthropic-ratelimit-tokens-limit", "10000")
        .header("anthropic-ratelimit-tokens-remaining", "1000")
        .header("anthropic-ratelimit-requests-limit", "50")
        .header("anthropic-ratelimit-requests-remaining", "49")])
    .await;
    let r = router(dep("g", &server));
    r.chat(ask("g")).await.unwrap();
    // The smaller headroom is the tokens': about a tenth left.
    let h = r.stats("g#0").unwrap().headroom.expect("learned limits");
    assert!((0.09..0.2).contains(&h), "{h}");
}

#[tokio::test]
async fn a_configured_limit_is_kept_and_a_stream_learns_from_its_headers() {
    let body = chat::text_stream("gpt-4o-mini");
    let server = TestServer::start(vec![Reply::sse_split(&body, 50)
        .header("x-ratelimit-limit-requests", "1000")
        .header("x-ratelimit-remaining-requests", "0")
        .header("x-ratelimit-reset-requests", "40s")])
    .await;
    let r = router(dep("g", &server).rpm(600));
    r.chat_stream(ask("g"))
        .await
        .unwrap()
        .collect_response()
        .await
        .unwrap();
    // The config's 600/min stays the size; nothing is left until the reset.
    let e = r.chat(ask("g")).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::RateLimit, "{e}");
    let wait = e.retry_after().unwrap();
    assert!(
        wait > Duration::from_secs(30) && wait <= Duration::from_secs(40),
        "{wait:?}"
    );
    assert_eq!(server.request_count(), 1);
}
