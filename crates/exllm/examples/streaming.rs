//! An answer printed as it arrives: `cargo run -p exllm --example streaming`. Without a key
//! the mock streams its answer in pieces with a pause between them, as a provider would.

use exllm::client::{MockAnswer, MockRule, MockRules};
use exllm::{ChatRequest, Client, Message, StreamEvent};
use futures_util::StreamExt;
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

#[tokio::main(flavor = "current_thread")]
async fn main() -> exllm::Result<()> {
    let pieces = ["Streams ", "arrive ", "piece ", "by ", "piece."];
    let mock = MockRules::new().rule(MockRule::answer(MockAnswer::Chunks {
        pieces: pieces.iter().map(|p| p.to_string()).collect(),
        pause: Duration::from_millis(80),
    }));
    let client = Client::builder().provider("mock", Arc::new(mock)).build()?;
    let model = match std::env::var_os("ANTHROPIC_API_KEY") {
        Some(_) => "anthropic/claude-haiku-4-5",
        None => "mock/streamer",
    };
    let req = ChatRequest::new(model, vec![Message::user("Tell me about streams.")]);
    let mut stream = client.chat_stream(req).await?;
    let mut out = std::io::stdout();
    while let Some(event) = stream.next().await {
        if let StreamEvent::TextDelta(text) = event? {
            print!("{text}");
            let _ = out.flush();
        }
    }
    println!();
    Ok(())
}
