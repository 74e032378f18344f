//! Fault injection across every provider row of `support/matrix.rs`: each test plays one fault
//! (error statuses, resets, malformed bodies and frames, split and invalid UTF-8, stalls,
//! endless and trickling streams, huge bodies) against a loopback server for all rows at once
//! and checks the outcome each row must have: the error kind and timeout kind, retries, the
//! partial answer and recovery id of a broken stream, auto-resume. Each test prints one line
//! per row (`| fault | provider | outcome |`); run with `--nocapture` to see the table.

use crate::fault_kit as faults;
use crate::matrix;
use crate::support;

use exllm::transport::{RetryPolicy, Timeouts};
use exllm::{ChatRequest, ChatResponse, Client, ErrorKind, Message, StreamEvent, TimeoutKind};
use faults::{builder, error_reply, short, Streamed};
use futures_util::StreamExt;
use matrix::Wire;
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::{fast_retry, Ending, Reply, TestServer};

/// The deltas of the streamed answers; a fault placed after the event carrying `MARK` leaves
/// [`PARTIAL`] received.
const DELTAS: [&str; 3] = ["Hello ", "wor", "ld!"];
const MARK: &str = "wor";
const PARTIAL: &str = "Hello wor";
const WHOLE: &str = "Hello world!";
const SHORT: Duration = Duration::from_millis(300);

fn request(row: &Wire) -> ChatRequest {
    ChatRequest::new(row.model, vec![Message::user("Say hello")]).with_max_tokens(256)
}

fn client(row: &Wire, server: &TestServer, retries: u32, t: Timeouts) -> Client {
    builder(row, server)
        .retry(fast_retry(retries))
        .timeouts(t)
        .build()
        .unwrap()
}

async fn chat(row: &Wire, c: &Client) -> exllm::Result<ChatResponse> {
    c.chat(request(row)).await
}

async fn stream(row: &Wire, c: &Client) -> exllm::Result<ChatResponse> {
    c.chat_stream(request(row)).await?.collect_response().await
}

/// A short description of an outcome for the table.
fn describe(r: &exllm::Result<ChatResponse>, requests: usize) -> String {
    let mut s = match r {
        Ok(resp) => format!("ok {:?}", resp.text()),
        Err(e) => {
            let mut s = format!("{:?}", e.kind());
            if let Some(t) = e.timeout_kind() {
                s += &format!("({t:?})");
            }
            if let Some(st) = e.status() {
                s += &format!(" {st}");
            }
            if let Some(p) = e.partial() {
                let t = p.text();
                if t.len() > 24 {
                    s += &format!(" partial {:?}..({}B)", &t[..12], t.len());
                } else {
                    s += &format!(" partial {t:?}");
                }
            }
            if e.recovery_id().is_some() {
                s += " +recovery id";
            }
            s
        }
    };
    s += &format!(", {requests} req");
    s
}

/// What one row observed: a description for the table and the failed expectations.
#[derive(Default)]
struct Cell {
    seen: Vec<String>,
    problems: Vec<String>,
}

impl Cell {
    fn see(&mut self, label: &str, r: &exllm::Result<ChatResponse>, requests: usize) {
        let d = describe(r, requests);
        self.seen.push(if label.is_empty() {
            d
        } else {
            format!("{label}: {d}")
        });
    }

    fn check(&mut self, ok: bool, what: impl Into<String>) {
        if !ok {
            self.problems.push(what.into());
        }
    }

    /// `r` failed with one of `kinds`; returns the error.
    fn failed<'a>(
        &mut self,
        r: &'a exllm::Result<ChatResponse>,
        kinds: &[ErrorKind],
    ) -> Option<&'a exllm::Error> {
        match r {
            Ok(resp) => {
                self.problems.push(format!(
                    "expected {kinds:?}, got an answer {:?}",
                    resp.text()
                ));
                None
            }
            Err(e) => {
                self.check(
                    kinds.contains(&e.kind()),
                    format!("expected {kinds:?}, got {e:?}"),
                );
                support::assert_no_key(e);
                Some(e)
            }
        }
    }

    /// `r` is an answer with `text`.
    fn answered(&mut self, r: &exllm::Result<ChatResponse>, text: &str) {
        match r {
            Ok(resp) => self.check(resp.text() == text, format!("text {:?}", resp.text())),
            Err(e) => self.problems.push(format!("expected {text:?}, got {e:?}")),
        }
    }

    /// The error kept `text` as its partial answer (and a recovery id when `rid`).
    fn kept(&mut self, e: Option<&exllm::Error>, text: &str, rid: bool) {
        let Some(e) = e else { return };
        match e.partial() {
            Some(p) => self.check(p.text() == text, format!("partial {:?}", p.text())),
            None => self.problems.push(format!("no partial in {e:?}")),
        }
        if rid {
            self.check(e.recovery_id().is_some(), format!("no recovery id: {e:?}"));
        }
    }
}

/// Plays `f` for every row at once; prints a table line per row, then fails with every
/// row's failed expectations.
async fn across<F, Fut>(fault: &str, f: F)
where
    F: Fn(Wire) -> Fut,
    Fut: Future<Output = Cell>,
{
    let runs = matrix::all().into_iter().map(|row| {
        let name = row.name;
        let fut = f(row);
        async move { (name, fut.await) }
    });
    report(fault, futures_util::future::join_all(runs).await);
}

/// Like [`across`], one row after the other (for faults that use much memory).
async fn one_by_one<F, Fut>(fault: &str, f: F)
where
    F: Fn(Wire) -> Fut,
    Fut: Future<Output = Cell>,
{
    let mut out = Vec::new();
    for row in matrix::all() {
        let name = row.name;
        out.push((name, f(row).await));
    }
    report(fault, out);
}

fn report(fault: &str, cells: Vec<(&str, Cell)>) {
    let mut failures = Vec::new();
    for (name, cell) in cells {
        println!("| {fault} | {name} | {} |", cell.seen.join("; "));
        failures.extend(cell.problems.into_iter().map(|p| format!("  {name}: {p}")));
    }
    assert!(failures.is_empty(), "{fault}:\n{}", failures.join("\n"));
}

// ---------------------------------------------------------------------------------------------
// Error statuses

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

// ---------------------------------------------------------------------------------------------
// Connections reset or closed

#[tokio::test]
async fn reset_before_headers_is_a_network_error_and_retried() {
    across("reset before headers", |row| async move {
        let mut cell = Cell::default();
        let server = TestServer::start(vec![Reply::reset()]).await;
        let r = chat(&row, &client(&row, &server, 0, Timeouts::default())).await;
        cell.see("retries 0", &r, server.request_count());
        if let Some(e) = cell.failed(&r, &[ErrorKind::Network]) {
            cell.check(e.is_retryable(), "not retryable");
        }
        let server = TestServer::start(vec![Reply::reset(), (row.text)(WHOLE)]).await;
        let r = chat(&row, &client(&row, &server, 1, Timeouts::default())).await;
        cell.see("retries 1", &r, server.request_count());
        cell.answered(&r, WHOLE);
        cell
    })
    .await;
}

#[tokio::test]
async fn a_whole_body_broken_after_the_headers_is_an_error() {
    across("whole body cut/reset after headers", |row| async move {
        let mut cell = Cell::default();
        let (_, headers, body) = (row.text)(WHOLE).parts().unwrap();
        let half = body[..body.len() / 2].to_vec();
        for (label, reply) in [
            ("close", Reply::cut_body(200, half.clone(), body.len())),
            ("reset", faults::reset_after(headers, half, false)),
        ] {
            let server = TestServer::start(vec![reply]).await;
            let r = chat(&row, &client(&row, &server, 0, Timeouts::default())).await;
            cell.see(label, &r, server.request_count());
            cell.failed(&r, &[ErrorKind::Network, ErrorKind::Decode]);
        }
        cell
    })
    .await;
}

#[tokio::test]
async fn a_stream_broken_after_content_keeps_it_for_recovery() {
    across("stream cut/reset mid-body", |row| async move {
        let mut cell = Cell::default();
        let s = Streamed::of(&row, &DELTAS);
        for (label, reply) in [
            (
                "close",
                s.reply(vec![s.through(MARK)]).ending(Ending::Close),
            ),
            (
                "reset",
                faults::reset_after(s.headers.clone(), s.through(MARK), true),
            ),
        ] {
            let server = TestServer::start(vec![reply]).await;
            let c = client(&row, &server, 2, Timeouts::default());
            let r = stream(&row, &c).await;
            cell.see(label, &r, server.request_count());
            let e = cell.failed(&r, &[ErrorKind::Network, ErrorKind::Truncated]);
            cell.kept(e, PARTIAL, true);
            cell.check(server.request_count() == 1, "a started stream was retried");
            if let Some(id) = e.and_then(|e| e.recovery_id()) {
                cell.check(
                    c.recovery_store().unwrap().get(id).is_some(),
                    "recovery id not in the store",
                );
            }
        }
        cell
    })
    .await;
}

#[tokio::test]
async fn auto_resume_hides_a_broken_stream() {
    across("auto_resume(1) after cut/reset", |row| async move {
        let mut cell = Cell::default();
        let s = Streamed::of(&row, &DELTAS);
        for (label, broken) in [
            (
                "close",
                s.reply(vec![s.through(MARK)]).ending(Ending::Close),
            ),
            (
                "reset",
                faults::reset_after(s.headers.clone(), s.through(MARK), true),
            ),
        ] {
            let server = TestServer::start(vec![broken, (row.text_stream)(&["ld!"])]).await;
            let c = builder(&row, &server)
                .retry(RetryPolicy::none())
                .auto_resume(1)
                .build()
                .unwrap();
            let mut events = c.chat_stream(request(&row)).await.unwrap();
            let mut text = String::new();
            let mut error = None;
            while let Some(e) = events.next().await {
                match e {
                    Ok(StreamEvent::TextDelta(t)) => text.push_str(&t),
                    Ok(_) => {}
                    Err(e) => {
                        error = Some(e);
                        break;
                    }
                }
            }
            cell.seen.push(format!(
                "{label}: {} {text:?}, {} req",
                match &error {
                    Some(e) => format!("{:?}", e.kind()),
                    None => "ok".into(),
                },
                server.request_count()
            ));
            cell.check(error.is_none(), format!("{label}: {error:?}"));
            cell.check(text == WHOLE, format!("{label}: text {text:?}"));
            cell.check(server.request_count() == 2, format!("{label}: requests"));
        }
        cell
    })
    .await;
}

/// A connection that breaks after the last event (the answer is complete, only the end of the
/// body is missing) must not be resumed into a duplicated answer.
#[tokio::test]
async fn a_break_after_the_final_event_is_not_resumed() {
    across(
        "break after the last event, auto_resume(1)",
        |row| async move {
            let mut cell = Cell::default();
            let s = Streamed::of(&row, &DELTAS);
            let server = TestServer::start(vec![
                s.reply(vec![s.body.clone()]).ending(Ending::Close),
                (row.text_stream)(&["ld!"]),
            ])
            .await;
            let c = builder(&row, &server)
                .retry(RetryPolicy::none())
                .auto_resume(1)
                .build()
                .unwrap();
            let r = stream(&row, &c).await;
            cell.see("", &r, server.request_count());
            match &r {
                Ok(resp) => cell.check(resp.text() == WHOLE, format!("text {:?}", resp.text())),
                Err(e) => {
                    let kept = e.partial().map(|p| p.text()).unwrap_or_default();
                    cell.check(kept == WHOLE, format!("{e:?}"));
                }
            }
            cell.check(server.request_count() == 1, "resumed a finished answer");
            cell
        },
    )
    .await;
}

// ---------------------------------------------------------------------------------------------
// Malformed bodies and frames

#[tokio::test]
async fn a_malformed_json_body_is_a_decode_error_with_an_excerpt() {
    across("malformed JSON 200", |row| async move {
        let mut cell = Cell::default();
        let body = r#"{"id": "x-malformed", "choices": [{"index": 0, "message": {"content": "#;
        let server = TestServer::start(vec![Reply::json(200, body)]).await;
        let r = chat(&row, &client(&row, &server, 2, Timeouts::default())).await;
        cell.see("", &r, server.request_count());
        if let Some(e) = cell.failed(&r, &[ErrorKind::Decode]) {
            let shown = format!("{} {}", e.message(), e.body().unwrap_or_default());
            cell.check(shown.contains("x-malformed"), format!("no excerpt: {e}"));
            cell.check(!e.is_retryable(), "retryable");
        }
        cell.check(server.request_count() == 1, "retried");
        cell
    })
    .await;
}

#[tokio::test]
async fn a_malformed_frame_mid_stream_is_a_decode_error_keeping_the_partial() {
    across("malformed frame mid-stream", |row| async move {
        let mut cell = Cell::default();
        let s = Streamed::of(&row, &DELTAS);
        let i = s.event_with(MARK);
        let mut body = s.through(MARK);
        body.extend(s.broken(i));
        body.extend(s.after(i));
        let server = TestServer::start(vec![s.reply(vec![body])]).await;
        let r = stream(&row, &client(&row, &server, 0, Timeouts::default())).await;
        cell.see("", &r, server.request_count());
        let e = cell.failed(&r, &[ErrorKind::Decode]);
        cell.kept(e, PARTIAL, true);
        cell
    })
    .await;
}

#[tokio::test]
async fn a_body_ending_mid_event_is_truncated_keeping_the_partial() {
    across("body ends mid-event", |row| async move {
        let mut cell = Cell::default();
        let s = Streamed::of(&row, &DELTAS);
        // Mid-answer: after the marked event, half of the next one.
        let i = s.event_with(MARK);
        let mut body = s.through(MARK);
        let next = s.event(i + 1);
        body.extend_from_slice(&next[..next.len() / 2]);
        // The final event cut in half (Gemini's last event carries the last delta too).
        let last = s.events.len() - 1;
        let cut_last = s.body[..s.events[last].start + s.events[last].len() / 2].to_vec();
        let before_last = if s.event_with("ld!") == last {
            PARTIAL
        } else {
            WHOLE
        };
        for (label, body, kept) in [("mid", body, PARTIAL), ("last", cut_last, before_last)] {
            let server = TestServer::start(vec![s.reply(vec![body])]).await;
            let r = stream(&row, &client(&row, &server, 0, Timeouts::default())).await;
            cell.see(label, &r, server.request_count());
            if label == "last" && kept == WHOLE && r.is_ok() {
                // Anthropic: the stop reason and usage arrived before the cut
                // `message_stop`; the answer is complete and accepted.
                cell.answered(&r, WHOLE);
                continue;
            }
            let e = cell.failed(&r, &[ErrorKind::Truncated, ErrorKind::Decode]);
            cell.kept(e, kept, false);
        }
        cell
    })
    .await;
}

const COFFEE: &str = "☕";

#[tokio::test]
async fn a_character_split_across_reads_decodes() {
    across("UTF-8 char split across reads", |row| async move {
        let mut cell = Cell::default();
        let s = Streamed::of(&row, &["Hello ", "café ☕", "!"]);
        let at = faults::find(&s.body, COFFEE.as_bytes()).expect("the character") + 1;
        let pieces = vec![s.body[..at].to_vec(), s.body[at..].to_vec()];
        let server =
            TestServer::start(vec![s.reply(pieces).delay(Duration::from_millis(30))]).await;
        let r = stream(&row, &client(&row, &server, 0, Timeouts::default())).await;
        cell.see("stream", &r, server.request_count());
        cell.answered(&r, "Hello café ☕!");

        // A whole body split the same way.
        let (_, headers, body) = (row.text)("Hello café ☕!").parts().unwrap();
        let at = faults::find(&body, COFFEE.as_bytes()).expect("the character") + 2;
        let ct = faults::header(&headers, "content-type").unwrap();
        let server = TestServer::start(vec![Reply::stream(
            &ct,
            vec![body[..at].to_vec(), body[at..].to_vec()],
        )
        .delay(Duration::from_millis(30))])
        .await;
        let r = chat(&row, &client(&row, &server, 0, Timeouts::default())).await;
        cell.see("whole", &r, server.request_count());
        cell.answered(&r, "Hello café ☕!");
        cell
    })
    .await;
}

/// Invalid UTF-8 inside a text delta: an error or U+FFFD, never a panic or a silent loss of
/// the rest.
#[tokio::test]
async fn invalid_utf8_in_a_text_delta_is_an_error_or_replaced() {
    across("invalid UTF-8 in a delta", |row| async move {
        let mut cell = Cell::default();
        let s = Streamed::of(&row, &["Hello ", "café ☕", "!"]);
        let at = faults::find(&s.body, COFFEE.as_bytes()).expect("the character");
        let mut body = s.body.clone();
        body[at + 2] = b'('; // E2 98 28: a truncated sequence
        let pieces = vec![body[..at + 1].to_vec(), body[at + 1..].to_vec()];
        let server =
            TestServer::start(vec![s.reply(pieces).delay(Duration::from_millis(30))]).await;
        let r = stream(&row, &client(&row, &server, 0, Timeouts::default())).await;
        cell.see("stream", &r, server.request_count());
        match &r {
            Ok(resp) => cell.check(
                resp.text().contains('\u{fffd}') && resp.text().ends_with("(!"),
                format!("text {:?}", resp.text()),
            ),
            Err(e) => {
                cell.check(e.kind() == ErrorKind::Decode, format!("{e:?}"));
            }
        }

        let (_, _, body) = (row.text)("Hello café ☕!").parts().unwrap();
        let at = faults::find(&body, COFFEE.as_bytes()).expect("the character");
        let mut body = body;
        body[at + 2] = b'(';
        let server = TestServer::start(vec![Reply::body(200, "application/json", body)]).await;
        let r = chat(&row, &client(&row, &server, 0, Timeouts::default())).await;
        cell.see("whole", &r, server.request_count());
        match &r {
            Ok(resp) => cell.check(
                resp.text().contains('\u{fffd}'),
                format!("text {:?}", resp.text()),
            ),
            Err(e) => cell.check(e.kind() == ErrorKind::Decode, format!("{e:?}")),
        }
        cell
    })
    .await;
}

// ---------------------------------------------------------------------------------------------
// Stalls, endless and slow streams, huge bodies

#[tokio::test]
async fn a_stall_before_the_headers_is_a_first_byte_timeout() {
    across("stall before headers", |row| async move {
        let mut cell = Cell::default();
        let server = TestServer::start(vec![Reply::stall(Duration::from_secs(5))]).await;
        let started = Instant::now();
        let r = chat(&row, &client(&row, &server, 0, short(SHORT))).await;
        cell.see("", &r, server.request_count());
        if let Some(e) = cell.failed(&r, &[ErrorKind::Timeout]) {
            cell.check(
                e.timeout_kind() == Some(TimeoutKind::FirstByte),
                format!("{:?}", e.timeout_kind()),
            );
            cell.check(e.is_retryable(), "not retryable");
        }
        cell.check(started.elapsed() < Duration::from_secs(2), "slow");
        cell
    })
    .await;
}

#[tokio::test]
async fn a_stall_mid_stream_is_a_stall_timeout_keeping_the_partial() {
    across("stall mid-stream", |row| async move {
        let mut cell = Cell::default();
        let s = Streamed::of(&row, &DELTAS);
        let reply = s
            .reply(vec![s.through(MARK)])
            .ending(Ending::Stall(Duration::from_secs(5)));
        let server = TestServer::start(vec![reply]).await;
        let started = Instant::now();
        let r = stream(&row, &client(&row, &server, 2, short(SHORT))).await;
        cell.see("", &r, server.request_count());
        let e = cell.failed(&r, &[ErrorKind::Timeout]);
        if let Some(e) = e {
            cell.check(
                e.timeout_kind() == Some(TimeoutKind::Stall),
                format!("{:?}", e.timeout_kind()),
            );
        }
        cell.kept(e, PARTIAL, true);
        cell.check(started.elapsed() < Duration::from_secs(2), "slow");
        cell.check(server.request_count() == 1, "retried");
        cell
    })
    .await;
}

#[tokio::test]
async fn an_endless_stream_ends_at_the_total_timeout() {
    across("endless stream, total 500ms", |row| async move {
        let mut cell = Cell::default();
        let s = Streamed::of(&row, &DELTAS);
        let i = s.event_with(MARK);
        let sent = Arc::new(AtomicUsize::new(0));
        let reply = faults::endless(
            s.headers.clone(),
            s.through(MARK),
            s.event(i).to_vec(),
            sent.clone(),
        );
        let server = TestServer::start(vec![reply]).await;
        let t = Timeouts::default()
            .with_stall(Duration::from_secs(5))
            .with_total(Duration::from_millis(500));
        let started = Instant::now();
        let r = stream(&row, &client(&row, &server, 0, t)).await;
        let took = started.elapsed();
        cell.see("", &r, server.request_count());
        let e = cell.failed(&r, &[ErrorKind::Timeout]);
        if let Some(e) = e {
            cell.check(
                e.timeout_kind() == Some(TimeoutKind::Total),
                format!("{:?}", e.timeout_kind()),
            );
            let text = e.partial().map(|p| p.text()).unwrap_or_default();
            let max = PARTIAL.len() + MARK.len() * sent.load(Ordering::Relaxed);
            cell.check(text.starts_with(PARTIAL), "partial lost");
            // What is kept is what arrived, nothing more.
            cell.check(text.len() <= max, format!("{} > {max} bytes", text.len()));
            cell.seen.push(format!(
                "{} events sent, {} kept",
                sent.load(Ordering::Relaxed),
                text.len().saturating_sub(PARTIAL.len()) / MARK.len()
            ));
        }
        cell.check(took < Duration::from_secs(2), format!("took {took:?}"));
        cell
    })
    .await;
}

#[tokio::test]
async fn a_trickle_ends_at_the_total_timeout() {
    across(
        "trickle 1B/50ms, stall 300ms, total 600ms",
        |row| async move {
            let mut cell = Cell::default();
            let t = Timeouts::default()
                .with_stall(SHORT)
                .with_total(Duration::from_millis(600));
            let s = Streamed::of(&row, &DELTAS);
            let server = TestServer::start(vec![faults::trickle(
                s.headers.clone(),
                s.body.clone(),
                Duration::from_millis(50),
            )])
            .await;
            let started = Instant::now();
            let r = stream(&row, &client(&row, &server, 0, t)).await;
            let took = started.elapsed();
            cell.see("stream", &r, server.request_count());
            if let Some(e) = cell.failed(&r, &[ErrorKind::Timeout]) {
                cell.check(
                    e.timeout_kind() == Some(TimeoutKind::Total),
                    format!("stream: {:?}", e.timeout_kind()),
                );
            }
            cell.check(
                took < Duration::from_secs(2),
                format!("stream took {took:?}"),
            );

            let (_, headers, body) = (row.text)(WHOLE).parts().unwrap();
            let server = TestServer::start(vec![faults::trickle(
                headers,
                body,
                Duration::from_millis(50),
            )])
            .await;
            let started = Instant::now();
            let r = chat(&row, &client(&row, &server, 0, t)).await;
            let took = started.elapsed();
            cell.see("whole", &r, server.request_count());
            if let Some(e) = cell.failed(&r, &[ErrorKind::Timeout]) {
                cell.check(
                    e.timeout_kind() == Some(TimeoutKind::Total),
                    format!("whole: {:?}", e.timeout_kind()),
                );
            }
            cell.check(
                took < Duration::from_secs(2),
                format!("whole took {took:?}"),
            );
            cell
        },
    )
    .await;
}

const HUGE: usize = 100 << 20;

/// A whole call answered by a 100 MB body (announced by `content-length` or chunked): it must
/// fail as TooLarge quickly and once. The cell, and how many bytes the server sent.
async fn huge_body(row: &Wire, with_length: bool) -> (Cell, Arc<AtomicUsize>) {
    let mut cell = Cell::default();
    let sent = Arc::new(AtomicUsize::new(0));
    let reply = faults::huge(
        "application/json",
        br#"{"id":"x","text":""#,
        b'a',
        HUGE,
        with_length,
        sent.clone(),
    );
    let server = TestServer::start(vec![reply]).await;
    let started = Instant::now();
    let r = chat(row, &client(row, &server, 2, Timeouts::default())).await;
    let took = started.elapsed();
    cell.see("", &r, server.request_count());
    cell.failed(&r, &[ErrorKind::TooLarge]);
    cell.check(took < Duration::from_secs(3), format!("took {took:?}"));
    cell.check(server.request_count() == 1, "retried");
    (cell, sent)
}

#[tokio::test]
async fn a_100_mb_body_is_too_large_without_being_read() {
    // Announced by content-length: refused from the headers.
    across("100 MB body, content-length", |row| async move {
        huge_body(&row, true).await.0
    })
    .await;
}

#[tokio::test]
async fn a_100_mb_chunked_body_stops_at_the_cap() {
    // Chunked, no length: read up to the 64 MiB cap (one row at a time: each holds the cap).
    one_by_one("100 MB body, chunked", |row| async move {
        let (mut cell, sent) = huge_body(&row, false).await;
        // Give the server a moment to notice the client went away.
        tokio::time::sleep(Duration::from_millis(50)).await;
        let n = sent.load(Ordering::Relaxed);
        cell.seen.push(format!("{} MiB sent", n >> 20));
        cell.check(n < HUGE, "the whole body was read");
        cell
    })
    .await;
}

/// One streamed event that never ends (no event terminator): the framer must refuse it at a
/// bound instead of buffering it whole.
#[tokio::test]
async fn an_unterminated_stream_event_is_bounded() {
    one_by_one("stream event of 100 MB", |row| async move {
        let mut cell = Cell::default();
        let s = Streamed::of(&row, &DELTAS);
        let mut prefix = s.through(MARK);
        match s.format {
            faults::Format::Sse => prefix.extend_from_slice(b"data: {\"x\": \""),
            faults::Format::Ndjson => prefix.extend_from_slice(b"{\"x\": \""),
            faults::Format::AwsEventStream => {
                // A prelude announcing a 100 MB message.
                prefix.extend_from_slice(&(HUGE as u32).to_be_bytes());
                prefix.extend_from_slice(&[0; 8]);
            }
        }
        let sent = Arc::new(AtomicUsize::new(0));
        let reply = faults::huge(&s.content_type(), &prefix, b'a', HUGE, false, sent.clone());
        let server = TestServer::start(vec![reply]).await;
        let t = Timeouts::default().with_total(Duration::from_secs(5));
        let started = Instant::now();
        let r = stream(&row, &client(&row, &server, 0, t)).await;
        let took = started.elapsed();
        cell.see("", &r, server.request_count());
        let e = cell.failed(
            &r,
            &[ErrorKind::TooLarge, ErrorKind::Decode, ErrorKind::Truncated],
        );
        cell.kept(e, PARTIAL, false);
        tokio::time::sleep(Duration::from_millis(50)).await;
        let n = sent.load(Ordering::Relaxed);
        cell.seen.push(format!("{} MiB sent in {took:?}", n >> 20));
        cell.check(n < HUGE, "the whole event was buffered");
        cell
    })
    .await;
}
