//! `POST /moderations`: texts (and, for omni models, image URLs) in; per-result `flagged`,
//! `categories` and `category_scores` out. Mistral copies it (its results carry no `flagged`:
//! any flagged category is the verdict) and adds `POST /chat/moderations`, which classifies a
//! conversation as a whole.

use super::super::common::{self, merge_options};
use super::super::{Encoded, Endpoint};
use crate::error::{Error, ErrorKind, Result};
use crate::types::{
    JsonMap, ModerationCategory, ModerationRequest, ModerationResponse, ModerationResult, Role,
};
use serde_json::{json, Value};

pub(crate) fn encode(req: &ModerationRequest, model: &str, ep: &Endpoint) -> Result<Encoded> {
    if !req.conversation.is_empty() {
        return encode_conversation(req, model, ep);
    }
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

/// Mistral's `/chat/moderations` of a conversation: `input` is the list of its messages as
/// `{role, content}` (the messages' text).
fn encode_conversation(req: &ModerationRequest, model: &str, ep: &Endpoint) -> Result<Encoded> {
    if ep.provider != "mistral" {
        return Err(Error::new(
            ErrorKind::Unsupported,
            format!(
                "{} has no moderation of conversations (Mistral has)",
                ep.provider
            ),
        )
        .with_provider(ep.provider.clone()));
    }
    let input: Vec<Value> = req
        .conversation
        .iter()
        .map(|m| {
            let role = match m.role {
                Role::System | Role::Developer => "system",
                Role::User => "user",
                Role::Assistant => "assistant",
                Role::Tool => "tool",
            };
            json!({"role": role, "content": m.text()})
        })
        .collect();
    let mut body = JsonMap::new();
    body.insert("model".into(), model.into());
    body.insert("input".into(), input.into());
    merge_options(&mut body, &req.provider_options);
    let request = common::post_json(ep, "/chat/moderations", &Value::Object(body), false)?;
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
    if !r.is_object() {
        return Err(Error::new(
            ErrorKind::Decode,
            "a moderation result is not an object",
        ));
    }
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
    let categories: Vec<ModerationCategory> = categories;
    // OpenAI says; Mistral leaves the verdict to its categories.
    let flagged = match r.get("flagged").and_then(Value::as_bool) {
        Some(f) => f,
        None => categories.iter().any(|c| c.flagged),
    };
    Ok(ModerationResult {
        flagged,
        categories,
    })
}
