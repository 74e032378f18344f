//! The client-side batch (`Batches::run_local`) against a local OpenAI-compatible server for
//! a provider without a batch API: a run aborted mid-way and rerun sends only what had not
//! finished, retryable failures are sent again, and a checkpoint whose last line a kill cut
//! short is read and extended without losing a line.

use crate::files_api::temp_path;
use crate::support::{client_for, Recorded, Reply, TestServer};
use exllm::{BatchApi, BatchStatus, ChatRequest, Message};
use serde_json::json;
use std::time::Duration;

fn requests(n: usize) -> Vec<(String, ChatRequest)> {
    (0..n)
        .map(|i| {
            (
                format!("q-{i}"),
                ChatRequest::new("", vec![Message::user(format!("Q{i}"))]),
            )
        })
        .collect()
}

/// A completion answering the request's last user text back.
fn echo(r: &Recorded) -> Reply {
    let asked = r.json()["messages"][0]["content"]
        .as_str()
        .unwrap_or("")
        .to_owned();
    Reply::json(200, json!({"id": "c", "object": "chat.completion", "created": 1, "model": "mistral-small-latest",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": format!("A:{asked}")}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 5, "completion_tokens": 2}}).to_string())
}

fn asked(server: &TestServer) -> Vec<String> {
    let mut v: Vec<String> = server
        .requests()
        .iter()
        .map(|r| {
            r.json()["messages"][0]["content"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    v.sort();
    v
}

fn lines(path: &std::path::Path) -> usize {
    std::fs::read_to_string(path)
        .map(|t| t.lines().filter(|l| !l.is_empty()).count())
        .unwrap_or(0)
}

#[tokio::test]
async fn an_aborted_run_resumes_where_it_stopped() {
    let checkpoint = temp_path("ckpt.jsonl");
    let first = TestServer::start(vec![
        Reply::from_fn(echo),
        Reply::from_fn(echo),
        Reply::stall(Duration::from_secs(20)),
    ])
    .await;
    let client = client_for("together", &first, 0);
    let batches = client.batches();
    assert!(!batches.has_batch_api("together"));
    let run = batches.run_local(
        "together/mistral-small-latest",
        requests(5),
        &checkpoint,
        1,
        |_| {},
    );
    let two_done = async {
        while lines(&checkpoint) < 2 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    };
    tokio::select! {
        r = run => panic!("the run should still be waiting on the stalled call: {r:?}"),
        _ = two_done => {}
    }
    assert_eq!(
        lines(&checkpoint),
        2,
        "each finished call is on disk at once"
    );

    let second = TestServer::start((0..5).map(|_| Reply::from_fn(echo)).collect()).await;
    let client = client_for("together", &second, 0);
    let mut seen = Vec::new();
    let job = client
        .batches()
        .run_local(
            "together/mistral-small-latest",
            requests(5),
            &checkpoint,
            2,
            |c| seen.push(c.finished()),
        )
        .await
        .unwrap();
    assert_eq!(
        asked(&second),
        ["Q2", "Q3", "Q4"],
        "only unfinished requests are sent again"
    );
    assert_eq!(
        (
            job.api,
            job.status.clone(),
            job.counts.succeeded,
            job.counts.total
        ),
        (BatchApi::Local, BatchStatus::Completed, 5, 5)
    );
    assert_eq!(seen, [2, 3, 4, 5]);
    let mut results = client.batches().collect(&job).await.unwrap();
    results.sort_by(|a, b| a.id.cmp(&b.id));
    let texts: Vec<String> = results
        .iter()
        .map(|r| r.result.as_ref().unwrap().text())
        .collect();
    assert_eq!(texts, ["A:Q0", "A:Q1", "A:Q2", "A:Q3", "A:Q4"]);
    let status = client.batches().refresh(&job).await.unwrap();
    assert_eq!(
        (status.counts.succeeded, status.status),
        (5, BatchStatus::Completed)
    );
    std::fs::remove_file(&checkpoint).ok();
}

#[tokio::test]
async fn retryable_failures_are_sent_again_and_final_ones_are_kept() {
    let checkpoint = temp_path("retry.jsonl");
    let fail = |r: &Recorded| match r.json()["messages"][0]["content"].as_str() {
        Some("Q1") => Reply::json(503, r#"{"error":{"message":"busy","type":"server_error"}}"#),
        Some("Q2") => Reply::json(
            400,
            r#"{"error":{"message":"bad prompt","type":"invalid_request_error"}}"#,
        ),
        _ => echo(r),
    };
    let first = TestServer::start((0..3).map(|_| Reply::from_fn(fail)).collect()).await;
    let client = client_for("together", &first, 0);
    let job = client
        .batches()
        .run_local("together/m", requests(3), &checkpoint, 3, |_| {})
        .await
        .unwrap();
    assert_eq!((job.counts.succeeded, job.counts.failed), (1, 2));

    let second = TestServer::start(vec![Reply::from_fn(echo)]).await;
    let client = client_for("together", &second, 0);
    let job = client
        .batches()
        .run_local("together/m", requests(3), &checkpoint, 3, |_| {})
        .await
        .unwrap();
    assert_eq!(
        asked(&second),
        ["Q1"],
        "the 503 is retried, the 400 is final"
    );
    assert_eq!((job.counts.succeeded, job.counts.failed), (2, 1));
    let results = client.batches().collect(&job).await.unwrap();
    let q2 = results.iter().find(|r| r.id == "q-2").unwrap();
    let e = q2.result.as_ref().unwrap_err();
    assert_eq!(
        (e.kind(), e.status(), e.message()),
        (exllm::ErrorKind::BadRequest, Some(400), "bad prompt")
    );
    std::fs::remove_file(&checkpoint).ok();
}

#[tokio::test]
async fn a_line_cut_short_by_a_kill_is_rerun() {
    let checkpoint = temp_path("cut.jsonl");
    let server = TestServer::start(vec![Reply::from_fn(echo)]).await;
    let client = client_for("together", &server, 0);
    let job = client
        .batches()
        .run_local("together/m", requests(1), &checkpoint, 1, |_| {})
        .await
        .unwrap();
    assert_eq!(job.counts.succeeded, 1);
    // A second request whose line the kill cut in half.
    let mut text = std::fs::read(&checkpoint).unwrap();
    text.extend_from_slice(br#"{"id":"q-1","respon"#);
    std::fs::write(&checkpoint, text).unwrap();
    let server = TestServer::start(vec![Reply::from_fn(echo)]).await;
    let client = client_for("together", &server, 0);
    let job = client
        .batches()
        .run_local("together/m", requests(2), &checkpoint, 1, |_| {})
        .await
        .unwrap();
    assert_eq!(asked(&server), ["Q1"]);
    assert_eq!(job.counts.succeeded, 2);
    assert_eq!(client.batches().collect(&job).await.unwrap().len(), 2);
    std::fs::remove_file(&checkpoint).ok();
}
