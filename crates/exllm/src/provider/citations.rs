//! Reading cited sources out of the shapes providers send them in, for every codec: url
//! annotations (Chat Completions nests them under `url_citation`, Responses does not),
//! Anthropic web-search result locations, Perplexity search results and url lists, Gemini
//! grounding chunks. Objects without a url (file citations, document locations) are skipped.

use crate::types::{Citation, StreamEvent};
use serde_json::Value;

/// A citation from one object: `{"url", "title"}`, or the same nested under `url_citation`.
pub(crate) fn from_object(v: &Value) -> Option<Citation> {
    let inner = v.get("url_citation").filter(|u| u.is_object()).unwrap_or(v);
    let url = inner.get("url")?.as_str()?;
    let title = inner
        .get("title")
        .and_then(Value::as_str)
        .map(str::to_owned);
    Some(Citation::new(url, title))
}

/// A citation from a list entry that is either a bare url string or an object.
fn from_entry(v: &Value) -> Option<Citation> {
    match v {
        Value::String(url) => Some(Citation::new(url.as_str(), None)),
        other => from_object(other),
    }
}

/// Citation events for each entry of a list (annotations, search results, url lists);
/// anything that is not a list gives none.
pub(crate) fn events(list: Option<&Value>) -> impl Iterator<Item = StreamEvent> + '_ {
    list.and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(from_entry)
        .map(StreamEvent::Citation)
}

/// Citation events for Gemini's `groundingMetadata`: the `web` source of each grounding chunk.
pub(crate) fn gemini_grounding(meta: &Value) -> impl Iterator<Item = StreamEvent> + '_ {
    meta.get("groundingChunks")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|chunk| {
            let web = chunk.get("web")?;
            let url = web.get("uri")?.as_str()?;
            let title = web.get("title").and_then(Value::as_str).map(str::to_owned);
            Some(StreamEvent::Citation(Citation::new(url, title)))
        })
}

#[cfg(test)]
mod tests;
