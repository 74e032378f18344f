//! Record and replay of HTTP exchanges ("cassettes"), under every provider at once because
//! it sits in the transport: a recording client appends each exchange it makes to a JSON
//! lines file, and a replaying client answers from that file without any network. The file
//! format and the matching rules are documented on [`Cassette`].

use super::http::network_error;
use crate::error::{Error, ErrorKind, Result};
use crate::media::base64;
use bytes::Bytes;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

const REDACTED: &str = "[redacted]";

/// Whether a header or query parameter named `name` may carry a credential.
fn secret_name(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n == "cookie"
        || n == "set-cookie"
        || [
            "key",
            "token",
            "secret",
            "auth",
            "signature",
            "credential",
            "sig",
        ]
        .iter()
        .any(|w| n.contains(w))
}

/// The URL with credential-like query values replaced.
fn redact_url(url: &reqwest::Url) -> String {
    if url.query().is_none() {
        return url.to_string();
    }
    let mut u = url.clone();
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| {
            let v = if secret_name(&k) {
                REDACTED.into()
            } else {
                v.into_owned()
            };
            (k.into_owned(), v)
        })
        .collect();
    u.query_pairs_mut().clear().extend_pairs(pairs);
    u.to_string()
}

/// A body as text when it is UTF-8, else as base64.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Body {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    body: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    body_base64: Option<String>,
}

impl Body {
    fn of(bytes: &[u8]) -> Self {
        match std::str::from_utf8(bytes) {
            Ok(s) => Body {
                body: Some(s.to_owned()),
                body_base64: None,
            },
            Err(_) => Body {
                body: None,
                body_base64: Some(base64::encode(bytes)),
            },
        }
    }

    fn bytes(&self) -> Option<Vec<u8>> {
        match (&self.body, &self.body_base64) {
            (Some(s), _) => Some(s.as_bytes().to_vec()),
            (None, Some(b)) => base64::decode(b),
            (None, None) => Some(Vec::new()),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct RecordedRequest {
    method: String,
    url: String,
    headers: Map<String, Value>,
    #[serde(flatten)]
    body: Body,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct RecordedResponse {
    status: u16,
    headers: Vec<(String, String)>,
    #[serde(flatten)]
    body: Body,
    #[serde(default)]
    chunks: Vec<usize>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Exchange {
    request: RecordedRequest,
    response: RecordedResponse,
}

/// A JSON value with its object keys in sorted order, whatever map the build uses.
fn sorted(v: Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut entries: Vec<(String, Value)> = m.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(entries.into_iter().map(|(k, v)| (k, sorted(v))).collect())
        }
        Value::Array(a) => Value::Array(a.into_iter().map(sorted).collect()),
        other => other,
    }
}

/// The body as compared on replay: canonical JSON, or `None` (not compared) for anything
/// else.
fn normalised(body: &[u8]) -> Option<String> {
    if body.is_empty() {
        return Some(String::new());
    }
    let v: Value = serde_json::from_slice(body).ok()?;
    Some(sorted(v).to_string())
}

/// Where a transport's exchanges go, or come from; given to
/// [`super::HttpTransport::with_cassette`], or by `ClientBuilder::record` and `replay`.
///
/// One line per exchange: `{"request": {...}, "response": {...}}`.
///
/// - `request`: `method`, `url`, `headers` (an object) and `body` (UTF-8 text, or
///   `body_base64`). Credentials never reach the file: the values of `authorization`,
///   `cookie` and every header whose name mentions a key, token, secret, signature or auth
///   are replaced by `[redacted]`, and so are such URL query parameters (`key=`, ...).
/// - `response`: `status`, `headers` (name-value pairs in order, `set-cookie` redacted) and
///   the body byte-exact as `body` (UTF-8) or `body_base64`, with `chunks`, the sizes of the
///   pieces it arrived in: a replayed stream is the same bytes in the same pieces, framing
///   and all.
///
/// Matching on replay: the method, the redacted URL, and the body normalised — a JSON body
/// is compared with its object keys sorted and its whitespace dropped; no field is ignored,
/// since exllm's encoders put nothing random or time-dependent into a request (a
/// `stream_options` object is as deterministic as the rest, and a streamed and a whole call
/// differ in meaning). A body that is not JSON (a multipart upload, whose boundary is random)
/// is not compared. Matching exchanges are served in recorded order; when all of them were
/// served, the last one serves again. A request that matches nothing fails with an
/// [`ErrorKind::Config`] error naming the request, never reaching the network.
#[derive(Debug, Clone)]
pub struct Cassette {
    mode: Mode,
}

#[derive(Debug, Clone)]
enum Mode {
    Record(Arc<Recorder>),
    Replay(Arc<Player>),
}

impl Cassette {
    /// Records into `path` (created when missing; exchanges are appended, so one cassette
    /// can hold several runs).
    pub fn record(path: impl Into<PathBuf>) -> Result<Self> {
        let path = path.into();
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|e| io_error("cannot open the cassette", &path, e))?;
        let recorder = Recorder {
            file: Mutex::new(file),
        };
        Ok(Cassette {
            mode: Mode::Record(Arc::new(recorder)),
        })
    }

    /// Replays the exchanges of `path`.
    pub fn replay(path: impl Into<PathBuf>) -> Result<Self> {
        let path = path.into();
        let text = std::fs::read_to_string(&path)
            .map_err(|e| io_error("cannot read the cassette", &path, e))?;
        let mut exchanges = Vec::new();
        for (i, line) in text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
        {
            let x: Exchange = serde_json::from_str(line).map_err(|e| {
                Error::new(
                    ErrorKind::Config,
                    format!("cassette {} line {}: {e}", path.display(), i + 1),
                )
            })?;
            let key = normalised(&x.request.body.bytes().unwrap_or_default());
            exchanges.push((x, key));
        }
        let used = Mutex::new(vec![false; exchanges.len()]);
        Ok(Cassette {
            mode: Mode::Replay(Arc::new(Player {
                path,
                exchanges,
                used,
            })),
        })
    }

    /// Sends `r` through the cassette: over `client` with the exchange recorded, or answered
    /// from the recording without any network.
    pub(crate) async fn execute(
        &self,
        client: &reqwest::Client,
        r: reqwest::Request,
        provider: &str,
    ) -> Result<reqwest::Response> {
        match &self.mode {
            Mode::Replay(p) => p.answer(&r).map_err(|e| e.with_provider(provider)),
            Mode::Record(rec) => {
                let req = recorded_request(&r);
                let resp = client
                    .execute(r)
                    .await
                    .map_err(|e| network_error(e, provider))?;
                Ok(rec.tee(req, resp))
            }
        }
    }
}

fn io_error(what: &str, path: &Path, e: std::io::Error) -> Error {
    Error::new(ErrorKind::Config, format!("{what} {}: {e}", path.display()))
}

/// The recording side of a [`Cassette`].
#[derive(Debug)]
struct Recorder {
    file: Mutex<std::fs::File>,
}

/// The replaying side of a [`Cassette`].
#[derive(Debug)]
struct Player {
    path: PathBuf,
    exchanges: Vec<(Exchange, Option<String>)>,
    used: Mutex<Vec<bool>>,
}

/// The request as the cassette keeps it.
fn recorded_request(req: &reqwest::Request) -> RecordedRequest {
    let headers = req
        .headers()
        .iter()
        .map(|(k, v)| {
            let v = if secret_name(k.as_str()) {
                REDACTED.to_owned()
            } else {
                String::from_utf8_lossy(v.as_bytes()).into_owned()
            };
            (k.as_str().to_owned(), Value::String(v))
        })
        .collect();
    RecordedRequest {
        method: req.method().to_string(),
        url: redact_url(req.url()),
        headers,
        body: Body::of(req.body().and_then(|b| b.as_bytes()).unwrap_or_default()),
    }
}

impl Player {
    /// The recorded response for `req`, as a live one.
    fn answer(&self, req: &reqwest::Request) -> Result<reqwest::Response> {
        let method = req.method().as_str();
        let url = redact_url(req.url());
        let body = req.body().and_then(|b| b.as_bytes()).unwrap_or_default();
        let key = normalised(body);
        let matching: Vec<usize> = (0..self.exchanges.len())
            .filter(|&i| {
                let (x, k) = &self.exchanges[i];
                x.request.method == method
                    && x.request.url == url
                    && (key.is_none() || k.is_none() || *k == key)
            })
            .collect();
        let mut used = self.used.lock().unwrap_or_else(|p| p.into_inner());
        let pick = matching
            .iter()
            .copied()
            .find(|&i| !used[i])
            .or(matching.last().copied())
            .ok_or_else(|| self.no_match(method, &url, body))?;
        used[pick] = true;
        drop(used);
        response(&self.exchanges[pick].0.response, &self.path)
    }

    fn no_match(&self, method: &str, url: &str, body: &[u8]) -> Error {
        let text = String::from_utf8_lossy(body);
        let shown: String = text.chars().take(300).collect();
        Error::new(
            ErrorKind::Config,
            format!(
                "replay: no exchange in the cassette {} matches {method} {url} with body {shown}",
                self.path.display()
            ),
        )
    }
}

/// A response served from its recording, in its recorded pieces.
fn response(r: &RecordedResponse, path: &Path) -> Result<reqwest::Response> {
    let bad = || {
        Error::new(
            ErrorKind::Config,
            format!(
                "cassette {}: a response body is not valid base64",
                path.display()
            ),
        )
    };
    let bytes = Bytes::from(r.body.bytes().ok_or_else(bad)?);
    let mut pieces = Vec::new();
    let mut at = 0;
    for &n in &r.chunks {
        let end = (at + n).min(bytes.len());
        pieces.push(bytes.slice(at..end));
        at = end;
    }
    if at < bytes.len() {
        pieces.push(bytes.slice(at..));
    }
    let stream = futures_util::stream::iter(pieces.into_iter().map(Ok::<_, std::io::Error>));
    let mut b = http::Response::builder().status(r.status);
    for (k, v) in &r.headers {
        b = b.header(k.as_str(), v.as_str());
    }
    b.body(reqwest::Body::wrap_stream(stream))
        .map(reqwest::Response::from)
        .map_err(|e| {
            Error::new(
                ErrorKind::Config,
                format!(
                    "cassette {}: a response cannot be rebuilt: {e}",
                    path.display()
                ),
            )
        })
}

/// What a recording response has seen so far; written to the cassette when the body ends
/// or is dropped, whichever comes first.
struct Tape {
    recorder: Arc<Recorder>,
    exchange: Option<Exchange>,
    body: Vec<u8>,
}

impl Tape {
    fn write(&mut self) {
        let Some(mut x) = self.exchange.take() else {
            return;
        };
        x.response.body = Body::of(&self.body);
        let Ok(mut line) = serde_json::to_string(&x) else {
            return;
        };
        line.push('\n');
        let mut file = self.recorder.file.lock().unwrap_or_else(|p| p.into_inner());
        if let Err(e) = file.write_all(line.as_bytes()) {
            tracing::warn!("cannot write to the cassette: {e}");
        }
    }
}

impl Drop for Tape {
    fn drop(&mut self) {
        self.write();
    }
}

impl Recorder {
    /// `resp` unchanged for its reader, its bytes also going to the cassette.
    fn tee(self: &Arc<Self>, req: RecordedRequest, resp: reqwest::Response) -> reqwest::Response {
        let headers = resp
            .headers()
            .iter()
            .map(|(k, v)| {
                let v = if k.as_str().eq_ignore_ascii_case("set-cookie") {
                    REDACTED.to_owned()
                } else {
                    String::from_utf8_lossy(v.as_bytes()).into_owned()
                };
                (k.as_str().to_owned(), v)
            })
            .collect();
        let mut out = http::Response::builder()
            .status(resp.status())
            .version(resp.version());
        if let Some(h) = out.headers_mut() {
            *h = resp.headers().clone();
        }
        let tape = Tape {
            recorder: self.clone(),
            exchange: Some(Exchange {
                request: req,
                response: RecordedResponse {
                    status: resp.status().as_u16(),
                    headers,
                    body: Body::default(),
                    chunks: Vec::new(),
                },
            }),
            body: Vec::new(),
        };
        let inner = Box::pin(resp.bytes_stream());
        let body =
            futures_util::stream::unfold((inner, tape), |(mut inner, mut tape)| async move {
                match inner.next().await {
                    Some(item) => {
                        if let Ok(chunk) = &item {
                            tape.body.extend_from_slice(chunk);
                            if let Some(x) = tape.exchange.as_mut() {
                                x.response.chunks.push(chunk.len());
                            }
                        }
                        Some((item, (inner, tape)))
                    }
                    None => {
                        tape.write();
                        None
                    }
                }
            });
        // The status and headers come from a valid response, so the builder cannot fail;
        // if it did, the body would be lost, so the error is kept as an empty 502.
        out.body(reqwest::Body::wrap_stream(body))
            .map(reqwest::Response::from)
            .unwrap_or_else(|e| {
                tracing::warn!("cannot record a response: {e}");
                let mut r = http::Response::new(reqwest::Body::from(Vec::<u8>::new()));
                *r.status_mut() = http::StatusCode::BAD_GATEWAY;
                reqwest::Response::from(r)
            })
    }
}

#[cfg(test)]
#[path = "cassette_tests.rs"]
mod tests;
