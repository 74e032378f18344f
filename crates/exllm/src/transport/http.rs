//! HTTP over reqwest: sends an encoded request, turns error statuses into typed errors with the
//! provider's message, and reads bodies under a size cap.

use super::timeouts::expired;
use crate::error::{Error, ErrorKind, Result, TimeoutKind};
use crate::types::Timeouts;
use crate::wire::errors::error_from_http;
use bytes::Bytes;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The shared HTTP client.
#[derive(Debug, Clone)]
pub struct HttpTransport {
    client: reqwest::Client,
    last_url: LastUrl,
    /// Largest non-streaming body accepted (a larger one is a [`ErrorKind::TooLarge`] error).
    pub max_body_bytes: usize,
    /// Longest gap between two chunks of a body read whole.
    pub stall: Option<Duration>,
    /// Records every exchange, or answers from recorded ones (tests without the network).
    cassette: Option<super::Cassette>,
}

impl HttpTransport {
    /// A transport with these timeouts: the connect timeout is reqwest's, the stall timeout
    /// applies to bodies read whole; time to first byte and the total are applied per call by
    /// the provider.
    pub fn new(timeouts: Timeouts) -> Result<Self> {
        let mut b =
            reqwest::Client::builder().user_agent(concat!("exllm/", env!("CARGO_PKG_VERSION")));
        if let Some(t) = timeouts.connect {
            b = b.connect_timeout(t);
        }
        let client = b.build().map_err(|e| {
            Error::new(ErrorKind::Config, "cannot build the HTTP client").with_source(e)
        })?;
        Ok(HttpTransport {
            stall: timeouts.stall,
            ..Self::from_client(client)
        })
    }

    /// Uses a reqwest client configured by the caller (proxies, TLS roots, ...).
    pub(crate) fn from_client(client: reqwest::Client) -> Self {
        HttpTransport {
            client,
            last_url: LastUrl::default(),
            max_body_bytes: 64 << 20,
            stall: Timeouts::default().stall,
            cassette: None,
        }
    }

    /// The reqwest client underneath (to share with other transports).
    pub(crate) fn into_client(self) -> reqwest::Client {
        self.client
    }

    /// Sends every request through `cassette`: recorded, or answered from a recording.
    pub fn with_cassette(mut self, cassette: super::Cassette) -> Self {
        self.cassette = Some(cassette);
        self
    }

    /// Sends the request; a non-2xx status becomes a typed error carrying the provider's message.
    pub(crate) async fn send(
        &self,
        req: http::Request<Bytes>,
        provider: &str,
    ) -> Result<reqwest::Response> {
        let (head, body) = req.into_parts();
        self.execute(head.method, &head.uri, head.headers, body.into(), provider)
            .await
    }

    /// Sends a request whose body is streamed (a file upload); statuses are handled like
    /// [`HttpTransport::send`].
    pub(crate) async fn send_streaming(
        &self,
        head: &http::Request<Bytes>,
        body: reqwest::Body,
        provider: &str,
    ) -> Result<reqwest::Response> {
        let (method, headers) = (head.method().clone(), head.headers().clone());
        self.execute(method, head.uri(), headers, body, provider)
            .await
    }

    async fn execute(
        &self,
        method: http::Method,
        uri: &http::Uri,
        headers: http::HeaderMap,
        body: reqwest::Body,
        provider: &str,
    ) -> Result<reqwest::Response> {
        let mut r = reqwest::Request::new(method, self.url(uri, provider)?);
        *r.headers_mut() = headers;
        *r.body_mut() = Some(body);
        let resp = match &self.cassette {
            Some(c) => c.execute(&self.client, r, provider).await?,
            None => self
                .client
                .execute(r)
                .await
                .map_err(|e| network_error(e, provider))?,
        };
        self.checked(resp, provider).await
    }

    /// The response of a 2xx status, else the typed error its body describes.
    async fn checked(&self, resp: reqwest::Response, provider: &str) -> Result<reqwest::Response> {
        let status = resp.status();
        if status.is_success() {
            return Ok(resp);
        }
        let headers = resp.headers().clone();
        let body = self.read_body(resp, provider).await.unwrap_or_default();
        Err(error_from_http(provider, status.as_u16(), &headers, &body))
    }

    /// `uri` as a `reqwest::Url`, parsed once per run of requests to the same URL.
    fn url(&self, uri: &http::Uri, provider: &str) -> Result<reqwest::Url> {
        // A poisoned lock only means another call panicked mid-update: the cache is then
        // skipped, never trusted.
        if let Ok(last) = self.last_url.0.lock() {
            if let Some((_, url)) = last.as_ref().filter(|(u, _)| u == uri) {
                return Ok(url.clone());
            }
        }
        let url = reqwest::Url::parse(&uri.to_string()).map_err(|e| {
            Error::new(ErrorKind::Config, format!("invalid URL: {e}")).with_provider(provider)
        })?;
        if let Ok(mut last) = self.last_url.0.lock() {
            *last = Some((uri.clone(), url.clone()));
        }
        Ok(url)
    }

    /// Fetches a URL's body as text (a catalog download), with the same size cap.
    pub async fn get_text(&self, url: &str) -> Result<String> {
        let resp = self
            .client
            .get(url)
            .send()
            .await
            .map_err(|e| network_error(e, "http"))?;
        let resp = self.checked(resp, "http").await?;
        let body = self.read_body(resp, "http").await?;
        String::from_utf8(body.to_vec())
            .map_err(|_| Error::new(ErrorKind::Decode, format!("{url} is not UTF-8 text")))
    }

    /// A body's chunks as they arrive (audio written to a file while it downloads), each
    /// within the `stall` timeout and all of them before `deadline`; unlike
    /// [`HttpTransport::read_body`] there is no size cap, since nothing is held.
    pub(crate) fn body_chunks(
        resp: reqwest::Response,
        provider: String,
        stall: Option<Duration>,
        deadline: Option<tokio::time::Instant>,
    ) -> impl futures_core::Stream<Item = Result<Bytes>> + Send + 'static {
        futures_util::stream::unfold(Some(resp), move |state| {
            let provider = provider.clone();
            async move {
                let mut resp = state?;
                let now = tokio::time::Instant::now();
                let left = deadline.map(|d| d.saturating_duration_since(now));
                let (wait, kind) = match (stall, left) {
                    (Some(s), Some(l)) if l < s => (Some(l), TimeoutKind::Total),
                    (Some(s), _) => (Some(s), TimeoutKind::Stall),
                    (None, l) => (l, TimeoutKind::Total),
                };
                let next = match wait {
                    Some(d) => match tokio::time::timeout(d, resp.chunk()).await {
                        Ok(r) => r,
                        Err(_) => return Some((Err(expired(kind, Some(d), &provider)), None)),
                    },
                    None => resp.chunk().await,
                };
                match next {
                    Ok(Some(chunk)) => Some((Ok(chunk), Some(resp))),
                    Ok(None) => None,
                    Err(e) => Some((Err(network_error(e, &provider)), None)),
                }
            }
        })
    }

    /// Reads a whole body, refusing one over [`HttpTransport::max_body_bytes`].
    pub(crate) async fn read_body(
        &self,
        mut resp: reqwest::Response,
        provider: &str,
    ) -> Result<Bytes> {
        let declared = resp.content_length().unwrap_or(0);
        if declared > self.max_body_bytes as u64 {
            return Err(too_large(self.max_body_bytes, provider));
        }
        // The declared length is only a hint (capped above): a body that arrives as one chunk
        // is returned as it is, without a copy.
        let mut first: Option<Bytes> = None;
        let mut body = Vec::new();
        loop {
            let next = match self.stall {
                Some(d) => tokio::time::timeout(d, resp.chunk())
                    .await
                    .map_err(|_| expired(TimeoutKind::Stall, Some(d), provider))?,
                None => resp.chunk().await,
            };
            let Some(chunk) = next.map_err(|e| network_error(e, provider))? else {
                break;
            };
            let had = first.as_ref().map_or(0, Bytes::len) + body.len();
            if had + chunk.len() > self.max_body_bytes {
                return Err(too_large(self.max_body_bytes, provider));
            }
            match first.take() {
                None if body.is_empty() => first = Some(chunk),
                earlier => {
                    if let Some(e) = earlier {
                        body.reserve((declared as usize).max(e.len() + chunk.len()));
                        body.extend_from_slice(&e);
                    }
                    body.extend_from_slice(&chunk);
                }
            }
        }
        Ok(first.unwrap_or_else(|| Bytes::from(body)))
    }
}

/// The last URL sent to, parsed. A provider sends to the same few URLs again and again, and
/// parsing one into a `reqwest::Url` is a visible part of a whole call, while comparing an
/// `http::Uri` with the last one is nearly free.
#[derive(Clone, Default)]
struct LastUrl(Arc<Mutex<Option<(http::Uri, reqwest::Url)>>>);

/// Not shown: a URL may carry a key in its query.
impl std::fmt::Debug for LastUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LastUrl")
    }
}

fn too_large(limit: usize, provider: &str) -> Error {
    Error::new(
        ErrorKind::TooLarge,
        format!("response body larger than the {limit}-byte limit"),
    )
    .with_provider(provider)
}

/// Maps a reqwest error (URL stripped, it may carry a key in its query) to a typed error.
pub(crate) fn network_error(e: reqwest::Error, provider: &str) -> Error {
    if e.is_connect() && e.is_timeout() {
        return expired(TimeoutKind::Connect, None, provider).with_source(e.without_url());
    }
    let kind = if e.is_timeout() {
        ErrorKind::Timeout
    } else {
        ErrorKind::Network
    };
    let what = if e.is_timeout() {
        "request timed out"
    } else if e.is_connect() {
        "cannot connect"
    } else if e.is_body() || e.is_decode() {
        "connection broken while reading the response"
    } else {
        "request failed"
    };
    Error::new(kind, what)
        .with_provider(provider)
        .with_source(e.without_url())
}
