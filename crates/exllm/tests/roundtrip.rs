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

use crate::dispatch;

use exllm::transport::Framing;
use exllm::{
    response_to_events, Api, ChatRequest, ChatResponse, Collector, FinishKind, FinishReason,
    Message, Part, ProviderItem, Reasoning, ReasoningConfig, ReasoningEffort, ResponseError,
    ResponseFormat, Role, Tool, ToolCall, ToolChoice, ToolResult, Usage, Warning,
};
use proptest::collection::{btree_map, vec};
use proptest::option;
use proptest::prelude::*;
use serde_json::{json, Map, Value};

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

// ---------------------------------------------------------------------------------------------
// Canonical answers as each API's response JSON
// ---------------------------------------------------------------------------------------------

/// What every wire format can carry: visible text, the caller's tool calls, token counts.
#[derive(Debug, Clone)]
struct Answer {
    text: String,
    calls: Vec<(String, String, Map<String, Value>)>,
    input: u64,
    output: u64,
}

fn answer() -> impl Strategy<Value = Answer> {
    (
        text(),
        vec(("call_[a-zA-Z0-9]{1,10}", ident(), json_object()), 0..3),
        0u64..100_000,
        0u64..100_000,
    )
        .prop_map(|(text, calls, input, output)| Answer {
            text,
            calls,
            input,
            output,
        })
}

impl Answer {
    fn args_text(args: &Map<String, Value>) -> String {
        Value::Object(args.clone()).to_string()
    }

    fn wire(&self, api: Api) -> Value {
        let has_calls = !self.calls.is_empty();
        match api {
            Api::OpenAiChat => {
                let calls: Vec<Value> = self
                    .calls
                    .iter()
                    .map(|(id, name, args)| {
                        json!({"id": id, "type": "function",
                               "function": {"name": name, "arguments": Self::args_text(args)}})
                    })
                    .collect();
                let mut message = json!({"role": "assistant", "content": self.text});
                if has_calls {
                    message["tool_calls"] = calls.into();
                }
                json!({
                    "id": "chatcmpl-rt", "object": "chat.completion", "model": "m",
                    "choices": [{"index": 0, "message": message,
                                 "finish_reason": if has_calls { "tool_calls" } else { "stop" }}],
                    "usage": {"prompt_tokens": self.input, "completion_tokens": self.output,
                              "total_tokens": self.input + self.output}
                })
            }
            Api::OpenAiResponses => {
                let mut output = vec![json!({
                    "type": "message", "id": "msg_rt", "role": "assistant", "status": "completed",
                    "content": [{"type": "output_text", "text": self.text, "annotations": []}]
                })];
                output.extend(self.calls.iter().enumerate().map(|(i, (id, name, args))| {
                    json!({"type": "function_call", "id": format!("fc_{i}"), "call_id": id,
                           "name": name, "arguments": Self::args_text(args),
                           "status": "completed"})
                }));
                json!({
                    "id": "resp_rt", "object": "response", "status": "completed", "model": "m",
                    "output": output,
                    "usage": {"input_tokens": self.input, "output_tokens": self.output,
                              "total_tokens": self.input + self.output}
                })
            }
            Api::Anthropic => {
                let mut content = vec![json!({"type": "text", "text": self.text})];
                content.extend(self.calls.iter().map(|(id, name, args)| {
                    json!({"type": "tool_use", "id": id, "name": name, "input": args})
                }));
                json!({
                    "id": "msg_rt", "type": "message", "role": "assistant", "model": "m",
                    "content": content,
                    "stop_reason": if has_calls { "tool_use" } else { "end_turn" },
                    "stop_sequence": null,
                    "usage": {"input_tokens": self.input, "output_tokens": self.output}
                })
            }
            Api::Gemini => {
                let mut parts = vec![json!({"text": self.text})];
                parts.extend(
                    self.calls.iter().map(
                        |(_, name, args)| json!({"functionCall": {"name": name, "args": args}}),
                    ),
                );
                json!({
                    "candidates": [{"content": {"role": "model", "parts": parts},
                                    "finishReason": "STOP", "index": 0}],
                    "usageMetadata": {"promptTokenCount": self.input,
                                      "candidatesTokenCount": self.output,
                                      "totalTokenCount": self.input + self.output},
                    "modelVersion": "m", "responseId": "rt"
                })
            }
            Api::Cohere => {
                let mut message = json!({
                    "role": "assistant",
                    "content": [{"type": "text", "text": self.text}]
                });
                if has_calls {
                    let calls: Vec<Value> = self
                        .calls
                        .iter()
                        .map(|(id, name, args)| {
                            json!({"id": id, "type": "function",
                                   "function": {"name": name,
                                                "arguments": Self::args_text(args)}})
                        })
                        .collect();
                    message["tool_calls"] = calls.into();
                }
                json!({
                    "id": "co-rt", "message": message,
                    "finish_reason": if has_calls { "TOOL_CALL" } else { "COMPLETE" },
                    "usage": {"tokens": {"input_tokens": self.input,
                                         "output_tokens": self.output}}
                })
            }
            Api::Ollama => {
                let mut message = json!({"role": "assistant", "content": self.text});
                if has_calls {
                    let calls: Vec<Value> = self
                        .calls
                        .iter()
                        .map(|(_, name, args)| json!({"function": {"name": name, "arguments": args}}))
                        .collect();
                    message["tool_calls"] = calls.into();
                }
                json!({
                    "model": "m", "created_at": "2025-01-01T00:00:00Z", "message": message,
                    "done": true, "done_reason": "stop",
                    "prompt_eval_count": self.input, "eval_count": self.output
                })
            }
            Api::Bedrock => {
                let mut content = vec![json!({"text": self.text})];
                content.extend(self.calls.iter().map(|(id, name, args)| {
                    json!({"toolUse": {"toolUseId": id, "name": name, "input": args}})
                }));
                json!({
                    "output": {"message": {"role": "assistant", "content": content}},
                    "stopReason": if has_calls { "tool_use" } else { "end_turn" },
                    "usage": {"inputTokens": self.input, "outputTokens": self.output,
                              "totalTokens": self.input + self.output}
                })
            }
            // Replicate predictions carry text only: answers with tool calls skip it.
            Api::Replicate => json!({
                "id": "rt", "model": "m", "status": "succeeded", "output": [self.text],
                "error": null,
                "metrics": {"input_token_count": self.input, "output_token_count": self.output}
            }),
            other => panic!("no answer shape for {other}"),
        }
    }

    /// Whether the API carries the caller's call ids (Gemini and Ollama send none).
    fn keeps_ids(api: Api) -> bool {
        !matches!(api, Api::Gemini | Api::Ollama)
    }

    fn check(&self, api: Api, resp: &ChatResponse) -> Result<(), TestCaseError> {
        prop_assert_eq!(resp.text(), self.text.clone(), "{} text", api);
        let calls = resp.tool_calls();
        prop_assert_eq!(calls.len(), self.calls.len(), "{} tool calls", api);
        for (got, (id, name, args)) in calls.iter().zip(&self.calls) {
            prop_assert_eq!(&got.name, name, "{} tool name", api);
            prop_assert_eq!(&got.arguments, &Value::Object(args.clone()), "{} args", api);
            if Self::keeps_ids(api) {
                prop_assert_eq!(&got.id, id, "{} call id", api);
            } else {
                prop_assert!(!got.id.is_empty(), "{} made-up call id", api);
            }
        }
        let usage = resp.usage.as_ref();
        prop_assert_eq!(
            usage.and_then(|u| u.input_tokens),
            Some(self.input),
            "{} in",
            api
        );
        prop_assert_eq!(
            usage.and_then(|u| u.output_tokens),
            Some(self.output),
            "{} out",
            api
        );
        let want = if self.calls.is_empty() {
            FinishKind::Stop
        } else {
            FinishKind::ToolCalls
        };
        prop_assert_eq!(resp.finish_kind(), Some(want), "{} finish", api);
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Framing
// ---------------------------------------------------------------------------------------------

/// Cuts `body` at the given points (taken modulo its length, sorted).
fn cut<'a>(body: &'a [u8], points: &[usize]) -> Vec<&'a [u8]> {
    let mut points: Vec<usize> = points.iter().map(|p| p % (body.len() + 1)).collect();
    points.sort_unstable();
    let mut chunks = Vec::new();
    let mut at = 0;
    for p in points {
        chunks.push(&body[at..p]);
        at = p;
    }
    chunks.push(&body[at..]);
    chunks
}

/// An SSE event: an optional name and one or more `data:` lines.
type SseEvent = (Option<String>, Vec<String>);

fn sse_event() -> impl Strategy<Value = SseEvent> {
    (option::of("[a-z_.-]{1,12}"), vec("[^\\r\\n]{0,16}", 1..4))
}

const LINE_ENDS: [&str; 3] = ["\n", "\r\n", "\r"];

/// Writes events as SSE with the given line end, a comment between events, an optional BOM,
/// and the last blank line left out when `open_end`.
fn write_sse(events: &[SseEvent], eol: &str, bom: bool, open_end: bool) -> Vec<u8> {
    let mut out = String::new();
    if bom {
        out.push('\u{feff}');
    }
    for (i, (name, data)) in events.iter().enumerate() {
        if i % 2 == 1 {
            out.push_str(&format!(": keep-alive{eol}"));
        }
        if let Some(name) = name {
            out.push_str(&format!("event: {name}{eol}"));
        }
        for line in data {
            out.push_str(&format!("data: {line}{eol}"));
        }
        if !(open_end && i + 1 == events.len()) {
            out.push_str(eol);
        }
    }
    out.into_bytes()
}

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn a_response_replayed_as_events_collects_back_to_itself(resp in response()) {
        let mut c = Collector::new();
        for e in response_to_events(&resp) {
            c.push(e);
        }
        prop_assert_eq!(c.finish(), resp);
    }

    #[test]
    fn a_response_survives_json(resp in response()) {
        let text = serde_json::to_string(&resp).unwrap();
        let back: ChatResponse = serde_json::from_str(&text).unwrap();
        prop_assert_eq!(back, resp);
    }

    #[test]
    fn a_request_survives_json(req in request()) {
        let text = serde_json::to_string(&req).unwrap();
        let back: ChatRequest = serde_json::from_str(&text).unwrap();
        prop_assert_eq!(back, req);
    }

    #[test]
    fn an_answer_in_each_wire_format_decodes_to_itself(answer in answer()) {
        for api in Api::ALL {
            if api == Api::Replicate && !answer.calls.is_empty() {
                continue;
            }
            let body = serde_json::to_vec(&answer.wire(api)).unwrap();
            let resp = api.codec().decode(&body);
            prop_assert!(resp.is_ok(), "{} does not decode: {:?}", api, resp.err());
            answer.check(api, &resp.unwrap())?;
        }
    }

    #[test]
    fn sse_frames_come_back_whatever_the_cuts(
        events in vec(sse_event(), 1..5),
        eol in 0..LINE_ENDS.len(),
        bom in any::<bool>(),
        open_end in any::<bool>(),
        points in vec(any::<usize>(), 0..6),
    ) {
        let body = write_sse(&events, LINE_ENDS[eol], bom, open_end);
        let want: Vec<(String, Vec<u8>)> = events
            .iter()
            .map(|(name, data)| (name.clone().unwrap_or_default(), data.join("\n").into_bytes()))
            .collect();
        let got = dispatch::frame_chunks(Framing::Sse, &cut(&body, &points));
        prop_assert_eq!(got, (want, Ok(())));
    }

    #[test]
    fn ndjson_lines_come_back_whatever_the_cuts(
        lines in vec("\\{[^\\r\\n]{0,20}", 1..6),
        crlf in any::<bool>(),
        blank_lines in any::<bool>(),
        open_end in any::<bool>(),
        points in vec(any::<usize>(), 0..6),
    ) {
        let eol = if crlf { "\r\n" } else { "\n" };
        let mut body = String::new();
        for (i, line) in lines.iter().enumerate() {
            body.push_str(line);
            if !(open_end && i + 1 == lines.len()) {
                body.push_str(eol);
            }
            if blank_lines && i + 1 < lines.len() {
                body.push_str(" \t");
                body.push_str(eol);
            }
        }
        let want: Vec<(String, Vec<u8>)> = lines
            .iter()
            .map(|l| (String::new(), l.as_bytes().to_vec()))
            .collect();
        let got = dispatch::frame_chunks(Framing::Ndjson, &cut(body.as_bytes(), &points));
        prop_assert_eq!(got, (want, Ok(())));
    }

    #[test]
    fn framers_agree_with_themselves_on_any_bytes(
        framing in 0..dispatch::FRAMINGS.len(),
        body in vec(any::<u8>(), 0..256),
        points in vec(any::<usize>(), 0..6),
    ) {
        let framing = dispatch::FRAMINGS[framing].1;
        let whole = dispatch::frame_chunks(framing, &[&body]);
        let pieces = dispatch::frame_chunks(framing, &cut(&body, &points));
        prop_assert_eq!(pieces, whole);
    }

    #[test]
    fn sse_shaped_noise_frames_the_same_whatever_the_cuts(
        body in vec(prop_oneof![
            Just(b'\n'), Just(b'\r'), Just(b':'), Just(b' '), Just(b'd'), Just(b'a'),
            Just(b't'), Just(0xEF), Just(0xBB), Just(0xBF), any::<u8>(),
        ], 0..128),
        points in vec(any::<usize>(), 0..6),
    ) {
        let mut body = body;
        body.splice(0..0, b"data: ".iter().copied());
        let whole = dispatch::frame_chunks(Framing::Sse, &[&body]);
        let pieces = dispatch::frame_chunks(Framing::Sse, &cut(&body, &points));
        prop_assert_eq!(pieces, whole);
    }
}
