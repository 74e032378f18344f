//! How a deployment is picked among those that can serve a request: one [`Strategy`] trait and
//! the built-in ones. The router has already removed deployments that fail the pre-call
//! checks, cool, or sit in a higher tier, so a strategy only ranks what is left.

use super::deployment::Deployment;
use std::sync::{Arc, Mutex};

/// A deployment that can serve the request, with what the strategies rank it by.
#[derive(Debug, Clone)]
pub struct Candidate<'a> {
    /// The deployment.
    pub deployment: &'a Deployment,
    /// Requests in flight on it now.
    pub in_flight: u32,
    /// Its expected latency in milliseconds from its recent samples: time to first content
    /// for a stream, time per output token times the expected output otherwise (`None`
    /// before any sample).
    pub latency_ms: Option<f64>,
    /// Fraction of its RPM and TPM limits left (the smaller of the two; `None` without limits).
    pub headroom: Option<f64>,
    /// This request's estimated price on it in USD (`None` when the catalog has no price).
    pub estimated_cost: Option<f64>,
}

/// Picks one of the candidates.
pub trait Strategy: Send + Sync + 'static {
    /// The strategy's name (for logs and explanations).
    fn name(&self) -> &'static str;
    /// The index of the chosen candidate; `candidates` is never empty.
    fn pick(&self, candidates: &[Candidate<'_>]) -> usize;
}

/// The built-in strategies, as config files name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum StrategyKind {
    /// Random, in proportion to the weights (LiteLLM `simple-shuffle`).
    #[default]
    Weighted,
    /// Fewest requests in flight (`least-busy`).
    LeastBusy,
    /// Lowest recent latency, at random among those within the buffer of the best
    /// (`latency-based-routing`).
    LowestLatency,
    /// Most RPM/TPM headroom (`usage-based-routing`, `usage-based-routing-v2`).
    UsageBased,
    /// Lowest catalog price of this request (`cost-based-routing`).
    LowestCost,
}

impl StrategyKind {
    /// Reads our names (`weighted`, `least_busy`, `latency`, `usage`, `cost`) and LiteLLM's.
    pub fn parse(name: &str) -> Option<StrategyKind> {
        Some(match name {
            "weighted" | "simple-shuffle" | "shuffle" => StrategyKind::Weighted,
            "least_busy" | "least-busy" => StrategyKind::LeastBusy,
            "latency" | "lowest_latency" | "latency-based-routing" => StrategyKind::LowestLatency,
            "usage" | "usage_based" | "usage-based-routing" | "usage-based-routing-v2" => {
                StrategyKind::UsageBased
            }
            "cost" | "lowest_cost" | "cost-based-routing" => StrategyKind::LowestCost,
            _ => return None,
        })
    }

    /// The strategy, its random choices seeded when `seed` is given.
    pub fn build(self, seed: Option<u64>, latency_buffer: f64) -> Arc<dyn Strategy> {
        let rng = Dice::new(seed);
        match self {
            StrategyKind::Weighted => Arc::new(Weighted(rng)),
            StrategyKind::LeastBusy => Arc::new(LeastBusy(rng)),
            StrategyKind::LowestLatency => Arc::new(LowestLatency {
                rng,
                buffer: latency_buffer.max(0.0),
            }),
            StrategyKind::UsageBased => Arc::new(UsageBased(rng)),
            StrategyKind::LowestCost => Arc::new(LowestCost(rng)),
        }
    }
}

/// A shared random source.
#[derive(Debug)]
struct Dice(Mutex<fastrand::Rng>);

impl Dice {
    fn new(seed: Option<u64>) -> Self {
        Dice(Mutex::new(
            seed.map_or_else(fastrand::Rng::new, fastrand::Rng::with_seed),
        ))
    }

    fn f64(&self) -> f64 {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).f64()
    }

    fn below(&self, n: usize) -> usize {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .usize(0..n.max(1))
    }

    /// A random index among those where `best` holds (the first when none does).
    fn among(&self, candidates: &[Candidate<'_>], best: impl Fn(&Candidate<'_>) -> bool) -> usize {
        let n = candidates.iter().filter(|c| best(c)).count();
        if n == 0 {
            return 0;
        }
        let k = self.below(n);
        candidates
            .iter()
            .enumerate()
            .filter(|(_, c)| best(c))
            .nth(k)
            .map_or(0, |(i, _)| i)
    }
}

/// Random in proportion to the weights (a weight of 0 or less is never picked while another
/// is positive).
#[derive(Debug)]
struct Weighted(Dice);

impl Strategy for Weighted {
    fn name(&self) -> &'static str {
        "weighted"
    }
    fn pick(&self, candidates: &[Candidate<'_>]) -> usize {
        let weight = |c: &Candidate<'_>| {
            let w = c.deployment.weight;
            if w.is_finite() && w > 0.0 {
                w
            } else {
                0.0
            }
        };
        let total: f64 = candidates.iter().map(weight).sum();
        if total <= 0.0 {
            return self.0.below(candidates.len());
        }
        let mut x = self.0.f64() * total;
        for (i, c) in candidates.iter().enumerate() {
            x -= weight(c);
            if x < 0.0 {
                return i;
            }
        }
        candidates.len() - 1
    }
}

/// Fewest requests in flight, ties at random.
#[derive(Debug)]
struct LeastBusy(Dice);

impl Strategy for LeastBusy {
    fn name(&self) -> &'static str {
        "least_busy"
    }
    fn pick(&self, candidates: &[Candidate<'_>]) -> usize {
        let min = candidates.iter().map(|c| c.in_flight).min().unwrap_or(0);
        self.0.among(candidates, |c| c.in_flight == min)
    }
}

/// Lowest latency within a buffer; a deployment without samples is tried first so that every
/// one gets measured.
#[derive(Debug)]
struct LowestLatency {
    rng: Dice,
    buffer: f64,
}

impl Strategy for LowestLatency {
    fn name(&self) -> &'static str {
        "lowest_latency"
    }
    fn pick(&self, candidates: &[Candidate<'_>]) -> usize {
        if candidates.iter().any(|c| c.latency_ms.is_none()) {
            return self.rng.among(candidates, |c| c.latency_ms.is_none());
        }
        let best = candidates
            .iter()
            .filter_map(|c| c.latency_ms)
            .fold(f64::INFINITY, f64::min);
        let limit = best * (1.0 + self.buffer);
        self.rng
            .among(candidates, |c| c.latency_ms.is_some_and(|l| l <= limit))
    }
}

/// Most headroom; a deployment without limits counts as entirely free.
#[derive(Debug)]
struct UsageBased(Dice);

impl Strategy for UsageBased {
    fn name(&self) -> &'static str {
        "usage_based"
    }
    fn pick(&self, candidates: &[Candidate<'_>]) -> usize {
        let room = |c: &Candidate<'_>| c.headroom.unwrap_or(1.0);
        let best = candidates
            .iter()
            .map(room)
            .fold(f64::NEG_INFINITY, f64::max);
        self.0.among(candidates, |c| room(c) >= best)
    }
}

/// Cheapest estimate; deployments without a price come last.
#[derive(Debug)]
struct LowestCost(Dice);

impl Strategy for LowestCost {
    fn name(&self) -> &'static str {
        "lowest_cost"
    }
    fn pick(&self, candidates: &[Candidate<'_>]) -> usize {
        let best = candidates
            .iter()
            .filter_map(|c| c.estimated_cost)
            .fold(f64::INFINITY, f64::min);
        if best.is_finite() {
            self.0
                .among(candidates, |c| c.estimated_cost.is_some_and(|p| p <= best))
        } else {
            self.0.below(candidates.len())
        }
    }
}
