//! The loopback mock: an OpenAI-, Anthropic- and Gemini-compatible server with fixed, realistic
//! bodies, built so it is never the bottleneck. It runs hyper 1.x (HTTP/1.1, keep-alive) on a
//! current-thread runtime in its own thread, bound to `127.0.0.1:0`. Every body is generated once
//! per shape and cached as `Bytes`, so answering costs a lookup and a few writes. It stops by
//! itself after `idle` without a request or `max` in all.
//!
//! Shape is chosen by the model name so that any client can ask for it without extra headers:
//! `bench-K` streams K content chunks, `bench-K-W` makes every chunk W bytes of text (default a
//! short word). Routes: `POST …/chat/completions` (OpenAI), `POST …/messages` (Anthropic),
//! `POST …/models/{m}:generateContent` and `…:streamGenerateContent` (Gemini; SSE with `alt=sse`,
//! else one JSON array). OpenAI and Anthropic stream when the JSON body has `"stream":true`.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::{Request, Response};

/// Bytes per body frame handed to hyper (one write each).
const WRITE: usize = 16 * 1024;

/// A running mock: its address and the thread that serves it.
pub struct Mock {
    /// Where it listens.
    pub addr: SocketAddr,
    /// The serving thread; it ends when the server stops.
    pub thread: std::thread::JoinHandle<()>,
}

/// Starts the mock in its own thread; it stops after `idle` without requests or after `max`.
pub fn spawn(idle: Duration, max: Duration) -> std::io::Result<Mock> {
    let std_listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    std_listener.set_nonblocking(true)?;
    let addr = std_listener.local_addr()?;
    let thread = std::thread::Builder::new()
        .name("exllm-bench-mock".into())
        .spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("mock runtime");
            rt.block_on(serve(std_listener, idle, max));
        })?;
    Ok(Mock { addr, thread })
}

struct State {
    cache: Mutex<HashMap<(Kind, usize, usize), Bytes>>,
    started: Instant,
    /// Milliseconds since `started` of the last request.
    last: AtomicU64,
}

async fn serve(std_listener: std::net::TcpListener, idle: Duration, max: Duration) {
    let listener = tokio::net::TcpListener::from_std(std_listener).expect("mock listener");
    let state = Arc::new(State {
        cache: Mutex::new(HashMap::new()),
        started: Instant::now(),
        last: AtomicU64::new(0),
    });
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((tcp, _)) = accepted else { continue };
                let _ = tcp.set_nodelay(true);
                let state = state.clone();
                tokio::spawn(async move {
                    let io = hyper_util::rt::TokioIo::new(tcp);
                    let svc = hyper::service::service_fn(move |req| handle(state.clone(), req));
                    let _ = hyper::server::conn::http1::Builder::new()
                        .keep_alive(true)
                        .serve_connection(io, svc)
                        .await;
                });
            }
            _ = tick.tick() => {
                let now = state.started.elapsed();
                let last = Duration::from_millis(state.last.load(Ordering::Relaxed));
                if now > max || now.saturating_sub(last) > idle {
                    return;
                }
            }
        }
    }
}

type Body = http_body_util::combinators::BoxBody<Bytes, Infallible>;

/// The wire shape of a body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// OpenAI chat completion JSON.
    OpenAiWhole,
    /// OpenAI chat completion SSE with a usage chunk and `[DONE]`.
    OpenAiStream,
    /// Anthropic message JSON.
    AnthropicWhole,
    /// Anthropic message SSE events.
    AnthropicStream,
    /// Gemini `generateContent` JSON.
    GeminiWhole,
    /// Gemini `streamGenerateContent?alt=sse`.
    GeminiStream,
    /// Gemini `streamGenerateContent` without `alt=sse`: one JSON array, an element per chunk.
    GeminiArray,
}

async fn handle(state: Arc<State>, req: Request<Incoming>) -> Result<Response<Body>, Infallible> {
    state.last.store(
        state.started.elapsed().as_millis() as u64,
        Ordering::Relaxed,
    );
    let path = req.uri().path().to_owned();
    let sse = req.uri().query().is_some_and(|q| q.contains("alt=sse"));
    let body = match req.into_body().collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => Bytes::new(),
    };
    let streaming = contains(&body, b"\"stream\":true") || contains(&body, b"\"stream\": true");
    let kind = if path.ends_with("/chat/completions") {
        if streaming {
            Kind::OpenAiStream
        } else {
            Kind::OpenAiWhole
        }
    } else if path.ends_with("/messages") {
        if streaming {
            Kind::AnthropicStream
        } else {
            Kind::AnthropicWhole
        }
    } else if path.contains(":streamGenerateContent") {
        if sse {
            Kind::GeminiStream
        } else {
            Kind::GeminiArray
        }
    } else if path.contains(":generateContent") {
        Kind::GeminiWhole
    } else {
        return Ok(Response::builder()
            .status(404)
            .header("content-type", "application/json")
            .body(full(Bytes::from_static(
                br#"{"error":{"message":"no such route","type":"invalid_request_error"}}"#,
            )))
            .unwrap());
    };
    // Gemini carries the model in the path; the others in the body.
    let (chunks, width) = if path.contains("bench-") {
        shape(path.as_bytes())
    } else {
        shape(&body)
    };
    let bytes = {
        let mut cache = state.cache.lock().unwrap();
        cache
            .entry((kind, chunks, width))
            .or_insert_with(|| Bytes::from(render(kind, chunks, width)))
            .clone()
    };
    let stream = matches!(
        kind,
        Kind::OpenAiStream | Kind::AnthropicStream | Kind::GeminiStream | Kind::GeminiArray
    );
    let mut resp = Response::builder()
        .status(200)
        .header("x-request-id", "req_bench");
    let body = if stream {
        let ct = if kind == Kind::GeminiArray {
            "application/json; charset=UTF-8"
        } else {
            "text/event-stream; charset=utf-8"
        };
        resp = resp
            .header("content-type", ct)
            .header("cache-control", "no-cache");
        let frames = (0..bytes.len().div_ceil(WRITE)).map(move |i| {
            let end = ((i + 1) * WRITE).min(bytes.len());
            Ok::<_, Infallible>(Frame::data(bytes.slice(i * WRITE..end)))
        });
        BodyExt::boxed(StreamBody::new(futures_util::stream::iter(frames)))
    } else {
        resp = resp.header("content-type", "application/json");
        full(bytes)
    };
    Ok(resp.body(body).unwrap())
}

fn full(b: Bytes) -> Body {
    BodyExt::boxed(Full::new(b))
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// `(chunks, width)` from the first `bench-K[-W]` in `s`; width 0 means short words.
pub fn shape(s: &[u8]) -> (usize, usize) {
    let Some(at) = s.windows(6).position(|w| w == b"bench-") else {
        return (200, 0);
    };
    let rest = &s[at + 6..];
    let (k, rest) = digits(rest);
    let w = match rest.first() {
        Some(b'-') => digits(&rest[1..]).0,
        _ => 0,
    };
    (if k == 0 { 200 } else { k }, w)
}

fn digits(s: &[u8]) -> (usize, &[u8]) {
    let n = s.iter().take_while(|b| b.is_ascii_digit()).count();
    let v = std::str::from_utf8(&s[..n])
        .ok()
        .and_then(|d| d.parse().ok())
        .unwrap_or(0);
    (v, &s[n..])
}

const WORDS: [&str; 16] = [
    " The",
    " quick",
    " answer",
    " is",
    " that",
    " Paris",
    " has",
    " been",
    " the",
    " capital",
    " of",
    " France",
    " since",
    " the",
    " tenth",
    " century.",
];

/// The text of chunk `i`: a short word, or `width` bytes.
fn piece(i: usize, width: usize) -> String {
    if width == 0 {
        return WORDS[i % WORDS.len()].to_owned();
    }
    let mut s = String::with_capacity(width);
    while s.len() < width {
        s.push_str(WORDS[(i + s.len()) % WORDS.len()]);
    }
    s.truncate(width);
    s
}

fn json_str(s: &str) -> String {
    serde_json::to_string(s).unwrap()
}

const ANSWER: &str = "The capital of France is Paris. It has been the country's political and cultural centre since the tenth century, and today it is home to about two million people in the city proper and more than twelve million in the wider metropolitan area. Its best-known landmarks include the Eiffel Tower, the Louvre and Notre-Dame.";

/// Renders one body.
pub fn render(kind: Kind, chunks: usize, width: usize) -> Vec<u8> {
    let mut out = String::new();
    match kind {
        Kind::OpenAiWhole => {
            out.push_str(&format!(
                r#"{{"id":"chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT","object":"chat.completion","created":1741569952,"model":"gpt-4o-mini-2024-07-18","choices":[{{"index":0,"message":{{"role":"assistant","content":{},"refusal":null,"annotations":[]}},"logprobs":null,"finish_reason":"stop"}}],"usage":{{"prompt_tokens":19,"completion_tokens":74,"total_tokens":93,"prompt_tokens_details":{{"cached_tokens":0,"audio_tokens":0}},"completion_tokens_details":{{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}}},"service_tier":"default","system_fingerprint":"fp_06737a9306"}}"#,
                json_str(ANSWER)
            ));
        }
        Kind::OpenAiStream => {
            let head = r#"{"id":"chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT","object":"chat.completion.chunk","created":1741569952,"model":"gpt-4o-mini-2024-07-18","service_tier":"default","system_fingerprint":"fp_06737a9306","choices":"#;
            out.push_str(&format!(
                "data: {head}[{{\"index\":0,\"delta\":{{\"role\":\"assistant\",\"content\":\"\",\"refusal\":null}},\"logprobs\":null,\"finish_reason\":null}}],\"usage\":null}}\n\n"
            ));
            for i in 0..chunks {
                out.push_str(&format!(
                    "data: {head}[{{\"index\":0,\"delta\":{{\"content\":{}}},\"logprobs\":null,\"finish_reason\":null}}],\"usage\":null}}\n\n",
                    json_str(&piece(i, width))
                ));
            }
            out.push_str(&format!(
                "data: {head}[{{\"index\":0,\"delta\":{{}},\"logprobs\":null,\"finish_reason\":\"stop\"}}],\"usage\":null}}\n\n"
            ));
            out.push_str(&format!(
                "data: {head}[],\"usage\":{{\"prompt_tokens\":19,\"completion_tokens\":{chunks},\"total_tokens\":{},\"prompt_tokens_details\":{{\"cached_tokens\":0,\"audio_tokens\":0}},\"completion_tokens_details\":{{\"reasoning_tokens\":0,\"audio_tokens\":0,\"accepted_prediction_tokens\":0,\"rejected_prediction_tokens\":0}}}}}}\n\n",
                chunks + 19
            ));
            out.push_str("data: [DONE]\n\n");
        }
        Kind::AnthropicWhole => {
            out.push_str(&format!(
                r#"{{"id":"msg_01XFDUDYJgAACzvnptvVoYEL","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929","content":[{{"type":"text","text":{}}}],"stop_reason":"end_turn","stop_sequence":null,"usage":{{"input_tokens":19,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":74,"service_tier":"standard"}}}}"#,
                json_str(ANSWER)
            ));
        }
        Kind::AnthropicStream => {
            out.push_str("event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_01XFDUDYJgAACzvnptvVoYEL\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-sonnet-4-5-20250929\",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":19,\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":0,\"output_tokens\":1,\"service_tier\":\"standard\"}}}\n\n");
            out.push_str("event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n");
            out.push_str("event: ping\ndata: {\"type\": \"ping\"}\n\n");
            for i in 0..chunks {
                out.push_str(&format!(
                    "event: content_block_delta\ndata: {{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{{\"type\":\"text_delta\",\"text\":{}}}}}\n\n",
                    json_str(&piece(i, width))
                ));
            }
            out.push_str("event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n");
            out.push_str(&format!("event: message_delta\ndata: {{\"type\":\"message_delta\",\"delta\":{{\"stop_reason\":\"end_turn\",\"stop_sequence\":null}},\"usage\":{{\"output_tokens\":{chunks}}}}}\n\n"));
            out.push_str("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");
        }
        Kind::GeminiWhole => {
            out.push_str(&format!(
                r#"{{"candidates":[{{"content":{{"parts":[{{"text":{}}}],"role":"model"}},"finishReason":"STOP","avgLogprobs":-0.1825}}],"usageMetadata":{{"promptTokenCount":19,"candidatesTokenCount":74,"totalTokenCount":93,"promptTokensDetails":[{{"modality":"TEXT","tokenCount":19}}],"candidatesTokensDetails":[{{"modality":"TEXT","tokenCount":74}}]}},"modelVersion":"gemini-2.0-flash","responseId":"2X3yZ6HnF5-GmecP5Pm1uQk"}}"#,
                json_str(ANSWER)
            ));
        }
        Kind::GeminiStream | Kind::GeminiArray => {
            let array = kind == Kind::GeminiArray;
            if array {
                out.push('[');
            }
            for i in 0..chunks {
                let last = i + 1 == chunks;
                let finish = if last {
                    r#","finishReason":"STOP""#
                } else {
                    ""
                };
                let usage = if last {
                    format!(
                        r#""usageMetadata":{{"promptTokenCount":19,"candidatesTokenCount":{chunks},"totalTokenCount":{},"promptTokensDetails":[{{"modality":"TEXT","tokenCount":19}}]}}"#,
                        chunks + 19
                    )
                } else {
                    r#""usageMetadata":{"promptTokenCount":19,"totalTokenCount":19,"promptTokensDetails":[{"modality":"TEXT","tokenCount":19}]}"#.to_owned()
                };
                let item = format!(
                    "{{\"candidates\":[{{\"content\":{{\"parts\":[{{\"text\":{}}}],\"role\":\"model\"}}{finish}}}],{usage},\"modelVersion\":\"gemini-2.0-flash\",\"responseId\":\"2X3yZ6HnF5-GmecP5Pm1uQk\"}}",
                    json_str(&piece(i, width))
                );
                if array {
                    out.push_str(if i == 0 { "" } else { ",\r\n" });
                    out.push_str(&item);
                } else {
                    out.push_str(&format!("data: {item}\r\n\r\n"));
                }
            }
            if array {
                out.push(']');
            }
        }
    }
    out.into_bytes()
}
