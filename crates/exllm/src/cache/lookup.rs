//! The client's side of the cache: look a call up before it goes to the provider, store its
//! answer after, and turn a stored answer into a hit (zero usage and cost, marked in
//! `provider_meta`). Kept here so the client only needs a few lines per call.

use super::{stats::Counters, Cache, CacheScope};
use crate::catalog::Cost;
use crate::stream::ChatStream;
use crate::types::{
    response_to_events, ChatRequest, ChatResponse, EmbedRequest, EmbedResponse, FinishKind,
    StreamEvent, Usage,
};
use crate::Collector;
use futures_util::StreamExt;
use serde::{de::DeserializeOwned, Serialize};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The `provider_meta` key that marks a cache hit (value `"hit"`).
pub const HIT_KEY: &str = "exllm_cache";
/// The `provider_meta` key of what a hit saved: `{"usage": .., "cost": ..}` as first spent.
pub const SAVED_KEY: &str = "exllm_cache_saved";

/// The outcome of a lookup.
pub(crate) enum Lookup<T> {
    /// The stored answer, already marked as a hit.
    Hit(Box<T>),
    /// Go to the provider; then give the answer to [`Pending::store`].
    Miss(Pending),
}

/// Where to store the answer of a missed lookup (nothing when the call is not cached).
pub(crate) struct Pending(Option<(Cache, String, Duration)>);

impl Pending {
    /// Nothing to store: the call is not cached.
    pub(crate) fn none() -> Self {
        Pending(None)
    }
}

/// An answer the cache can hold.
trait Cached: Serialize + DeserializeOwned {
    fn usage(&self) -> Option<&Usage>;
    fn cost(&self) -> Option<&Cost>;
    /// Whether the answer is worth keeping (not an error).
    fn storable(&self) -> bool;
    /// The answer as a hit returns it.
    fn into_hit(self) -> Self;
}

fn zero_usage(u: &Option<Usage>) -> Option<Usage> {
    u.as_ref().map(|_| Usage {
        input_tokens: Some(0),
        output_tokens: Some(0),
        ..Default::default()
    })
}

impl Cached for ChatResponse {
    fn usage(&self) -> Option<&Usage> {
        self.usage.as_ref()
    }
    fn cost(&self) -> Option<&Cost> {
        self.cost.as_ref()
    }
    fn storable(&self) -> bool {
        self.error.is_none() && self.finish_kind() != Some(FinishKind::Error)
    }
    fn into_hit(mut self) -> Self {
        let saved = json!({ "usage": self.usage, "cost": self.cost });
        self.provider_meta.insert(SAVED_KEY.into(), saved);
        self.provider_meta
            .insert(HIT_KEY.into(), Value::String("hit".into()));
        self.usage = zero_usage(&self.usage);
        self.cost = self.cost.as_ref().map(|_| Cost::default());
        self
    }
}

impl Cached for EmbedResponse {
    fn usage(&self) -> Option<&Usage> {
        self.usage.as_ref()
    }
    fn cost(&self) -> Option<&Cost> {
        None
    }
    fn storable(&self) -> bool {
        !self.embeddings.is_empty()
    }
    fn into_hit(mut self) -> Self {
        self.usage = zero_usage(&self.usage);
        self
    }
}

/// Looks a chat call up (`streaming` for `chat_stream`).
pub(crate) async fn chat_lookup(
    cache: Option<&Cache>,
    scope: &CacheScope,
    req: &ChatRequest,
    streaming: bool,
) -> Lookup<ChatResponse> {
    let Some(cache) = cache else {
        return Lookup::Miss(Pending(None));
    };
    let policy = req.cache.as_ref().unwrap_or(&cache.policy);
    if !policy.allows(req, streaming) {
        Counters::bump(&cache.counters.bypassed);
        return Lookup::Miss(Pending(None));
    }
    let ttl = policy.ttl.unwrap_or(cache.ttl);
    match cache.keys.chat(scope, req) {
        Ok(key) => lookup(cache, key, ttl).await,
        Err(e) => unkeyed(cache, e),
    }
}

/// Looks an embeddings call up.
pub(crate) async fn embed_lookup(
    cache: Option<&Cache>,
    scope: &CacheScope,
    req: &EmbedRequest,
) -> Lookup<EmbedResponse> {
    let Some(cache) = cache else {
        return Lookup::Miss(Pending(None));
    };
    if !cache.policy.enabled || !cache.policy.embeddings {
        Counters::bump(&cache.counters.bypassed);
        return Lookup::Miss(Pending(None));
    }
    let ttl = cache.policy.ttl.unwrap_or(cache.ttl);
    match cache.keys.embed(scope, req) {
        Ok(key) => lookup(cache, key, ttl).await,
        Err(e) => unkeyed(cache, e),
    }
}

/// A request with no key is neither looked up nor stored (it must not share a key with
/// others); the cache never fails the call, so it goes to the provider.
fn unkeyed<T>(cache: &Cache, e: crate::Error) -> Lookup<T> {
    tracing::warn!("response not cached: {e}");
    Counters::bump(&cache.counters.errors);
    Lookup::Miss(Pending(None))
}

async fn lookup<T: Cached>(cache: &Cache, key: String, ttl: Duration) -> Lookup<T> {
    let c = &cache.counters;
    match cache.backend.get(&key).await {
        Ok(Some(bytes)) => match serde_json::from_slice::<T>(&bytes) {
            Ok(stored) => {
                c.hit(stored.usage(), stored.cost());
                return Lookup::Hit(Box::new(stored.into_hit()));
            }
            Err(e) => {
                tracing::warn!(key, "unreadable cache entry ignored: {e}");
                Counters::bump(&c.errors);
            }
        },
        Ok(None) => Counters::bump(&c.misses),
        Err(e) => {
            tracing::warn!(key, "cache lookup failed: {e}");
            Counters::bump(&c.errors);
        }
    }
    Lookup::Miss(Pending(Some((cache.clone(), key, ttl))))
}

impl<T> Lookup<T> {
    /// The pending store of a miss (nothing for a hit).
    pub(crate) fn into_pending(self) -> Pending {
        match self {
            Lookup::Miss(p) => p,
            Lookup::Hit(_) => Pending(None),
        }
    }
}

impl Pending {
    /// Stores a chat answer (errors are not stored).
    pub(crate) async fn store(&self, resp: &ChatResponse) {
        self.put(resp).await
    }

    /// Stores embeddings.
    pub(crate) async fn store_embed(&self, resp: &EmbedResponse) {
        self.put(resp).await
    }

    async fn put<T: Cached>(&self, value: &T) {
        let Some((cache, key, ttl)) = &self.0 else {
            return;
        };
        if !value.storable() {
            return;
        }
        let stored = match serde_json::to_vec(value) {
            Ok(bytes) => cache.backend.put(key, bytes, *ttl).await,
            Err(e) => Err(crate::Error::new(crate::ErrorKind::Decode, e.to_string())),
        };
        match stored {
            Ok(()) => Counters::bump(&cache.counters.stores),
            Err(e) => {
                tracing::warn!(key, "cache store failed: {e}");
                Counters::bump(&cache.counters.errors);
            }
        }
    }

    /// Records a stream as it is read and stores the answer once it ends without error.
    pub(crate) fn record(self, stream: ChatStream) -> ChatStream {
        if self.0.is_none() {
            return stream;
        }
        let pricing = stream.shared_pricing();
        let collector = Arc::new(Mutex::new(Some(Collector::new())));
        let seen = collector.clone();
        let events = stream.map(move |item| {
            let mut slot = seen.lock().unwrap_or_else(|p| p.into_inner());
            match &item {
                Ok(e) => {
                    if let Some(c) = slot.as_mut() {
                        c.push(e.clone());
                    }
                }
                Err(_) => *slot = None,
            }
            item
        });
        let price = pricing.clone();
        let tail = futures_util::stream::once(async move {
            let done = collector.lock().unwrap_or_else(|p| p.into_inner()).take();
            if let Some(c) = done {
                let mut resp = c.finish();
                if let (Some(m), Some(u)) = (&price, &resp.usage) {
                    resp.cost = Some(m.cost(u, Default::default()));
                }
                self.store(&resp).await;
            }
        })
        .filter_map(|()| async { None::<crate::Result<StreamEvent>> });
        let out = ChatStream::new(events.chain(tail));
        out.priced_like(pricing)
    }
}

/// A hit replayed as a stream.
pub(crate) fn replay(resp: &ChatResponse) -> ChatStream {
    ChatStream::from_events(response_to_events(resp))
}
