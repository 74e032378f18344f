//! Cohere v2 `/embed` and `/rerank`.

use super::super::common::{self, merge_options, put};
use super::super::{Encoded, Endpoint};
use super::{input_usage, vector};
use crate::error::{Error, ErrorKind, Result};
use crate::types::{
    EmbedInputType, EmbedRequest, EmbedResponse, JsonMap, RerankRequest, RerankResponse,
    RerankResult,
};
use serde_json::{json, Value};

/// Cohere takes at most this many texts per embed request.
pub(crate) const BATCH_LIMIT: usize = 96;

pub(crate) fn input_type(t: Option<EmbedInputType>) -> &'static str {
    match t {
        Some(EmbedInputType::SearchQuery) => "search_query",
        Some(EmbedInputType::Classification) => "classification",
        Some(EmbedInputType::Clustering) => "clustering",
        Some(EmbedInputType::SearchDocument) | None => "search_document",
    }
}

pub(crate) fn encode_embed(req: &EmbedRequest, model: &str, ep: &Endpoint) -> Result<Encoded> {
    let mut body = JsonMap::new();
    body.insert("model".into(), model.into());
    body.insert("texts".into(), req.inputs.clone().into());
    body.insert("input_type".into(), input_type(req.input_type).into());
    body.insert("embedding_types".into(), json!(["float"]));
    put(&mut body, "output_dimension", req.dimensions);
    merge_options(&mut body, &req.provider_options);
    let request = common::post_json(ep, "/embed", &Value::Object(body), false)?;
    Ok(Encoded {
        request,
        warnings: Vec::new(),
    })
}

/// Decodes `{"embeddings": {"float": [[...]]}}` (v2) or `{"embeddings": [[...]]}` (v1, Bedrock).
pub(crate) fn decode_embed(body: &[u8]) -> Result<EmbedResponse> {
    let v: Value = common::parse(body, "Cohere embeddings response")?;
    let list = match v.get("embeddings") {
        Some(Value::Object(o)) => o.get("float"),
        other => other,
    };
    let embeddings = list
        .and_then(Value::as_array)
        .map(|a| a.iter().map(vector).collect::<Option<Vec<_>>>())
        .unwrap_or(None)
        .ok_or_else(|| {
            Error::new(
                ErrorKind::Decode,
                "Cohere embeddings are not lists of numbers",
            )
        })?;
    let billed = v.get("meta").and_then(|m| m.get("billed_units")).cloned();
    Ok(EmbedResponse {
        embeddings,
        usage: input_usage(
            billed
                .as_ref()
                .and_then(|b| b.get("input_tokens"))
                .and_then(Value::as_f64)
                .map(|f| f as u64),
            billed,
        ),
        ..Default::default()
    })
}

pub(crate) fn encode_rerank(req: &RerankRequest, model: &str, ep: &Endpoint) -> Result<Encoded> {
    let mut body = JsonMap::new();
    body.insert("model".into(), model.into());
    body.insert("query".into(), req.query.clone().into());
    body.insert("documents".into(), req.documents.clone().into());
    put(&mut body, "top_n", req.top_n);
    merge_options(&mut body, &req.provider_options);
    let request = common::post_json(ep, "/rerank", &Value::Object(body), false)?;
    Ok(Encoded {
        request,
        warnings: Vec::new(),
    })
}

pub(crate) fn decode_rerank(body: &[u8]) -> Result<RerankResponse> {
    let v: Value = common::parse(body, "Cohere rerank response")?;
    let mut results = v
        .get("results")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|r| {
            Some(RerankResult {
                index: r.get("index")?.as_u64()? as usize,
                relevance_score: r.get("relevance_score")?.as_f64()?,
            })
        })
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| {
            Error::new(
                ErrorKind::Decode,
                "a rerank result lacks index or relevance_score",
            )
        })?;
    results.sort_by(|a, b| b.relevance_score.total_cmp(&a.relevance_score));
    let billed = v.get("meta").and_then(|m| m.get("billed_units")).cloned();
    Ok(RerankResponse {
        id: v.get("id").and_then(Value::as_str).map(str::to_owned),
        results,
        usage: input_usage(
            billed
                .as_ref()
                .and_then(|b| b.get("search_units"))
                .and_then(Value::as_f64)
                .map(|f| f as u64),
            billed,
        ),
    })
}
