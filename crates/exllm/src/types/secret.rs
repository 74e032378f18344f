//! A redacting wrapper for API keys and other credentials, so they never reach `Debug`
//! output, logs, errors or traces by accident.

use std::fmt;

/// A secret string (an API key, a token). `Debug` and `Display` print `***`; the value is only
/// reachable through [`Secret::expose`].
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret itself; call only where it must go on the wire.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the secret is the empty string.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Whether a header of this name carries a credential: the well-known ones (`Authorization`,
/// `x-api-key`, `api-key`, cookies, AWS session tokens) and any whose name says key, token,
/// secret, password, signature or auth. Their values are marked sensitive on the wire (never
/// indexed by HTTP/2 header compression) and redacted from logs.
pub fn is_credential_header(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    matches!(
        n.as_str(),
        "authorization" | "proxy-authorization" | "cookie" | "set-cookie" | "x-amz-security-token"
    ) || [
        "key",
        "token",
        "secret",
        "password",
        "passwd",
        "signature",
        "auth",
        "credential",
    ]
    .iter()
    .any(|w| n.contains(w))
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Self {
        Secret(s.to_owned())
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Self {
        Secret(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_hide_the_value() {
        let s = Secret::new("sk-very-secret");
        assert_eq!(format!("{s:?}"), "Secret(***)");
        assert_eq!(format!("{s}"), "***");
        assert_eq!(s.expose(), "sk-very-secret");
    }
}
