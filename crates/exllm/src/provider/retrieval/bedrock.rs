//! Bedrock `InvokeModel` embeddings: Amazon Titan (one text per request) and Cohere Embed
//! (a batch of texts), told apart by the model id.

use super::super::common::{self, merge_options, put};
use super::super::{Encoded, Endpoint};
use super::{input_usage, vector};
use crate::error::{Error, ErrorKind, Result};
use crate::types::{EmbedRequest, EmbedResponse, JsonMap, Warning};
use serde_json::Value;

fn is_cohere(model: &str) -> bool {
    model.contains("cohere.")
}

/// Titan embeds one text per request; Cohere up to 96.
pub(crate) fn batch_limit(model: &str) -> usize {
    if is_cohere(model) {
        super::cohere::BATCH_LIMIT
    } else {
        1
    }
}

pub(crate) fn encode(
    req: &EmbedRequest,
    model: &str,
    ep: &Endpoint,
    path_id: &str,
) -> Result<Encoded> {
    let mut body = JsonMap::new();
    let mut warnings = Vec::new();
    if is_cohere(model) {
        body.insert("texts".into(), req.inputs.clone().into());
        body.insert(
            "input_type".into(),
            super::cohere::input_type(req.input_type).into(),
        );
        put(&mut body, "output_dimension", req.dimensions);
    } else {
        let [text] = req.inputs.as_slice() else {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                "Titan embeds one text per request",
            ));
        };
        body.insert("inputText".into(), text.clone().into());
        put(&mut body, "dimensions", req.dimensions);
        if req.input_type.is_some() {
            warnings.push(Warning::unsupported("input_type", &ep.provider));
        }
    }
    merge_options(&mut body, &req.provider_options);
    let request = common::post_json(
        ep,
        &format!("/model/{path_id}/invoke"),
        &Value::Object(body),
        false,
    )?;
    Ok(Encoded { request, warnings })
}

/// Decodes Titan's `{"embedding": [...], "inputTextTokenCount": n}` or Cohere's shapes.
pub(crate) fn decode(body: &[u8]) -> Result<EmbedResponse> {
    let v: Value = common::parse(body, "Bedrock embeddings response")?;
    match v.get("embedding") {
        Some(e) => Ok(EmbedResponse {
            embeddings: vec![vector(e).ok_or_else(|| {
                Error::new(
                    ErrorKind::Decode,
                    "a Titan embedding is not a list of numbers",
                )
            })?],
            usage: input_usage(v.get("inputTextTokenCount").and_then(Value::as_u64), None),
            ..Default::default()
        }),
        None => super::cohere::decode_embed(body),
    }
}
