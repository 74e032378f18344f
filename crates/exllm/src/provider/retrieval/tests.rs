use super::*;
use crate::error::ErrorKind;
use crate::provider::test_support::{bearer, split};
use crate::provider::{
    BedrockCodec, Codec, CohereCodec, Encoded, Endpoint, GeminiCodec, OllamaCodec,
};
use crate::types::{EmbedInputType, EmbedRequest, RerankRequest, RerankResult};
use serde_json::json;

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

fn ep(provider: &str, base: &str) -> Endpoint {
    bearer(provider, base, "test-key")
}

fn embed(inputs: &[&str]) -> EmbedRequest {
    EmbedRequest::new("p/m", inputs.iter().copied())
}

/// URL, JSON body and warning settings of an encoded request.
fn parts(enc: Encoded) -> (String, Value, Vec<String>) {
    let (request, body, warnings) = split(enc);
    assert_eq!(request.method(), http::Method::POST);
    assert_eq!(request.headers()["content-type"], "application/json");
    let warnings = warnings.into_iter().filter_map(|w| w.setting).collect();
    (request.uri().to_string(), body, warnings)
}

fn decode_err(result: crate::Result<impl std::fmt::Debug>) -> ErrorKind {
    result.expect_err("the body is rejected").kind()
}

// ---------------------------------------------------------------------------------------------
// OpenAI
// ---------------------------------------------------------------------------------------------

#[test]
fn openai_encode_body_path_and_warnings() {
    let endpoint = ep("openai", "https://api.openai.com/v1");
    let mut req = embed(&["cat", "kitten"]);
    req.dimensions = Some(256);
    req.input_type = Some(EmbedInputType::SearchQuery);
    req.provider_options.insert("user".into(), json!("u-1"));
    let (url, body, warnings) =
        parts(openai::encode(&req, "text-embedding-3-small", &endpoint).unwrap());
    assert_eq!(url, "https://api.openai.com/v1/embeddings");
    assert_eq!(
        body,
        json!({"model": "text-embedding-3-small", "input": ["cat", "kitten"],
               "dimensions": 256, "user": "u-1"})
    );
    assert_eq!(warnings, ["input_type"]);

    let mut azure = ep("azure", "https://res.openai.azure.com/openai");
    azure.quirks.deployment_path = true;
    azure
        .query
        .push(("api-version".into(), "2024-10-21".into()));
    let (url, body, warnings) =
        parts(openai::encode(&embed(&["a"]), "emb-deploy", &azure).unwrap());
    // The query is appended (its exact percent-encoding is the endpoint's business).
    let (path, query) = url.split_once('?').unwrap();
    assert_eq!(
        path,
        "https://res.openai.azure.com/openai/deployments/emb-deploy/embeddings"
    );
    assert!(query.contains("2024"), "{query}");
    assert!(body.get("model").is_none(), "the deployment is in the path");
    assert!(warnings.is_empty());
}

#[test]
fn openai_decode_orders_by_index_and_reads_usage() {
    let body = json!({
        "object": "list",
        "data": [
            {"object": "embedding", "index": 2, "embedding": [0.5, 0.25]},
            {"object": "embedding", "index": 0, "embedding": [0.125, -1]},
            {"object": "embedding", "index": 1, "embedding": [3, 4.5]},
        ],
        "model": "text-embedding-3-small",
        "usage": {"prompt_tokens": 8, "total_tokens": 8}
    });
    let r = openai::decode(body.to_string().as_bytes()).unwrap();
    assert_eq!(
        r.embeddings,
        vec![vec![0.125, -1.0], vec![3.0, 4.5], vec![0.5, 0.25]]
    );
    assert_eq!(r.model.as_deref(), Some("text-embedding-3-small"));
    let u = r.usage.unwrap();
    assert_eq!((u.input_tokens, u.output_tokens), (Some(8), Some(0)));
    assert_eq!(
        u.raw,
        Some(json!({"prompt_tokens": 8, "total_tokens": 8}).into())
    );

    // Without indexes, the list order counts; without usage, usage is unknown.
    let body = json!({"data": [{"embedding": [1]}, {"embedding": [2]}]});
    let r = openai::decode(body.to_string().as_bytes()).unwrap();
    assert_eq!(r.embeddings, vec![vec![1.0], vec![2.0]]);
    assert!(r.usage.is_none());
}

#[test]
fn openai_decode_rejects_malformed_vectors() {
    for bad in [
        json!({"data": [{"index": 0, "embedding": [1, "x"]}]}),
        json!({"data": [{"index": 0, "embedding": "AAAAPw*="}]}),
        json!({"data": [{"index": 0, "embedding": "AAAA"}]}),
        json!({"data": [{"index": 0}]}),
    ] {
        let kind = decode_err(openai::decode(bad.to_string().as_bytes()));
        assert_eq!(kind, ErrorKind::Decode, "{bad}");
    }
    assert_eq!(decode_err(openai::decode(b"<html>")), ErrorKind::Decode);
}

// ---------------------------------------------------------------------------------------------
// Cohere
// ---------------------------------------------------------------------------------------------

#[test]
fn cohere_embed_encode_and_input_types() {
    let endpoint = ep("cohere", "https://api.cohere.com/v2");
    let mut req = embed(&["a", "b"]);
    req.dimensions = Some(512);
    req.provider_options.insert("truncate".into(), json!("END"));
    let enc = CohereCodec
        .encode_embed(&req, "embed-v4.0", &endpoint)
        .unwrap();
    let (url, body, warnings) = parts(enc);
    assert_eq!(url, "https://api.cohere.com/v2/embed");
    assert_eq!(
        body,
        json!({"model": "embed-v4.0", "texts": ["a", "b"], "input_type": "search_document",
               "embedding_types": ["float"], "output_dimension": 512, "truncate": "END"})
    );
    assert!(warnings.is_empty());
    for (t, wire) in [
        (EmbedInputType::SearchQuery, "search_query"),
        (EmbedInputType::SearchDocument, "search_document"),
        (EmbedInputType::Classification, "classification"),
        (EmbedInputType::Clustering, "clustering"),
    ] {
        req.input_type = Some(t);
        let (_, body, _) = parts(cohere::encode_embed(&req, "embed-v4.0", &endpoint).unwrap());
        assert_eq!(body["input_type"], wire);
    }
    assert_eq!(CohereCodec.embed_batch_limit("embed-v4.0"), 96);
}

#[test]
fn cohere_embed_decode_v2_and_v1_shapes() {
    let v2 = json!({
        "id": "emb-1",
        "embeddings": {"float": [[0.5, -0.5], [1, 2]]},
        "texts": ["a", "b"],
        "meta": {"api_version": {"version": "2"}, "billed_units": {"input_tokens": 4}}
    });
    let r = cohere::decode_embed(v2.to_string().as_bytes()).unwrap();
    assert_eq!(r.embeddings, vec![vec![0.5, -0.5], vec![1.0, 2.0]]);
    let u = r.usage.unwrap();
    assert_eq!((u.input_tokens, u.output_tokens), (Some(4), Some(0)));
    assert_eq!(u.raw, Some(json!({"input_tokens": 4}).into()));

    let v1 = json!({"id": "emb-2", "embeddings": [[0.25]], "response_type": "embeddings_floats"});
    let r = CohereCodec.decode_embed(v1.to_string().as_bytes()).unwrap();
    assert_eq!(r.embeddings, vec![vec![0.25]]);
    assert!(r.usage.is_none());
}

#[test]
fn cohere_embed_decode_rejects_malformed_or_non_float_vectors() {
    for bad in [
        json!({"embeddings": {"int8": [[1, 2]]}}),
        json!({"embeddings": {"float": [[1, null]]}}),
        json!({"embeddings": [[1], "x"]}),
        json!({"embeddings": "nope"}),
        json!({}),
    ] {
        let kind = decode_err(cohere::decode_embed(bad.to_string().as_bytes()));
        assert_eq!(kind, ErrorKind::Decode, "{bad}");
    }
}

#[test]
fn cohere_rerank_encode() {
    let endpoint = ep("cohere", "https://api.cohere.com/v2");
    let mut req = RerankRequest {
        model: "cohere/rerank-v3.5".into(),
        query: "capital of France".into(),
        documents: vec!["Berlin".into(), "Paris".into(), "Lyon".into()],
        top_n: Some(2),
        ..Default::default()
    };
    req.provider_options
        .insert("max_tokens_per_doc".into(), json!(512));
    let (url, body, warnings) = parts(
        CohereCodec
            .encode_rerank(&req, "rerank-v3.5", &endpoint)
            .unwrap(),
    );
    assert_eq!(url, "https://api.cohere.com/v2/rerank");
    assert_eq!(
        body,
        json!({"model": "rerank-v3.5", "query": "capital of France",
               "documents": ["Berlin", "Paris", "Lyon"], "top_n": 2, "max_tokens_per_doc": 512})
    );
    assert!(warnings.is_empty());
    req.top_n = None;
    let (_, body, _) = parts(cohere::encode_rerank(&req, "rerank-v3.5", &endpoint).unwrap());
    assert!(body.get("top_n").is_none());
}

#[test]
fn cohere_rerank_decode_orders_by_score() {
    let body = json!({
        "id": "rr-1",
        "results": [
            {"index": 2, "relevance_score": 0.12},
            {"index": 1, "relevance_score": 0.98},
            {"index": 0, "relevance_score": 0.5},
        ],
        "meta": {"billed_units": {"search_units": 1}}
    });
    let r = CohereCodec
        .decode_rerank(body.to_string().as_bytes())
        .unwrap();
    assert_eq!(r.id.as_deref(), Some("rr-1"));
    let result = |index, relevance_score| RerankResult {
        index,
        relevance_score,
    };
    assert_eq!(
        r.results,
        vec![result(1, 0.98), result(0, 0.5), result(2, 0.12)]
    );
    assert_eq!(
        r.usage.unwrap().raw,
        Some(json!({"search_units": 1}).into())
    );

    let empty = cohere::decode_rerank(br#"{"results": []}"#).unwrap();
    assert!(empty.results.is_empty() && empty.usage.is_none() && empty.id.is_none());
    for bad in [
        json!({"results": [{"index": 0}]}),
        json!({"results": [{"relevance_score": 0.3}]}),
        json!({"results": [{"index": -1, "relevance_score": 0.3}]}),
    ] {
        let kind = decode_err(cohere::decode_rerank(bad.to_string().as_bytes()));
        assert_eq!(kind, ErrorKind::Decode, "{bad}");
    }
}

// ---------------------------------------------------------------------------------------------
// Gemini
// ---------------------------------------------------------------------------------------------

#[test]
fn gemini_encode_one_request_per_text() {
    let endpoint = ep("gemini", "https://generativelanguage.googleapis.com/v1beta");
    let mut req = embed(&["a", "b"]);
    req.input_type = Some(EmbedInputType::SearchQuery);
    req.dimensions = Some(768);
    let enc = GeminiCodec
        .encode_embed(&req, "models/gemini-embedding-001", &endpoint)
        .unwrap();
    let (url, body, warnings) = parts(enc);
    assert_eq!(
        url,
        "https://generativelanguage.googleapis.com/v1beta/models/gemini-embedding-001:batchEmbedContents"
    );
    let one = |text: &str| {
        json!({"model": "models/gemini-embedding-001", "content": {"parts": [{"text": text}]},
               "taskType": "RETRIEVAL_QUERY", "outputDimensionality": 768})
    };
    assert_eq!(body, json!({"requests": [one("a"), one("b")]}));
    assert!(warnings.is_empty());

    for (t, task) in [
        (EmbedInputType::SearchDocument, "RETRIEVAL_DOCUMENT"),
        (EmbedInputType::Classification, "CLASSIFICATION"),
        (EmbedInputType::Clustering, "CLUSTERING"),
    ] {
        req.input_type = Some(t);
        let (_, body, _) = parts(gemini::encode(&req, "gemini-embedding-001", &endpoint).unwrap());
        assert_eq!(body["requests"][1]["taskType"], task);
    }
    let (_, body, _) = parts(gemini::encode(&embed(&["x"]), "m", &endpoint).unwrap());
    assert_eq!(
        body["requests"][0],
        json!({"model": "models/m", "content": {"parts": [{"text": "x"}]}})
    );
    assert_eq!(GeminiCodec.embed_batch_limit("m"), 100);
}

#[test]
fn gemini_decode_values_in_order() {
    let body = json!({"embeddings": [{"values": [0.5, 1]}, {"values": [-2]}]});
    let r = GeminiCodec
        .decode_embed(body.to_string().as_bytes())
        .unwrap();
    assert_eq!(r.embeddings, vec![vec![0.5, 1.0], vec![-2.0]]);
    assert!(r.usage.is_none());
    for bad in [
        json!({"embeddings": [{"values": [1]}, {}]}),
        json!({"embeddings": [{"values": "AAAA"}]}),
    ] {
        let kind = decode_err(gemini::decode(bad.to_string().as_bytes()));
        assert_eq!(kind, ErrorKind::Decode, "{bad}");
    }
}

// ---------------------------------------------------------------------------------------------
// Ollama
// ---------------------------------------------------------------------------------------------

#[test]
fn ollama_encode_and_decode() {
    let endpoint = Endpoint::new("ollama", "http://localhost:11434");
    let mut req = embed(&["why is the sky blue?", "why is grass green?"]);
    req.dimensions = Some(384);
    req.provider_options
        .insert("keep_alive".into(), json!("5m"));
    let enc = OllamaCodec
        .encode_embed(&req, "all-minilm", &endpoint)
        .unwrap();
    assert!(enc.request.headers().get("authorization").is_none());
    let (url, body, warnings) = parts(enc);
    assert_eq!(url, "http://localhost:11434/api/embed");
    assert_eq!(
        body,
        json!({"model": "all-minilm", "input": ["why is the sky blue?", "why is grass green?"],
               "dimensions": 384, "keep_alive": "5m"})
    );
    assert!(warnings.is_empty());
    req.input_type = Some(EmbedInputType::SearchQuery);
    let (_, body, warnings) = parts(ollama::encode(&req, "all-minilm", &endpoint).unwrap());
    assert!(body.get("input_type").is_none());
    assert_eq!(warnings, ["input_type"]);

    let body = json!({"model": "all-minilm", "embeddings": [[0.01, -0.02], [0.03, 0.04]],
        "total_duration": 14143917, "load_duration": 1019500, "prompt_eval_count": 8});
    let r = OllamaCodec
        .decode_embed(body.to_string().as_bytes())
        .unwrap();
    assert_eq!(r.model.as_deref(), Some("all-minilm"));
    assert_eq!(r.embeddings, vec![vec![0.01, -0.02], vec![0.03, 0.04]]);
    let u = r.usage.unwrap();
    assert_eq!((u.input_tokens, u.output_tokens), (Some(8), Some(0)));
    for bad in [
        json!({"embeddings": [[1], [true]]}),
        json!({"embedding": [1]}),
    ] {
        let kind = decode_err(ollama::decode(bad.to_string().as_bytes()));
        assert_eq!(kind, ErrorKind::Decode, "{bad}");
    }
}

// ---------------------------------------------------------------------------------------------
// Bedrock
// ---------------------------------------------------------------------------------------------

#[test]
fn bedrock_titan_embeds_one_text_per_request() {
    let endpoint = ep("bedrock", "https://bedrock-runtime.us-east-1.amazonaws.com");
    let titan = "amazon.titan-embed-text-v2:0";
    assert_eq!(BedrockCodec.embed_batch_limit(titan), 1);
    let mut req = embed(&["hello"]);
    req.dimensions = Some(256);
    req.provider_options.insert("normalize".into(), json!(true));
    let (url, body, warnings) = parts(BedrockCodec.encode_embed(&req, titan, &endpoint).unwrap());
    assert_eq!(
        url,
        "https://bedrock-runtime.us-east-1.amazonaws.com/model/amazon.titan-embed-text-v2%3A0/invoke"
    );
    assert_eq!(
        body,
        json!({"inputText": "hello", "dimensions": 256, "normalize": true})
    );
    assert!(warnings.is_empty());
    req.input_type = Some(EmbedInputType::SearchDocument);
    let (_, _, warnings) = parts(BedrockCodec.encode_embed(&req, titan, &endpoint).unwrap());
    assert_eq!(warnings, ["input_type"], "Titan has no input type");

    for inputs in [&["a", "b"][..], &[]] {
        let err = BedrockCodec
            .encode_embed(&embed(inputs), titan, &endpoint)
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{inputs:?}");
    }
}

#[test]
fn bedrock_cohere_embeds_a_batch() {
    let endpoint = ep("bedrock", "https://bedrock-runtime.eu-west-1.amazonaws.com");
    let model = "cohere.embed-multilingual-v3";
    assert_eq!(BedrockCodec.embed_batch_limit(model), 96);
    let mut req = embed(&["a", "b"]);
    req.input_type = Some(EmbedInputType::SearchQuery);
    let (url, body, warnings) = parts(BedrockCodec.encode_embed(&req, model, &endpoint).unwrap());
    assert_eq!(
        url,
        "https://bedrock-runtime.eu-west-1.amazonaws.com/model/cohere.embed-multilingual-v3/invoke"
    );
    assert_eq!(
        body,
        json!({"texts": ["a", "b"], "input_type": "search_query"})
    );
    assert!(warnings.is_empty());
    let arn =
        "arn:aws:bedrock:eu-west-1:123456789012:application-inference-profile/cohere.embed-v4";
    let (url, _, _) = parts(BedrockCodec.encode_embed(&req, arn, &endpoint).unwrap());
    assert!(url.ends_with(
        "/model/arn%3Aaws%3Abedrock%3Aeu-west-1%3A123456789012%3Aapplication-inference-profile%2Fcohere.embed-v4/invoke"
    ));
}

#[test]
fn bedrock_decode_titan_and_cohere_shapes() {
    let titan = json!({"embedding": [0.5, -0.25, 1], "inputTextTokenCount": 3});
    let r = BedrockCodec
        .decode_embed(titan.to_string().as_bytes())
        .unwrap();
    assert_eq!(r.embeddings, vec![vec![0.5, -0.25, 1.0]]);
    let u = r.usage.unwrap();
    assert_eq!((u.input_tokens, u.output_tokens), (Some(3), Some(0)));

    let cohere = json!({"id": "x", "embeddings": [[1, 2], [3, 4]], "response_type": "embeddings_floats",
        "texts": ["a", "b"]});
    let r = bedrock::decode(cohere.to_string().as_bytes()).unwrap();
    assert_eq!(r.embeddings, vec![vec![1.0, 2.0], vec![3.0, 4.0]]);
    assert!(r.usage.is_none());

    for bad in [
        json!({"embedding": "AAAA", "inputTextTokenCount": 1}),
        json!({"embedding": [1, {}]}),
        json!({"message": "no vectors"}),
    ] {
        let kind = decode_err(bedrock::decode(bad.to_string().as_bytes()));
        assert_eq!(kind, ErrorKind::Decode, "{bad}");
    }
}

#[test]
fn shared_helpers_read_vectors_and_usage() {
    assert_eq!(vector(&json!([1, 2.5, -3])), Some(vec![1.0, 2.5, -3.0]));
    assert_eq!(vector(&json!([])), Some(vec![]));
    assert_eq!(vector(&json!([1, "2"])), None);
    assert_eq!(vector(&json!({"0": 1})), None);
    assert!(input_usage(None, Some(json!({}))).is_none());
    let u = input_usage(Some(7), None).unwrap();
    assert_eq!(
        (u.input_tokens, u.output_tokens, u.raw),
        (Some(7), Some(0), None)
    );
}
