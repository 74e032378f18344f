//! Structured output: the answer as a Rust value, validated against the type's JSON Schema.
//! `cargo run -p exllm --example structured`; without `OPENAI_API_KEY` a mock answers with the
//! JSON a model would write.

use exllm::{ChatRequest, Client, Message, MockProvider};
use std::sync::Arc;

/// What we want back.
#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
struct City {
    /// The city's name.
    name: String,
    /// The country it is in.
    country: String,
    /// Its population, roughly.
    population: u64,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> exllm::Result<()> {
    let mock = MockProvider::new()
        .with_text(r#"{"name": "Paris", "country": "France", "population": 2100000}"#);
    let client = Client::builder().provider("mock", Arc::new(mock)).build()?;
    let model = match std::env::var_os("OPENAI_API_KEY") {
        Some(_) => "openai/gpt-4o-mini",
        None => "mock/json",
    };
    let req = ChatRequest::new(model, vec![Message::user("The capital of France?")]);
    let city = client.generate::<City>(req).await?;
    println!(
        "city: {}, {} (population {}), {} attempt(s)",
        city.value.name, city.value.country, city.value.population, city.attempts
    );
    Ok(())
}
