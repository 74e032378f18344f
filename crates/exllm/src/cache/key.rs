//! Cache keys: a SHA-256 over who answers (the [`CacheScope`]: provider, resolved base URL,
//! wire API and a keyed hash of the credential) and the request written as canonical JSON
//! (object keys sorted, no whitespace), so the same call gives the same key in every process
//! and on every machine, while two servers, two API keys or two tenants sharing one backend
//! never see each other's answers. The credential itself never reaches the key: only an
//! HMAC-SHA256 of it under the cache's own secret is hashed in. The call's timeouts, retry
//! and cache policy (`#[serde(skip)]` fields) are not part of the request's JSON.

use crate::error::{Error, ErrorKind, Result};
use crate::types::{ChatRequest, EmbedRequest, Secret};
use hmac::{Hmac, KeyInit, Mac};
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::fmt::{self, Write};

/// The version of the key format; bump it when what is hashed changes.
const VERSION: &str = "v2";

/// The HMAC key used for credentials when the cache was given no secret of its own. Keys
/// stay unreadable either way (the credential is hashed twice into a SHA-256); a secret of
/// the deployment's own ([`crate::cache::Cache::with_secret`]) also keeps a party that can
/// read the backend from testing guessed credentials against it.
const DEFAULT_SECRET: &[u8] = b"exllm cache credential scope";

/// Who answers a call: what, besides the request, decides the answer. Two calls share a cached
/// answer only when their scopes are equal.
#[derive(Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CacheScope {
    /// The provider's name (`openai`, `ollama`, a custom provider's name).
    pub provider: String,
    /// The base URL requests go to, after the caller's overrides and placeholders.
    pub base_url: String,
    /// The wire API (`openai-chat`, ...); empty for providers that are not HTTP.
    pub api: String,
    /// The credential requests carry (never written anywhere: only its keyed hash is used).
    pub credential: Option<Secret>,
}

impl CacheScope {
    /// A scope for a provider reached at `base_url` through `api`.
    pub fn new(
        provider: impl Into<String>,
        base_url: impl Into<String>,
        api: impl Into<String>,
    ) -> Self {
        CacheScope {
            provider: provider.into(),
            base_url: base_url.into(),
            api: api.into(),
            credential: None,
        }
    }

    /// Sets the credential whose keyed hash separates callers with different keys.
    pub fn with_credential(mut self, credential: Option<Secret>) -> Self {
        self.credential = credential.filter(|c| !c.is_empty());
        self
    }
}

impl fmt::Debug for CacheScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CacheScope")
            .field("provider", &self.provider)
            .field("base_url", &self.base_url)
            .field("api", &self.api)
            .field("credential", &self.credential.as_ref().map(|_| "***"))
            .finish()
    }
}

/// Computes keys for one cache: its namespace (a tenant) and its credential secret.
#[derive(Clone)]
pub(crate) struct KeyMaker {
    pub(crate) namespace: String,
    pub(crate) secret: Secret,
}

impl Default for KeyMaker {
    fn default() -> Self {
        KeyMaker {
            namespace: String::new(),
            secret: Secret::new(String::from_utf8_lossy(DEFAULT_SECRET).into_owned()),
        }
    }
}

impl KeyMaker {
    /// The key of a chat request sent in `scope` (`exllm:v2:chat:<sha256 hex>`).
    pub(crate) fn chat(&self, scope: &CacheScope, req: &ChatRequest) -> Result<String> {
        finite(req)?;
        self.key("chat", scope, req)
    }

    /// The key of an embeddings request sent in `scope` (`exllm:v2:embed:<sha256 hex>`).
    pub(crate) fn embed(&self, scope: &CacheScope, req: &EmbedRequest) -> Result<String> {
        self.key("embed", scope, req)
    }

    fn key(&self, kind: &str, scope: &CacheScope, value: &impl Serialize) -> Result<String> {
        let json = serde_json::to_value(value).map_err(|e| {
            Error::new(
                ErrorKind::InvalidInput,
                format!("the request cannot be written as JSON for its cache key: {e}"),
            )
        })?;
        let mut hasher = HashWriter(Sha256::new());
        // Each part is length-prefixed so that no two different scopes hash alike.
        for part in [
            VERSION,
            kind,
            &self.namespace,
            &scope.provider,
            &scope.base_url,
            &scope.api,
        ] {
            hasher.part(part.as_bytes());
        }
        match &scope.credential {
            Some(c) => {
                let mut mac =
                    <Hmac<Sha256> as KeyInit>::new_from_slice(self.secret.expose().as_bytes())
                        .map_err(|e| Error::new(ErrorKind::Config, format!("cache secret: {e}")))?;
                mac.update(c.expose().as_bytes());
                hasher.part(&mac.finalize().into_bytes());
            }
            None => hasher.part(b""),
        }
        canonical(&json, &mut hasher);
        let digest = hasher.0.finalize();
        let mut out = format!("exllm:{VERSION}:{kind}:");
        for b in digest.iter() {
            let _ = write!(out, "{b:02x}");
        }
        Ok(out)
    }
}

/// Refuses a request whose numbers JSON cannot carry: `serde_json` writes NaN and infinities
/// as `null`, so such a request would share its key with the one that leaves the field out.
fn finite(req: &ChatRequest) -> Result<()> {
    let fields = [
        ("temperature", req.temperature),
        ("top_p", req.top_p),
        ("frequency_penalty", req.frequency_penalty),
        ("presence_penalty", req.presence_penalty),
    ];
    for (name, v) in fields {
        if v.is_some_and(|v| !v.is_finite()) {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                format!("`{name}` is not a finite number; the request has no cache key"),
            ));
        }
    }
    Ok(())
}

/// Feeds written bytes straight into the hash (no intermediate string).
struct HashWriter(Sha256);

impl HashWriter {
    fn part(&mut self, bytes: &[u8]) {
        self.0.update((bytes.len() as u64).to_le_bytes());
        self.0.update(bytes);
    }
}

impl std::io::Write for HashWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Writes `v` as JSON with object keys in byte order, independent of how `serde_json` keeps
/// its maps (the `preserve_order` feature may be on elsewhere in the build).
pub fn canonical(v: &Value, out: &mut impl std::io::Write) {
    // Writes to a hash or a Vec cannot fail; a failed write could only shorten the input.
    match v {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
            let _ = out.write_all(b"{");
            for (i, (k, inner)) in entries.into_iter().enumerate() {
                if i > 0 {
                    let _ = out.write_all(b",");
                }
                let _ = serde_json::to_writer(&mut *out, k);
                let _ = out.write_all(b":");
                canonical(inner, out);
            }
            let _ = out.write_all(b"}");
        }
        Value::Array(items) => {
            let _ = out.write_all(b"[");
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    let _ = out.write_all(b",");
                }
                canonical(item, out);
            }
            let _ = out.write_all(b"]");
        }
        other => {
            let _ = serde_json::to_writer(&mut *out, other);
        }
    }
}

#[cfg(test)]
mod tests;
