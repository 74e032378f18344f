//! What a call costs: the catalog's prices applied to its token counts.
//! `cargo run -p exllm --example cost`; needs no key (it prices made-up usage).

use exllm::catalog::Catalog;
use exllm::Usage;

fn main() {
    let usage = Usage {
        input_tokens: Some(12_000),
        output_tokens: Some(800),
        ..Default::default()
    };
    for model in [
        "openai/gpt-4o-mini",
        "anthropic/claude-sonnet-4-5",
        "groq/llama-3.3-70b-versatile",
    ] {
        match Catalog::embedded().model(model) {
            Some(entry) => {
                let cost = entry.cost(&usage, Default::default());
                println!(
                    "{model}: ${:.6} ({:.6} in, {:.6} out)",
                    cost.total, cost.input, cost.output
                );
            }
            None => println!("{model}: not in the catalog"),
        }
    }
}
