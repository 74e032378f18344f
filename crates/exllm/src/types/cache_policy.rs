//! What gets cached. Caching is a trade: a cached answer is only right when the request is
//! meant to be deterministic, so sampling (temperature > 0), streams and tool-loop steps are
//! each a separate choice, settable on the cache (the default) and per request
//! ([`crate::ChatRequest::cache`]).

use super::{ChatRequest, Part};
use std::time::Duration;

/// When and how long answers are cached.
///
/// ```
/// use exllm::cache::CachePolicy;
/// use std::time::Duration;
/// let p = CachePolicy::default().with_ttl(Duration::from_secs(60)).with_stream(true);
/// assert!(p.enabled && p.stream && !p.force);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct CachePolicy {
    /// Use the cache at all (default true); `false` neither reads nor writes it.
    pub enabled: bool,
    /// How long a stored answer lives; `None` takes the cache's default TTL.
    pub ttl: Option<Duration>,
    /// Cache streamed calls too: a hit is replayed as a stream, a miss is recorded as it
    /// streams and stored when it ends without error (default false).
    pub stream: bool,
    /// Cache even when `temperature > 0`, where each call may rightly answer differently
    /// (default false). A request without a temperature counts as deterministic.
    pub force: bool,
    /// Cache steps of a tool loop: requests that carry tool results (default true; the key
    /// includes those results, so a step is only reused for the same results).
    pub tool_steps: bool,
    /// Cache embeddings (default true; only the cache's own policy applies to them).
    pub embeddings: bool,
}

impl Default for CachePolicy {
    fn default() -> Self {
        CachePolicy {
            enabled: true,
            ttl: None,
            stream: false,
            force: false,
            tool_steps: true,
            embeddings: true,
        }
    }
}

impl CachePolicy {
    /// A policy that turns the cache off.
    pub fn off() -> Self {
        CachePolicy {
            enabled: false,
            ..Default::default()
        }
    }

    /// Sets the TTL.
    pub fn with_ttl(mut self, ttl: Duration) -> Self {
        self.ttl = Some(ttl);
        self
    }

    /// Sets whether streamed calls are cached.
    pub fn with_stream(mut self, on: bool) -> Self {
        self.stream = on;
        self
    }

    /// Sets whether requests with `temperature > 0` are cached.
    pub fn with_force(mut self, on: bool) -> Self {
        self.force = on;
        self
    }

    /// Sets whether tool-loop steps are cached.
    pub fn with_tool_steps(mut self, on: bool) -> Self {
        self.tool_steps = on;
        self
    }

    /// Sets whether embeddings are cached.
    pub fn with_embeddings(mut self, on: bool) -> Self {
        self.embeddings = on;
        self
    }

    /// Whether a chat call of `req` may use the cache under this policy.
    pub fn allows(&self, req: &ChatRequest, streaming: bool) -> bool {
        if !self.enabled || (streaming && !self.stream) {
            return false;
        }
        if !self.force && req.temperature.is_some_and(|t| t > 0.0) {
            return false;
        }
        self.tool_steps || !is_tool_step(req)
    }
}

/// A request that carries tool results: a step of a tool loop.
fn is_tool_step(req: &ChatRequest) -> bool {
    req.messages
        .iter()
        .flat_map(|m| m.content.iter())
        .any(|p| matches!(p, Part::ToolResult(_)))
}
