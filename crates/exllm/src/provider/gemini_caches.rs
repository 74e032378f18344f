//! Gemini and Vertex AI context caches (`cachedContents`): the create, get, list, delete and
//! update (by TTL or by expiry time) requests, and their answers. Pure functions over the endpoint and bytes. The
//! cached contents, system instruction and tools are the Gemini codec's own encoding of the
//! messages, so a cache holds exactly what a request would have sent. On Vertex the caches
//! live under the location (not under `publishers/google`) and name the model in full.

use super::batch::id_segment;
use super::{common, Api, Endpoint};
use crate::error::{Error, ErrorKind, Result};
use crate::types::{CachedContent, CachedContentCreate, CachedContentList, ChatRequest};
use bytes::Bytes;
use serde_json::{json, Value};
use std::time::Duration;

/// The Vertex publisher suffix of a Gemini base URL.
const VERTEX_PUBLISHER: &str = "/publishers/google";

/// The endpoint the caches live under: the location for Vertex, the API root for Gemini.
fn caches_endpoint(ep: &Endpoint) -> Endpoint {
    let mut out = ep.clone();
    let base = ep.base_url.trim_end_matches('/');
    if let Some(location) = base.strip_suffix(VERTEX_PUBLISHER) {
        out.base_url = location.to_owned();
    }
    out
}

/// The model's resource name: `models/{m}` on Gemini, the full publisher model on Vertex.
fn model_name(ep: &Endpoint, model: &str) -> String {
    let model = model.strip_prefix("models/").unwrap_or(model);
    let base = ep.base_url.trim_end_matches('/');
    match (base.ends_with(VERTEX_PUBLISHER), base.find("projects/")) {
        (true, Some(i)) => format!("{}/models/{model}", &base[i..]),
        _ => format!("models/{model}"),
    }
}

/// The path of cache `name` (`cachedContents/abc`, a full Vertex name, or `abc`).
fn cache_path(name: &str) -> Result<String> {
    let id = name.rsplit("cachedContents/").next().unwrap_or(name);
    // `.` and `..` would be resolved as dot segments by the URL parser, leaving the collection.
    if matches!(id, "" | "." | "..") {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            format!("`{name}` is not a cache name"),
        ));
    }
    Ok(format!("/cachedContents/{}", id_segment(id)))
}

/// A duration as protobuf JSON: seconds with an `s`, fractions kept (`300s`, `1.5s`).
fn duration(d: Duration) -> String {
    match d.subsec_nanos() {
        0 => format!("{}s", d.as_secs()),
        n => {
            let frac = format!("{n:09}");
            format!("{}.{}s", d.as_secs(), frac.trim_end_matches('0'))
        }
    }
}

/// The creation of a cache of `c` for `model` (bare, without the provider).
pub(crate) fn create(
    ep: &Endpoint,
    model: &str,
    c: &CachedContentCreate,
) -> Result<http::Request<Bytes>> {
    if c.ttl.is_some() && c.expire_time.is_some() {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            "a cache takes a ttl or an expire time, not both",
        ));
    }
    let mut req = ChatRequest::new(model, c.messages.clone());
    req.tools = c.tools.clone();
    let enc = Api::Gemini.codec().encode(&req, model, ep, false)?;
    let encoded: Value = common::parse(enc.request.body(), "encoded request")?;
    let mut body = json!({ "model": model_name(ep, model) });
    for key in ["contents", "systemInstruction", "tools", "toolConfig"] {
        if let Some(v) = encoded.get(key) {
            body[key] = v.clone();
        }
    }
    if let Some(t) = c.ttl {
        body["ttl"] = duration(t).into();
    }
    if let Some(t) = &c.expire_time {
        body["expireTime"] = t.clone().into();
    }
    if let Some(n) = &c.display_name {
        body["displayName"] = n.clone().into();
    }
    common::post_json(&caches_endpoint(ep), "/cachedContents", &body, false)
}

/// The lookup of cache `name`.
pub(crate) fn get(ep: &Endpoint, name: &str) -> Result<http::Request<Bytes>> {
    common::get(&caches_endpoint(ep), &cache_path(name)?)
}

/// The deletion of cache `name` (it answers `{}`).
pub(crate) fn delete(ep: &Endpoint, name: &str) -> Result<http::Request<Bytes>> {
    common::request(
        &caches_endpoint(ep),
        http::Method::DELETE,
        &cache_path(name)?,
        None,
    )
}

/// A new lifetime for cache `name`, counted from now (`PATCH ...?updateMask=ttl`).
pub(crate) fn update_ttl(ep: &Endpoint, name: &str, ttl: Duration) -> Result<http::Request<Bytes>> {
    let path = format!("{}?updateMask=ttl", cache_path(name)?);
    let body = json!({ "ttl": duration(ttl) });
    common::request(
        &caches_endpoint(ep),
        http::Method::PATCH,
        &path,
        Some(&body),
    )
}

/// Sets when the cache `name` expires (`expireTime`, an absolute time) instead of a TTL.
pub(crate) fn update_expire_time(
    ep: &Endpoint,
    name: &str,
    at: std::time::SystemTime,
) -> Result<http::Request<Bytes>> {
    let path = format!("{}?updateMask=expireTime", cache_path(name)?);
    let body = json!({ "expireTime": humantime::format_rfc3339_seconds(at).to_string() });
    common::request(
        &caches_endpoint(ep),
        http::Method::PATCH,
        &path,
        Some(&body),
    )
}

/// A page of the listing (`page_token` from the previous page's answer).
pub(crate) fn list(
    ep: &Endpoint,
    page_size: Option<u32>,
    page_token: Option<&str>,
) -> Result<http::Request<Bytes>> {
    let mut query = Vec::new();
    if let Some(n) = page_size {
        query.push(format!("pageSize={n}"));
    }
    if let Some(t) = page_token {
        query.push(format!("pageToken={}", id_segment(t)));
    }
    let path = match query.is_empty() {
        true => "/cachedContents".to_owned(),
        false => format!("/cachedContents?{}", query.join("&")),
    };
    common::get(&caches_endpoint(ep), &path)
}

/// A cache from its JSON.
fn cache_of(v: &Value) -> Result<CachedContent> {
    let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
    let name = s("name")
        .filter(|n| !n.is_empty())
        .ok_or_else(|| Error::new(ErrorKind::Decode, "the cache in the answer has no `name`"))?;
    let total = v
        .pointer("/usageMetadata/totalTokenCount")
        .and_then(|t| match t {
            Value::Number(n) => n.as_u64(),
            Value::String(s) => s.parse().ok(),
            _ => None,
        });
    Ok(CachedContent {
        name,
        model: s("model"),
        display_name: s("displayName"),
        create_time: s("createTime"),
        update_time: s("updateTime"),
        expire_time: s("expireTime"),
        total_tokens: total,
    })
}

/// Decodes one cache (the answer of create, get and update).
pub(crate) fn decode(body: &[u8]) -> Result<CachedContent> {
    cache_of(&common::parse::<Value>(body, "cached content")?)
}

/// Decodes a page of the listing (`{"cachedContents": [...], "nextPageToken": ...}`; an
/// empty listing may be `{}`).
pub(crate) fn decode_list(body: &[u8]) -> Result<CachedContentList> {
    let v: Value = common::parse(body, "cached content list")?;
    let caches = match v.get("cachedContents") {
        Some(Value::Array(a)) => a.iter().map(cache_of).collect::<Result<_>>()?,
        _ => Vec::new(),
    };
    let next_page_token = v
        .get("nextPageToken")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
        .map(str::to_owned);
    Ok(CachedContentList {
        caches,
        next_page_token,
    })
}

#[cfg(test)]
mod tests;
