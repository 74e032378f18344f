//! Batch: many requests as one job. Providers with a batch API (OpenAI, Anthropic, Gemini,
//! ...) take the job at half price; elsewhere `run_local` runs it on the client, concurrently
//! and checkpointed to a file so a rerun skips what finished.
//! `cargo run -p exllm --example batch`; needs no key (the built-in `mock/echo` answers).

use exllm::{ChatRequest, Client, Message};

#[tokio::main(flavor = "current_thread")]
async fn main() -> exllm::Result<()> {
    let client = Client::from_env()?;
    let model = match std::env::var_os("OPENAI_API_KEY") {
        Some(_) => "openai/gpt-4o-mini",
        None => "mock/echo",
    };
    let questions = [
        "Translate 'cat' to French",
        "Translate 'dog' to French",
        "Translate 'bird' to French",
    ];
    let requests = questions
        .iter()
        .enumerate()
        .map(|(i, q)| {
            (
                format!("q{i}"),
                ChatRequest::new(model, vec![Message::user(*q)]),
            )
        })
        .collect();
    let checkpoint =
        std::env::temp_dir().join(format!("exllm-batch-example-{}.jsonl", std::process::id()));
    let batches = client.batches();
    let job = batches
        .run_local(model, requests, &checkpoint, 2, |c| {
            eprintln!("progress: {}/{}", c.succeeded + c.failed, c.total)
        })
        .await?;
    println!(
        "job {}: {:?}, {} succeeded",
        job.id, job.status, job.counts.succeeded
    );
    let mut results = batches.collect(&job).await?;
    results.sort_by(|a, b| a.id.cmp(&b.id));
    for r in &results {
        match &r.result {
            Ok(resp) => println!("{}: {}", r.id, resp.text()),
            Err(e) => println!("{}: failed: {e}", r.id),
        }
    }
    let _ = std::fs::remove_file(&checkpoint);
    Ok(())
}
