//! The `/rerank` API of Voyage, Jina and Together, and Voyage's base64 embeddings, end to end
//! against a local server; and the embeddings services refusing chat before sending anything.

use crate::support::{assert_no_key, client_for, Reply, TestServer, KEY};
use exllm::{ChatRequest, EmbedRequest, ErrorKind, Message, RerankRequest};
use serde_json::json;

fn request(model: &str) -> RerankRequest {
    RerankRequest {
        model: model.into(),
        query: "talk about rain".into(),
        documents: vec!["sunny day".into(), "rainy day".into(), "snowy night".into()],
        top_n: Some(2),
        ..Default::default()
    }
}

#[tokio::test]
async fn voyage_reranks_from_data_after_a_retried_429() {
    let body = json!({"object": "list", "data": [
        {"relevance_score": 0.5703125, "index": 1}, {"relevance_score": 0.255859375, "index": 0}],
        "model": "rerank-2.5", "usage": {"total_tokens": 12}});
    let server = TestServer::start(vec![
        Reply::json(429, r#"{"detail":"You have exceeded the rate limit."}"#)
            .header("retry-after", "0"),
        Reply::json(200, body.to_string()),
    ])
    .await;
    let resp = client_for("voyage", &server, 2)
        .rerank(request("voyage/rerank-2.5"))
        .await
        .unwrap();
    assert_eq!(server.request_count(), 2);
    let r = server.requests().pop().unwrap();
    assert_eq!(r.path, "/v1/rerank");
    let bearer = format!("Bearer {KEY}");
    assert_eq!(r.header("authorization"), Some(bearer.as_str()));
    assert_eq!(
        r.json(),
        json!({"model": "rerank-2.5", "query": "talk about rain",
               "documents": ["sunny day", "rainy day", "snowy night"], "top_k": 2})
    );
    let order: Vec<usize> = resp.results.iter().map(|x| x.index).collect();
    assert_eq!(order, [1, 0]);
    assert_eq!(resp.usage.unwrap().input_tokens, Some(12));
}

#[tokio::test]
async fn jina_and_together_rerank_from_results_and_errors_are_typed() {
    let body = json!({"model": "jina-reranker-v2", "results": [
        {"index": 1, "relevance_score": 0.9, "document": {"text": "rainy day"}}],
        "usage": {"total_tokens": 20}});
    let server = TestServer::start(vec![
        Reply::json(200, body.to_string()),
        Reply::json(422, r#"{"detail":"top_n must be positive"}"#),
    ])
    .await;
    let client = client_for("jina", &server, 0);
    let resp = client
        .rerank(request("jina/jina-reranker-v2"))
        .await
        .unwrap();
    assert_eq!(resp.results[0].index, 1);
    assert_eq!(server.requests()[0].json()["top_n"], 2);
    let err = client
        .rerank(request("jina/jina-reranker-v2"))
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(422));
    assert!(err.message().contains("top_n must be positive"), "{err}");
    assert_no_key(&err);

    let server = TestServer::start(vec![Reply::json(
        200,
        r#"{"id":"x","object":"rerank","results":[{"index":2,"relevance_score":0.5,"document":{}}]}"#,
    )])
    .await;
    let resp = client_for("together", &server, 0)
        .rerank(request("together/Salesforce/Llama-Rank-v1"))
        .await
        .unwrap();
    assert_eq!(resp.results[0].index, 2);
    assert_eq!(
        server.only_request().json()["model"],
        "Salesforce/Llama-Rank-v1"
    );
}

#[tokio::test]
async fn voyage_embeddings_decode_base64_and_chat_is_refused() {
    // 0.5 and -2.0 as little-endian f32s.
    let body = json!({"object": "list", "data": [{"object": "embedding", "embedding": "AAAAPwAAAMA=", "index": 0}],
                      "model": "voyage-3.5", "usage": {"total_tokens": 3}});
    let server = TestServer::start(vec![Reply::json(200, body.to_string())]).await;
    let client = client_for("voyage", &server, 0);
    let resp = client
        .embed(EmbedRequest::new("voyage/voyage-3.5", ["Hello, world!"]))
        .await
        .unwrap();
    assert_eq!(resp.embeddings, vec![vec![0.5, -2.0]]);
    assert_eq!(resp.usage.unwrap().input_tokens, Some(3));
    let r = server.only_request();
    assert_eq!(r.path, "/v1/embeddings");
    assert!(
        r.json().get("encoding_format").is_none(),
        "Voyage refuses `float`"
    );

    let chat = ChatRequest::new("voyage/voyage-3.5", vec![Message::user("hi")]);
    let err = client.chat(chat.clone()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unsupported);
    assert!(err.message().contains("chat"), "{err}");
    assert!(client.chat_stream(chat).await.is_err());
    assert_eq!(server.request_count(), 1, "no chat request was sent");
}
