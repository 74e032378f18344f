//! Tool calling across every provider, one test body per scenario over the provider table in
//! `support/matrix/`: a single call and the request's tool format and tool-choice encoding,
//! parallel calls, streamed calls (arguments in many deltas, or whole in one event, or empty)
//! assembling into the non-streamed result, a three-step `run_tools` loop with a call whose
//! arguments fail the tool's schema, and embeddings batches larger than the provider's limit.

use crate::matrix;
use crate::support;

use exllm::client::ToolSet;
use exllm::{
    ChatRequest, ChatResponse, EmbedRequest, Message, Role, StreamEvent, ToolCall, ToolChoice,
};
use matrix::{Call, Wire, USAGE_IN, USAGE_OUT};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use support::fixtures::ARGS_TEXT;
use support::{weather_args, weather_tool, Reply, TestServer};

const TOKYO: &str = r#"{"city": "Tokyo", "unit": "fahrenheit"}"#;

fn request(row: &Wire) -> ChatRequest {
    ChatRequest::new(row.model, vec![Message::user("Weather in Paris?")])
        .with_max_tokens(256)
        .with_tool(weather_tool())
}

/// The id exllm gives the `n`th call of an answer.
fn id_of(row: &Wire, given: &str, n: usize) -> String {
    if row.sends_ids {
        given.to_owned()
    } else {
        format!("call_{n}")
    }
}

/// The calls of an answer as (id, name, arguments).
fn calls_of(resp: &ChatResponse) -> Vec<(String, String, Value)> {
    resp.tool_calls()
        .into_iter()
        .map(|c: &ToolCall| (c.id.clone(), c.name.clone(), c.arguments.clone()))
        .collect()
}

/// What `calls` must decode to.
fn expected(row: &Wire, calls: &[Call]) -> Vec<(String, String, Value)> {
    calls
        .iter()
        .enumerate()
        .map(|(i, (id, name, args))| {
            (
                id_of(row, id, i),
                name.to_string(),
                matrix::args_value(args),
            )
        })
        .collect()
}

fn check_usage(row: &Wire, resp: &ChatResponse, times: u64) {
    let u = resp
        .usage
        .as_ref()
        .unwrap_or_else(|| panic!("{}: no usage", row.name));
    assert_eq!(u.input_tokens, Some(USAGE_IN * times), "{}", row.name);
    assert_eq!(u.output_tokens, Some(USAGE_OUT * times), "{}", row.name);
}

#[test]
fn the_table_covers_every_provider() {
    let names: Vec<&str> = matrix::all().iter().map(|r| r.name).collect();
    let mut want = vec![
        "openai chat",
        "openai responses",
        "anthropic",
        "gemini",
        "cohere",
        "mistral",
        "ollama",
    ];
    if cfg!(feature = "bedrock") {
        want.push("bedrock");
    }
    assert_eq!(names, want);
}

// ---------------------------------------------------------------------------------------------
// 1. A single tool call, the tool format and the tool choice

#[tokio::test]
async fn a_single_call_decodes_and_the_request_carries_the_tool_and_the_choice() {
    let choices = [
        ToolChoice::Auto,
        ToolChoice::None,
        ToolChoice::Required,
        ToolChoice::Tool("get_weather".into()),
    ];
    for row in matrix::all() {
        let call: Call = ("call_single_1", "get_weather", ARGS_TEXT);
        let server =
            TestServer::start(choices.iter().map(|_| (row.tool_calls)(&[call])).collect()).await;
        let client = (row.client)(&server);
        for choice in &choices {
            let req = request(&row).with_tool_choice(choice.clone());
            let resp = client
                .chat(req)
                .await
                .unwrap_or_else(|e| panic!("{} {choice:?}: {e}", row.name));
            assert_eq!(
                calls_of(&resp),
                expected(&row, &[call]),
                "{} {choice:?}",
                row.name
            );
            assert_eq!(resp.tool_calls()[0].arguments, weather_args());
            assert_eq!(
                resp.finish_kind(),
                Some(exllm::FinishKind::ToolCalls),
                "{}",
                row.name
            );
            check_usage(&row, &resp, 1);
            let warned = resp.warnings.iter().any(|w| {
                w.setting
                    .as_deref()
                    .is_some_and(|s| s.starts_with("tool_choice"))
            });
            assert_eq!(
                warned,
                (row.choice_warns)(choice),
                "{} {choice:?}: {:?}",
                row.name,
                resp.warnings
            );
        }
        let reqs = server.requests();
        assert_eq!(reqs.len(), choices.len(), "{}", row.name);
        for (r, choice) in reqs.iter().zip(&choices) {
            let body = r.json();
            assert_eq!(
                (row.tools_in)(&body),
                vec![("get_weather".to_owned(), weather_tool().parameters)],
                "{}: tools in {body}",
                row.name
            );
            assert_eq!(
                (row.choice_in)(&body),
                (row.choice)(choice),
                "{} {choice:?}: {body}",
                row.name
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// 2. Parallel calls

#[tokio::test]
async fn parallel_calls_decode_in_order() {
    let calls: [Call; 2] = [
        ("call_par_1", "get_weather", ARGS_TEXT),
        ("call_par_2", "get_weather", TOKYO),
    ];
    for row in matrix::all() {
        let server = TestServer::start(vec![
            (row.tool_calls)(&calls),
            (row.tool_calls_stream)(&calls),
        ])
        .await;
        let client = (row.client)(&server);
        let whole = client.chat(request(&row)).await.unwrap();
        assert_eq!(calls_of(&whole), expected(&row, &calls), "{}", row.name);
        let streamed = support::streamed(&client, request(&row))
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", row.name));
        assert_eq!(calls_of(&streamed), expected(&row, &calls), "{}", row.name);
    }
}

// ---------------------------------------------------------------------------------------------
// 3. Streamed calls assemble into the non-streamed form

#[tokio::test]
async fn streamed_calls_assemble_like_whole_ones() {
    let cases: [(&str, Vec<Call>); 3] = [
        // Many small argument deltas (or, for Gemini and Ollama, one whole-call event cut
        // into small byte pieces).
        ("split", vec![("call_s_1", "get_weather", ARGS_TEXT)]),
        // A call without arguments.
        ("empty", vec![("call_s_2", "get_time", "")]),
        // Non-ASCII arguments cut inside characters.
        (
            "unicode",
            vec![(
                "call_s_3",
                "get_weather",
                r#"{"city": "Zürich ☂ 東京", "unit": "celsius"}"#,
            )],
        ),
    ];
    for row in matrix::all() {
        for (label, calls) in &cases {
            let server = TestServer::start(vec![
                (row.tool_calls_stream)(calls),
                (row.tool_calls)(calls),
            ])
            .await;
            let client = (row.client)(&server);
            let mut events = Vec::new();
            let mut deltas = 0;
            let mut s = client.chat_stream(request(&row)).await.unwrap();
            let mut collector = exllm::Collector::new();
            while let Some(e) = futures_util::StreamExt::next(&mut s).await {
                let e = e.unwrap_or_else(|e| panic!("{} {label}: {e}", row.name));
                if matches!(e, StreamEvent::ToolCallDelta { .. }) {
                    deltas += 1;
                }
                events.push(format!("{e:?}"));
                collector.push(e);
            }
            let streamed = collector.finish();
            if row.delta_args && !calls[0].2.is_empty() {
                assert!(
                    deltas >= 10,
                    "{} {label}: {deltas} argument deltas",
                    row.name
                );
            }
            let whole = client.chat(request(&row)).await.unwrap();
            assert_eq!(
                calls_of(&streamed),
                expected(&row, calls),
                "{} {label}: events {events:#?}",
                row.name
            );
            assert_eq!(
                calls_of(&streamed),
                calls_of(&whole),
                "{} {label}",
                row.name
            );
            assert_eq!(
                streamed.finish_kind(),
                whole.finish_kind(),
                "{} {label}",
                row.name
            );
            check_usage(&row, &streamed, 1);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// 4. A three-step tool loop, with a call that fails the tool's schema

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct WeatherArgs {
    /// The city.
    city: String,
}

#[tokio::test]
async fn a_three_step_tool_loop_sends_results_and_schema_errors_back() {
    for row in matrix::all() {
        let server = TestServer::start(vec![
            (row.tool_calls)(&[("call_loop_1", "get_weather", r#"{"city": "Paris"}"#)]),
            // `town` instead of `city`: fails the schema, the tool must not run.
            (row.tool_calls)(&[("call_loop_2", "get_weather", r#"{"town": "Lyon"}"#)]),
            (row.text)("It is 18 degrees in Paris."),
        ])
        .await;
        let runs = Arc::new(AtomicUsize::new(0));
        let counter = runs.clone();
        let tools = ToolSet::new().with_typed(
            "get_weather",
            "Current weather for a city",
            move |a: WeatherArgs| {
                let counter = counter.clone();
                async move {
                    counter.fetch_add(1, Ordering::SeqCst);
                    Ok::<_, String>(format!("18 degrees in {}", a.city))
                }
            },
        );
        let req = ChatRequest::new(row.model, vec![Message::user("Weather in Paris?")])
            .with_max_tokens(256);
        let run = (row.client)(&server)
            .run_tools(req, &tools, 5)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", row.name));
        assert!(!run.hit_step_limit, "{}", row.name);
        assert_eq!(run.responses.len(), 3, "{}", row.name);
        assert_eq!(
            run.last().unwrap().text(),
            "It is 18 degrees in Paris.",
            "{}",
            row.name
        );
        assert_eq!(run.usage.input_tokens, Some(3 * USAGE_IN), "{}", row.name);
        assert_eq!(run.usage.output_tokens, Some(3 * USAGE_OUT), "{}", row.name);
        assert_eq!(
            runs.load(Ordering::SeqCst),
            1,
            "{}: invalid call ran",
            row.name
        );
        let roles: Vec<Role> = run.messages.iter().map(|m| m.role).collect();
        assert_eq!(
            roles,
            [
                Role::User,
                Role::Assistant,
                Role::Tool,
                Role::Assistant,
                Role::Tool,
                Role::Assistant
            ],
            "{}",
            row.name
        );

        let reqs = server.requests();
        assert_eq!(reqs.len(), 3, "{}", row.name);
        let refers = |id: &str| {
            if row.results_by_id {
                id_of(&row, id, 0)
            } else {
                "get_weather".to_owned()
            }
        };
        // Every request offers the tool.
        for r in &reqs {
            let tools = (row.tools_in)(&r.json());
            assert_eq!(tools.len(), 1, "{}", row.name);
            assert_eq!(tools[0].0, "get_weather", "{}", row.name);
            assert_eq!(
                tools[0].1,
                json!({"type": "object", "required": ["city"],
                       "properties": {"city": {"type": "string", "description": "The city."}}}),
                "{}: the typed tool's schema",
                row.name
            );
        }
        // The 2nd request: the call and its result.
        let turns = (row.turns)(&reqs[1].json());
        let results: Vec<_> = turns.iter().flat_map(|t| t.results.clone()).collect();
        assert_eq!(results.len(), 1, "{}: {turns:#?}", row.name);
        assert_eq!(results[0].refers, refers("call_loop_1"), "{}", row.name);
        assert_eq!(results[0].text, "18 degrees in Paris", "{}", row.name);
        assert_ne!(results[0].error, Some(true), "{}", row.name);
        let calls: Vec<_> = turns.iter().flat_map(|t| t.calls.clone()).collect();
        assert_eq!(calls.len(), 1, "{}", row.name);
        assert_eq!(calls[0].1, "get_weather");
        assert_eq!(calls[0].2, json!({"city": "Paris"}), "{}", row.name);
        if row.results_by_id {
            assert_eq!(calls[0].0, refers("call_loop_1"), "{}", row.name);
        }
        // The 3rd request: both results, the second the schema error.
        let turns = (row.turns)(&reqs[2].json());
        let results: Vec<_> = turns.iter().flat_map(|t| t.results.clone()).collect();
        assert_eq!(results.len(), 2, "{}: {turns:#?}", row.name);
        assert_eq!(results[1].refers, refers("call_loop_2"), "{}", row.name);
        assert!(
            results[1]
                .text
                .contains("invalid arguments for `get_weather`")
                && results[1].text.contains("city"),
            "{}: {:?}",
            row.name,
            results[1].text
        );
        // Where the API has an error flag, it is set.
        assert_ne!(results[1].error, Some(false), "{}: {results:?}", row.name);
        let last = turns.last().unwrap();
        assert!(!last.results.is_empty(), "{}: results come last", row.name);
    }
}

// ---------------------------------------------------------------------------------------------
// 5. Embeddings batches over the provider's limit

#[tokio::test]
async fn embeddings_over_the_batch_limit_come_back_in_input_order() {
    for row in matrix::all() {
        let Some(embed) = &row.embed else { continue };
        let n = embed.limit + 5;
        let batches = n.div_ceil(embed.limit);
        let server = TestServer::start(
            (0..batches)
                .map(|_| matrix::embed_reply(embed))
                .collect::<Vec<Reply>>(),
        )
        .await;
        let inputs: Vec<String> = (0..n).map(|i| format!("t{i}")).collect();
        let resp = (row.client)(&server)
            .embed(EmbedRequest::new(embed.model, inputs.clone()))
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", row.name));
        let reqs = server.requests();
        assert_eq!(reqs.len(), batches, "{}", row.name);
        let sent: Vec<String> = reqs
            .iter()
            .flat_map(|r| {
                let got = (embed.inputs)(&r.json());
                assert!(
                    got.len() <= embed.limit,
                    "{}: {} inputs",
                    row.name,
                    got.len()
                );
                got
            })
            .collect();
        assert_eq!(sent, inputs, "{}: inputs sent in order", row.name);
        let want: Vec<Vec<f32>> = inputs.iter().map(|t| matrix::vector_of(t)).collect();
        assert_eq!(resp.embeddings, want, "{}", row.name);
    }
}
