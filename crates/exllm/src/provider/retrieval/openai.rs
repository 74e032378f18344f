//! OpenAI `/embeddings`, also served by most OpenAI-compatible providers and by Voyage and
//! Jina. No `encoding_format` is sent: floats are every server's default (Voyage refuses the
//! value `float`), and base64 answers, when a caller asks for them, decode too. Voyage and
//! Jina take what the vectors are for, and Voyage the dimensions, under names of their own.

use super::super::common::{self, merge_options, put};
use super::super::{Encoded, Endpoint};
use super::{input_usage, vector};
use crate::error::{Error, ErrorKind, Result};
use crate::types::{EmbedInputType, EmbedRequest, EmbedResponse, JsonMap, Warning};
use serde_json::Value;

/// The field and value that say what the vectors are for, at hosts that take it.
fn purpose(provider: &str, t: EmbedInputType) -> Option<(&'static str, &'static str)> {
    use EmbedInputType::*;
    Some(match (provider, t) {
        ("voyage", SearchQuery) => ("input_type", "query"),
        ("voyage", SearchDocument) => ("input_type", "document"),
        ("jina", SearchQuery) => ("task", "retrieval.query"),
        ("jina", SearchDocument) => ("task", "retrieval.passage"),
        ("jina", Classification) => ("task", "classification"),
        ("jina", Clustering) => ("task", "separation"),
        _ => return None,
    })
}

pub(crate) fn encode(req: &EmbedRequest, model: &str, ep: &Endpoint) -> Result<Encoded> {
    let mut body = JsonMap::new();
    body.insert("model".into(), model.into());
    body.insert("input".into(), req.inputs.clone().into());
    let dimensions = if ep.provider == "voyage" {
        "output_dimension"
    } else {
        "dimensions"
    };
    put(&mut body, dimensions, req.dimensions);
    let mut warnings = Vec::new();
    if let Some(t) = req.input_type {
        match purpose(&ep.provider, t) {
            Some((field, value)) => {
                body.insert(field.into(), value.into());
            }
            None => warnings.push(Warning::unsupported("input_type", &ep.provider)),
        }
    }
    merge_options(&mut body, &req.provider_options);
    let path = if ep.quirks.deployment_path {
        body.remove("model");
        format!("/deployments/{model}/embeddings")
    } else {
        "/embeddings".to_owned()
    };
    let request = common::post_json(ep, &path, &Value::Object(body), false)?;
    Ok(Encoded { request, warnings })
}

pub(crate) fn decode(body: &[u8]) -> Result<EmbedResponse> {
    let v: Value = common::parse(body, "embeddings response")?;
    let mut items: Vec<(usize, Vec<f32>)> = Vec::new();
    for (i, d) in v
        .get("data")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let index = d
            .get("index")
            .and_then(Value::as_u64)
            .map(|x| x as usize)
            .unwrap_or(i);
        let vec = d.get("embedding").and_then(vector).ok_or_else(|| {
            Error::new(
                ErrorKind::Decode,
                "an embedding is neither a list of numbers nor base64 f32s",
            )
        })?;
        items.push((index, vec));
    }
    items.sort_by_key(|(i, _)| *i);
    let usage = v.get("usage").cloned();
    Ok(EmbedResponse {
        model: v.get("model").and_then(Value::as_str).map(str::to_owned),
        embeddings: items.into_iter().map(|(_, e)| e).collect(),
        usage: input_usage(
            // Voyage reports only `total_tokens` (all of them input).
            usage
                .as_ref()
                .and_then(|u| u.get("prompt_tokens").or_else(|| u.get("total_tokens")))
                .and_then(Value::as_u64),
            usage,
        ),
        warnings: Vec::new(),
    })
}
