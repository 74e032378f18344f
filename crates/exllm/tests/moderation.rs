//! `Client::moderate` end to end against a local server speaking OpenAI's `/moderations`:
//! categories and scores, an error status, and a 429 retried.

use crate::support::{assert_no_key, client_for, Reply, TestServer};
use exllm::{ErrorKind, ModerationRequest};
use serde_json::json;

fn flagged() -> String {
    json!({"id": "modr-1", "model": "omni-moderation-latest", "results": [{
        "flagged": true,
        "categories": {"harassment": true, "violence": true, "sexual": false, "illicit": null},
        "category_scores": {"harassment": 0.52, "violence": 0.91, "sexual": 0.0001, "illicit": 0.04},
        "category_applied_input_types": {"harassment": ["text"], "violence": ["text", "image"]}
    }]})
    .to_string()
}

#[tokio::test]
async fn moderation_reports_categories_after_a_retried_429() {
    let server = TestServer::start(vec![
        Reply::json(429, r#"{"error":{"message":"Rate limit reached"}}"#)
            .header("retry-after", "0"),
        Reply::json(200, flagged()),
    ])
    .await;
    let mut req = ModerationRequest::new("openai/omni-moderation-latest", ["I want to kill them."]);
    req.image_urls.push("https://img.example/a.png".into());
    let resp = client_for("openai", &server, 2)
        .moderate(req)
        .await
        .unwrap();
    assert_eq!(server.request_count(), 2);
    let r = server.requests().pop().unwrap();
    assert_eq!(r.path, "/v1/moderations");
    assert_eq!(
        r.json(),
        json!({"model": "omni-moderation-latest", "input": [
            {"type": "text", "text": "I want to kill them."},
            {"type": "image_url", "image_url": {"url": "https://img.example/a.png"}}]})
    );
    assert!(resp.flagged());
    assert_eq!(resp.id.as_deref(), Some("modr-1"));
    let first = &resp.results[0];
    assert_eq!(first.flagged_categories(), ["harassment", "violence"]);
    let violence = first
        .categories
        .iter()
        .find(|c| c.name == "violence")
        .unwrap();
    assert_eq!(violence.score, Some(0.91));
}

#[tokio::test]
async fn a_moderation_error_is_typed() {
    let server = TestServer::start(vec![Reply::json(
        404,
        r#"{"error":{"message":"The model `text-moderation-9` does not exist","type":"invalid_request_error"}}"#,
    )])
    .await;
    let err = client_for("openai", &server, 2)
        .moderate(ModerationRequest::new("openai/text-moderation-9", ["hi"]))
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(404));
    assert_ne!(err.kind(), ErrorKind::Decode);
    assert!(err.message().contains("does not exist"), "{err}");
    assert_eq!(server.request_count(), 1);
    assert_no_key(&err);
}
