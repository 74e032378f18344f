//! The price of one call in USD, by part. The catalog computes it (`catalog::cost`); it
//! lives here because every priced [`crate::ChatResponse`] carries one.

use serde::{Deserialize, Serialize};

/// The cost of a call in USD, by part.
///
/// ```
/// use exllm::catalog::{Catalog, Cost, CostOptions};
/// use exllm::Usage;
/// let model = Catalog::embedded().model("openai/gpt-4o-mini").expect("known model");
/// let usage = Usage { input_tokens: Some(10_000), output_tokens: Some(500), ..Default::default() };
/// let cost: Cost = model.cost(&usage, CostOptions::default());
/// assert!(cost.total > 0.0 && cost.missing_prices.is_empty());
/// println!("${:.6} (input ${:.6}, output ${:.6})", cost.total, cost.input, cost.output);
/// ```
///
/// Every priced [`crate::ChatResponse`] carries its cost in `cost`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Cost {
    /// Prompt tokens neither read from nor written to the cache.
    pub input: f64,
    /// Prompt tokens read from the cache.
    pub cached_input: f64,
    /// Prompt tokens written to the cache.
    pub cache_write: f64,
    /// Generated tokens other than reasoning.
    pub output: f64,
    /// Reasoning tokens.
    pub reasoning: f64,
    /// The sum of the parts.
    pub total: f64,
    /// Parts with tokens but no price in the catalog (`input`, `output`): the total is a
    /// lower bound when this is not empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing_prices: Vec<String>,
}

impl Cost {
    /// Adds another cost (for totals across calls).
    pub fn add(&mut self, other: &Cost) {
        self.input += other.input;
        self.cached_input += other.cached_input;
        self.cache_write += other.cache_write;
        self.output += other.output;
        self.reasoning += other.reasoning;
        self.total += other.total;
        for m in &other.missing_prices {
            if !self.missing_prices.contains(m) {
                self.missing_prices.push(m.clone());
            }
        }
    }
}
