//! One table of providers for the cross-provider matrix tests (`tools_matrix.rs`,
//! `structured_matrix.rs`). Each row knows how to build a client against the test server, how
//! its API writes answers (whole and streamed: text, and tool calls with given ids, names and
//! argument text), how its requests carry tools, the tool choice, tool results and the
//! structured-output schema, and how its embeddings endpoint answers. Every answer reports the
//! same usage ([`USAGE_IN`] input and [`USAGE_OUT`] output tokens), so sums are easy to check.
//!
//! The test files declare `mod support;` and this file with
//! `crate::matrix` (declared in `tests/main.rs`); with the `bedrock` feature, `crate::bedrock_wire`
//! is the AWS event-stream encoder.

#![allow(dead_code)]

use crate::support::fixtures::{data, event};
use crate::support::{fast_retry, split_every, Recorded, Reply, TestServer, KEY};
use exllm::{Api, Client, ToolChoice};
use serde_json::{json, Value};

/// Input tokens every answer reports.
pub const USAGE_IN: u64 = 10;
/// Output tokens every answer reports.
pub const USAGE_OUT: u64 = 5;

/// A tool call to write into an answer: id, name, arguments as JSON text (`""` in a stream:
/// no argument deltas at all).
pub type Call<'a> = (&'a str, &'a str, &'a str);

/// One tool result as a request carries it.
#[derive(Debug, Clone, PartialEq)]
pub struct SentResult {
    /// The call id it answers, or the tool name for APIs that match results by name.
    pub refers: String,
    /// Its text.
    pub text: String,
    /// The error flag, where the API has one.
    pub error: Option<bool>,
}

/// One message (or input item) of a request, normalised across APIs.
#[derive(Debug, Clone, Default)]
pub struct Turn {
    /// `system`, `user`, `assistant` or `tool`.
    pub role: String,
    /// All its text, concatenated.
    pub text: String,
    /// Tool calls: id (empty when the API sends none back), name, arguments.
    pub calls: Vec<(String, String, Value)>,
    /// Tool results.
    pub results: Vec<SentResult>,
}

/// How a provider's embeddings endpoint is driven.
pub struct Embed {
    /// The model string (`provider/model`).
    pub model: &'static str,
    /// The inputs one request may carry.
    pub limit: usize,
    /// The inputs a request carries.
    pub inputs: fn(&Value) -> Vec<String>,
    /// An answer for these vectors.
    pub answer: fn(&[Vec<f32>]) -> String,
}

/// One provider row of the matrix.
pub struct Wire {
    /// A label for messages.
    pub name: &'static str,
    /// The model string (`provider/model`).
    pub model: &'static str,
    /// A client sending this provider to the server.
    pub client: fn(&TestServer) -> Client,
    /// A whole text answer.
    pub text: fn(&str) -> Reply,
    /// A streamed text answer in these deltas.
    pub text_stream: fn(&[&str]) -> Reply,
    /// A whole answer with these tool calls.
    pub tool_calls: fn(&[Call]) -> Reply,
    /// The same answer streamed (arguments in many deltas where the API streams them).
    pub tool_calls_stream: fn(&[Call]) -> Reply,
    /// Whether the API streams a call's arguments in deltas (else each call comes whole).
    pub delta_args: bool,
    /// Whether the API sends call ids (else exllm makes up `call_<n>`).
    pub sends_ids: bool,
    /// Whether tool results refer to their call by id (else by tool name).
    pub results_by_id: bool,
    /// The tools a request carries: name and parameters.
    pub tools_in: fn(&Value) -> Vec<(String, Value)>,
    /// The tool-choice value a request carries (`Null` when absent).
    pub choice_in: fn(&Value) -> Value,
    /// What each tool choice must become (`Null`: not sent).
    pub choice: fn(&ToolChoice) -> Value,
    /// Whether exllm warns that the API cannot honour the tool choice.
    pub choice_warns: fn(&ToolChoice) -> bool,
    /// The request's messages, normalised.
    pub turns: fn(&Value) -> Vec<Turn>,
    /// The native schema a request carries (`Null` when absent or not native).
    pub schema_in: fn(&Value) -> Value,
    /// Whether exllm picks the tool-call strategy for structured output (else the native
    /// schema).
    pub tool_strategy: bool,
    /// Embeddings, for providers that have them.
    pub embed: Option<Embed>,
}

/// Every provider row (Bedrock with the `bedrock` feature).
pub fn all() -> Vec<Wire> {
    vec![
        openai_chat(),
        openai_responses(),
        anthropic(),
        gemini(),
        cohere(),
        mistral(),
        ollama(),
        #[cfg(feature = "bedrock")]
        bedrock(),
    ]
}

/// `text` cut into pieces of at most `n` bytes, never inside a character.
pub fn pieces(text: &str, n: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for ch in text.chars() {
        if cur.len() + ch.len_utf8() > n && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        cur.push(ch);
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Argument text as a JSON value (`{}` when empty).
pub fn args_value(text: &str) -> Value {
    if text.is_empty() {
        json!({})
    } else {
        serde_json::from_str(text).expect("test arguments are JSON")
    }
}

/// The argument text of a whole answer (`{}` when empty).
fn whole_args(text: &str) -> &str {
    if text.is_empty() {
        "{}"
    } else {
        text
    }
}

/// The text of a string or of a list of `{"text": ..}` blocks.
fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(a) => a
            .iter()
            .map(|b| match b {
                Value::String(s) => s.clone(),
                b => b
                    .get("text")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .or_else(|| b["document"]["data"].as_str().map(str::to_owned))
                    .unwrap_or_default(),
            })
            .collect(),
        _ => String::new(),
    }
}

fn arr(v: &Value) -> Vec<Value> {
    v.as_array().cloned().unwrap_or_default()
}

fn str_of(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_owned()
}

fn sse(events: Vec<String>) -> Reply {
    Reply::sse(events.into_iter().map(String::into_bytes).collect())
}

// ---------------------------------------------------------------------------------------------
// OpenAI Chat Completions (also Mistral)

mod chat {
    use super::*;

    pub fn usage() -> Value {
        json!({"prompt_tokens": USAGE_IN, "completion_tokens": USAGE_OUT,
               "total_tokens": USAGE_IN + USAGE_OUT})
    }

    fn completion(message: Value, finish: &str) -> Reply {
        Reply::json(
            200,
            json!({
                "id": "chatcmpl-matrix", "object": "chat.completion", "created": 1_730_000_000,
                "model": "m",
                "choices": [{"index": 0, "message": message, "logprobs": null, "finish_reason": finish}],
                "usage": usage()
            })
            .to_string(),
        )
    }

    fn chunk(delta: Value, finish: Option<&str>) -> String {
        data(&json!({
            "id": "chatcmpl-matrix", "object": "chat.completion.chunk", "created": 1_730_000_000,
            "model": "m",
            "choices": [{"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish}]
        }))
    }

    fn tail(finish: &str) -> Vec<String> {
        vec![
            chunk(json!({}), Some(finish)),
            data(
                &json!({"id": "chatcmpl-matrix", "object": "chat.completion.chunk",
                         "created": 1_730_000_000, "model": "m", "choices": [], "usage": usage()}),
            ),
            "data: [DONE]\n\n".to_owned(),
        ]
    }

    pub fn text(t: &str) -> Reply {
        completion(
            json!({"role": "assistant", "content": t, "refusal": null}),
            "stop",
        )
    }

    pub fn text_stream(deltas: &[&str]) -> Reply {
        let mut ev = vec![chunk(json!({"role": "assistant", "content": ""}), None)];
        ev.extend(deltas.iter().map(|d| chunk(json!({ "content": d }), None)));
        ev.extend(tail("stop"));
        sse(ev)
    }

    pub fn tool_calls(calls: &[Call]) -> Reply {
        let calls: Vec<Value> = calls
            .iter()
            .map(|(id, name, args)| {
                json!({"id": id, "type": "function",
                       "function": {"name": name, "arguments": whole_args(args)}})
            })
            .collect();
        completion(
            json!({"role": "assistant", "content": null, "tool_calls": calls}),
            "tool_calls",
        )
    }

    pub fn tool_calls_stream(calls: &[Call]) -> Reply {
        let mut ev = vec![chunk(json!({"role": "assistant", "content": null}), None)];
        for (i, (id, name, args)) in calls.iter().enumerate() {
            ev.push(chunk(
                json!({"tool_calls": [{"index": i, "id": id, "type": "function",
                                        "function": {"name": name, "arguments": ""}}]}),
                None,
            ));
            for p in pieces(args, 3) {
                ev.push(chunk(
                    json!({"tool_calls": [{"index": i, "function": {"arguments": p}}]}),
                    None,
                ));
            }
        }
        ev.extend(tail("tool_calls"));
        sse(ev)
    }

    pub fn tools_in(body: &Value) -> Vec<(String, Value)> {
        arr(&body["tools"])
            .iter()
            .map(|t| {
                assert_eq!(t["type"], "function", "{t}");
                (
                    str_of(&t["function"]["name"]),
                    t["function"]["parameters"].clone(),
                )
            })
            .collect()
    }

    pub fn choice(c: &ToolChoice) -> Value {
        match c {
            ToolChoice::Auto => json!("auto"),
            ToolChoice::None => json!("none"),
            ToolChoice::Required => json!("required"),
            ToolChoice::Tool(n) => json!({"type": "function", "function": {"name": n}}),
            other => panic!("unexpected tool choice {other:?}"),
        }
    }

    pub fn turns(body: &Value) -> Vec<Turn> {
        arr(&body["messages"])
            .iter()
            .map(|m| {
                let role = str_of(&m["role"]);
                let mut t = Turn {
                    text: text_of(&m["content"]),
                    role: role.clone(),
                    ..Default::default()
                };
                for c in arr(&m["tool_calls"]) {
                    t.calls.push((
                        str_of(&c["id"]),
                        str_of(&c["function"]["name"]),
                        args_value(c["function"]["arguments"].as_str().unwrap_or("")),
                    ));
                }
                if role == "tool" {
                    t.results.push(SentResult {
                        refers: str_of(&m["tool_call_id"]),
                        text: t.text.clone(),
                        error: None,
                    });
                }
                t
            })
            .collect()
    }

    pub fn schema_in(body: &Value) -> Value {
        let f = &body["response_format"];
        if f["type"] == "json_schema" {
            f["json_schema"]["schema"].clone()
        } else {
            Value::Null
        }
    }

    pub fn embed_inputs(body: &Value) -> Vec<String> {
        arr(&body["input"]).iter().map(str_of).collect()
    }

    pub fn embed_answer(vectors: &[Vec<f32>]) -> String {
        let data: Vec<Value> = vectors
            .iter()
            .enumerate()
            .map(|(i, v)| json!({"object": "embedding", "index": i, "embedding": v}))
            .collect();
        json!({"object": "list", "data": data, "model": "m",
               "usage": {"prompt_tokens": vectors.len(), "total_tokens": vectors.len()}})
        .to_string()
    }
}

fn chat_row(name: &'static str, model: &'static str, client: fn(&TestServer) -> Client) -> Wire {
    Wire {
        name,
        model,
        client,
        text: chat::text,
        text_stream: chat::text_stream,
        tool_calls: chat::tool_calls,
        tool_calls_stream: chat::tool_calls_stream,
        delta_args: true,
        sends_ids: true,
        results_by_id: true,
        tools_in: chat::tools_in,
        choice_in: |b| b["tool_choice"].clone(),
        choice: chat::choice,
        choice_warns: |_| false,
        turns: chat::turns,
        schema_in: chat::schema_in,
        tool_strategy: false,
        embed: None,
    }
}

fn keyed(provider: &str, server: &TestServer) -> exllm::ClientBuilder {
    Client::builder()
        .env_lookup(|_| None)
        .base_url(provider, server.url())
        .api_key(provider, KEY)
        .retry(fast_retry(0))
}

pub fn openai_chat() -> Wire {
    Wire {
        embed: Some(Embed {
            model: "openai/text-embedding-3-small",
            limit: 2048,
            inputs: chat::embed_inputs,
            answer: chat::embed_answer,
        }),
        ..chat_row("openai chat", "openai/gpt-4o-mini", |s| {
            keyed("openai", s).build().unwrap()
        })
    }
}

/// Mistral streams the Chat Completions format its own way: each tool call whole in one
/// delta, and the finish reason and usage in the last content chunk.
mod mistral {
    use super::*;

    fn chunk(delta: Value, finish: Option<&str>) -> String {
        let mut c = json!({
            "id": "cmpl-e5cc70bb28c444948073e77776eb30ef", "object": "chat.completion.chunk",
            "created": 1_730_000_000, "model": "mistral-small-latest",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": null}]
        });
        if finish.is_some() {
            c["usage"] = chat::usage();
        }
        data(&c)
    }

    pub fn text_stream(deltas: &[&str]) -> Reply {
        let mut ev = vec![chunk(json!({"role": "assistant", "content": ""}), None)];
        let n = deltas.len();
        for (i, d) in deltas.iter().enumerate() {
            ev.push(chunk(
                json!({ "content": d }),
                (i + 1 == n).then_some("stop"),
            ));
        }
        ev.push("data: [DONE]\n\n".to_owned());
        sse(ev)
    }

    pub fn tool_calls_stream(calls: &[Call]) -> Reply {
        let calls: Vec<Value> = calls
            .iter()
            .enumerate()
            .map(|(i, (id, name, args))| {
                json!({"id": id, "function": {"name": name, "arguments": whole_args(args)},
                       "index": i})
            })
            .collect();
        sse(vec![
            chunk(json!({"role": "assistant", "content": ""}), None),
            chunk(json!({ "tool_calls": calls }), Some("tool_calls")),
            "data: [DONE]\n\n".to_owned(),
        ])
    }
}

pub fn mistral() -> Wire {
    Wire {
        text_stream: mistral::text_stream,
        tool_calls_stream: mistral::tool_calls_stream,
        delta_args: false,
        embed: Some(Embed {
            model: "mistral/mistral-embed",
            limit: 2048,
            inputs: chat::embed_inputs,
            answer: chat::embed_answer,
        }),
        ..chat_row("mistral", "mistral/mistral-small-latest", |s| {
            keyed("mistral", s).build().unwrap()
        })
    }
}

// ---------------------------------------------------------------------------------------------
// OpenAI Responses

mod responses {
    use super::*;

    fn usage() -> Value {
        json!({"input_tokens": USAGE_IN, "input_tokens_details": {"cached_tokens": 0},
               "output_tokens": USAGE_OUT, "output_tokens_details": {"reasoning_tokens": 0},
               "total_tokens": USAGE_IN + USAGE_OUT})
    }

    fn response(status: &str, output: Value, usage: Value) -> Value {
        json!({"id": "resp_matrix", "object": "response", "created_at": 1_730_000_000,
               "status": status, "error": null, "incomplete_details": null, "model": "m",
               "output": output, "parallel_tool_calls": true, "usage": usage})
    }

    fn message(t: &str) -> Value {
        json!({"id": "msg_matrix", "type": "message", "status": "completed", "role": "assistant",
               "content": [{"type": "output_text", "text": t, "annotations": []}]})
    }

    fn call_item(i: usize, (id, name, _): &Call, status: &str, arguments: &str) -> Value {
        json!({"id": format!("fc_matrix_{i}"), "type": "function_call", "status": status,
               "call_id": id, "name": name, "arguments": arguments})
    }

    /// Numbers the events' `sequence_number`s and writes them as SSE.
    fn stream(events: Vec<Value>) -> Reply {
        sse(events
            .into_iter()
            .enumerate()
            .map(|(i, mut e)| {
                e["sequence_number"] = i.into();
                event(e["type"].as_str().unwrap(), &e)
            })
            .collect())
    }

    fn head() -> Vec<Value> {
        let r = response("in_progress", json!([]), Value::Null);
        vec![
            json!({"type": "response.created", "response": r}),
            json!({"type": "response.in_progress", "response": r}),
        ]
    }

    pub fn text(t: &str) -> Reply {
        Reply::json(
            200,
            response("completed", json!([message(t)]), usage()).to_string(),
        )
    }

    pub fn text_stream(deltas: &[&str]) -> Reply {
        let full: String = deltas.concat();
        let mut ev = head();
        ev.push(
            json!({"type": "response.output_item.added", "output_index": 0,
            "item": {"id": "msg_matrix", "type": "message", "status": "in_progress",
                     "role": "assistant", "content": []}}),
        );
        ev.push(
            json!({"type": "response.content_part.added", "item_id": "msg_matrix",
            "output_index": 0, "content_index": 0,
            "part": {"type": "output_text", "text": "", "annotations": []}}),
        );
        for d in deltas {
            ev.push(
                json!({"type": "response.output_text.delta", "item_id": "msg_matrix",
                "output_index": 0, "content_index": 0, "delta": d, "logprobs": []}),
            );
        }
        ev.push(
            json!({"type": "response.output_text.done", "item_id": "msg_matrix",
            "output_index": 0, "content_index": 0, "text": full, "logprobs": []}),
        );
        ev.push(
            json!({"type": "response.output_item.done", "output_index": 0,
            "item": message(&full)}),
        );
        ev.push(json!({"type": "response.completed",
            "response": response("completed", json!([message(&full)]), usage())}));
        stream(ev)
    }

    pub fn tool_calls(calls: &[Call]) -> Reply {
        let out: Vec<Value> = calls
            .iter()
            .enumerate()
            .map(|(i, c)| call_item(i, c, "completed", whole_args(c.2)))
            .collect();
        Reply::json(
            200,
            response("completed", Value::Array(out), usage()).to_string(),
        )
    }

    pub fn tool_calls_stream(calls: &[Call]) -> Reply {
        let mut ev = head();
        let mut done = Vec::new();
        for (i, c) in calls.iter().enumerate() {
            ev.push(
                json!({"type": "response.output_item.added", "output_index": i,
                "item": call_item(i, c, "in_progress", "")}),
            );
            for p in pieces(c.2, 3) {
                ev.push(json!({"type": "response.function_call_arguments.delta",
                    "item_id": format!("fc_matrix_{i}"), "output_index": i, "delta": p}));
            }
            ev.push(json!({"type": "response.function_call_arguments.done",
                "item_id": format!("fc_matrix_{i}"), "output_index": i, "arguments": c.2}));
            let item = call_item(i, c, "completed", whole_args(c.2));
            ev.push(json!({"type": "response.output_item.done", "output_index": i, "item": item}));
            done.push(item);
        }
        ev.push(json!({"type": "response.completed",
            "response": response("completed", Value::Array(done), usage())}));
        stream(ev)
    }

    pub fn tools_in(body: &Value) -> Vec<(String, Value)> {
        arr(&body["tools"])
            .iter()
            .map(|t| {
                assert_eq!(t["type"], "function", "{t}");
                (str_of(&t["name"]), t["parameters"].clone())
            })
            .collect()
    }

    pub fn choice(c: &ToolChoice) -> Value {
        match c {
            ToolChoice::Tool(n) => json!({"type": "function", "name": n}),
            other => chat::choice(other),
        }
    }

    pub fn turns(body: &Value) -> Vec<Turn> {
        let mut out = Vec::new();
        if let Some(i) = body["instructions"].as_str() {
            out.push(Turn {
                role: "system".into(),
                text: i.into(),
                ..Default::default()
            });
        }
        for item in arr(&body["input"]) {
            let t = match item["type"].as_str() {
                Some("function_call") => Turn {
                    role: "assistant".into(),
                    calls: vec![(
                        str_of(&item["call_id"]),
                        str_of(&item["name"]),
                        args_value(item["arguments"].as_str().unwrap_or("")),
                    )],
                    ..Default::default()
                },
                Some("function_call_output") => Turn {
                    role: "tool".into(),
                    results: vec![SentResult {
                        refers: str_of(&item["call_id"]),
                        text: text_of(&item["output"]),
                        error: None,
                    }],
                    ..Default::default()
                },
                _ => {
                    // The API takes `output_text` in the model's turns, `input_text` elsewhere.
                    let role = str_of(&item["role"]);
                    let want = if role == "assistant" {
                        "output_text"
                    } else {
                        "input_text"
                    };
                    for part in arr(&item["content"]) {
                        assert_eq!(part["type"], want, "{role} content: {item}");
                    }
                    Turn {
                        text: text_of(&item["content"]),
                        role,
                        ..Default::default()
                    }
                }
            };
            out.push(t);
        }
        out
    }

    pub fn schema_in(body: &Value) -> Value {
        let f = &body["text"]["format"];
        if f["type"] == "json_schema" {
            f["schema"].clone()
        } else {
            Value::Null
        }
    }
}

pub fn openai_responses() -> Wire {
    Wire {
        name: "openai responses",
        model: "openai/gpt-4o-mini",
        client: |s| {
            keyed("openai", s)
                .api("openai", Api::OpenAiResponses)
                .build()
                .unwrap()
        },
        text: responses::text,
        text_stream: responses::text_stream,
        tool_calls: responses::tool_calls,
        tool_calls_stream: responses::tool_calls_stream,
        delta_args: true,
        sends_ids: true,
        results_by_id: true,
        tools_in: responses::tools_in,
        choice_in: |b| b["tool_choice"].clone(),
        choice: responses::choice,
        choice_warns: |_| false,
        turns: responses::turns,
        schema_in: responses::schema_in,
        tool_strategy: false,
        embed: Some(Embed {
            model: "openai/text-embedding-3-small",
            limit: 2048,
            inputs: chat::embed_inputs,
            answer: chat::embed_answer,
        }),
    }
}

// ---------------------------------------------------------------------------------------------
// Anthropic Messages

mod anthropic {
    use super::*;

    fn message(content: Vec<Value>, stop: &str) -> Reply {
        Reply::json(
            200,
            json!({"id": "msg_matrix", "type": "message", "role": "assistant", "model": "m",
                   "content": content, "stop_reason": stop, "stop_sequence": null,
                   "usage": {"input_tokens": USAGE_IN, "output_tokens": USAGE_OUT}})
            .to_string(),
        )
    }

    fn stream(blocks: Vec<(Value, Vec<Value>)>, stop: &str) -> Reply {
        let mut ev = vec![event(
            "message_start",
            &json!({"type": "message_start", "message": {
                "id": "msg_matrix", "type": "message", "role": "assistant", "model": "m",
                "content": [], "stop_reason": null, "stop_sequence": null,
                "usage": {"input_tokens": USAGE_IN, "output_tokens": 1}}}),
        )];
        for (i, (start, deltas)) in blocks.into_iter().enumerate() {
            ev.push(event(
                "content_block_start",
                &json!({"type": "content_block_start", "index": i, "content_block": start}),
            ));
            for d in deltas {
                ev.push(event(
                    "content_block_delta",
                    &json!({"type": "content_block_delta", "index": i, "delta": d}),
                ));
            }
            ev.push(event(
                "content_block_stop",
                &json!({"type": "content_block_stop", "index": i}),
            ));
        }
        ev.push(event(
            "message_delta",
            &json!({"type": "message_delta", "delta": {"stop_reason": stop, "stop_sequence": null},
                    "usage": {"output_tokens": USAGE_OUT}}),
        ));
        ev.push(event("message_stop", &json!({"type": "message_stop"})));
        sse(ev)
    }

    pub fn text(t: &str) -> Reply {
        message(vec![json!({"type": "text", "text": t})], "end_turn")
    }

    pub fn text_stream(deltas: &[&str]) -> Reply {
        let d = deltas
            .iter()
            .map(|t| json!({"type": "text_delta", "text": t}))
            .collect();
        stream(vec![(json!({"type": "text", "text": ""}), d)], "end_turn")
    }

    pub fn tool_calls(calls: &[Call]) -> Reply {
        message(
            calls
                .iter()
                .map(|(id, name, args)| {
                    json!({"type": "tool_use", "id": id, "name": name, "input": args_value(args)})
                })
                .collect(),
            "tool_use",
        )
    }

    pub fn tool_calls_stream(calls: &[Call]) -> Reply {
        let blocks = calls
            .iter()
            .map(|(id, name, args)| {
                // Anthropic opens every tool_use block with an empty `partial_json`.
                let mut d = vec![json!({"type": "input_json_delta", "partial_json": ""})];
                d.extend(
                    pieces(args, 3)
                        .into_iter()
                        .map(|p| json!({"type": "input_json_delta", "partial_json": p})),
                );
                (
                    json!({"type": "tool_use", "id": id, "name": name, "input": {}}),
                    d,
                )
            })
            .collect();
        stream(blocks, "tool_use")
    }

    pub fn tools_in(body: &Value) -> Vec<(String, Value)> {
        arr(&body["tools"])
            .iter()
            .map(|t| (str_of(&t["name"]), t["input_schema"].clone()))
            .collect()
    }

    pub fn choice(c: &ToolChoice) -> Value {
        match c {
            ToolChoice::Auto => json!({"type": "auto"}),
            ToolChoice::None => json!({"type": "none"}),
            ToolChoice::Required => json!({"type": "any"}),
            ToolChoice::Tool(n) => json!({"type": "tool", "name": n}),
            other => panic!("unexpected tool choice {other:?}"),
        }
    }

    pub fn turns(body: &Value) -> Vec<Turn> {
        let mut out = Vec::new();
        if !body["system"].is_null() {
            out.push(Turn {
                role: "system".into(),
                text: text_of(&body["system"]),
                ..Default::default()
            });
        }
        for m in arr(&body["messages"]) {
            let mut t = Turn {
                role: str_of(&m["role"]),
                ..Default::default()
            };
            match &m["content"] {
                Value::String(s) => t.text = s.clone(),
                c => {
                    for b in arr(c) {
                        match b["type"].as_str() {
                            Some("text") => t.text.push_str(b["text"].as_str().unwrap_or("")),
                            Some("tool_use") => t.calls.push((
                                str_of(&b["id"]),
                                str_of(&b["name"]),
                                b["input"].clone(),
                            )),
                            Some("tool_result") => t.results.push(SentResult {
                                refers: str_of(&b["tool_use_id"]),
                                text: text_of(&b["content"]),
                                error: Some(b["is_error"].as_bool().unwrap_or(false)),
                            }),
                            _ => {}
                        }
                    }
                }
            }
            out.push(t);
        }
        out
    }
}

pub fn anthropic() -> Wire {
    Wire {
        name: "anthropic",
        model: "anthropic/claude-sonnet-4-5",
        client: |s| keyed("anthropic", s).build().unwrap(),
        text: anthropic::text,
        text_stream: anthropic::text_stream,
        tool_calls: anthropic::tool_calls,
        tool_calls_stream: anthropic::tool_calls_stream,
        delta_args: true,
        sends_ids: true,
        results_by_id: true,
        tools_in: anthropic::tools_in,
        choice_in: |b| b["tool_choice"].clone(),
        choice: anthropic::choice,
        choice_warns: |_| false,
        turns: anthropic::turns,
        schema_in: |_| Value::Null,
        tool_strategy: true,
        embed: None,
    }
}

// ---------------------------------------------------------------------------------------------
// Gemini

mod gemini {
    use super::*;

    fn usage() -> Value {
        json!({"promptTokenCount": USAGE_IN, "candidatesTokenCount": USAGE_OUT,
               "totalTokenCount": USAGE_IN + USAGE_OUT})
    }

    fn chunk(parts: Vec<Value>, finish: Option<&str>) -> Value {
        let mut cand = json!({"content": {"parts": parts, "role": "model"}, "index": 0});
        let mut v = json!({"candidates": [cand.clone()], "modelVersion": "gemini-2.5-flash",
                           "responseId": "matrix"});
        if let Some(f) = finish {
            cand["finishReason"] = f.into();
            v["candidates"] = json!([cand]);
            v["usageMetadata"] = usage();
        } else {
            v["usageMetadata"] = json!({"promptTokenCount": USAGE_IN, "totalTokenCount": USAGE_IN});
        }
        v
    }

    /// Chunks as SSE (CRLF event ends, as Gemini sends them), cut into 7-byte pieces.
    fn stream(chunks: Vec<Value>) -> Reply {
        let body: String = chunks
            .iter()
            .map(|c| format!("data: {c}\r\n\r\n"))
            .collect();
        Reply::sse(split_every(body.as_bytes(), 7))
    }

    fn call_part((_, name, args): &Call) -> Value {
        if args.is_empty() {
            json!({"functionCall": {"name": name}})
        } else {
            json!({"functionCall": {"name": name, "args": args_value(args)}})
        }
    }

    pub fn text(t: &str) -> Reply {
        Reply::json(
            200,
            chunk(vec![json!({ "text": t })], Some("STOP")).to_string(),
        )
    }

    pub fn text_stream(deltas: &[&str]) -> Reply {
        let n = deltas.len();
        stream(
            deltas
                .iter()
                .enumerate()
                .map(|(i, d)| chunk(vec![json!({ "text": d })], (i + 1 == n).then_some("STOP")))
                .collect(),
        )
    }

    pub fn tool_calls(calls: &[Call]) -> Reply {
        Reply::json(
            200,
            chunk(calls.iter().map(call_part).collect(), Some("STOP")).to_string(),
        )
    }

    /// Gemini sends each call whole: the first in a chunk of its own, the others together
    /// in the last chunk (with the finish reason), so the made-up ids must count across
    /// chunks and within one.
    pub fn tool_calls_stream(calls: &[Call]) -> Reply {
        let Some((first, rest)) = calls.split_first() else {
            return stream(vec![chunk(Vec::new(), Some("STOP"))]);
        };
        if rest.is_empty() {
            return stream(vec![chunk(vec![call_part(first)], Some("STOP"))]);
        }
        stream(vec![
            chunk(vec![call_part(first)], None),
            chunk(rest.iter().map(call_part).collect(), Some("STOP")),
        ])
    }

    pub fn tools_in(body: &Value) -> Vec<(String, Value)> {
        arr(&body["tools"])
            .iter()
            .flat_map(|t| arr(&t["functionDeclarations"]))
            .map(|d| (str_of(&d["name"]), d["parameters"].clone()))
            .collect()
    }

    pub fn choice(c: &ToolChoice) -> Value {
        let cfg = match c {
            ToolChoice::Auto => json!({"mode": "AUTO"}),
            ToolChoice::None => json!({"mode": "NONE"}),
            ToolChoice::Required => json!({"mode": "ANY"}),
            ToolChoice::Tool(n) => json!({"mode": "ANY", "allowedFunctionNames": [n]}),
            other => panic!("unexpected tool choice {other:?}"),
        };
        json!({ "functionCallingConfig": cfg })
    }

    pub fn turns(body: &Value) -> Vec<Turn> {
        let mut out = Vec::new();
        if !body["systemInstruction"].is_null() {
            out.push(Turn {
                role: "system".into(),
                text: text_of(&body["systemInstruction"]["parts"]),
                ..Default::default()
            });
        }
        for c in arr(&body["contents"]) {
            let role = match c["role"].as_str() {
                Some("model") => "assistant",
                _ => "user",
            };
            let mut t = Turn {
                role: role.into(),
                ..Default::default()
            };
            for p in arr(&c["parts"]) {
                if let Some(s) = p["text"].as_str() {
                    t.text.push_str(s);
                }
                if let Some(f) = p.get("functionCall") {
                    let id = f["id"].as_str().unwrap_or_default().to_owned();
                    t.calls.push((id, str_of(&f["name"]), f["args"].clone()));
                }
                if let Some(f) = p.get("functionResponse") {
                    let r = &f["response"];
                    let (text, error) = match (&r["error"], &r["content"]) {
                        (Value::String(e), _) => (e.clone(), true),
                        (_, Value::String(c)) => (c.clone(), false),
                        _ => (r.to_string(), false),
                    };
                    t.results.push(SentResult {
                        refers: str_of(&f["name"]),
                        text,
                        error: Some(error),
                    });
                }
            }
            out.push(t);
        }
        out
    }

    pub fn schema_in(body: &Value) -> Value {
        let g = &body["generationConfig"];
        if g["responseMimeType"] == "application/json" {
            g["responseJsonSchema"].clone()
        } else {
            Value::Null
        }
    }

    pub fn embed_inputs(body: &Value) -> Vec<String> {
        arr(&body["requests"])
            .iter()
            .map(|r| {
                assert_eq!(r["model"], "models/gemini-embedding-001", "{r}");
                str_of(&r["content"]["parts"][0]["text"])
            })
            .collect()
    }

    pub fn embed_answer(vectors: &[Vec<f32>]) -> String {
        let e: Vec<Value> = vectors.iter().map(|v| json!({ "values": v })).collect();
        json!({ "embeddings": e }).to_string()
    }
}

pub fn gemini() -> Wire {
    Wire {
        name: "gemini",
        model: "gemini/gemini-2.5-flash",
        client: |s| keyed("gemini", s).build().unwrap(),
        text: gemini::text,
        text_stream: gemini::text_stream,
        tool_calls: gemini::tool_calls,
        tool_calls_stream: gemini::tool_calls_stream,
        delta_args: false,
        sends_ids: false,
        results_by_id: false,
        tools_in: gemini::tools_in,
        choice_in: |b| b["toolConfig"].clone(),
        choice: gemini::choice,
        choice_warns: |_| false,
        turns: gemini::turns,
        schema_in: gemini::schema_in,
        tool_strategy: false,
        embed: Some(Embed {
            model: "gemini/gemini-embedding-001",
            limit: 100,
            inputs: gemini::embed_inputs,
            answer: gemini::embed_answer,
        }),
    }
}

// ---------------------------------------------------------------------------------------------
// Cohere v2

mod cohere {
    use super::*;

    fn usage() -> Value {
        json!({"billed_units": {"input_tokens": USAGE_IN, "output_tokens": USAGE_OUT},
               "tokens": {"input_tokens": USAGE_IN, "output_tokens": USAGE_OUT}})
    }

    fn whole(message: Value, finish: &str) -> Reply {
        Reply::json(
            200,
            json!({"id": "matrix", "finish_reason": finish, "message": message, "usage": usage()})
                .to_string(),
        )
    }

    fn ev(v: Value) -> String {
        event(v["type"].as_str().unwrap(), &v)
    }

    fn start() -> String {
        ev(
            json!({"id": "matrix", "type": "message-start", "delta": {"message": {
            "role": "assistant", "content": [], "tool_plan": "", "tool_calls": [], "citations": []}}}),
        )
    }

    fn end(finish: &str) -> String {
        ev(json!({"type": "message-end", "delta": {"finish_reason": finish, "usage": usage()}}))
    }

    pub fn text(t: &str) -> Reply {
        whole(
            json!({"role": "assistant", "content": [{"type": "text", "text": t}]}),
            "COMPLETE",
        )
    }

    pub fn text_stream(deltas: &[&str]) -> Reply {
        let mut out = vec![
            start(),
            ev(json!({"type": "content-start", "index": 0,
            "delta": {"message": {"content": {"type": "text", "text": ""}}}})),
        ];
        for d in deltas {
            out.push(ev(json!({"type": "content-delta", "index": 0,
                "delta": {"message": {"content": {"text": d}}}})));
        }
        out.push(ev(json!({"type": "content-end", "index": 0})));
        out.push(end("COMPLETE"));
        sse(out)
    }

    pub fn tool_calls(calls: &[Call]) -> Reply {
        let calls: Vec<Value> = calls
            .iter()
            .map(|(id, name, args)| {
                json!({"id": id, "type": "function",
                       "function": {"name": name, "arguments": whole_args(args)}})
            })
            .collect();
        whole(
            json!({"role": "assistant", "tool_plan": "I will call the tools.", "tool_calls": calls}),
            "TOOL_CALL",
        )
    }

    pub fn tool_calls_stream(calls: &[Call]) -> Reply {
        let mut out = vec![start()];
        for (i, (id, name, args)) in calls.iter().enumerate() {
            out.push(ev(
                json!({"type": "tool-call-start", "index": i, "delta": {"message": {
                "tool_calls": {"id": id, "type": "function",
                               "function": {"name": name, "arguments": ""}}}}}),
            ));
            for p in pieces(args, 3) {
                out.push(ev(json!({"type": "tool-call-delta", "index": i,
                    "delta": {"message": {"tool_calls": {"function": {"arguments": p}}}}})));
            }
            out.push(ev(json!({"type": "tool-call-end", "index": i})));
        }
        out.push(end("TOOL_CALL"));
        sse(out)
    }

    pub fn choice(c: &ToolChoice) -> Value {
        match c {
            ToolChoice::Auto => Value::Null,
            ToolChoice::None => json!("NONE"),
            // Cohere cannot name one tool: exllm sends REQUIRED and warns.
            ToolChoice::Required | ToolChoice::Tool(_) => json!("REQUIRED"),
            other => panic!("unexpected tool choice {other:?}"),
        }
    }

    pub fn schema_in(body: &Value) -> Value {
        let f = &body["response_format"];
        if f["type"] == "json_object" {
            f["json_schema"].clone()
        } else {
            Value::Null
        }
    }

    pub fn embed_inputs(body: &Value) -> Vec<String> {
        arr(&body["texts"]).iter().map(str_of).collect()
    }

    pub fn embed_answer(vectors: &[Vec<f32>]) -> String {
        json!({"id": "matrix", "embeddings": {"float": vectors},
               "meta": {"api_version": {"version": "2"}, "billed_units": {"input_tokens": vectors.len()}},
               "response_type": "embeddings_by_type"})
        .to_string()
    }
}

pub fn cohere() -> Wire {
    Wire {
        name: "cohere",
        model: "cohere/command-a-03-2025",
        client: |s| {
            Client::builder()
                .env_lookup(|_| None)
                .base_url("cohere", format!("{}/v2", s.root()))
                .api_key("cohere", KEY)
                .retry(fast_retry(0))
                .build()
                .unwrap()
        },
        text: cohere::text,
        text_stream: cohere::text_stream,
        tool_calls: cohere::tool_calls,
        tool_calls_stream: cohere::tool_calls_stream,
        delta_args: true,
        sends_ids: true,
        results_by_id: true,
        // Cohere's tools have the OpenAI shape.
        tools_in: chat::tools_in,
        choice_in: |b| b["tool_choice"].clone(),
        choice: cohere::choice,
        choice_warns: |c| matches!(c, ToolChoice::Tool(_)),
        // ... and so do its messages (tool results are `document`s).
        turns: chat::turns,
        schema_in: cohere::schema_in,
        tool_strategy: false,
        embed: Some(Embed {
            model: "cohere/embed-v4.0",
            limit: 96,
            inputs: cohere::embed_inputs,
            answer: cohere::embed_answer,
        }),
    }
}

// ---------------------------------------------------------------------------------------------
// Ollama

mod ollama {
    use super::*;

    const MODEL: &str = "qwen3:8b";
    const CREATED: &str = "2025-10-17T09:12:43.416799Z";

    fn done(reason: &str) -> Value {
        json!({"model": MODEL, "created_at": CREATED,
               "message": {"role": "assistant", "content": ""},
               "done": true, "done_reason": reason, "total_duration": 5_191_566_416u64,
               "prompt_eval_count": USAGE_IN, "eval_count": USAGE_OUT})
    }

    fn line(message: Value) -> Value {
        json!({"model": MODEL, "created_at": CREATED, "message": message, "done": false})
    }

    fn calls_json(calls: &[Call]) -> Value {
        calls
            .iter()
            .map(|(_, name, args)| json!({"function": {"name": name, "arguments": args_value(args)}}))
            .collect()
    }

    /// NDJSON lines, cut into 9-byte pieces.
    fn stream(lines: Vec<Value>) -> Reply {
        let body: String = lines.iter().map(|l| format!("{l}\n")).collect();
        Reply::stream("application/x-ndjson", split_every(body.as_bytes(), 9))
    }

    fn whole(message: Value) -> Reply {
        let mut v = done("stop");
        v["message"] = message;
        Reply::json(200, v.to_string())
    }

    pub fn text(t: &str) -> Reply {
        whole(json!({"role": "assistant", "content": t}))
    }

    pub fn text_stream(deltas: &[&str]) -> Reply {
        let mut lines: Vec<Value> = deltas
            .iter()
            .map(|d| line(json!({"role": "assistant", "content": d})))
            .collect();
        lines.push(done("stop"));
        stream(lines)
    }

    pub fn tool_calls(calls: &[Call]) -> Reply {
        whole(json!({"role": "assistant", "content": "", "tool_calls": calls_json(calls)}))
    }

    /// Ollama sends each call whole, one line per call, then the `done` line.
    pub fn tool_calls_stream(calls: &[Call]) -> Reply {
        let mut lines: Vec<Value> = calls
            .iter()
            .map(|c| {
                line(json!({"role": "assistant", "content": "", "tool_calls": calls_json(&[*c])}))
            })
            .collect();
        lines.push(done("stop"));
        stream(lines)
    }

    pub fn turns(body: &Value) -> Vec<Turn> {
        arr(&body["messages"])
            .iter()
            .map(|m| {
                let role = str_of(&m["role"]);
                let mut t = Turn {
                    text: text_of(&m["content"]),
                    role: role.clone(),
                    ..Default::default()
                };
                for c in arr(&m["tool_calls"]) {
                    t.calls.push((
                        String::new(),
                        str_of(&c["function"]["name"]),
                        c["function"]["arguments"].clone(),
                    ));
                }
                if role == "tool" {
                    t.results.push(SentResult {
                        refers: str_of(&m["tool_name"]),
                        text: t.text.clone(),
                        error: None,
                    });
                }
                t
            })
            .collect()
    }

    pub fn embed_answer(vectors: &[Vec<f32>]) -> String {
        json!({"model": "nomic-embed-text", "embeddings": vectors, "prompt_eval_count": vectors.len()})
            .to_string()
    }
}

pub fn ollama() -> Wire {
    Wire {
        name: "ollama",
        model: "ollama/qwen3:8b",
        client: |s| {
            Client::builder()
                .env_lookup(|_| None)
                .base_url("ollama", s.root())
                .retry(fast_retry(0))
                .build()
                .unwrap()
        },
        text: ollama::text,
        text_stream: ollama::text_stream,
        tool_calls: ollama::tool_calls,
        tool_calls_stream: ollama::tool_calls_stream,
        delta_args: false,
        sends_ids: false,
        results_by_id: false,
        tools_in: chat::tools_in,
        choice_in: |b| b["tool_choice"].clone(),
        // Ollama has no tool choice: nothing is sent (and exllm warns).
        choice: |_| Value::Null,
        choice_warns: |_| true,
        turns: ollama::turns,
        schema_in: |b| {
            if b["format"].is_object() {
                b["format"].clone()
            } else {
                Value::Null
            }
        },
        tool_strategy: false,
        embed: Some(Embed {
            model: "ollama/nomic-embed-text",
            limit: 2048,
            inputs: chat::embed_inputs,
            answer: ollama::embed_answer,
        }),
    }
}

// ---------------------------------------------------------------------------------------------
// Bedrock Converse

#[cfg(feature = "bedrock")]
mod bedrock {
    use super::*;
    use crate::bedrock_wire::{event as aws_event, stream_reply};

    fn usage() -> Value {
        json!({"inputTokens": USAGE_IN, "outputTokens": USAGE_OUT,
               "totalTokens": USAGE_IN + USAGE_OUT})
    }

    fn whole(content: Vec<Value>, stop: &str) -> Reply {
        Reply::json(
            200,
            json!({"output": {"message": {"role": "assistant", "content": content}},
                   "stopReason": stop, "usage": usage(), "metrics": {"latencyMs": 412}})
            .to_string(),
        )
    }

    fn tail(stop: &str) -> Vec<Vec<u8>> {
        vec![
            aws_event("messageStop", json!({ "stopReason": stop })),
            aws_event(
                "metadata",
                json!({"usage": usage(), "metrics": {"latencyMs": 412}}),
            ),
        ]
    }

    pub fn text(t: &str) -> Reply {
        whole(vec![json!({ "text": t })], "end_turn")
    }

    pub fn text_stream(deltas: &[&str]) -> Reply {
        let mut out = vec![aws_event("messageStart", json!({"role": "assistant"}))];
        for d in deltas {
            out.push(aws_event(
                "contentBlockDelta",
                json!({"contentBlockIndex": 0, "delta": {"text": d}}),
            ));
        }
        out.push(aws_event(
            "contentBlockStop",
            json!({"contentBlockIndex": 0}),
        ));
        out.extend(tail("end_turn"));
        stream_reply(&out, 11)
    }

    pub fn tool_calls(calls: &[Call]) -> Reply {
        whole(
            calls
                .iter()
                .map(|(id, name, args)| {
                    json!({"toolUse": {"toolUseId": id, "name": name, "input": args_value(args)}})
                })
                .collect(),
            "tool_use",
        )
    }

    pub fn tool_calls_stream(calls: &[Call]) -> Reply {
        let mut out = vec![aws_event("messageStart", json!({"role": "assistant"}))];
        for (i, (id, name, args)) in calls.iter().enumerate() {
            out.push(aws_event(
                "contentBlockStart",
                json!({"contentBlockIndex": i,
                       "start": {"toolUse": {"toolUseId": id, "name": name}}}),
            ));
            for p in pieces(args, 3) {
                out.push(aws_event(
                    "contentBlockDelta",
                    json!({"contentBlockIndex": i, "delta": {"toolUse": {"input": p}}}),
                ));
            }
            out.push(aws_event(
                "contentBlockStop",
                json!({ "contentBlockIndex": i }),
            ));
        }
        out.extend(tail("tool_use"));
        stream_reply(&out, 11)
    }

    pub fn tools_in(body: &Value) -> Vec<(String, Value)> {
        arr(&body["toolConfig"]["tools"])
            .iter()
            .map(|t| {
                (
                    str_of(&t["toolSpec"]["name"]),
                    t["toolSpec"]["inputSchema"]["json"].clone(),
                )
            })
            .collect()
    }

    pub fn choice(c: &ToolChoice) -> Value {
        match c {
            ToolChoice::Auto => json!({"auto": {}}),
            // Converse has no "none": nothing is sent (and exllm warns).
            ToolChoice::None => Value::Null,
            ToolChoice::Required => json!({"any": {}}),
            ToolChoice::Tool(n) => json!({"tool": {"name": n}}),
            other => panic!("unexpected tool choice {other:?}"),
        }
    }

    pub fn turns(body: &Value) -> Vec<Turn> {
        let mut out = Vec::new();
        if !body["system"].is_null() {
            out.push(Turn {
                role: "system".into(),
                text: text_of(&body["system"]),
                ..Default::default()
            });
        }
        for m in arr(&body["messages"]) {
            let mut t = Turn {
                role: str_of(&m["role"]),
                ..Default::default()
            };
            for b in arr(&m["content"]) {
                if let Some(s) = b["text"].as_str() {
                    t.text.push_str(s);
                }
                if let Some(u) = b.get("toolUse") {
                    t.calls.push((
                        str_of(&u["toolUseId"]),
                        str_of(&u["name"]),
                        u["input"].clone(),
                    ));
                }
                if let Some(r) = b.get("toolResult") {
                    let text = arr(&r["content"])
                        .iter()
                        .map(|c| match c["text"].as_str() {
                            Some(s) => s.to_owned(),
                            None => c["json"].to_string(),
                        })
                        .collect();
                    t.results.push(SentResult {
                        refers: str_of(&r["toolUseId"]),
                        text,
                        error: Some(r["status"] == "error"),
                    });
                }
            }
            out.push(t);
        }
        out
    }

    pub fn embed_inputs(body: &Value) -> Vec<String> {
        vec![str_of(&body["inputText"])]
    }

    pub fn embed_answer(vectors: &[Vec<f32>]) -> String {
        let [v] = vectors else {
            panic!("Titan embeds one text per request")
        };
        json!({"embedding": v, "inputTextTokenCount": 2}).to_string()
    }
}

#[cfg(feature = "bedrock")]
pub fn bedrock() -> Wire {
    Wire {
        name: "bedrock",
        model: "bedrock/anthropic.claude-3-5-haiku-20241022-v1:0",
        client: |s| {
            Client::builder()
                .env_lookup(|_| None)
                .base_url("bedrock", s.root())
                .retry(fast_retry(0))
                .aws_credentials(
                    "bedrock",
                    "AKIDEXAMPLE",
                    "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                    None,
                )
                .region("bedrock", "us-east-1")
                .build()
                .unwrap()
        },
        text: bedrock::text,
        text_stream: bedrock::text_stream,
        tool_calls: bedrock::tool_calls,
        tool_calls_stream: bedrock::tool_calls_stream,
        delta_args: true,
        sends_ids: true,
        results_by_id: true,
        tools_in: bedrock::tools_in,
        choice_in: |b| b["toolConfig"]["toolChoice"].clone(),
        choice: bedrock::choice,
        choice_warns: |c| matches!(c, ToolChoice::None),
        turns: bedrock::turns,
        schema_in: |_| Value::Null,
        tool_strategy: true,
        embed: Some(Embed {
            model: "bedrock/amazon.titan-embed-text-v2:0",
            limit: 1,
            inputs: bedrock::embed_inputs,
            answer: bedrock::embed_answer,
        }),
    }
}

/// A server answering embeddings requests for `row` with vectors derived from each input
/// (`t<i>` becomes `[i, 0.5]`), so their order can be checked.
pub fn embed_reply(embed: &Embed) -> Reply {
    let (inputs, answer) = (embed.inputs, embed.answer);
    Reply::from_fn(move |r: &Recorded| {
        let vectors: Vec<Vec<f32>> = inputs(&r.json()).iter().map(|t| vector_of(t)).collect();
        Reply::json(200, answer(&vectors))
    })
}

/// The vector the embeddings server gives input `t<i>`.
pub fn vector_of(input: &str) -> Vec<f32> {
    let i: f32 = input
        .strip_prefix('t')
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("unexpected embeddings input {input:?}"));
    vec![i, 0.5]
}
