//! Fault builders for `tests/faults/`: a client for any provider row of `support/matrix/`
//! with chosen retries, timeouts and auto-resume; the event boundaries of a row's streamed
//! answer (SSE, NDJSON or AWS event stream), so a fault can be placed right after some
//! content; provider-shaped error bodies; and raw socket scripts for faults the scripted
//! replies cannot express (a reset after the headers, a trickle, an endless or huge body
//! generated as it is sent).

#![allow(dead_code)]

use crate::matrix::Wire;
use crate::support::{Reply, TestServer, KEY};
use exllm::transport::{RetryPolicy, Timeouts};
use exllm::{Api, ClientBuilder};
use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

/// A client builder for `row` against `server`: its base URL and credentials, no environment,
/// no retries (the tests set their own).
pub fn builder(row: &Wire, server: &TestServer) -> ClientBuilder {
    let b = exllm::Client::builder()
        .env_lookup(|_| None)
        .retry(RetryPolicy::none());
    match row.name {
        "openai chat" => b.base_url("openai", server.url()).api_key("openai", KEY),
        "openai responses" => b
            .base_url("openai", server.url())
            .api_key("openai", KEY)
            .api("openai", Api::OpenAiResponses),
        "cohere" => b
            .base_url("cohere", format!("{}/v2", server.root()))
            .api_key("cohere", KEY),
        "ollama" => b.base_url("ollama", server.root()),
        "bedrock" => b
            .base_url("bedrock", server.root())
            .aws_credentials(
                "bedrock",
                "AKIDEXAMPLE",
                "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                None,
            )
            .region("bedrock", "us-east-1"),
        // anthropic, gemini, mistral: `<provider>/<model>` with a key at `/v1`.
        other => b.base_url(other, server.url()).api_key(other, KEY),
    }
}

/// Short timeouts for fault tests: first byte and stall `t`, no total.
pub fn short(t: Duration) -> Timeouts {
    Timeouts::default().with_first_byte(t).with_stall(t)
}

/// How a row streams.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Sse,
    Ndjson,
    AwsEventStream,
}

/// A row's streamed answer taken apart: status, headers, body and its events.
#[derive(Debug, Clone)]
pub struct Streamed {
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub format: Format,
    /// Byte ranges of the body's events, in order, covering it.
    pub events: Vec<Range<usize>>,
}

impl Streamed {
    /// The streamed text answer of `row` in these deltas.
    pub fn of(row: &Wire, deltas: &[&str]) -> Streamed {
        let (_, headers, body) = (row.text_stream)(deltas)
            .parts()
            .expect("a scripted stream");
        let ct = header(&headers, "content-type").unwrap_or_default();
        let format = if ct.contains("event-stream") && !ct.contains("amazon") {
            Format::Sse
        } else if ct.contains("ndjson") {
            Format::Ndjson
        } else if ct.contains("amazon.eventstream") {
            Format::AwsEventStream
        } else {
            panic!("{}: unknown stream type {ct}", row.name)
        };
        let events = split_events(format, &body);
        Streamed {
            headers,
            body,
            format,
            events,
        }
    }

    pub fn content_type(&self) -> String {
        header(&self.headers, "content-type").unwrap_or_default()
    }

    /// The index of the first event containing `marker`.
    pub fn event_with(&self, marker: &str) -> usize {
        self.events
            .iter()
            .position(|r| find(&self.body[r.clone()], marker.as_bytes()).is_some())
            .unwrap_or_else(|| panic!("no event contains {marker:?}"))
    }

    /// The body up to the end of the first event containing `marker`.
    pub fn through(&self, marker: &str) -> Vec<u8> {
        self.body[..self.events[self.event_with(marker)].end].to_vec()
    }

    /// The bytes of event `i`.
    pub fn event(&self, i: usize) -> &[u8] {
        &self.body[self.events[i].clone()]
    }

    /// The body after event `i`.
    pub fn after(&self, i: usize) -> Vec<u8> {
        self.body[self.events[i].end..].to_vec()
    }

    /// Event `i` made undecodable in the row's framing: its JSON replaced by a broken one
    /// (SSE keeps the event name), or (AWS) a payload byte flipped so the CRC fails.
    pub fn broken(&self, i: usize) -> Vec<u8> {
        let ev = self.event(i);
        match self.format {
            Format::Sse => {
                let text = String::from_utf8_lossy(ev);
                let mut out = String::new();
                for line in text.split_inclusive('\n') {
                    if line.starts_with("data:") {
                        out.push_str("data: {\"broken\": [1, \n");
                    } else {
                        out.push_str(line);
                    }
                }
                out.into_bytes()
            }
            Format::Ndjson => b"{\"broken\": [1, \n".to_vec(),
            Format::AwsEventStream => {
                let mut ev = ev.to_vec();
                let mid = ev.len() / 2;
                ev[mid] ^= 0x20;
                ev
            }
        }
    }

    /// A `200` streamed reply of these pieces with the row's headers.
    pub fn reply(&self, pieces: Vec<Vec<u8>>) -> Reply {
        let mut r = Reply::stream(&self.content_type(), pieces);
        for (k, v) in &self.headers {
            if k != "content-type" {
                r = r.header(k, v);
            }
        }
        r
    }
}

/// The byte ranges of the events of a streamed body.
pub fn split_events(format: Format, body: &[u8]) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < body.len() {
        let end = match format {
            // `\n\n` or `\r\n\r\n` (Gemini), whichever comes first.
            Format::Sse => [&b"\n\n"[..], b"\r\n\r\n"]
                .iter()
                .filter_map(|t| find(&body[at..], t).map(|i| at + i + t.len()))
                .min(),
            Format::Ndjson => find(&body[at..], b"\n").map(|i| at + i + 1),
            Format::AwsEventStream => {
                let len = u32::from_be_bytes(body[at..at + 4].try_into().unwrap()) as usize;
                Some(at + len)
            }
        }
        .unwrap_or(body.len());
        out.push(at..end);
        at = end;
    }
    out
}

pub fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

pub fn header(headers: &[(String, String)], name: &str) -> Option<String> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.clone())
}

/// An error answer with `status` shaped like `row`'s provider writes it (with `retry-after`
/// seconds when given).
pub fn error_reply(row: &Wire, status: u16, retry_after: Option<u64>) -> Reply {
    let message = match status {
        429 => "Rate limit reached, please retry later",
        529 => "Overloaded",
        _ => "The server had an error while processing your request",
    };
    let mut r = match row.name {
        "anthropic" => {
            let kind = match status {
                429 => "rate_limit_error",
                529 => "overloaded_error",
                _ => "api_error",
            };
            Reply::json(
                status,
                format!(r#"{{"type":"error","error":{{"type":"{kind}","message":"{message}"}}}}"#),
            )
        }
        "gemini" => {
            let st = match status {
                429 => "RESOURCE_EXHAUSTED",
                503 | 529 => "UNAVAILABLE",
                _ => "INTERNAL",
            };
            Reply::json(
                status,
                format!(r#"{{"error":{{"code":{status},"message":"{message}","status":"{st}"}}}}"#),
            )
        }
        "bedrock" => {
            let kind = match status {
                429 => "ThrottlingException",
                503 | 529 => "ServiceUnavailableException",
                _ => "InternalServerException",
            };
            Reply::json(status, format!(r#"{{"message":"{message}"}}"#)).header(
                "x-amzn-errortype",
                &format!("{kind}:http://internal.amazon.com/coral/com.amazon.bedrock/"),
            )
        }
        "ollama" => Reply::json(status, format!(r#"{{"error":"{message}"}}"#)),
        "cohere" => Reply::json(status, format!(r#"{{"message":"{message}"}}"#)),
        _ => {
            let kind = if status == 429 {
                "rate_limit_exceeded"
            } else {
                "server_error"
            };
            Reply::json(
                status,
                format!(
                    r#"{{"error":{{"message":"{message}","type":"{kind}","param":null,"code":"{kind}"}}}}"#
                ),
            )
        }
    };
    if let Some(s) = retry_after {
        r = r.header("retry-after", &s.to_string());
    }
    r
}

// ---------------------------------------------------------------------------------------------
// Raw socket scripts

type Script<'a> = crate::support::RawFuture<'a>;

/// A response head: status line, headers, framing header, `connection: close`.
pub fn head(status: u16, headers: &[(String, String)], framing: &str) -> Vec<u8> {
    let mut h = format!("HTTP/1.1 {status} Status\r\n");
    for (k, v) in headers {
        h.push_str(&format!("{k}: {v}\r\n"));
    }
    h.push_str(framing);
    h.push_str("connection: close\r\n\r\n");
    h.into_bytes()
}

/// One chunk of a chunked body.
pub fn chunk(bytes: &[u8]) -> Vec<u8> {
    let mut c = format!("{:x}\r\n", bytes.len()).into_bytes();
    c.extend_from_slice(bytes);
    c.extend_from_slice(b"\r\n");
    c
}

async fn send(sock: &mut TcpStream, bytes: &[u8]) -> bool {
    sock.write_all(bytes).await.is_ok() && sock.flush().await.is_ok()
}

/// Headers (chunked), then `sent` as one chunk, a pause so the client reads it, then a TCP
/// reset (not a clean close).
pub fn reset_after(headers: Vec<(String, String)>, sent: Vec<u8>, chunked: bool) -> Reply {
    Reply::raw(move |sock: &mut TcpStream| -> Script<'_> {
        let headers = headers.clone();
        let sent = sent.clone();
        Box::pin(async move {
            let framing = if chunked {
                "transfer-encoding: chunked\r\n".to_owned()
            } else {
                // A whole body announced twice as long as what is sent.
                format!("content-length: {}\r\n", sent.len() * 2)
            };
            let body = if chunked { chunk(&sent) } else { sent };
            if send(sock, &head(200, &headers, &framing)).await && send(sock, &body).await {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            let _ = sock.set_zero_linger();
        })
    })
}

/// Headers (chunked), then `body` one byte per `gap`, then the end.
pub fn trickle(headers: Vec<(String, String)>, body: Vec<u8>, gap: Duration) -> Reply {
    Reply::raw(move |sock: &mut TcpStream| -> Script<'_> {
        let headers = headers.clone();
        let body = body.clone();
        Box::pin(async move {
            if !send(sock, &head(200, &headers, "transfer-encoding: chunked\r\n")).await {
                return;
            }
            for b in body {
                tokio::time::sleep(gap).await;
                if !send(sock, &chunk(&[b])).await {
                    return;
                }
            }
            let _ = send(sock, b"0\r\n\r\n").await;
        })
    })
}

/// Headers (chunked), `first`, then `repeat` forever (until the client goes away or 20 s
/// pass); `sent` counts the repeats written.
pub fn endless(
    headers: Vec<(String, String)>,
    first: Vec<u8>,
    repeat: Vec<u8>,
    sent: Arc<AtomicUsize>,
) -> Reply {
    Reply::raw(move |sock: &mut TcpStream| -> Script<'_> {
        let headers = headers.clone();
        let first = first.clone();
        let repeat = chunk(&repeat);
        let sent = sent.clone();
        Box::pin(async move {
            if !send(sock, &head(200, &headers, "transfer-encoding: chunked\r\n")).await
                || !send(sock, &chunk(&first)).await
            {
                return;
            }
            let until = tokio::time::Instant::now() + Duration::from_secs(20);
            while tokio::time::Instant::now() < until {
                if !send(sock, &repeat).await {
                    return;
                }
                sent.fetch_add(1, Ordering::Relaxed);
                tokio::task::yield_now().await;
            }
        })
    })
}

/// A `200` body of `total` bytes made on the fly from `prefix` and 256 KiB blocks of `fill`:
/// announced by `content-length` (`declared`) or chunked; `sent` counts the bytes written.
pub fn huge(
    content_type: &str,
    prefix: &[u8],
    fill: u8,
    total: usize,
    declared: bool,
    sent: Arc<AtomicUsize>,
) -> Reply {
    let headers = vec![("content-type".to_owned(), content_type.to_owned())];
    let prefix = prefix.to_vec();
    Reply::raw(move |sock: &mut TcpStream| -> Script<'_> {
        let headers = headers.clone();
        let prefix = prefix.clone();
        let sent = sent.clone();
        Box::pin(async move {
            let framing = if declared {
                format!("content-length: {total}\r\n")
            } else {
                "transfer-encoding: chunked\r\n".to_owned()
            };
            if !send(sock, &head(200, &headers, &framing)).await {
                return;
            }
            // One block, written again and again: nothing of the size of the body is held.
            let block = vec![fill; 256 << 10];
            let mut left = total;
            let mut first = Some(prefix);
            while left > 0 {
                let piece: &[u8] = match &first {
                    Some(p) => p,
                    None => &block,
                };
                let piece = &piece[..piece.len().min(left)];
                let n = piece.len();
                let ok = if declared {
                    send(sock, piece).await
                } else {
                    send(sock, format!("{n:x}\r\n").as_bytes()).await
                        && send(sock, piece).await
                        && send(sock, b"\r\n").await
                };
                if !ok {
                    return;
                }
                first = None;
                sent.fetch_add(n, Ordering::Relaxed);
                left -= n;
            }
            if !declared {
                let _ = send(sock, b"0\r\n\r\n").await;
            }
        })
    })
}
