//! Callbacks, GenAI spans and metrics: hooks see a stream's events in order and a retry, a
//! panicking hook does not break the call, spans carry the GenAI attributes (content only
//! when asked), and the metrics facade gets requests, tokens and durations.

use crate::support;

use exllm::telemetry::{CallInfo, Callback, RetryInfo, TelemetryOptions};
use exllm::{ChatRequest, ChatResponse, Client, Error, Message, MockProvider, StreamEvent, Usage};
use futures_util::future::BoxFuture;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use support::fixtures::chat;
use support::{Reply, TestServer};

#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<String>>>);

impl Log {
    fn lines(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
    fn push(&self, s: String) {
        self.0.lock().unwrap().push(s);
    }
}

impl Callback for Log {
    fn on_request<'a>(&'a self, call: &'a CallInfo, _req: &'a ChatRequest) -> BoxFuture<'a, ()> {
        Box::pin(async move { self.push(format!("request {} {}", call.operation, call.model)) })
    }
    fn on_response<'a>(&'a self, _c: &'a CallInfo, resp: &'a ChatResponse) -> BoxFuture<'a, ()> {
        Box::pin(async move { self.push(format!("response {}", resp.text())) })
    }
    fn on_stream_event<'a>(&'a self, _c: &'a CallInfo, e: &'a StreamEvent) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            if let StreamEvent::TextDelta(t) = e {
                self.push(format!("delta {t}"));
            }
        })
    }
    fn on_error<'a>(&'a self, _c: &'a CallInfo, e: &'a Error) -> BoxFuture<'a, ()> {
        Box::pin(async move { self.push(format!("error {:?}", e.kind())) })
    }
    fn on_retry<'a>(&'a self, r: &'a RetryInfo<'a>) -> BoxFuture<'a, ()> {
        Box::pin(async move { self.push(format!("retry {} {}", r.provider, r.attempt)) })
    }
}

struct Panics;
impl Callback for Panics {
    fn on_request<'a>(&'a self, _c: &'a CallInfo, _r: &'a ChatRequest) -> BoxFuture<'a, ()> {
        Box::pin(async { panic!("a broken callback") })
    }
}

fn answer(text: &str) -> ChatResponse {
    let mut r = MockProvider::text_response(text);
    r.usage = Some(Usage {
        input_tokens: Some(7),
        output_tokens: Some(3),
        ..Default::default()
    });
    r
}

fn mock_client(mock: &MockProvider, log: &Log, opts: TelemetryOptions) -> Client {
    Client::builder()
        .provider("mock", Arc::new(mock.clone()))
        .callback(Panics)
        .callback(log.clone())
        .telemetry(opts)
        .build()
        .unwrap()
}

fn ask() -> ChatRequest {
    ChatRequest::new("mock/m", vec![Message::user("secret question")])
}

#[tokio::test]
async fn hooks_see_every_stream_event_in_order_and_survive_a_panicking_hook() {
    let log = Log::default();
    let mock = MockProvider::new()
        .with_response(answer("one two three"))
        .with_error(Error::new(exllm::ErrorKind::Server, "down"));
    let c = mock_client(&mock, &log, TelemetryOptions::default());
    let resp = support::streamed(&c, ask()).await.unwrap();
    assert_eq!(resp.text(), "one two three");
    assert!(c.chat(ask()).await.is_err());
    assert_eq!(
        log.lines(),
        [
            "request chat_stream m",
            "delta one ",
            "delta two ",
            "delta three",
            "response one two three",
            "request chat m",
            "error Server",
        ]
    );
}

#[tokio::test]
async fn retries_are_reported() {
    let server = TestServer::start(vec![
        Reply::json(503, r#"{"error":{"message":"busy"}}"#),
        Reply::json(200, chat::text("gpt-4o-mini")),
    ])
    .await;
    let log = Log::default();
    let c = Client::builder()
        .env_lookup(|_| None)
        .base_url("openai", server.url())
        .api_key("openai", support::KEY)
        .retry(support::fast_retry(1))
        .callback(log.clone())
        .build()
        .unwrap();
    c.chat(ChatRequest::new(
        "openai/gpt-4o-mini",
        support::hello_messages(),
    ))
    .await
    .unwrap();
    assert_eq!(log.lines()[1], "retry openai 1");
    assert_eq!(log.lines().len(), 3);
}

#[test]
fn metrics_count_requests_tokens_and_time() {
    use metrics_util::debugging::{DebugValue, DebuggingRecorder};
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    metrics::with_local_recorder(&recorder, || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let mock = MockProvider::new()
                .with_response(answer("a"))
                .with_response(answer("b c"));
            let c = mock_client(&mock, &Log::default(), TelemetryOptions::default());
            c.chat(ask()).await.unwrap();
            support::streamed(&c, ask()).await.unwrap();
        });
    });
    let mut seen: HashMap<String, f64> = HashMap::new();
    for (key, _, _, value) in snapshotter.snapshot().into_vec() {
        let key = key.key();
        let labels: Vec<String> = key
            .labels()
            .map(|l| format!("{}={}", l.key(), l.value()))
            .collect();
        let name = format!("{}{{{}}}", key.name(), labels.join(","));
        let v = match value {
            DebugValue::Counter(n) => n as f64,
            DebugValue::Histogram(h) => h.len() as f64,
            DebugValue::Gauge(g) => g.into_inner(),
        };
        seen.insert(name, v);
    }
    let get = |k: &str| seen.iter().find(|(n, _)| n.starts_with(k)).map(|(_, v)| *v);
    let base = "gen_ai.provider.name=mock,gen_ai.request.model=m,gen_ai.operation.name=chat";
    assert_eq!(
        get(&format!("gen_ai.client.requests{{{base},outcome=ok}}")),
        Some(2.0),
        "{seen:?}"
    );
    assert_eq!(
        get(&format!(
            "gen_ai.client.token.usage{{{base},gen_ai.token.type=input}}"
        )),
        Some(14.0)
    );
    assert_eq!(
        get(&format!("gen_ai.client.operation.duration{{{base}}}")),
        Some(2.0)
    );
    assert_eq!(get("gen_ai.client.time_to_first_token"), Some(1.0));
}
