//! Bounds on what a misbehaving server can make a call hold: an endless trickling stream
//! stops at the collection limit with a typed error carrying the partial answer, and a whole
//! (non-streamed) body that trickles forever ends at the whole-call timeout by default.

use crate::support::{self, Reply, TestServer};
use exllm::transport::Timeouts;
use exllm::{ChatRequest, Client, ErrorKind, Message, TimeoutKind};
use std::time::Duration;

fn client(server: &TestServer, timeouts: Timeouts) -> Client {
    Client::builder()
        .env_lookup(|_| None)
        .base_url("openai", server.url())
        .api_key("openai", support::KEY)
        .retry(support::fast_retry(0))
        .timeouts(timeouts)
        .build()
        .unwrap()
}

fn ask() -> ChatRequest {
    ChatRequest::new("openai/gpt-4o-mini", vec![Message::user("Go on forever")])
}

#[tokio::test]
async fn an_endless_stream_stops_at_the_collection_limit_with_the_partial_answer() {
    let delta = format!(
        "data: {{\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"model\":\"m\",\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\"{}\"}},\"finish_reason\":null}}]}}\n\n",
        "x".repeat(1000)
    );
    // Far more than the limit; the server would go on for a long time.
    let pieces: Vec<Vec<u8>> = (0..5000).map(|_| delta.clone().into_bytes()).collect();
    let server = TestServer::start(vec![Reply::sse(pieces)]).await;
    let stream = client(&server, Timeouts::default())
        .chat_stream(ask())
        .await
        .unwrap()
        .with_max_collected(16 * 1024);
    let e = stream.collect_response().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TooLarge, "{e}");
    let partial = e.partial().expect("the partial answer");
    assert!(partial.text().len() > 16 * 1024 && partial.text().len() < 32 * 1024);
    assert!(partial.text().chars().all(|c| c == 'x'));
}

#[test]
fn whole_calls_have_a_total_limit_by_default_and_streams_do_not() {
    let t = Timeouts::default();
    assert_eq!(t.total, None);
    assert_eq!(t.whole, Some(Duration::from_secs(900)));
    assert_eq!(t.whole_call(), Some(Duration::from_secs(900)));
    let t = t.with_total(Duration::from_secs(5));
    assert_eq!(t.whole_call(), Some(Duration::from_secs(5)));
}

#[tokio::test]
async fn a_body_trickling_forever_ends_at_the_whole_call_limit() {
    let body = br#"{"id":"c1","object":"chat.completion","model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}]}"#;
    // One byte every 40 ms: never a stall, but about 6 s in all.
    let pieces = body.iter().map(|b| vec![*b]).collect();
    let server = TestServer::start(vec![
        Reply::stream("application/json", pieces).delay(Duration::from_millis(40))
    ])
    .await;
    let started = std::time::Instant::now();
    let t = Timeouts::default().with_whole(Duration::from_millis(300));
    let e = client(&server, t).chat(ask()).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
    assert_eq!(e.timeout_kind(), Some(TimeoutKind::Total));
    assert!(started.elapsed() < Duration::from_secs(3));
}
