//! Cache keys: a SHA-256 of the request written as canonical JSON (object keys sorted, no
//! whitespace), so the same request gives the same key in every process and on every
//! machine, whatever order its maps were filled in. Only the wire request is hashed: the
//! `provider/model` string, messages, tools, every parameter and `provider_options`. API
//! keys never reach it (they live in the client, not the request), nor do the call's
//! timeouts, retry or cache policy (`#[serde(skip)]` fields).

use crate::types::{ChatRequest, EmbedRequest};
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::fmt::Write;

/// The version of the key format; bump it when what is hashed changes.
const VERSION: &str = "v1";

/// The cache key of a chat request (`exllm:v1:chat:<sha256 hex>`).
pub fn chat_key(req: &ChatRequest) -> String {
    key("chat", req)
}

/// The cache key of an embeddings request (`exllm:v1:embed:<sha256 hex>`).
pub fn embed_key(req: &EmbedRequest) -> String {
    key("embed", req)
}

fn key(kind: &str, value: &impl Serialize) -> String {
    let json = serde_json::to_value(value).unwrap_or(Value::Null);
    let mut hasher = HashWriter(Sha256::new());
    canonical(&json, &mut hasher);
    let digest = hasher.0.finalize();
    let mut out = format!("exllm:{VERSION}:{kind}:");
    for b in digest.iter() {
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// Feeds written bytes straight into the hash (no intermediate string).
struct HashWriter(Sha256);

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
mod tests {
    use super::*;
    use crate::types::Message;

    #[test]
    fn key_order_does_not_matter() {
        let a: Value = serde_json::json!({"b": 1, "a": {"y": [1, 2], "x": "s"}});
        let b: Value = serde_json::json!({"a": {"x": "s", "y": [1, 2]}, "b": 1});
        let (mut sa, mut sb) = (Vec::new(), Vec::new());
        canonical(&a, &mut sa);
        canonical(&b, &mut sb);
        assert_eq!(sa, sb);
        assert_eq!(sa, br#"{"a":{"x":"s","y":[1,2]},"b":1}"#);
    }

    #[test]
    fn keys_follow_the_request_not_its_settings() {
        let req = ChatRequest::new("openai/gpt-4o-mini", vec![Message::user("Hi")]);
        let mut other = req.clone();
        other.retry = Some(crate::transport::RetryPolicy::none());
        assert_eq!(chat_key(&req), chat_key(&other));
        other.model = "anthropic/gpt-4o-mini".into();
        assert_ne!(chat_key(&req), chat_key(&other));
        assert!(chat_key(&req).starts_with("exllm:v1:chat:"));
        assert_eq!(chat_key(&req).len(), "exllm:v1:chat:".len() + 64);
    }
}
