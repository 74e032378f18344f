//! The response cache: asking the same deterministic question twice pays once.
//! `cargo run -p exllm --example cache`; without `OPENAI_API_KEY` the mock answers (and counts
//! how often it was really asked).

use exllm::cache::Cache;
use exllm::{ChatRequest, Client, Message, MockProvider};
use std::sync::Arc;

#[tokio::main(flavor = "current_thread")]
async fn main() -> exllm::Result<()> {
    let mock = MockProvider::new().with_handler(|_| {
        Ok(MockProvider::text_response(
            "The Eiffel Tower is 330 metres tall.",
        ))
    });
    let cache = Cache::memory();
    let client = Client::builder()
        .provider("mock", Arc::new(mock.clone()))
        .cache(cache.clone())
        .build()?;
    let model = match std::env::var_os("OPENAI_API_KEY") {
        Some(_) => "openai/gpt-4o-mini",
        None => "mock/cached",
    };
    for round in 1..=3 {
        let mut req = ChatRequest::new(model, vec![Message::user("How tall is the Eiffel Tower?")]);
        req.temperature = Some(0.0);
        let resp = client.chat(req).await?;
        let hit = resp
            .provider_meta
            .get("exllm_cache")
            .and_then(|v| v.as_str())
            == Some("hit");
        println!(
            "round {round}: {} ({})",
            resp.text(),
            if hit {
                "from the cache"
            } else {
                "from the model"
            }
        );
    }
    let stats = cache.stats().await;
    println!(
        "cache: {} hits, {} misses; the provider was asked {} time(s)",
        stats.hits,
        stats.misses,
        if model.starts_with("mock/") {
            mock.requests().len()
        } else {
            stats.misses as usize
        }
    );
    Ok(())
}
