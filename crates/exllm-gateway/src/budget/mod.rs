//! Budgets and rate limits for keys and teams, in this process: the [`Governor`] holds one
//! account per scope (`key:ID`, `team:NAME`) with its spend in the current period, what is
//! reserved by calls in flight, and sliding-window logs of requests and tokens over the last
//! minute. Like the library router's `RouterState`, a call is admitted in one step that checks
//! every scope and reserves in all of them or none (so concurrent calls cannot overspend),
//! and settled in one step that swaps the reservation for the real cost.
//!
//! The windows are exact logs, not fixed buckets, so there is no burst at a window's edge.
//! This is one process's state; with `[governance.shared]` the same checks run in Redis
//! instead ([`crate::shared`]), so that several instances act as one.

mod admit;
mod gate;
#[cfg(test)]
mod tests;
mod ticket;

pub use gate::{authenticate, check_scope, Caller, Governance};
pub use ticket::Ticket;

use crate::keys::{rfc3339, Limits, Period};
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

const WINDOW: Duration = Duration::from_secs(60);

/// A scope a call is checked against.
#[derive(Debug, Clone)]
pub struct Scope<'a> {
    /// The account's key: `key:ID` or `team:NAME`.
    pub key: String,
    /// How errors name it: ``key `ID` ``, ``team `NAME` ``.
    pub label: String,
    /// Its limits.
    pub limits: &'a Limits,
}

/// Why a call was refused.
#[derive(Debug, Clone, PartialEq)]
pub struct Refused {
    /// 429, or 400 for a budget that never resets.
    pub status: u16,
    /// The error type (`rate_limit_error`, `budget_exceeded`).
    pub kind: &'static str,
    /// What is exhausted and when it resets.
    pub message: String,
    /// Seconds until a retry can succeed.
    pub retry_after: Option<u64>,
}

#[derive(Default)]
struct Account {
    period_start: i64,
    spent: f64,
    reserved: f64,
    requests: VecDeque<Instant>,
    /// `(entry id, time, tokens)`; ids are consecutive, so an entry's index is its id minus
    /// the front's.
    tokens: VecDeque<(u64, Instant, u64)>,
    /// The sum of the tokens in `tokens`, kept as entries come, change and go, so neither
    /// admitting nor settling walks the window (a minute of a busy key's calls).
    tokens_used: u64,
    next_entry: u64,
}

impl Account {
    fn prune(&mut self, now: Instant) {
        while self.requests.front().is_some_and(|t| now - *t >= WINDOW) {
            self.requests.pop_front();
        }
        while let Some(e) = self.tokens.front().filter(|e| now - e.1 >= WINDOW) {
            self.tokens_used -= e.2;
            self.tokens.pop_front();
        }
    }

    /// The token-log entry `id`, if it is still in the window.
    fn entry_mut(&mut self, id: u64) -> Option<&mut (u64, Instant, u64)> {
        let front = self.tokens.front()?.0;
        let e = self
            .tokens
            .get_mut(usize::try_from(id.checked_sub(front)?).ok()?)?;
        (e.0 == id).then_some(e)
    }
}

/// What an admitted call holds; give it back with [`Governor::settle`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Hold {
    /// Per scope: its key and the id of its token-log entry.
    entries: Vec<(String, u64)>,
    /// USD reserved.
    pub cost: f64,
    /// Tokens reserved.
    pub tokens: u64,
    /// The id of a reservation held in Redis ([`crate::shared::RedisGovernor`]) instead.
    pub(crate) remote: Option<u64>,
}

/// Reads what a scope spent since a time, to start an account after a restart.
pub type Seed = Box<dyn Fn(&str, i64) -> f64 + Send + Sync>;

/// The accounts.
#[derive(Default)]
pub struct Governor {
    accounts: Mutex<HashMap<String, Account>>,
    seed: Option<Seed>,
}

fn secs_until(t: Instant, now: Instant) -> u64 {
    let d = t.saturating_duration_since(now);
    (d.as_secs() + u64::from(d.subsec_nanos() > 0)).max(1)
}

impl Governor {
    /// A governor that starts each account from `seed` (the ledger's spend so far).
    pub fn new(seed: Option<Seed>) -> Governor {
        Governor {
            accounts: Mutex::default(),
            seed,
        }
    }

    /// Checks every scope and reserves `tokens` and `cost` in all of them, or refuses.
    pub fn admit(
        &self,
        scopes: &[Scope<'_>],
        tokens: u64,
        cost: f64,
        unix: i64,
        now: Instant,
    ) -> Result<Hold, Refused> {
        let mut accounts = self.accounts.lock().unwrap_or_else(|p| p.into_inner());
        for s in scopes {
            let (start, next) = s.limits.period.bounds(unix);
            let acc = accounts.entry(s.key.clone()).or_insert_with(|| Account {
                period_start: start,
                spent: match (&self.seed, s.limits.max_budget) {
                    (Some(seed), Some(_)) => seed(&s.key, start),
                    _ => 0.0,
                },
                ..Account::default()
            });
            if acc.period_start != start {
                // A new period: reservations of calls in flight carry over.
                acc.period_start = start;
                acc.spent = 0.0;
            }
            acc.prune(now);
            check(s, acc, tokens, cost, next, unix, now)?;
        }
        let mut hold = Hold {
            entries: Vec::with_capacity(scopes.len()),
            cost,
            tokens,
            remote: None,
        };
        for s in scopes {
            if let Some(acc) = accounts.get_mut(&s.key) {
                acc.reserved += cost;
                acc.requests.push_back(now);
                acc.next_entry += 1;
                acc.tokens.push_back((acc.next_entry, now, tokens));
                acc.tokens_used += tokens;
                hold.entries.push((s.key.clone(), acc.next_entry));
            }
        }
        Ok(hold)
    }

    /// Swaps a hold's reservation for what the call really used.
    pub fn settle(&self, hold: &Hold, tokens: u64, cost: f64) {
        let mut accounts = self.accounts.lock().unwrap_or_else(|p| p.into_inner());
        for (key, entry) in &hold.entries {
            if let Some(acc) = accounts.get_mut(key) {
                acc.reserved = (acc.reserved - hold.cost).max(0.0);
                acc.spent += cost;
                if let Some(e) = acc.entry_mut(*entry) {
                    let old = std::mem::replace(&mut e.2, tokens);
                    acc.tokens_used = acc.tokens_used - old + tokens;
                }
            }
        }
    }

    /// A scope's spend in its current period, settled and reserved, in USD.
    pub fn spent(&self, key: &str) -> (f64, f64) {
        let accounts = self.accounts.lock().unwrap_or_else(|p| p.into_inner());
        accounts
            .get(key)
            .map_or((0.0, 0.0), |a| (a.spent, a.reserved))
    }
}

fn check(
    s: &Scope<'_>,
    acc: &Account,
    tokens: u64,
    cost: f64,
    next: Option<i64>,
    unix: i64,
    now: Instant,
) -> Result<(), Refused> {
    let l = s.limits;
    if let Some(max) = l.max_budget {
        if acc.spent + acc.reserved + cost > max + 1e-12 {
            return Err(over_budget(
                s,
                max,
                acc.spent,
                acc.reserved,
                cost,
                next,
                unix,
            ));
        }
    }
    if let Some(rpm) = l.rpm {
        if acc.requests.len() >= rpm as usize {
            let idx = acc.requests.len() - rpm as usize;
            let free = acc.requests[idx] + WINDOW;
            return Err(limited(
                format!("{} is limited to {rpm} requests per minute", s.label),
                secs_until(free, now),
            ));
        }
    }
    if let Some(tpm) = l.tpm {
        let used = acc.tokens_used;
        if used + tokens > tpm {
            // When enough of the oldest entries leave the window.
            let mut left = used;
            let mut free = now + WINDOW;
            for e in &acc.tokens {
                left -= e.2;
                if left + tokens <= tpm {
                    free = e.1 + WINDOW;
                    break;
                }
            }
            return Err(limited(
                format!(
                    "{} is limited to {tpm} tokens per minute ({used} used in the last minute, this request may use up to {tokens})",
                    s.label
                ),
                secs_until(free, now),
            ));
        }
    }
    Ok(())
}

/// The refusal of a call `s`'s budget `max` cannot cover; `next`: when the period ends.
pub(crate) fn over_budget(
    s: &Scope<'_>,
    max: f64,
    spent: f64,
    reserved: f64,
    cost: f64,
    next: Option<i64>,
    unix: i64,
) -> Refused {
    let per = match s.limits.period {
        Period::Day => " per day",
        Period::Month => " per month",
        _ => "",
    };
    let head = format!(
        "the budget of {} (${max}{per}) cannot cover this request: ${spent:.6} spent, ${reserved:.6} reserved by requests in flight, this one may cost up to ${cost:.6}",
        s.label
    );
    match next {
        Some(at) => Refused {
            status: 429,
            kind: "budget_exceeded",
            message: format!("{head}; it resets at {}", rfc3339(at)),
            retry_after: Some((at - unix).max(1) as u64),
        },
        None => Refused {
            status: 400,
            kind: "budget_exceeded",
            message: format!("{head}; it does not reset"),
            retry_after: None,
        },
    }
}

pub(crate) fn limited(message: String, retry_after: u64) -> Refused {
    Refused {
        status: 429,
        kind: "rate_limit_error",
        message,
        retry_after: Some(retry_after),
    }
}
