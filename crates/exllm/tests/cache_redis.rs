//! The Redis cache backend against a real `redis-server` this test starts on a free local
//! port (no persistence) and stops at the end; two clients sharing it see each other's
//! answers. A missing `redis-server` fails the tests (`.ci/run` installs it).
#![cfg(feature = "redis")]

use exllm::cache::{Cache, CacheBackend, RedisBackend, HIT_KEY};
use exllm::{ChatRequest, Client, Message, MockProvider};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A `redis-server` child process, killed when dropped.
struct Server {
    child: Child,
    port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start() -> Option<Server> {
    Some(try_start().expect("redis-server must be installed and start (`.ci/run` installs it)"))
}

fn try_start() -> Option<Server> {
    let port = TcpListener::bind("127.0.0.1:0")
        .ok()?
        .local_addr()
        .ok()?
        .port();
    let child = Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        .args(["--save", "", "--appendonly", "no"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    let server = match child {
        Ok(child) => Server { child, port },
        Err(e) => {
            eprintln!("redis-server cannot be started: {e}");
            return None;
        }
    };
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if TcpStream::connect(("127.0.0.1", server.port)).is_ok() {
            return Some(server);
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    eprintln!("redis-server did not accept connections within 5 s");
    None
}

fn client(mock: &MockProvider, cache: Cache) -> Client {
    Client::builder()
        .env_lookup(|_| None)
        .provider("mock", Arc::new(mock.clone()))
        .cache(cache)
        .build()
        .unwrap()
}

fn backend(server: &Server, prefix: &str) -> RedisBackend {
    RedisBackend::new(&format!("redis://127.0.0.1:{}/", server.port))
        .unwrap()
        .with_prefix(prefix)
}

#[tokio::test]
async fn two_clients_share_one_redis_cache() {
    let Some(server) = start() else { return };
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
    let Some(server) = start() else { return };
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
