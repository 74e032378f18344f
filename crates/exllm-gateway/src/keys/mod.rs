//! Virtual keys: what a key may do (team, models, expiry, budget, rate limits) and where it
//! is kept. A key is stored only as HMAC-SHA256 under a server secret ([`KeyHasher`]), so a
//! copy of the database yields no usable key; the key itself is shown once, when made.
//! [`KeyStore`] is the storage seam: [`SqliteStore`] is the embedded default (one instance),
//! `PgStore` (feature `postgres`) the one several instances share.

#[cfg(feature = "postgres")]
mod pg;
mod sqlite;
#[cfg(test)]
mod tests;

#[cfg(feature = "postgres")]
pub use pg::PgStore;
pub(crate) use sqlite::open as sqlite_open;
pub use sqlite::SqliteStore;

use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// Every virtual key starts so; the rest is 48 random hex digits.
pub const PREFIX: &str = "sk-exllm-";

/// Storage errors, as text (the admin API answers them as 500s).
pub type StoreResult<T> = std::result::Result<T, String>;

/// Over what a budget counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Period {
    /// Calendar days (UTC).
    Day,
    /// Calendar months (UTC).
    Month,
    /// Never resets.
    #[default]
    Total,
}

impl Period {
    /// `1d`/`day`/`daily`, `1mo`/`30d`/`month`/`monthly`, `total`/none.
    pub fn parse(text: Option<&str>) -> Option<Period> {
        match text.map(str::trim) {
            None | Some("" | "total") => Some(Period::Total),
            Some("1d" | "24h" | "day" | "daily") => Some(Period::Day),
            Some("1mo" | "30d" | "month" | "monthly") => Some(Period::Month),
            _ => None,
        }
    }

    /// The start of the period holding `now` and the start of the next (`None` for total),
    /// as Unix seconds.
    pub fn bounds(self, now: i64) -> (i64, Option<i64>) {
        let day = now.div_euclid(86_400);
        match self {
            Period::Total => (0, None),
            Period::Day => (day * 86_400, Some((day + 1) * 86_400)),
            Period::Month => {
                let (y, m, _) = civil(day);
                let next = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
                (
                    days_from_civil(y, m, 1) * 86_400,
                    Some(days_from_civil(next.0, next.1, 1) * 86_400),
                )
            }
        }
    }
}

/// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (i64::from(m) + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date of a day number.
pub(crate) fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Unix seconds as `2026-12-08T00:00:00Z`.
pub fn rfc3339(secs: i64) -> String {
    let (y, m, d) = civil(secs.div_euclid(86_400));
    let s = secs.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

/// Now, in Unix seconds.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// A budget and rate limits, for a key or a team.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Limits {
    /// USD per period; `None`: no budget.
    pub max_budget: Option<f64>,
    /// The budget's period.
    #[serde(default)]
    pub period: Period,
    /// Requests per minute.
    pub rpm: Option<u32>,
    /// Tokens (input + output) per minute.
    pub tpm: Option<u64>,
}

/// A virtual key's record. The key itself is not in it, only its keyed hash.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct KeyRecord {
    /// A stable id (`key_...`), kept across rotations; budgets and the ledger use it.
    pub id: String,
    /// HMAC-SHA256 of the key, hex.
    #[serde(skip)]
    pub hash: String,
    /// The key's first characters, to tell keys apart in lists (`sk-exllm-3f9a...`).
    pub hint: String,
    /// A name for people.
    pub alias: Option<String>,
    /// The team whose budget and limits also cap this key.
    pub team: Option<String>,
    /// Model names or router groups it may use; empty: all.
    pub models: Vec<String>,
    /// Unix seconds after which it is refused.
    pub expires_at: Option<i64>,
    /// Free-form metadata.
    pub metadata: serde_json::Value,
    /// Its own budget and rate limits.
    pub limits: Limits,
    /// When it was made.
    pub created_at: i64,
    /// When it was revoked.
    pub revoked_at: Option<i64>,
    /// The hash of the key it replaced, still accepted until `previous_until`.
    #[serde(skip)]
    pub previous_hash: Option<String>,
    /// Until when the replaced key still works (Unix seconds).
    pub previous_until: Option<i64>,
}

impl KeyRecord {
    /// Why the key cannot be used at `now`, if it cannot.
    pub fn refusal(&self, now: i64) -> Option<&'static str> {
        if self.revoked_at.is_some() {
            Some("this API key was revoked")
        } else if self.expires_at.is_some_and(|t| t <= now) {
            Some("this API key has expired")
        } else {
            None
        }
    }

    /// Whether the key may use model `name` (served by router group `group`, if any).
    pub fn allows(&self, name: &str, group: Option<&str>) -> bool {
        self.models.is_empty()
            || self
                .models
                .iter()
                .any(|m| m == name || Some(m.as_str()) == group)
    }
}

/// Where keys are kept. Each call is one atomic step.
pub trait KeyStore: Send + Sync {
    /// Stores a new key.
    fn insert(&self, rec: &KeyRecord) -> StoreResult<()>;
    /// The key whose hash (or, within its grace period, previous hash) is `hash`.
    fn by_hash(&self, hash: &str, now: i64) -> StoreResult<Option<KeyRecord>>;
    /// The key with this id.
    fn get(&self, id: &str) -> StoreResult<Option<KeyRecord>>;
    /// All keys, or a team's, newest first.
    fn list(&self, team: Option<&str>) -> StoreResult<Vec<KeyRecord>>;
    /// Gives key `id` a new hash; the old one stays valid until `grace_until` (else none).
    fn rotate(
        &self,
        id: &str,
        hash: &str,
        hint: &str,
        grace_until: Option<i64>,
    ) -> StoreResult<bool>;
    /// Revokes key `id` at `now`; `false` when there is no such key.
    fn revoke(&self, id: &str, now: i64) -> StoreResult<bool>;
}

/// Hashes keys under the server secret.
#[derive(Clone)]
pub struct KeyHasher {
    mac: Hmac<Sha256>,
}

impl std::fmt::Debug for KeyHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyHasher(..)")
    }
}

impl KeyHasher {
    /// A hasher keyed by `secret` (the configured `key_secret`).
    pub fn new(secret: &[u8]) -> KeyHasher {
        KeyHasher {
            mac: <Hmac<Sha256> as KeyInit>::new_from_slice(secret)
                .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length")),
        }
    }

    /// A hasher whose secret is derived from the master key (changing the master key then
    /// invalidates every virtual key; set `key_secret` to avoid that).
    pub fn from_master(master: &[u8]) -> KeyHasher {
        let derived = KeyHasher::new(master).digest(b"exllm virtual key secret v1");
        KeyHasher::new(&derived)
    }

    fn digest(&self, key: &[u8]) -> [u8; 32] {
        let mut mac = self.mac.clone();
        mac.update(key);
        let mut out = [0u8; 32];
        out.copy_from_slice(&mac.finalize().into_bytes());
        out
    }

    /// The stored form of `key`: its HMAC in hex.
    pub fn hash(&self, key: &[u8]) -> String {
        hex(&self.digest(key))
    }
}

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    const D: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(D[usize::from(b >> 4)]));
        s.push(char::from(D[usize::from(b & 15)]));
    }
    s
}

/// A fresh random key (`sk-exllm-` and 48 hex digits) and its hint.
pub fn new_key() -> StoreResult<(String, String)> {
    let mut bytes = [0u8; 24];
    getrandom::fill(&mut bytes).map_err(|e| format!("no randomness for a key: {e}"))?;
    let key = format!("{PREFIX}{}", hex(&bytes));
    let hint = format!("{}...", &key[..PREFIX.len() + 4]);
    Ok((key, hint))
}

/// A fresh random id (`key_` and 16 hex digits).
pub fn new_id() -> StoreResult<String> {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).map_err(|e| format!("no randomness for an id: {e}"))?;
    Ok(format!("key_{}", hex(&bytes)))
}
