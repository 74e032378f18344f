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
mod helpers;
#[cfg(feature = "redis")]
pub mod redis;
mod reply;

pub use helpers::*;
use reply::Action;
// Not every test binary names every one of these.
#[allow(unused_imports)]
pub use reply::{split_every, Ending, Handler, RawFuture, RawScript, Reply, ReplyParts};

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
