//! Scripted replies: what the test server plays on one connection (a whole body, a chunked
//! stream with an optional bad ending, a cut body, a reset, a stall, a reply computed from the
//! request, or a raw script on the socket).

use super::Recorded;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpStream;

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
pub(super) enum Action {
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
pub struct Handler(pub(super) Arc<dyn Fn(&Recorded) -> Reply + Send + Sync>);

impl std::fmt::Debug for Handler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Handler")
    }
}

/// One scripted reply.
#[derive(Debug, Clone)]
pub struct Reply {
    pub(super) status: u16,
    pub(super) headers: Vec<(String, String)>,
    pub(super) action: Action,
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

/// A script that plays a reply by writing raw bytes on the connection (after the request was
/// read): for faults the other replies cannot express (a reset after the headers, a trickle,
/// an endless or huge body generated as it is sent).
#[derive(Clone)]
pub struct RawScript(pub(super) Arc<RawFn>);

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
