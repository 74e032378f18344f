//! Fault injection across every provider row of `support/matrix/`: each test plays one fault
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

mod connections;
mod malformed;
mod slow;
mod statuses;

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
