//! Telemetry: callbacks told of every request, answer and error, with the call's provider,
//! model and timing; the same calls also emit `tracing` spans and `metrics` (export them over
//! OTLP with the `otlp` feature). `cargo run -p exllm --example telemetry`; needs no key.

use exllm::telemetry::{CallInfo, Callback};
use exllm::{ChatRequest, ChatResponse, Client, Error, ErrorKind, Message, MockProvider};
use futures_util::future::BoxFuture;
use std::sync::Arc;

/// Prints one line per event.
struct Log;

impl Callback for Log {
    fn on_request<'a>(&'a self, call: &'a CallInfo, req: &'a ChatRequest) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            println!(
                "#{} {} {}/{}: {} message(s)",
                call.id,
                call.operation,
                call.provider,
                call.model,
                req.messages.len()
            );
        })
    }
    fn on_response<'a>(&'a self, call: &'a CallInfo, resp: &'a ChatResponse) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            let u = resp.usage.clone().unwrap_or_default();
            println!(
                "#{} answered in {:?}: {:?} tokens in, {:?} out",
                call.id,
                call.started.elapsed(),
                u.input_tokens,
                u.output_tokens
            );
        })
    }
    fn on_error<'a>(&'a self, call: &'a CallInfo, error: &'a Error) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            println!("#{} failed: {:?}", call.id, error.kind());
        })
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> exllm::Result<()> {
    let mock = MockProvider::new()
        .with_text("Observed and answered.")
        .with_error(Error::new(ErrorKind::RateLimit, "slow down"));
    let client = Client::builder()
        .provider("mock", Arc::new(mock))
        .callback(Log)
        .build()?;
    let model = match std::env::var_os("OPENAI_API_KEY") {
        Some(_) => "openai/gpt-4o-mini",
        None => "mock/watched",
    };
    for _ in 0..2 {
        let req = ChatRequest::new(model, vec![Message::user("Hello?")]);
        match client.chat(req).await {
            Ok(resp) => println!("answer: {}", resp.text()),
            Err(e) => println!("error: {e}"),
        }
    }
    Ok(())
}
