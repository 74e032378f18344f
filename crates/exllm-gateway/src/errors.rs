//! From the library's typed [`exllm::Error`] to the [`ApiError`] a caller sees: the HTTP
//! status (the provider's own where it sent one, else the one the error's kind stands for),
//! the OpenAI error type the formats translate, the message, and `Retry-After`.

use crate::wire::ApiError;
use exllm::{Error, ErrorKind};

/// The caller's view of a failed call.
pub fn api_error(e: &Error) -> ApiError {
    let (status, kind) = match e.kind() {
        ErrorKind::InvalidInput | ErrorKind::BadRequest | ErrorKind::Unsupported => {
            (400, "invalid_request_error")
        }
        ErrorKind::ContextLength | ErrorKind::Guardrail => (400, "invalid_request_error"),
        ErrorKind::Auth => (401, "authentication_error"),
        ErrorKind::NotFound => (404, "not_found_error"),
        ErrorKind::TooLarge => (413, "invalid_request_error"),
        ErrorKind::RateLimit => (429, "rate_limit_error"),
        ErrorKind::QuotaExceeded => (429, "insufficient_quota"),
        ErrorKind::Overloaded | ErrorKind::CircuitOpen => (503, "overloaded_error"),
        ErrorKind::Timeout => (504, "timeout_error"),
        ErrorKind::Config => (500, "api_error"),
        _ => (502, "api_error"),
    };
    // A provider's own status says more (403 vs 401, 422, 529) when it is an error status.
    let status = match e.status() {
        Some(s) if (400..=599).contains(&s) && e.kind() != ErrorKind::Config => s,
        _ => status,
    };
    let retry_after = e
        .retry_after()
        .map(|d| d.as_secs() + u64::from(d.subsec_nanos() > 0));
    let message = match e.provider() {
        Some(p) if !e.message().contains(p) => format!("{p}: {}", e.message()),
        _ => e.message().to_owned(),
    };
    ApiError {
        status,
        kind,
        message,
        retry_after,
    }
}

/// A short name of an error's kind, for metrics labels.
pub fn kind_label(e: &ApiError) -> &'static str {
    match e.status {
        401 | 403 => "auth",
        404 => "not_found",
        413 => "too_large",
        429 => "rate_limit",
        400..=499 => "bad_request",
        503 | 529 => "overloaded",
        504 => "timeout",
        _ => "server",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn statuses_and_retry_after_are_kept() {
        let e = Error::new(ErrorKind::RateLimit, "slow down")
            .with_status(429)
            .with_retry_after(Duration::from_millis(1500));
        let a = api_error(&e);
        assert_eq!(
            (a.status, a.kind, a.retry_after),
            (429, "rate_limit_error", Some(2))
        );
        let a = api_error(&Error::new(ErrorKind::Network, "reset"));
        assert_eq!((a.status, kind_label(&a)), (502, "server"));
        let a = api_error(&Error::new(ErrorKind::Auth, "bad key").with_status(403));
        assert_eq!(a.status, 403);
    }
}
