//! The batch and file codecs on the providers' documented wire shapes: input lines and create
//! bodies, job objects in each state, result lines of every kind, file objects and uploads,
//! and JSONL split at any chunk boundary. Arbitrary bytes never panic a decoder.

use super::lines::Lines;
use super::{anthropic, files, gemini, openai, FileApi};
use crate::error::ErrorKind;
use crate::provider::Endpoint;
use crate::types::{BatchStatus, ChatRequest, Message};
use proptest::prelude::*;
use serde_json::{json, Value};

fn ep(provider: &str) -> Endpoint {
    Endpoint::new(provider, "https://api.example.com/v1")
}

fn req() -> ChatRequest {
    let mut r = ChatRequest::new("gpt-4o-mini", vec![Message::user("Hello")]);
    r.max_tokens = Some(50);
    r
}

#[test]
fn openai_input_lines_carry_the_chat_body() {
    let line = openai::input_line(&ep("openai"), "q-1", &req()).unwrap();
    assert!(line.ends_with(b"}\n") && !line[..line.len() - 1].contains(&b'\n'));
    let v: Value = serde_json::from_slice(&line).unwrap();
    assert_eq!(v["custom_id"], "q-1");
    assert_eq!(v["method"], "POST");
    assert_eq!(v["url"], "/v1/chat/completions");
    assert_eq!(v["body"]["model"], "gpt-4o-mini");
    assert_eq!(v["body"]["messages"][0]["content"], "Hello");
    let azure = openai::input_line(&ep("azure"), "q\"2", &req()).unwrap();
    let v: Value = serde_json::from_slice(&azure).unwrap();
    assert_eq!(
        (v["url"].as_str(), v["custom_id"].as_str()),
        (Some("/chat/completions"), Some("q\"2"))
    );
    let mut deployments = ep("azure-deployments");
    deployments.quirks.deployment_path = true;
    let line = openai::input_line(&deployments, "q-3", &req()).unwrap();
    let v: Value = serde_json::from_slice(&line).unwrap();
    assert_eq!(
        (v["url"].as_str(), v["body"]["model"].as_str()),
        (Some("/chat/completions"), Some("gpt-4o-mini"))
    );
}

#[test]
fn openai_create_asks_for_a_24h_window() {
    let r = openai::create(&ep("openai"), "file-abc").unwrap();
    assert_eq!(r.uri().to_string(), "https://api.example.com/v1/batches");
    let v: Value = serde_json::from_slice(r.body()).unwrap();
    assert_eq!(
        v,
        json!({"input_file_id": "file-abc", "endpoint": "/v1/chat/completions", "completion_window": "24h"})
    );
    let c = openai::cancel(&ep("openai"), "batch/../x").unwrap();
    assert_eq!(c.uri().path(), "/v1/batches/batch%2F..%2Fx/cancel");
}

#[test]
fn openai_jobs_decode_in_each_state() {
    let body = json!({
        "id": "batch_abc123", "object": "batch", "endpoint": "/v1/chat/completions",
        "errors": null, "input_file_id": "file-in", "completion_window": "24h",
        "status": "completed", "output_file_id": "file-out", "error_file_id": "file-err",
        "created_at": 1711471533, "in_progress_at": 1711471538, "expires_at": 1711557933,
        "finalizing_at": 1711493133, "completed_at": 1711493163, "failed_at": null,
        "expired_at": null, "cancelling_at": null, "cancelled_at": null,
        "request_counts": {"total": 100, "completed": 95, "failed": 5},
        "metadata": {"customer_id": "user_123456789"}
    });
    let job = openai::decode_job("openai", body.to_string().as_bytes()).unwrap();
    assert_eq!(job.status, BatchStatus::Completed);
    assert!(job.status.is_done());
    assert_eq!(
        (job.counts.total, job.counts.succeeded, job.counts.failed),
        (100, 95, 5)
    );
    assert_eq!(job.output_file_id.as_deref(), Some("file-out"));
    assert_eq!(
        (job.created_at, job.ended_at),
        (Some(1711471533), Some(1711493163))
    );

    let expired = json!({"id": "batch_x", "status": "expired", "request_counts": {"total": 10, "completed": 6, "failed": 1}});
    let job = openai::decode_job("groq", expired.to_string().as_bytes()).unwrap();
    assert_eq!(
        (
            job.status.clone(),
            job.counts.expired,
            job.counts.finished()
        ),
        (BatchStatus::Expired, 3, 10)
    );
    let failed = json!({"id": "batch_y", "status": "failed", "errors": {"object": "list", "data": [{"code": "invalid_json_line", "line": 1, "message": "Line 1 is not valid JSON."}]}});
    let job = openai::decode_job("openai", failed.to_string().as_bytes()).unwrap();
    assert_eq!(job.errors, vec!["Line 1 is not valid JSON.".to_string()]);
    let odd = json!({"id": "batch_z", "status": "paused"});
    let job = openai::decode_job("openai", odd.to_string().as_bytes()).unwrap();
    assert_eq!(job.status, BatchStatus::Other("paused".into()));
    assert!(openai::decode_job("openai", b"{}").is_err());
    let list =
        json!({"object": "list", "data": [body], "first_id": "batch_abc123", "has_more": true});
    let page = openai::decode_list("openai", list.to_string().as_bytes()).unwrap();
    assert_eq!(
        (page.jobs.len(), page.next.as_deref()),
        (1, Some("batch_abc123"))
    );
}

#[test]
fn openai_result_lines_decode_to_answers_and_errors() {
    let ok = json!({"id": "batch_req_1", "custom_id": "q-1", "response": {"status_code": 200, "request_id": "req_1",
        "body": {"id": "chatcmpl-1", "object": "chat.completion", "created": 1711475054, "model": "gpt-4o-mini",
                 "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hi!"}, "finish_reason": "stop"}],
                 "usage": {"prompt_tokens": 20, "completion_tokens": 3, "total_tokens": 23}}}, "error": null});
    let (id, r) = openai::decode_line("openai", 1, ok.to_string().as_bytes()).unwrap();
    let r = r.unwrap();
    assert_eq!((id.as_str(), r.text().as_str()), ("q-1", "Hi!"));
    assert_eq!(r.usage.unwrap().input_tokens, Some(20));

    let bad = json!({"id": "batch_req_2", "custom_id": "q-2", "response": {"status_code": 400, "request_id": "req_2",
        "body": {"error": {"message": "Invalid model", "type": "invalid_request_error", "code": null}}}, "error": null});
    let (id, r) = openai::decode_line("openai", 2, bad.to_string().as_bytes()).unwrap();
    let e = r.unwrap_err();
    assert_eq!(
        (id.as_str(), e.kind(), e.status()),
        ("q-2", ErrorKind::BadRequest, Some(400))
    );
    assert_eq!(
        (e.message(), e.request_id()),
        ("Invalid model", Some("req_2"))
    );

    let expired = json!({"id": "batch_req_3", "custom_id": "q-3", "response": null,
        "error": {"code": "batch_expired", "message": "This request could not be executed before the completion window expired."}});
    let (_, r) = openai::decode_line("openai", 3, expired.to_string().as_bytes()).unwrap();
    let e = r.unwrap_err();
    assert_eq!(
        (e.kind(), e.code()),
        (ErrorKind::Timeout, Some("batch_expired"))
    );
    let cancelled =
        json!({"custom_id": "q-4", "error": {"code": "batch_cancelled", "message": "cancelled"}});
    let (_, r) = openai::decode_line("openai", 4, cancelled.to_string().as_bytes()).unwrap();
    assert_eq!(r.unwrap_err().code(), Some("batch_cancelled"));

    for junk in [&b"not json"[..], b"{}", b"{\"custom_id\": 5}", b"[]"] {
        assert_eq!(
            openai::decode_line("openai", 9, junk).unwrap_err().kind(),
            ErrorKind::Decode
        );
    }
    let (_, r) = openai::decode_line("openai", 9, br#"{"custom_id":"a"}"#).unwrap();
    assert_eq!(r.unwrap_err().kind(), ErrorKind::Decode);
}

#[test]
fn anthropic_entries_take_the_messages_body_and_check_ids() {
    let mut r = req();
    r.model = "claude-sonnet-4-5".into();
    let e = anthropic::entry(&ep("anthropic"), "my-first-request", &r).unwrap();
    assert_eq!(e["custom_id"], "my-first-request");
    assert_eq!(e["params"]["model"], "claude-sonnet-4-5");
    assert_eq!(e["params"]["max_tokens"], 50);
    assert_eq!(e["params"]["messages"][0]["role"], "user");
    for bad in ["", "has space", "a/b", &"x".repeat(65)] {
        let err = anthropic::entry(&ep("anthropic"), bad, &r).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
    }
    let with_file = anthropic::create(&ep("anthropic"), vec![e.clone()], true).unwrap();
    assert_eq!(
        with_file.headers()["anthropic-beta"],
        files::ANTHROPIC_FILES_BETA
    );
    let c = anthropic::create(&ep("anthropic"), vec![e], false).unwrap();
    assert!(c.headers().get("anthropic-beta").is_none());
    assert_eq!(c.uri().path(), "/v1/messages/batches");
    let v: Value = serde_json::from_slice(c.body()).unwrap();
    assert_eq!(v["requests"][0]["custom_id"], "my-first-request");
    let l = anthropic::list(&ep("anthropic"), Some(5), Some("msgbatch_1")).unwrap();
    assert_eq!(l.uri().query(), Some("limit=5&after_id=msgbatch_1"));
}

#[test]
fn anthropic_jobs_decode_with_their_counts() {
    let body = json!({"id": "msgbatch_013Zva2CMHLNnXjNJJKqJ2EF", "type": "message_batch",
        "processing_status": "in_progress",
        "request_counts": {"processing": 100, "succeeded": 50, "errored": 30, "canceled": 10, "expired": 10},
        "ended_at": null, "created_at": "2024-08-20T18:37:24.100435Z", "expires_at": "2024-08-21T18:37:24.100435Z",
        "archived_at": null, "cancel_initiated_at": null,
        "results_url": "https://api.anthropic.com/v1/messages/batches/msgbatch_013Zva2CMHLNnXjNJJKqJ2EF/results"});
    let job = anthropic::decode_job("anthropic", body.to_string().as_bytes()).unwrap();
    assert_eq!(job.status, BatchStatus::InProgress);
    assert_eq!(
        (
            job.counts.total,
            job.counts.succeeded,
            job.counts.failed,
            job.counts.cancelled
        ),
        (200, 50, 30, 10)
    );
    assert_eq!(job.created_at, Some(1724179044));
    let mut ended = body.clone();
    ended["processing_status"] = "ended".into();
    ended["ended_at"] = "2024-08-20T19:00:00Z".into();
    let job = anthropic::decode_job("anthropic", ended.to_string().as_bytes()).unwrap();
    assert_eq!(job.status, BatchStatus::Completed);
    ended["cancel_initiated_at"] = "2024-08-20T18:50:00Z".into();
    let job = anthropic::decode_job("anthropic", ended.to_string().as_bytes()).unwrap();
    assert_eq!(job.status, BatchStatus::Cancelled);
    let only_expired =
        json!({"id": "b", "processing_status": "ended", "request_counts": {"expired": 3}});
    let job = anthropic::decode_job("anthropic", only_expired.to_string().as_bytes()).unwrap();
    assert_eq!(job.status, BatchStatus::Expired);
}

#[test]
fn anthropic_result_lines_of_every_type() {
    let ok = json!({"custom_id": "my-second-request", "result": {"type": "succeeded", "message": {
        "id": "msg_014VwiXbi91y3JMjcpyGBHX5", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5",
        "content": [{"type": "text", "text": "Hello again!"}], "stop_reason": "end_turn", "stop_sequence": null,
        "usage": {"input_tokens": 11, "output_tokens": 36}}}});
    let (id, r) = anthropic::decode_line("anthropic", 1, ok.to_string().as_bytes()).unwrap();
    assert_eq!(
        (id.as_str(), r.unwrap().text().as_str()),
        ("my-second-request", "Hello again!")
    );
    let errored = json!({"custom_id": "my-first-request", "result": {"type": "errored", "error": {"type": "error",
        "error": {"type": "invalid_request_error", "message": "Validation error: max_tokens is required"}}}});
    let (_, r) = anthropic::decode_line("anthropic", 2, errored.to_string().as_bytes()).unwrap();
    let e = r.unwrap_err();
    assert_eq!(
        (e.kind(), e.message()),
        (
            ErrorKind::BadRequest,
            "Validation error: max_tokens is required"
        )
    );
    let overloaded = json!({"custom_id": "o", "result": {"type": "errored", "error": {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}}});
    let (_, r) = anthropic::decode_line("anthropic", 2, overloaded.to_string().as_bytes()).unwrap();
    assert!(r.unwrap_err().is_retryable());
    for (t, code) in [
        ("canceled", "batch_cancelled"),
        ("expired", "batch_expired"),
    ] {
        let line = json!({"custom_id": "c", "result": {"type": t}});
        let (_, r) = anthropic::decode_line("anthropic", 3, line.to_string().as_bytes()).unwrap();
        assert_eq!(r.unwrap_err().code(), Some(code));
    }
    let (_, r) = anthropic::decode_line(
        "anthropic",
        4,
        br#"{"custom_id":"u","result":{"type":"new"}}"#,
    )
    .unwrap();
    assert_eq!(r.unwrap_err().kind(), ErrorKind::Decode);
    assert!(anthropic::decode_line("anthropic", 5, br#"{"result":{"type":"canceled"}}"#).is_err());
}

#[test]
fn uploads_wrap_the_file_in_a_form_with_its_length() {
    let up = files::upload(
        FileApi::OpenAi,
        &ep("openai"),
        "in put.jsonl",
        "application/jsonl",
        Some("batch"),
        1000,
    )
    .unwrap();
    let head = &up.head;
    assert_eq!(head.uri().path(), "/v1/files");
    let ct = head.headers()["content-type"].to_str().unwrap();
    let boundary = ct.strip_prefix("multipart/form-data; boundary=").unwrap();
    let len: u64 = head.headers()["content-length"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(len, up.prefix.len() as u64 + 1000 + up.suffix.len() as u64);
    let prefix = String::from_utf8(up.prefix.to_vec()).unwrap();
    assert!(prefix.starts_with(&format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nbatch\r\n"
    )));
    assert!(prefix.ends_with(
        "name=\"file\"; filename=\"in put.jsonl\"\r\nContent-Type: application/jsonl\r\n\r\n"
    ));
    assert_eq!(up.suffix, format!("\r\n--{boundary}--\r\n"));
    let e = files::upload(FileApi::OpenAi, &ep("openai"), "a", "text/plain", None, 1).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    let a = files::upload(
        FileApi::Anthropic,
        &ep("anthropic"),
        "a.pdf",
        "application/pdf",
        None,
        1,
    )
    .unwrap();
    assert_eq!(
        a.head.headers()["anthropic-beta"],
        files::ANTHROPIC_FILES_BETA
    );
    assert!(!String::from_utf8_lossy(&a.prefix).contains("purpose"));
}

#[test]
fn file_objects_of_both_apis_decode() {
    let o = json!({"id": "file-abc123", "object": "file", "bytes": 120000, "created_at": 1677610602,
        "expires_at": 1680202602, "filename": "salesOverview.pdf", "purpose": "assistants", "status": "processed"});
    let f = files::decode_file("openai", o.to_string().as_bytes()).unwrap();
    assert_eq!(
        (f.id.as_str(), f.bytes, f.created_at, f.expires_at),
        (
            "file-abc123",
            Some(120000),
            Some(1677610602),
            Some(1680202602)
        )
    );
    let a = json!({"id": "file_011CNha8iCJcU1wXNR6q4V8w", "type": "file", "filename": "document.pdf",
        "mime_type": "application/pdf", "size_bytes": 1024000, "created_at": "2025-01-01T00:00:00Z", "downloadable": false});
    let f = files::decode_file("anthropic", a.to_string().as_bytes()).unwrap();
    assert_eq!(
        (f.bytes, f.media_type.as_deref(), f.created_at),
        (Some(1024000), Some("application/pdf"), Some(1735689600))
    );
    let list = json!({"data": [o, a], "has_more": false, "first_id": "x", "last_id": "y"});
    let l = files::decode_list("openai", list.to_string().as_bytes()).unwrap();
    assert_eq!((l.files.len(), l.has_more), (2, false));
    files::decode_deleted(br#"{"id":"file-abc123","object":"file","deleted":true}"#).unwrap();
    files::decode_deleted(br#"{"id":"file_01","type":"file_deleted"}"#).unwrap();
    assert!(files::decode_deleted(br#"{"id":"file-abc123","deleted":false}"#).is_err());
    let g = files::list(
        FileApi::Anthropic,
        &ep("anthropic"),
        Some(2),
        Some("file_01"),
    )
    .unwrap();
    assert_eq!(g.uri().query(), Some("limit=2&after_id=file_01"));
}

#[test]
fn anthropic_messages_naming_a_file_id_carry_the_files_beta() {
    use crate::provider::Api;
    use crate::types::{MediaSource, Part};
    let codec = Api::Anthropic.codec();
    let plain = codec
        .encode(&req(), "claude", &ep("anthropic"), false)
        .unwrap();
    assert!(plain.request.headers().get("anthropic-beta").is_none());
    let mut r = req();
    r.messages[0].content.push(Part::File {
        source: MediaSource::FileId("file_011CNha8iCJcU1wXNR6q4V8w".into()),
        media_type: Some("application/pdf".into()),
        filename: None,
    });
    let enc = codec.encode(&r, "claude", &ep("anthropic"), false).unwrap();
    assert_eq!(
        enc.request.headers()["anthropic-beta"],
        files::ANTHROPIC_FILES_BETA
    );
    let body: Value = serde_json::from_slice(enc.request.body()).unwrap();
    assert_eq!(
        body["messages"][0]["content"][1]["source"],
        json!({"type": "file", "file_id": "file_011CNha8iCJcU1wXNR6q4V8w"})
    );
}

#[test]
fn gemini_batches_decode_from_operations_and_match_by_key_or_position() {
    let mut r = req();
    r.model = "gemini-2.5-flash".into();
    let e = gemini::entry(&ep("gemini"), "q-1", &r).unwrap();
    assert_eq!(e["metadata"]["key"], "q-1");
    assert_eq!(e["request"]["contents"][0]["parts"][0]["text"], "Hello");
    let c = gemini::create(&ep("gemini"), "gemini-2.5-flash", vec![e]).unwrap();
    assert_eq!(
        c.uri().path(),
        "/v1/models/gemini-2.5-flash:batchGenerateContent"
    );
    let body: Value = serde_json::from_slice(c.body()).unwrap();
    assert_eq!(
        body["batch"]["input_config"]["requests"]["requests"][0]["metadata"]["key"],
        "q-1"
    );

    let op = json!({"name": "batches/abc", "metadata": {"@type": "type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatch",
        "model": "models/gemini-2.5-flash", "name": "batches/abc", "createTime": "2025-07-01T10:00:00Z",
        "batchStats": {"requestCount": "3", "pendingRequestCount": "3"}, "state": "BATCH_STATE_PENDING"}});
    let job = gemini::decode_job("gemini", op.to_string().as_bytes()).unwrap();
    assert_eq!(
        (job.id.as_str(), job.status.clone(), job.counts.total),
        ("batches/abc", BatchStatus::Validating, 3)
    );
    let answer = |t: &str| {
        json!({"candidates": [{"content": {"role": "model", "parts": [{"text": t}]}, "finishReason": "STOP"}],
        "usageMetadata": {"promptTokenCount": 4, "candidatesTokenCount": 1, "totalTokenCount": 5}})
    };
    let done = json!({"name": "batches/abc", "done": true,
        "metadata": {"name": "batches/abc", "state": "BATCH_STATE_SUCCEEDED",
            "batchStats": {"requestCount": "3", "successfulRequestCount": "2", "failedRequestCount": "1"}},
        "response": {"@type": "type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatchOutput",
            "inlinedResponses": {"inlinedResponses": [
                {"response": answer("one"), "metadata": {"key": "q-a"}},
                {"response": answer("two")},
                {"error": {"code": 3, "message": "Invalid argument", "status": "INVALID_ARGUMENT"}}]}}});
    let job = gemini::decode_job("gemini", done.to_string().as_bytes()).unwrap();
    assert_eq!(
        (job.status.clone(), job.counts.succeeded, job.counts.failed),
        (BatchStatus::Completed, 2, 1)
    );
    let ids = ["q-a".to_string(), "q-b".into(), "q-c".into()];
    let got = gemini::decode_results("gemini", done.to_string().as_bytes(), &ids).unwrap();
    let keys: Vec<&str> = got.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, ["q-a", "q-b", "q-c"], "by key, else by position");
    assert_eq!(got[0].1.as_ref().unwrap().text(), "one");
    let e = got[2].1.as_ref().unwrap_err();
    assert_eq!(
        (e.kind(), e.message()),
        (ErrorKind::BadRequest, "Invalid argument")
    );
    let expired = json!({"name": "batches/x", "state": "BATCH_STATE_EXPIRED", "batchStats": {"requestCount": 4, "successfulRequestCount": 1}});
    let job = gemini::decode_job("gemini", expired.to_string().as_bytes()).unwrap();
    assert_eq!(
        (job.status.clone(), job.counts.expired),
        (BatchStatus::Expired, 3)
    );
    assert!(gemini::decode_results("gemini", expired.to_string().as_bytes(), &ids).is_err());
}

fn split_lines(chunks: &[&[u8]]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut l = Lines::default();
    for c in chunks {
        l.push(c, |line| {
            out.push(line.to_vec());
            Ok(())
        })
        .unwrap();
    }
    l.finish(|line| {
        out.push(line.to_vec());
        Ok(())
    })
    .unwrap();
    out
}

#[test]
fn lines_split_across_chunks_skipping_blank_ones() {
    let got = split_lines(&[b"{\"a\":1}\r\n{\"b\"", b":2}\n\n  \n", b"{\"c\":3}"]);
    assert_eq!(
        got,
        vec![
            b"{\"a\":1}".to_vec(),
            b"{\"b\":2}".to_vec(),
            b"{\"c\":3}".to_vec()
        ]
    );
}

proptest! {
    #[test]
    fn result_decoders_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = openai::decode_line("openai", 1, &bytes);
        let _ = anthropic::decode_line("anthropic", 1, &bytes);
        let _ = openai::decode_job("openai", &bytes);
        let _ = anthropic::decode_job("anthropic", &bytes);
        let _ = files::decode_file("openai", &bytes);
        let _ = files::decode_list("openai", &bytes);
        let _ = gemini::decode_job("gemini", &bytes);
        let _ = gemini::decode_results("gemini", &bytes, &["a".into()]);
        let _ = gemini::decode_file_line("gemini", 1, &bytes);
        let _ = gemini::responses_file(&bytes);
        let _ = super::gemini_files::decode_upload("gemini", &bytes);
    }

    #[test]
    fn json_shaped_lines_never_panic(kind in "(succeeded|errored|canceled|expired|x)", status in 0u16..700,
                                     body in "[a-z{}\\[\\]\":,0-9 ]{0,60}") {
        let a = format!(r#"{{"custom_id":"a","result":{{"type":"{kind}","message":{body},"error":{body}}}}}"#);
        let _ = anthropic::decode_line("anthropic", 1, a.as_bytes());
        let o = format!(r#"{{"custom_id":"a","response":{{"status_code":{status},"body":{body}}}}}"#);
        let _ = openai::decode_line("openai", 1, o.as_bytes());
    }

    #[test]
    fn any_chunking_gives_the_same_lines(text in "[a-z\\n]{0,200}", cuts in proptest::collection::vec(0usize..200, 0..8)) {
        let bytes = text.as_bytes();
        let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(bytes.len())).collect();
        cuts.sort();
        let mut chunks = Vec::new();
        let mut at = 0;
        for c in cuts {
            chunks.push(&bytes[at..c]);
            at = c;
        }
        chunks.push(&bytes[at..]);
        prop_assert_eq!(split_lines(&chunks), split_lines(&[bytes]));
    }
}
