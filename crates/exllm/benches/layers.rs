//! What the reliability layers cost per call when nothing fails: an OpenAI Chat call (whole,
//! and streamed) through exllm to a keep-alive HTTP server on 127.0.0.1, with retries, the
//! circuit breaker and stream recovery on (the defaults) against the same call with
//! `RetryPolicy::none()`, `BreakerPolicy::off()` and `.recovery(None)`. The difference of the
//! two is the layers' overhead; the rest is HTTP, encoding and decoding.

use criterion::{criterion_group, criterion_main, Criterion};
use exllm::recovery::RecoveryStore;
use exllm::transport::{BreakerPolicy, RetryPolicy};
use exllm::{ChatRequest, Client, Message};
use std::hint::black_box;
use std::net::SocketAddr;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const WHOLE: &str = r#"{"id":"chatcmpl-1","object":"chat.completion","created":1741569952,"model":"gpt-4o-mini-2024-07-18","choices":[{"index":0,"message":{"role":"assistant","content":"The capital of France is Paris.","refusal":null},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":19,"completion_tokens":8,"total_tokens":27}}"#;

fn stream_body() -> String {
    let chunk = |delta: &str, finish: &str| {
        format!(
            "data: {{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1741569952,\"model\":\"gpt-4o-mini\",\"choices\":[{{\"index\":0,\"delta\":{delta},\"finish_reason\":{finish}}}]}}\n\n"
        )
    };
    let mut s = chunk(r#"{"role":"assistant","content":""}"#, "null");
    for w in ["The", " capital", " of", " France", " is", " Paris", "."] {
        s += &chunk(&format!(r#"{{"content":"{w}"}}"#), "null");
    }
    s += &chunk("{}", "\"stop\"");
    s += "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1741569952,\"model\":\"gpt-4o-mini\",\"choices\":[],\"usage\":{\"prompt_tokens\":19,\"completion_tokens\":8,\"total_tokens\":27}}\n\n";
    s += "data: [DONE]\n\n";
    s
}

/// Serves every request on a connection (keep-alive): a streamed answer when the body asks
/// for one, else the whole answer.
async fn serve(mut sock: TcpStream) {
    let whole = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{WHOLE}",
        WHOLE.len()
    );
    let body = stream_body();
    let streamed = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    let mut buf = Vec::with_capacity(8192);
    let mut chunk = [0u8; 8192];
    loop {
        // The head, then the body by its content-length.
        let head_end = loop {
            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            match sock.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
        let len: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0);
        while buf.len() < head_end + len {
            match sock.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
        let wants_stream = buf[head_end..head_end + len]
            .windows(13)
            .any(|w| w == b"\"stream\":true");
        buf.drain(..head_end + len);
        let reply = if wants_stream { &streamed } else { &whole };
        if sock.write_all(reply.as_bytes()).await.is_err() {
            return;
        }
    }
}

fn start_server(rt: &tokio::runtime::Runtime) -> SocketAddr {
    rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((sock, _)) = listener.accept().await {
                let _ = sock.set_nodelay(true);
                tokio::spawn(serve(sock));
            }
        });
        addr
    })
}

fn client(addr: SocketAddr, layers: bool) -> Client {
    let b = Client::builder()
        .env_lookup(|_| None)
        .base_url("openai", format!("http://{addr}/v1"))
        .api_key("openai", "sk-bench");
    let b = if layers {
        b.retry(RetryPolicy::default())
            .breaker(BreakerPolicy::default())
            .recovery(Some(RecoveryStore::default()))
    } else {
        b.retry(RetryPolicy::none())
            .breaker(BreakerPolicy::off())
            .recovery(None)
    };
    b.build().unwrap()
}

fn layers(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let addr = start_server(&rt);
    let req = ChatRequest::new(
        "openai/gpt-4o-mini",
        vec![
            Message::system("Be brief."),
            Message::user("What is the capital of France?"),
        ],
    )
    .with_max_tokens(64);

    let mut g = c.benchmark_group("layers");
    for (name, on) in [("on", true), ("off", false)] {
        let cl = client(addr, on);
        // Warm the connection pool so every measured call reuses one connection.
        rt.block_on(cl.chat(req.clone())).unwrap();
        g.bench_function(format!("chat/{name}"), |b| {
            b.iter(|| {
                let r = rt.block_on(cl.chat(black_box(req.clone()))).unwrap();
                black_box(r)
            })
        });
        g.bench_function(format!("chat_stream/{name}"), |b| {
            b.iter(|| {
                let r = rt
                    .block_on(async {
                        cl.chat_stream(black_box(req.clone()))
                            .await?
                            .collect_response()
                            .await
                    })
                    .unwrap();
                black_box(r)
            })
        });
    }
    g.finish();
}

criterion_group!(benches, layers);
criterion_main!(benches);
