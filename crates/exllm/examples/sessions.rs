//! Sessions: a conversation that keeps its history, usage and cost, saved to a file and loaded
//! again. `cargo run -p exllm --example sessions`; without `OPENAI_API_KEY` the built-in
//! `mock/echo` model answers by repeating the question.

use exllm::session::Session;
use exllm::Client;

#[tokio::main(flavor = "current_thread")]
async fn main() -> exllm::Result<()> {
    let client = Client::from_env()?;
    let model = match std::env::var_os("OPENAI_API_KEY") {
        Some(_) => "openai/gpt-4o-mini",
        None => "mock/echo",
    };
    let mut session = Session::new(model).with_system("Answer in one short sentence.");
    for question in ["My name is Ada.", "What is my name?"] {
        let resp = session.chat(&client, question).await?;
        println!("> {question}\n{}", resp.text());
    }
    let path = std::env::temp_dir().join(format!("exllm-example-{}.json", std::process::id()));
    session.save(&path)?;
    let loaded = Session::load(&path)?;
    let _ = std::fs::remove_file(&path);
    println!(
        "saved and loaded: {} messages, {} turns, {:?} tokens in",
        loaded.messages.len(),
        loaded.turns.len(),
        loaded.usage.input_tokens
    );
    Ok(())
}
