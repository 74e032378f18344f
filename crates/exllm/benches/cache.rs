//! What the in-memory response cache costs per call: a `chat` through the client to the mock
//! provider with no cache, with a cache hit (the same request each time: key, lookup, JSON
//! decode, hit marking) and with a cache miss (a new request each time: key, lookup, JSON
//! encode and store), plus the key alone. The difference to "no cache" is the overhead.

use criterion::{criterion_group, criterion_main, Criterion};
use exllm::cache::{Cache, CacheScope};
use exllm::{ChatRequest, Client, Message, MockProvider};
use std::hint::black_box;
use std::sync::Arc;

fn request(n: u64) -> ChatRequest {
    ChatRequest::new(
        "mock/bench",
        vec![
            Message::system("You are a helpful assistant. Answer briefly and precisely."),
            Message::user(format!(
                "Question {n}: what is the capital of France, and why did it become the capital?"
            )),
        ],
    )
    .with_max_tokens(256)
    .with_temperature(0.0)
}

fn client(cache: Option<Cache>) -> Client {
    let mut b = Client::builder()
        .env_lookup(|_| None)
        .provider("mock", Arc::new(MockProvider::new()));
    if let Some(c) = cache {
        b = b.cache(c);
    }
    b.build().expect("client")
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let mut g = c.benchmark_group("cache");

    let plain = client(None);
    g.bench_function("no_cache", |b| {
        b.iter(|| rt.block_on(plain.chat(black_box(request(0)))))
    });

    let cached = client(Some(Cache::memory()));
    let _ = rt.block_on(cached.chat(request(0)));
    g.bench_function("hit", |b| {
        b.iter(|| rt.block_on(cached.chat(black_box(request(0)))))
    });

    let mut n = 1_u64;
    g.bench_function("miss", |b| {
        b.iter(|| {
            n += 1;
            rt.block_on(cached.chat(black_box(request(n))))
        })
    });

    let req = request(0);
    let keys = Cache::memory();
    let scope = CacheScope::new("openai", "https://api.openai.com/v1", "openai-chat")
        .with_credential(Some("sk-bench".into()));
    g.bench_function("key", |b| {
        b.iter(|| keys.chat_key(black_box(&scope), black_box(&req)))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
