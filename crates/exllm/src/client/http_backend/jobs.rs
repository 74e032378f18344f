//! The HTTP provider's side of batch jobs and file stores (`crate::batch`): requests the
//! batch and file codecs build from the endpoint, sent through the same `send` as chat (so
//! retries, the breaker, redaction and timeouts apply alike), plus the two calls whose bodies
//! are streamed — a file upload read from disk as it is sent, and a download handed over as
//! it arrives.

use super::HttpBackend;
use crate::error::{Error, ErrorKind, Result, TimeoutKind};
use crate::provider::{Auth, Encoded, Endpoint};
use crate::transport::{limit, HttpTransport};
use bytes::Bytes;

impl HttpBackend {
    /// The endpoint requests go to, with any placeholders filled in.
    pub(crate) async fn job_endpoint(&self) -> Result<Endpoint> {
        self.resolved().await.cloned()
    }

    /// Sends the request `encode` builds and decodes the whole answer.
    pub(crate) async fn job_call<T>(
        &self,
        encode: impl Fn(&Endpoint) -> Result<http::Request<Bytes>>,
        decode: impl FnOnce(&[u8]) -> Result<T>,
    ) -> Result<T> {
        let encode = |ep: &Endpoint| {
            Ok(Encoded {
                request: encode(ep)?,
                warnings: Vec::new(),
            })
        };
        Ok(self.call(encode, decode).await?.0)
    }

    /// Sends the request `encode` builds and returns the answer's headers and body (an upload
    /// start, whose answer is in a header).
    pub(crate) async fn job_call_headers(
        &self,
        encode: impl Fn(&Endpoint) -> Result<http::Request<Bytes>>,
    ) -> Result<(http::HeaderMap, Bytes)> {
        let provider = &self.inner.endpoint.provider;
        let t = self.policy(None);
        let encode = |ep: &Endpoint| {
            Ok(Encoded {
                request: encode(ep)?,
                warnings: Vec::new(),
            })
        };
        limit(
            t.timeouts.whole_call(),
            TimeoutKind::Total,
            provider,
            async {
                let (resp, _) = self.send(&t, encode).await?;
                let headers = resp.headers().clone();
                let body = self.inner.transport.read_body(resp, provider).await?;
                Ok((headers, body))
            },
        )
        .await
    }

    /// Sends the request `encode` builds and hands its body over as it downloads, without a
    /// size cap (nothing is held); each chunk within the stall timeout.
    pub(crate) async fn job_download(
        &self,
        encode: impl Fn(&Endpoint) -> Result<http::Request<Bytes>>,
    ) -> Result<impl futures_core::Stream<Item = Result<Bytes>> + Send + 'static> {
        let provider = &self.inner.endpoint.provider;
        let t = self.policy(None);
        let deadline = t.timeouts.total.map(|d| tokio::time::Instant::now() + d);
        let encode = |ep: &Endpoint| {
            Ok(Encoded {
                request: encode(ep)?,
                warnings: Vec::new(),
            })
        };
        let send = self.send(&t, encode);
        let (resp, _) = limit(t.timeouts.total, TimeoutKind::Total, provider, send).await?;
        Ok(HttpTransport::body_chunks(
            resp,
            provider.clone(),
            t.timeouts.stall,
            deadline,
        ))
    }

    /// Sends `head` (built by the file codec) with the body `body` opens — a file streamed
    /// from disk — and decodes the answer. A failure before the answer is retried like any
    /// call, with the body opened afresh. The time-to-first-byte limit does not apply: the
    /// answer only starts once the whole file is sent.
    pub(crate) async fn job_upload<T>(
        &self,
        head: impl Fn(&Endpoint) -> Result<http::Request<Bytes>>,
        body: impl Fn() -> Result<reqwest::Body>,
        decode: impl FnOnce(&[u8]) -> Result<T>,
    ) -> Result<T> {
        let s = &self.inner;
        let provider = &s.endpoint.provider;
        let ep = self.resolved().await?;
        if matches!(ep.auth, Auth::Signer(_)) {
            return Err(Error::new(
                ErrorKind::Unsupported,
                format!("{provider} takes no file uploads through exllm"),
            )
            .with_provider(provider.clone()));
        }
        let t = self.policy(None);
        let upload = async {
            let mut retry = 0;
            let resp = loop {
                let head = head(ep)?;
                let sent = s.transport.send_streaming(&head, body()?, provider).await;
                match sent {
                    Ok(resp) => break resp,
                    Err(e) if e.is_retryable() => match t.retry.delay(retry, e.retry_after()) {
                        Some(delay) => {
                            tracing::warn!(provider = %provider, attempt = retry + 1,
                                delay_ms = delay.as_millis() as u64, reason = %e, "retrying upload");
                            tokio::time::sleep(delay).await;
                            retry += 1;
                        }
                        None => return Err(e),
                    },
                    Err(e) => return Err(e),
                }
            };
            let bytes = s.transport.read_body(resp, provider).await?;
            decode(&bytes).map_err(|e| e.with_provider(provider.clone()))
        };
        limit(t.timeouts.total, TimeoutKind::Total, provider, upload)
            .await
            .map_err(|e| self.redact(e))
    }
}
