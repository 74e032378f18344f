//! Money as people read it: every amount the CLI prints (a call's cost, a session's total, a
//! price per million tokens, in JSON and in tables alike) goes through here.
//!
//! Costs are sums of products of token counts and per-token prices, so the `f64`s carry
//! binary noise (`0.000032500000000000004`). Rounding to ten significant digits removes it
//! while keeping sub-cent amounts exact (a price is at most a few digits times a power of
//! ten); the rounded value then prints as its short decimal, both through `Display` (never
//! with an exponent) and through serde_json (the shortest form that reads back the same).

use serde_json::Value;

/// Significant digits kept.
const DIGITS: usize = 10;

/// `usd` rounded to [`DIGITS`] significant digits (non-finite values unchanged).
pub fn round(usd: f64) -> f64 {
    if !usd.is_finite() || usd == 0.0 {
        return usd;
    }
    format!("{usd:.prec$e}", prec = DIGITS - 1)
        .parse()
        .unwrap_or(usd)
}

/// An amount for a table cell or a line: `0.0000325`, `2.5`, `15` (no currency sign).
pub fn amount(usd: f64) -> String {
    format!("{}", round(usd))
}

/// An amount in dollars for a line of text: `$0.0000325`.
pub fn dollars(usd: f64) -> String {
    format!("${}", amount(usd))
}

/// Rounds every non-integer number inside `v` (a serialised cost or price list, whose
/// fractional numbers are all money); integers such as token counts are left alone.
pub fn round_json(v: &mut Value) {
    match v {
        Value::Number(n) if n.is_f64() => {
            if let Some(r) = n.as_f64().map(round).and_then(serde_json::Number::from_f64) {
                *n = r;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(round_json),
        Value::Object(map) => map.values_mut().for_each(round_json),
        _ => {}
    }
}

/// A cost as JSON with every amount rounded.
pub fn cost_json(cost: &exllm::catalog::Cost) -> Value {
    let mut v = serde_json::to_value(cost).unwrap_or(Value::Null);
    round_json(&mut v);
    v
}

#[cfg(test)]
#[path = "money_tests.rs"]
mod tests;
