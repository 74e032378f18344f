//! More steps of `exllm demo`: sessions, the response cache and the router's fallback.

use exllm::cache::Cache;
use exllm::client::{MockAnswer, MockRule, MockRules};
use exllm::router::{Deployment, Route, Router};
use exllm::session::Session;
use exllm::{ChatRequest, Client, ErrorKind, Message, MockProvider};
use std::sync::Arc;

fn show(code: &str) {
    println!("{}", console::style(code).dim());
}

/// A conversation that keeps its history and usage.
pub async fn sessions() -> exllm::Result<()> {
    show("let mut s = Session::new(\"mock/echo\"); s.chat(&client, \"..\").await?;");
    let client = Client::builder().build()?;
    let mut s = Session::new("mock/echo").with_system("Be brief.");
    s.chat(&client, "My name is Ada.").await?;
    s.chat(&client, "What is my name?").await?;
    println!(
        "session: {} messages, {} turns, {:?} tokens in",
        s.messages.len(),
        s.turns.len(),
        s.usage.input_tokens
    );
    Ok(())
}

/// The same question twice: the second answer comes from the cache.
pub async fn cache() -> exllm::Result<()> {
    show("Client::builder().cache(Cache::memory())");
    let mock = MockProvider::new().with_handler(|_| Ok(MockProvider::text_response("42.")));
    let cache = Cache::memory();
    let client = Client::builder()
        .provider("mock", Arc::new(mock.clone()))
        .cache(cache.clone())
        .build()?;
    for _ in 0..2 {
        let mut req = ChatRequest::new("mock/cached", vec![Message::user("The answer?")]);
        req.temperature = Some(0.0);
        client.chat(req).await?;
    }
    let stats = cache.stats().await;
    println!(
        "cache: {} hit(s), {} miss(es); the model was asked {} time(s)",
        stats.hits,
        stats.misses,
        mock.requests().len()
    );
    Ok(())
}

/// A failing deployment's call moves to the next one.
pub async fn router() -> exllm::Result<()> {
    show("Router::builder().deployment(Deployment::new(\"chat\", \"mock/primary\").order(1)) ..");
    let mock = MockRules::new()
        .rule(
            MockRule::answer(MockAnswer::Error {
                kind: ErrorKind::Server,
                message: "primary is down".into(),
                status: Some(503),
            })
            .model("primary"),
        )
        .otherwise(MockAnswer::Text("answered by the backup".into()));
    let router = Router::builder()
        .client_template(Client::builder().provider("mock", Arc::new(mock)))
        // Tiers, so the primary is always tried first and the fallback always shows.
        .deployment(Deployment::new("chat", "mock/primary").order(1))
        .deployment(Deployment::new("chat", "mock/backup").order(2))
        .build()?;
    let resp = router
        .chat(ChatRequest::new("chat", vec![Message::user("Hi")]))
        .await?;
    let tried = Route::of(&resp).map(|r| r.attempts.len()).unwrap_or(0);
    println!("router: {} after {tried} attempt(s)", resp.text());
    Ok(())
}
