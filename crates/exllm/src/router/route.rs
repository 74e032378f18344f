//! The record of how a call was routed — every attempt with its deployment, error kind and
//! latency — kept in the answer's `provider_meta` under [`ROUTE_KEY`] (the response type is
//! shared by every call and does not change for the router), and why a failed attempt moves on.

use crate::{ChatResponse, Error, ErrorKind};
use serde::{Deserialize, Serialize};

/// The `provider_meta` key of a routed answer's [`Route`].
pub const ROUTE_KEY: &str = "exllm_route";

/// One call sent to a deployment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attempt {
    /// The group it was routed from.
    pub group: String,
    /// The deployment's id.
    pub deployment: String,
    /// The deployment's `provider/model`.
    pub model: String,
    /// The error's kind (`RateLimit`, `Server`, ...); `None` for the attempt that answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The HTTP status of the error, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// How long the attempt took (for streams: until the first content or the failure).
    pub latency_ms: u64,
}

/// Every attempt of a routed call, in order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Route {
    /// The group the caller asked for.
    pub group: String,
    /// The attempts.
    pub attempts: Vec<Attempt>,
}

impl Route {
    /// The route recorded in a routed answer.
    pub fn of(resp: &ChatResponse) -> Option<Route> {
        serde_json::from_value(resp.provider_meta.get(ROUTE_KEY)?.clone()).ok()
    }

    /// The deployment that answered (the last attempt).
    pub fn answered_by(&self) -> Option<&str> {
        self.attempts.last().map(|a| a.deployment.as_str())
    }

    pub(crate) fn to_value(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }
}

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
