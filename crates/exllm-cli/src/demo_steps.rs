//! The steps of `exllm demo`, one function each, on the built-in mock.

use exllm::client::{MockAnswer, MockRule, MockRules, ToolSet};
use exllm::context::{fit_to_context, FitOptions};
use exllm::guardrails::{Guarded, Guardrails, Pii};
use exllm::{ChatRequest, Client, Message, MockProvider, StreamEvent, Usage};
use futures_util::StreamExt;
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

/// Runs step `i` of [`crate::demo::STEPS`].
pub async fn run(i: usize) -> exllm::Result<()> {
    match i {
        0 => chat().await,
        1 => streaming().await,
        2 => tools().await,
        3 => structured().await,
        4 => cost(),
        5 => context(),
        6 => guardrails().await,
        7 => crate::demo_more::sessions().await,
        8 => crate::demo_more::cache().await,
        _ => crate::demo_more::router().await,
    }
}

fn show(code: &str) {
    println!("{}", console::style(code).dim());
}

async fn chat() -> exllm::Result<()> {
    show("client.chat(ChatRequest::new(\"mock/echo\", vec![Message::user(\"Hello, exllm!\")]))");
    let client = Client::builder().build()?;
    let resp = client
        .chat(ChatRequest::new(
            "mock/echo",
            vec![Message::user("Hello, exllm!")],
        ))
        .await?;
    println!("answer: {}", resp.text());
    Ok(())
}

async fn streaming() -> exllm::Result<()> {
    show("let mut stream = client.chat_stream(req).await?; while let Some(ev) = stream.next().await { .. }");
    let pieces = ["Tokens ", "arrive ", "one ", "by ", "one."];
    let mock = MockRules::new().rule(MockRule::answer(MockAnswer::Chunks {
        pieces: pieces.iter().map(|p| p.to_string()).collect(),
        pause: Duration::from_millis(120),
    }));
    let client = Client::builder().provider("mock", Arc::new(mock)).build()?;
    let mut stream = client
        .chat_stream(ChatRequest::new(
            "mock/stream",
            vec![Message::user("Stream!")],
        ))
        .await?;
    print!("answer: ");
    while let Some(ev) = stream.next().await {
        if let StreamEvent::TextDelta(t) = ev? {
            print!("{t}");
            let _ = std::io::stdout().flush();
        }
    }
    println!();
    Ok(())
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct Weather {
    city: String,
}

async fn tools() -> exllm::Result<()> {
    show("client.run_tools(req, &ToolSet::new().with_typed(\"weather\", .., |w: Weather| ..), 4)");
    let mock = MockProvider::new()
        .with_tool_calls(vec![("weather", serde_json::json!({"city": "Lisbon"}))])
        .with_text("It is 24 °C and sunny in Lisbon.");
    let client = Client::builder().provider("mock", Arc::new(mock)).build()?;
    let tools =
        ToolSet::new().with_typed("weather", "Weather in a city", |w: Weather| async move {
            Ok::<_, String>(format!("24 °C, sunny in {}", w.city))
        });
    let req = ChatRequest::new("mock/tools", vec![Message::user("Weather in Lisbon?")]);
    let run = client.run_tools(req, &tools, 4).await?;
    for m in &run.messages {
        for call in m.content.iter().filter_map(|p| match p {
            exllm::Part::ToolCall(c) => Some(c),
            _ => None,
        }) {
            println!("tool call: {}({})", call.name, call.arguments);
        }
    }
    println!(
        "answer: {}",
        run.last().map(|m| m.text()).unwrap_or_default()
    );
    Ok(())
}

#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
struct City {
    name: String,
    country: String,
}

async fn structured() -> exllm::Result<()> {
    show("let city: City = client.generate::<City>(req).await?.value;");
    let mock = MockProvider::new().with_text(r#"{"name": "Kyoto", "country": "Japan"}"#);
    let client = Client::builder().provider("mock", Arc::new(mock)).build()?;
    let req = ChatRequest::new("mock/json", vec![Message::user("A city in Japan?")]);
    let city = client.generate::<City>(req).await?.value;
    println!(
        "value: City {{ name: {:?}, country: {:?} }}",
        city.name, city.country
    );
    Ok(())
}

fn cost() -> exllm::Result<()> {
    show("Catalog::embedded().model(\"openai/gpt-4o-mini\")?.cost(&usage, ..)");
    let usage = Usage {
        input_tokens: Some(10_000),
        output_tokens: Some(1_000),
        ..Default::default()
    };
    for name in ["openai/gpt-4o-mini", "anthropic/claude-sonnet-4-5"] {
        if let Some(m) = exllm::catalog::Catalog::embedded().model(name) {
            let c = m.cost(&usage, Default::default());
            println!("{name}: 10k in + 1k out = ${:.5}", c.total);
        }
    }
    Ok(())
}

fn context() -> exllm::Result<()> {
    show("fit_to_context(&history, \"openai/gpt-4o\", &FitOptions::default().with_context_window(4_000))");
    let mut history = vec![Message::system("You are helpful.")];
    for i in 0..80 {
        history.push(Message::user(format!("question {i} ").repeat(20)));
        history.push(Message::assistant(format!("answer {i} ").repeat(20)));
    }
    let opts = FitOptions::default()
        .with_context_window(4_000)
        .with_max_output_tokens(500);
    let fitted = fit_to_context(&history, "openai/gpt-4o", &opts)?;
    println!(
        "{} messages -> {} kept ({} tokens of {})",
        history.len(),
        fitted.messages.len(),
        fitted.tokens.tokens,
        fitted.budget
    );
    Ok(())
}

async fn guardrails() -> exllm::Result<()> {
    show("Guarded::new(client, Guardrails::new().with(Pii::default())).chat(req)");
    let mock = MockProvider::new();
    let client = Client::builder()
        .provider("mock", Arc::new(mock.clone()))
        .build()?;
    let guarded = Guarded::new(client, Guardrails::new().with(Pii::default()));
    let req = ChatRequest::new(
        "mock/echo",
        vec![Message::user("Call me at ann@example.com")],
    );
    let resp = guarded.chat(req).await?;
    if let Some(sent) = mock.requests().first() {
        println!("provider saw: {}", sent.messages[0].text());
    }
    println!("you got:      {}", resp.text());
    Ok(())
}
