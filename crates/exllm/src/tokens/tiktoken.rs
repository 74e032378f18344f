//! Exact counts with OpenAI's own BPE tables (`tiktoken` feature).
//!
//! Building a `CoreBPE` parses a multi-megabyte rank table and compiles its split regex, so
//! each encoding is built once per process, on first use, and shared. A table that fails to
//! build (it is compiled in, so this should never happen) yields `None` and the caller falls
//! back to the estimate rather than panicking.

use super::Encoding;
use std::sync::OnceLock;
use tiktoken_rs::CoreBPE;

/// The shared BPE of `encoding`, built on first use.
///
/// ```
/// use exllm::tokens::{bpe, Encoding};
/// let bpe = bpe(Encoding::O200kBase).expect("compiled-in table");
/// assert_eq!(bpe.encode_ordinary("hello world").len(), 2);
/// ```
pub fn bpe(encoding: Encoding) -> Option<&'static CoreBPE> {
    static O200K: OnceLock<Option<CoreBPE>> = OnceLock::new();
    static CL100K: OnceLock<Option<CoreBPE>> = OnceLock::new();
    match encoding {
        Encoding::O200kBase => O200K.get_or_init(|| tiktoken_rs::o200k_base().ok()),
        Encoding::Cl100kBase => CL100K.get_or_init(|| tiktoken_rs::cl100k_base().ok()),
    }
    .as_ref()
}

/// The exact token count of `text` in `encoding`, special tokens read as plain text (as the
/// APIs treat user content).
pub(crate) fn count(encoding: Encoding, text: &str) -> Option<u64> {
    if text.is_empty() {
        return Some(0);
    }
    let bpe = bpe(encoding)?;
    // tiktoken-rs unwraps its regex matches; a pathological text that hit the regex engine's
    // backtracking limit would panic there. Such a text gets the estimate instead.
    let n = std::panic::catch_unwind(|| bpe.encode_ordinary(text).len()).ok()?;
    Some(u64::try_from(n).unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_and_pathological_texts_count() {
        for text in [
            " ".repeat(200_000),
            "\n \t".repeat(50_000),
            "9".repeat(100_000),
            "a".repeat(20_000),
            "!?".repeat(50_000),
            "\u{301}".repeat(10_000),
        ] {
            for enc in [Encoding::O200kBase, Encoding::Cl100kBase] {
                assert!(count(enc, &text).is_some_and(|n| n > 0));
            }
        }
    }

    /// Every committed vector (made by Python tiktoken) matches, in both encodings.
    #[test]
    fn counts_equal_python_tiktoken() {
        let v: serde_json::Value = serde_json::from_str(include_str!("vectors.json")).unwrap();
        let rows = v["vectors"].as_array().unwrap();
        assert!(rows.len() >= 40);
        for row in rows {
            let text = row["text"].as_str().unwrap();
            for enc in [Encoding::O200kBase, Encoding::Cl100kBase] {
                let want = row[enc.name()].as_u64().unwrap();
                assert_eq!(count(enc, text), Some(want), "{} on {text:?}", enc.name());
            }
        }
    }
}
