//! OTLP export end to end: a chat call through `exllm::Client` reaches a collector (the
//! scripted test server on 127.0.0.1) as an OTLP/HTTP protobuf span carrying the GenAI
//! attributes and as `gen_ai.client.*` metrics, sent with the configured header, whose value
//! never shows in the config's `Debug`. A single test, because `install` sets the
//! process-wide `tracing` subscriber and `metrics` recorder.
#![cfg(feature = "otlp")]

use crate::support::{Recorded, Reply, TestServer};

use exllm::telemetry::otlp::{install, OtlpConfig};
use exllm::{ChatRequest, ChatResponse, Client, Message, MockProvider, Usage};
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::common::v1::KeyValue;
use opentelemetry_proto::tonic::metrics::v1::metric::Data;
use opentelemetry_proto::tonic::metrics::v1::number_data_point;
use opentelemetry_proto::tonic::trace::v1::Span;
use prost::Message as _;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::timeout;

/// The collector's API key; it must reach the collector and never a `Debug` output.
const COLLECTOR_KEY: &str = "collector-key-5b1e9d77";
/// A model name no other test uses, to pick our span and data points out.
const MODEL: &str = "otlp-model";

fn answer() -> ChatResponse {
    let mut r = MockProvider::text_response("exported");
    r.usage = Some(Usage {
        input_tokens: Some(7),
        output_tokens: Some(3),
        ..Default::default()
    });
    r
}

/// A string or integer attribute, as text.
fn attr(attrs: &[KeyValue], key: &str) -> Option<String> {
    let kv = attrs.iter().find(|kv| kv.key == key)?;
    match kv.value.as_ref()?.value.as_ref()? {
        Value::StringValue(s) => Some(s.clone()),
        Value::IntValue(i) => Some(i.to_string()),
        Value::BoolValue(b) => Some(b.to_string()),
        Value::DoubleValue(d) => Some(d.to_string()),
        other => Some(format!("{other:?}")),
    }
}

fn posts<'a>(reqs: &'a [Recorded], path: &str) -> Vec<&'a Recorded> {
    reqs.iter()
        .filter(|r| r.method == "POST" && r.path == path)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chat_call_is_exported_as_an_otlp_span_and_metrics() {
    let ok = || Reply::body(200, "application/x-protobuf", Vec::new());
    let server = TestServer::start((0..64).map(|_| ok()).collect()).await;
    let config = OtlpConfig::new(server.root())
        .with_service_name("exllm-otlp-test")
        .with_header("x-collector-key", COLLECTOR_KEY)
        .with_timeout(Duration::from_secs(5));
    let shown = format!("{config:?}");
    assert!(!shown.contains(COLLECTOR_KEY), "{shown}");
    assert!(shown.contains("x-collector-key"), "{shown}");

    let guard = install(config).expect("install the exporter");
    let mock = MockProvider::new().with_response(answer());
    let client = Client::builder()
        .env_lookup(|_| None)
        .provider("mock", Arc::new(mock))
        .build()
        .unwrap();
    let req = ChatRequest::new(format!("mock/{MODEL}"), vec![Message::user("hi")]);
    let resp = timeout(Duration::from_secs(10), client.chat(req))
        .await
        .expect("the call finishes")
        .unwrap();
    assert_eq!(resp.text(), "exported");

    // Shutting down exports what is buffered; it blocks, so it runs off the runtime's threads.
    timeout(
        Duration::from_secs(30),
        tokio::task::spawn_blocking(move || guard.shutdown()),
    )
    .await
    .expect("the final export finishes in time")
    .unwrap()
    .expect("the final export succeeds");

    let reqs = server.requests();
    let traces = posts(&reqs, "/v1/traces");
    let metrics = posts(&reqs, "/v1/metrics");
    assert!(!traces.is_empty(), "no trace export in {reqs:#?}");
    assert!(!metrics.is_empty(), "no metrics export in {reqs:#?}");
    for r in traces.iter().chain(&metrics) {
        assert_eq!(r.header("x-collector-key"), Some(COLLECTOR_KEY));
        assert_eq!(r.header("content-type"), Some("application/x-protobuf"));
    }

    // The span, with the service name on its resource.
    let mut spans: Vec<(Option<String>, Span)> = Vec::new();
    for r in &traces {
        let body = ExportTraceServiceRequest::decode(r.body.as_slice()).expect("protobuf");
        for rs in body.resource_spans {
            let service = rs
                .resource
                .as_ref()
                .and_then(|res| attr(&res.attributes, "service.name"));
            for ss in rs.scope_spans {
                spans.extend(ss.spans.into_iter().map(|s| (service.clone(), s)));
            }
        }
    }
    let (service, span) = spans
        .iter()
        .find(|(_, s)| attr(&s.attributes, "gen_ai.request.model").as_deref() == Some(MODEL))
        .unwrap_or_else(|| panic!("no span for {MODEL} in {spans:#?}"));
    assert_eq!(service.as_deref(), Some("exllm-otlp-test"));
    assert_eq!(span.name, format!("chat {MODEL}"));
    let a = |k: &str| attr(&span.attributes, k);
    assert_eq!(a("gen_ai.operation.name").as_deref(), Some("chat"));
    assert_eq!(a("gen_ai.provider.name").as_deref(), Some("mock"));
    assert_eq!(a("gen_ai.usage.input_tokens").as_deref(), Some("7"));
    assert_eq!(a("gen_ai.usage.output_tokens").as_deref(), Some("3"));

    // Token counts and the request count, as cumulative sums for our model.
    let mut sums: Vec<(String, Vec<KeyValue>, i64)> = Vec::new();
    for r in &metrics {
        let body = ExportMetricsServiceRequest::decode(r.body.as_slice()).expect("protobuf");
        for rm in body.resource_metrics {
            for sm in rm.scope_metrics {
                for m in sm.metrics {
                    if let Some(Data::Sum(s)) = m.data {
                        for p in s.data_points {
                            if let Some(number_data_point::Value::AsInt(v)) = p.value {
                                sums.push((m.name.clone(), p.attributes, v));
                            }
                        }
                    }
                }
            }
        }
    }
    let last = |name: &str, extra: (&str, &str)| {
        sums.iter()
            .rev()
            .find(|(n, attrs, _)| {
                n == name
                    && attr(attrs, "gen_ai.request.model").as_deref() == Some(MODEL)
                    && attr(attrs, extra.0).as_deref() == Some(extra.1)
            })
            .map(|(_, _, v)| *v)
    };
    let tokens = exllm::telemetry::metric::TOKENS;
    assert_eq!(
        last(tokens, ("gen_ai.token.type", "input")),
        Some(7),
        "{sums:#?}"
    );
    assert_eq!(
        last(tokens, ("gen_ai.token.type", "output")),
        Some(3),
        "{sums:#?}"
    );
    let requests = exllm::telemetry::metric::REQUESTS;
    assert_eq!(last(requests, ("outcome", "ok")), Some(1), "{sums:#?}");
}
