//! Vertex AI's other Gemini endpoints end to end, with a service-account token from a token
//! server on 127.0.0.1: `countTokens` under the project's publisher model (Vertex's body
//! shape, not the Gemini API's), and context caches under the location, naming the model in
//! full, with their expiry set by time.
#![cfg(feature = "vertex")]

use crate::support::{fast_retry, hello_messages, Reply, TestServer};
use crate::vertex::{service_account, temp_dir, token_reply, TOKEN};
use exllm::{CachedContentCreate, ChatRequest, Client, Message};
use serde_json::json;
use std::time::Duration;

const LOCATION: &str = "/v1/projects/p1/locations/us-central1";

#[tokio::test]
async fn vertex_counts_tokens_and_keeps_caches_under_the_location() {
    let cache = |expire: &str| {
        json!({
            "name": "projects/p1/locations/us-central1/cachedContents/c9",
            "model": "projects/p1/locations/us-central1/publishers/google/models/gemini-2.5-flash",
            "expireTime": expire,
            "usageMetadata": {"totalTokenCount": 33000}
        })
        .to_string()
    };
    let server = TestServer::start(vec![
        token_reply(),
        Reply::json(200, r#"{"totalTokens": 12, "totalBillableCharacters": 40}"#),
        Reply::json(200, cache("2026-12-07T09:10:00Z")),
        Reply::json(200, cache("2026-12-08T00:00:00Z")),
    ])
    .await;
    let dir = temp_dir("jobs");
    let sa = service_account(&dir, &format!("{}/token", server.root()), "p1").unwrap();
    let client = Client::builder()
        .env_lookup(|_| None)
        .base_url(
            "vertex",
            format!(
                "{}/v1/projects/{{project}}/locations/{{location}}/publishers/google",
                server.root()
            ),
        )
        .var("vertex", "project", "p1")
        .credentials_file("vertex", &sa)
        .retry(fast_retry(0))
        .build()
        .unwrap();

    let req = ChatRequest::new("vertex/gemini-2.5-flash", hello_messages()).with_max_tokens(9);
    assert_eq!(client.count_tokens(&req).await.unwrap(), 12);

    let caches = client.gemini_caches("vertex");
    let made = caches
        .create(
            CachedContentCreate::new(
                "vertex/gemini-2.5-flash",
                vec![
                    Message::system("From the book."),
                    Message::user("The book."),
                ],
            )
            .with_ttl(Duration::from_secs(600)),
        )
        .await
        .unwrap();
    assert_eq!(made.total_tokens, Some(33000));
    let at = std::time::UNIX_EPOCH + Duration::from_secs(1_796_688_000);
    let later = caches.update_expire_time(&made.name, at).await.unwrap();
    assert_eq!(later.expire_time.as_deref(), Some("2026-12-08T00:00:00Z"));

    let r = server.requests();
    assert_eq!(r.len(), 4, "one token exchange, then three calls with it");
    assert_eq!(r[0].path, "/token");
    for call in &r[1..] {
        assert_eq!(
            call.header("authorization"),
            Some(format!("Bearer {TOKEN}").as_str())
        );
        assert!(call.header("x-goog-api-key").is_none());
    }
    assert_eq!(
        r[1].path,
        format!("{LOCATION}/publishers/google/models/gemini-2.5-flash:countTokens")
    );
    let counted = r[1].json();
    assert!(counted.get("generateContentRequest").is_none(), "{counted}");
    assert_eq!(counted["contents"][0]["parts"][0]["text"], "Say hello");
    assert_eq!(
        counted["systemInstruction"]["parts"][0]["text"],
        "Be brief."
    );
    assert!(counted.get("generationConfig").is_none(), "{counted}");

    assert_eq!(
        (r[2].method.as_str(), r[2].path.as_str()),
        ("POST", format!("{LOCATION}/cachedContents").as_str())
    );
    let body = r[2].json();
    assert_eq!(
        body["model"],
        "projects/p1/locations/us-central1/publishers/google/models/gemini-2.5-flash"
    );
    assert_eq!(body["ttl"], "600s");
    assert_eq!(
        (r[3].method.as_str(), r[3].path.as_str()),
        (
            "PATCH",
            format!("{LOCATION}/cachedContents/c9?updateMask=expireTime").as_str()
        )
    );
    assert_eq!(r[3].json(), json!({"expireTime": "2026-12-08T00:00:00Z"}));
    std::fs::remove_dir_all(dir).ok();
}
