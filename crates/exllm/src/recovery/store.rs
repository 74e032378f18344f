//! The in-memory store of interrupted answers: bounded in age (entries expire after a TTL,
//! swept on every write) and in number, and grouped by session so a conversation can hold
//! several interrupted answers at once.

use crate::error::ErrorKind;
use crate::types::{ChatRequest, ChatResponse};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What a stream keeps for resuming unless told otherwise.
pub const DEFAULT_MAX_KEPT_BYTES: usize = 16 << 20;

/// An answer whose stream broke, with the request that asked for it.
#[derive(Debug, Clone)]
pub struct Interrupted {
    /// The recovery id.
    pub id: String,
    /// The request as sent (model with its provider prefix).
    pub request: ChatRequest,
    /// Everything received before the break.
    pub partial: ChatResponse,
    /// What broke it.
    pub error_kind: ErrorKind,
    /// The error's text.
    pub error: String,
    /// The session it belongs to (the request's `user`, when set).
    pub session: Option<String>,
    saved: Instant,
}

/// Interrupted answers by recovery id. Cheap to clone; clones share the entries.
///
/// ```
/// use exllm::recovery::RecoveryStore;
/// let store = RecoveryStore::new(std::time::Duration::from_secs(600));
/// assert!(store.is_empty());
/// ```
#[derive(Debug, Clone)]
pub struct RecoveryStore {
    inner: Arc<Inner>,
    /// Per clone: a setting of the streams that save here, not of the entries.
    max_kept_bytes: usize,
}

#[derive(Debug)]
struct Inner {
    entries: Mutex<HashMap<String, Interrupted>>,
    ttl: Duration,
    max_entries: usize,
    next: AtomicU64,
}

impl Default for RecoveryStore {
    /// Entries kept 30 minutes, at most 1,000.
    fn default() -> Self {
        Self::new(Duration::from_secs(30 * 60))
    }
}

impl RecoveryStore {
    /// A store whose entries expire after `ttl`.
    pub fn new(ttl: Duration) -> Self {
        RecoveryStore {
            inner: Arc::new(Inner {
                entries: Mutex::new(HashMap::new()),
                ttl,
                max_entries: 1000,
                next: AtomicU64::new(1),
            }),
            max_kept_bytes: DEFAULT_MAX_KEPT_BYTES,
        }
    }

    /// Keeps at most `bytes` of a stream's text, reasoning and tool arguments for resuming
    /// (default 16 MiB, far more than any model writes in one answer). A stream that passes
    /// it goes on but is no longer kept, so memory stays bounded however long it runs; if it
    /// breaks after that, its error has no recovery id.
    ///
    /// ```
    /// let store = exllm::recovery::RecoveryStore::default().with_max_kept_bytes(1 << 20);
    /// assert_eq!(store.max_kept_bytes(), 1 << 20);
    /// ```
    pub fn with_max_kept_bytes(mut self, bytes: usize) -> Self {
        self.max_kept_bytes = bytes;
        self
    }

    /// How much of one stream is kept for resuming.
    pub fn max_kept_bytes(&self) -> usize {
        self.max_kept_bytes
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<String, Interrupted>> {
        self.inner.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Keeps an interrupted answer; its recovery id.
    pub fn save(
        &self,
        request: ChatRequest,
        partial: ChatResponse,
        error_kind: ErrorKind,
        error: String,
    ) -> String {
        let n = self.inner.next.fetch_add(1, Ordering::Relaxed);
        let id = format!("rec_{}_{n}", std::process::id());
        let now = Instant::now();
        let mut entries = self.entries();
        entries.retain(|_, e| now.duration_since(e.saved) < self.inner.ttl);
        if entries.len() >= self.inner.max_entries {
            // Full of live entries: the oldest goes.
            if let Some(oldest) = entries
                .values()
                .min_by_key(|e| e.saved)
                .map(|e| e.id.clone())
            {
                entries.remove(&oldest);
            }
        }
        let session = request.user.clone();
        entries.insert(
            id.clone(),
            Interrupted {
                id: id.clone(),
                request,
                partial,
                error_kind,
                error,
                session,
                saved: now,
            },
        );
        id
    }

    /// The interrupted answer `id`, unless it expired.
    pub fn get(&self, id: &str) -> Option<Interrupted> {
        let entries = self.entries();
        entries
            .get(id)
            .filter(|e| e.saved.elapsed() < self.inner.ttl)
            .cloned()
    }

    /// Removes an entry (after a successful resume).
    pub fn remove(&self, id: &str) -> Option<Interrupted> {
        self.entries().remove(id)
    }

    /// The live interrupted answers of a session, oldest first.
    pub fn session(&self, session: &str) -> Vec<Interrupted> {
        let mut out: Vec<Interrupted> = self
            .entries()
            .values()
            .filter(|e| e.session.as_deref() == Some(session))
            .filter(|e| e.saved.elapsed() < self.inner.ttl)
            .cloned()
            .collect();
        out.sort_by_key(|e| e.saved);
        out
    }

    /// Number of live entries.
    pub fn len(&self) -> usize {
        let ttl = self.inner.ttl;
        self.entries()
            .values()
            .filter(|e| e.saved.elapsed() < ttl)
            .count()
    }

    /// Whether there are no live entries.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Message;

    fn req(user: Option<&str>) -> ChatRequest {
        let mut r = ChatRequest::new("p/m", vec![Message::user("hi")]);
        r.user = user.map(str::to_owned);
        r
    }

    #[test]
    fn entries_expire_and_group_by_session() {
        let s = RecoveryStore::new(Duration::from_millis(50));
        let a = s.save(
            req(Some("s1")),
            ChatResponse::default(),
            ErrorKind::Network,
            "x".into(),
        );
        let b = s.save(
            req(Some("s1")),
            ChatResponse::default(),
            ErrorKind::Timeout,
            "y".into(),
        );
        s.save(
            req(None),
            ChatResponse::default(),
            ErrorKind::Network,
            "z".into(),
        );
        assert_ne!(a, b);
        assert_eq!(
            s.session("s1").iter().map(|e| &e.id).collect::<Vec<_>>(),
            [&a, &b]
        );
        assert_eq!(s.len(), 3);
        std::thread::sleep(Duration::from_millis(60));
        assert!(s.get(&a).is_none());
        assert!(s.is_empty());
        // The next write sweeps expired entries.
        s.save(
            req(None),
            ChatResponse::default(),
            ErrorKind::Network,
            "w".into(),
        );
        assert_eq!(s.entries().len(), 1);
    }
}
