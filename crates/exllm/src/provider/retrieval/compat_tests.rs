//! What the OpenAI-compatible hosts add, on wire bytes: the generic `/rerank` codec, base64
//! embeddings, and the Voyage and Jina embedding parameters.

use super::*;
use crate::error::ErrorKind;
use crate::provider::test_support::{bearer, split};
use crate::types::{EmbedInputType, EmbedRequest, RerankRequest, RerankResult};
use serde_json::json;

fn request(top_n: Option<u32>) -> RerankRequest {
    RerankRequest {
        model: "p/m".into(),
        query: "talk about rain".into(),
        documents: vec!["sunny day".into(), "rainy day".into()],
        top_n,
        ..Default::default()
    }
}

#[test]
fn rerank_encode_names_the_limit_as_each_host_does() {
    let jina = bearer("jina", "https://api.jina.ai/v1", "k");
    let (r, body, warnings) =
        split(rerank::encode(&request(Some(1)), "jina-reranker-v2", &jina).unwrap());
    assert_eq!(r.uri(), "https://api.jina.ai/v1/rerank");
    assert_eq!(r.headers()["authorization"], "Bearer k");
    assert_eq!(r.headers()["content-type"], "application/json");
    assert_eq!(
        body,
        json!({"model": "jina-reranker-v2", "query": "talk about rain",
               "documents": ["sunny day", "rainy day"], "top_n": 1})
    );
    assert!(warnings.is_empty());

    let voyage = bearer("voyage", "https://api.voyageai.com/v1", "k");
    let (_, body, _) = split(rerank::encode(&request(Some(1)), "rerank-2.5", &voyage).unwrap());
    assert_eq!(body["top_k"], 1);
    assert!(body.get("top_n").is_none());
    let (_, body, _) = split(rerank::encode(&request(None), "rerank-2.5", &voyage).unwrap());
    assert!(body.get("top_k").is_none());
}

#[test]
fn rerank_decode_reads_results_or_voyage_data() {
    let together = br#"{"id":"r-1","object":"rerank","results":[
        {"index":0,"relevance_score":0.64,"document":{}},
        {"index":5,"relevance_score":0.63,"document":{}}],
        "usage":{"prompt_tokens":2966,"completion_tokens":0,"total_tokens":2966}}"#;
    let r = rerank::decode(together).unwrap();
    assert_eq!(r.id.as_deref(), Some("r-1"));
    assert_eq!(
        r.results,
        [
            RerankResult {
                index: 0,
                relevance_score: 0.64
            },
            RerankResult {
                index: 5,
                relevance_score: 0.63
            }
        ]
    );
    assert_eq!(r.usage.unwrap().input_tokens, Some(2966));

    let voyage = br#"{"object":"list","data":[{"relevance_score":0.25,"index":0},
        {"relevance_score":0.5703125,"index":1}],"model":"rerank-2.5","usage":{"total_tokens":12}}"#;
    let r = rerank::decode(voyage).unwrap();
    let order: Vec<usize> = r.results.iter().map(|x| x.index).collect();
    assert_eq!(order, [1, 0], "best first");
    assert_eq!(r.results[0].relevance_score, 0.5703125);
    assert_eq!(r.usage.unwrap().input_tokens, Some(12));
}

#[test]
fn rerank_decode_rejects_malformed_answers() {
    for bad in [
        json!({}),
        json!({"results": {"index": 0}}),
        json!({"results": [{"index": 0}]}),
        json!({"data": [{"index": -1, "relevance_score": 0.5}]}),
        json!({"results": [{"index": "0", "relevance_score": 0.5}]}),
    ] {
        let e = rerank::decode(bad.to_string().as_bytes()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Decode, "{bad}");
    }
    assert_eq!(rerank::decode(b"").unwrap_err().kind(), ErrorKind::Decode);
}

/// Little-endian f32s as the base64 string servers send.
fn b64(values: &[f32]) -> String {
    let bytes: Vec<u8> = values.iter().flat_map(|f| f.to_le_bytes()).collect();
    crate::media::base64::encode(&bytes)
}

#[test]
fn embeddings_decode_base64_little_endian_floats() {
    assert_eq!(b64(&[0.5]), "AAAAPw==", "the wire form of 0.5");
    let body = json!({
        "object": "list",
        "data": [
            {"object": "embedding", "index": 1, "embedding": b64(&[-2.0, 0.125])},
            {"object": "embedding", "index": 0, "embedding": b64(&[1.5, f32::MIN_POSITIVE])},
        ],
        "model": "voyage-3.5",
        "usage": {"total_tokens": 3}
    });
    let r = openai::decode(body.to_string().as_bytes()).unwrap();
    assert_eq!(
        r.embeddings,
        vec![vec![1.5, f32::MIN_POSITIVE], vec![-2.0, 0.125]]
    );
    assert_eq!(
        r.usage.unwrap().input_tokens,
        Some(3),
        "Voyage's total_tokens"
    );

    // Every decoder reads vectors the same way.
    let ollama = json!({"model": "m", "embeddings": [b64(&[0.25, 0.75])], "prompt_eval_count": 4});
    let r = ollama::decode(ollama.to_string().as_bytes()).unwrap();
    assert_eq!(r.embeddings, vec![vec![0.25, 0.75]]);
    assert_eq!(vector(&json!("AAAAPw==")), Some(vec![0.5]));
    assert_eq!(
        vector(&json!("AAAAPwA=")),
        None,
        "five bytes are not whole floats"
    );
    assert_eq!(vector(&json!(7)), None);
}

#[test]
fn voyage_and_jina_embeddings_take_the_purpose_under_their_names() {
    let mut req = EmbedRequest::new("p/m", ["a"]);
    req.input_type = Some(EmbedInputType::SearchQuery);
    req.dimensions = Some(256);
    let voyage = bearer("voyage", "https://api.voyageai.com/v1", "k");
    let (r, body, warnings) = split(openai::encode(&req, "voyage-3.5", &voyage).unwrap());
    assert_eq!(r.uri(), "https://api.voyageai.com/v1/embeddings");
    assert_eq!(
        body,
        json!({"model": "voyage-3.5", "input": ["a"], "input_type": "query", "output_dimension": 256})
    );
    assert!(warnings.is_empty());

    let jina = bearer("jina", "https://api.jina.ai/v1", "k");
    req.input_type = Some(EmbedInputType::SearchDocument);
    let (_, body, _) = split(openai::encode(&req, "jina-embeddings-v3", &jina).unwrap());
    assert_eq!(body["task"], "retrieval.passage");
    assert_eq!(body["dimensions"], 256);

    // Voyage has no classification purpose: a warning, nothing sent.
    req.input_type = Some(EmbedInputType::Classification);
    let (_, body, warnings) = split(openai::encode(&req, "voyage-3.5", &voyage).unwrap());
    assert!(body.get("input_type").is_none());
    assert_eq!(warnings[0].setting.as_deref(), Some("input_type"));
}
