//! The `exllm-traced` and `exllm-watched` clients: exllm with telemetry on, as a user who
//! watches calls runs it — a `tracing` subscriber that stores spans and reads every field of
//! every span and event at INFO, and a `metrics` recorder that keeps every counter and
//! histogram (metrics-util's registry, what exporters build on). `exllm-watched` adds one
//! callback that sees each response and stream event. Against `exllm` (the same client with
//! nothing listening) they give the cost of telemetry, and of telemetry plus a callback.

use exllm::telemetry::{CallInfo, Callback};
use exllm::{ChatResponse, StreamEvent};
use futures_util::future::BoxFuture;
use metrics::{Counter, Gauge, Histogram, Key, KeyName, Metadata, Recorder, SharedString, Unit};
use metrics_util::registry::{AtomicStorage, Registry};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use tracing::field::{Field, Visit};
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::Layer;

/// Adds the subscriber, the recorder (both process-wide) and, with `callback`, the callback to
/// a client.
pub fn watch(b: exllm::ClientBuilder, callback: bool) -> exllm::ClientBuilder {
    let fields = Arc::new(AtomicU64::new(0));
    // At INFO, as the CLI and most services log; DEBUG adds request and response bodies.
    let subscriber =
        tracing_subscriber::registry().with(Fields(fields).with_filter(LevelFilter::INFO));
    let _ = tracing::subscriber::set_global_default(subscriber);
    let _ = metrics::set_global_recorder(Kept(Registry::atomic()));
    if callback {
        b.callback(Seen::default())
    } else {
        b
    }
}

/// Reads every field it is shown.
struct Fields(Arc<AtomicU64>);

struct Count<'a>(&'a AtomicU64);

impl Visit for Count<'_> {
    fn record_debug(&mut self, _field: &Field, value: &dyn std::fmt::Debug) {
        std::hint::black_box(value);
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

impl<S: tracing::Subscriber> Layer<S> for Fields {
    fn on_new_span(
        &self,
        attrs: &tracing::span::Attributes<'_>,
        _id: &tracing::span::Id,
        _ctx: Context<'_, S>,
    ) {
        attrs.record(&mut Count(&self.0));
    }
    fn on_record(
        &self,
        _id: &tracing::span::Id,
        values: &tracing::span::Record<'_>,
        _ctx: Context<'_, S>,
    ) {
        values.record(&mut Count(&self.0));
    }
    fn on_event(&self, event: &tracing::Event<'_>, _ctx: Context<'_, S>) {
        event.record(&mut Count(&self.0));
    }
}

/// Keeps every metric in a registry.
struct Kept(Registry<Key, AtomicStorage>);

impl Recorder for Kept {
    fn describe_counter(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_gauge(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_histogram(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn register_counter(&self, key: &Key, _: &Metadata<'_>) -> Counter {
        self.0
            .get_or_create_counter(key, |c| Counter::from_arc(c.clone()))
    }
    fn register_gauge(&self, key: &Key, _: &Metadata<'_>) -> Gauge {
        self.0
            .get_or_create_gauge(key, |g| Gauge::from_arc(g.clone()))
    }
    fn register_histogram(&self, key: &Key, _: &Metadata<'_>) -> Histogram {
        self.0
            .get_or_create_histogram(key, |h| Histogram::from_arc(h.clone()))
    }
}

/// Counts responses and stream events.
#[derive(Default)]
struct Seen {
    responses: AtomicU64,
    events: AtomicU64,
}

impl Callback for Seen {
    fn on_response<'a>(&'a self, _c: &'a CallInfo, _r: &'a ChatResponse) -> BoxFuture<'a, ()> {
        self.responses.fetch_add(1, Ordering::Relaxed);
        Box::pin(async {})
    }
    fn on_stream_event<'a>(&'a self, _c: &'a CallInfo, _e: &'a StreamEvent) -> BoxFuture<'a, ()> {
        self.events.fetch_add(1, Ordering::Relaxed);
        Box::pin(async {})
    }
}
