//! Retries and recovery. A provider that fails with a 503 once is retried after a backoff; a
//! stream that breaks half-way keeps what arrived, and `Client::resume` continues it instead
//! of paying for the whole answer again. `cargo run -p exllm --example retries`; needs no key:
//! a flaky OpenAI-compatible server runs on 127.0.0.1 in this process, and the mock plays the
//! broken stream. With `OPENAI_API_KEY` set, the same retry policy then serves a real call.

use exllm::recovery::ResumeStrategy;
use exllm::telemetry::{Callback, RetryInfo};
use exllm::{
    ChatRequest, ChatResponse, Client, Error, ErrorKind, Message, MockProvider, RetryPolicy,
};
use futures_util::future::BoxFuture;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Answers 503 to the first request, then a chat completion.
async fn flaky_server() -> std::io::Result<String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let served = Arc::new(AtomicUsize::new(0));
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let n = served.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let mut buf = vec![0u8; 64 * 1024];
                let mut got = Vec::new();
                // Read the head and the body its Content-Length announces.
                loop {
                    let Ok(k) = sock.read(&mut buf).await else {
                        return;
                    };
                    if k == 0 {
                        return;
                    }
                    got.extend_from_slice(&buf[..k]);
                    let text = String::from_utf8_lossy(&got).to_lowercase();
                    if let Some(end) = text.find("\r\n\r\n") {
                        let len = text[..end]
                            .lines()
                            .find_map(|l| l.strip_prefix("content-length:"))
                            .and_then(|v| v.trim().parse::<usize>().ok())
                            .unwrap_or(0);
                        if got.len() >= end + 4 + len {
                            break;
                        }
                    }
                }
                let (status, body) = if n == 0 {
                    (
                        "503 Service Unavailable",
                        r#"{"error":{"message":"overloaded, try again","type":"server_error"}}"#
                            .to_owned(),
                    )
                } else {
                    ("200 OK", serde_json::json!({
                        "id": "chatcmpl-1", "object": "chat.completion", "model": "gpt-4o-mini",
                        "choices": [{"index": 0, "finish_reason": "stop",
                            "message": {"role": "assistant", "content": "Answered on the second try."}}],
                        "usage": {"prompt_tokens": 9, "completion_tokens": 5, "total_tokens": 14}
                    }).to_string())
                };
                let reply = format!(
                    "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = sock.write_all(reply.as_bytes()).await;
            });
        }
    });
    Ok(format!("http://{addr}/v1"))
}

/// Prints each retry as it is scheduled.
struct ShowRetries;

impl Callback for ShowRetries {
    fn on_retry<'a>(&'a self, retry: &'a RetryInfo<'a>) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            println!(
                "retry {} on {} in {:?}: {}",
                retry.attempt, retry.provider, retry.delay, retry.error
            );
        })
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> exllm::Result<()> {
    // 1. Retries: a 503 is retryable, so the client waits and asks again.
    let url = flaky_server()
        .await
        .map_err(|e| Error::new(ErrorKind::Network, e.to_string()))?;
    let client = Client::builder()
        .base_url("openai", url)
        .api_key("openai", "sk-example")
        .retry(RetryPolicy {
            max_retries: 3,
            base_delay: Duration::from_millis(50),
            ..Default::default()
        })
        .callback(ShowRetries)
        .build()?;
    let req = ChatRequest::new("openai/gpt-4o-mini", vec![Message::user("Hello?")]);
    println!("answer: {}", client.chat(req).await?.text());

    // 2. Recovery: the stream breaks after its first words; resume continues from there.
    let partial = MockProvider::text_response("The three primary colours are red,");
    let mock = MockProvider::new()
        .with_broken_stream(partial, Error::new(ErrorKind::Network, "connection reset"))
        .with_text(" yellow and blue.");
    let client = Client::builder().provider("mock", Arc::new(mock)).build()?;
    let req = ChatRequest::new(
        "mock/colours",
        vec![Message::user("Name the primary colours.")],
    );
    match client.chat_stream(req).await?.collect_response().await {
        Ok(resp) => println!("unbroken: {}", resp.text()),
        Err(e) => {
            let kept = e.partial().map(ChatResponse::text).unwrap_or_default();
            println!("stream broke ({:?}) after: {kept}", e.kind());
            let Some(id) = e.recovery_id().map(str::to_owned) else {
                return Err(e);
            };
            let whole = client.resume(&id, ResumeStrategy::Exact).await?;
            println!("resumed: {}", whole.text());
        }
    }

    // 3. The same policy on a real provider, when its key is set.
    if std::env::var_os("OPENAI_API_KEY").is_some() {
        let client = Client::builder()
            .retry(RetryPolicy {
                max_retries: 3,
                ..Default::default()
            })
            .callback(ShowRetries)
            .build()?;
        let req = ChatRequest::new("openai/gpt-4o-mini", vec![Message::user("Say hi.")]);
        println!("real provider: {}", client.chat(req).await?.text());
    }
    Ok(())
}
