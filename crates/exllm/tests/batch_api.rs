//! `Client::batches` end to end against local servers speaking OpenAI's `/batches` (with its
//! `/files`) and Anthropic Message Batches: a job's life from submit through validating and
//! in progress to completed, results matched back by id with failed and expired lines and the
//! batch price in each cost, cancel, list, a 404 job, and a job picked up from the job store
//! by a new client.

use crate::files_api::{form_fields, temp_path};
use crate::support::{assert_no_key, client_for, Reply, TestServer};
use exllm::batch::{batch_cost, JobStore};
use exllm::{BatchApi, BatchStatus, ChatRequest, ErrorKind, Message};
use serde_json::{json, Value};

fn requests(n: usize) -> Vec<(String, ChatRequest)> {
    (0..n)
        .map(|i| {
            let req = ChatRequest::new("ignored", vec![Message::user(format!("Question {i}"))]);
            (format!("q-{i}"), req)
        })
        .collect()
}

fn openai_job(status: &str, counts: (u64, u64, u64), files: Option<(&str, &str)>) -> String {
    json!({"id": "batch_abc123", "object": "batch", "endpoint": "/v1/chat/completions", "errors": null,
        "input_file_id": "file-in", "completion_window": "24h", "status": status,
        "output_file_id": files.map(|f| f.0), "error_file_id": files.map(|f| f.1),
        "created_at": 1711471533, "completed_at": files.map(|_| 1711493163),
        "request_counts": {"total": counts.0, "completed": counts.1, "failed": counts.2}, "metadata": null})
    .to_string()
}

fn completion(text: &str) -> Value {
    json!({"id": "chatcmpl-1", "object": "chat.completion", "created": 1711475054, "model": "gpt-5",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 1000, "completion_tokens": 200, "total_tokens": 1200}})
}

#[tokio::test]
async fn an_openai_batch_from_submit_to_results() {
    let output = [
        json!({"id": "r0", "custom_id": "q-0", "response": {"status_code": 200, "request_id": "a", "body": completion("Zero")}, "error": null}),
        json!({"id": "r2", "custom_id": "q-2", "response": {"status_code": 200, "request_id": "c", "body": completion("Two")}, "error": null}),
    ];
    let errors = [
        json!({"id": "r1", "custom_id": "q-1", "response": {"status_code": 400, "request_id": "b",
            "body": {"error": {"message": "Invalid messages", "type": "invalid_request_error", "code": null}}}, "error": null}),
        json!({"id": "r3", "custom_id": "q-3", "response": null,
            "error": {"code": "batch_expired", "message": "This request could not be executed before the completion window expired."}}),
    ];
    let jsonl = |lines: &[Value]| lines.iter().map(|l| format!("{l}\n")).collect::<String>();
    let server = TestServer::start(vec![
        Reply::json(200, json!({"id": "file-in", "object": "file", "bytes": 10, "purpose": "batch", "filename": "batch.jsonl"}).to_string()),
        Reply::json(200, openai_job("validating", (0, 0, 0), None)),
        Reply::json(200, openai_job("in_progress", (4, 1, 0), None)),
        Reply::json(200, openai_job("completed", (4, 2, 2), Some(("file-out", "file-err")))),
        Reply::body(200, "application/octet-stream", jsonl(&output)),
        Reply::body(200, "application/octet-stream", jsonl(&errors)),
    ])
    .await;
    let client = client_for("openai", &server, 0);
    let batches = client.batches();
    let job = batches.submit("openai/gpt-5", requests(4)).await.unwrap();
    assert_eq!(
        (job.id.as_str(), job.status.clone(), job.api),
        ("batch_abc123", BatchStatus::Validating, BatchApi::OpenAi)
    );
    assert_eq!(job.model.as_deref(), Some("openai/gpt-5"));

    let store = JobStore::new(temp_path("jobs"));
    store.save(&job).unwrap();
    // A later process: a new client, the job found in the store by its id.
    let client = client_for("openai", &server, 0);
    let batches = client.batches();
    let saved = store.load("batch_abc123").unwrap().unwrap();
    let running = batches.refresh(&saved).await.unwrap();
    assert_eq!(
        (
            running.status.clone(),
            running.counts.finished(),
            running.counts.total
        ),
        (BatchStatus::InProgress, 1, 4)
    );
    let done = batches.refresh(&running).await.unwrap();
    assert!(done.status.is_done());
    assert_eq!(done.model.as_deref(), Some("openai/gpt-5"));
    let mut results = batches.collect(&done).await.unwrap();
    std::fs::remove_dir_all(store.dir()).ok();
    results.sort_by(|a, b| a.id.cmp(&b.id));
    let ids: Vec<&str> = results.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["q-0", "q-1", "q-2", "q-3"]);
    let zero = results[0].result.as_ref().unwrap();
    assert_eq!(zero.text(), "Zero");
    let entry = client.catalog().model("openai/gpt-5").unwrap();
    let expected = batch_cost(entry, zero.usage.as_ref().unwrap());
    let standard = entry.cost(zero.usage.as_ref().unwrap(), Default::default());
    assert_eq!(zero.cost.as_ref().unwrap().total, expected.total);
    assert!(expected.total > 0.0 && expected.total < standard.total);
    let e1 = results[1].result.as_ref().unwrap_err();
    assert_eq!(
        (e1.kind(), e1.status(), e1.message()),
        (ErrorKind::BadRequest, Some(400), "Invalid messages")
    );
    let e3 = results[3].result.as_ref().unwrap_err();
    assert_eq!(
        (e3.kind(), e3.code()),
        (ErrorKind::Timeout, Some("batch_expired"))
    );

    let reqs = server.requests();
    let upload = &reqs[0];
    assert_eq!(upload.path, "/v1/files");
    let fields = form_fields(upload);
    assert_eq!(fields[0].3, b"batch");
    let lines: Vec<Value> = fields[1]
        .3
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 4);
    assert_eq!(lines[2]["custom_id"], "q-2");
    assert_eq!(lines[2]["url"], "/v1/chat/completions");
    assert_eq!(lines[2]["body"]["model"], "gpt-5");
    assert_eq!(lines[2]["body"]["messages"][0]["content"], "Question 2");
    assert_eq!(
        (reqs[1].method.as_str(), reqs[1].path.as_str()),
        ("POST", "/v1/batches")
    );
    assert_eq!(
        reqs[1].json(),
        json!({"input_file_id": "file-in", "endpoint": "/v1/chat/completions", "completion_window": "24h"})
    );
    assert_eq!(reqs[2].path, "/v1/batches/batch_abc123");
    assert_eq!(reqs[4].path, "/v1/files/file-out/content");
    assert_eq!(reqs[5].path, "/v1/files/file-err/content");
}

#[tokio::test]
async fn a_missing_job_is_not_found_and_a_broken_line_is_a_decode_error() {
    let body = json!({"error": {"message": "No batch found with id 'batch_nope'.", "type": "invalid_request_error"}});
    let server = TestServer::start(vec![
        Reply::json(404, body.to_string()),
        Reply::json(
            200,
            openai_job("completed", (1, 1, 0), Some(("file-out", "file-err"))),
        ),
        Reply::body(
            200,
            "application/octet-stream",
            "{\"custom_id\": \"q-0\", \"respo",
        ),
    ])
    .await;
    let batches = client_for("openai", &server, 0).batches();
    let e = batches.status("openai", "batch_nope").await.unwrap_err();
    assert_eq!((e.kind(), e.status()), (ErrorKind::NotFound, Some(404)));
    assert_no_key(&e);
    let job = batches.status("openai", "batch_abc123").await.unwrap();
    let e = batches.collect(&job).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Decode);
}

#[tokio::test]
async fn jobs_without_output_have_no_results_yet() {
    let server = TestServer::start(vec![Reply::json(
        200,
        openai_job("in_progress", (2, 0, 0), None),
    )])
    .await;
    let batches = client_for("groq", &server, 0).batches();
    let job = batches.status("groq", "batch_abc123").await.unwrap();
    let e = batches.collect(&job).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert!(e.message().contains("in_progress"), "{e}");
}

#[tokio::test]
async fn cancel_and_list() {
    let list = format!(
        r#"{{"object":"list","data":[{},{}],"has_more":false}}"#,
        openai_job("cancelled", (4, 1, 0), Some(("file-out", "file-err"))),
        openai_job("expired", (4, 2, 1), None)
    );
    let server = TestServer::start(vec![
        Reply::json(200, openai_job("cancelling", (4, 1, 0), None)),
        Reply::json(200, list),
    ])
    .await;
    let batches = client_for("azure", &server, 0).batches();
    let job = batches.cancel("azure", "batch_abc123").await.unwrap();
    assert_eq!(job.status, BatchStatus::Cancelling);
    let jobs = batches.list("azure", Some(10)).await.unwrap();
    assert_eq!(
        (
            jobs[0].counts.cancelled,
            jobs[1].status.clone(),
            jobs[1].counts.expired
        ),
        (3, BatchStatus::Expired, 1)
    );
    let reqs = server.requests();
    assert_eq!(
        (reqs[0].method.as_str(), reqs[0].path.as_str()),
        ("POST", "/v1/batches/batch_abc123/cancel")
    );
    assert_eq!(reqs[1].path, "/v1/batches?limit=10");
}

fn anthropic_job(status: &str, counts: Value, cancel: Option<&str>) -> String {
    json!({"id": "msgbatch_01", "type": "message_batch", "processing_status": status, "request_counts": counts,
        "ended_at": null, "created_at": "2024-09-24T18:37:24.100435Z", "expires_at": "2024-09-25T18:37:24.100435Z",
        "archived_at": null, "cancel_initiated_at": cancel, "results_url": null})
    .to_string()
}

#[tokio::test]
async fn an_anthropic_batch_with_every_result_type() {
    let message = json!({"id": "msg_01", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5",
        "content": [{"type": "text", "text": "Paris"}], "stop_reason": "end_turn", "stop_sequence": null,
        "usage": {"input_tokens": 1000, "output_tokens": 100}});
    let results = [
        json!({"custom_id": "q-0", "result": {"type": "succeeded", "message": message}}),
        json!({"custom_id": "q-1", "result": {"type": "errored", "error": {"type": "error", "error": {"type": "invalid_request_error", "message": "max_tokens: Field required"}}}}),
        json!({"custom_id": "q-2", "result": {"type": "canceled"}}),
        json!({"custom_id": "q-3", "result": {"type": "expired"}}),
    ];
    let body: String = results.iter().map(|l| format!("{l}\n")).collect();
    let ended = json!({"processing": 0, "succeeded": 1, "errored": 1, "canceled": 1, "expired": 1});
    let server = TestServer::start(vec![
        Reply::json(
            200,
            anthropic_job("in_progress", json!({"processing": 4}), None),
        ),
        Reply::json(
            200,
            anthropic_job(
                "canceling",
                json!({"processing": 2, "succeeded": 2}),
                Some("2024-09-24T18:40:00Z"),
            ),
        ),
        Reply::json(200, anthropic_job("ended", ended, None)),
        Reply::body(200, "application/binary", body),
    ])
    .await;
    let batches = client_for("anthropic", &server, 0).batches();
    let job = batches
        .submit("anthropic/claude-sonnet-4-5", requests(4))
        .await
        .unwrap();
    assert_eq!(
        (job.status.clone(), job.counts.total),
        (BatchStatus::InProgress, 4)
    );
    let c = batches.cancel("anthropic", &job.id).await.unwrap();
    assert_eq!(c.status, BatchStatus::Cancelling);
    let mut done = batches.status("anthropic", &job.id).await.unwrap();
    assert_eq!(done.status, BatchStatus::Completed);
    done.model = job.model.clone();
    let mut got = Vec::new();
    batches.results(&done, |r| got.push(r)).await.unwrap();
    assert_eq!(got.len(), 4);
    let answer = got[0].result.as_ref().unwrap();
    assert_eq!(answer.text(), "Paris");
    let entry = exllm::catalog::Catalog::embedded()
        .model("anthropic/claude-sonnet-4-5")
        .unwrap();
    assert_eq!(
        answer.cost.as_ref().unwrap().total,
        batch_cost(entry, answer.usage.as_ref().unwrap()).total
    );
    assert_eq!(
        got[1].result.as_ref().unwrap_err().kind(),
        ErrorKind::BadRequest
    );
    assert_eq!(
        got[2].result.as_ref().unwrap_err().code(),
        Some("batch_cancelled")
    );
    assert_eq!(
        got[3].result.as_ref().unwrap_err().code(),
        Some("batch_expired")
    );

    let reqs = server.requests();
    assert_eq!(reqs[0].path, "/v1/messages/batches");
    let create = reqs[0].json();
    assert_eq!(create["requests"][1]["custom_id"], "q-1");
    assert_eq!(
        create["requests"][1]["params"]["model"],
        "claude-sonnet-4-5"
    );
    assert_eq!(
        create["requests"][1]["params"]["messages"][0]["content"][0]["text"],
        "Question 1"
    );
    assert_eq!(reqs[1].path, "/v1/messages/batches/msgbatch_01/cancel");
    assert_eq!(reqs[3].path, "/v1/messages/batches/msgbatch_01/results");
}

#[tokio::test]
async fn half_price_where_the_catalog_has_no_batch_prices() {
    let catalog = exllm::catalog::Catalog::embedded();
    let entry = catalog
        .models()
        .iter()
        .find(|m| m.batch.is_none() && m.cost(&usage(), Default::default()).total > 0.0)
        .expect("a priced model without batch prices");
    let standard = entry.cost(&usage(), Default::default());
    let batch = batch_cost(entry, &usage());
    assert!((batch.total - standard.total / 2.0).abs() < 1e-12);
    assert!((batch.output - standard.output / 2.0).abs() < 1e-12);
}

fn usage() -> exllm::Usage {
    exllm::Usage {
        input_tokens: Some(1000),
        output_tokens: Some(100),
        ..Default::default()
    }
}

#[tokio::test]
async fn ids_must_be_unique_and_anthropic_ids_well_formed() {
    let server = TestServer::start(vec![]).await;
    let batches = client_for("anthropic", &server, 0).batches();
    let mut reqs = requests(2);
    reqs[1].0 = "q-0".into();
    let e = batches
        .submit("anthropic/claude-sonnet-4-5", reqs)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    let mut reqs = requests(1);
    reqs[0].0 = "not ok".into();
    let e = batches
        .submit("anthropic/claude-sonnet-4-5", reqs)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert_eq!(server.request_count(), 0);
}

fn mistral_job(status: &str, files: bool) -> String {
    let (out, err) = if files {
        ("\"out-1\"", "\"err-1\"")
    } else {
        ("null", "null")
    };
    format!(
        r#"{{"id":"job-1","object":"batch","input_files":["in-1"],"metadata":null,"endpoint":"/v1/chat/completions","model":"mistral-small-latest","output_file":{out},"error_file":{err},"errors":[],"status":"{status}","created_at":1730000000,"total_requests":2,"completed_requests":2,"succeeded_requests":1,"failed_requests":1,"started_at":1730000001,"completed_at":1730000100}}"#
    )
}

#[tokio::test]
async fn a_mistral_batch_uploads_lines_without_a_model_and_reads_openai_shaped_results() {
    let ok = json!({"id": "r0", "custom_id": "q-0", "response": {"status_code": 200, "body": completion("Bonjour")}, "error": null});
    let bad = json!({"id": "r1", "custom_id": "q-1", "response": {"status_code": 422, "body": {"object": "error", "message": "Invalid model", "type": "invalid_request_error"}}, "error": null});
    let server = TestServer::start(vec![
        Reply::json(200, json!({"id": "in-1", "object": "file", "bytes": 10, "purpose": "batch", "filename": "batch.jsonl"}).to_string()),
        Reply::json(200, mistral_job("QUEUED", false)),
        Reply::json(200, mistral_job("SUCCESS", true)),
        Reply::body(200, "application/octet-stream", format!("{ok}\n")),
        Reply::body(200, "application/octet-stream", format!("{bad}\n")),
    ])
    .await;
    let batches = client_for("mistral", &server, 0).batches();
    let job = batches
        .submit("mistral/mistral-small-latest", requests(2))
        .await
        .unwrap();
    assert_eq!(
        (job.api, job.status.clone()),
        (BatchApi::Mistral, BatchStatus::Validating)
    );
    let done = batches.refresh(&job).await.unwrap();
    assert_eq!(
        (
            done.status.clone(),
            done.counts.succeeded,
            done.counts.failed
        ),
        (BatchStatus::Completed, 1, 1)
    );
    let results = batches.collect(&done).await.unwrap();
    assert_eq!(results[0].result.as_ref().unwrap().text(), "Bonjour");
    assert_eq!(results[1].result.as_ref().unwrap_err().status(), Some(422));
    let reqs = server.requests();
    let fields = form_fields(&reqs[0]);
    let first: Value =
        serde_json::from_slice(fields[1].3.split(|b| *b == b'\n').next().unwrap()).unwrap();
    assert_eq!(first["custom_id"], "q-0");
    assert!(first["body"].get("model").is_none(), "{first}");
    assert_eq!(first["body"]["messages"][0]["content"], "Question 0");
    assert_eq!(reqs[1].path, "/v1/batch/jobs");
    assert_eq!(
        reqs[1].json(),
        json!({"input_files": ["in-1"], "model": "mistral-small-latest", "endpoint": "/v1/chat/completions"})
    );
    assert_eq!(reqs[2].path, "/v1/batch/jobs/job-1");
    assert_eq!(reqs[3].path, "/v1/files/out-1/content");
}
