//! Token usage with one convention for every provider.
//!
//! `input_tokens` counts every prompt token (cached, cache-read and cache-write ones included)
//! and `output_tokens` every generated token (reasoning included). The parts are kept apart so
//! cost can be computed right. A count the provider did not send is `None`, never a fake 0.

use serde::{Deserialize, Serialize};

/// Token counts of one response. A count the provider did not report is `None`, never a
/// made-up zero.
///
/// ```
/// use exllm::Usage;
/// let mut total = Usage::default();
/// let first = Usage { input_tokens: Some(120), output_tokens: Some(30), ..Default::default() };
/// let second = Usage { input_tokens: Some(200), output_tokens: Some(45), ..Default::default() };
/// total.add(&first);
/// total.add(&second);
/// assert_eq!(total.total_tokens(), Some(395));
/// assert_eq!(total.reasoning_tokens, None);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Usage {
    /// All prompt tokens, cached and cache-write ones included.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_tokens: Option<u64>,
    /// All generated tokens, reasoning included.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_tokens: Option<u64>,
    /// Prompt tokens read from the provider's cache (part of `input_tokens`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_read_tokens: Option<u64>,
    /// Prompt tokens written to the provider's cache (part of `input_tokens`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_write_tokens: Option<u64>,
    /// Reasoning tokens (part of `output_tokens`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning_tokens: Option<u64>,
    /// Finer counts some providers report (audio, predicted outputs).
    #[serde(default, skip_serializing_if = "UsageDetails::is_empty")]
    pub details: UsageDetails,
    /// The provider's usage object as sent (its text; [`super::RawJson::value`] parses it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw: Option<super::RawJson>,
}

/// Counts inside the main ones that only some providers report (OpenAI's `*_tokens_details`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageDetails {
    /// Audio prompt tokens (part of `input_tokens`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audio_input_tokens: Option<u64>,
    /// Audio output tokens (part of `output_tokens`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audio_output_tokens: Option<u64>,
    /// Tokens of a predicted output that appeared in the answer (part of `output_tokens`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accepted_prediction_tokens: Option<u64>,
    /// Tokens of a predicted output that did not appear but are billed as output (part of
    /// `output_tokens`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rejected_prediction_tokens: Option<u64>,
    /// Tokens of images the model generated (part of `output_tokens`; Gemini's `IMAGE`
    /// modality).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_output_tokens: Option<u64>,
}

impl UsageDetails {
    /// Whether no count is known.
    pub fn is_empty(&self) -> bool {
        *self == UsageDetails::default()
    }

    /// The counts, for code that treats them alike (merging, offsetting).
    pub(crate) fn counts(&mut self) -> [&mut Option<u64>; 5] {
        [
            &mut self.audio_input_tokens,
            &mut self.audio_output_tokens,
            &mut self.accepted_prediction_tokens,
            &mut self.rejected_prediction_tokens,
            &mut self.image_output_tokens,
        ]
    }
}

impl Usage {
    /// `input_tokens + output_tokens`, when both are known.
    pub fn total_tokens(&self) -> Option<u64> {
        Some(self.input_tokens?.saturating_add(self.output_tokens?))
    }

    /// The sum of the counts that are known (`None` when none is); saturating, so a server
    /// sending absurd counts cannot overflow it.
    ///
    /// ```
    /// assert_eq!(exllm::Usage::sum_known(&[Some(2), None, Some(3)]), Some(5));
    /// assert_eq!(exllm::Usage::sum_known(&[None, None]), None);
    /// assert_eq!(exllm::Usage::sum_known(&[Some(u64::MAX), Some(1)]), Some(u64::MAX));
    /// ```
    pub fn sum_known(counts: &[Option<u64>]) -> Option<u64> {
        counts.iter().flatten().fold(None, |acc: Option<u64>, &n| {
            Some(acc.unwrap_or(0).saturating_add(n))
        })
    }

    /// Takes every count `newer` knows, keeping ours where it knows none: streams report usage
    /// in several places and the last report of each field counts.
    pub fn merge(&mut self, newer: Usage) {
        fn take(old: &mut Option<u64>, new: Option<u64>) {
            if new.is_some() {
                *old = new;
            }
        }
        take(&mut self.input_tokens, newer.input_tokens);
        take(&mut self.output_tokens, newer.output_tokens);
        take(&mut self.cache_read_tokens, newer.cache_read_tokens);
        take(&mut self.cache_write_tokens, newer.cache_write_tokens);
        take(&mut self.reasoning_tokens, newer.reasoning_tokens);
        let mut newer_details = newer.details;
        for (old, new) in self
            .details
            .counts()
            .into_iter()
            .zip(newer_details.counts())
        {
            take(old, *new);
        }
        if newer.raw.is_some() {
            self.raw = newer.raw;
        }
    }

    /// Adds another response's usage (for totals across calls); unknown stays unknown only when
    /// both sides are unknown.
    pub fn add(&mut self, other: &Usage) {
        fn sum(a: &mut Option<u64>, b: Option<u64>) {
            *a = Usage::sum_known(&[*a, b]);
        }
        sum(&mut self.input_tokens, other.input_tokens);
        sum(&mut self.output_tokens, other.output_tokens);
        sum(&mut self.cache_read_tokens, other.cache_read_tokens);
        sum(&mut self.cache_write_tokens, other.cache_write_tokens);
        sum(&mut self.reasoning_tokens, other.reasoning_tokens);
        let mut theirs = other.details;
        for (a, b) in self.details.counts().into_iter().zip(theirs.counts()) {
            sum(a, *b);
        }
        self.raw = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_keeps_known_fields() {
        let mut u = Usage {
            input_tokens: Some(10),
            cache_read_tokens: Some(4),
            ..Default::default()
        };
        u.merge(Usage {
            output_tokens: Some(7),
            ..Default::default()
        });
        assert_eq!(u.input_tokens, Some(10));
        assert_eq!(u.output_tokens, Some(7));
        assert_eq!(u.cache_read_tokens, Some(4));
        assert_eq!(u.total_tokens(), Some(17));
    }

    #[test]
    fn details_merge_and_add_field_by_field() {
        let details = |audio_in, accepted| UsageDetails {
            audio_input_tokens: audio_in,
            accepted_prediction_tokens: accepted,
            ..Default::default()
        };
        let mut u = Usage {
            details: details(Some(5), None),
            ..Default::default()
        };
        u.merge(Usage {
            details: details(None, Some(7)),
            ..Default::default()
        });
        assert_eq!(u.details, details(Some(5), Some(7)));
        u.add(&Usage {
            details: details(Some(1), None),
            ..Default::default()
        });
        assert_eq!(u.details, details(Some(6), Some(7)));
        assert!(!u.details.is_empty());
        assert!(UsageDetails::default().is_empty());
    }

    #[test]
    fn add_sums_and_keeps_unknown() {
        let mut a = Usage {
            input_tokens: Some(1),
            ..Default::default()
        };
        a.add(&Usage {
            input_tokens: Some(2),
            output_tokens: Some(3),
            ..Default::default()
        });
        assert_eq!(a.input_tokens, Some(3));
        assert_eq!(a.output_tokens, Some(3));
        assert_eq!(a.reasoning_tokens, None);
    }
}
