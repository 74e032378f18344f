//! What this instance admitted in the last minute, per rate-limited scope, so that RPM and
//! TPM windows survive Redis losing its data: on a new epoch every instance re-posts its own
//! last minute (`rewindow.lua`) while admission waits for [`super::RECOVERY`], and the windows
//! hold what every instance admitted, as they did before the loss.
//!
//! Kept as one slot per second (requests and tokens admitted in that second, by the Redis
//! clock the admission ran on, apart by the epoch they were admitted in) over sixty seconds: a
//! few hundred bytes per scope however busy it is. A settled call corrects its slot from the
//! estimate to the tokens it really used. A re-post leaves out what the new epoch admitted
//! (its windows already hold it).

use std::collections::HashMap;
use std::sync::Mutex;

const SLOTS: usize = 60;

/// What one epoch admitted in one second.
#[derive(Clone, Copy, Default)]
struct Part {
    /// The epoch's creation (Redis ms), which names it.
    epoch: i64,
    requests: u32,
    tokens: i64,
}

/// One second; two epochs at most share one (a third replaces the older).
#[derive(Clone, Copy, Default)]
struct Slot {
    sec: i64,
    parts: [Part; 2],
}

impl Slot {
    fn part(&mut self, epoch: i64) -> &mut Part {
        let i = match self.parts.iter().position(|p| p.epoch == epoch) {
            Some(i) => i,
            None => {
                let i = usize::from(self.parts[1].epoch < self.parts[0].epoch);
                self.parts[i] = Part {
                    epoch,
                    ..Part::default()
                };
                i
            }
        };
        &mut self.parts[i]
    }
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

    /// One request admitted at `at_ms` (Redis clock) in `epoch` with `tokens` reserved.
    pub(super) fn admitted(
        &self,
        scope: &str,
        (rpm, tpm): (bool, bool),
        epoch: i64,
        at_ms: i64,
        tokens: u64,
    ) {
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
            let p = slot(&mut r.slots, at_ms.div_euclid(1000)).part(epoch);
            p.requests = p.requests.saturating_add(1);
            p.tokens = p.tokens.saturating_add(tokens.min(i64::MAX as u64) as i64);
        }
    }

    /// A call admitted at `at_ms` in `epoch` used `used` tokens where `reserved` were counted.
    pub(super) fn settled(&self, scope: &str, epoch: i64, at_ms: i64, reserved: u64, used: u64) {
        let sec = at_ms.div_euclid(1000);
        let mut g = self.lock();
        if let Some(r) = g.get_mut(scope) {
            let s = &mut r.slots[sec.rem_euclid(SLOTS as i64) as usize];
            if let Some(p) = s
                .parts
                .iter_mut()
                .filter(|_| s.sec == sec)
                .find(|p| p.epoch == epoch)
            {
                let diff = used as i128 - reserved as i128;
                p.tokens = (p.tokens as i128 + diff).clamp(0, i64::MAX as i128) as i64;
            }
        }
    }

    /// What epochs other than `except` admitted in each second of the minute before `now_ms`
    /// (both Redis ms); scopes with nothing left in the minute are forgotten.
    pub(super) fn last_minute(&self, now_ms: i64, except: i64) -> Vec<Posted> {
        let from = now_ms.div_euclid(1000) - SLOTS as i64;
        let mut out = Vec::new();
        self.lock().retain(|scope, r| {
            let mut live = false;
            for s in r.slots.iter().filter(|s| s.sec > from) {
                let old = s
                    .parts
                    .iter()
                    .filter(|p| p.requests > 0 && p.epoch != except);
                let (requests, tokens) = old.fold((0u32, 0i64), |(n, t), p| {
                    (n.saturating_add(p.requests), t.saturating_add(p.tokens))
                });
                live |= s.parts.iter().any(|p| p.requests > 0);
                if requests > 0 {
                    out.push(Posted {
                        scope: scope.clone(),
                        rpm: r.rpm,
                        tpm: r.tpm,
                        at_ms: s.sec * 1000,
                        requests,
                        tokens,
                    });
                }
            }
            live
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
        let e = 7;
        let both = (true, true);
        w.admitted("key:a", both, e, 100_500, 40);
        w.admitted("key:a", both, e, 100_900, 40);
        w.admitted("key:a", both, e, 101_200, 10);
        w.admitted("team:t", (false, true), e, 101_200, 10);
        w.settled("key:a", e, 100_500, 40, 15);
        // A settlement for a second the ring no longer holds, or another epoch, changes nothing.
        w.settled("key:a", e, 30_000, 40, 0);
        w.settled("key:a", 99, 100_500, 40, 0);
        let got = w.last_minute(130_000, 0);
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
        let later = w.last_minute(160_500, 0);
        assert_eq!(later.len(), 2, "{later:?}");
        assert!(w.last_minute(400_000, 0).is_empty());
        assert!(w.lock().is_empty());
        // A second sixty seconds later reuses the slot from zero.
        w.admitted("key:a", (true, false), e, 100_000, 5);
        w.admitted("key:a", (true, false), e, 160_000, 7);
        let again = w.last_minute(160_100, 0);
        assert_eq!(again.len(), 1);
        assert_eq!((again[0].requests, again[0].tokens), (1, 7));
    }

    #[test]
    fn a_re_post_leaves_out_what_the_new_epoch_admitted() {
        let w = Windows::default();
        w.admitted("key:a", (true, true), 1, 200_100, 3);
        w.admitted("key:a", (true, true), 1, 200_400, 3);
        // Redis lost its data at 200_500: epoch 200_500 admits in the same second.
        w.admitted("key:a", (true, true), 200_500, 200_600, 5);
        w.settled("key:a", 200_500, 200_600, 5, 1);
        let got = w.last_minute(200_700, 200_500);
        assert_eq!(got.len(), 1);
        assert_eq!((got[0].requests, got[0].tokens), (2, 6));
        // Lost again later: both epochs' requests go back.
        let got = w.last_minute(201_000, 300_000);
        assert_eq!((got[0].requests, got[0].tokens), (3, 7));
    }
}
