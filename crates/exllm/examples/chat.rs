//! One question, one answer: `cargo run -p exllm --example chat`. With `OPENAI_API_KEY` set it
//! asks OpenAI; without a key it asks the built-in mock, which echoes the question.

use exllm::{ChatRequest, Client, Message};

/// A real model when its key is set, else the keyless mock.
fn model() -> &'static str {
    match std::env::var_os("OPENAI_API_KEY") {
        Some(_) => "openai/gpt-4o-mini",
        None => "mock/echo",
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> exllm::Result<()> {
    let client = Client::from_env()?;
    let req = ChatRequest::new(
        model(),
        vec![
            Message::system("Answer in one sentence."),
            Message::user("What is the capital of France?"),
        ],
    );
    let resp = client.chat(req).await?;
    println!("{}", resp.text());
    if let Some(u) = &resp.usage {
        println!("tokens: {:?} in, {:?} out", u.input_tokens, u.output_tokens);
    }
    Ok(())
}
