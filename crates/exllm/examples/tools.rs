//! The tool loop: the model calls a Rust function, gets its result, and answers with it.
//! `cargo run -p exllm --example tools`; without `OPENAI_API_KEY` a mock plays the model (it
//! first calls the tool, then answers).

use exllm::client::ToolSet;
use exllm::{ChatRequest, Client, Message, MockProvider};
use std::sync::Arc;

/// The arguments of the weather tool.
#[derive(serde::Deserialize, schemars::JsonSchema)]
struct Weather {
    /// The city.
    city: String,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> exllm::Result<()> {
    let mock = MockProvider::new()
        .with_tool_calls(vec![("weather", serde_json::json!({"city": "Paris"}))])
        .with_text("It is sunny in Paris, 21 °C.");
    let client = Client::builder().provider("mock", Arc::new(mock)).build()?;
    let model = match std::env::var_os("OPENAI_API_KEY") {
        Some(_) => "openai/gpt-4o-mini",
        None => "mock/tool-user",
    };
    let tools = ToolSet::new().with_typed(
        "weather",
        "Current weather in a city",
        |w: Weather| async move { Ok::<_, String>(format!("sunny, 21 °C in {}", w.city)) },
    );
    let req = ChatRequest::new(model, vec![Message::user("What's the weather in Paris?")]);
    let run = client.run_tools(req, &tools, 4).await?;
    for m in &run.messages {
        println!("{:?}: {}", m.role, m.text());
    }
    if let Some(last) = run.last() {
        println!("answer: {}", last.text());
    }
    Ok(())
}
