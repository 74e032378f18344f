//! The master key: callers present it as `Authorization: Bearer <key>` (OpenAI SDKs) or
//! `x-api-key: <key>` (Anthropic SDKs). Compared in constant time, never logged.

use http::HeaderMap;

/// The key a request presents, if any.
pub fn presented(headers: &HeaderMap) -> Option<&[u8]> {
    let bearer = headers
        .get(http::header::AUTHORIZATION)
        .map(|v| v.as_bytes())
        .filter(|v| {
            v.get(..7)
                .is_some_and(|s| s.eq_ignore_ascii_case(b"bearer "))
        })
        .map(|v| v[7..].trim_ascii());
    bearer.or_else(|| headers.get("x-api-key").map(|v| v.as_bytes().trim_ascii()))
}

/// Whether `given` equals `expected`, taking the same time wherever they differ (the
/// length of the expected key is not a secret worth hiding).
pub fn same_key(given: &[u8], expected: &[u8]) -> bool {
    let mut diff = u8::from(given.len() != expected.len());
    for (i, e) in expected.iter().enumerate() {
        diff |= e ^ given.get(i).copied().unwrap_or(!e);
    }
    diff == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_read_from_either_header_and_compared_whole() {
        let mut h = HeaderMap::new();
        assert_eq!(presented(&h), None);
        h.insert("x-api-key", "k1".parse().unwrap());
        assert_eq!(presented(&h), Some(&b"k1"[..]));
        h.insert("authorization", "Bearer  k2 ".parse().unwrap());
        assert_eq!(presented(&h), Some(&b"k2"[..]));
        h.insert("authorization", "Basic k2".parse().unwrap());
        assert_eq!(presented(&h), Some(&b"k1"[..]));
        h.remove("x-api-key");
        assert_eq!(presented(&h), None);
        assert!(same_key(b"secret", b"secret"));
        assert!(!same_key(b"secreT", b"secret"));
        assert!(!same_key(b"secret-longer", b"secret"));
        assert!(!same_key(b"sec", b"secret"));
        assert!(!same_key(b"", b"secret"));
    }
}
