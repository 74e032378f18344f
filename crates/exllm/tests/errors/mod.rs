//! Failures end to end against a local server: every one is a typed `exllm::Error` (never a
//! panic) with the right kind, status, provider message and code; retries happen exactly for
//! the retryable ones and only before the answer starts; a broken stream keeps what arrived;
//! and no error ever shows the API key.

use crate::support;

use exllm::transport::Timeouts;
use exllm::{ChatRequest, Client, ErrorKind, FinishKind, TimeoutKind};
use std::time::Duration;
use support::fixtures::{anthropic, chat, responses, TEXT};
use support::{
    assert_no_key, client_for, fast_retry, hello_messages, Ending, Reply, TestServer, KEY,
};

mod bodies;
mod config;
mod retries;
mod statuses;
mod timeouts;

fn openai_request() -> ChatRequest {
    ChatRequest::new("openai/gpt-4o-mini", hello_messages()).with_max_tokens(64)
}

fn anthropic_request() -> ChatRequest {
    ChatRequest::new("anthropic/claude-sonnet-4-5", hello_messages()).with_max_tokens(64)
}

/// A client whose time-to-first-byte and stall timeouts are `t`.
fn client_with_timeout(provider: &str, server: &TestServer, retries: u32, t: Duration) -> Client {
    client_with_timeouts(
        provider,
        server,
        retries,
        Timeouts::default().with_first_byte(t).with_stall(t),
    )
}

fn client_with_timeouts(provider: &str, server: &TestServer, retries: u32, t: Timeouts) -> Client {
    Client::builder()
        .env_lookup(|_| None)
        .base_url(provider, server.url())
        .api_key(provider, KEY)
        .retry(fast_retry(retries))
        .timeouts(t)
        .build()
        .unwrap()
}

const OPENAI_401: &str = r#"{"error":{"message":"Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}"#;
