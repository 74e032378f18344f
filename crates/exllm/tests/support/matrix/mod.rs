//! One table of providers for the cross-provider matrix tests (`tools_matrix.rs`,
//! `structured_matrix.rs`). Each row knows how to build a client against the test server, how
//! its API writes answers (whole and streamed: text, and tool calls with given ids, names and
//! argument text), how its requests carry tools, the tool choice, tool results and the
//! structured-output schema, and how its embeddings endpoint answers. Every answer reports the
//! same usage ([`USAGE_IN`] input and [`USAGE_OUT`] output tokens), so sums are easy to check.
//!
//! Each API's answers and request readers live in a file of their own beside this one; the
//! rows that tie them together are here. The matrix is `crate::matrix` (declared in
//! `tests/main.rs`); with the `bedrock` feature, `crate::bedrock_wire` is the AWS event-stream
//! encoder.

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

mod chat;

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
mod mistral;

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

mod responses;

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

mod anthropic;

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

mod gemini;

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

mod cohere;

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

mod ollama;

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
mod bedrock;

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
