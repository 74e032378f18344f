//! Bearer tokens bought from a token endpoint and cached until shortly before they expire:
//! OAuth 2.0 client credentials (Databricks machine-to-machine) and API-key exchanges (IBM
//! Cloud IAM). Both post a form and get `{"access_token", "expires_in"}` back, so one signer
//! serves every such provider; only the form and how the client authenticates differ.

use crate::error::{Error, ErrorKind, Result};
use crate::types::Secret;
use crate::wire::Signer;
use bytes::Bytes;
use futures_util::future::BoxFuture;
use serde::Deserialize;
use std::fmt;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// A token is renewed this long before the server says it expires, so a request signed just
/// before expiry does not arrive with a dead token.
const EARLY: Duration = Duration::from_secs(60);
/// The lifetime assumed when the token endpoint does not say.
const DEFAULT_LIFETIME: Duration = Duration::from_secs(300);
/// How long one token request may take.
const TIMEOUT: Duration = Duration::from_secs(30);
/// The wait before trying a failed token request again, unless the server names one.
const RETRY_WAIT: Duration = Duration::from_millis(250);
/// A longer `Retry-After` from the token endpoint is not waited for.
const MAX_RETRY_WAIT: Duration = Duration::from_secs(5);

/// Signs requests with a bearer token from a token endpoint, shared by every request of the
/// client and renewed when it is about to expire.
pub struct TokenAuth {
    provider: String,
    url: String,
    form: Vec<(&'static str, Secret)>,
    basic: Option<(String, Secret)>,
    http: reqwest::Client,
    cached: Mutex<Option<(Secret, Instant)>>,
}

impl fmt::Debug for TokenAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.form.iter().map(|(k, _)| *k).collect();
        f.debug_struct("TokenAuth")
            .field("provider", &self.provider)
            .field("url", &self.url)
            .field("form", &names)
            .finish_non_exhaustive()
    }
}

impl TokenAuth {
    /// OAuth 2.0 client credentials: `grant_type=client_credentials` (and `scope` when not
    /// empty) posted to `url`, the client id and secret sent with HTTP basic auth. A `url`
    /// that is a path (`/oidc/v1/token`) is on the host of the requests signed.
    pub fn client_credentials(
        provider: impl Into<String>,
        url: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: Secret,
        scope: &str,
    ) -> Self {
        let mut form = vec![("grant_type", Secret::new("client_credentials"))];
        if !scope.is_empty() {
            form.push(("scope", Secret::new(scope)));
        }
        TokenAuth {
            basic: Some((client_id.into(), client_secret)),
            ..Self::form(provider, url, form)
        }
    }

    /// An API key exchanged for a token (IBM Cloud IAM): `grant_type` and `apikey` posted to
    /// `url`.
    pub fn api_key(
        provider: impl Into<String>,
        url: impl Into<String>,
        grant_type: &str,
        key: Secret,
    ) -> Self {
        Self::form(
            provider,
            url,
            vec![("grant_type", Secret::new(grant_type)), ("apikey", key)],
        )
    }

    fn form(
        provider: impl Into<String>,
        url: impl Into<String>,
        form: Vec<(&'static str, Secret)>,
    ) -> Self {
        TokenAuth {
            provider: provider.into(),
            url: url.into(),
            form,
            basic: None,
            http: reqwest::Client::builder()
                .timeout(TIMEOUT)
                .build()
                .unwrap_or_default(),
            cached: Mutex::new(None),
        }
    }

    /// The current token, fetched when there is none or it is about to expire. The lock is
    /// held while fetching, so concurrent requests wait for one exchange instead of each
    /// making their own.
    async fn token(&self, uri: &http::Uri) -> Result<Secret> {
        let mut cached = self.cached.lock().await;
        if let Some((token, renew_at)) = cached.as_ref() {
            if Instant::now() < *renew_at {
                return Ok(token.clone());
            }
        }
        let url = match (self.url.starts_with('/'), uri.scheme_str(), uri.authority()) {
            (true, Some(scheme), Some(host)) => format!("{scheme}://{host}{}", self.url),
            _ => self.url.clone(),
        };
        let (token, lifetime) = match self.fetch(&url).await {
            // One more try after a passing failure (a 429 or 5xx, a dropped connection) of the
            // token endpoint, when it asks for no long wait: the call's own retries do not
            // cover its signer.
            Err(e) if e.is_retryable() => {
                match e.retry_after().unwrap_or(RETRY_WAIT) {
                    wait if wait <= MAX_RETRY_WAIT => tokio::time::sleep(wait).await,
                    _ => return Err(e),
                }
                self.fetch(&url).await?
            }
            other => other?,
        };
        let renew_at = Instant::now() + lifetime.saturating_sub(EARLY.min(lifetime / 2));
        *cached = Some((token.clone(), renew_at));
        Ok(token)
    }

    async fn fetch(&self, url: &str) -> Result<(Secret, Duration)> {
        let body = encode_form(&self.form);
        let mut req = self
            .http
            .post(url)
            .header(
                http::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .header(http::header::ACCEPT, "application/json")
            .body(body);
        if let Some((id, secret)) = &self.basic {
            req = req.basic_auth(id, Some(secret.expose()));
        }
        let resp = req.send().await.map_err(|e| {
            Error::new(
                ErrorKind::Network,
                format!("cannot reach the {} token endpoint", self.provider),
            )
            .with_provider(self.provider.clone())
            .with_source(e.without_url())
        })?;
        let status = resp.status().as_u16();
        let headers: Vec<(String, String)> = resp
            .headers()
            .iter()
            .filter_map(|(k, v)| Some((k.as_str().to_owned(), v.to_str().ok()?.to_owned())))
            .collect();
        let bytes = resp.bytes().await.map_err(|e| {
            Error::new(
                ErrorKind::Network,
                format!("the {} token endpoint's answer broke off", self.provider),
            )
            .with_provider(self.provider.clone())
            .with_source(e.without_url())
        })?;
        if !(200..300).contains(&status) {
            let headers: Vec<(&str, &str)> = headers
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            return Err(crate::wire::error_from_response(
                &self.provider,
                status,
                &headers,
                &bytes,
            ));
        }
        parse_token(&bytes).ok_or_else(|| {
            Error::new(
                ErrorKind::Auth,
                format!(
                    "the {} token endpoint answered without an access token",
                    self.provider
                ),
            )
            .with_provider(self.provider.clone())
        })
    }
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    #[serde(default)]
    expires_in: Option<f64>,
}

/// The token and its lifetime from a token endpoint's answer.
fn parse_token(body: &[u8]) -> Option<(Secret, Duration)> {
    let a: TokenAnswer = serde_json::from_slice(body).ok()?;
    if a.access_token.is_empty() {
        return None;
    }
    let lifetime = a
        .expires_in
        .filter(|s| s.is_finite() && *s > 0.0)
        .map(|s| Duration::from_secs_f64(s.min(86_400.0 * 365.0)))
        .unwrap_or(DEFAULT_LIFETIME);
    Some((Secret::new(a.access_token), lifetime))
}

/// `application/x-www-form-urlencoded` encoding of the form.
fn encode_form(form: &[(&str, Secret)]) -> String {
    let mut out = String::new();
    for (i, (k, v)) in form.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        escape(&mut out, k);
        out.push('=');
        escape(&mut out, v.expose());
    }
    out
}

fn escape(out: &mut String, s: &str) {
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'*' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
}

impl Signer for TokenAuth {
    fn rejected(&self) {
        // A fetch in progress holds the lock and brings a fresh token anyway.
        if let Ok(mut cached) = self.cached.try_lock() {
            *cached = None;
        }
    }

    fn sign<'a>(&'a self, req: &'a mut http::Request<Bytes>) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let token = self.token(req.uri()).await?;
            let mut v = http::HeaderValue::from_str(&format!("Bearer {}", token.expose()))
                .map_err(|_| {
                    Error::new(
                        ErrorKind::Auth,
                        "the access token is not a valid header value",
                    )
                    .with_provider(self.provider.clone())
                })?;
            v.set_sensitive(true);
            req.headers_mut().insert(http::header::AUTHORIZATION, v);
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_are_url_encoded() {
        let form = [
            (
                "grant_type",
                Secret::new("urn:ibm:params:oauth:grant-type:apikey"),
            ),
            ("apikey", Secret::new("a b+c/d=")),
        ];
        assert_eq!(
            encode_form(&form),
            "grant_type=urn%3Aibm%3Aparams%3Aoauth%3Agrant-type%3Aapikey&apikey=a+b%2Bc%2Fd%3D"
        );
    }

    #[test]
    fn token_answers_parse_with_their_lifetime() {
        let (t, d) =
            parse_token(br#"{"access_token":"tok","expires_in":3600,"token_type":"Bearer"}"#)
                .unwrap();
        assert_eq!((t.expose(), d), ("tok", Duration::from_secs(3600)));
        let (_, d) = parse_token(br#"{"access_token":"tok"}"#).unwrap();
        assert_eq!(d, DEFAULT_LIFETIME);
        let (_, d) = parse_token(br#"{"access_token":"tok","expires_in":-5}"#).unwrap();
        assert_eq!(d, DEFAULT_LIFETIME);
        assert!(parse_token(br#"{"access_token":""}"#).is_none());
        assert!(parse_token(b"<html>").is_none());
        assert!(parse_token(br#"{"expires_in":3600}"#).is_none());
    }

    #[test]
    fn debug_shows_no_secret() {
        let a = TokenAuth::client_credentials(
            "databricks",
            "http://h/oidc/v1/token",
            "id",
            Secret::new("s3cr3t-value"),
            "all-apis",
        );
        let b = TokenAuth::api_key("watsonx", "http://iam", "g", Secret::new("k3y-value"));
        let text = format!("{a:?} {b:?}");
        assert!(!text.contains("s3cr3t") && !text.contains("k3y"), "{text}");
    }
}
