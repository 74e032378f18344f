//! HTTP over reqwest: sends an encoded request, turns error statuses into typed errors with the
//! provider's message, and reads bodies under a size cap.

use super::timeouts::{expired, Timeouts};
use crate::error::{Error, ErrorKind, Result, TimeoutKind};
use crate::provider::errors::error_from_http;
use bytes::Bytes;
use futures_util::StreamExt;
use std::time::Duration;

/// The shared HTTP client.
#[derive(Debug, Clone)]
pub struct HttpTransport {
    client: reqwest::Client,
    /// Largest non-streaming body accepted (a larger one is a [`ErrorKind::TooLarge`] error).
    pub max_body_bytes: usize,
    /// Longest gap between two chunks of a body read whole.
    pub stall: Option<Duration>,
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
    pub fn from_client(client: reqwest::Client) -> Self {
        HttpTransport {
            client,
            max_body_bytes: 64 << 20,
            stall: Timeouts::default().stall,
        }
    }

    /// Sends the request; a non-2xx status becomes a typed error carrying the provider's message.
    pub async fn send(
        &self,
        req: &http::Request<Bytes>,
        provider: &str,
    ) -> Result<reqwest::Response> {
        let url = reqwest::Url::parse(&req.uri().to_string()).map_err(|e| {
            Error::new(ErrorKind::Config, format!("invalid URL: {e}")).with_provider(provider)
        })?;
        let resp = self
            .client
            .request(req.method().clone(), url)
            .headers(req.headers().clone())
            .body(req.body().clone())
            .send()
            .await
            .map_err(|e| network_error(e, provider))?;
        let status = resp.status();
        if status.is_success() {
            return Ok(resp);
        }
        let headers = resp.headers().clone();
        let body = self.read_body(resp, provider).await.unwrap_or_default();
        Err(error_from_http(provider, status.as_u16(), &headers, &body))
    }

    /// Sends a request whose body is streamed (a file upload); statuses are handled like
    /// [`HttpTransport::send`].
    pub async fn send_streaming(
        &self,
        head: &http::Request<Bytes>,
        body: reqwest::Body,
        provider: &str,
    ) -> Result<reqwest::Response> {
        let url = reqwest::Url::parse(&head.uri().to_string()).map_err(|e| {
            Error::new(ErrorKind::Config, format!("invalid URL: {e}")).with_provider(provider)
        })?;
        let resp = self
            .client
            .request(head.method().clone(), url)
            .headers(head.headers().clone())
            .body(body)
            .send()
            .await
            .map_err(|e| network_error(e, provider))?;
        if resp.status().is_success() {
            return Ok(resp);
        }
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = self.read_body(resp, provider).await.unwrap_or_default();
        Err(error_from_http(provider, status, &headers, &body))
    }

    /// Fetches a URL's body as text (a catalog download), with the same size cap.
    pub async fn get_text(&self, url: &str) -> Result<String> {
        let resp = self
            .client
            .get(url)
            .send()
            .await
            .map_err(|e| network_error(e, "http"))?;
        if !resp.status().is_success() {
            let status = resp.status().as_u16();
            let headers = resp.headers().clone();
            let body = self.read_body(resp, "http").await.unwrap_or_default();
            return Err(error_from_http("http", status, &headers, &body));
        }
        let body = self.read_body(resp, "http").await?;
        String::from_utf8(body.to_vec())
            .map_err(|_| Error::new(ErrorKind::Decode, format!("{url} is not UTF-8 text")))
    }

    /// Reads a whole body, refusing one over [`HttpTransport::max_body_bytes`].
    pub async fn read_body(&self, resp: reqwest::Response, provider: &str) -> Result<Bytes> {
        if resp.content_length().unwrap_or(0) > self.max_body_bytes as u64 {
            return Err(too_large(self.max_body_bytes, provider));
        }
        let mut body = Vec::new();
        let mut stream = resp.bytes_stream();
        loop {
            let next = match self.stall {
                Some(d) => tokio::time::timeout(d, stream.next())
                    .await
                    .map_err(|_| expired(TimeoutKind::Stall, Some(d), provider))?,
                None => stream.next().await,
            };
            let Some(chunk) = next else { break };
            let chunk = chunk.map_err(|e| network_error(e, provider))?;
            if body.len() + chunk.len() > self.max_body_bytes {
                return Err(too_large(self.max_body_bytes, provider));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Bytes::from(body))
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
