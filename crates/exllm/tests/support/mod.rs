//! A scripted HTTP/1.1 server on 127.0.0.1 for end-to-end tests of the public API, and the
//! helpers the test files share.
//!
//! Each connection carries one request: the server reads the request head and its body
//! (by its `Content-Length`), records method, path, headers and body, then plays the next
//! scripted [`Reply`] (replies are consumed in order, so "429 then 200" is two replies) and
//! closes the connection. A reply can be a whole body, a chunked stream of pieces (with an
//! optional delay between them and an optional bad ending), a body cut short, a reset before any
//! header, a stall, or one computed from the request ([`Reply::from_fn`], for a server that
//! checks what it receives); a `HEAD` request gets the head alone. The server stops by itself:
//! dropping [`TestServer`] aborts it and every connection task, it gives up after
//! [`IDLE_TIMEOUT`] without a connection, and every read and write has a timeout.

#![allow(dead_code)]

pub mod fixtures;

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;
use tokio::time::timeout;

/// The server stops when no connection arrives for this long.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(30);
/// Reading one request, or writing one piece of a reply, may take at most this long.
pub const IO_TIMEOUT: Duration = Duration::from_secs(10);
/// The key the tests configure; no error may ever show it.
pub const KEY: &str = "sk-test-key-8f3a2c91e7";

/// One request as the server received it.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The request target (`/v1/chat/completions`).
    pub path: String,
    /// Headers in order, names lower-cased.
    pub headers: Vec<(String, String)>,
    /// The body bytes.
    pub body: Vec<u8>,
}

impl Recorded {
    /// The first value of a header (case-insensitive name).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON (panics with the body text when it is not JSON).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "request body is not JSON ({e}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }
}

/// How a streamed reply ends after its last piece.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// The terminating zero-length chunk, then close.
    Clean,
    /// Close the connection without the terminating chunk (a cut in mid-body).
    Close,
    /// Send nothing more for this long, then close without the terminating chunk.
    Stall(Duration),
}

#[derive(Debug, Clone)]
enum Action {
    /// Status, headers and a whole body with `Content-Length`.
    Whole(Vec<u8>),
    /// A chunked body sent piece by piece.
    Chunked {
        pieces: Vec<Vec<u8>>,
        delay: Duration,
        ending: Ending,
    },
    /// Headers announcing `declared` bytes, then `sent` (shorter), then close.
    CutBody { sent: Vec<u8>, declared: usize },
    /// Reset the connection (TCP RST) before sending any byte.
    Reset,
    /// Send nothing for this long, then close.
    Stall(Duration),
    /// The reply is computed from the request.
    Handler(Handler),
    /// A script writes whatever it likes on the socket (see [`Reply::raw`]).
    Raw(RawScript),
}

/// Computes a reply from the request the server received.
#[derive(Clone)]
pub struct Handler(Arc<dyn Fn(&Recorded) -> Reply + Send + Sync>);

impl std::fmt::Debug for Handler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Handler")
    }
}

/// One scripted reply.
#[derive(Debug, Clone)]
pub struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    action: Action,
}

impl Reply {
    /// A whole body with a status and a content type.
    pub fn body(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        Reply {
            status,
            headers: vec![("content-type".into(), content_type.into())],
            action: Action::Whole(body.into()),
        }
    }

    /// A whole JSON body.
    pub fn json(status: u16, body: impl Into<String>) -> Self {
        Self::body(status, "application/json", body.into())
    }

    /// A `200 text/event-stream` reply sent as one chunk per piece.
    pub fn sse(pieces: Vec<Vec<u8>>) -> Self {
        Reply {
            status: 200,
            headers: vec![
                ("content-type".into(), "text/event-stream".into()),
                ("cache-control".into(), "no-cache".into()),
            ],
            action: Action::Chunked {
                pieces,
                delay: Duration::ZERO,
                ending: Ending::Clean,
            },
        }
    }

    /// A `200 text/event-stream` reply of `body` cut into pieces of `n` bytes (boundaries fall
    /// anywhere: inside lines, JSON strings and multi-byte characters).
    pub fn sse_split(body: &str, n: usize) -> Self {
        Self::sse(split_every(body.as_bytes(), n))
    }

    /// Headers announcing a `declared`-byte body, then only `sent`, then close.
    pub fn cut_body(status: u16, sent: impl Into<Vec<u8>>, declared: usize) -> Self {
        Reply {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            action: Action::CutBody {
                sent: sent.into(),
                declared,
            },
        }
    }

    /// A whole reply with no body (`201 Created`, a `HEAD` answer, ...).
    pub fn status(status: u16) -> Self {
        Reply {
            status,
            headers: Vec::new(),
            action: Action::Whole(Vec::new()),
        }
    }

    /// A `200` reply of `content_type` sent as one chunk per piece.
    pub fn stream(content_type: &str, pieces: Vec<Vec<u8>>) -> Self {
        Reply {
            status: 200,
            headers: vec![("content-type".into(), content_type.into())],
            action: Action::Chunked {
                pieces,
                delay: Duration::ZERO,
                ending: Ending::Clean,
            },
        }
    }

    /// A `200 application/x-ndjson` reply, one chunk per JSON line.
    pub fn ndjson(lines: &[serde_json::Value]) -> Self {
        Self::stream(
            "application/x-ndjson",
            lines
                .iter()
                .map(|l| format!("{l}\n").into_bytes())
                .collect(),
        )
    }

    /// A reply computed from the request when it arrives (a server that checks its input).
    pub fn from_fn(f: impl Fn(&Recorded) -> Reply + Send + Sync + 'static) -> Self {
        Reply {
            status: 0,
            headers: Vec::new(),
            action: Action::Handler(Handler(Arc::new(f))),
        }
    }

    /// Reset the connection before any header.
    pub fn reset() -> Self {
        Reply {
            status: 0,
            headers: Vec::new(),
            action: Action::Reset,
        }
    }

    /// Send nothing for `d`, then close.
    pub fn stall(d: Duration) -> Self {
        Reply {
            status: 0,
            headers: Vec::new(),
            action: Action::Stall(d),
        }
    }

    /// Adds a response header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Waits `d` between the pieces of a streamed reply.
    pub fn delay(mut self, d: Duration) -> Self {
        if let Action::Chunked { delay, .. } = &mut self.action {
            *delay = d;
        }
        self
    }

    /// How a streamed reply ends.
    pub fn ending(mut self, e: Ending) -> Self {
        if let Action::Chunked { ending, .. } = &mut self.action {
            *ending = e;
        }
        self
    }
}

/// Cuts bytes into pieces of `n` bytes.
pub fn split_every(bytes: &[u8], n: usize) -> Vec<Vec<u8>> {
    bytes.chunks(n.max(1)).map(<[u8]>::to_vec).collect()
}

#[derive(Default)]
struct State {
    replies: VecDeque<Reply>,
    requests: Vec<Recorded>,
}

/// A running scripted server; dropping it stops it.
pub struct TestServer {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl TestServer {
    /// Starts a server on 127.0.0.1 that plays `replies` in order.
    pub async fn start(replies: Vec<Reply>) -> TestServer {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local addr");
        let state = Arc::new(Mutex::new(State {
            replies: replies.into(),
            requests: Vec::new(),
        }));
        let shared = state.clone();
        let task = tokio::spawn(async move {
            // Dropping the set (when this task ends or is aborted) aborts every connection.
            let mut conns = JoinSet::new();
            while let Ok(Ok((sock, _))) = timeout(IDLE_TIMEOUT, listener.accept()).await {
                while conns.try_join_next().is_some() {}
                conns.spawn(serve(sock, shared.clone()));
            }
        });
        TestServer { addr, state, task }
    }

    /// The base URL to give the client (`http://127.0.0.1:port/v1`).
    pub fn url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// The server's root URL, without a version path (`http://127.0.0.1:port`).
    pub fn root(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `host:port`, as a client sends it in `Host`.
    pub fn host(&self) -> String {
        self.addr.to_string()
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.lock().requests.clone()
    }

    /// How many requests arrived.
    pub fn request_count(&self) -> usize {
        self.lock().requests.len()
    }

    /// The only request received (panics unless exactly one arrived).
    pub fn only_request(&self) -> Recorded {
        let reqs = self.requests();
        assert_eq!(reqs.len(), 1, "expected exactly one request, got {reqs:#?}");
        reqs.into_iter().next().unwrap()
    }

    /// How many scripted replies were not used.
    pub fn replies_left(&self) -> usize {
        self.lock().replies.len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

async fn serve(mut sock: TcpStream, state: Arc<Mutex<State>>) {
    let req = match timeout(IO_TIMEOUT, read_request(&mut sock)).await {
        Ok(Some(r)) => r,
        _ => return,
    };
    let head_only = req.method == "HEAD";
    let reply = {
        let mut st = state.lock().unwrap_or_else(|p| p.into_inner());
        st.requests.push(req.clone());
        st.replies.pop_front()
    };
    let mut reply = reply.unwrap_or_else(|| {
        Reply::json(
            500,
            r#"{"error":{"message":"test server: no scripted reply left","type":"server_error"}}"#,
        )
    });
    while let Action::Handler(Handler(f)) = &reply.action {
        let f = f.clone();
        reply = f(&req);
    }
    if head_only {
        // A HEAD answer is the head alone.
        if let Action::Whole(body) = &mut reply.action {
            body.clear();
        }
    }
    let _ = play(&mut sock, reply).await;
}

/// Reads one request head and its `Content-Length` body.
async fn read_request(sock: &mut TcpStream) -> Option<Recorded> {
    let mut buf = Vec::with_capacity(4096);
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = find(&buf, b"\r\n\r\n") {
            break i;
        }
        if buf.len() > 1 << 20 {
            return None;
        }
        let n = sock.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next()?.split(' ');
    let method = request_line.next()?.to_owned();
    let path = request_line.next()?.to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let len = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = buf[head_end + 4..].to_vec();
    while body.len() < len {
        let n = sock.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    body.truncate(len);
    Some(Recorded {
        method,
        path,
        headers,
        body,
    })
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn head(status: u16, headers: &[(String, String)], framing: &str) -> Vec<u8> {
    let mut h = format!("HTTP/1.1 {status} {}\r\n", reason(status));
    for (k, v) in headers {
        h.push_str(&format!("{k}: {v}\r\n"));
    }
    h.push_str(framing);
    h.push_str("connection: close\r\n\r\n");
    h.into_bytes()
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        529 => "Overloaded",
        _ => "Status",
    }
}

async fn write(sock: &mut TcpStream, bytes: &[u8]) -> std::io::Result<()> {
    match timeout(IO_TIMEOUT, async {
        sock.write_all(bytes).await?;
        sock.flush().await
    })
    .await
    {
        Ok(r) => r,
        Err(_) => Err(std::io::ErrorKind::TimedOut.into()),
    }
}

async fn play(sock: &mut TcpStream, reply: Reply) -> std::io::Result<()> {
    match reply.action {
        Action::Whole(body) => {
            let framing = format!("content-length: {}\r\n", body.len());
            write(sock, &head(reply.status, &reply.headers, &framing)).await?;
            write(sock, &body).await?;
            sock.shutdown().await
        }
        Action::Chunked {
            pieces,
            delay,
            ending,
        } => {
            write(
                sock,
                &head(
                    reply.status,
                    &reply.headers,
                    "transfer-encoding: chunked\r\n",
                ),
            )
            .await?;
            for (i, piece) in pieces.iter().enumerate() {
                if i > 0 && !delay.is_zero() {
                    tokio::time::sleep(delay).await;
                }
                if piece.is_empty() {
                    continue;
                }
                let mut c = format!("{:x}\r\n", piece.len()).into_bytes();
                c.extend_from_slice(piece);
                c.extend_from_slice(b"\r\n");
                write(sock, &c).await?;
            }
            match ending {
                Ending::Clean => write(sock, b"0\r\n\r\n").await?,
                Ending::Close => {}
                Ending::Stall(d) => tokio::time::sleep(d).await,
            }
            sock.shutdown().await
        }
        Action::CutBody { sent, declared } => {
            let framing = format!("content-length: {declared}\r\n");
            write(sock, &head(reply.status, &reply.headers, &framing)).await?;
            write(sock, &sent).await?;
            sock.shutdown().await
        }
        Action::Reset => {
            sock.set_zero_linger()?;
            Ok(())
        }
        Action::Stall(d) => {
            tokio::time::sleep(d).await;
            sock.shutdown().await
        }
        Action::Raw(RawScript(f)) => {
            f(sock).await;
            Ok(())
        }
        Action::Handler(_) => unreachable!("handlers are resolved before playing"),
    }
}

/// A retry policy with 1 ms backoff, to keep tests fast.
pub fn fast_retry(max_retries: u32) -> exllm::transport::RetryPolicy {
    exllm::transport::RetryPolicy {
        max_retries,
        base_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(5),
        ..Default::default()
    }
}

/// A client sending `provider` to `server` with [`KEY`], reading no process environment.
pub fn client_for(provider: &str, server: &TestServer, retries: u32) -> exllm::Client {
    exllm::Client::builder()
        .env_lookup(|_| None)
        .base_url(provider, server.url())
        .api_key(provider, KEY)
        .retry(fast_retry(retries))
        .build()
        .expect("client builds")
}

/// Fails when the key shows in the error's `Debug` or `Display` form.
pub fn assert_no_key(err: &exllm::Error) {
    let debug = format!("{err:?}");
    let display = err.to_string();
    assert!(!debug.contains(KEY), "key leaked in Debug: {debug}");
    assert!(!display.contains(KEY), "key leaked in Display: {display}");
}

/// A system and a user message.
pub fn hello_messages() -> Vec<exllm::Message> {
    vec![
        exllm::Message::system("Be brief."),
        exllm::Message::user("Say hello"),
    ]
}

/// The weather tool the tool-call tests offer.
pub fn weather_tool() -> exllm::Tool {
    exllm::Tool::new(
        "get_weather",
        "Current weather for a city",
        serde_json::json!({
            "type": "object",
            "properties": {
                "city": {"type": "string"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}
            },
            "required": ["city"]
        }),
    )
}

/// The arguments the tool-call fixtures carry.
pub fn weather_args() -> serde_json::Value {
    serde_json::json!({"city": "Paris", "unit": "celsius"})
}

/// Streams `req` and folds the events into the response (or the error, with what arrived).
pub async fn streamed(
    c: &exllm::Client,
    req: exllm::ChatRequest,
) -> exllm::Result<exllm::ChatResponse> {
    c.chat_stream(req).await?.collect_response().await
}

/// A script that plays a reply by writing raw bytes on the connection (after the request was
/// read): for faults the other replies cannot express (a reset after the headers, a trickle,
/// an endless or huge body generated as it is sent).
#[derive(Clone)]
pub struct RawScript(Arc<RawFn>);

/// The future a raw script returns (it borrows the socket).
pub type RawFuture<'a> = std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + 'a>>;

type RawFn = dyn for<'a> Fn(&'a mut TcpStream) -> RawFuture<'a> + Send + Sync;

/// A scripted reply's status, headers and body.
pub type ReplyParts = (u16, Vec<(String, String)>, Vec<u8>);

impl std::fmt::Debug for RawScript {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RawScript")
    }
}

impl Reply {
    /// A reply played by `script` on the raw socket (the connection closes when it returns;
    /// `set_zero_linger` first makes that close a reset).
    pub fn raw(
        script: impl for<'a> Fn(&'a mut TcpStream) -> RawFuture<'a> + Send + Sync + 'static,
    ) -> Self {
        Reply {
            status: 0,
            headers: Vec::new(),
            action: Action::Raw(RawScript(Arc::new(script))),
        }
    }

    /// Status, headers and the whole body of a scripted reply (a streamed reply's pieces
    /// joined), so a test can rebuild it with a fault; `None` for other replies.
    pub fn parts(&self) -> Option<ReplyParts> {
        let body = match &self.action {
            Action::Whole(b) => b.clone(),
            Action::Chunked { pieces, .. } => pieces.concat(),
            _ => return None,
        };
        Some((self.status, self.headers.clone(), body))
    }
}

/// Reads a stream to its end: its text deltas, and its events folded by the caller's own
/// [`exllm::Collector`] (so without the price the client puts on whole answers).
pub async fn deltas_and_folded(mut s: exllm::ChatStream) -> (Vec<String>, exllm::ChatResponse) {
    use futures_util::StreamExt;
    let mut deltas = Vec::new();
    let mut collector = exllm::Collector::new();
    while let Some(e) = s.next().await {
        let e = e.expect("the stream does not fail");
        if let exllm::StreamEvent::TextDelta(t) = &e {
            deltas.push(t.clone());
        }
        collector.push(e);
    }
    (deltas, collector.finish())
}

/// A whole answer with the price the client put on it taken off (asserting there was one), to
/// compare with a stream folded by the caller.
pub fn unpriced(mut resp: exllm::ChatResponse) -> exllm::ChatResponse {
    assert!(resp.cost.take().is_some(), "the catalog prices this model");
    resp
}
