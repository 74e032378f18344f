//! Error statuses across every row: rate limits with and without `retry-after`, each
//! provider's throttling answer, server errors and 529 overloads.

use super::*;

#[tokio::test]
async fn rate_limit_with_retry_after_is_waited_for_then_retried() {
    across("429 retry-after: 1", |row| async move {
        let mut cell = Cell::default();
        let server =
            TestServer::start(vec![error_reply(&row, 429, Some(1)), (row.text)(WHOLE)]).await;
        let started = Instant::now();
        let r = chat(&row, &client(&row, &server, 1, Timeouts::default())).await;
        let waited = started.elapsed();
        cell.see("retries 1", &r, server.request_count());
        cell.answered(&r, WHOLE);
        cell.check(server.request_count() == 2, "not retried once");
        cell.check(
            waited >= Duration::from_millis(950),
            format!("waited {waited:?}"),
        );

        let server = TestServer::start(vec![error_reply(&row, 429, Some(1))]).await;
        let r = chat(&row, &client(&row, &server, 0, Timeouts::default())).await;
        cell.see("retries 0", &r, server.request_count());
        if let Some(e) = cell.failed(&r, &[ErrorKind::RateLimit]) {
            cell.check(e.status() == Some(429), "status");
            cell.check(e.is_retryable(), "not retryable");
            cell.check(
                e.retry_after() == Some(Duration::from_secs(1)),
                format!("retry_after {:?}", e.retry_after()),
            );
        }
        cell
    })
    .await;
}

/// Each provider's own throttling answer (Gemini `RESOURCE_EXHAUSTED`, Bedrock
/// `x-amzn-errortype: ThrottlingException`, Anthropic `rate_limit_error`, ...) without
/// `retry-after`.
#[tokio::test]
async fn provider_throttling_answers_are_rate_limits() {
    across("429 provider body", |row| async move {
        let mut cell = Cell::default();
        let server = TestServer::start(vec![error_reply(&row, 429, None)]).await;
        let r = chat(&row, &client(&row, &server, 0, Timeouts::default())).await;
        cell.see("", &r, server.request_count());
        if let Some(e) = cell.failed(&r, &[ErrorKind::RateLimit]) {
            cell.check(e.is_retryable(), "not retryable");
            cell.check(
                e.message().starts_with("Rate limit reached"),
                format!("message {:?}", e.message()),
            );
        }
        cell
    })
    .await;
}

#[tokio::test]
async fn server_errors_are_retried_then_succeed() {
    across("500/502/503", |row| async move {
        let mut cell = Cell::default();
        for status in [500, 502, 503] {
            let server = TestServer::start(vec![error_reply(&row, status, None)]).await;
            let r = chat(&row, &client(&row, &server, 0, Timeouts::default())).await;
            cell.see(&format!("{status}"), &r, server.request_count());
            // A 503 whose code says "unavailable" (Gemini UNAVAILABLE, Bedrock
            // ServiceUnavailableException) may be classified as overloaded.
            let kinds: &[ErrorKind] = if status == 503 {
                &[ErrorKind::Server, ErrorKind::Overloaded]
            } else {
                &[ErrorKind::Server]
            };
            if let Some(e) = cell.failed(&r, kinds) {
                cell.check(e.status() == Some(status), format!("{status}: status"));
                cell.check(e.is_retryable(), format!("{status}: not retryable"));
            }
            let server =
                TestServer::start(vec![error_reply(&row, status, None), (row.text)(WHOLE)]).await;
            let r = chat(&row, &client(&row, &server, 1, Timeouts::default())).await;
            cell.answered(&r, WHOLE);
            cell.check(
                server.request_count() == 2,
                format!("{status}: not retried"),
            );
        }
        cell.seen.push("each retried then ok".into());
        cell
    })
    .await;
}

#[tokio::test]
async fn overloaded_529_is_retryable() {
    across("529", |row| async move {
        let mut cell = Cell::default();
        let server = TestServer::start(vec![error_reply(&row, 529, None)]).await;
        let r = chat(&row, &client(&row, &server, 0, Timeouts::default())).await;
        cell.see("", &r, server.request_count());
        let kinds: &[ErrorKind] = if row.name == "anthropic" {
            &[ErrorKind::Overloaded]
        } else {
            &[ErrorKind::Overloaded, ErrorKind::Server]
        };
        if let Some(e) = cell.failed(&r, kinds) {
            cell.check(e.is_retryable(), "not retryable");
        }
        let server = TestServer::start(vec![error_reply(&row, 529, None), (row.text)(WHOLE)]).await;
        let r = chat(&row, &client(&row, &server, 1, Timeouts::default())).await;
        cell.answered(&r, WHOLE);
        cell.check(server.request_count() == 2, "not retried");
        cell
    })
    .await;
}
