//! Batch listings followed page by page against a local server: OpenAI `after` / `has_more` /
//! `last_id`, Anthropic `after_id`, Gemini `pageToken` / `nextPageToken` and Mistral page
//! numbers, up to the limit asked for.

use crate::support::{client_for, Reply, TestServer};
use serde_json::json;

fn openai_job(id: &str) -> serde_json::Value {
    json!({"id": id, "object": "batch", "status": "completed",
        "request_counts": {"total": 1, "completed": 1, "failed": 0}})
}

#[tokio::test]
async fn openai_lists_follow_last_id_until_has_more_is_false() {
    let page1 = json!({"object": "list", "data": [openai_job("b1"), openai_job("b2")],
        "first_id": "b1", "last_id": "b2", "has_more": true});
    let page2 = json!({"object": "list", "data": [openai_job("b3")], "has_more": false});
    let server = TestServer::start(vec![
        Reply::json(200, page1.to_string()),
        Reply::json(200, page2.to_string()),
    ])
    .await;
    let jobs = client_for("openai", &server, 0)
        .batches()
        .list("openai", None)
        .await
        .unwrap();
    let ids: Vec<&str> = jobs.iter().map(|j| j.id.as_str()).collect();
    assert_eq!(ids, ["b1", "b2", "b3"]);
    let r = server.requests();
    assert_eq!(r[0].path, "/v1/batches?limit=100");
    assert_eq!(r[1].path, "/v1/batches?limit=100&after=b2");
}

#[tokio::test]
async fn a_limit_stops_the_paging_and_shrinks_the_last_page() {
    let page = |ids: &[&str], more: bool| {
        let data: Vec<_> = ids.iter().map(|i| openai_job(i)).collect();
        json!({"object": "list", "data": data, "has_more": more}).to_string()
    };
    let server = TestServer::start(vec![
        Reply::json(200, page(&["b1", "b2"], true)),
        Reply::json(200, page(&["b3"], true)),
    ])
    .await;
    let jobs = client_for("openai", &server, 0)
        .batches()
        .list("openai", Some(3))
        .await
        .unwrap();
    assert_eq!(jobs.len(), 3);
    let r = server.requests();
    assert_eq!(r.len(), 2, "no page is asked for past the limit");
    assert_eq!(r[0].path, "/v1/batches?limit=3");
    // Without last_id the cursor is the last job's id.
    assert_eq!(r[1].path, "/v1/batches?limit=1&after=b2");
}

#[tokio::test]
async fn anthropic_lists_follow_after_id() {
    let job = |id: &str| {
        json!({"id": id, "type": "message_batch", "processing_status": "ended",
            "request_counts": {"processing": 0, "succeeded": 1, "errored": 0, "canceled": 0, "expired": 0}})
    };
    let server = TestServer::start(vec![
        Reply::json(
            200,
            json!({"data": [job("m1")], "has_more": true, "first_id": "m1", "last_id": "m1"})
                .to_string(),
        ),
        Reply::json(
            200,
            json!({"data": [job("m2")], "has_more": false, "first_id": "m2", "last_id": "m2"})
                .to_string(),
        ),
    ])
    .await;
    let jobs = client_for("anthropic", &server, 0)
        .batches()
        .list("anthropic", Some(10))
        .await
        .unwrap();
    assert_eq!(jobs.len(), 2);
    let r = server.requests();
    assert_eq!(r[1].path, "/v1/messages/batches?limit=9&after_id=m1");
}

#[tokio::test]
async fn gemini_lists_follow_next_page_tokens() {
    let batch = |n: &str| json!({"name": n, "state": "BATCH_STATE_SUCCEEDED"});
    let server = TestServer::start(vec![
        Reply::json(
            200,
            json!({"batches": [batch("batches/a")], "nextPageToken": "tok/2=="}).to_string(),
        ),
        Reply::json(
            200,
            json!({"batches": [batch("batches/b")], "nextPageToken": ""}).to_string(),
        ),
    ])
    .await;
    let jobs = client_for("gemini", &server, 0)
        .batches()
        .list("gemini", None)
        .await
        .unwrap();
    assert_eq!(jobs.len(), 2);
    assert_eq!(
        server.requests()[1].path,
        "/v1/batches?pageSize=100&pageToken=tok%2F2%3D%3D"
    );
}

#[tokio::test]
async fn mistral_lists_count_pages_against_the_total() {
    let job = |id: &str| json!({"id": id, "status": "SUCCESS", "total_requests": 1});
    let server = TestServer::start(vec![
        Reply::json(
            200,
            json!({"data": [job("j1"), job("j2")], "object": "list", "total": 3}).to_string(),
        ),
        Reply::json(
            200,
            json!({"data": [job("j3")], "object": "list", "total": 3}).to_string(),
        ),
    ])
    .await;
    let batches = client_for("mistral", &server, 0).batches();
    let first = batches.list_page("mistral", Some(2), None).await.unwrap();
    assert_eq!((first.jobs.len(), first.next.as_deref()), (2, Some("1")));
    let second = batches
        .list_page("mistral", Some(2), first.next.as_deref())
        .await
        .unwrap();
    assert_eq!((second.jobs.len(), second.next), (1, None));
    let r = server.requests();
    assert_eq!(r[0].path, "/v1/batch/jobs?page_size=2");
    assert_eq!(r[1].path, "/v1/batch/jobs?page_size=2&page=1");
}

#[tokio::test]
async fn a_page_that_repeats_its_cursor_ends_the_listing() {
    let page =
        json!({"object": "list", "data": [openai_job("b1")], "last_id": "b1", "has_more": true});
    let server = TestServer::start(vec![
        Reply::json(200, page.to_string()),
        Reply::json(200, page.to_string()),
        Reply::json(200, page.to_string()),
    ])
    .await;
    let jobs = client_for("openai", &server, 0)
        .batches()
        .list("openai", None)
        .await
        .unwrap();
    assert_eq!(jobs.len(), 2);
    assert_eq!(server.request_count(), 2);
}
