//! Why a failed attempt moves on (to another deployment, a fallback group, or nowhere). The
//! record of the attempts ([`Route`]) is a plain type of `crate::types`, kept on
//! [`crate::ChatResponse::route`].

use crate::{Error, ErrorKind};

pub use crate::types::{Route, RouteAttempt as Attempt, ROUTE_KEY};

/// Why an attempt failed, as the router acts on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cause {
    /// The prompt does not fit: `context_window_fallbacks`.
    ContextWindow,
    /// The content was refused: `content_policy_fallbacks`.
    ContentPolicy,
    /// The deployment failed: another one of the group, then `fallbacks`.
    Deployment,
    /// The request itself was refused: no point in the same group; `fallbacks`.
    Request,
    /// The caller's own time ran out: stop.
    Caller,
}

/// Whether a provider refused the content (OpenAI `content_policy_violation`, Azure
/// `content_filter`, and messages saying so).
fn is_content_policy(e: &Error) -> bool {
    let code = e.code().unwrap_or("").to_ascii_lowercase();
    if code.contains("content_policy") || code.contains("content_filter") {
        return true;
    }
    let msg = e.message().to_ascii_lowercase();
    if msg.contains("content policy")
        || msg.contains("content management policy")
        || msg.contains("safety system")
    {
        return true;
    }
    // The code may sit beside the `type` the error kept (OpenAI sends both).
    e.body().is_some_and(|b| {
        b.contains("\"content_policy_violation\"") || b.contains("\"content_filter\"")
    })
}

pub(crate) fn cause_of(e: &Error) -> Cause {
    if e.timeout_kind() == Some(crate::TimeoutKind::Total) {
        return Cause::Caller;
    }
    match e.kind() {
        ErrorKind::ContextLength => Cause::ContextWindow,
        ErrorKind::BadRequest | ErrorKind::InvalidInput if is_content_policy(e) => {
            Cause::ContentPolicy
        }
        ErrorKind::BadRequest
        | ErrorKind::InvalidInput
        | ErrorKind::Unsupported
        | ErrorKind::TooLarge => Cause::Request,
        _ => Cause::Deployment,
    }
}

pub(crate) fn kind_name(k: ErrorKind) -> String {
    format!("{k:?}")
}
