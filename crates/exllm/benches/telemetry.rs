//! What watching calls costs: the same mock call and mock stream with nothing listening (no
//! `tracing` subscriber, no `metrics` recorder, no callbacks) and with all three on — a
//! subscriber that records every span field, a metrics recorder and one callback. The mock
//! answers in-process, so the figures are the telemetry layer plus the client itself.

use criterion::{criterion_group, criterion_main, Criterion};
use exllm::telemetry::{CallInfo, Callback};
use exllm::{Backend, ChatRequest, ChatResponse, ChatStream, Client, Message, MockProvider, Usage};
use futures_util::future::BoxFuture;
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

struct Count(AtomicU64);
impl Callback for Count {
    fn on_response<'a>(&'a self, _c: &'a CallInfo, _r: &'a ChatResponse) -> BoxFuture<'a, ()> {
        self.0.fetch_add(1, Ordering::Relaxed);
        Box::pin(async {})
    }
}

/// Answers every request with the same response, keeping nothing (the mock provider records
/// requests, which would grow over millions of iterations).
struct Fixed(ChatResponse);

impl Backend for Fixed {
    fn chat(&self, _req: ChatRequest) -> BoxFuture<'static, exllm::Result<ChatResponse>> {
        let r = self.0.clone();
        Box::pin(async move { Ok(r) })
    }
    fn chat_stream(&self, _req: ChatRequest) -> BoxFuture<'static, exllm::Result<ChatStream>> {
        let events = exllm::types::response_to_events(&self.0);
        Box::pin(async move { Ok(ChatStream::from_events(events)) })
    }
}

fn client(callback: bool) -> Client {
    let mut answer = MockProvider::text_response("a short answer of a few words");
    answer.usage = Some(Usage {
        input_tokens: Some(12),
        output_tokens: Some(7),
        ..Default::default()
    });
    let b = Client::builder().provider("mock", Arc::new(Fixed(answer)));
    let b = if callback {
        b.callback(Count(AtomicU64::new(0)))
    } else {
        b
    };
    b.build().unwrap()
}

fn run(c: &mut Criterion, label: &str, client: &Client) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let req = ChatRequest::new("mock/m", vec![Message::user("hi")]);
    let mut g = c.benchmark_group("telemetry");
    g.bench_function(format!("chat, {label}"), |b| {
        b.iter(|| rt.block_on(client.chat(black_box(req.clone()))).unwrap())
    });
    g.bench_function(format!("stream, {label}"), |b| {
        b.iter(|| {
            rt.block_on(async {
                client
                    .chat_stream(req.clone())
                    .await?
                    .collect_response()
                    .await
            })
            .unwrap()
        })
    });
    g.finish();
}

fn bench(c: &mut Criterion) {
    run(c, "off", &client(false));
    use tracing_subscriber::layer::SubscriberExt;
    let subscriber = tracing_subscriber::registry().with(
        tracing_subscriber::fmt::layer()
            .with_writer(std::io::sink)
            .with_ansi(false),
    );
    let _guard = tracing::subscriber::set_default(subscriber);
    let recorder = metrics_util::debugging::DebuggingRecorder::new();
    let _ = recorder.install();
    run(c, "on", &client(true));
}

criterion_group!(benches, bench);
criterion_main!(benches);
