//! `POST /moderations`: texts (and, for omni models, image URLs) in; per-result `flagged`,
//! `categories` and `category_scores` out.

use super::super::common::{self, merge_options};
use super::super::{Encoded, Endpoint};
use crate::error::{Error, ErrorKind, Result};
use crate::types::{
    JsonMap, ModerationCategory, ModerationRequest, ModerationResponse, ModerationResult,
};
use serde_json::{json, Value};

pub(crate) fn encode(req: &ModerationRequest, model: &str, ep: &Endpoint) -> Result<Encoded> {
    if req.texts.is_empty() && req.image_urls.is_empty() {
        return Err(Error::new(ErrorKind::InvalidInput, "nothing to moderate")
            .with_provider(ep.provider.clone()));
    }
    // A lone text goes as a string and texts as a list of strings (every server copying the
    // API takes those); images need the typed list of the omni models.
    let input: Value = match (req.texts.as_slice(), req.image_urls.is_empty()) {
        ([one], true) => one.clone().into(),
        (many, true) => many.to_vec().into(),
        (texts, false) => texts
            .iter()
            .map(|t| json!({"type": "text", "text": t}))
            .chain(
                req.image_urls
                    .iter()
                    .map(|u| json!({"type": "image_url", "image_url": {"url": u}})),
            )
            .collect(),
    };
    let mut body = JsonMap::new();
    body.insert("model".into(), model.into());
    body.insert("input".into(), input);
    merge_options(&mut body, &req.provider_options);
    let request = common::post_json(ep, "/moderations", &Value::Object(body), false)?;
    Ok(Encoded {
        request,
        warnings: Vec::new(),
    })
}

pub(crate) fn decode(body: &[u8]) -> Result<ModerationResponse> {
    let v: Value = common::parse(body, "moderation response")?;
    let results = v
        .get("results")
        .and_then(Value::as_array)
        .ok_or_else(|| Error::new(ErrorKind::Decode, "a moderation response has no `results`"))?
        .iter()
        .map(result)
        .collect::<Result<Vec<_>>>()?;
    Ok(ModerationResponse {
        id: common::opt_str(&v, "id"),
        model: common::opt_str(&v, "model"),
        results,
    })
}

fn result(r: &Value) -> Result<ModerationResult> {
    let flagged = r.get("flagged").and_then(Value::as_bool).ok_or_else(|| {
        Error::new(
            ErrorKind::Decode,
            "a moderation result has no boolean `flagged`",
        )
    })?;
    let empty = JsonMap::new();
    let flags = r
        .get("categories")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let scores = r
        .get("category_scores")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let mut names: Vec<&String> = flags.keys().chain(scores.keys()).collect();
    names.sort();
    names.dedup();
    let categories = names
        .into_iter()
        .map(|name| ModerationCategory {
            name: name.clone(),
            // Some categories come as `null` for inputs they do not apply to.
            flagged: flags.get(name).and_then(Value::as_bool).unwrap_or(false),
            score: scores.get(name).and_then(Value::as_f64),
        })
        .collect();
    Ok(ModerationResult {
        flagged,
        categories,
    })
}
