//! Structured output across every provider, one test body per scenario over the provider table
//! in `support/matrix/`: an answer that fails the schema is sent back once (as a user message
//! for the native-schema strategy, as an error tool result for the tool-call strategy) and the
//! second answer is taken; the same streamed, with partial values; and the error once the
//! retries are used up.

use crate::matrix;
use crate::support;

use exllm::structured::{schema_of, GenerateOptions, Generated, OutputStrategy, StructuredEvent};
use exllm::{ChatRequest, ErrorKind, Message, ToolChoice};
use futures_util::StreamExt;
use matrix::{Wire, USAGE_IN, USAGE_OUT};
use serde_json::{json, Value};
use support::{Recorded, Reply, TestServer};

#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
struct City {
    name: String,
    population: u64,
}

/// Fails the schema: the population is a string.
const BAD: &str = r#"{"name": "Paris", "population": "lots"}"#;
const GOOD: &str = r#"{"name": "Paris", "population": 2102650}"#;
/// The words of the problem sent back.
const PROBLEM: &str = "does not match the schema";

fn request(row: &Wire) -> ChatRequest {
    ChatRequest::new(
        row.model,
        vec![
            Message::system("Answer in JSON."),
            Message::user("The largest city in France?"),
        ],
    )
    .with_max_tokens(256)
}

/// The strategy exllm picks for the row.
fn strategy(row: &Wire) -> OutputStrategy {
    if row.tool_strategy {
        OutputStrategy::ToolCall
    } else {
        OutputStrategy::NativeSchema
    }
}

/// The `n`th answer with this JSON: text, or a call of the `output` tool.
fn answer(row: &Wire, st: OutputStrategy, n: usize, json_text: &str) -> Reply {
    if st == OutputStrategy::ToolCall {
        (row.tool_calls)(&[(&format!("call_out_{n}"), "output", json_text)])
    } else {
        (row.text)(json_text)
    }
}

/// The same answer streamed in small pieces.
fn answer_stream(row: &Wire, st: OutputStrategy, n: usize, json_text: &str) -> Reply {
    if st == OutputStrategy::ToolCall {
        (row.tool_calls_stream)(&[(&format!("call_out_{n}"), "output", json_text)])
    } else {
        let pieces = matrix::pieces(json_text, 5);
        let deltas: Vec<&str> = pieces.iter().map(String::as_str).collect();
        (row.text_stream)(&deltas)
    }
}

/// The request asks for JSON the way the strategy does.
fn check_asks_for_schema(row: &Wire, st: OutputStrategy, r: &Recorded) {
    let body = r.json();
    let schema = schema_of::<City>();
    if st == OutputStrategy::ToolCall {
        assert_eq!(
            (row.tools_in)(&body),
            vec![("output".to_owned(), schema)],
            "{}: {body}",
            row.name
        );
        assert_eq!(
            (row.choice_in)(&body),
            (row.choice)(&ToolChoice::Tool("output".into())),
            "{}: {body}",
            row.name
        );
    } else if st == OutputStrategy::NativeSchema {
        assert_eq!((row.schema_in)(&body), schema, "{}: {body}", row.name);
        assert!((row.tools_in)(&body).is_empty(), "{}", row.name);
    } else {
        // JSON instructions: the schema in the system prompt, nothing else.
        assert_eq!((row.schema_in)(&body), Value::Null, "{}: {body}", row.name);
        assert!((row.tools_in)(&body).is_empty(), "{}", row.name);
        let turns = (row.turns)(&body);
        let system = &turns[0];
        assert_eq!(system.role, "system", "{}: {turns:#?}", row.name);
        assert!(
            system.text.starts_with("Answer in JSON.")
                && system.text.contains("JSON Schema")
                && system.text.contains(&schema.to_string()),
            "{}: {:?}",
            row.name,
            system.text
        );
    }
}

/// The second request carries the first answer and the problem.
fn check_fed_back(row: &Wire, st: OutputStrategy, r: &Recorded) {
    let turns = (row.turns)(&r.json());
    let n = turns.len();
    assert!(n >= 3, "{}: {turns:#?}", row.name);
    let (answer, problem) = (&turns[n - 2], &turns[n - 1]);
    assert_eq!(answer.role, "assistant", "{}: {turns:#?}", row.name);
    if st == OutputStrategy::ToolCall {
        // Ollama sends no call ids back; Gemini's made-up ones are not sent either.
        let want_id = if row.results_by_id { "call_out_0" } else { "" };
        assert_eq!(
            answer.calls,
            vec![(
                want_id.to_owned(),
                "output".to_owned(),
                json!({"name": "Paris", "population": "lots"})
            )],
            "{}",
            row.name
        );
        assert_eq!(problem.results.len(), 1, "{}: {turns:#?}", row.name);
        let res = &problem.results[0];
        let refers = if row.results_by_id {
            "call_out_0"
        } else {
            "output"
        };
        assert_eq!(res.refers, refers, "{}", row.name);
        assert!(res.text.contains(PROBLEM), "{}: {:?}", row.name, res.text);
        assert_ne!(res.error, Some(false), "{}", row.name);
    } else {
        assert_eq!(answer.text, BAD, "{}", row.name);
        assert_eq!(problem.role, "user", "{}: {turns:#?}", row.name);
        assert!(
            problem.text.contains(PROBLEM) && problem.text.contains("corrected JSON"),
            "{}: {:?}",
            row.name,
            problem.text
        );
    }
}

fn check_generated(row: &Wire, st: OutputStrategy, g: &Generated<City>) {
    assert_eq!(g.value.name, "Paris", "{}", row.name);
    assert_eq!(g.value.population, 2_102_650, "{}", row.name);
    assert_eq!(g.json, json!({"name": "Paris", "population": 2102650}));
    assert_eq!(g.attempts, 2, "{}", row.name);
    assert_eq!(g.strategy, st, "{}", row.name);
    assert_eq!(g.usage.input_tokens, Some(2 * USAGE_IN), "{}", row.name);
    assert_eq!(g.usage.output_tokens, Some(2 * USAGE_OUT), "{}", row.name);
    // The response is the second answer.
    if st == OutputStrategy::ToolCall {
        let calls = g.response.tool_calls();
        assert_eq!(calls.len(), 1, "{}", row.name);
        assert_eq!(calls[0].arguments, g.json, "{}", row.name);
    } else {
        assert_eq!(g.response.text(), GOOD, "{}", row.name);
    }
}

/// The bad answer is in the error's partial response.
fn check_partial(row: &Wire, st: OutputStrategy, err: &exllm::Error) {
    assert_eq!(err.kind(), ErrorKind::Decode, "{}: {err}", row.name);
    assert!(err.message().contains(PROBLEM), "{}: {err}", row.name);
    let partial = err
        .partial()
        .unwrap_or_else(|| panic!("{}: no partial response", row.name));
    if st == OutputStrategy::ToolCall {
        let calls = partial.tool_calls();
        assert_eq!(calls[0].name, "output", "{}", row.name);
        assert_eq!(calls[0].arguments["population"], "lots", "{}", row.name);
    } else {
        assert_eq!(partial.text(), BAD, "{}", row.name);
    }
}

/// `generate` (the strategy chosen by exllm when `forced` is `None`): a bad answer, then a
/// good one.
async fn retry_once(row: &Wire, forced: Option<OutputStrategy>) {
    let st = forced.unwrap_or_else(|| strategy(row));
    let label = format!("{} {st:?}", row.name);
    let server = TestServer::start(vec![answer(row, st, 0, BAD), answer(row, st, 1, GOOD)]).await;
    let client = (row.client)(&server);
    let g = match forced {
        None => client.generate::<City>(request(row)).await,
        Some(s) => {
            client
                .generate_with::<City>(request(row), GenerateOptions::default().with_strategy(s))
                .await
        }
    }
    .unwrap_or_else(|e| panic!("{label}: {e}"));
    check_generated(row, st, &g);
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2, "{label}");
    check_asks_for_schema(row, st, &reqs[0]);
    check_asks_for_schema(row, st, &reqs[1]);
    check_fed_back(row, st, &reqs[1]);
}

#[tokio::test]
async fn one_invalid_answer_is_sent_back_and_the_second_is_taken() {
    for row in matrix::all() {
        retry_once(&row, None).await;
    }
}

#[tokio::test]
async fn every_strategy_can_be_forced_on_every_provider() {
    for row in matrix::all() {
        for st in [OutputStrategy::ToolCall, OutputStrategy::JsonInstructions] {
            retry_once(&row, Some(st)).await;
        }
    }
}

/// `generate_stream` (the strategy chosen by exllm when `forced` is `None`): a bad answer,
/// then a good one, each streamed in small pieces.
async fn stream_retry_once(row: &Wire, forced: Option<OutputStrategy>) {
    let st = forced.unwrap_or_else(|| strategy(row));
    let label = format!("{} {st:?}", row.name);
    let server = TestServer::start(vec![
        answer_stream(row, st, 0, BAD),
        answer_stream(row, st, 1, GOOD),
    ])
    .await;
    let client = (row.client)(&server);
    let mut s = match forced {
        None => client.generate_stream::<City>(request(row)).await,
        Some(f) => {
            let opts = GenerateOptions::default().with_strategy(f);
            client
                .generate_stream_with::<City>(request(row), opts)
                .await
        }
    }
    .unwrap();
    // Per attempt: the partial values.
    let mut attempts: Vec<Vec<Value>> = vec![Vec::new()];
    let mut retries = Vec::new();
    let mut done = None;
    while let Some(e) = s.next().await {
        match e.unwrap_or_else(|e| panic!("{label}: {e}")) {
            StructuredEvent::Partial(v) => {
                assert!(done.is_none(), "{label}: partial after done");
                attempts.last_mut().unwrap().push(v);
            }
            StructuredEvent::Retry { problem } => {
                retries.push(problem);
                attempts.push(Vec::new());
            }
            StructuredEvent::Done(g) => done = Some(g),
            other => panic!("{label}: unexpected {other:?}"),
        }
    }
    assert_eq!(retries.len(), 1, "{label}");
    assert!(retries[0].contains(PROBLEM), "{label}: {retries:?}");
    assert_eq!(attempts.len(), 2, "{label}");
    // A call sent whole (Gemini, Ollama) is one partial; deltas give several, the first
    // without the unfinished number.
    let whole_call = st == OutputStrategy::ToolCall && !row.delta_args;
    for (i, partials) in attempts.iter().enumerate() {
        assert!(
            partials.len() >= if whole_call { 1 } else { 2 },
            "{label} attempt {i}: partials {partials:?}"
        );
        if !whole_call {
            assert_eq!(partials[0].get("population"), None, "{label}");
        }
    }
    assert_eq!(
        attempts[1].last().unwrap(),
        &json!({"name": "Paris", "population": 2102650}),
        "{label}"
    );
    let g = done.unwrap_or_else(|| panic!("{label}: no Done"));
    check_generated(row, st, &g);
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2, "{label}");
    check_asks_for_schema(row, st, &reqs[0]);
    check_fed_back(row, st, &reqs[1]);
}

#[tokio::test]
async fn streamed_structured_output_yields_partials_then_retries_then_the_value() {
    for row in matrix::all() {
        stream_retry_once(&row, None).await;
    }
}

#[tokio::test]
async fn every_strategy_can_be_forced_on_every_provider_when_streaming() {
    for row in matrix::all() {
        for st in [OutputStrategy::ToolCall, OutputStrategy::JsonInstructions] {
            stream_retry_once(&row, Some(st)).await;
        }
    }
}

#[tokio::test]
async fn the_last_invalid_answer_comes_back_with_the_error() {
    for row in matrix::all() {
        let st = strategy(&row);
        let server = TestServer::start(vec![
            answer(&row, st, 0, BAD),
            answer_stream(&row, st, 0, BAD),
        ])
        .await;
        let client = (row.client)(&server);
        let opts = GenerateOptions::default().with_max_retries(0);
        let err = match client
            .generate_with::<City>(request(&row), opts.clone())
            .await
        {
            Ok(g) => panic!("{}: accepted {:?}", row.name, g.value),
            Err(e) => e,
        };
        check_partial(&row, st, &err);

        let mut s = client
            .generate_stream_with::<City>(request(&row), opts)
            .await
            .unwrap();
        let mut last = None;
        while let Some(e) = s.next().await {
            match e {
                Ok(StructuredEvent::Partial(_)) => {}
                Ok(other) => panic!("{}: unexpected {other:?}", row.name),
                Err(e) => last = Some(e),
            }
        }
        check_partial(
            &row,
            st,
            &last.unwrap_or_else(|| panic!("{}: no error", row.name)),
        );
        assert_eq!(server.request_count(), 2, "{}: no retry", row.name);
    }
}
