//! Redaction for everything exllm logs: API keys (the endpoint's own and any the caller adds),
//! credential headers (`Authorization`, `x-api-key`, `x-goog-api-key`, AWS signatures and
//! session tokens), key-carrying URL query parameters, and the caller's own patterns (e.g.
//! e-mail addresses). Errors redact keys separately ([`crate::Error`]).

use http::HeaderMap;
use regex::Regex;
use std::borrow::Cow;

/// Headers whose values are never logged.
pub const SENSITIVE_HEADERS: &[&str] = &[
    "authorization",
    "proxy-authorization",
    "x-api-key",
    "api-key",
    "x-goog-api-key",
    "x-amz-security-token",
    "cookie",
    "set-cookie",
];

/// URL query parameters whose values are never logged.
const SENSITIVE_QUERY: &[&str] = &["key", "api-key", "api_key", "access_token", "token"];

/// What to take out of logged text.
///
/// ```
/// use exllm::telemetry::Redactor;
/// let r = Redactor::default()
///     .with_secret("sk-live-123456")
///     .with_pattern(regex::Regex::new(r"[\w.+-]+@[\w-]+\.[\w.]+").unwrap());
/// assert_eq!(r.redact("key sk-live-123456 for ada@example.com"), "key *** for ***");
/// ```
#[derive(Clone, Default)]
pub struct Redactor {
    secrets: Vec<String>,
    patterns: Vec<Regex>,
}

/// Shows how many secrets it holds, never the secrets.
impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Redactor")
            .field("secrets", &self.secrets.len())
            .field("patterns", &self.patterns)
            .finish()
    }
}

impl Redactor {
    /// Also redacts this exact text (ignored when shorter than 4 characters).
    pub fn with_secret(mut self, secret: impl Into<String>) -> Self {
        let s = secret.into();
        if s.len() >= 4 && !self.secrets.contains(&s) {
            self.secrets.push(s);
        }
        self
    }

    /// Also redacts every match of this pattern.
    pub fn with_pattern(mut self, pattern: Regex) -> Self {
        self.patterns.push(pattern);
        self
    }

    /// `text` with every secret and pattern match replaced by `***`.
    pub fn redact<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let mut out = Cow::Borrowed(text);
        for s in &self.secrets {
            if out.contains(s.as_str()) {
                out = Cow::Owned(out.replace(s.as_str(), "***"));
            }
        }
        for p in &self.patterns {
            if let Cow::Owned(r) = p.replace_all(&out, "***") {
                out = Cow::Owned(r);
            }
        }
        out
    }

    /// Headers as `name: value` lines, credential headers shown as `***`.
    pub fn headers(&self, headers: &HeaderMap) -> String {
        let mut out = String::new();
        for (name, value) in headers {
            let shown = if SENSITIVE_HEADERS.contains(&name.as_str())
                || crate::types::is_credential_header(name.as_str())
            {
                Cow::Borrowed("***")
            } else {
                self.redact(value.to_str().unwrap_or("<binary>"))
            };
            out.push_str(&format!("{name}: {shown}; "));
        }
        out
    }

    /// A URL with the values of key-carrying query parameters replaced.
    pub fn url(&self, url: &str) -> String {
        let Some((base, query)) = url.split_once('?') else {
            return self.redact(url).into_owned();
        };
        let query: Vec<String> = query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((k, _)) if SENSITIVE_QUERY.contains(&k.to_ascii_lowercase().as_str()) => {
                    format!("{k}=***")
                }
                _ => pair.to_owned(),
            })
            .collect();
        self.redact(&format!("{base}?{}", query.join("&")))
            .into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_urls_and_patterns() {
        let r = Redactor::default().with_secret("abcd1234");
        let mut h = HeaderMap::new();
        h.insert("authorization", "Bearer abcd1234".parse().unwrap());
        h.insert("x-custom", "has abcd1234 inside".parse().unwrap());
        h.insert("content-type", "application/json".parse().unwrap());
        let shown = r.headers(&h);
        assert!(!shown.contains("abcd1234"), "{shown}");
        assert!(shown.contains("authorization: ***"));
        assert!(shown.contains("content-type: application/json"));
        assert_eq!(
            r.url("https://h/v1/models?key=zzz&pageSize=5"),
            "https://h/v1/models?key=***&pageSize=5"
        );
        assert_eq!(Redactor::default().with_secret("ab").redact("ab"), "ab");
    }
}
