//! Gemini batch mode end to end against a local server: inline requests submitted to
//! `batchGenerateContent`, the operation followed to success, answers matched back by key
//! (or by position when the server leaves keys out), the batch price in each cost, and cancel.

use crate::files_api::temp_path;
use crate::support::{client_for, Reply, TestServer};
use exllm::batch::{batch_cost, JobStore};
use exllm::{BatchApi, BatchStatus, ChatRequest, ErrorKind, Message};
use serde_json::{json, Value};

fn op(state: &str, stats: Value, output: Option<Value>) -> String {
    let mut v = json!({"name": "batches/b-1", "metadata": {
        "@type": "type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatch",
        "model": "models/gemini-2.5-flash", "name": "batches/b-1", "displayName": "exllm-batch",
        "createTime": "2025-07-01T10:00:00.000000Z", "batchStats": stats, "state": state}});
    if let Some(o) = output {
        v["done"] = true.into();
        v["response"] = json!({"@type": "type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatchOutput",
            "inlinedResponses": {"inlinedResponses": o}});
    }
    v.to_string()
}

fn answer(text: &str) -> Value {
    json!({"candidates": [{"content": {"role": "model", "parts": [{"text": text}]}, "finishReason": "STOP", "index": 0}],
        "usageMetadata": {"promptTokenCount": 1000, "candidatesTokenCount": 100, "totalTokenCount": 1100},
        "modelVersion": "gemini-2.5-flash"})
}

#[tokio::test]
async fn a_gemini_batch_from_submit_to_results() {
    let outputs = json!([
        {"response": answer("first"), "metadata": {"key": "a"}},
        {"response": answer("second")},
        {"error": {"code": 4, "message": "Deadline exceeded", "status": "DEADLINE_EXCEEDED"}},
    ]);
    let server = TestServer::start(vec![
        Reply::json(200, op("BATCH_STATE_PENDING", json!({"requestCount": "3", "pendingRequestCount": "3"}), None)),
        Reply::json(200, op("BATCH_STATE_RUNNING", json!({"requestCount": "3", "successfulRequestCount": "1", "pendingRequestCount": "2"}), None)),
        Reply::json(200, op("BATCH_STATE_SUCCEEDED", json!({"requestCount": "3", "successfulRequestCount": "2", "failedRequestCount": "1"}), Some(outputs.clone()))),
        Reply::json(200, op("BATCH_STATE_SUCCEEDED", json!({"requestCount": "3", "successfulRequestCount": "2", "failedRequestCount": "1"}), Some(outputs))),
    ])
    .await;
    let reqs: Vec<(String, ChatRequest)> = ["a", "b", "c"]
        .iter()
        .map(|id| {
            (
                id.to_string(),
                ChatRequest::new("", vec![Message::user(format!("Q {id}"))]),
            )
        })
        .collect();
    let client = client_for("gemini", &server, 0);
    let job = client
        .batches()
        .submit("gemini/gemini-2.5-flash", reqs)
        .await
        .unwrap();
    assert_eq!(
        (job.id.as_str(), job.api, job.status.clone()),
        ("batches/b-1", BatchApi::Gemini, BatchStatus::Validating)
    );
    let store = JobStore::new(temp_path("gemini-jobs"));
    store.save(&job).unwrap();
    let saved = store.load("batches/b-1").unwrap().unwrap();
    assert_eq!(saved.request_ids, ["a", "b", "c"]);
    let running = client.batches().refresh(&saved).await.unwrap();
    assert_eq!(
        (running.status.clone(), running.counts.succeeded),
        (BatchStatus::InProgress, 1)
    );
    let done = client.batches().refresh(&running).await.unwrap();
    assert!(done.status.is_done());
    let results = client.batches().collect(&done).await.unwrap();
    std::fs::remove_dir_all(store.dir()).ok();
    let ids: Vec<&str> = results.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["a", "b", "c"]);
    let second = results[1].result.as_ref().unwrap();
    assert_eq!(second.text(), "second");
    let entry = client.catalog().model("gemini/gemini-2.5-flash").unwrap();
    assert_eq!(
        second.cost.as_ref().unwrap().total,
        batch_cost(entry, second.usage.as_ref().unwrap()).total
    );
    let e = results[2].result.as_ref().unwrap_err();
    assert_eq!(
        (e.kind(), e.code()),
        (ErrorKind::Timeout, Some("batch_expired"))
    );

    let r = server.requests();
    assert_eq!(
        (r[0].method.as_str(), r[0].path.as_str()),
        ("POST", "/v1/models/gemini-2.5-flash:batchGenerateContent")
    );
    let sent = r[0].json();
    let entries = &sent["batch"]["input_config"]["requests"]["requests"];
    assert_eq!(entries[1]["metadata"]["key"], "b");
    assert_eq!(
        entries[1]["request"]["contents"][0]["parts"][0]["text"],
        "Q b"
    );
    assert_eq!(r[1].path, "/v1/batches/b-1");
}

#[tokio::test]
async fn cancelling_a_gemini_batch_looks_it_up_after() {
    let server = TestServer::start(vec![
        Reply::json(200, "{}"),
        Reply::json(
            200,
            op(
                "BATCH_STATE_CANCELLED",
                json!({"requestCount": "4", "successfulRequestCount": "1"}),
                None,
            ),
        ),
    ])
    .await;
    let job = client_for("gemini", &server, 0)
        .batches()
        .cancel("gemini", "batches/b-1")
        .await
        .unwrap();
    assert_eq!(
        (job.status, job.counts.cancelled),
        (BatchStatus::Cancelled, 3)
    );
    let r = server.requests();
    assert_eq!(
        (r[0].method.as_str(), r[0].path.as_str()),
        ("POST", "/v1/batches/b-1:cancel")
    );
}

#[tokio::test]
async fn answers_in_a_responses_file_are_downloaded_line_by_line() {
    let mut done: Value = serde_json::from_str(&op(
        "BATCH_STATE_SUCCEEDED",
        json!({"requestCount": "2", "successfulRequestCount": "1", "failedRequestCount": "1"}),
        None,
    ))
    .unwrap();
    done["done"] = true.into();
    done["response"] = json!({"@type": "type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatchOutput",
        "responsesFile": "files/out-1"});
    let lines = format!(
        "{}\n{}\n",
        json!({"key": "k1", "response": answer("from the file")}),
        json!({"key": "k2", "error": {"code": 8, "message": "Resource exhausted", "status": "RESOURCE_EXHAUSTED"}}),
    );
    let server = TestServer::start(vec![
        Reply::json(200, done.to_string()),
        Reply::json(200, done.to_string()),
        Reply::body(200, "application/octet-stream", lines),
    ])
    .await;
    let batches = client_for("gemini", &server, 0).batches();
    let job = batches.status("gemini", "batches/b-1").await.unwrap();
    let results = batches.collect(&job).await.unwrap();
    assert_eq!(results.len(), 2);
    assert_eq!(
        (
            results[0].id.as_str(),
            results[0].result.as_ref().unwrap().text().as_str()
        ),
        ("k1", "from the file")
    );
    let e = results[1].result.as_ref().unwrap_err();
    assert_eq!((e.kind(), e.status()), (ErrorKind::RateLimit, Some(429)));
    assert_eq!(
        server.requests()[2].path,
        "/download/v1/files/out-1:download?alt=media"
    );
}

#[tokio::test]
async fn a_big_gemini_batch_goes_through_an_uploaded_requests_file() {
    let file = json!({"name": "files/req-1", "displayName": "batch.jsonl", "mimeType": "application/jsonl",
        "sizeBytes": "200", "state": "ACTIVE", "uri": "https://example.invalid/v1/files/req-1"});
    let mut created: Value = serde_json::from_str(&op(
        "BATCH_STATE_PENDING",
        json!({"requestCount": "2", "pendingRequestCount": "2"}),
        None,
    ))
    .unwrap();
    created["metadata"]["inputConfig"] = json!({"fileName": "files/req-1"});
    let mut done = created.clone();
    done["metadata"]["state"] = "BATCH_STATE_SUCCEEDED".into();
    done["metadata"]["batchStats"] = json!({"requestCount": "2", "successfulRequestCount": "2"});
    done["done"] = true.into();
    done["response"] = json!({"responsesFile": "files/out-9"});
    let lines = format!(
        "{}\n{}\n",
        json!({"key": "second", "response": answer("two")}),
        json!({"key": "first", "response": answer("one")}),
    );
    let server = TestServer::start(vec![
        Reply::from_fn(|r| crate::files_api::upload_started(r.header("host").unwrap().to_owned())),
        Reply::json(200, json!({"file": file}).to_string()),
        Reply::json(200, created.to_string()),
        Reply::json(200, done.to_string()),
        Reply::json(200, done.to_string()),
        Reply::body(200, "application/octet-stream", lines),
    ])
    .await;
    let reqs: Vec<(String, ChatRequest)> = ["first", "second"]
        .iter()
        .map(|id| {
            let msg = Message::user(format!("Q {id}"));
            (id.to_string(), ChatRequest::new("", vec![msg]))
        })
        .collect();
    let client = client_for("gemini", &server, 0);
    // Any request is past a limit of 0 bytes: the batch goes through a file.
    let batches = client.batches().inline_limit(0);
    let job = batches
        .submit("gemini/gemini-2.5-flash", reqs)
        .await
        .unwrap();
    assert_eq!(
        (job.id.as_str(), job.input_file_id.as_deref()),
        ("batches/b-1", Some("files/req-1"))
    );
    assert!(
        job.request_ids.is_empty(),
        "the file lines carry their keys"
    );
    let done = batches.refresh(&job).await.unwrap();
    assert_eq!(
        (done.status.clone(), done.output_file_id.as_deref()),
        (BatchStatus::Completed, Some("files/out-9"))
    );
    let results = batches.collect(&done).await.unwrap();
    let got: Vec<(&str, String)> = results
        .iter()
        .map(|r| (r.id.as_str(), r.result.as_ref().unwrap().text()))
        .collect();
    assert_eq!(
        got,
        [("second", "two".to_string()), ("first", "one".to_string())]
    );
    assert!(results[0].result.as_ref().unwrap().cost.is_some());

    let r = server.requests();
    assert_eq!(r[0].path, "/upload/v1/files");
    assert_eq!(r[0].header("x-goog-upload-command"), Some("start"));
    assert_eq!(
        r[1].header("x-goog-upload-command"),
        Some("upload, finalize")
    );
    let uploaded: Vec<Value> = std::str::from_utf8(&r[1].body)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(uploaded.len(), 2);
    assert_eq!(uploaded[1]["key"], "second");
    assert_eq!(
        uploaded[1]["request"]["contents"][0]["parts"][0]["text"],
        "Q second"
    );
    assert_eq!(
        (r[2].method.as_str(), r[2].path.as_str()),
        ("POST", "/v1/models/gemini-2.5-flash:batchGenerateContent")
    );
    assert_eq!(
        r[2].json()["batch"]["input_config"],
        json!({"file_name": "files/req-1"})
    );
    assert_eq!(r[5].path, "/download/v1/files/out-9:download?alt=media");
}

#[tokio::test]
async fn a_small_gemini_batch_stays_inline() {
    let server = TestServer::start(vec![Reply::json(
        200,
        op("BATCH_STATE_PENDING", json!({"requestCount": "1"}), None),
    )])
    .await;
    let req = ChatRequest::new("", vec![Message::user("Hi")]);
    let job = client_for("gemini", &server, 0)
        .batches()
        .submit("gemini/gemini-2.5-flash", vec![("only".into(), req)])
        .await
        .unwrap();
    assert_eq!(job.request_ids, ["only"]);
    let sent = server.only_request().json();
    assert!(sent["batch"]["input_config"]["requests"].is_object());
}
