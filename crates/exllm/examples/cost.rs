//! Cost and budgets: the catalog's prices applied to token counts, every call priced, and a
//! budget that refuses a call that would go over it.
//! `cargo run -p exllm --example cost`; needs no key (the mock answers with token counts that
//! are priced as if `openai/gpt-4o-mini` had answered).

use exllm::catalog::{BudgetAction, BudgetScope, Call, Catalog, CostTracker};
use exllm::{ChatRequest, Client, Message, MockProvider, Usage};
use std::sync::Arc;

fn price_list() {
    let usage = Usage {
        input_tokens: Some(12_000),
        output_tokens: Some(800),
        ..Default::default()
    };
    println!("12k tokens in, 800 out:");
    for model in [
        "openai/gpt-4o-mini",
        "anthropic/claude-sonnet-4-5",
        "gemini/gemini-2.5-flash",
    ] {
        match Catalog::embedded().model(model) {
            Some(entry) => {
                let cost = entry.cost(&usage, Default::default());
                println!(
                    "  {model}: ${:.6} ({:.6} in, {:.6} out)",
                    cost.total, cost.input, cost.output
                );
            }
            None => println!("  {model}: not in the catalog"),
        }
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> exllm::Result<()> {
    price_list();
    let priced_as = "openai/gpt-4o-mini";
    let entry = Catalog::embedded().model(priced_as);
    let mock = MockProvider::new().with_handler(|_| {
        let mut resp = MockProvider::text_response("A long and thorough answer.");
        resp.usage = Some(Usage {
            input_tokens: Some(400_000),
            output_tokens: Some(50_000),
            ..Default::default()
        });
        Ok(resp)
    });
    let client = Client::builder().provider("mock", Arc::new(mock)).build()?;
    // A 25-cent budget over every call, refusing what would exceed it.
    let mut tracker =
        CostTracker::new().with_budget(BudgetScope::Total, 0.25, BudgetAction::Refuse);
    let call = Call {
        provider: "mock",
        model: "thorough",
        session: Some("example"),
    };
    for i in 1..=4 {
        // Estimate from the last call (a real app could use the catalog and max_tokens).
        let estimate = if tracker.total.calls == 0 {
            0.0
        } else {
            tracker.total.cost.total / tracker.total.calls as f64
        };
        if let Err(e) = tracker.check(call, estimate) {
            println!("call {i}: refused: {e}");
            break;
        }
        let resp = client
            .chat(ChatRequest::new(
                "mock/thorough",
                vec![Message::user("Explain.")],
            ))
            .await?;
        let usage = resp.usage.clone().unwrap_or_default();
        let cost = entry
            .map(|m| m.cost(&usage, Default::default()))
            .unwrap_or_default();
        tracker.record(call, &usage, &cost);
        println!(
            "call {i}: ${:.4}, spent ${:.4} of $0.25",
            cost.total,
            tracker.spent(&BudgetScope::Total)
        );
    }
    Ok(())
}
