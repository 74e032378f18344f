//! When a rate limit lifts, from what providers send besides `Retry-After`: OpenAI-style
//! `x-ratelimit-reset-*` durations (OpenAI, Groq, xAI, Together...), Anthropic's
//! `anthropic-ratelimit-*-reset` timestamps, and Google's `RetryInfo.retryDelay` in the error
//! body (Gemini, Vertex). Used only when the response has no `Retry-After`.

use http::HeaderMap;
use serde_json::Value;
use std::time::{Duration, SystemTime};

/// The wait the rate-limit headers or body ask for: the longest wait among the limits that
/// are exhausted, else the shortest announced reset.
pub(crate) fn reset_after(headers: &HeaderMap, body: &[u8]) -> Option<Duration> {
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    let mut exhausted: Option<Duration> = None;
    let mut soonest: Option<Duration> = None;
    let mut note = |remaining: Option<&str>, reset: Option<Duration>| {
        let Some(d) = reset else { return };
        if remaining == Some("0") {
            exhausted = exhausted.max(Some(d));
        }
        soonest = Some(soonest.map_or(d, |s| s.min(d)));
    };
    for kind in ["requests", "tokens"] {
        note(
            text(&format!("x-ratelimit-remaining-{kind}")),
            text(&format!("x-ratelimit-reset-{kind}")).and_then(go_duration),
        );
    }
    for kind in ["requests", "tokens", "input-tokens", "output-tokens"] {
        note(
            text(&format!("anthropic-ratelimit-{kind}-remaining")),
            text(&format!("anthropic-ratelimit-{kind}-reset")).and_then(until),
        );
    }
    exhausted.or(soonest).or_else(|| retry_delay(body))
}

/// The `provider_meta` key (and stream `Metadata` key) of the [`RateLimits`] a provider
/// announced in the headers of a successful response.
pub const RATE_LIMITS_KEY: &str = "exllm_rate_limits";

/// A provider's rate limits as its response headers announce them (OpenAI-style
/// `x-ratelimit-{limit,remaining,reset}-{requests,tokens}`, Anthropic's
/// `anthropic-ratelimit-{requests,tokens}-{limit,remaining,reset}`). Each field is `None` when
/// the provider did not say.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RateLimits {
    /// Requests allowed per window (per minute for every provider that sends it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requests_limit: Option<u64>,
    /// Requests left in the window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requests_remaining: Option<u64>,
    /// When the requests limit is whole again, in seconds from the response.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requests_reset_s: Option<f64>,
    /// Tokens allowed per window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tokens_limit: Option<u64>,
    /// Tokens left in the window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tokens_remaining: Option<u64>,
    /// When the tokens limit is whole again, in seconds from the response.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tokens_reset_s: Option<f64>,
}

impl RateLimits {
    /// The limits these headers announce, `None` when they announce none. One pass over the
    /// headers (it runs on every successful response: no lookups, no allocation).
    pub fn from_headers(headers: &HeaderMap) -> Option<RateLimits> {
        // (limit, remaining, reset) of OpenAI's requests and tokens, Anthropic's requests,
        // tokens and input tokens.
        type Triple = (Option<u64>, Option<u64>, Option<f64>);
        let mut o: [Triple; 2] = [(None, None, None); 2];
        let mut a: [Triple; 3] = [(None, None, None); 3];
        for (name, value) in headers {
            let n = name.as_str();
            let (openai, rest) = match n.strip_prefix("x-ratelimit-") {
                Some(r) => (true, r),
                None => match n.strip_prefix("anthropic-ratelimit-") {
                    Some(r) => (false, r),
                    None => continue,
                },
            };
            let Ok(v) = value.to_str() else { continue };
            let v = v.trim();
            let (slot, field) = if openai {
                let Some((field, what)) = rest.split_once('-') else {
                    continue;
                };
                match what {
                    "requests" => (&mut o[0], field),
                    "tokens" => (&mut o[1], field),
                    _ => continue,
                }
            } else {
                let Some((what, field)) = rest.rsplit_once('-') else {
                    continue;
                };
                match what {
                    "requests" => (&mut a[0], field),
                    "tokens" => (&mut a[1], field),
                    "input-tokens" => (&mut a[2], field),
                    _ => continue,
                }
            };
            match field {
                "limit" => slot.0 = v.parse().ok(),
                "remaining" => slot.1 = v.parse().ok(),
                "reset" if openai => slot.2 = go_duration(v).map(|d| d.as_secs_f64()),
                "reset" => slot.2 = until(v).map(|d| d.as_secs_f64()),
                _ => {}
            }
        }
        let none: Triple = (None, None, None);
        let (req, tok) = if o != [none; 2] {
            (o[0], o[1])
        } else {
            // `tokens` is the most restrictive of Anthropic's token limits; older responses
            // send only the input and output ones.
            (a[0], if a[1] != none { a[1] } else { a[2] })
        };
        let r = RateLimits {
            requests_limit: req.0,
            requests_remaining: req.1,
            requests_reset_s: req.2,
            tokens_limit: tok.0,
            tokens_remaining: tok.1,
            tokens_reset_s: tok.2,
        };
        (r != RateLimits::default()).then_some(r)
    }
}

/// `RetryInfo.retryDelay` (`"29s"`, `"1.5s"`) among a Google error's details.
fn retry_delay(body: &[u8]) -> Option<Duration> {
    let v: Value = serde_json::from_slice(body).ok()?;
    let root = v.get("error").unwrap_or(&v);
    root.get("details")?
        .as_array()?
        .iter()
        .find_map(|d| d.get("retryDelay")?.as_str().and_then(go_duration))
}

/// The time from now until an RFC 3339 timestamp (zero when it has passed).
fn until(stamp: &str) -> Option<Duration> {
    let when = humantime::parse_rfc3339_weak(stamp).ok()?;
    Some(
        when.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

/// A Go-style duration (`"1s"`, `"6m0s"`, `"7.66s"`, `"20ms"`, `"1h2m3.5s"`): the format
/// OpenAI-compatible servers send. Hand-written because no maintained crate parses this exact
/// format (humantime rejects fractions); it is a dozen lines.
fn go_duration(s: &str) -> Option<Duration> {
    let mut rest = s.trim();
    if rest.is_empty() {
        return None;
    }
    let mut total = 0f64;
    while !rest.is_empty() {
        let num_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let n: f64 = rest[..num_end].parse().ok()?;
        rest = &rest[num_end..];
        let unit_end = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_end] {
            "h" => 3600.0,
            "m" => 60.0,
            "s" => 1.0,
            "ms" => 1e-3,
            "us" | "µs" => 1e-6,
            "ns" => 1e-9,
            _ => return None,
        };
        rest = &rest[unit_end..];
        total += n * scale;
    }
    Duration::try_from_secs_f64(total).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(
                http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        h
    }

    #[test]
    fn go_durations() {
        let d = |s| go_duration(s).map(|d| d.as_millis());
        assert_eq!(d("1s"), Some(1000));
        assert_eq!(d("6m0s"), Some(360_000));
        assert_eq!(d("7.66s"), Some(7660));
        assert_eq!(d("20ms"), Some(20));
        assert_eq!(d("1h2m3.5s"), Some(3_723_500));
        for bad in ["", "s", "5", "5x", "1..2s", "-1s"] {
            assert_eq!(go_duration(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_exhausted_limit_decides() {
        let h = headers(&[
            ("x-ratelimit-remaining-requests", "59"),
            ("x-ratelimit-reset-requests", "1s"),
            ("x-ratelimit-remaining-tokens", "0"),
            ("x-ratelimit-reset-tokens", "6m0s"),
        ]);
        assert_eq!(reset_after(&h, b""), Some(Duration::from_secs(360)));
        let h = headers(&[
            ("x-ratelimit-reset-requests", "2s"),
            ("x-ratelimit-reset-tokens", "500ms"),
        ]);
        assert_eq!(reset_after(&h, b""), Some(Duration::from_millis(500)));
    }

    #[test]
    fn anthropic_reset_timestamps() {
        let soon =
            humantime::format_rfc3339(SystemTime::now() + Duration::from_secs(30)).to_string();
        let h = headers(&[
            ("anthropic-ratelimit-input-tokens-remaining", "0"),
            ("anthropic-ratelimit-input-tokens-reset", &soon),
            ("anthropic-ratelimit-requests-reset", "2020-01-01T00:00:00Z"),
        ]);
        let d = reset_after(&h, b"").unwrap();
        assert!(
            d > Duration::from_secs(25) && d <= Duration::from_secs(30),
            "{d:?}"
        );
    }

    #[test]
    fn announced_limits_of_openai_and_anthropic() {
        let h = headers(&[
            ("x-ratelimit-limit-requests", "500"),
            ("x-ratelimit-remaining-requests", "499"),
            ("x-ratelimit-reset-requests", "120ms"),
            ("x-ratelimit-limit-tokens", "30000"),
            ("x-ratelimit-remaining-tokens", "29980"),
            ("x-ratelimit-reset-tokens", "40ms"),
        ]);
        let r = RateLimits::from_headers(&h).unwrap();
        assert_eq!(
            (r.requests_limit, r.requests_remaining, r.tokens_limit),
            (Some(500), Some(499), Some(30000))
        );
        assert_eq!(r.tokens_remaining, Some(29980));
        assert!((r.requests_reset_s.unwrap() - 0.12).abs() < 1e-9);
        let soon =
            humantime::format_rfc3339(SystemTime::now() + Duration::from_secs(30)).to_string();
        let h = headers(&[
            ("anthropic-ratelimit-requests-limit", "50"),
            ("anthropic-ratelimit-requests-remaining", "0"),
            ("anthropic-ratelimit-requests-reset", &soon),
            ("anthropic-ratelimit-input-tokens-limit", "40000"),
            ("anthropic-ratelimit-input-tokens-remaining", "39000"),
        ]);
        let r = RateLimits::from_headers(&h).unwrap();
        assert_eq!(
            (r.requests_limit, r.requests_remaining),
            (Some(50), Some(0))
        );
        assert_eq!(
            (r.tokens_limit, r.tokens_remaining),
            (Some(40000), Some(39000))
        );
        let reset = r.requests_reset_s.unwrap();
        assert!(reset > 25.0 && reset <= 30.0, "{reset}");
        assert_eq!(
            RateLimits::from_headers(&headers(&[("x-other", "1")])),
            None
        );
        assert_eq!(
            RateLimits::from_headers(&headers(&[("x-ratelimit-limit-requests", "lots")])),
            None
        );
    }

    #[test]
    fn google_retry_info_in_the_body() {
        let body = br#"{"error":{"code":429,"status":"RESOURCE_EXHAUSTED","details":[
            {"@type":"type.googleapis.com/google.rpc.QuotaFailure"},
            {"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"29s"}]}}"#;
        assert_eq!(
            reset_after(&HeaderMap::new(), body),
            Some(Duration::from_secs(29))
        );
        assert_eq!(reset_after(&HeaderMap::new(), b"not json"), None);
    }
}
