//! GenAI span attributes, in a test binary of their own: `tracing` caches per call site
//! whether anyone listens, so other tests running without a subscriber in the same process
//! could hide these spans.

mod support;

use exllm::telemetry::TelemetryOptions;
use exllm::{ChatRequest, ChatResponse, Client, Message, MockProvider, Usage};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

fn answer(text: &str) -> ChatResponse {
    let mut r = MockProvider::text_response(text);
    r.usage = Some(Usage {
        input_tokens: Some(7),
        output_tokens: Some(3),
        ..Default::default()
    });
    r
}

fn ask() -> ChatRequest {
    ChatRequest::new("mock/m", vec![Message::user("secret question")])
}

fn mock_client(mock: &MockProvider, opts: TelemetryOptions) -> Client {
    Client::builder()
        .provider("mock", Arc::new(mock.clone()))
        .telemetry(opts)
        .build()
        .unwrap()
}

/// Records the fields of `gen_ai` spans.
#[derive(Clone, Default)]
struct Fields(Arc<Mutex<HashMap<String, String>>>);

struct Visit<'a>(&'a mut HashMap<String, String>);
impl tracing::field::Visit for Visit<'_> {
    fn record_debug(&mut self, f: &tracing::field::Field, v: &dyn std::fmt::Debug) {
        self.0.insert(f.name().to_owned(), format!("{v:?}"));
    }
    fn record_str(&mut self, f: &tracing::field::Field, v: &str) {
        self.0.insert(f.name().to_owned(), v.to_owned());
    }
}

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Fields {
    fn on_new_span(
        &self,
        attrs: &tracing::span::Attributes<'_>,
        _id: &tracing::span::Id,
        _ctx: tracing_subscriber::layer::Context<'_, S>,
    ) {
        if attrs.metadata().name() == "gen_ai" {
            attrs.record(&mut Visit(&mut self.0.lock().unwrap()));
        }
    }
    fn on_record(
        &self,
        _id: &tracing::span::Id,
        values: &tracing::span::Record<'_>,
        _ctx: tracing_subscriber::layer::Context<'_, S>,
    ) {
        values.record(&mut Visit(&mut self.0.lock().unwrap()));
    }
}

async fn span_fields(opts: TelemetryOptions, stream: bool) -> HashMap<String, String> {
    use tracing_subscriber::layer::SubscriberExt;
    let fields = Fields::default();
    let _guard =
        tracing::subscriber::set_default(tracing_subscriber::registry().with(fields.clone()));
    let mock = MockProvider::new().with_response(answer("the answer"));
    let c = mock_client(&mock, opts);
    let req = ask().with_max_tokens(50);
    if stream {
        support::streamed(&c, req).await.unwrap();
    } else {
        c.chat(req).await.unwrap();
    }
    let out = fields.0.lock().unwrap().clone();
    out
}

#[tokio::test]
async fn spans_carry_the_gen_ai_attributes() {
    for stream in [false, true] {
        let f = span_fields(TelemetryOptions::default(), stream).await;
        assert_eq!(f["gen_ai.operation.name"], "chat");
        assert_eq!(f["gen_ai.provider.name"], "mock");
        assert_eq!(f["gen_ai.request.model"], "m");
        assert_eq!(f["gen_ai.request.max_tokens"], "50");
        assert_eq!(f["gen_ai.usage.input_tokens"], "7");
        assert_eq!(f["gen_ai.usage.output_tokens"], "3");
        assert_eq!(f["gen_ai.response.finish_reasons"], "stop");
        assert_eq!(f["gen_ai.request.stream"], stream.to_string());
        assert!(
            !f.contains_key("gen_ai.prompt"),
            "content is off by default"
        );
    }
    let f = span_fields(
        TelemetryOptions {
            record_content: true,
        },
        true,
    )
    .await;
    assert_eq!(f["gen_ai.prompt"], "secret question");
    assert_eq!(f["gen_ai.completion"], "the answer");
}
