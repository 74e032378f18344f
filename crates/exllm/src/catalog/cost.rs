//! The price of one call: [`Usage`] + [`ModelEntry`] -> [`Cost`] in USD.
//!
//! Our `Usage` counts every prompt token in `input_tokens` (cache reads and writes included) and
//! every generated token in `output_tokens` (reasoning included), so the parts are carved out
//! here: cache reads at the cache-read price, cache writes at the cache-write price, the rest
//! of the prompt at the input price; reasoning at the reasoning price when the model has one,
//! else at the output price. The prompt size picks the price tier (`above_200k_tokens`,
//! `tiered_pricing`), and a batch call uses the batch prices. A price the catalog lacks falls
//! back as the provider bills (cache read/write -> input) or, when there is nothing to fall
//! back to, is named in [`Cost::missing_prices`] rather than silently counted as free.

use super::model::{ModelEntry, PriceSet};
pub use crate::types::Cost;
use crate::Usage;

/// How a call was made, where that changes its price.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CostOptions {
    /// Sent through the provider's batch API (LiteLLM `*_batches` prices).
    pub batch: bool,
    /// Cache writes used a 1-hour TTL (Anthropic), priced at `cache_write_1h` when known.
    pub cache_write_1h: bool,
}

impl CostOptions {
    /// Options for a batch call.
    pub fn batch() -> Self {
        CostOptions {
            batch: true,
            ..Default::default()
        }
    }
}

impl ModelEntry {
    /// The cost of a call with this usage. Unknown counts are taken as 0.
    pub fn cost(&self, usage: &Usage, opts: CostOptions) -> Cost {
        cost(self, usage, opts)
    }

    /// The price of one unit, as [`ModelEntry::cost`] resolves it for a prompt of
    /// `input_tokens`: batch table first when `batch`, the prompt-size tier before the base.
    pub fn price(
        &self,
        input_tokens: u64,
        batch: bool,
        field: impl Fn(&PriceSet) -> Option<f64>,
    ) -> Option<f64> {
        let batch_table = if batch { self.batch.as_ref() } else { None };
        for table in batch_table.into_iter().chain([&self.prices]) {
            if let Some(p) = table.tier_for(input_tokens).and_then(|t| field(&t.prices)) {
                return Some(p);
            }
            if let Some(p) = field(&table.base) {
                return Some(p);
            }
        }
        None
    }
}

/// The cost of a call of `model` with `usage`.
pub fn cost(model: &ModelEntry, usage: &Usage, opts: CostOptions) -> Cost {
    let n_in = usage.input_tokens.unwrap_or(0);
    let n_read = usage.cache_read_tokens.unwrap_or(0);
    let n_write = usage.cache_write_tokens.unwrap_or(0);
    let n_out = usage.output_tokens.unwrap_or(0);
    let n_reason = usage.reasoning_tokens.unwrap_or(0);
    let n_plain_in = n_in.saturating_sub(n_read.saturating_add(n_write));
    let n_plain_out = n_out.saturating_sub(n_reason);

    let price = |f: &dyn Fn(&PriceSet) -> Option<f64>| model.price(n_in, opts.batch, f);
    let p_in = price(&|p| p.input);
    let p_out = price(&|p| p.output);
    let p_read = price(&|p| p.cache_read)
        .or_else(|| price(&|p| p.cache_hit))
        .or(p_in);
    let p_write = opts
        .cache_write_1h
        .then(|| price(&|p| p.cache_write_1h))
        .flatten()
        .or_else(|| price(&|p| p.cache_write))
        .or(p_in);
    let p_reason = price(&|p| p.reasoning).or(p_out);

    let mut missing = Vec::new();
    let mut part = |tokens: u64, p: Option<f64>, name: &str| match p {
        Some(p) => tokens as f64 * p,
        None => {
            if tokens > 0 && !missing.iter().any(|m| m == name) {
                missing.push(name.to_owned());
            }
            0.0
        }
    };
    // Audio prompt tokens and audio or image output tokens are inside the plain counts, at
    // their own prices where the catalog has them.
    let d = &usage.details;
    let n_audio_in = d.audio_input_tokens.unwrap_or(0).min(n_plain_in);
    let n_audio_out = d.audio_output_tokens.unwrap_or(0).min(n_plain_out);
    let n_image_out = d
        .image_output_tokens
        .unwrap_or(0)
        .min(n_plain_out - n_audio_out);
    let p_audio_in = price(&|p| p.input_audio).or(p_in);
    let p_audio_out = price(&|p| p.output_audio).or(p_out);
    let p_image_out = price(&|p| p.output_image_token).or(p_out);
    let input =
        part(n_plain_in - n_audio_in, p_in, "input") + part(n_audio_in, p_audio_in, "input");
    let cached_input = part(n_read, p_read, "input");
    let cache_write = part(n_write, p_write, "input");
    let output = part(n_plain_out - n_audio_out - n_image_out, p_out, "output")
        + part(n_audio_out, p_audio_out, "output")
        + part(n_image_out, p_image_out, "output");
    let reasoning = part(n_reason, p_reason, "output");
    Cost {
        input,
        cached_input,
        cache_write,
        output,
        reasoning,
        total: input + cached_input + cache_write + output + reasoning,
        missing_prices: missing,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;

    fn close(a: f64, b: f64) {
        assert!((a - b).abs() <= 1e-12 + b.abs() * 1e-9, "{a} != {b}");
    }

    fn usage(input: u64, read: u64, write: u64, output: u64, reasoning: u64) -> Usage {
        Usage {
            input_tokens: Some(input),
            cache_read_tokens: Some(read),
            cache_write_tokens: Some(write),
            output_tokens: Some(output),
            reasoning_tokens: Some(reasoning),
            details: Default::default(),
            raw: None,
        }
    }

    fn model(name: &str) -> &'static ModelEntry {
        Catalog::embedded()
            .model(name)
            .unwrap_or_else(|| panic!("{name} missing from the embedded catalog"))
    }

    /// gpt-5: input $1.25/M, cached $0.125/M, output $10/M, no separate reasoning price.
    /// 10,000 prompt tokens of which 4,000 cached; 2,000 output of which 1,500 reasoning.
    #[test]
    fn openai_cached_and_reasoning() {
        let c = model("openai/gpt-5").cost(
            &usage(10_000, 4_000, 0, 2_000, 1_500),
            CostOptions::default(),
        );
        close(c.input, 6_000.0 * 1.25e-6); // 0.0075
        close(c.cached_input, 4_000.0 * 1.25e-7); // 0.0005
        close(c.cache_write, 0.0);
        close(c.output, 500.0 * 1e-5); // 0.005
        close(c.reasoning, 1_500.0 * 1e-5); // 0.015
        close(c.total, 0.028);
        assert!(c.missing_prices.is_empty());
    }

    /// claude-sonnet-4-5: input $3/M, cache read $0.30/M, cache write $3.75/M, output $15/M.
    /// Anthropic reports input 2,000 + cache_read 6,000 + cache_creation 2,000: our input is
    /// 10,000.
    #[test]
    fn anthropic_cache_read_and_write() {
        let m = model("anthropic/claude-sonnet-4-5");
        let c = m.cost(
            &usage(10_000, 6_000, 2_000, 1_000, 0),
            CostOptions::default(),
        );
        close(c.input, 0.006);
        close(c.cached_input, 0.0018);
        close(c.cache_write, 0.0075);
        close(c.output, 0.015);
        close(c.total, 0.0303);
        // 1-hour TTL writes cost $6/M.
        let c1h = m.cost(
            &usage(10_000, 6_000, 2_000, 1_000, 0),
            CostOptions {
                cache_write_1h: true,
                ..Default::default()
            },
        );
        close(c1h.cache_write, 0.012);
    }

    /// gemini-2.5-pro (Gemini API): $1.25/M in, $10/M out up to 200k prompt tokens; above it
    /// $2.50/M in, $0.25/M cached, $15/M out for the whole call.
    #[test]
    fn gemini_above_200k_tier() {
        let m = model("gemini/gemini-2.5-pro");
        let big = m.cost(
            &usage(250_000, 50_000, 0, 10_000, 0),
            CostOptions::default(),
        );
        close(big.input, 0.5);
        close(big.cached_input, 0.0125);
        close(big.output, 0.15);
        close(big.total, 0.6625);
        let small = m.cost(&usage(100_000, 0, 0, 10_000, 0), CostOptions::default());
        close(small.total, 0.125 + 0.1);
        // Exactly 200k is not above the threshold.
        let edge = m.cost(&usage(200_000, 0, 0, 0, 0), CostOptions::default());
        close(edge.total, 0.25);
    }

    /// Batch API halves claude-sonnet-4-5: $1.50/M in, $7.50/M out; gpt-5 batch: $0.625/M in,
    /// $5/M out.
    #[test]
    fn batch_prices() {
        let u = usage(100_000, 0, 0, 20_000, 0);
        let c = model("anthropic/claude-sonnet-4-5").cost(&u, CostOptions::batch());
        close(c.input, 0.15);
        close(c.output, 0.15);
        close(c.total, 0.30);
        let g = model("openai/gpt-5").cost(&u, CostOptions::batch());
        close(g.total, 0.0625 + 0.1);
        let std = model("openai/gpt-5").cost(&u, CostOptions::default());
        close(std.total, 0.125 + 0.2);
    }

    #[test]
    fn reasoning_price_and_fallbacks() {
        let mut m = ModelEntry::default();
        m.prices.base.input = Some(1e-6);
        m.prices.base.output = Some(4e-6);
        m.prices.base.reasoning = Some(3e-6);
        let c = m.cost(&usage(1_000, 100, 200, 1_000, 400), CostOptions::default());
        close(c.input, 700.0 * 1e-6);
        close(c.cached_input, 100.0 * 1e-6); // no cache price: billed as input
        close(c.cache_write, 200.0 * 1e-6);
        close(c.output, 600.0 * 4e-6);
        close(c.reasoning, 400.0 * 3e-6);
        // Batch without batch prices falls back to the standard ones.
        close(
            m.cost(&usage(1_000, 0, 0, 0, 0), CostOptions::batch())
                .total,
            1e-3,
        );
    }

    #[test]
    fn unknown_prices_are_reported_not_zeroed_silently() {
        let m = ModelEntry::default();
        let c = m.cost(&usage(10, 0, 0, 5, 0), CostOptions::default());
        assert_eq!(c.total, 0.0);
        assert_eq!(
            c.missing_prices,
            vec!["input".to_string(), "output".to_string()]
        );
        let none = m.cost(&Usage::default(), CostOptions::default());
        assert!(none.missing_prices.is_empty());
    }

    #[test]
    fn odd_usage_does_not_underflow() {
        let mut m = ModelEntry::default();
        m.prices.base.input = Some(1e-6);
        m.prices.base.output = Some(1e-6);
        let c = m.cost(&usage(10, 50, 50, 1, 9), CostOptions::default());
        close(c.input, 0.0);
        close(c.output, 0.0);
        assert!(c.total > 0.0);
    }

    /// gpt-4o-audio-preview-2024-12-17: text $2.50/M in, $10/M out; audio $40/M in, $80/M out.
    /// 1,000 prompt tokens of which 600 audio; 500 output of which 400 audio.
    #[test]
    fn audio_tokens_at_their_own_prices() {
        let mut u = usage(1_000, 0, 0, 500, 0);
        u.details.audio_input_tokens = Some(600);
        u.details.audio_output_tokens = Some(400);
        let c = model("openai/gpt-4o-audio-preview-2024-12-17").cost(&u, CostOptions::default());
        close(c.input, 400.0 * 2.5e-6 + 600.0 * 4e-5);
        close(c.output, 100.0 * 1e-5 + 400.0 * 8e-5);
        close(c.total, c.input + c.output);
    }

    /// gemini-2.5-flash-image: $2.50/M text out, $30/M image tokens out.
    #[test]
    fn image_tokens_at_their_own_price() {
        let mut u = usage(10, 0, 0, 1_300, 0);
        u.details.image_output_tokens = Some(1_290);
        let c = model("gemini/gemini-2.5-flash-image").cost(&u, CostOptions::default());
        close(c.output, 10.0 * 2.5e-6 + 1_290.0 * 3e-5);
        // Counts past the plain output are capped, never negative.
        u.details.image_output_tokens = Some(5_000);
        let c = model("gemini/gemini-2.5-flash-image").cost(&u, CostOptions::default());
        close(c.output, 1_300.0 * 3e-5);
    }
}
