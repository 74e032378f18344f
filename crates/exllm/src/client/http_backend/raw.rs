//! Raw sends: a body already in this provider's own wire format, sent to a path under the
//! endpoint with its auth and headers through the same `send` as every call (retries before
//! the answer, the breaker, redaction, timeouts), and the answer's status, headers and body
//! chunks handed back as they arrive, untouched. A gateway whose caller speaks the
//! provider's API forwards bytes this way instead of decoding and re-encoding them; error
//! statuses still become typed [`Error`]s, so the caller gets them in its own format.

use super::HttpBackend;
use crate::error::{Error, ErrorKind, Result, TimeoutKind};
use crate::provider::{Api, Encoded, Endpoint};
use crate::transport::{limit, HttpTransport};
use bytes::Bytes;
use http::header::{HeaderName, HeaderValue, ACCEPT, CONTENT_TYPE};
use std::pin::Pin;

/// A body handed over as it arrives.
pub type RawBody = Pin<Box<dyn futures_core::Stream<Item = Result<Bytes>> + Send>>;

/// A request in the provider's own wire format.
#[derive(Debug, Clone)]
pub struct RawRequest {
    /// The method.
    pub method: http::Method,
    /// The path under the endpoint's base URL (`/chat/completions`).
    pub path: String,
    /// The body, sent as it is.
    pub body: Bytes,
    /// Its `Content-Type` (JSON when `None`).
    pub content_type: Option<String>,
    /// What the answer may be (`text/event-stream` for a stream; JSON when `None`).
    pub accept: Option<String>,
    /// The caller's headers to add (an `anthropic-beta`); never auth headers, which are the
    /// endpoint's.
    pub headers: Vec<(String, String)>,
}

impl Default for RawRequest {
    fn default() -> Self {
        RawRequest {
            method: http::Method::POST,
            path: String::new(),
            body: Bytes::new(),
            content_type: None,
            accept: None,
            headers: Vec::new(),
        }
    }
}

/// A successful answer to a [`RawRequest`], its body handed over as it arrives.
pub struct RawAnswer {
    /// The status (2xx; others are errors).
    pub status: u16,
    /// The headers.
    pub headers: http::HeaderMap,
    /// The body's chunks, each within the stall timeout and all before the total one.
    pub body: RawBody,
}

impl std::fmt::Debug for RawAnswer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawAnswer")
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

impl HttpBackend {
    /// The path chat requests for `model` (without the provider prefix) go to, when this
    /// provider's chat is a plain `POST` of its API's body to a fixed path: OpenAI chat
    /// completions (Azure's deployment path included), Anthropic messages (not on Vertex,
    /// whose path and body differ) and OpenAI Responses. `None` otherwise.
    pub fn raw_chat_path(&self, model: &str) -> Option<String> {
        let ep = &self.inner.endpoint;
        match self.inner.codec.api() {
            Api::OpenAiChat if !ep.quirks.chat => None,
            Api::OpenAiChat if ep.quirks.deployment_path => {
                Some(format!("/deployments/{model}/chat/completions"))
            }
            Api::OpenAiChat => Some("/chat/completions".into()),
            Api::Anthropic if !ep.quirks.vertex => Some("/messages".into()),
            Api::OpenAiResponses => Some("/responses".into()),
            _ => None,
        }
    }

    /// Sends `req` as it is and hands the answer over as it arrives. A status other than
    /// 2xx is the typed error its body describes (with `Retry-After`); a failure before the
    /// answer is retried like any call's.
    pub async fn send_raw(&self, req: RawRequest) -> Result<RawAnswer> {
        let provider = self.inner.endpoint.provider.clone();
        let t = self.policy(None);
        let deadline = t.timeouts.total.map(|d| tokio::time::Instant::now() + d);
        let encode = |ep: &Endpoint| raw_request(ep, &req);
        let send = self.send(&t, encode);
        let (resp, _) = limit(t.timeouts.total, TimeoutKind::Total, &provider, send).await?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = HttpTransport::body_chunks(resp, provider, t.timeouts.stall, deadline);
        Ok(RawAnswer {
            status,
            headers,
            body: Box::pin(body),
        })
    }
}

/// `req` for the endpoint `ep`: its URL, auth and headers, then the request's own.
fn raw_request(ep: &Endpoint, req: &RawRequest) -> Result<Encoded> {
    let invalid = |what: &str| {
        Error::new(
            ErrorKind::InvalidInput,
            format!("invalid {what} for a raw request"),
        )
        .with_provider(ep.provider.clone())
    };
    let content_type = req.content_type.as_deref().unwrap_or("application/json");
    let mut request =
        crate::provider::common::post_bytes(ep, &req.path, content_type, req.body.clone())?;
    *request.method_mut() = req.method.clone();
    let h = request.headers_mut();
    if let Some(a) = &req.accept {
        h.insert(
            ACCEPT,
            HeaderValue::from_str(a).map_err(|_| invalid("Accept"))?,
        );
    }
    if req.method == http::Method::GET || req.method == http::Method::DELETE {
        h.remove(CONTENT_TYPE);
    }
    for (name, value) in &req.headers {
        let name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| invalid("header"))?;
        if crate::types::is_credential_header(name.as_str()) || h.contains_key(&name) {
            // The endpoint's auth and headers win: a caller never sets the provider's key.
            continue;
        }
        h.insert(
            name,
            HeaderValue::from_str(value).map_err(|_| invalid("header"))?,
        );
    }
    Ok(Encoded {
        request,
        warnings: Vec::new(),
    })
}

#[cfg(test)]
#[path = "raw_tests.rs"]
mod tests;
