//! Hosted providers with their own endpoint conventions and credentials, end to end against a
//! local server: Azure AI Foundry models, Databricks Model Serving (personal access token and
//! OAuth machine to machine), IBM watsonx.ai (IAM token exchange) and AWS SageMaker endpoints
//! (SigV4, event streams; with the `bedrock` feature). Each file checks the
//! wire format of a whole and a streamed answer and the provider's error shape; the faults
//! every one of them must survive (a 429 with `Retry-After`, a stream cut short) are here.

mod azure_ai;
mod databricks;
#[cfg(feature = "bedrock")]
mod sagemaker;
mod watsonx;

use crate::support::{self, assert_no_key, Ending, Reply};
use exllm::transport::RetryPolicy;
use exllm::{ChatRequest, Client, ErrorKind};
use std::time::Duration;
use support::fixtures::{chat, TEXT};

/// One retry, at once when the server says `Retry-After: 0`; a longer hint than 5 s is not
/// waited for.
pub fn retry() -> RetryPolicy {
    RetryPolicy {
        max_retries: 1,
        base_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(5),
        max_retry_after: Duration::from_secs(5),
    }
}

/// The replies [`check_faults`] consumes, in order.
pub fn fault_replies(model: &str, rate_limited: &str) -> Vec<Reply> {
    vec![
        Reply::json(429, rate_limited).header("retry-after", "0"),
        Reply::json(200, chat::text(model)),
        Reply::json(429, rate_limited).header("retry-after", "120"),
        Reply::sse(vec![chat::text_stream_head(model).into_bytes()]).ending(Ending::Close),
    ]
}

/// A 429 with `Retry-After: 0` is retried and answered; one asking for two minutes is a
/// typed rate-limit error carrying the hint; a stream cut short is a network error keeping
/// what arrived. `rate_limit_message` is a part of the provider's 429 message.
pub async fn check_faults(c: &Client, req: impl Fn() -> ChatRequest, rate_limit_message: &str) {
    let r = c.chat(req()).await.unwrap();
    assert_eq!(r.text(), TEXT);
    let err = c.chat(req()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::RateLimit, "{err}");
    assert_eq!(err.retry_after(), Some(Duration::from_secs(120)));
    assert!(err.message().contains(rate_limit_message), "{err}");
    assert_no_key(&err);
    let err = support::streamed(c, req()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Network, "{err:?}");
    assert_no_key(&err);
}

/// An environment of fixed variables, nothing from the process.
pub fn env(vars: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
    move |k| {
        vars.iter()
            .find(|(n, _)| *n == k)
            .map(|(_, v)| (*v).to_owned())
    }
}
