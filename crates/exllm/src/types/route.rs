//! The record of how a routed call went: every attempt with its deployment, error kind and
//! latency. A plain record kept on [`super::ChatResponse::route`]; the router (which fills
//! it) lives in `crate::router`, and this module knows nothing of it.

use serde::{Deserialize, Serialize};

/// The `Metadata` key under which routed streams announced their route before
/// [`super::StreamEvent::Route`] (recorded streams and cached answers may still hold it); the
/// collector moves such an event to [`super::ChatResponse::route`].
pub const ROUTE_KEY: &str = "exllm_route";

/// One call sent to a deployment.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RouteAttempt {
    /// The group it was routed from.
    pub group: String,
    /// The deployment's id.
    pub deployment: String,
    /// The deployment's `provider/model`.
    pub model: String,
    /// The error's kind (`RateLimit`, `Server`, ...); `None` for an attempt that answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The HTTP status of the error, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// How long the attempt took (for streams: until the first content or the failure).
    pub latency_ms: u64,
    /// The attempt continued a stream that broke after content on an earlier attempt (its
    /// answer was joined to what had arrived).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub resumed: bool,
}

/// Every attempt of a routed call, in order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Route {
    /// The group the caller asked for.
    pub group: String,
    /// The attempts.
    pub attempts: Vec<RouteAttempt>,
}

impl Route {
    /// The route of a routed answer: [`super::ChatResponse::route`], else the record a
    /// stream left in `provider_meta` under [`ROUTE_KEY`].
    pub fn of(resp: &super::ChatResponse) -> Option<Route> {
        if let Some(r) = &resp.route {
            return Some(r.clone());
        }
        serde_json::from_value(resp.provider_meta.get(ROUTE_KEY)?.clone()).ok()
    }

    /// The deployment that answered (the last attempt).
    pub fn answered_by(&self) -> Option<&str> {
        self.attempts.last().map(|a| a.deployment.as_str())
    }

    /// The route as JSON (a `Metadata` event's value).
    pub fn to_value(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }
}
