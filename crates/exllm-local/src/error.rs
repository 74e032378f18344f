//! Conversions from the errors of candle, tokenizers, minijinja and std::io into
//! `exllm::Error`, so every failure of a local model reaches callers as the one public error type
//! with a kind they can act on (`Config` for setup, `Decode` for bad model files, `InvalidInput`
//! for requests the model cannot take).

use exllm::{Error, ErrorKind};

/// The provider name put on every error of this crate.
pub const PROVIDER: &str = "local";

/// An error of `kind` tagged with the `local` provider.
pub fn err(kind: ErrorKind, message: impl Into<String>) -> Error {
    Error::new(kind, message).with_provider(PROVIDER)
}

/// A model file that cannot be read as what it claims to be.
pub fn decode(context: &str, e: impl std::fmt::Display) -> Error {
    err(ErrorKind::Decode, format!("{context}: {e}"))
}

/// A configuration or setup problem (missing file, failed download, bad cache dir).
pub fn config(context: &str, e: impl std::fmt::Display) -> Error {
    err(ErrorKind::Config, format!("{context}: {e}"))
}

/// A failure while running the model (tensor shape or kernel error).
pub fn runtime(context: &str, e: impl std::fmt::Display) -> Error {
    err(ErrorKind::Server, format!("{context}: {e}"))
}

/// Runs `f`, turning a panic inside candle or tokenizers into an error instead of taking the
/// caller down: model files are external data and a library must not abort on them.
pub fn no_panic<T>(context: &str, f: impl FnOnce() -> exllm::Result<T>) -> exllm::Result<T> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(payload) => {
            let msg = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_owned());
            Err(err(ErrorKind::Decode, format!("{context}: {msg}")))
        }
    }
}
