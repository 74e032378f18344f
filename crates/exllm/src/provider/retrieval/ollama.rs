//! Ollama `/api/embed` (batch input).

use super::super::common::{self, merge_options, put};
use super::super::{Encoded, Endpoint};
use super::{input_usage, vector};
use crate::error::{Error, ErrorKind, Result};
use crate::types::{EmbedRequest, EmbedResponse, JsonMap, Warning};
use serde_json::Value;

pub(crate) fn encode(req: &EmbedRequest, model: &str, ep: &Endpoint) -> Result<Encoded> {
    let mut body = JsonMap::new();
    body.insert("model".into(), model.into());
    body.insert("input".into(), req.inputs.clone().into());
    put(&mut body, "dimensions", req.dimensions);
    let mut warnings = Vec::new();
    if req.input_type.is_some() {
        warnings.push(Warning::unsupported("input_type", &ep.provider));
    }
    merge_options(&mut body, &req.provider_options);
    let request = common::post_json(ep, "/api/embed", &Value::Object(body), false)?;
    Ok(Encoded { request, warnings })
}

pub(crate) fn decode(body: &[u8]) -> Result<EmbedResponse> {
    let v: Value = common::parse(body, "Ollama embed response")?;
    let embeddings = v
        .get("embeddings")
        .and_then(Value::as_array)
        .map(|a| a.iter().map(vector).collect::<Option<Vec<_>>>())
        .unwrap_or(None)
        .ok_or_else(|| {
            Error::new(
                ErrorKind::Decode,
                "Ollama embeddings are not lists of numbers",
            )
        })?;
    Ok(EmbedResponse {
        model: v.get("model").and_then(Value::as_str).map(str::to_owned),
        embeddings,
        usage: input_usage(v.get("prompt_eval_count").and_then(Value::as_u64), None),
        ..Default::default()
    })
}
