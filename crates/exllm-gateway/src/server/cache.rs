//! The gateway's response cache (`[cache]`): a whole chat answer kept under its tenant (the
//! caller's team, else its key, else `open`) and the public model name, and given again to the
//! same tenant asking the same thing, without calling the provider.
//!
//! * **Shared**: with `[governance.shared]` the entries live in the same Redis (keys
//!   `<prefix>cache:<tenant>:<sha256>`), so an answer one instance stored is a hit on every
//!   other; else in this instance's memory (moka, size-bounded).
//! * **Tenants never share**: the tenant is the key's prefix and part of nothing else, so
//!   one team's answers are never another's, and an operator can drop a tenant's entries by
//!   prefix. The key of the request is the library's ([`exllm::cache::Cache::chat_key`]):
//!   the SHA-256 of its canonical JSON and the model name, never the caller's key.
//! * **What is cached**: answers to deterministic requests (no `temperature`, or 0), that
//!   ended without a provider error, for callers without guardrails. Streams are not cached.
//! * **Accounting**: a hit still goes through admission (it counts toward RPM) and settles
//!   at zero cost; the answer carries the usage of the call that made it, and the header
//!   `x-exllm-cache: hit`. Redis out of reach or slower than its timeout is a miss, counted.

use crate::budget::Caller;
use crate::config::GatewayConfig;
use exllm::cache::{Cache, CacheBackend, CacheScope, MemoryBackend, RedisBackend};
use exllm::{ChatRequest, ChatResponse, Result};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// The response cache of one gateway config.
pub struct ResponseCache {
    backend: Arc<dyn CacheBackend>,
    keys: Cache,
    ttl: Duration,
    timeout: Duration,
    shared: bool,
    hits: AtomicU64,
    misses: AtomicU64,
    errors: AtomicU64,
}

impl ResponseCache {
    /// The cache `cfg` asks for, if any: in governance's Redis when it has one.
    pub fn build(cfg: &GatewayConfig) -> Result<Option<Arc<ResponseCache>>> {
        let Some(c) = &cfg.cache else {
            return Ok(None);
        };
        let (backend, timeout, shared): (Arc<dyn CacheBackend>, _, _) = match &cfg.governance.shared
        {
            Some(s) => (
                Arc::new(
                    RedisBackend::new(&s.redis_url)?.with_prefix(format!("{}cache:", s.prefix)),
                ),
                s.timeout,
                true,
            ),
            None => (
                Arc::new(MemoryBackend::new(c.max_bytes)),
                Duration::from_secs(1),
                false,
            ),
        };
        Ok(Some(Arc::new(ResponseCache {
            backend,
            keys: Cache::memory(),
            ttl: c.ttl,
            timeout,
            shared,
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            errors: AtomicU64::new(0),
        })))
    }

    /// Where `req` to the public model `name` is kept for `caller`; `None` when it is not
    /// cached (a stream, a sampled answer).
    pub fn key(&self, caller: &Caller, name: &str, req: &ChatRequest) -> Option<String> {
        if !req.temperature.is_none_or(|t| t == 0.0) {
            return None;
        }
        let tenant = match caller {
            Caller::Key(k) => match &k.team {
                Some(team) => format!("team:{team}"),
                None => format!("key:{}", k.id),
            },
            Caller::Master | Caller::Open => "open".to_owned(),
        };
        let scope = CacheScope::new("exllm-serve", name, "chat");
        let key = self.keys.chat_key(&scope, req).ok()?;
        Some(format!("{tenant}:{key}"))
    }

    /// The answer kept under `key`; a miss when there is none or the store does not answer.
    pub async fn get(&self, key: &str) -> Option<ChatResponse> {
        let found = match tokio::time::timeout(self.timeout, self.backend.get(key)).await {
            Ok(Ok(v)) => v,
            Ok(Err(e)) => return self.failed(&e.to_string()),
            Err(_) => return self.failed("no answer in time"),
        };
        let answer = found.and_then(|bytes| serde_json::from_slice::<ChatResponse>(&bytes).ok());
        let counter = if answer.is_some() {
            &self.hits
        } else {
            &self.misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
        answer
    }

    fn failed(&self, why: &str) -> Option<ChatResponse> {
        if self.errors.fetch_add(1, Ordering::Relaxed) == 0 {
            tracing::warn!("response cache: {why}; answering from the provider");
        }
        self.misses.fetch_add(1, Ordering::Relaxed);
        None
    }

    /// Keeps `answer` under `key`, off the request's path.
    pub fn put(self: &Arc<Self>, key: String, answer: &ChatResponse) {
        let Ok(bytes) = serde_json::to_vec(answer) else {
            return;
        };
        let me = self.clone();
        tokio::spawn(async move {
            let put = me.backend.put(&key, bytes, me.ttl);
            match tokio::time::timeout(me.timeout, put).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => {
                    me.failed(&e.to_string());
                }
                Err(_) => {
                    me.failed("no answer in time");
                }
            }
        });
    }

    /// The Prometheus lines: hits, misses and store errors.
    pub fn render(&self) -> String {
        let store = if self.shared { "redis" } else { "memory" };
        let mut out = String::new();
        for (name, c) in [
            ("hits", &self.hits),
            ("misses", &self.misses),
            ("errors", &self.errors),
        ] {
            let name = format!("exllm_gateway_cache_{name}_total");
            out.push_str(&format!(
                "# TYPE {name} counter\n{name}{{store=\"{store}\"}} {}\n",
                c.load(Ordering::Relaxed)
            ));
        }
        out
    }
}
