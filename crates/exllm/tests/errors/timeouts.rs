//! Timeouts and dropped connections: a stall before the headers or inside a body, the total
//! timeout over retries and streams, a reset before the headers, a connect that hangs.

use super::*;

#[tokio::test]
async fn stall_before_headers_times_out() {
    let server = TestServer::start(vec![Reply::stall(Duration::from_secs(20))]).await;
    let c = client_with_timeout("openai", &server, 0, Duration::from_millis(300));
    let err = c.chat(openai_request()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err:?}");
    assert_eq!(err.timeout_kind(), Some(TimeoutKind::FirstByte), "{err:?}");
    assert!(err.is_retryable());
    assert_eq!(server.request_count(), 1);
    assert_no_key(&err);
}

#[tokio::test]
async fn stall_then_success_is_retried() {
    let server = TestServer::start(vec![
        Reply::stall(Duration::from_secs(20)),
        Reply::stall(Duration::from_secs(20)),
        Reply::json(200, chat::text("gpt-4o-mini")),
    ])
    .await;
    let c = client_with_timeout("openai", &server, 1, Duration::from_millis(300));
    // A request that opts out of retrying fails on the first stall.
    let once = openai_request().with_retry(exllm::transport::RetryPolicy::none());
    assert_eq!(
        c.chat(once).await.unwrap_err().timeout_kind(),
        Some(TimeoutKind::FirstByte)
    );
    let resp = c.chat(openai_request()).await.unwrap();
    assert_eq!(resp.text(), TEXT);
    assert_eq!(resp.provider_meta[exllm::client::RETRIES], 1);
    assert_eq!(server.request_count(), 3);
}

#[tokio::test]
async fn a_body_that_stalls_is_a_stall_timeout() {
    let body = chat::text("gpt-4o-mini").into_bytes();
    let (head, _) = body.split_at(body.len() / 2);
    let server = TestServer::start(vec![Reply::stream("application/json", vec![head.to_vec()])
        .ending(Ending::Stall(Duration::from_secs(20)))])
    .await;
    let c = client_with_timeout("openai", &server, 0, Duration::from_millis(300));
    let err = c.chat(openai_request()).await.unwrap_err();
    assert_eq!(err.timeout_kind(), Some(TimeoutKind::Stall), "{err:?}");
}

#[tokio::test]
async fn the_total_timeout_covers_retries_and_streams_and_is_not_retried() {
    // Non-streaming: every attempt stalls; the total limit ends the call, whatever the retries.
    let server = TestServer::start(vec![
        Reply::stall(Duration::from_secs(20)),
        Reply::stall(Duration::from_secs(20)),
    ])
    .await;
    let t = Timeouts::default()
        .with_first_byte(Duration::from_millis(200))
        .with_total(Duration::from_millis(300));
    let err = client_with_timeouts("openai", &server, 5, t)
        .chat(openai_request())
        .await
        .unwrap_err();
    assert_eq!(err.timeout_kind(), Some(TimeoutKind::Total), "{err:?}");
    assert!(!err.is_retryable());
    assert_eq!(server.request_count(), 2);

    // Streaming: chunks keep coming (no stall), but the whole stream is too slow.
    let body = chat::text_stream("m");
    let events = body.split_inclusive("\n\n").map(|e| e.as_bytes().to_vec());
    let server = TestServer::start(vec![
        Reply::sse(events.collect()).delay(Duration::from_millis(100))
    ])
    .await;
    let t = Timeouts::default()
        .with_stall(Duration::from_secs(5))
        .with_total(Duration::from_millis(450));
    let c = client_with_timeouts("openai", &server, 0, t);
    let err = support::streamed(&c, openai_request()).await.unwrap_err();
    assert_eq!(err.timeout_kind(), Some(TimeoutKind::Total), "{err:?}");
    assert!(err.partial().is_some_and(|p| !p.text().is_empty()));

    // A request's own timeouts replace the client's.
    let server = TestServer::start(vec![Reply::stall(Duration::from_secs(20))]).await;
    let c = client_with_timeouts("openai", &server, 0, Timeouts::none());
    let req = openai_request()
        .with_timeouts(Timeouts::none().with_first_byte(Duration::from_millis(100)));
    let err = c.chat(req).await.unwrap_err();
    assert_eq!(err.timeout_kind(), Some(TimeoutKind::FirstByte), "{err:?}");
}

#[tokio::test]
async fn reset_before_headers_is_a_network_error_and_retried() {
    let server = TestServer::start(vec![
        Reply::reset(),
        Reply::json(200, chat::text("gpt-4o-mini")),
    ])
    .await;
    let resp = client_for("openai", &server, 1)
        .chat(openai_request())
        .await
        .unwrap();
    assert_eq!(resp.text(), TEXT);
    assert_eq!(server.request_count(), 2);

    let server = TestServer::start(vec![Reply::reset()]).await;
    let err = client_for("openai", &server, 0)
        .chat(openai_request())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Network, "{err:?}");
    assert!(err.is_retryable());
    assert_eq!(err.provider(), Some("openai"));
    assert_no_key(&err);
}

/// A listener whose accept queue is full: the kernel drops further SYNs, so a connect to it
/// hangs the way one to an unreachable host does, on loopback.
fn unaccepting_listener() -> (
    std::net::SocketAddr,
    tokio::net::TcpListener,
    Vec<std::net::TcpStream>,
) {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let listener = socket.listen(0).unwrap();
    let addr = listener.local_addr().unwrap();
    // Fill the queue (a backlog of 0 still holds one or two finished handshakes); each of
    // these connects completes at once or fails, it never waits.
    let mut held = Vec::new();
    for _ in 0..4 {
        match std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)) {
            Ok(s) => held.push(s),
            Err(_) => break,
        }
    }
    (addr, listener, held)
}

#[tokio::test]
async fn a_connect_that_hangs_is_a_connect_timeout_and_retried() {
    let (addr, _listener, _held) = unaccepting_listener();
    let c = Client::builder()
        .env_lookup(|_| None)
        .base_url("openai", format!("http://{addr}/v1"))
        .api_key("openai", KEY)
        .retry(fast_retry(1))
        .timeouts(Timeouts::none().with_connect(Duration::from_millis(150)))
        .build()
        .unwrap();
    let started = std::time::Instant::now();
    let err = c.chat(openai_request()).await.unwrap_err();
    assert_eq!(err.timeout_kind(), Some(TimeoutKind::Connect), "{err:?}");
    assert!(err.is_retryable(), "nothing was sent: {err:?}");
    // One retry: two connect attempts of 150 ms each, never the kernel's own minutes-long wait.
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(300), "{took:?}");
    assert!(took < Duration::from_secs(10), "{took:?}");
}
