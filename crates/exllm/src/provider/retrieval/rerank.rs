//! The `/rerank` API that Jina defined and Voyage, Together and other OpenAI-compatible hosts
//! serve: `{model, query, documents, top_n}` in, scored indexes out. Voyage differs in two
//! names — it asks for `top_k` and answers in `data[]` rather than `results[]` — so the
//! decoder reads either list.

use super::super::common::{self, merge_options, put};
use super::super::{Encoded, Endpoint};
use super::input_usage;
use crate::error::{Error, ErrorKind, Result};
use crate::types::{JsonMap, RerankRequest, RerankResponse, RerankResult};
use serde_json::Value;

/// The name of the result limit at `ep`'s provider.
fn limit_key(ep: &Endpoint) -> &'static str {
    if ep.provider == "voyage" {
        "top_k"
    } else {
        "top_n"
    }
}

pub(crate) fn encode(req: &RerankRequest, model: &str, ep: &Endpoint) -> Result<Encoded> {
    let mut body = JsonMap::new();
    body.insert("model".into(), model.into());
    body.insert("query".into(), req.query.clone().into());
    body.insert("documents".into(), req.documents.clone().into());
    put(&mut body, limit_key(ep), req.top_n);
    merge_options(&mut body, &req.provider_options);
    let request = common::post_json(ep, "/rerank", &Value::Object(body), false)?;
    Ok(Encoded {
        request,
        warnings: Vec::new(),
    })
}

/// Decodes `results[]` (Jina, Together, Cohere) or `data[]` (Voyage) of
/// `{index, relevance_score}`, best first (a stable sort: servers already sort, and equal
/// scores keep their order).
pub(crate) fn decode(body: &[u8]) -> Result<RerankResponse> {
    let v: Value = common::parse(body, "rerank response")?;
    let list = v
        .get("results")
        .or_else(|| v.get("data"))
        .and_then(Value::as_array)
        .ok_or_else(|| {
            Error::new(
                ErrorKind::Decode,
                "a rerank response has neither `results` nor `data`",
            )
        })?;
    let mut results = list
        .iter()
        .map(|r| {
            Some(RerankResult {
                index: usize::try_from(r.get("index")?.as_u64()?).ok()?,
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
    let usage = v.get("usage").cloned();
    let tokens = usage.as_ref().and_then(|u| {
        u.get("prompt_tokens")
            .or_else(|| u.get("total_tokens"))
            .and_then(Value::as_u64)
    });
    Ok(RerankResponse {
        id: v.get("id").and_then(Value::as_str).map(str::to_owned),
        results,
        usage: input_usage(tokens, usage),
    })
}
