//! Gemini `batchEmbedContents`.

use super::super::common::{self, merge_options};
use super::super::{Encoded, Endpoint};
use super::vector;
use crate::error::{Error, ErrorKind, Result};
use crate::types::{EmbedInputType, EmbedRequest, EmbedResponse, JsonMap};
use serde_json::{json, Value};

/// Gemini takes at most this many texts per batch request.
pub(crate) const BATCH_LIMIT: usize = 100;

pub(crate) fn encode(req: &EmbedRequest, model: &str, ep: &Endpoint) -> Result<Encoded> {
    let model = model.strip_prefix("models/").unwrap_or(model);
    let task = req.input_type.map(|t| match t {
        EmbedInputType::SearchQuery => "RETRIEVAL_QUERY",
        EmbedInputType::SearchDocument => "RETRIEVAL_DOCUMENT",
        EmbedInputType::Classification => "CLASSIFICATION",
        EmbedInputType::Clustering => "CLUSTERING",
    });
    let requests: Vec<Value> = req
        .inputs
        .iter()
        .map(|text| {
            let mut r =
                json!({"model": format!("models/{model}"), "content": {"parts": [{"text": text}]}});
            if let Some(t) = task {
                r["taskType"] = t.into();
            }
            if let Some(d) = req.dimensions {
                r["outputDimensionality"] = d.into();
            }
            r
        })
        .collect();
    let mut body = JsonMap::new();
    body.insert("requests".into(), Value::Array(requests));
    merge_options(&mut body, &req.provider_options);
    let request = common::post_json(
        ep,
        &format!("/models/{model}:batchEmbedContents"),
        &Value::Object(body),
        false,
    )?;
    Ok(Encoded {
        request,
        warnings: Vec::new(),
    })
}

pub(crate) fn decode(body: &[u8]) -> Result<EmbedResponse> {
    let v: Value = common::parse(body, "Gemini embeddings response")?;
    let embeddings = v
        .get("embeddings")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|e| e.get("values").and_then(vector))
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| Error::new(ErrorKind::Decode, "a Gemini embedding has no `values` list"))?;
    Ok(EmbedResponse {
        embeddings,
        ..Default::default()
    })
}
