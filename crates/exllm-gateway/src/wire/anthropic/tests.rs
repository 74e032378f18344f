//! Whole answers, errors and token counts in the Anthropic format, checked by decoding what
//! we encode with the library's own Anthropic codec; and decoding arbitrary bytes.

use super::test_support::{cases, Case, Summary};
use super::*;
use exllm::provider::{AnthropicCodec, Codec, OpenAiResponsesCodec};
use exllm::{Collector, FinishKind, Message, Part, Reasoning, ToolCall};
use proptest::prelude::*;

fn answer() -> ChatResponse {
    ChatResponse {
        id: Some("msg_1".into()),
        model: Some("backend-model".into()),
        content: vec![
            Part::Reasoning(Reasoning {
                text: "Think.".into(),
                signature: Some("sig==".into()),
                ..Default::default()
            }),
            Part::Reasoning(Reasoning {
                encrypted: Some("opaque".into()),
                ..Default::default()
            }),
            Part::text("Let me check."),
            Part::ToolCall(ToolCall {
                id: "toolu_1".into(),
                name: "weather".into(),
                arguments: serde_json::json!({"city": "Paris"}),
                provider_meta: None,
            }),
        ],
        finish: Some(FinishReason::new(FinishKind::ToolCalls, "tool_calls")),
        usage: Some(Usage {
            input_tokens: Some(120),
            output_tokens: Some(30),
            cache_read_tokens: Some(80),
            cache_write_tokens: Some(10),
            ..Default::default()
        }),
        ..Default::default()
    }
}

#[test]
fn a_whole_answer_decodes_back_with_the_library_codec() {
    let body = AnthropicMessages::encode_response(&answer(), "claude-alias");
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["type"], "message");
    assert_eq!(v["role"], "assistant");
    assert_eq!(v["model"], "claude-alias");
    assert_eq!(v["stop_reason"], "tool_use");
    // Anthropic's input_tokens leaves out the cached tokens.
    assert_eq!(v["usage"]["input_tokens"], 30);
    assert_eq!(v["usage"]["cache_read_input_tokens"], 80);
    assert_eq!(v["usage"]["cache_creation_input_tokens"], 10);
    assert_eq!(
        v["content"][1],
        json!({"type": "redacted_thinking", "data": "opaque"})
    );
    assert_eq!(v["content"][3]["input"], json!({"city": "Paris"}));

    let back = AnthropicCodec.decode(&body).unwrap();
    assert_eq!(back.content, answer().content);
    assert_eq!(back.finish_kind(), Some(FinishKind::ToolCalls));
    let u = back.usage.unwrap();
    assert_eq!(
        (
            u.input_tokens,
            u.output_tokens,
            u.cache_read_tokens,
            u.cache_write_tokens
        ),
        (Some(120), Some(30), Some(80), Some(10))
    );
}

#[test]
fn stop_reasons_map_from_every_finish_kind() {
    let f = |kind, raw: &str| Some(FinishReason::new(kind, raw));
    assert_eq!(
        stop_reason(f(FinishKind::Stop, "stop").as_ref(), false),
        "end_turn"
    );
    assert_eq!(
        stop_reason(f(FinishKind::Stop, "stop_sequence").as_ref(), false),
        "stop_sequence"
    );
    assert_eq!(
        stop_reason(f(FinishKind::Length, "length").as_ref(), false),
        "max_tokens"
    );
    assert_eq!(
        stop_reason(f(FinishKind::ToolCalls, "tool_calls").as_ref(), true),
        "tool_use"
    );
    assert_eq!(
        stop_reason(f(FinishKind::ContentFilter, "SAFETY").as_ref(), false),
        "refusal"
    );
    assert_eq!(
        stop_reason(f(FinishKind::Other, "pause_turn").as_ref(), false),
        "pause_turn"
    );
    assert_eq!(
        stop_reason(f(FinishKind::Other, "weird").as_ref(), false),
        "end_turn"
    );
    // A raw value that contradicts the kind is not trusted.
    assert_eq!(
        stop_reason(f(FinishKind::Length, "end_turn").as_ref(), false),
        "max_tokens"
    );
    assert_eq!(stop_reason(None, true), "tool_use");
    assert_eq!(stop_reason(None, false), "end_turn");
}

#[test]
fn a_stop_sequence_is_named() {
    let mut r = answer();
    r.content = vec![Part::text("1, 2")];
    r.finish = Some(FinishReason::new(FinishKind::Stop, "stop_sequence"));
    r.provider_meta.insert("stop_sequence".into(), "3".into());
    let v: Value = serde_json::from_slice(&AnthropicMessages::encode_response(&r, "m")).unwrap();
    assert_eq!(
        (v["stop_reason"].as_str(), v["stop_sequence"].as_str()),
        (Some("stop_sequence"), Some("3"))
    );
}

/// The answer `case` records, as the library decodes it; `None` for a broken recording.
fn recorded(case: &Case, codec: &dyn Codec) -> Option<ChatResponse> {
    let (events, complete) = case.library_events(codec);
    let r = Collector::collect(events);
    (complete && r.error.is_none()).then_some(r)
}

/// What the answer of `want` decodes to after our Anthropic encoding: Anthropic has no
/// finish reason beyond its stop reasons, so another API's `other` comes back as a stop.
fn expected(want: &ChatResponse) -> Summary {
    let mut s = Summary::of(want);
    if s.finish == Some(FinishKind::Other)
        && !matches!(
            want.finish.as_ref().and_then(|f| f.raw.as_deref()),
            Some("pause_turn")
        )
    {
        s.finish = Some(if s.calls.is_empty() {
            FinishKind::Stop
        } else {
            FinishKind::ToolCalls
        });
    }
    s
}

fn check_whole(case: &Case, codec: &dyn Codec) -> usize {
    let Some(want) = recorded(case, codec) else {
        return 0;
    };
    let body = AnthropicMessages::encode_response(&want, "alias");
    let got = AnthropicCodec
        .decode(&body)
        .unwrap_or_else(|e| panic!("{}: {e}", case.name));
    let mut got_summary = Summary::of(&got);
    if want.usage.is_none() {
        got_summary.usage = None;
    }
    if want.finish.is_none() {
        got_summary.finish = None;
    }
    assert_eq!(got_summary, expected(&want), "{}", case.name);
    assert_eq!(got.model.as_deref(), Some("alias"), "{}", case.name);
    1
}

#[test]
fn recorded_anthropic_answers_survive_our_encoding() {
    let n: usize = cases("anthropic")
        .iter()
        .map(|c| check_whole(c, &AnthropicCodec))
        .sum();
    assert!(n > 20, "only {n} cases checked");
}

#[test]
fn recorded_responses_answers_come_out_as_anthropic_messages() {
    let n: usize = cases("openai-responses")
        .iter()
        .map(|c| check_whole(c, &OpenAiResponsesCodec))
        .sum();
    assert!(n > 20, "only {n} cases checked");
}

#[test]
fn errors_have_anthropic_types_and_shape() {
    let e = |status, kind: &'static str| ApiError {
        status,
        kind,
        message: "nope".into(),
        retry_after: None,
    };
    let table = [
        (e(400, "invalid_request_error"), "invalid_request_error"),
        (e(401, "authentication_error"), "authentication_error"),
        (e(401, "invalid_api_key"), "authentication_error"),
        (e(403, "insufficient_permissions"), "permission_error"),
        (e(404, "model_not_found"), "not_found_error"),
        (e(413, "too_large"), "request_too_large"),
        (e(429, "rate_limit_error"), "rate_limit_error"),
        (e(429, "insufficient_quota"), "rate_limit_error"),
        (e(500, "server_error"), "api_error"),
        (e(503, "server_error"), "overloaded_error"),
        (e(529, "overloaded_error"), "overloaded_error"),
        (e(422, "unprocessable"), "invalid_request_error"),
    ];
    for (err, want) in table {
        let v: Value = serde_json::from_slice(&AnthropicMessages::encode_error(&err)).unwrap();
        assert_eq!(
            v,
            json!({"type": "error", "error": {"type": want, "message": "nope"}})
        );
        // The library reads our error bodies as the errors they are.
        let lib = exllm::provider::error_from_response(
            "anthropic",
            err.status,
            &[],
            &AnthropicMessages::encode_error(&err),
        );
        assert_eq!(lib.message(), "nope");
    }
}

#[test]
fn count_tokens_decodes_without_max_tokens_and_counts() {
    let body = br#"{"model":"claude-alias","system":"Be brief.","messages":[{"role":"user","content":"Hello there, how are you today?"}],"tools":[{"name":"t","input_schema":{"type":"object"}}]}"#;
    assert!(
        AnthropicMessages::decode_request(body).is_err(),
        "messages need max_tokens"
    );
    let req = decode_count_tokens(body).unwrap();
    assert_eq!(req.messages.len(), 2);
    assert_eq!(req.tools.len(), 1);
    let n = count_tokens(&req, "anthropic/claude-sonnet-4-5");
    let bare = count_tokens(
        &ChatRequest::new("x", vec![Message::user("Hi")]),
        "anthropic/claude-sonnet-4-5",
    );
    assert!(n > bare && bare > 0, "{n} vs {bare}");
    assert_eq!(
        encode_count_tokens(n),
        format!("{{\"input_tokens\":{n}}}").into_bytes()
    );
}

#[test]
fn ids_are_unique_and_prefixed() {
    let a = new_id("msg_");
    let b = new_id("msg_");
    assert!(a.starts_with("msg_") && a.len() > 20);
    assert_ne!(a, b);
}

proptest! {
    #[test]
    fn decoding_arbitrary_bytes_never_panics(body in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = AnthropicMessages::decode_request(&body);
        let _ = decode_count_tokens(&body);
    }

    #[test]
    fn decoding_arbitrary_json_never_panics(v in json_value()) {
        let body = serde_json::to_vec(&json!({"model": "m", "max_tokens": 5, "messages": [v.clone()], "system": v.clone(), "tools": [v.clone()], "tool_choice": v.clone(), "thinking": v})).unwrap();
        let _ = AnthropicMessages::decode_request(&body);
    }
}

/// Arbitrary JSON, with the keys and values requests use so that deep paths are reached.
pub(crate) fn json_value() -> impl Strategy<Value = Value> {
    let words = prop_oneof![
        Just("type"),
        Just("text"),
        Just("role"),
        Just("content"),
        Just("user"),
        Just("assistant"),
        Just("image"),
        Just("source"),
        Just("base64"),
        Just("url"),
        Just("tool_use"),
        Just("tool_result"),
        Just("input"),
        Just("thinking"),
        Just("document"),
        Just("cache_control"),
        Just("name"),
        Just("message"),
        Just("function_call"),
        Just("function_call_output"),
        Just("reasoning"),
        Just("input_text"),
        Just("input_image"),
        Just("input_file"),
        Just("summary"),
        Just("output"),
        Just("file"),
        Just("enabled"),
        Just("tool"),
        Just("data"),
        Just("call_id"),
        Just("arguments"),
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        words.clone().prop_map(Value::from),
        ".*".prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, move |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::vec((words.clone(), inner), 0..5).prop_map(|kv| Value::Object(
                kv.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
            )),
        ]
    })
}

#[test]
fn web_sources_ride_on_the_text_block_whole_and_streamed() {
    let sources = vec![
        exllm::Citation::new("https://a.example", Some("A".into())),
        exllm::Citation::new("https://b.example", None),
    ];
    let resp = ChatResponse {
        content: vec![Part::text("See the sources.")],
        citations: sources.clone(),
        ..Default::default()
    };
    let v: Value = serde_json::from_slice(&AnthropicMessages::encode_response(&resp, "m")).unwrap();
    let cites = v["content"][0]["citations"].as_array().expect("citations");
    assert_eq!(cites.len(), 2);
    assert_eq!(cites[0]["type"], "web_search_result_location");
    assert_eq!(cites[0]["url"], "https://a.example");
    assert_eq!(cites[0]["title"], "A");
    assert_eq!(cites[1]["title"], Value::Null);

    let mut inbound = crate::wire::Inbound::default();
    inbound.request.model = "m".into();
    let events = [
        exllm::StreamEvent::TextDelta("See".into()),
        exllm::StreamEvent::Citation(sources[0].clone()),
    ];
    let body = super::test_support::encode_stream(
        AnthropicMessages::stream_encoder(&inbound),
        &events,
        true,
    );
    let frames = super::test_support::sse_frames(&body);
    let deltas: Vec<Value> = frames
        .iter()
        .map(|(_, d)| serde_json::from_slice::<Value>(d).unwrap())
        .filter(|d| d["type"] == "content_block_delta")
        .collect();
    assert_eq!(deltas.len(), 2, "{deltas:?}");
    assert_eq!(
        deltas[1]["index"], deltas[0]["index"],
        "on the open text block"
    );
    assert_eq!(deltas[1]["delta"]["type"], "citations_delta");
    assert_eq!(deltas[1]["delta"]["citation"]["url"], "https://a.example");
}
