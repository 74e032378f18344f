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

fn mistral_answer() -> String {
    json!({"id": "4a0a1e5f", "model": "mistral-moderation-latest", "results": [{
        "categories": {"sexual": false, "hate_and_discrimination": false, "violence_and_threats": true, "selfharm": false},
        "category_scores": {"sexual": 0.0002, "hate_and_discrimination": 0.01, "violence_and_threats": 0.88, "selfharm": 0.0003}}]})
    .to_string()
}

#[tokio::test]
async fn mistral_moderation_of_texts_and_of_a_conversation() {
    let server = TestServer::start(vec![
        Reply::json(200, mistral_answer()),
        Reply::json(200, mistral_answer()),
    ])
    .await;
    let client = client_for("mistral", &server, 0);
    let model = "mistral/mistral-moderation-latest";
    let r = client
        .moderate(ModerationRequest::new(model, ["I will hurt you."]))
        .await
        .unwrap();
    assert!(r.flagged());
    assert_eq!(r.results[0].flagged_categories(), ["violence_and_threats"]);
    let mut conv = ModerationRequest::new(model, Vec::<String>::new());
    conv.conversation = vec![
        exllm::Message::user("Say something mean."),
        exllm::Message::assistant("I will hurt you."),
    ];
    let r = client.moderate(conv).await.unwrap();
    assert_eq!(r.results[0].categories.len(), 4);

    let sent = server.requests();
    assert_eq!(sent[0].path, "/v1/moderations");
    assert_eq!(
        sent[0].header("authorization"),
        Some(format!("Bearer {}", crate::support::KEY).as_str())
    );
    assert_eq!(
        sent[0].json(),
        json!({"model": "mistral-moderation-latest", "input": "I will hurt you."})
    );
    assert_eq!(sent[1].path, "/v1/chat/moderations");
    assert_eq!(sent[1].json()["input"][1]["role"], "assistant");
}
