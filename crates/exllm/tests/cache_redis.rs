//! The Redis cache backend against a real `redis-server` this test starts on a free local
//! port (no persistence) and stops at the end; two clients sharing it see each other's
//! answers. A missing `redis-server` fails the tests (`.ci/run` installs it).
#![cfg(feature = "redis")]

use crate::support::redis::Redis;
use exllm::cache::{Cache, CacheBackend, RedisBackend, HIT_KEY};
use exllm::{ChatRequest, Client, Message, MockProvider};
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

fn client(mock: &MockProvider, cache: Cache) -> Client {
    Client::builder()
        .env_lookup(|_| None)
        .provider("mock", Arc::new(mock.clone()))
        .cache(cache)
        .build()
        .unwrap()
}

fn backend(server: &Redis, prefix: &str) -> RedisBackend {
    RedisBackend::new(&server.url())
        .unwrap()
        .with_prefix(prefix)
}

#[tokio::test]
async fn two_clients_share_one_redis_cache() {
    let server = Redis::start();
    let (mock_a, mock_b) = (MockProvider::new(), MockProvider::new());
    let a = client(&mock_a, Cache::new(backend(&server, "t1:")));
    let cache_b = Cache::new(backend(&server, "t1:"));
    let b = client(&mock_b, cache_b.clone());
    let req = ChatRequest::new("mock/m", vec![Message::user("shared answer")]);

    let first = a.chat(req.clone()).await.unwrap();
    let second = b.chat(req.clone()).await.unwrap();
    assert_eq!(mock_a.requests().len(), 1);
    assert!(mock_b.requests().is_empty());
    assert_eq!(second.text(), first.text());
    assert_eq!(second.provider_meta[HIT_KEY], "hit");
    assert_eq!(cache_b.stats().await.hits, 1);

    // Another prefix is another cache; delete and clear act on one prefix only.
    let key = cache_b
        .chat_key(&b.cache_scope("mock/m").await.unwrap(), &req)
        .unwrap();
    let other = backend(&server, "t2:");
    assert!(other.get(&key).await.unwrap().is_none());
    other
        .put("k", b"v".to_vec(), Duration::from_secs(60))
        .await
        .unwrap();
    assert!(cache_b.delete(&key).await.unwrap());
    b.chat(req.clone()).await.unwrap();
    assert_eq!(mock_b.requests().len(), 1);
    cache_b.clear().await.unwrap();
    assert!(cache_b.get_chat(&key).await.unwrap().is_none());
    assert_eq!(other.get("k").await.unwrap(), Some(b"v".to_vec()));
}

#[tokio::test]
async fn redis_entries_expire() {
    let server = Redis::start();
    let b = backend(&server, "ttl:");
    b.put("k", b"v".to_vec(), Duration::from_millis(50))
        .await
        .unwrap();
    assert!(b.get("k").await.unwrap().is_some());
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert!(b.get("k").await.unwrap().is_none());
}

#[tokio::test]
async fn an_unreachable_server_never_fails_the_call() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mock = MockProvider::new();
    let cache = Cache::new(RedisBackend::new(&format!("redis://127.0.0.1:{port}/")).unwrap());
    let c = client(&mock, cache.clone());
    let req = ChatRequest::new("mock/m", vec![Message::user("hi")]);
    assert_eq!(c.chat(req).await.unwrap().text(), "hi");
    assert!(cache.stats().await.errors >= 1);
}

#[tokio::test]
async fn the_backend_reconnects_after_a_redis_restart() {
    let server = Redis::start();
    let port = server.port;
    let b = backend(&server, "re:");
    b.put("k", b"v".to_vec(), Duration::from_secs(60))
        .await
        .unwrap();
    drop(server);
    let server = Redis::start_on(port);
    // The old connection is gone: at most one call fails, then a fresh one serves.
    let first = b.get("k").await;
    let again = match first {
        Ok(v) => v,
        Err(_) => b.get("k").await.unwrap(),
    };
    assert_eq!(again, None, "the restarted server is empty");
    b.put("k", b"w".to_vec(), Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(b.get("k").await.unwrap(), Some(b"w".to_vec()));
    drop(server);
}
