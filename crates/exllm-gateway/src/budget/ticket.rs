//! A [`Ticket`]: what an admitted request holds until it ends. Finishing it settles the
//! reservation with the real cost and queues the request's row in the spend ledger; dropping
//! it unfinished (the caller went away) charges the reservation, the most the call can have
//! cost, so an abandoned request can never make a budget look larger than it is.

use super::{Governance, Hold};
use crate::keys::KeyRecord;
use crate::ledger::SpendRow;
use exllm::Usage;
use std::sync::Arc;
use std::time::Instant;

/// An admitted request's reservation. [`Ticket::finish`] settles it; dropping it unfinished
/// (the caller went away) charges the reservation, the most the call can have cost.
pub struct Ticket {
    pub(super) gov: Arc<Governance>,
    pub(super) hold: Option<Hold>,
    pub(super) key: Option<Arc<KeyRecord>>,
    pub(super) model: String,
    pub(super) deployment: String,
    pub(super) t0: Instant,
}

impl Ticket {
    /// Settles with the real usage and status. Without usage, a call that may have made the
    /// provider work (`worst_if_unknown`: a stream that broke) is charged its reservation, one
    /// that failed before any answer nothing.
    pub fn finish(mut self, usage: Option<&Usage>, status: u16, worst_if_unknown: bool) {
        self.settle(usage, status, worst_if_unknown);
    }

    fn settle(&mut self, usage: Option<&Usage>, status: u16, worst_if_unknown: bool) {
        let Some(hold) = self.hold.take() else { return };
        let (cost, tokens_in, tokens_out) = match usage {
            Some(u) => (
                self.gov.cost(&self.model, u),
                u.input_tokens.unwrap_or(0),
                u.output_tokens.unwrap_or(0),
            ),
            None if worst_if_unknown => (hold.cost, hold.tokens, 0),
            None => (0.0, 0, 0),
        };
        match (hold.remote, &self.gov.shared) {
            (Some(id), Some(shared)) => shared.settle(id, tokens_in + tokens_out, cost),
            _ => self
                .gov
                .governor
                .settle(&hold, tokens_in + tokens_out, cost),
        }
        let time_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64);
        self.gov.ledger.record(SpendRow {
            time_ms,
            key_id: self.key.as_ref().map(|k| k.id.clone()),
            team: self.key.as_ref().and_then(|k| k.team.clone()),
            model: std::mem::take(&mut self.model),
            deployment: std::mem::take(&mut self.deployment),
            input_tokens: tokens_in,
            output_tokens: tokens_out,
            cost_usd: cost,
            latency_ms: self.t0.elapsed().as_millis() as u64,
            status,
            row_id: self.gov.ledger.row_id(),
        });
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        self.settle(None, 499, true);
    }
}
