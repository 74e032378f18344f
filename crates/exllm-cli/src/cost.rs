//! `exllm cost`: price a call from its token counts with the model catalog, as a table of
//! its parts or (`--json`) one object.

use crate::money;
use crate::output;
use clap::Args;
use exllm::catalog::{Catalog, Cost, CostOptions};
use exllm::{Error, ErrorKind, Usage};

#[derive(Args)]
pub struct CostArgs {
    /// provider/model.
    #[arg(short, long)]
    model: String,
    /// Prompt tokens, cached ones included.
    #[arg(long, default_value_t = 0)]
    input: u64,
    /// Generated tokens, reasoning included.
    #[arg(long, default_value_t = 0)]
    output: u64,
    /// Prompt tokens read from the cache.
    #[arg(long)]
    cached: Option<u64>,
    /// Prompt tokens written to the cache.
    #[arg(long)]
    cache_write: Option<u64>,
    /// Reasoning tokens.
    #[arg(long)]
    reasoning: Option<u64>,
    /// Priced as a batch call.
    #[arg(long)]
    batch: bool,
    /// Print one JSON object (USD by part, and the total).
    #[arg(long)]
    json: bool,
}

pub async fn run(args: CostArgs) -> u8 {
    match price(&args) {
        Ok(cost) => {
            if args.json {
                output::emit(money::cost_json(&cost));
            } else {
                print_table(&cost);
            }
            if !cost.missing_prices.is_empty() {
                eprintln!(
                    "exllm: the catalog has no price for {}: the total is a lower bound",
                    cost.missing_prices.join(", ")
                );
            }
            0
        }
        Err(e) => output::report(&e, args.json),
    }
}

fn price(args: &CostArgs) -> Result<Cost, Error> {
    let usage = Usage {
        input_tokens: Some(args.input),
        output_tokens: Some(args.output),
        cache_read_tokens: args.cached,
        cache_write_tokens: args.cache_write,
        reasoning_tokens: args.reasoning,
        details: Default::default(),
        raw: None,
    };
    let opts = CostOptions {
        batch: args.batch,
        ..Default::default()
    };
    let catalog = Catalog::load()?;
    let model = catalog.model(&args.model).ok_or_else(|| {
        Error::new(
            ErrorKind::NotFound,
            format!("`{}` is not in the catalog", args.model),
        )
    })?;
    Ok(model.cost(&usage, opts))
}

/// The parts that cost something, then the total.
fn print_table(cost: &Cost) {
    let parts = [
        ("input", cost.input),
        ("cached input", cost.cached_input),
        ("cache write", cost.cache_write),
        ("output", cost.output),
        ("reasoning", cost.reasoning),
    ];
    let mut rows: Vec<Vec<String>> = parts
        .iter()
        .filter(|(_, usd)| *usd != 0.0)
        .map(|(name, usd)| vec![(*name).to_owned(), money::amount(*usd)])
        .collect();
    rows.push(vec!["total".into(), money::amount(cost.total)]);
    output::table(&["PART", "USD"], &rows);
}
