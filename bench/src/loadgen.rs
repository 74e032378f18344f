//! A lean HTTP/1.1 load generator for the gateway benchmark: `concurrency` keep-alive
//! connections on one current-thread runtime, each sending the same OpenAI chat request
//! back to back, until `n` requests are done or `max` has passed. It counts what arrives
//! (SSE `data:` events for streams) without keeping it, and times every request, so the
//! process under test — the gateway — gets as much of the machine as possible.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use serde::Serialize;

use crate::clients::BoxError;

/// One load: where, what and how much.
#[derive(Debug, Clone)]
pub struct Load {
    /// `host:port`.
    pub addr: String,
    /// The request path (`/v1/chat/completions`).
    pub path: String,
    /// Extra request headers.
    pub headers: Vec<(String, String)>,
    /// The model the body names (`bench-K`).
    pub model: String,
    /// Whether the body asks for a stream.
    pub stream: bool,
    /// Connections, each with one request in flight.
    pub concurrency: usize,
    /// Requests to send (the run stops earlier at `max`).
    pub n: usize,
    /// The longest the run may take.
    pub max: Duration,
    /// The fewest `data:` events a stream must carry to count as complete.
    pub min_events: usize,
}

/// What one load measured.
#[derive(Debug, Clone, Default, Serialize)]
pub struct LoadStats {
    /// Requests answered 200 (and, for streams, with at least `min_events` events).
    pub ok: usize,
    /// Requests that failed (status, transport, short stream).
    pub errors: usize,
    /// The first failure, for the report.
    pub first_error: Option<String>,
    /// Wall time of the run, seconds.
    pub wall_s: f64,
    /// Median latency of the successful requests, µs.
    pub p50_us: f64,
    /// 99th percentile latency, µs.
    pub p99_us: f64,
    /// Successful requests per second.
    pub rps: f64,
    /// SSE `data:` events received over all streams.
    pub events: usize,
    /// Response body bytes received.
    pub bytes: usize,
}

/// The request body: a short system prompt and question, as the client benchmarks send.
pub fn body(model: &str, stream: bool) -> Bytes {
    let extra = if stream {
        r#","stream":true,"stream_options":{"include_usage":true}"#
    } else {
        ""
    };
    Bytes::from(format!(
        r#"{{"model":"{model}","messages":[{{"role":"system","content":"You are a concise assistant. Answer in one short paragraph."}},{{"role":"user","content":"What is the capital of France, and what is it known for?"}}],"max_tokens":256{extra}}}"#
    ))
}

struct Shared {
    next: Cell<usize>,
    lat: RefCell<Vec<Duration>>,
    stats: RefCell<LoadStats>,
    deadline: Instant,
}

impl Shared {
    fn take(&self, n: usize) -> bool {
        let i = self.next.get();
        if i >= n || Instant::now() >= self.deadline {
            return false;
        }
        self.next.set(i + 1);
        true
    }

    fn fail(&self, e: String) {
        let mut s = self.stats.borrow_mut();
        s.errors += 1;
        if s.first_error.is_none() {
            s.first_error = Some(e);
        }
    }
}

/// Runs `load` on a fresh current-thread runtime.
pub fn run(load: &Load) -> Result<LoadStats, BoxError> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let local = tokio::task::LocalSet::new();
    local.block_on(&rt, run_local(load))
}

async fn run_local(load: &Load) -> Result<LoadStats, BoxError> {
    let shared = Rc::new(Shared {
        next: Cell::new(0),
        lat: RefCell::new(Vec::with_capacity(load.n.min(1 << 20))),
        stats: RefCell::new(LoadStats::default()),
        deadline: Instant::now() + load.max,
    });
    let body = body(&load.model, load.stream);
    let t0 = Instant::now();
    let workers = (0..load.concurrency.max(1)).map(|_| worker(load, &shared, body.clone()));
    futures_util::future::join_all(workers).await;
    let wall = t0.elapsed();
    let mut lat = std::mem::take(&mut *shared.lat.borrow_mut());
    let mut stats = shared.stats.borrow().clone();
    lat.sort();
    let pct = |p: f64| {
        if lat.is_empty() {
            return f64::NAN;
        }
        let i = ((lat.len() as f64 * p).ceil() as usize).clamp(1, lat.len()) - 1;
        lat[i].as_secs_f64() * 1e6
    };
    stats.wall_s = wall.as_secs_f64();
    stats.p50_us = pct(0.50);
    stats.p99_us = pct(0.99);
    stats.rps = stats.ok as f64 / stats.wall_s;
    Ok(stats)
}

type Sender = hyper::client::conn::http1::SendRequest<Full<Bytes>>;

async fn connect(addr: &str) -> Result<Sender, BoxError> {
    let tcp = tokio::net::TcpStream::connect(addr).await?;
    tcp.set_nodelay(true)?;
    let (sender, conn) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(tcp)).await?;
    tokio::task::spawn_local(async move {
        let _ = conn.await;
    });
    Ok(sender)
}

async fn worker(load: &Load, shared: &Shared, body: Bytes) {
    let mut sender: Option<Sender> = None;
    while shared.take(load.n) {
        if sender.as_ref().is_none_or(|s| s.is_closed()) {
            match connect(&load.addr).await {
                Ok(s) => sender = Some(s),
                Err(e) => {
                    shared.fail(format!("connect: {e}"));
                    // A refused connection fails fast; do not spin through the whole run.
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            }
        }
        let s = sender.as_mut().expect("connected above");
        let t = Instant::now();
        match one(s, load, body.clone()).await {
            Ok((events, bytes)) => {
                if load.stream && events < load.min_events {
                    shared.fail(format!(
                        "a stream ended after {events} events ({} expected)",
                        load.min_events
                    ));
                    continue;
                }
                shared.lat.borrow_mut().push(t.elapsed());
                let mut st = shared.stats.borrow_mut();
                st.ok += 1;
                st.events += events;
                st.bytes += bytes;
            }
            Err(e) => {
                shared.fail(e.to_string());
                sender = None;
            }
        }
    }
}

/// Sends one request and reads the answer to its end: `(data events, body bytes)`.
async fn one(s: &mut Sender, load: &Load, body: Bytes) -> Result<(usize, usize), BoxError> {
    s.ready().await?;
    let mut req = Request::post(load.path.as_str())
        .header("host", load.addr.as_str())
        .header("content-type", "application/json");
    for (k, v) in &load.headers {
        req = req.header(k.as_str(), v.as_str());
    }
    let resp = s.send_request(req.body(Full::new(body))?).await?;
    let status = resp.status();
    let mut b = resp.into_body();
    let (mut events, mut bytes) = (0, 0);
    // The last bytes of the previous frame, so an event marker split across frames counts.
    let mut tail: Vec<u8> = Vec::with_capacity(8);
    let mut first = Vec::new();
    while let Some(frame) = b.frame().await {
        let frame = frame?;
        let Some(data) = frame.data_ref() else {
            continue;
        };
        bytes += data.len();
        if !status.is_success() && first.len() < 300 {
            first.extend_from_slice(&data[..data.len().min(300)]);
        }
        if load.stream {
            events += memchr::memmem::find_iter(data, b"data:").count();
            // A marker split across two frames lies within their joined edges (4 + 4 bytes:
            // neither side alone can hold all 5 of its bytes).
            let mut edge = std::mem::take(&mut tail);
            edge.extend_from_slice(&data[..data.len().min(4)]);
            events += memchr::memmem::find_iter(&edge, b"data:").count();
            tail.clear();
            tail.extend_from_slice(&data[data.len().saturating_sub(4)..]);
        }
    }
    if !status.is_success() {
        return Err(format!("HTTP {status}: {}", String::from_utf8_lossy(&first)).into());
    }
    Ok((events, bytes))
}
