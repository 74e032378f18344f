//! Helpers every codec shares: building HTTP requests from an endpoint, merging
//! `provider_options`, and decoding JSON with errors that say what was wrong.

use super::{Auth, Endpoint, ListedModel};
use crate::error::{Error, ErrorKind, Result};
use crate::types::JsonMap;
use bytes::Bytes;
use http::header::{HeaderName, HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use serde_json::Value;

/// Characters escaped in query keys and values: all but RFC 3986's unreserved ones.
const QUERY: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Ids for tool calls of providers that send none (Gemini, older Ollama): `call_<n>` by the
/// call's position in the answer, the same scheme the collector uses, so stream events carry
/// ids too.
#[derive(Debug, Default)]
pub(crate) struct CallIds(usize);

impl CallIds {
    /// The provider's id when it sent one, else a made-up one; counts every call.
    pub(crate) fn next(&mut self, given: Option<&str>) -> String {
        let n = self.0;
        self.0 += 1;
        match given.filter(|g| !g.is_empty()) {
            Some(g) => g.to_owned(),
            None => format!("call_{n}"),
        }
    }
}

/// The string at `key`, or "".
pub(crate) fn str_at(v: &Value, key: &str) -> String {
    v.get(key).and_then(Value::as_str).unwrap_or("").to_owned()
}

/// The string at `key`, if there is one.
pub(crate) fn opt_str(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_owned)
}

const JSON: &str = "application/json";

fn url(ep: &Endpoint, path: &str) -> String {
    let base = ep.base_url.trim_end_matches('/');
    // Sized up front: growing a `format!` string reallocated it per call.
    let query: usize = ep
        .query
        .iter()
        .map(|(k, v)| 2 + 3 * (k.len() + v.len()))
        .sum();
    let mut url = String::with_capacity(base.len() + path.len() + query);
    url.push_str(base);
    url.push_str(path);
    for (i, (k, v)) in ep.query.iter().enumerate() {
        let sep = if i == 0 && !url.contains('?') {
            '?'
        } else {
            '&'
        };
        let k = percent_encoding::utf8_percent_encode(k, QUERY);
        let v = percent_encoding::utf8_percent_encode(v, QUERY);
        use std::fmt::Write;
        let _ = write!(url, "{sep}{k}={v}");
    }
    url
}

/// Adds the endpoint's auth and extra headers.
fn apply(ep: &Endpoint, headers: &mut http::HeaderMap) -> Result<()> {
    let bad = |what: &str| {
        Error::new(ErrorKind::Config, format!("invalid {what} header value"))
            .with_provider(ep.provider.clone())
    };
    match &ep.auth {
        Auth::None => {}
        Auth::Signer(_) => {}
        Auth::Bearer(key) => {
            let mut bearer = String::with_capacity(7 + key.expose().len());
            bearer.push_str("Bearer ");
            bearer.push_str(key.expose());
            let mut v = HeaderValue::try_from(bearer).map_err(|_| bad("Authorization"))?;
            v.set_sensitive(true);
            headers.insert(AUTHORIZATION, v);
        }
        Auth::Header { name, value } => {
            let name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| bad(name))?;
            let mut v = HeaderValue::from_str(value.expose()).map_err(|_| bad(name.as_str()))?;
            v.set_sensitive(true);
            headers.insert(name, v);
        }
    }
    for (k, v) in &ep.headers {
        let name = HeaderName::from_bytes(k.as_bytes()).map_err(|_| bad(k))?;
        let mut value = HeaderValue::from_str(v.expose()).map_err(|_| bad(k))?;
        value.set_sensitive(crate::types::is_credential_header(k));
        headers.append(name, value);
    }
    Ok(())
}

/// A request to `base_url + path` with `headers`, then auth and the endpoint's headers. Built
/// field by field: `http::request::Builder` moves the whole request through a closure per
/// call, a large share of the cost of building one.
fn build(
    ep: &Endpoint,
    method: http::Method,
    path: &str,
    headers: &[(HeaderName, &'static str)],
    body: Bytes,
) -> Result<http::Request<Bytes>> {
    let uri: http::Uri = url(ep, path)
        .try_into()
        .map_err(|e: http::uri::InvalidUri| {
            Error::new(
                ErrorKind::Config,
                format!("invalid request for base URL `{}`", ep.base_url),
            )
            .with_provider(ep.provider.clone())
            .with_source(e)
        })?;
    let mut r = http::Request::new(body);
    *r.method_mut() = method;
    *r.uri_mut() = uri;
    let h = r.headers_mut();
    for (name, value) in headers {
        h.insert(name, HeaderValue::from_static(value));
    }
    apply(ep, h)?;
    Ok(r)
}

/// A JSON `POST` to `base_url + path`, with auth and the endpoint's headers; a stream
/// accepts server-sent events.
pub(crate) fn post_json(
    ep: &Endpoint,
    path: &str,
    body: &impl serde::Serialize,
    stream: bool,
) -> Result<http::Request<Bytes>> {
    post_json_accepting(ep, path, body, accept(stream))
}

/// What a JSON `POST` accepts: server-sent events for a stream, JSON otherwise.
pub(crate) fn accept(stream: bool) -> &'static str {
    if stream {
        "text/event-stream"
    } else {
        JSON
    }
}

/// A JSON `POST` that accepts `accept`.
pub(crate) fn post_json_accepting(
    ep: &Endpoint,
    path: &str,
    body: &impl serde::Serialize,
    accept: &'static str,
) -> Result<http::Request<Bytes>> {
    let headers = [(CONTENT_TYPE, JSON), (ACCEPT, accept)];
    build(ep, http::Method::POST, path, &headers, json_bytes(body)?)
}

/// A `POST` of ready-made body bytes of `content_type` (a multipart form), accepting JSON.
pub(crate) fn post_bytes(
    ep: &Endpoint,
    path: &str,
    content_type: &str,
    body: Bytes,
) -> Result<http::Request<Bytes>> {
    let value = HeaderValue::from_str(content_type).map_err(|_| {
        Error::new(
            ErrorKind::InvalidInput,
            "invalid Content-Type for a request body",
        )
        .with_provider(ep.provider.clone())
    })?;
    let mut r = build(ep, http::Method::POST, path, &[(ACCEPT, JSON)], body)?;
    r.headers_mut().insert(CONTENT_TYPE, value);
    Ok(r)
}

/// Another codec's encoded JSON body read back as a map, for a codec that adapts it.
pub(crate) fn body_map(body: &[u8]) -> Result<crate::types::JsonMap> {
    serde_json::from_slice(body).map_err(|e| {
        Error::new(ErrorKind::InvalidInput, "cannot encode the request").with_source(e)
    })
}

/// The JSON text of a request body.
pub(crate) fn json_bytes(body: &impl serde::Serialize) -> Result<Bytes> {
    // Most bodies fit: growing the buffer from empty reallocated it again and again per call.
    let mut bytes = Vec::with_capacity(512);
    serde_json::to_writer(&mut bytes, body).map_err(|e| {
        Error::new(ErrorKind::InvalidInput, "cannot encode the request").with_source(e)
    })?;
    Ok(Bytes::from(bytes))
}

/// A `GET` of `base_url + path`, with auth and the endpoint's headers.
pub(crate) fn get(ep: &Endpoint, path: &str) -> Result<http::Request<Bytes>> {
    request(ep, http::Method::GET, path, None)
}

/// Any method, with an optional JSON body.
pub(crate) fn request(
    ep: &Endpoint,
    method: http::Method,
    path: &str,
    body: Option<&Value>,
) -> Result<http::Request<Bytes>> {
    match body {
        Some(v) => build(ep, method, path, &[(CONTENT_TYPE, JSON)], json_bytes(v)?),
        None => build(ep, method, path, &[], Bytes::new()),
    }
}

/// Merges `provider_options` into a request body: objects merge key by key, anything else
/// replaces what the codec wrote.
pub(crate) fn merge_options(body: &mut JsonMap, options: &JsonMap) {
    for (k, v) in options {
        match (body.get_mut(k), v) {
            (Some(Value::Object(old)), Value::Object(new)) => merge_options(old, new),
            _ => {
                body.insert(k.clone(), v.clone());
            }
        }
    }
}

/// Inserts `value` under `key` when it is `Some`.
pub(crate) fn put<T: Into<Value>>(body: &mut JsonMap, key: &str, value: Option<T>) {
    if let Some(v) = value {
        body.insert(key.to_owned(), v.into());
    }
}

/// Decodes a JSON body, or says which part of it was wrong.
pub(crate) fn parse<'a, T: serde::Deserialize<'a>>(body: &'a [u8], what: &str) -> Result<T> {
    serde_json::from_slice(body).map_err(|e| decode_error(what, body, e))
}

/// A decode error with the start of the offending bytes.
pub(crate) fn decode_error(what: &str, body: &[u8], e: serde_json::Error) -> Error {
    let snippet: String = String::from_utf8_lossy(&body[..body.len().min(200)]).into();
    Error::new(
        ErrorKind::Decode,
        format!("malformed {what}: {e}; starts with: {snippet}"),
    )
}

/// Decodes an OpenAI-style model list.
pub(crate) fn decode_model_list(body: &[u8]) -> Result<Vec<ListedModel>> {
    #[derive(serde::Deserialize)]
    struct List {
        #[serde(default)]
        data: Vec<Entry>,
    }
    #[derive(serde::Deserialize)]
    struct Entry {
        id: String,
        #[serde(default)]
        display_name: Option<String>,
        #[serde(default)]
        owned_by: Option<String>,
    }
    let list: List = parse(body, "model list")?;
    Ok(list
        .data
        .into_iter()
        .map(|e| ListedModel {
            id: e.id,
            display_name: e.display_name,
            owned_by: e.owned_by,
        })
        .collect())
}

/// Base64 data as a `data:` URL.
pub(crate) fn data_url(media_type: Option<&str>, data: &str) -> String {
    format!(
        "data:{};base64,{data}",
        media_type.unwrap_or("application/octet-stream")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn options_merge_deeply() {
        let mut body = json!({"a": 1, "o": {"x": 1, "y": 2}})
            .as_object()
            .unwrap()
            .clone();
        let opts = json!({"o": {"y": 3, "z": 4}, "b": [1]})
            .as_object()
            .unwrap()
            .clone();
        merge_options(&mut body, &opts);
        assert_eq!(
            Value::Object(body),
            json!({"a": 1, "o": {"x": 1, "y": 3, "z": 4}, "b": [1]})
        );
    }

    #[test]
    fn auth_headers_are_sensitive() {
        let mut ep = Endpoint::new("p", "http://h/v1/");
        ep.auth = Auth::Bearer("k".into());
        let r = post_json(&ep, "/chat", &json!({}), false).unwrap();
        assert_eq!(r.uri(), "http://h/v1/chat");
        assert!(r.headers()[AUTHORIZATION].is_sensitive());
    }
}
