//! Gemini / Vertex AI context caches (`cachedContents`): what to cache and the cache the
//! server keeps. A request reads a cache by name through
//! [`CachedContent::use_in`] (the `cachedContent` field of `generateContent`), and the cached
//! tokens come back as [`crate::Usage::cache_read_tokens`], priced at the cache-read price.

use super::{ChatRequest, Message, Tool};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// The content of a new cache: the model it is for, the messages (a system message becomes
/// the cached `systemInstruction`) and tools, and how long it lives.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CachedContentCreate {
    /// The model, `gemini/gemini-2.5-flash` (or `vertex/...`); a cache serves one model.
    pub model: String,
    /// The messages to cache.
    pub messages: Vec<Message>,
    /// The tools to cache.
    pub tools: Vec<Tool>,
    /// How long the cache lives (the server's default, one hour, when neither this nor
    /// `expire_time` is set).
    pub ttl: Option<Duration>,
    /// When the cache expires instead, as an RFC 3339 time (`2026-12-07T10:00:00Z`).
    pub expire_time: Option<String>,
    /// A name to show in listings.
    pub display_name: Option<String>,
}

impl CachedContentCreate {
    /// A cache of `messages` for `model`, living for the server's default time.
    pub fn new(model: impl Into<String>, messages: Vec<Message>) -> Self {
        CachedContentCreate {
            model: model.into(),
            messages,
            ..Default::default()
        }
    }

    /// Sets how long the cache lives.
    pub fn with_ttl(mut self, ttl: Duration) -> Self {
        self.ttl = Some(ttl);
        self
    }
}

/// A context cache as the server describes it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CachedContent {
    /// Its resource name (`cachedContents/abc123`, or the full Vertex name), which requests
    /// and the other calls use.
    pub name: String,
    /// The model it serves (`models/gemini-2.5-flash`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Its display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// When it was made (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_time: Option<String>,
    /// When it was last changed (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_time: Option<String>,
    /// When it expires (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expire_time: Option<String>,
    /// The tokens it holds (`usageMetadata.totalTokenCount`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_tokens: Option<u64>,
}

impl CachedContent {
    /// `req` reading this cache: its name as Gemini's `cachedContent` field. The cache
    /// already holds its system instruction and tools, and Gemini refuses a request that
    /// sets them again, so `req` should carry only the new turns.
    pub fn use_in(&self, req: ChatRequest) -> ChatRequest {
        req.with_provider_option("cachedContent", self.name.clone().into())
    }
}

/// A page of caches.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CachedContentList {
    /// The caches on this page.
    pub caches: Vec<CachedContent>,
    /// The token of the next page, when there is one.
    pub next_page_token: Option<String>,
}
