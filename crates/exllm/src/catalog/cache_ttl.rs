//! Pricing of a request that asked for 1-hour cache writes: a `Part::CacheBreakpoint` with
//! `ttl: "1h"` (Anthropic `cache_control.ttl`, Bedrock `cachePoint.ttl`). Such writes cost
//! `cache_write_1h` rather than `cache_write`; the usage does not say which TTL was used, so
//! the request decides.

use super::cost::CostOptions;
use super::model::{ModelEntry, PriceSet, PriceTable};
use crate::types::{ChatRequest, Part};

/// Whether `req` marks a cache breakpoint with a 1-hour TTL.
pub fn asks_1h_cache(req: &ChatRequest) -> bool {
    req.messages.iter().any(|m| {
        m.content
            .iter()
            .any(|p| matches!(p, Part::CacheBreakpoint(b) if b.ttl.as_deref() == Some("1h")))
    })
}

impl CostOptions {
    /// The options that price `req`'s answer: 1-hour cache writes when it asked for them.
    pub fn for_request(req: &ChatRequest) -> Self {
        CostOptions {
            cache_write_1h: asks_1h_cache(req),
            ..Default::default()
        }
    }
}

impl ModelEntry {
    /// This entry with its 1-hour cache-write prices standing in for the default ones, for
    /// what prices with default options (a stream's collected answer).
    pub fn with_1h_cache_writes(&self) -> ModelEntry {
        fn set(p: &mut PriceSet) {
            if p.cache_write_1h.is_some() {
                p.cache_write = p.cache_write_1h;
            }
        }
        fn table(t: &mut PriceTable) {
            set(&mut t.base);
            for tier in &mut t.tiers {
                set(&mut tier.prices);
            }
        }
        let mut m = self.clone();
        table(&mut m.prices);
        if let Some(b) = &mut m.batch {
            table(b);
        }
        m
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{CacheBreakpoint, Message, Role, Usage};

    fn req(ttl: Option<&str>) -> ChatRequest {
        let parts = vec![
            Part::text("long context"),
            Part::CacheBreakpoint(CacheBreakpoint {
                ttl: ttl.map(str::to_owned),
            }),
        ];
        ChatRequest::new("m", vec![Message::new(Role::User, parts)])
    }

    #[test]
    fn one_hour_writes_are_priced_at_the_1h_price() {
        assert!(asks_1h_cache(&req(Some("1h"))));
        assert!(!asks_1h_cache(&req(Some("5m"))));
        assert!(!asks_1h_cache(&req(None)));
        let m = crate::catalog::Catalog::shared_model("anthropic/claude-sonnet-4-5")
            .unwrap()
            .clone();
        let u = Usage {
            input_tokens: Some(10_000),
            cache_write_tokens: Some(1_000_000),
            ..Default::default()
        };
        let short = m.cost(&u, CostOptions::for_request(&req(Some("5m"))));
        let long = m.cost(&u, CostOptions::for_request(&req(Some("1h"))));
        // $3.75/M for 5-minute writes, $6/M for 1-hour ones.
        assert!((short.cache_write - 3.75).abs() < 1e-9, "{short:?}");
        assert!((long.cache_write - 6.0).abs() < 1e-9, "{long:?}");
        let swapped = m.with_1h_cache_writes().cost(&u, CostOptions::default());
        assert!((swapped.cache_write - 6.0).abs() < 1e-9, "{swapped:?}");
    }
}
