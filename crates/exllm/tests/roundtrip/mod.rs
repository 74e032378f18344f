//! Property tests: encode → decode round trips of the canonical types where the wire format
//! allows them, and framers that give the same frames wherever a body is cut.
//!
//! - a `ChatResponse` replayed as stream events (`response_to_events`) collects back to itself;
//! - `ChatRequest` and `ChatResponse` survive a serde JSON round trip;
//! - a canonical assistant answer (text, tool calls, usage, finish), written as each API's
//!   response JSON, decodes to the same answer;
//! - SSE and NDJSON bodies built from known frames give those frames back whatever the chunk
//!   boundaries; any bytes give the same frames and outcome cut anywhere (AWS event stream
//!   too), without panicking.
//!
//! The strategies that make the values are here; each family of properties is a file beside
//! this one (`types`, `wire`, `framing`).

use crate::dispatch;

use exllm::wire::Framing;
use exllm::{
    response_to_events, Api, ChatRequest, ChatResponse, Collector, FinishKind, FinishReason,
    Message, Part, ProviderItem, Reasoning, ReasoningConfig, ReasoningEffort, ResponseError,
    ResponseFormat, Role, Tool, ToolCall, ToolChoice, ToolResult, Usage, Warning,
};
use proptest::collection::{btree_map, vec};
use proptest::option;
use proptest::prelude::*;
use serde_json::{json, Map, Value};

mod framing;
mod types;
mod wire;

// ---------------------------------------------------------------------------------------------
// Strategies
// ---------------------------------------------------------------------------------------------

/// Short text, any Unicode but control characters, spaces included.
fn text() -> impl Strategy<Value = String> {
    "[^\\p{Cc}]{0,24}"
}

fn nonempty_text() -> impl Strategy<Value = String> {
    "[^\\p{Cc}]{1,24}"
}

fn ident() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9_]{0,11}"
}

/// JSON without floats (serde_json's default float parsing need not round-trip every `f64`).
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        text().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..4).prop_map(Value::Array),
            btree_map(ident(), inner, 0..4).prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A JSON object (tool arguments, metadata maps).
fn json_object() -> impl Strategy<Value = Map<String, Value>> {
    btree_map(ident(), json_value(), 0..4).prop_map(|m| m.into_iter().collect())
}

/// JSON that is not `null` (an `Option<Value>` field reads `null` back as `None`).
fn some_json() -> impl Strategy<Value = Value> {
    json_value().prop_filter("not null", |v| !v.is_null())
}

fn tool_call() -> impl Strategy<Value = ToolCall> {
    (
        "[a-zA-Z0-9_]{1,12}",
        ident(),
        json_object(),
        option::of(some_json()),
    )
        .prop_map(|(id, name, args, provider_meta)| ToolCall {
            id,
            name,
            arguments: Value::Object(args),
            provider_meta,
        })
}

fn reasoning() -> impl Strategy<Value = Reasoning> {
    (
        text(),
        option::of(text()),
        option::of(text()),
        option::of(ident()),
    )
        .prop_map(|(text, signature, encrypted, id)| Reasoning {
            text,
            signature,
            encrypted,
            id,
        })
}

fn provider_item() -> impl Strategy<Value = ProviderItem> {
    (ident(), ident(), json_value()).prop_map(|(api, item_type, raw)| ProviderItem {
        api,
        item_type,
        raw,
    })
}

/// Parts an answer can hold (request-only parts are not part of a response).
fn answer_part() -> impl Strategy<Value = Part> {
    prop_oneof![
        nonempty_text().prop_map(Part::text),
        reasoning().prop_map(Part::Reasoning),
        text().prop_map(|text| Part::Refusal { text }),
        tool_call().prop_map(Part::ToolCall),
        provider_item().prop_map(Part::ProviderItem),
    ]
}

fn finish_kind() -> impl Strategy<Value = FinishKind> {
    prop_oneof![
        Just(FinishKind::Stop),
        Just(FinishKind::Length),
        Just(FinishKind::ToolCalls),
        Just(FinishKind::ContentFilter),
        Just(FinishKind::Error),
        Just(FinishKind::Other),
    ]
}

fn finish() -> impl Strategy<Value = FinishReason> {
    (finish_kind(), option::of(ident())).prop_map(|(kind, raw)| FinishReason { kind, raw })
}

fn usage() -> impl Strategy<Value = Usage> {
    let n = || option::of(0u64..1_000_000);
    let details = (n(), n(), n(), n()).prop_map(|(ai, ao, acc, rej)| exllm::UsageDetails {
        audio_input_tokens: ai,
        audio_output_tokens: ao,
        accepted_prediction_tokens: acc,
        rejected_prediction_tokens: rej,
        image_output_tokens: None,
    });
    (n(), n(), n(), n(), n(), details, option::of(some_json())).prop_map(
        |(input, output, read, write, reasoning, details, raw)| Usage {
            input_tokens: input,
            output_tokens: output,
            cache_read_tokens: read,
            cache_write_tokens: write,
            reasoning_tokens: reasoning,
            details,
            raw: raw.map(Into::into),
        },
    )
}

/// Cited sources as the collector keeps them: one per url.
fn citations() -> impl Strategy<Value = Vec<exllm::Citation>> {
    vec(("[a-c]{1,2}", option::of(text())), 0..5).prop_map(|cites| {
        let mut out = Vec::new();
        for (host, title) in cites {
            let url = format!("https://{host}.invalid/");
            exllm::Citation::add_to(&mut out, exllm::Citation::new(url, title));
        }
        out
    })
}

fn alternatives() -> impl Strategy<Value = Vec<exllm::Alternative>> {
    vec((vec(answer_part(), 0..3), option::of(finish())), 0..3).prop_map(|alts| {
        (1u32..)
            .zip(alts)
            .map(|(index, (content, finish))| exllm::Alternative {
                index,
                content,
                finish,
            })
            .collect()
    })
}

fn warning() -> impl Strategy<Value = Warning> {
    (option::of(ident()), text()).prop_map(|(setting, message)| Warning { setting, message })
}

fn response_error() -> impl Strategy<Value = ResponseError> {
    (option::of(ident()), text()).prop_map(|(code, message)| ResponseError { code, message })
}

/// A response as a decoder could produce it: what the collector normalises is normalised
/// already (adjacent text merged, `stop` with tool calls reads `tool_calls`, an in-stream
/// error sets the finish).
fn response() -> impl Strategy<Value = ChatResponse> {
    (
        option::of(ident()),
        option::of(text()),
        vec(answer_part(), 0..6),
        option::of(finish()),
        option::of(usage()),
        json_object(),
        vec(warning(), 0..2),
        option::of(response_error()),
        (citations(), alternatives(), option::of(ident())),
    )
        .prop_map(
            |(
                id,
                model,
                parts,
                finish,
                usage,
                provider_meta,
                warnings,
                error,
                (citations, alternatives, service_tier),
            )| {
                let mut content: Vec<Part> = Vec::new();
                for part in parts {
                    let merges = matches!(
                        (content.last(), &part),
                        (Some(Part::Text { .. }), Part::Text { .. })
                            | (Some(Part::Refusal { .. }), Part::Refusal { .. })
                    );
                    if !merges {
                        content.push(part);
                    }
                }
                let has_calls = content.iter().any(|p| matches!(p, Part::ToolCall(_)));
                let mut finish = finish.or_else(|| {
                    error.as_ref().map(|e| FinishReason {
                        kind: FinishKind::Error,
                        raw: e.code.clone(),
                    })
                });
                if let Some(f) = &mut finish {
                    if has_calls && f.kind == FinishKind::Stop {
                        f.kind = FinishKind::ToolCalls;
                    }
                }
                ChatResponse {
                    id,
                    model,
                    content,
                    finish,
                    usage,
                    provider_meta,
                    warnings,
                    error,
                    citations,
                    alternatives,
                    service_tier,
                    ..Default::default()
                }
            },
        )
}

/// Any part, request-only ones included.
fn request_part() -> impl Strategy<Value = Part> {
    prop_oneof![
        answer_part(),
        "https://[a-z]{1,8}\\.invalid/[a-z]{0,8}".prop_map(Part::image_url),
        ("image/(png|jpeg)", "[A-Za-z0-9+/]{0,16}")
            .prop_map(|(mt, data)| Part::image_base64(mt, data)),
        (ident(), text(), any::<bool>()).prop_map(|(id, t, is_error)| {
            Part::ToolResult(ToolResult {
                is_error,
                ..ToolResult::text(id, t)
            })
        }),
        option::of("(5m|1h)")
            .prop_map(|ttl| { Part::CacheBreakpoint(exllm::CacheBreakpoint { ttl }) }),
    ]
}

fn role() -> impl Strategy<Value = Role> {
    prop_oneof![
        Just(Role::System),
        Just(Role::Developer),
        Just(Role::User),
        Just(Role::Assistant),
        Just(Role::Tool),
    ]
}

fn message() -> impl Strategy<Value = Message> {
    (role(), vec(request_part(), 0..4), option::of(ident())).prop_map(|(role, content, name)| {
        Message {
            name,
            ..Message::new(role, content)
        }
    })
}

fn tool() -> impl Strategy<Value = Tool> {
    (
        ident(),
        option::of(text()),
        json_object(),
        option::of(any::<bool>()),
    )
        .prop_map(|(name, description, params, strict)| Tool {
            name,
            description,
            parameters: Value::Object(params),
            strict,
        })
}

fn tool_choice() -> impl Strategy<Value = ToolChoice> {
    prop_oneof![
        Just(ToolChoice::Auto),
        Just(ToolChoice::None),
        Just(ToolChoice::Required),
        ident().prop_map(ToolChoice::Tool),
    ]
}

fn response_format() -> impl Strategy<Value = ResponseFormat> {
    prop_oneof![
        Just(ResponseFormat::Text),
        Just(ResponseFormat::JsonObject),
        (
            ident(),
            json_object(),
            option::of(text()),
            option::of(any::<bool>())
        )
            .prop_map(|(name, schema, description, strict)| {
                ResponseFormat::JsonSchema {
                    name,
                    schema: Value::Object(schema),
                    description,
                    strict,
                }
            }),
    ]
}

fn reasoning_config() -> impl Strategy<Value = ReasoningConfig> {
    let effort = prop_oneof![
        Just(ReasoningEffort::None),
        Just(ReasoningEffort::Minimal),
        Just(ReasoningEffort::Low),
        Just(ReasoningEffort::Medium),
        Just(ReasoningEffort::High),
    ];
    (
        option::of(effort),
        option::of(any::<u32>()),
        option::of(ident()),
    )
        .prop_map(|(effort, budget_tokens, summary)| ReasoningConfig {
            effort,
            budget_tokens,
            summary,
        })
}

/// A decimal with two places: prints and parses back exactly.
fn decimal() -> impl Strategy<Value = f64> {
    (0u32..=200).prop_map(|x| f64::from(x) / 100.0)
}

fn request() -> impl Strategy<Value = ChatRequest> {
    let head = (
        "[a-z]{1,8}/[a-z0-9.-]{1,12}",
        vec(message(), 0..4),
        vec(tool(), 0..3),
        option::of(tool_choice()),
        option::of(any::<bool>()),
        option::of(decimal()),
        option::of(decimal()),
        option::of(any::<u32>()),
    );
    let tail = (
        option::of(any::<u32>()),
        vec(text(), 0..3),
        option::of(any::<u64>()),
        option::of(response_format()),
        option::of(reasoning_config()),
        option::of(ident()),
        option::of(any::<u8>()),
        json_object(),
        (option::of(text()), option::of(1u32..4), option::of(ident())),
    );
    (head, tail).prop_map(
        |(
            (model, messages, tools, tool_choice, parallel, temperature, top_p, top_k),
            (
                max_tokens,
                stop,
                seed,
                response_format,
                reasoning,
                user,
                top_logprobs,
                options,
                (prediction, n, service_tier),
            ),
        )| ChatRequest {
            tools,
            tool_choice,
            parallel_tool_calls: parallel,
            temperature,
            top_p,
            top_k,
            max_tokens,
            stop,
            seed,
            response_format,
            reasoning,
            user,
            top_logprobs,
            prediction,
            n,
            service_tier,
            provider_options: options,
            ..ChatRequest::new(model, messages)
        },
    )
}
