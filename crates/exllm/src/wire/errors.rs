//! Turns an HTTP error response into a typed [`Error`]: the provider's message and code from any
//! of the error-body shapes providers use, the kind from status and code, the request id, and
//! how long to wait (`retry-after-ms`, `Retry-After` in seconds or as an HTTP date).

use crate::error::{Error, ErrorKind};
use http::HeaderMap;
use serde_json::Value;
use std::time::{Duration, SystemTime};

/// Message and code from an error body: `{"error": {"message", "type"|"code"|"status"}}`,
/// `{"error": "text"}` (with an OAuth `error_description`), `{"message": ...}`, `{"detail": ...}`,
/// IBM's `{"errorMessage", "errorCode"}`, or a list of those (Gemini, or
/// Cloudflare's `{"errors": [...]}`).
pub(crate) fn parse_error_body(body: &[u8]) -> (Option<String>, Option<String>) {
    let Ok(v) = serde_json::from_slice::<Value>(body) else {
        let text = String::from_utf8_lossy(body).trim().to_owned();
        let text: String = text.chars().take(1000).collect();
        return ((!text.is_empty()).then_some(text), None);
    };
    error_fields(&v)
}

/// Message and code of an error value (also used for errors inside streams).
pub(crate) fn error_fields(v: &Value) -> (Option<String>, Option<String>) {
    // A list of errors (Gemini), or one under `errors` (Cloudflare's v4 envelope): the first.
    let v = match v.get("errors").filter(|_| v.get("error").is_none()) {
        Some(list @ Value::Array(_)) => list,
        _ => v,
    };
    let v = match v {
        Value::Array(items) => match items.first() {
            Some(first) => first,
            None => return (None, None),
        },
        v => v,
    };
    let str_of = |v: Option<&Value>| match v {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    let inner = match v.get("error") {
        // OAuth token endpoints: `{"error": "invalid_client", "error_description": ...}`.
        Some(Value::String(s)) => {
            return match str_of(v.get("error_description")) {
                Some(d) => (Some(d), Some(s.clone())),
                None => (Some(s.clone()), str_of(v.get("code"))),
            }
        }
        Some(e @ Value::Object(_)) => e,
        _ => v,
    };
    let message = str_of(inner.get("message"))
        .or_else(|| str_of(inner.get("Message")))
        .or_else(|| str_of(inner.get("detail")))
        // IBM Cloud IAM: `{"errorCode": "BXNIM0415E", "errorMessage": ...}`.
        .or_else(|| str_of(inner.get("errorMessage")))
        .or_else(|| match inner.get("detail") {
            Some(d @ (Value::Array(_) | Value::Object(_))) => Some(d.to_string()),
            _ => None,
        });
    let code = str_of(inner.get("type"))
        .filter(|t| t != "error")
        .or_else(|| {
            inner
                .get("status")
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .or_else(|| str_of(inner.get("code")))
        .or_else(|| str_of(inner.get("errorCode")));
    (message, code)
}

/// An error reported inside an answer (a stream event, a failed run): the provider's message
/// and code from any of the error shapes, else the value itself as text.
pub(crate) fn response_error(v: &Value) -> crate::types::ResponseError {
    let (message, code) = error_fields(v);
    crate::types::ResponseError {
        code,
        message: message.unwrap_or_else(|| match v {
            Value::Null => "the provider reported an error without a message".into(),
            Value::String(s) => s.clone(),
            other => other.to_string(),
        }),
    }
}

/// Kind of an error from its HTTP status and the provider's code.
pub(crate) fn classify(status: u16, code: Option<&str>, message: &str) -> ErrorKind {
    let code = code.unwrap_or("");
    let lower = message.to_ascii_lowercase();
    if code == "insufficient_quota" || code == "billing_error" {
        return ErrorKind::QuotaExceeded;
    }
    if lower.contains("api key not valid")
        || lower.contains("invalid api key")
        || lower.contains("incorrect api key")
    {
        return ErrorKind::Auth;
    }
    if code == "context_length_exceeded"
        || lower.contains("context length")
        || lower.contains("context window")
        || lower.contains("prompt is too long")
    {
        return ErrorKind::ContextLength;
    }
    match code {
        "overloaded_error"
        | "ServiceUnavailableException"
        | "ModelNotReadyException"
        | "UNAVAILABLE" => return ErrorKind::Overloaded,
        "ThrottlingException" | "RESOURCE_EXHAUSTED" | "rate_limit_error" => {
            return ErrorKind::RateLimit
        }
        "ModelTimeoutException" | "DEADLINE_EXCEEDED" => return ErrorKind::Timeout,
        "AccessDeniedException"
        | "UnrecognizedClientException"
        | "PERMISSION_DENIED"
        | "UNAUTHENTICATED" => return ErrorKind::Auth,
        "ResourceNotFoundException" | "NOT_FOUND" => return ErrorKind::NotFound,
        "InternalServerException" | "ModelErrorException" | "INTERNAL" => return ErrorKind::Server,
        _ => {}
    }
    if status == 529 {
        return ErrorKind::Overloaded;
    }
    match status {
        400 | 409 | 413 | 422 => ErrorKind::BadRequest,
        401 | 403 => ErrorKind::Auth,
        404 => ErrorKind::NotFound,
        408 => ErrorKind::Timeout,
        429 => ErrorKind::RateLimit,
        500..=599 => ErrorKind::Server,
        _ => ErrorKind::Http,
    }
}

/// The wait a provider asked for.
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    // A number too large for a `Duration` (the fuzzer sent 1e20) is no usable wait.
    if let Some(ms) = text("retry-after-ms").and_then(|v| v.parse::<f64>().ok()) {
        if let Ok(d) = Duration::try_from_secs_f64(ms / 1000.0) {
            return Some(d);
        }
    }
    let v = text("retry-after")?;
    if let Ok(secs) = v.parse::<f64>() {
        return Duration::try_from_secs_f64(secs).ok();
    }
    let when = httpdate::parse_http_date(v).ok()?;
    Some(
        when.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

/// The typed error for an HTTP error response, as exllm's transport builds it: message and
/// code from the body (any provider's error shape, or none), kind from status and code, the
/// wait from `Retry-After` or rate-limit headers. For callers with their own transport, and
/// for the fuzz targets. Header pairs that are not valid HTTP are ignored.
///
/// ```
/// use exllm::provider::error_from_response;
/// use exllm::ErrorKind;
/// let body = br#"{"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}}"#;
/// let e = error_from_response("openai", 429, &[("retry-after", "2")], body);
/// assert_eq!(e.kind(), ErrorKind::RateLimit);
/// assert_eq!(e.retry_after(), Some(std::time::Duration::from_secs(2)));
/// ```
pub fn error_from_response(
    provider: &str,
    status: u16,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Error {
    let mut map = HeaderMap::with_capacity(headers.len());
    for (name, value) in headers {
        if let (Ok(n), Ok(v)) = (
            http::HeaderName::from_bytes(name.as_bytes()),
            http::HeaderValue::from_str(value),
        ) {
            map.append(n, v);
        }
    }
    error_from_http(provider, status, &map, body)
}

/// The typed error for an HTTP error response.
pub(crate) fn error_from_http(
    provider: &str,
    status: u16,
    headers: &HeaderMap,
    body: &[u8],
) -> Error {
    let (message, body_code) = parse_error_body(body);
    // AWS names the error in a header: `ThrottlingException:http://internal.amazon.com/...`.
    let aws_code = headers
        .get("x-amzn-errortype")
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(':').next().unwrap_or(v).to_owned());
    let code = aws_code.or(body_code);
    let message = message.unwrap_or_else(|| {
        http::StatusCode::from_u16(status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("error")
            .to_owned()
    });
    let kind = classify(status, code.as_deref(), &message);
    let mut e = Error::new(kind, message)
        .with_status(status)
        .with_provider(provider)
        .with_body(String::from_utf8_lossy(&body[..body.len().min(64 << 10)]));
    if let Some(c) = code {
        e = e.with_code(c);
    }
    for name in [
        "x-request-id",
        "request-id",
        "x-amzn-requestid",
        "x-goog-request-id",
    ] {
        if let Some(id) = headers.get(name).and_then(|v| v.to_str().ok()) {
            e = e.with_request_id(id);
            break;
        }
    }
    let limited = matches!(kind, ErrorKind::RateLimit | ErrorKind::Overloaded);
    let wait = retry_after(headers).or_else(|| {
        limited
            .then(|| super::rate_limit::reset_after(headers, body))
            .flatten()
    });
    if let Some(d) = wait {
        e = e.with_retry_after(d);
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(status: u16, body: &str, headers: &[(&str, &str)]) -> Error {
        error_from_response("p", status, headers, body.as_bytes())
    }

    #[test]
    fn openai_and_anthropic_shapes() {
        let e = err(
            429,
            r#"{"error":{"message":"quota","type":"insufficient_quota","code":"insufficient_quota"}}"#,
            &[("x-request-id", "req_1")],
        );
        assert_eq!(e.kind(), ErrorKind::QuotaExceeded);
        assert!(!e.is_retryable());
        assert_eq!(e.message(), "quota");
        assert_eq!(e.request_id(), Some("req_1"));

        let e = err(
            529,
            r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#,
            &[],
        );
        assert_eq!(e.kind(), ErrorKind::Overloaded);
        assert_eq!(e.code(), Some("overloaded_error"));
        assert!(e.is_retryable());
    }

    #[test]
    fn other_shapes_and_plain_text() {
        assert_eq!(
            err(404, r#"{"error":"model not found"}"#, &[]).message(),
            "model not found"
        );
        assert_eq!(
            err(
                400,
                r#"[{"error":{"code":400,"message":"bad","status":"INVALID_ARGUMENT"}}]"#,
                &[]
            )
            .code(),
            Some("INVALID_ARGUMENT")
        );
        assert_eq!(err(502, "Bad gateway\n", &[]).message(), "Bad gateway");
        assert_eq!(err(503, "", &[]).message(), "Service Unavailable");
        assert_eq!(
            err(422, r#"{"detail":"nope"}"#, &[]).kind(),
            ErrorKind::BadRequest
        );
    }

    #[test]
    fn aws_and_google_codes() {
        let e = err(
            400,
            r#"{"message":"Too many tokens"}"#,
            &[(
                "x-amzn-errortype",
                "ThrottlingException:http://internal.amazon.com/coral/",
            )],
        );
        assert_eq!(e.kind(), ErrorKind::RateLimit);
        assert_eq!(e.code(), Some("ThrottlingException"));
        assert_eq!(e.message(), "Too many tokens");
        let e = err(
            429,
            r#"{"Message":"warming up"}"#,
            &[("x-amzn-errortype", "ModelNotReadyException")],
        );
        assert_eq!(e.kind(), ErrorKind::Overloaded);
        assert!(e.is_retryable());
        assert_eq!(e.message(), "warming up");
        let e = err(
            503,
            r#"{"error":{"code":503,"message":"busy","status":"UNAVAILABLE"}}"#,
            &[],
        );
        assert_eq!(e.kind(), ErrorKind::Overloaded);
        let e = err(
            403,
            r#"{"message":"no"}"#,
            &[("x-amzn-errortype", "AccessDeniedException")],
        );
        assert_eq!(e.kind(), ErrorKind::Auth);
    }

    #[test]
    fn an_invalid_key_is_an_auth_error_whatever_the_status() {
        let e = err(
            400,
            r#"{"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT"}}"#,
            &[],
        );
        assert_eq!(e.kind(), ErrorKind::Auth);
    }

    #[test]
    fn retry_after_forms() {
        assert_eq!(
            err(429, "", &[("retry-after", "2")]).retry_after(),
            Some(Duration::from_secs(2))
        );
        assert_eq!(
            err(429, "", &[("retry-after-ms", "150")]).retry_after(),
            Some(Duration::from_millis(150))
        );
        let past = err(429, "", &[("retry-after", "Wed, 21 Oct 2015 07:28:00 GMT")]);
        assert_eq!(past.retry_after(), Some(Duration::ZERO));
        // Found by the `error` fuzz target: these used to panic in `Duration::from_secs_f64`.
        for (name, v) in [
            ("retry-after", "99999999999999999999"),
            ("retry-after-ms", "1e300"),
            ("retry-after", "-5"),
            ("retry-after", "NaN"),
        ] {
            assert_eq!(
                err(503, "", &[(name, v)]).retry_after(),
                None,
                "{name}: {v}"
            );
        }
    }
}
