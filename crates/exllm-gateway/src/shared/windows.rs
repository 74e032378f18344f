//! What this instance admitted in the last minute, per rate-limited scope, so that RPM and
//! TPM windows survive Redis losing its data: on a new epoch every instance re-posts its own
//! last minute (`rewindow.lua`) while admission waits for [`super::RECOVERY`], and the windows
//! hold what every instance admitted, as they did before the loss.
//!
//! Kept as one slot per second (requests and tokens admitted in that second, by the Redis
//! clock the admission ran on) over sixty seconds: a few hundred bytes per scope however busy
//! it is. A settled call corrects its slot from the estimate to the tokens it really used.

use std::collections::HashMap;
use std::sync::Mutex;

const SLOTS: usize = 60;

#[derive(Clone, Copy, Default)]
struct Slot {
    sec: i64,
    requests: u32,
    tokens: i64,
}

struct Recent {
    rpm: bool,
    tpm: bool,
    slots: [Slot; SLOTS],
}

/// One second of one scope, to re-post.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Posted {
    /// The scope's key (`key:ID`, `team:NAME`, `model:NAME`).
    pub scope: String,
    /// Whether it has an RPM window.
    pub rpm: bool,
    /// Whether it has a TPM window.
    pub tpm: bool,
    /// Redis ms at the start of the second.
    pub at_ms: i64,
    /// Requests admitted in it.
    pub requests: u32,
    /// Tokens they used (or reserved, while in flight).
    pub tokens: i64,
}

/// The last minute of every rate-limited scope this instance admitted to.
#[derive(Default)]
pub(super) struct Windows(Mutex<HashMap<String, Recent>>);

fn slot(slots: &mut [Slot; SLOTS], sec: i64) -> &mut Slot {
    let s = &mut slots[sec.rem_euclid(SLOTS as i64) as usize];
    if s.sec != sec {
        *s = Slot {
            sec,
            ..Slot::default()
        };
    }
    s
}

impl Windows {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Recent>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// One request admitted at `at_ms` (Redis clock) with `tokens` reserved.
    pub(super) fn admitted(&self, scope: &str, rpm: bool, tpm: bool, at_ms: i64, tokens: u64) {
        let mut g = self.lock();
        if !g.contains_key(scope) {
            g.insert(
                scope.to_owned(),
                Recent {
                    rpm,
                    tpm,
                    slots: [Slot::default(); SLOTS],
                },
            );
        }
        if let Some(r) = g.get_mut(scope) {
            (r.rpm, r.tpm) = (rpm, tpm);
            let s = slot(&mut r.slots, at_ms.div_euclid(1000));
            s.requests = s.requests.saturating_add(1);
            s.tokens = s.tokens.saturating_add(tokens.min(i64::MAX as u64) as i64);
        }
    }

    /// A call admitted at `at_ms` used `used` tokens where `reserved` were counted.
    pub(super) fn settled(&self, scope: &str, at_ms: i64, reserved: u64, used: u64) {
        let sec = at_ms.div_euclid(1000);
        let mut g = self.lock();
        if let Some(r) = g.get_mut(scope) {
            let s = &mut r.slots[sec.rem_euclid(SLOTS as i64) as usize];
            if s.sec == sec {
                let diff = used as i128 - reserved as i128;
                s.tokens = (s.tokens as i128 + diff).clamp(0, i64::MAX as i128) as i64;
            }
        }
    }

    /// Every second of the minute before `now_ms` that admitted something; scopes with
    /// nothing left in the minute are forgotten.
    pub(super) fn last_minute(&self, now_ms: i64) -> Vec<Posted> {
        let from = now_ms.div_euclid(1000) - SLOTS as i64;
        let mut out = Vec::new();
        self.lock().retain(|scope, r| {
            let before = out.len();
            for s in r.slots.iter().filter(|s| s.sec > from && s.requests > 0) {
                out.push(Posted {
                    scope: scope.clone(),
                    rpm: r.rpm,
                    tpm: r.tpm,
                    at_ms: s.sec * 1000,
                    requests: s.requests,
                    tokens: s.tokens,
                });
            }
            out.len() > before
        });
        out.sort_by_key(|p| p.at_ms);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_minute_per_scope_in_seconds_corrected_by_settlements() {
        let w = Windows::default();
        w.admitted("key:a", true, true, 100_500, 40);
        w.admitted("key:a", true, true, 100_900, 40);
        w.admitted("key:a", true, true, 101_200, 10);
        w.admitted("team:t", false, true, 101_200, 10);
        w.settled("key:a", 100_500, 40, 15);
        // A settlement for a second the ring no longer holds changes nothing.
        w.settled("key:a", 30_000, 40, 0);
        let got = w.last_minute(130_000);
        assert_eq!(got.len(), 3);
        assert_eq!(
            got[0],
            Posted {
                scope: "key:a".into(),
                rpm: true,
                tpm: true,
                at_ms: 100_000,
                requests: 2,
                tokens: 55,
            }
        );
        assert!(got
            .iter()
            .any(|p| p.scope == "team:t" && !p.rpm && p.requests == 1 && p.tokens == 10));
        // A minute later the first second is gone; two minutes later, everything.
        let later = w.last_minute(160_500);
        assert_eq!(later.len(), 2, "{later:?}");
        assert!(w.last_minute(400_000).is_empty());
        assert!(w.lock().is_empty());
        // A second sixty seconds later reuses the slot from zero.
        w.admitted("key:a", true, false, 100_000, 5);
        w.admitted("key:a", true, false, 160_000, 7);
        let again = w.last_minute(160_100);
        assert_eq!(again.len(), 1);
        assert_eq!((again[0].requests, again[0].tokens), (1, 7));
    }
}
