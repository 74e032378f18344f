//! Structured output, typed tools and the catalog checks against the mock provider: the
//! strategies' requests, JSON read from prose and fences, a bad answer sent back and fixed,
//! partial values while streaming, arguments validated before a tool runs, capability
//! refusals before anything is sent, and costs on responses.

use exllm::catalog::{Catalog, ModelEntry, PriceSet, PriceTable};
use exllm::client::ToolSet;
use exllm::structured::{GenerateOptions, OutputStrategy, StructuredEvent};
use exllm::{
    ChatRequest, ChatResponse, Client, ErrorKind, Message, MockProvider, Part, ResponseFormat,
    Role, Tool, ToolChoice, Usage,
};
use futures_util::StreamExt;
use serde::Deserialize;
use serde_json::json;
use std::sync::Arc;

#[derive(Debug, PartialEq, Deserialize, schemars::JsonSchema)]
struct City {
    name: String,
    population: u64,
}

fn client(mock: &MockProvider) -> Client {
    client_with(mock, Catalog::from_models(vec![]))
}

fn client_with(mock: &MockProvider, catalog: Catalog) -> Client {
    Client::builder()
        .provider("mock", Arc::new(mock.clone()))
        .catalog(catalog)
        .build()
        .unwrap()
}

fn text(t: &str, tokens: u64) -> ChatResponse {
    let mut r = MockProvider::text_response(t);
    r.usage = Some(Usage {
        input_tokens: Some(tokens),
        output_tokens: Some(tokens),
        ..Default::default()
    });
    r
}

fn ask() -> ChatRequest {
    ChatRequest::new("mock/m", vec![Message::user("The largest city of France?")])
}

#[tokio::test]
async fn a_bad_answer_is_sent_back_and_the_fixed_one_parsed() {
    let mock = MockProvider::new()
        .with_response(text(r#"Here: {"name": "Paris", "population": "lots"}"#, 10))
        .with_response(text(
            "Sorry!\n```json\n{\"name\": \"Paris\", \"population\": 2102650}\n```",
            5,
        ));
    let g = client(&mock).generate::<City>(ask()).await.unwrap();
    assert_eq!(
        g.value,
        City {
            name: "Paris".into(),
            population: 2102650
        }
    );
    assert_eq!(g.attempts, 2);
    assert_eq!(g.strategy, OutputStrategy::JsonInstructions);
    assert_eq!(g.usage.input_tokens, Some(15));
    let reqs = mock.requests();
    assert_eq!(reqs.len(), 2);
    // The schema went into a system message.
    assert_eq!(reqs[0].messages[0].role, Role::System);
    assert!(reqs[0].messages[0].text().contains("\"population\""));
    // The second try carries the first answer and what was wrong with it.
    let second = &reqs[1].messages;
    assert_eq!(second.len(), 4);
    assert_eq!(second[2].role, Role::Assistant);
    assert!(second[2].text().contains("lots"));
    assert_eq!(second[3].role, Role::User);
    assert!(
        second[3].text().contains("/population"),
        "{}",
        second[3].text()
    );
}

#[tokio::test]
async fn retries_run_out_with_a_decode_error_carrying_the_last_answer() {
    let mock = MockProvider::new().with_text("I cannot answer in JSON.");
    let err = client(&mock)
        .generate_with::<City>(ask(), GenerateOptions::default().with_max_retries(0))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decode);
    assert!(err.message().contains("1 attempts"), "{}", err.message());
    assert_eq!(
        err.partial().map(|p| p.text()).as_deref(),
        Some("I cannot answer in JSON.")
    );
}

#[tokio::test]
async fn the_tool_strategy_forces_a_call_and_answers_bad_arguments_with_a_tool_result() {
    let mock = MockProvider::new()
        .with_tool_calls(vec![("output", json!({"name": "Paris"}))])
        .with_tool_calls(vec![("output", json!({"name": "Paris", "population": 3}))]);
    let opts = GenerateOptions::default().with_strategy(OutputStrategy::ToolCall);
    let g = client(&mock)
        .generate_with::<City>(ask(), opts)
        .await
        .unwrap();
    assert_eq!(g.value.population, 3);
    let reqs = mock.requests();
    assert_eq!(reqs[0].tools[0].name, "output");
    assert_eq!(
        reqs[0].tools[0].parameters["required"],
        json!(["name", "population"])
    );
    assert_eq!(reqs[0].tool_choice, Some(ToolChoice::Tool("output".into())));
    let Some(Part::ToolResult(r)) = reqs[1].messages.last().and_then(|m| m.content.first()) else {
        panic!("no tool result: {:?}", reqs[1].messages)
    };
    assert!(r.is_error);
    assert!(format!("{:?}", r.content).contains("population"));
}

#[tokio::test]
async fn the_native_strategy_sends_the_schema_as_the_response_format() {
    let mock = MockProvider::new().with_text(r#"{"name": "Lyon"}"#);
    let opts = GenerateOptions::default().with_strategy(OutputStrategy::NativeSchema);
    let schema = json!({"type": "object", "properties": {"name": {"type": "string"}},
        "required": ["name"], "additionalProperties": false});
    let g = client(&mock)
        .generate_json(ask(), schema.clone(), opts)
        .await
        .unwrap();
    assert_eq!(g.value["name"], "Lyon");
    let Some(ResponseFormat::JsonSchema {
        schema: sent,
        strict,
        ..
    }) = mock.requests()[0].response_format.clone()
    else {
        panic!("no schema sent")
    };
    assert_eq!(sent, schema);
    assert_eq!(strict, Some(true));
}

#[tokio::test]
async fn streaming_yields_growing_partials_then_the_value() {
    let mock = MockProvider::new()
        .with_text(r#"{"name": "Par"#)
        .with_text(r#"{"name": "Paris and its surroundings", "population": 12271794}"#);
    let mut s = client(&mock).generate_stream::<City>(ask()).await.unwrap();
    let mut partials = Vec::new();
    let mut retries = 0;
    let mut done = None;
    while let Some(e) = s.next().await {
        match e.unwrap() {
            StructuredEvent::Partial(v) => partials.push(v),
            StructuredEvent::Retry { problem } => {
                retries += 1;
                assert!(problem.contains("JSON"), "{problem}");
            }
            StructuredEvent::Done(g) => done = Some(g),
            _ => {}
        }
    }
    assert_eq!(retries, 1);
    let g = done.expect("a final value");
    assert_eq!(g.value.population, 12271794);
    assert_eq!(g.attempts, 2);
    assert!(partials.len() >= 3, "{partials:?}");
    assert!(
        partials.contains(&json!({"name": "Paris "})),
        "{partials:?}"
    );
    assert_eq!(partials.last(), Some(&g.json));
}

#[derive(Deserialize, schemars::JsonSchema)]
struct Add {
    a: i64,
    b: i64,
}

#[tokio::test]
async fn tool_arguments_are_validated_before_the_tool_runs() {
    let ran = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = ran.clone();
    let tools = ToolSet::new().with_typed("add", "Adds", move |x: Add| {
        counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        async move { Ok::<_, String>(json!({"sum": x.a + x.b})) }
    });
    let mock = MockProvider::new()
        .with_tool_calls(vec![("add", json!({"a": "two", "b": 3}))])
        .with_tool_calls(vec![("add", json!({"a": 2, "b": 3}))])
        .with_text("5");
    let run = client(&mock).run_tools(ask(), &tools, 5).await.unwrap();
    assert_eq!(run.last().unwrap().text(), "5");
    assert_eq!(ran.load(std::sync::atomic::Ordering::SeqCst), 1);
    let results: Vec<_> = run
        .messages
        .iter()
        .filter(|m| m.role == Role::Tool)
        .flat_map(|m| m.content.iter())
        .filter_map(|p| match p {
            Part::ToolResult(r) => Some((r.is_error, format!("{:?}", r.content))),
            _ => None,
        })
        .collect();
    assert!(results[0].0 && results[0].1.contains("/a"), "{results:?}");
    assert_eq!(
        results[1],
        (false, format!("{:?}", vec![Part::text(r#"{"sum":5}"#)]))
    );
}

fn priced(id: &str, flags: &[(&str, bool)]) -> ModelEntry {
    ModelEntry {
        provider: "mock".into(),
        id: id.into(),
        prices: PriceTable {
            base: PriceSet {
                input: Some(1e-6),
                output: Some(2e-6),
                ..Default::default()
            },
            ..Default::default()
        },
        capabilities: flags
            .iter()
            .map(|(k, v)| (format!("supports_{k}"), *v))
            .collect(),
        ..Default::default()
    }
}

#[tokio::test]
async fn models_the_catalog_says_cannot_are_refused_before_sending() {
    let mock = MockProvider::new().with_text("ok");
    let catalog = Catalog::from_models(vec![priced(
        "plain",
        &[("function_calling", false), ("vision", false)],
    )]);
    let c = client_with(&mock, catalog);
    let tool_req = ChatRequest::new("mock/plain", vec![Message::user("hi")]).with_tool(Tool::new(
        "t",
        "d",
        json!({"type": "object"}),
    ));
    let e = c.chat(tool_req).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unsupported);
    let image = ChatRequest::new(
        "mock/plain",
        vec![Message::new(
            Role::User,
            vec![Part::image_url("https://example.invalid/x.png")],
        )],
    );
    assert_eq!(
        c.chat_stream(image).await.err().map(|e| e.kind()),
        Some(ErrorKind::Unsupported)
    );
    assert!(mock.requests().is_empty());
}

#[tokio::test]
async fn responses_carry_their_cost_streamed_or_not() {
    let mock = MockProvider::new()
        .with_response(text("hi", 1000))
        .with_response(text("hi", 1000));
    let c = client_with(&mock, Catalog::from_models(vec![priced("m", &[])]));
    let req = ChatRequest::new("mock/m", vec![Message::user("hi")]);
    let whole = c.chat(req.clone()).await.unwrap();
    let cost = whole.cost.clone().expect("a cost");
    assert!((cost.total - 0.003).abs() < 1e-12, "{cost:?}");
    let streamed = crate::support::streamed(&c, req).await.unwrap();
    assert_eq!(streamed.cost, Some(cost));
    // An unknown model has no cost.
    let mock = MockProvider::new().with_response(text("hi", 1000));
    let r = client(&mock).chat(ask()).await.unwrap();
    assert_eq!(r.cost, None);
}
