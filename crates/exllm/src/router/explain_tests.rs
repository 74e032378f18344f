//! [`Router::explain`]: window checks and cooldowns remove deployments, the strategy picks
//! among the rest, and nothing is reserved.

use super::super::*;
use crate::{ChatRequest, Message};
use std::time::{Duration, Instant};

fn router() -> Router {
    Router::builder()
        .deployment(
            Deployment::new("fast", "openai/gpt-4")
                .id("small")
                .api_key("sk")
                .rpm(1),
        )
        .deployment(
            Deployment::new("fast", "openai/gpt-4o-mini")
                .id("big")
                .api_key("sk")
                .rpm(1),
        )
        .build()
        .unwrap()
}

#[tokio::test]
async fn removes_what_cannot_serve_and_reserves_nothing() {
    let r = router();
    let long = "lorem ipsum dolor sit amet ".repeat(3000);
    let req = ChatRequest::new("fast", vec![Message::user(long)]);
    for _ in 0..3 {
        let x = r.explain(&req, false).unwrap();
        assert_eq!(x.choice.as_deref(), Some("big"), "{x:?}");
        assert!(x.prompt_tokens > 8192);
        assert!(x.considered[0].removed.as_deref().unwrap().contains("8192"));
        assert_eq!(x.considered[1].removed, None);
    }
    // An rpm of 1 still admits a call: explaining reserved nothing.
    let st = r.stats("big").unwrap();
    assert_eq!(st.in_flight, 0);
    assert_eq!(st.headroom, Some(1.0));

    // A cooling deployment is removed too, with the time left.
    let policy = CooldownPolicy::default();
    let reservation = r
        .state()
        .admit(&Admission {
            deployment: "big",
            group: "fast",
            tags: &[],
            rpm: Some(1),
            tpm: None,
            tokens: 1,
            cost_usd: 0.0,
            budgets: &[],
            cooldown: &policy,
        })
        .await
        .unwrap();
    r.state().settle(
        reservation,
        Settlement {
            tokens: Some(0),
            cost_usd: Some(0.0),
            ttft_ms: None,
            per_token_ms: None,
            verdict: Verdict::CoolUntil(Instant::now() + Duration::from_secs(60)),
        },
    );
    let x = r.explain(&req, false).unwrap();
    assert_eq!(x.choice, None, "{x:?}");
    assert!(x.considered[1]
        .removed
        .as_deref()
        .unwrap()
        .contains("cooling"));
}

#[test]
fn an_unknown_group_is_an_error() {
    let req = ChatRequest::new("nope", vec![Message::user("Hi")]);
    assert!(router().explain(&req, false).is_err());
}
