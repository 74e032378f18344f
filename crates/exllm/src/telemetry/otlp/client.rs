//! The HTTP client the OTLP exporters post through: the crate's own reqwest (rustls), in its
//! blocking form, because the OpenTelemetry SDK exports from background threads of its own
//! where no async runtime runs. Using it (rather than the exporter crate's built-in client)
//! keeps a single reqwest and TLS stack in the build.

use crate::error::{Error, ErrorKind};
use opentelemetry_http::{Bytes, HttpClient, HttpError, Request, Response};
use std::io::Read;
use std::time::Duration;

/// The most of a collector's answer that is read (answers are tiny; this only bounds a
/// misbehaving server).
const MAX_RESPONSE_BYTES: u64 = 4 * 1024 * 1024;

/// A blocking reqwest client with a whole-request timeout.
#[derive(Debug, Clone)]
pub(super) struct BlockingHttp(reqwest::blocking::Client);

impl BlockingHttp {
    /// A client whose every request (connect, send, read) ends within `timeout`.
    pub(super) fn new(timeout: Duration) -> Result<Self, Error> {
        // reqwest's blocking client runs a runtime of its own, which must not be started from
        // a thread that is driving an async runtime: build it on a fresh thread.
        let built = std::thread::Builder::new()
            .name("exllm-otlp-http".into())
            .spawn(move || {
                reqwest::blocking::Client::builder()
                    .timeout(timeout)
                    .build()
            })
            .map_err(|e| {
                Error::new(ErrorKind::Config, "OTLP: cannot start a thread").with_source(e)
            })?
            .join()
            .map_err(|_| {
                Error::new(ErrorKind::Config, "OTLP: building the HTTP client panicked")
            })?;
        built.map(BlockingHttp).map_err(|e| {
            Error::new(ErrorKind::Config, "OTLP: cannot build the HTTP client").with_source(e)
        })
    }
}

#[async_trait::async_trait]
impl HttpClient for BlockingHttp {
    async fn send_bytes(&self, request: Request<Bytes>) -> Result<Response<Bytes>, HttpError> {
        let (parts, body) = request.into_parts();
        let resp = self
            .0
            .request(parts.method, parts.uri.to_string())
            .headers(parts.headers)
            .body(body.to_vec())
            .send()?;
        let mut out = Response::builder().status(resp.status());
        for (name, value) in resp.headers() {
            out = out.header(name, value);
        }
        let mut bytes = Vec::new();
        resp.take(MAX_RESPONSE_BYTES).read_to_end(&mut bytes)?;
        Ok(out.body(Bytes::from(bytes))?)
    }
}
