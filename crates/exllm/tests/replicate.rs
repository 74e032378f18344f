//! Replicate end to end against a local server: a prediction answered at once (201 with its
//! output), one that must be polled, one that fails, an HTTP error in Replicate's problem
//! shape, a streamed answer read from the prediction's stream URL, a dropped stream whose
//! prediction is cancelled, and a 429 that is retried.

use crate::support;

use exllm::{ChatRequest, ErrorKind, FinishKind, StreamEvent};
use futures_util::StreamExt;
use serde_json::{json, Value};
use std::time::Duration;
use support::{assert_no_key, client_for, hello_messages, Ending, Reply, TestServer, KEY};

const MODEL: &str = "meta/meta-llama-3-8b-instruct";

fn request() -> ChatRequest {
    ChatRequest::new(format!("replicate/{MODEL}"), hello_messages()).with_max_tokens(64)
}

/// A prediction `p1` in `status` with `output`, its URLs on `root`.
fn prediction(root: &str, status: &str, output: Value) -> String {
    json!({
        "id": "p1", "model": MODEL, "version": "dp-1", "status": status,
        "input": {"prompt": "Say hello"}, "logs": "", "output": output, "error": null,
        "data_removed": false, "created_at": "2024-10-04T18:07:33.396Z",
        "urls": {
            "get": format!("{root}/v1/predictions/p1"),
            "cancel": format!("{root}/v1/predictions/p1/cancel"),
            "stream": format!("{root}/streams/p1"),
        }
    })
    .to_string()
}

/// A reply of prediction `p1` whose URLs point at the server that received the request.
fn predicted(status: u16, state: &'static str, output: Value) -> Reply {
    Reply::from_fn(move |r| {
        let root = format!("http://{}", r.header("host").unwrap_or("127.0.0.1"));
        Reply::json(status, prediction(&root, state, output.clone()))
    })
}

fn check_create(r: &support::Recorded, wait: bool) {
    assert_eq!(r.method, "POST");
    assert_eq!(r.path, format!("/v1/models/{MODEL}/predictions"));
    assert_eq!(
        r.header("authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );
    assert_eq!(r.header("prefer"), if wait { Some("wait") } else { None });
    let body = r.json();
    assert_eq!(
        body,
        json!({"input": {"prompt": "Say hello", "system_prompt": "Be brief.", "max_tokens": 64}})
    );
}

#[tokio::test]
async fn a_waited_prediction_answers_with_its_output() {
    let server = TestServer::start(vec![predicted(
        201,
        "processing",
        json!(["Hello", " there", ""]),
    )])
    .await;
    let c = client_for("replicate", &server, 0);
    let resp = c.chat(request()).await.unwrap();
    assert_eq!(resp.text(), "Hello there");
    assert_eq!(resp.id.as_deref(), Some("p1"));
    assert!(resp.finish.is_none(), "{:?}", resp.finish);
    check_create(&server.only_request(), true);
}

#[tokio::test]
async fn a_running_prediction_is_polled_until_it_ends() {
    let server = TestServer::start(vec![
        predicted(201, "starting", Value::Null),
        predicted(200, "processing", json!(["Hel"])),
        Reply::from_fn(|_| {
            let mut done: Value =
                serde_json::from_str(&prediction("", "succeeded", json!(["Hel", "lo"]))).unwrap();
            done["metrics"] =
                json!({"input_token_count": 9, "output_token_count": 2, "predict_time": 0.1});
            Reply::json(200, done.to_string())
        }),
    ])
    .await;
    let c = client_for("replicate", &server, 0);
    let resp = c.chat(request()).await.unwrap();
    assert_eq!(resp.text(), "Hello");
    assert_eq!(resp.finish_kind(), Some(FinishKind::Stop));
    let u = resp.usage.unwrap();
    assert_eq!((u.input_tokens, u.output_tokens), (Some(9), Some(2)));
    let reqs = server.requests();
    assert_eq!(reqs.len(), 3);
    check_create(&reqs[0], true);
    for poll in &reqs[1..] {
        assert_eq!(poll.method, "GET");
        assert_eq!(poll.path, "/v1/predictions/p1");
        assert_eq!(
            poll.header("authorization"),
            Some(format!("Bearer {KEY}").as_str())
        );
    }
}

#[tokio::test]
async fn a_failed_prediction_is_an_error_answer() {
    let server = TestServer::start(vec![Reply::json(
        201,
        json!({"id": "p1", "status": "failed", "output": null,
               "error": "CUDA out of memory", "metrics": {}})
        .to_string(),
    )])
    .await;
    let c = client_for("replicate", &server, 0);
    let resp = c.chat(request()).await.unwrap();
    assert_eq!(resp.finish_kind(), Some(FinishKind::Error));
    assert_eq!(resp.error.unwrap().message, "CUDA out of memory");
}

#[tokio::test]
async fn an_http_error_carries_replicates_detail() {
    let problem = json!({
        "title": "Invalid version or not permitted",
        "detail": "The specified version does not exist (or perhaps you don't have permission to use it?)",
        "status": 422
    });
    let server = TestServer::start(vec![Reply::body(
        422,
        "application/problem+json",
        problem.to_string(),
    )])
    .await;
    let c = client_for("replicate", &server, 2);
    let err = c.chat(request()).await.unwrap_err();
    assert_eq!(err.status(), Some(422));
    assert_eq!(err.kind(), ErrorKind::BadRequest);
    assert!(err.message().contains("does not exist"), "{err}");
    assert_no_key(&err);
    assert_eq!(server.request_count(), 1, "a 422 is not retried");
}

#[tokio::test]
async fn a_stream_reads_the_prediction_stream_url() {
    let server = TestServer::start(vec![
        predicted(201, "starting", Value::Null),
        Reply::sse_split(
            "event: output\nid: 1:0\ndata: Hel\n\nevent: logs\ndata: warming up\n\n\
             event: output\nid: 1:1\ndata: lo\ndata: there\n\nevent: done\ndata: {}\n\n",
            5,
        ),
    ])
    .await;
    let c = client_for("replicate", &server, 0);
    let resp = support::streamed(&c, request()).await.unwrap();
    assert_eq!(resp.text(), "Hello\nthere");
    assert_eq!(resp.finish_kind(), Some(FinishKind::Stop));
    assert_eq!(resp.id.as_deref(), Some("p1"));
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    check_create(&reqs[0], false);
    assert_eq!(reqs[1].method, "GET");
    assert_eq!(reqs[1].path, "/streams/p1");
    assert_eq!(reqs[1].header("accept"), Some("text/event-stream"));
}

#[tokio::test]
async fn a_dropped_stream_cancels_its_prediction() {
    let server = TestServer::start(vec![
        predicted(201, "starting", Value::Null),
        Reply::sse(vec![b"event: output\ndata: Hel\n\n".to_vec()])
            .ending(Ending::Stall(Duration::from_secs(5))),
        Reply::json(200, json!({"id": "p1", "status": "canceled"}).to_string()),
    ])
    .await;
    let c = client_for("replicate", &server, 0);
    let mut stream = c.chat_stream(request()).await.unwrap();
    loop {
        match stream.next().await {
            Some(Ok(StreamEvent::TextDelta(t))) => {
                assert_eq!(t, "Hel");
                break;
            }
            Some(Ok(_)) => {}
            other => panic!("expected text, got {other:?}"),
        }
    }
    drop(stream);
    let mut waited = Duration::ZERO;
    while server.request_count() < 3 && waited < Duration::from_secs(5) {
        tokio::time::sleep(Duration::from_millis(20)).await;
        waited += Duration::from_millis(20);
    }
    let reqs = server.requests();
    assert_eq!(reqs.len(), 3, "{reqs:#?}");
    assert_eq!(reqs[2].method, "POST");
    assert_eq!(reqs[2].path, "/v1/predictions/p1/cancel");
}

#[tokio::test]
async fn a_finished_stream_cancels_nothing() {
    let server = TestServer::start(vec![
        predicted(201, "starting", Value::Null),
        Reply::sse(vec![
            b"event: output\ndata: Hi\n\nevent: done\ndata: {}\n\n".to_vec(),
        ]),
    ])
    .await;
    let c = client_for("replicate", &server, 0);
    let resp = support::streamed(&c, request()).await.unwrap();
    assert_eq!(resp.text(), "Hi");
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(server.request_count(), 2);
}

#[tokio::test]
async fn a_rate_limited_create_is_retried() {
    let server = TestServer::start(vec![
        Reply::json(
            429,
            json!({"detail": "Request was throttled.", "status": 429}).to_string(),
        )
        .header("retry-after", "0"),
        predicted(201, "succeeded", json!(["Hello"])),
    ])
    .await;
    let c = client_for("replicate", &server, 2);
    let resp = c.chat(request()).await.unwrap();
    assert_eq!(resp.text(), "Hello");
    assert_eq!(resp.finish_kind(), Some(FinishKind::Stop));
    assert_eq!(resp.provider_meta[exllm::client::RETRIES], 1);
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    check_create(&reqs[1], true);
}
