//! The response cache through the public client: hits skip the provider and cost nothing,
//! TTLs expire, sampling, streams and tool steps follow the policy, streamed hits replay,
//! embeddings are cached, and the statistics add up.

use exllm::cache::{Cache, CachePolicy, CacheScope, MemoryBackend, HIT_KEY, SAVED_KEY};
use exllm::catalog::Cost;
use exllm::client::ChatStream;
use exllm::{
    Backend, ChatRequest, ChatResponse, Client, EmbedRequest, EmbedResponse, Error, ErrorKind,
    Message, MockProvider, ToolResult, Usage,
};
use futures_util::future::BoxFuture;
use serde_json::json;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

fn client(mock: &MockProvider, cache: &Cache) -> Client {
    Client::builder()
        .env_lookup(|_| None)
        .provider("mock", Arc::new(mock.clone()))
        .cache(cache.clone())
        .build()
        .unwrap()
}

fn priced(text: &str) -> ChatResponse {
    let mut r = MockProvider::text_response(text);
    r.usage = Some(Usage {
        input_tokens: Some(10),
        output_tokens: Some(5),
        ..Default::default()
    });
    r.cost = Some(Cost {
        total: 0.25,
        ..Default::default()
    });
    r
}

fn ask(text: &str) -> ChatRequest {
    ChatRequest::new("mock/m", vec![Message::user(text)])
}

#[tokio::test]
async fn a_hit_is_the_same_answer_at_no_cost_and_skips_the_provider() {
    let mock = MockProvider::new().with_handler(|_| Ok(priced("Paris")));
    let cache = Cache::memory();
    let c = client(&mock, &cache);
    let first = c.chat(ask("Capital of France?")).await.unwrap();
    let second = c.chat(ask("Capital of France?")).await.unwrap();
    assert_eq!(mock.requests().len(), 1);
    assert_eq!(second.text(), first.text());
    assert_eq!(second.content, first.content);
    assert_eq!(second.finish, first.finish);
    assert_eq!(second.provider_meta[HIT_KEY], "hit");
    assert_eq!(second.provider_meta[SAVED_KEY]["usage"]["input_tokens"], 10);
    let u = second.usage.unwrap();
    assert_eq!((u.input_tokens, u.output_tokens), (Some(0), Some(0)));
    assert_eq!(second.cost.unwrap().total, 0.0);
    assert!(!first.provider_meta.contains_key(HIT_KEY));

    let s = cache.stats().await;
    assert_eq!((s.hits, s.misses, s.stores), (1, 1, 1));
    assert_eq!((s.saved_input_tokens, s.saved_output_tokens), (10, 5));
    assert_eq!(s.saved_tokens(), 15);
    assert!((s.saved_cost_usd - 0.25).abs() < 1e-12);
    assert_eq!(s.hit_rate(), Some(0.5));
}

#[tokio::test]
async fn clients_with_other_keys_share_entries_and_different_requests_do_not() {
    let mock = MockProvider::new();
    let cache = Cache::memory();
    let a = client(&mock, &cache);
    let b = Client::builder()
        .env_lookup(|_| None)
        .api_key("mock", "sk-other")
        .provider("mock", Arc::new(mock.clone()))
        .cache(cache.clone())
        .build()
        .unwrap();
    a.chat(ask("one")).await.unwrap();
    b.chat(ask("one")).await.unwrap();
    b.chat(ask("two")).await.unwrap();
    assert_eq!(mock.requests().len(), 2);
}

#[tokio::test]
async fn entries_expire_after_their_ttl() {
    let mock = MockProvider::new();
    let cache = Cache::memory().with_ttl(Duration::from_millis(60));
    let c = client(&mock, &cache);
    c.chat(ask("hi")).await.unwrap();
    c.chat(ask("hi")).await.unwrap();
    assert_eq!(mock.requests().len(), 1);
    tokio::time::sleep(Duration::from_millis(150)).await;
    c.chat(ask("hi")).await.unwrap();
    assert_eq!(mock.requests().len(), 2);

    // A request's own TTL replaces the cache's.
    let cache = Cache::memory();
    let mock = MockProvider::new();
    let c = client(&mock, &cache);
    let mut req = ask("short");
    req.cache = Some(CachePolicy::default().with_ttl(Duration::from_millis(60)));
    c.chat(req.clone()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(150)).await;
    c.chat(req).await.unwrap();
    assert_eq!(mock.requests().len(), 2);
}

#[tokio::test]
async fn sampling_is_not_cached_unless_forced() {
    let mock = MockProvider::new();
    let cache = Cache::memory();
    let c = client(&mock, &cache);
    let warm = ask("poem").with_temperature(0.8);
    c.chat(warm.clone()).await.unwrap();
    c.chat(warm.clone()).await.unwrap();
    assert_eq!(mock.requests().len(), 2);
    assert_eq!(cache.stats().await.bypassed, 2);

    let cold = ask("poem").with_temperature(0.0);
    c.chat(cold.clone()).await.unwrap();
    c.chat(cold).await.unwrap();
    assert_eq!(mock.requests().len(), 3);

    let mut forced = warm;
    forced.cache = Some(CachePolicy::default().with_force(true));
    c.chat(forced.clone()).await.unwrap();
    c.chat(forced).await.unwrap();
    assert_eq!(mock.requests().len(), 4);
}

#[tokio::test]
async fn tool_steps_and_disabled_calls_follow_the_policy() {
    let mock = MockProvider::new();
    let cache = Cache::memory().with_policy(CachePolicy::default().with_tool_steps(false));
    let c = client(&mock, &cache);
    let mut step = ask("weather?");
    step.messages
        .push(Message::tool_result(ToolResult::text("call_1", "sunny")));
    c.chat(step.clone()).await.unwrap();
    c.chat(step).await.unwrap();
    assert_eq!(mock.requests().len(), 2);

    let mut off = ask("plain");
    off.cache = Some(CachePolicy::off());
    c.chat(off.clone()).await.unwrap();
    c.chat(off).await.unwrap();
    assert_eq!(mock.requests().len(), 4);
    assert_eq!(cache.stats().await.bypassed, 4);
}

#[tokio::test]
async fn streams_use_the_cache_only_when_asked_and_hits_replay() {
    let mock = MockProvider::new().with_handler(|_| Ok(priced("a streamed answer")));
    let cache = Cache::memory();
    let c = client(&mock, &cache);
    for _ in 0..2 {
        let s = c.chat_stream(ask("s")).await.unwrap();
        s.collect_response().await.unwrap();
    }
    assert_eq!(mock.requests().len(), 2);

    let mut req = ask("s");
    req.cache = Some(CachePolicy::default().with_stream(true));
    let first = c.chat_stream(req.clone()).await.unwrap();
    let first = first.collect_response().await.unwrap();
    assert_eq!(mock.requests().len(), 3);
    let again = c.chat_stream(req.clone()).await.unwrap();
    let again = again.collect_response().await.unwrap();
    assert_eq!(mock.requests().len(), 3);
    assert_eq!(again.text(), first.text());
    assert_eq!(again.provider_meta[HIT_KEY], "hit");
    assert_eq!(again.usage.unwrap().output_tokens, Some(0));

    // A whole call's answer serves a later stream of the same request, and vice versa.
    let fresh = ask("whole");
    c.chat(fresh.clone()).await.unwrap();
    let mut streamed = fresh;
    streamed.cache = req.cache.clone();
    let replay = c.chat_stream(streamed).await.unwrap();
    assert_eq!(
        replay.collect_response().await.unwrap().text(),
        "a streamed answer"
    );
    assert_eq!(mock.requests().len(), 4);
    assert!(c
        .chat(ask("s"))
        .await
        .unwrap()
        .provider_meta
        .contains_key(HIT_KEY));
}

#[tokio::test]
async fn delete_and_clear_forget_entries_and_evictions_are_counted() {
    let mock = MockProvider::new();
    let cache = Cache::memory();
    let c = client(&mock, &cache);
    c.chat(ask("a")).await.unwrap();
    c.chat(ask("b")).await.unwrap();
    let scope = c.cache_scope("mock/m").await.unwrap();
    let key = cache.chat_key(&scope, &ask("a")).unwrap();
    assert!(cache.get_chat(&key).await.unwrap().is_some());
    assert!(cache.delete(&key).await.unwrap());
    assert!(!cache.delete(&key).await.unwrap());
    c.chat(ask("a")).await.unwrap();
    c.chat(ask("b")).await.unwrap();
    assert_eq!(mock.requests().len(), 3);
    cache.clear().await.unwrap();
    c.chat(ask("b")).await.unwrap();
    assert_eq!(mock.requests().len(), 4);

    let small = Cache::new(MemoryBackend::new(4 * 1024));
    let c = client(&mock, &small);
    for i in 0..64 {
        c.chat(ask(&format!("question number {i} {}", "x".repeat(200))))
            .await
            .unwrap();
    }
    assert!(small.stats().await.evictions > 0);
}

/// Embeddings only; counts its calls.
#[derive(Clone, Default)]
struct Embedder(Arc<AtomicUsize>);

impl Backend for Embedder {
    fn chat(&self, _: ChatRequest) -> BoxFuture<'static, exllm::Result<ChatResponse>> {
        Box::pin(async { Err(Error::new(ErrorKind::Unsupported, "no chat")) })
    }
    fn chat_stream(&self, _: ChatRequest) -> BoxFuture<'static, exllm::Result<ChatStream>> {
        Box::pin(async { Err(Error::new(ErrorKind::Unsupported, "no chat")) })
    }
    fn embed(&self, req: EmbedRequest) -> BoxFuture<'static, exllm::Result<EmbedResponse>> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Box::pin(async move {
            Ok(EmbedResponse {
                model: Some(req.model),
                embeddings: req
                    .inputs
                    .iter()
                    .map(|t| vec![t.len() as f32, 1.0])
                    .collect(),
                usage: Some(Usage {
                    input_tokens: Some(req.inputs.len() as u64),
                    ..Default::default()
                }),
                warnings: Vec::new(),
            })
        })
    }
}

#[tokio::test]
async fn embeddings_are_cached() {
    let embedder = Embedder::default();
    let cache = Cache::memory();
    let c = Client::builder()
        .env_lookup(|_| None)
        .provider("emb", Arc::new(embedder.clone()))
        .cache(cache.clone())
        .build()
        .unwrap();
    let req = EmbedRequest::new("emb/e", ["cat", "kitten"]);
    let first = c.embed(req.clone()).await.unwrap();
    let second = c.embed(req).await.unwrap();
    assert_eq!(embedder.0.load(Ordering::SeqCst), 1);
    assert_eq!(first.embeddings, second.embeddings);
    assert_eq!(second.usage.unwrap().input_tokens, Some(0));
    let mut other = EmbedRequest::new("emb/e", ["cat", "kitten"]);
    other.provider_options.insert("dimensions".into(), json!(2));
    c.embed(other).await.unwrap();
    assert_eq!(embedder.0.load(Ordering::SeqCst), 2);
    let s = cache.stats().await;
    assert_eq!((s.hits, s.misses, s.saved_input_tokens), (1, 2, 2));
}

#[tokio::test]
async fn error_answers_are_not_stored() {
    let mock = MockProvider::new()
        .with_error(Error::new(ErrorKind::Server, "boom"))
        .with_text("fine");
    let cache = Cache::memory();
    let c = client(&mock, &cache);
    assert!(c.chat(ask("x")).await.is_err());
    assert_eq!(c.chat(ask("x")).await.unwrap().text(), "fine");
    assert_eq!(c.chat(ask("x")).await.unwrap().text(), "fine");
    assert_eq!(mock.requests().len(), 2);
}

#[test]
fn keys_are_stable_across_processes_and_map_order() {
    let mut a = ask("Capital of France?").with_max_tokens(50);
    a.provider_options
        .insert("b".into(), json!({"y": 1, "x": [1, 2]}));
    a.provider_options.insert("a".into(), json!(true));
    let mut b = ask("Capital of France?").with_max_tokens(50);
    b.provider_options.insert("a".into(), json!(true));
    b.provider_options
        .insert("b".into(), json!({"x": [1, 2], "y": 1}));
    let cache = Cache::memory();
    let scope = CacheScope::new("mock", "http://127.0.0.1:1/v1", "openai-chat")
        .with_credential(Some("sk-test".into()));
    let key = cache.chat_key(&scope, &a).unwrap();
    assert_eq!(key, cache.chat_key(&scope, &b).unwrap());
    // Fixed for key format v2: a change here invalidates every shared (Redis) cache.
    assert_eq!(
        key,
        "exllm:v2:chat:ba1dc5662d8282e9f7b1aad3dea25157e015534b2574930f77bc6dd30b9592e4"
    );
}

/// Counts what the callbacks hear.
#[derive(Default)]
struct Heard {
    requests: AtomicUsize,
    responses: AtomicUsize,
    events: AtomicUsize,
    output_tokens: AtomicUsize,
}

/// The client owns its callbacks; the test keeps a handle on what they heard.
struct Ears(Arc<Heard>);

impl exllm::telemetry::Callback for Ears {
    fn on_request<'a>(
        &'a self,
        _c: &'a exllm::telemetry::CallInfo,
        _r: &'a ChatRequest,
    ) -> BoxFuture<'a, ()> {
        self.0.requests.fetch_add(1, Ordering::SeqCst);
        Box::pin(async {})
    }
    fn on_response<'a>(
        &'a self,
        _c: &'a exllm::telemetry::CallInfo,
        r: &'a ChatResponse,
    ) -> BoxFuture<'a, ()> {
        self.0.responses.fetch_add(1, Ordering::SeqCst);
        let out = r.usage.as_ref().and_then(|u| u.output_tokens).unwrap_or(0);
        self.0
            .output_tokens
            .fetch_add(out as usize, Ordering::SeqCst);
        Box::pin(async {})
    }
    fn on_stream_event<'a>(
        &'a self,
        _c: &'a exllm::telemetry::CallInfo,
        _e: &'a exllm::StreamEvent,
    ) -> BoxFuture<'a, ()> {
        self.0.events.fetch_add(1, Ordering::SeqCst);
        Box::pin(async {})
    }
}

#[tokio::test]
async fn callbacks_hear_hits_as_calls_with_zero_usage() {
    let mock = MockProvider::new().with_handler(|_| Ok(priced("Paris")));
    let cache = Cache::memory();
    let heard = Arc::new(Heard::default());
    let c = Client::builder()
        .env_lookup(|_| None)
        .provider("mock", Arc::new(mock.clone()))
        .cache(cache.clone())
        .callback(Ears(heard.clone()))
        .build()
        .unwrap();
    c.chat(ask("q")).await.unwrap();
    c.chat(ask("q")).await.unwrap();
    assert_eq!(mock.requests().len(), 1);
    assert_eq!(heard.requests.load(Ordering::SeqCst), 2);
    assert_eq!(heard.responses.load(Ordering::SeqCst), 2);
    // Only the real call used tokens.
    assert_eq!(heard.output_tokens.load(Ordering::SeqCst), 5);

    // A streamed hit replays through the hooks, event by event.
    let mut req = ask("q");
    req.cache = Some(CachePolicy::default().with_stream(true));
    let again = crate::support::streamed(&c, req).await.unwrap();
    assert_eq!(again.provider_meta[HIT_KEY], "hit");
    assert_eq!(mock.requests().len(), 1);
    assert_eq!(heard.requests.load(Ordering::SeqCst), 3);
    assert_eq!(heard.responses.load(Ordering::SeqCst), 3);
    assert!(
        heard.events.load(Ordering::SeqCst) >= 3,
        "start, text, finish at least"
    );
    assert_eq!(heard.output_tokens.load(Ordering::SeqCst), 5);
}
