//! Context fitting: a conversation longer than the model's window is cut to fit before it is
//! sent — the system prompt and the newest question kept, whole turns dropped from the oldest.
//! `cargo run -p exllm --example context`; needs no key (the window is set small, and the
//! built-in `mock/echo` model answers).

use exllm::context::{context_stats_with, fit_to_context, FitOptions};
use exllm::{ChatRequest, Client, Message};

#[tokio::main(flavor = "current_thread")]
async fn main() -> exllm::Result<()> {
    let mut history = vec![Message::system("You are a patient tutor.")];
    for i in 0..60 {
        history.push(Message::user(format!(
            "Question {i}: {}",
            "why is the sky blue? ".repeat(20)
        )));
        history.push(Message::assistant(format!(
            "Answer {i}: {}",
            "Rayleigh scattering. ".repeat(20)
        )));
    }
    history.push(Message::user("Summarise what we discussed in one line."));
    // A 4k-token window with 500 tokens kept for the answer.
    let opts = FitOptions::default()
        .with_context_window(4_000)
        .with_max_output_tokens(500);
    let model = "openai/gpt-4o-mini";
    let stats = context_stats_with(&history, model, &opts);
    println!(
        "history: {} messages, {} tokens",
        history.len(),
        stats.total.tokens
    );
    let fitted = fit_to_context(&history, model, &opts)?;
    println!(
        "fitted: {} messages kept, {} dropped, {} tokens of a {}-token budget",
        fitted.messages.len(),
        fitted.dropped.len(),
        fitted.tokens.tokens,
        fitted.budget
    );
    let client = Client::from_env()?;
    let send_to = match std::env::var_os("OPENAI_API_KEY") {
        Some(_) => model,
        None => "mock/echo",
    };
    let resp = client
        .chat(ChatRequest::new(send_to, fitted.messages))
        .await?;
    println!("answer: {}", resp.text());
    Ok(())
}
