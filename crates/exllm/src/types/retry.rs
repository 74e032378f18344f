//! When and how long to wait before trying a failed request again: exponential backoff with
//! full jitter, and the provider's own `Retry-After` when it sent one.

use std::time::Duration;

/// Retry settings for requests that failed before any of the answer arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (0 disables retrying).
    pub max_retries: u32,
    /// Backoff base: attempt `n` waits a random time up to `base_delay * 2^n`.
    pub base_delay: Duration,
    /// Upper bound of one backoff wait.
    pub max_delay: Duration,
    /// A provider asking for a longer wait than this is not retried (the error is returned).
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 2,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(8),
            max_retry_after: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// No retries.
    pub fn none() -> Self {
        RetryPolicy {
            max_retries: 0,
            ..Default::default()
        }
    }

    /// How long to wait before retry number `retry` (0-based), or `None` to give up.
    pub fn delay(&self, retry: u32, retry_after: Option<Duration>) -> Option<Duration> {
        if retry >= self.max_retries {
            return None;
        }
        if let Some(hint) = retry_after {
            return (hint <= self.max_retry_after).then_some(hint);
        }
        let cap = self
            .base_delay
            .saturating_mul(1u32.checked_shl(retry).unwrap_or(u32::MAX))
            .min(self.max_delay);
        let millis = cap.as_millis().min(u64::MAX as u128) as u64;
        Some(Duration::from_millis(fastrand::u64(0..=millis)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn honours_retry_after_and_limits() {
        let p = RetryPolicy::default();
        assert_eq!(p.delay(0, Some(Duration::ZERO)), Some(Duration::ZERO));
        assert_eq!(p.delay(0, Some(Duration::from_secs(3600))), None);
        assert_eq!(p.delay(2, None), None);
        for retry in 0..2 {
            let d = p.delay(retry, None).unwrap();
            assert!(d <= p.base_delay * 2u32.pow(retry));
        }
        assert_eq!(RetryPolicy::none().delay(0, None), None);
    }
}
