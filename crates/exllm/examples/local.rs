//! Local models: the same API over a model on this machine. With an Ollama server (at
//! `OLLAMA_HOST`, default `http://localhost:11434`) the example asks its first model; without
//! one it says so and the built-in mock answers, so it always runs.
//! `cargo run -p exllm --example local`. (In-process models without a server: the
//! `exllm-local` crate, `cargo run -p exllm-local --example ask`.)

use exllm::ollama::Ollama;
use exllm::{ChatRequest, Client, Message};
use std::time::Duration;

#[tokio::main(flavor = "current_thread")]
async fn main() -> exllm::Result<()> {
    let ollama = Ollama::from_env()?;
    let listed = tokio::time::timeout(Duration::from_secs(3), ollama.list()).await;
    let model = match listed {
        Ok(Ok(models)) if !models.is_empty() => {
            println!("ollama has {} model(s)", models.len());
            format!("ollama/{}", models[0].name)
        }
        Ok(Ok(_)) => {
            println!("ollama runs but has no models (`ollama pull llama3.2`); using the mock");
            "mock/echo".to_owned()
        }
        _ => {
            println!("no local ollama server; using the mock");
            "mock/echo".to_owned()
        }
    };
    let client = Client::from_env()?;
    let req = ChatRequest::new(
        model.clone(),
        vec![Message::user("Say hello from this machine.")],
    );
    let resp = client.chat(req).await?;
    println!("{model}: {}", resp.text());
    Ok(())
}
