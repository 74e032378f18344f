//! The response cache never serves one server's, key's or tenant's answer to another: two
//! Ollama hosts, a base-URL proxy, two API keys and two namespaces sharing one cache each get
//! their own answers, while the same scope still hits.

use crate::ollama_wire as wire;
use crate::support::{self, Reply, TestServer};
use exllm::cache::{Cache, HIT_KEY};
use exllm::{ChatRequest, Client, Message};

fn ollama(server: &TestServer, cache: &Cache) -> Client {
    Client::builder()
        .env_lookup(|_| None)
        .base_url("ollama", server.root())
        .retry(support::fast_retry(0))
        .cache(cache.clone())
        .build()
        .unwrap()
}

fn openai(server: &TestServer, key: &str, cache: &Cache) -> Client {
    Client::builder()
        .env_lookup(|_| None)
        .base_url("openai", server.url())
        .api_key("openai", key)
        .retry(support::fast_retry(0))
        .cache(cache.clone())
        .build()
        .unwrap()
}

fn ask(model: &str) -> ChatRequest {
    ChatRequest::new(model, vec![Message::user("Same question")]).with_temperature(0.0)
}

fn openai_answer() -> Reply {
    Reply::json(
        200,
        r#"{"id":"c1","object":"chat.completion","model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}]}"#,
    )
}

#[tokio::test]
async fn two_ollama_hosts_sharing_a_cache_each_answer() {
    let cache = Cache::memory();
    let a = TestServer::start(vec![Reply::json(200, wire::chat_text())]).await;
    let b = TestServer::start(vec![Reply::json(200, wire::chat_text())]).await;
    let model = format!("ollama/{}", wire::MODEL);
    let first = ollama(&a, &cache).chat(ask(&model)).await.unwrap();
    let second = ollama(&b, &cache).chat(ask(&model)).await.unwrap();
    assert_eq!((a.request_count(), b.request_count()), (1, 1));
    assert!(!first.provider_meta.contains_key(HIT_KEY));
    assert!(!second.provider_meta.contains_key(HIT_KEY));
    // The same host again is a hit.
    let third = ollama(&a, &cache).chat(ask(&model)).await.unwrap();
    assert_eq!(third.provider_meta[HIT_KEY], "hit");
    assert_eq!(a.request_count(), 1);
}

#[tokio::test]
async fn two_api_keys_sharing_a_cache_each_answer() {
    let cache = Cache::memory();
    let server = TestServer::start(vec![openai_answer(), openai_answer(), openai_answer()]).await;
    let one = openai(&server, "sk-tenant-one", &cache);
    let two = openai(&server, "sk-tenant-two", &cache);
    one.chat(ask("openai/gpt-4o-mini")).await.unwrap();
    let other = two.chat(ask("openai/gpt-4o-mini")).await.unwrap();
    assert_eq!(server.request_count(), 2);
    assert!(!other.provider_meta.contains_key(HIT_KEY));
    let again = one.chat(ask("openai/gpt-4o-mini")).await.unwrap();
    assert_eq!(again.provider_meta[HIT_KEY], "hit");
    assert_eq!(server.request_count(), 2);
    // Neither key reaches the scope's Debug form nor the key the answer is stored under.
    let scope = one.cache_scope("openai/gpt-4o-mini").await.unwrap();
    let key = cache.chat_key(&scope, &ask("openai/gpt-4o-mini")).unwrap();
    for shown in [format!("{scope:?}"), key] {
        assert!(!shown.contains("sk-tenant-one"), "{shown}");
    }
}

#[tokio::test]
async fn namespaces_separate_tenants_on_one_backend() {
    let backend = exllm::cache::MemoryBackend::default();
    let shared = std::sync::Arc::new(backend);
    let server = TestServer::start(vec![openai_answer(), openai_answer()]).await;
    let a = Cache::new(Shared(shared.clone())).with_namespace("team-a");
    let b = Cache::new(Shared(shared)).with_namespace("team-b");
    openai(&server, "sk-same", &a)
        .chat(ask("openai/gpt-4o-mini"))
        .await
        .unwrap();
    let r = openai(&server, "sk-same", &b)
        .chat(ask("openai/gpt-4o-mini"))
        .await
        .unwrap();
    assert!(!r.provider_meta.contains_key(HIT_KEY));
    assert_eq!(server.request_count(), 2);
}

#[tokio::test]
async fn a_request_without_a_key_is_sent_and_not_stored() {
    let cache = Cache::memory();
    let server = TestServer::start(vec![openai_answer(), openai_answer()]).await;
    let c = openai(&server, "sk-x", &cache);
    let mut req = ask("openai/gpt-4o-mini");
    req.presence_penalty = Some(f64::NAN);
    c.chat(req.clone()).await.unwrap();
    c.chat(req).await.unwrap();
    assert_eq!(server.request_count(), 2);
    assert!(cache.stats().await.errors >= 2);
}

/// One memory backend behind two caches.
struct Shared(std::sync::Arc<exllm::cache::MemoryBackend>);

impl exllm::cache::CacheBackend for Shared {
    fn get<'a>(
        &'a self,
        key: &'a str,
    ) -> futures_util::future::BoxFuture<'a, exllm::Result<Option<Vec<u8>>>> {
        self.0.get(key)
    }
    fn put<'a>(
        &'a self,
        key: &'a str,
        value: Vec<u8>,
        ttl: std::time::Duration,
    ) -> futures_util::future::BoxFuture<'a, exllm::Result<()>> {
        self.0.put(key, value, ttl)
    }
    fn delete<'a>(
        &'a self,
        key: &'a str,
    ) -> futures_util::future::BoxFuture<'a, exllm::Result<bool>> {
        self.0.delete(key)
    }
    fn clear(&self) -> futures_util::future::BoxFuture<'_, exllm::Result<()>> {
        self.0.clear()
    }
}
