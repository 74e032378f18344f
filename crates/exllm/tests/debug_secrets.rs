//! No key reaches `Debug`: every public configuration and client type is formatted with
//! `{:?}` while an API key and `Authorization`, `x-api-key` and `api-key` headers are set,
//! and the output holds none of them.

use exllm::cache::{Cache, CacheScope};
use exllm::client::{HttpBackend, ProviderConfig};
use exllm::provider::{Auth, Endpoint};
use exllm::telemetry::Redactor;
use exllm::transport::{HttpTransport, RetryPolicy, Timeouts};
use exllm::{Api, Client, Secret};

const KEY: &str = "sk-debug-key-0123456789";
const BEARER: &str = "Bearer tok-debug-bearer-9876";
const X_API_KEY: &str = "xak-debug-header-5555";
const API_KEY: &str = "ak-debug-azure-4444";

fn assert_clean(what: &str, shown: &str) {
    for secret in [KEY, BEARER, "tok-debug-bearer-9876", X_API_KEY, API_KEY] {
        assert!(!shown.contains(secret), "{what} shows a secret: {shown}");
    }
}

fn builder() -> exllm::ClientBuilder {
    Client::builder()
        .env_lookup(|_| None)
        .api_key("openai", KEY)
        .header("openai", "Authorization", BEARER)
        .header("openai", "x-api-key", X_API_KEY)
        .header("azure", "api-key", API_KEY)
        .redact_pattern(regex::Regex::new("never-matches").unwrap())
}

fn endpoint() -> Endpoint {
    let mut ep = Endpoint::new("openai", "http://127.0.0.1:9/v1");
    ep.auth = Auth::Bearer(Secret::new(KEY));
    ep.headers.push(("authorization".into(), BEARER.into()));
    ep.headers.push(("x-api-key".into(), X_API_KEY.into()));
    ep.headers.push(("api-key".into(), API_KEY.into()));
    ep
}

#[test]
fn no_public_config_or_client_type_shows_a_key() {
    let b = builder();
    assert_clean("ClientBuilder", &format!("{b:?}"));
    let client = b.build().unwrap();
    assert_clean("Client", &format!("{client:?}"));

    let cfg = ProviderConfig {
        api_key: Some(KEY.into()),
        headers: vec![
            ("Authorization".into(), BEARER.into()),
            ("api-key".into(), API_KEY.into()),
        ],
        ..Default::default()
    };
    assert_clean("ProviderConfig", &format!("{cfg:?}"));

    let ep = endpoint();
    assert_clean("Endpoint", &format!("{ep:?}"));
    assert_clean("Auth", &format!("{:?}", ep.auth));
    let header = Auth::Header {
        name: "x-api-key".into(),
        value: X_API_KEY.into(),
    };
    assert_clean("Auth::Header", &format!("{header:?}"));

    let transport = HttpTransport::new(Timeouts::default()).unwrap();
    let provider = HttpBackend::new(Api::OpenAiChat.codec(), ep, transport, RetryPolicy::none());
    assert_clean("HttpBackend", &format!("{provider:?}"));

    let redactor = Redactor::default().with_secret(KEY).with_secret(X_API_KEY);
    assert_clean("Redactor", &format!("{redactor:?}"));

    let scope = CacheScope::new("openai", "http://127.0.0.1:9/v1", "openai-chat")
        .with_credential(Some(KEY.into()));
    assert_clean("CacheScope", &format!("{scope:?}"));
    let cache = Cache::memory().with_secret(KEY);
    assert_clean("Cache", &format!("{cache:?}"));
}

#[test]
fn credential_headers_are_sensitive_on_the_wire() {
    let ep = endpoint();
    let req = exllm::ChatRequest::new("gpt-4o-mini", vec![exllm::Message::user("hi")]);
    let enc = Api::OpenAiChat
        .codec()
        .encode(&req, "gpt-4o-mini", &ep, false)
        .unwrap();
    let h = enc.request.headers();
    for name in ["authorization", "x-api-key", "api-key"] {
        let values: Vec<_> = h.get_all(name).iter().collect();
        assert!(!values.is_empty(), "{name} was not sent");
        assert!(
            values.iter().all(|v| v.is_sensitive()),
            "{name} is not sensitive"
        );
    }
}
