use super::*;
use crate::error::ErrorKind;
use crate::provider::test_support::{
    bearer, collect, data_frames, finish_of, fixture_pair, settings, sse, TestCodec,
};
use crate::types::{Message, ReasoningConfig, ReasoningEffort, Tool};

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

fn endpoint() -> Endpoint {
    bearer("cohere", "https://api.cohere.com/v2", "co-test-key")
}

const CODEC: TestCodec = TestCodec::new(&CohereCodec, "command-a-03-2025", endpoint);

fn message_end(delta: Value) -> Value {
    json!({"type": "message-end", "delta": delta})
}

// ---------------------------------------------------------------------------------------------
// Encode
// ---------------------------------------------------------------------------------------------

#[test]
fn encode_posts_to_v2_chat_with_bearer_auth() {
    let (request, body, warnings) = CODEC.encode_with(&CODEC.hi(), false);
    assert_eq!(request.method(), http::Method::POST);
    assert_eq!(request.uri(), "https://api.cohere.com/v2/chat");
    assert_eq!(request.headers()["authorization"], "Bearer co-test-key");
    assert_eq!(request.headers()["accept"], "application/json");
    assert_eq!(
        body,
        json!({"model": "command-a-03-2025", "messages": [{"role": "user", "content": "Hi"}]})
    );
    assert!(warnings.is_empty());

    let (request, body, _) = CODEC.encode_with(&CODEC.hi(), true);
    assert_eq!(request.uri(), "https://api.cohere.com/v2/chat");
    assert_eq!(request.headers()["accept"], "text/event-stream");
    assert_eq!(body["stream"], true);
}

#[test]
fn encode_a_whole_conversation() {
    // Joined system text, a developer message, a silent cache breakpoint, assistant text with
    // tool calls (object and text arguments), and tool results as documents.
    let fixture: Value = serde_json::from_str(include_str!("fixtures/conversation.json")).unwrap();
    let r: ChatRequest = serde_json::from_value(fixture["request"].clone()).unwrap();
    let (_, body, warnings) = CODEC.encode_with(&r, false);
    assert_eq!(body, fixture["body"]);
    // Cohere has no way to mark a failed tool result.
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(warnings[0].setting.as_deref(), Some("tool result is_error"));
}

#[test]
fn encode_parts_cohere_cannot_take_warn_and_are_dropped() {
    let m = Message::new(
        Role::User,
        vec![
            Part::text("Describe"),
            // Images are content items now (see media::codec_tests); files have no place.
            Part::File {
                source: crate::types::MediaSource::FileId("file-1".into()),
                media_type: None,
                filename: None,
            },
            Part::Refusal { text: "no".into() },
        ],
    );
    let r = ChatRequest::new("cohere/command-a-vision-07-2025", vec![m]);
    let (_, body, warnings) = CODEC.encode_with(&r, false);
    assert_eq!(
        body["messages"],
        json!([{"role": "user", "content": "Describe"}])
    );
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(warnings[0].message.contains("file"));
    assert!(warnings[1].message.contains("refusal"));
}

#[test]
fn encode_tools_and_tool_choice() {
    let schema = json!({"type": "object", "properties": {"location": {"type": "string"}}});
    let bare = Tool {
        name: "now".into(),
        ..Default::default()
    };
    let base = CODEC
        .hi()
        .with_tool(Tool::new(
            "get_weather",
            "Weather for a place",
            schema.clone(),
        ))
        .with_tool(bare);
    let (_, body, warnings) = CODEC.encode_with(&base, false);
    assert!(warnings.is_empty());
    assert_eq!(
        body["tools"],
        json!([
            {"type": "function", "function": {"name": "get_weather", "description": "Weather for a place", "parameters": schema}},
            {"type": "function", "function": {"name": "now", "parameters": {"type": "object", "properties": {}}}},
        ])
    );
    assert!(body.get("tool_choice").is_none());
    let choice = |c: ToolChoice| CODEC.encode_with(&base.clone().with_tool_choice(c), false);
    assert!(choice(ToolChoice::Auto).1.get("tool_choice").is_none());
    assert_eq!(choice(ToolChoice::Required).1["tool_choice"], "REQUIRED");
    assert_eq!(choice(ToolChoice::None).1["tool_choice"], "NONE");
    let (_, body, warnings) = choice(ToolChoice::Tool("now".into()));
    assert_eq!(body["tool_choice"], "REQUIRED");
    assert_eq!(settings(&warnings), ["tool_choice"]);
}

#[test]
fn encode_sampling_settings_use_cohere_names() {
    let mut r = CODEC.hi().with_temperature(0.3).with_max_tokens(300);
    (r.top_p, r.top_k, r.seed) = (Some(0.75), Some(40), Some(11));
    (r.frequency_penalty, r.presence_penalty) = (Some(0.2), Some(0.1));
    r.logprobs = Some(true);
    r.stop = vec!["END".into(), "\n\n".into()];
    let (_, body, warnings) = CODEC.encode_with(&r, false);
    assert!(warnings.is_empty(), "{warnings:?}");
    let mut expected = json!({
        "temperature": 0.3, "p": 0.75, "k": 40, "max_tokens": 300, "seed": 11,
        "frequency_penalty": 0.2, "presence_penalty": 0.1, "logprobs": true,
        "stop_sequences": ["END", "\n\n"],
    });
    expected["model"] = body["model"].clone();
    expected["messages"] = body["messages"].clone();
    assert_eq!(body, expected);
}

#[test]
fn encode_response_formats() {
    let schema =
        json!({"type": "object", "required": ["a"], "properties": {"a": {"type": "string"}}});
    let format = |f| CODEC.body_of(&CODEC.hi().with_response_format(f))["response_format"].clone();
    assert_eq!(
        format(ResponseFormat::JsonObject),
        json!({"type": "json_object"})
    );
    let json_schema = ResponseFormat::JsonSchema {
        name: "answer".into(),
        schema: schema.clone(),
        description: None,
        strict: None,
    };
    assert_eq!(
        format(json_schema),
        json!({"type": "json_object", "json_schema": schema})
    );
    assert_eq!(format(ResponseFormat::Text), Value::Null);
}

#[test]
fn encode_thinking() {
    let thinking = |effort: Option<ReasoningEffort>, budget_tokens: Option<u32>| {
        let r = CODEC.hi().with_reasoning(ReasoningConfig {
            effort,
            budget_tokens,
            summary: None,
        });
        CODEC.body_of(&r)["thinking"].clone()
    };
    assert_eq!(
        thinking(None, Some(2000)),
        json!({"type": "enabled", "token_budget": 2000})
    );
    assert_eq!(
        thinking(Some(ReasoningEffort::Medium), None),
        json!({"type": "enabled", "token_budget": 2048})
    );
    assert_eq!(thinking(None, None), json!({"type": "enabled"}));
    // Effort `none` turns thinking off; a zero budget would be rejected.
    assert_eq!(
        thinking(Some(ReasoningEffort::None), None),
        json!({"type": "disabled"})
    );
}

#[test]
fn encode_unsupported_settings_warn_and_are_not_sent() {
    let mut r = CODEC.hi();
    r.n = Some(2);
    r.parallel_tool_calls = Some(true);
    r.top_logprobs = Some(5);
    r.service_tier = Some("priority".into());
    r.user = Some("u-1".into());
    let (_, body, warnings) = CODEC.encode_with(&r, false);
    let mut names = settings(&warnings);
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "n",
            "parallel_tool_calls",
            "service_tier",
            "top_logprobs",
            "user"
        ]
    );
    assert!(warnings.iter().all(|w| w.message.contains("cohere")));
    let mut keys: Vec<&String> = body.as_object().unwrap().keys().collect();
    keys.sort_unstable();
    assert_eq!(keys, ["messages", "model"]);
}

#[test]
fn encode_provider_options_merge_last() {
    let r = CODEC
        .hi()
        .with_max_tokens(10)
        .with_provider_option("max_tokens", json!(20))
        .with_provider_option("safety_mode", json!("STRICT"))
        .with_provider_option("documents", json!([{"id": "d1", "data": {"text": "x"}}]));
    let body = CODEC.body_of(&r);
    assert_eq!(body["max_tokens"], 20);
    assert_eq!(body["safety_mode"], "STRICT");
    assert_eq!(body["documents"][0]["id"], "d1");
}

// ---------------------------------------------------------------------------------------------
// Decode
// ---------------------------------------------------------------------------------------------

#[test]
fn decode_thinking_text_and_citations() {
    let r = CODEC.decode(fixture_pair!("text_citations", "sse").1);
    assert_eq!(r.id.as_deref(), Some("exllm-co-text-1"));
    assert_eq!(r.model, None);
    assert_eq!(
        r.reasoning_text(),
        "The document says the tallest penguin is the emperor penguin."
    );
    assert_eq!(
        r.text(),
        "The emperor penguin is the tallest, at about 1.1 m."
    );
    assert!(matches!(r.content[0], Part::Reasoning(_)));
    assert_eq!(r.content.len(), 2);
    assert_eq!(finish_of(&r), (FinishKind::Stop, Some("COMPLETE")));
    let citations = r.provider_meta["citations"].as_array().unwrap();
    assert_eq!(citations.len(), 1);
    assert_eq!(citations[0]["text"], "emperor penguin");
    assert_eq!(citations[0]["sources"][0]["id"], "doc:0");
    assert!(!r.provider_meta.contains_key("tool_plan"));
}

#[test]
fn decode_usage_prefers_processed_tokens_over_billed_units() {
    let u = CODEC
        .decode(fixture_pair!("text_citations", "sse").1)
        .usage
        .unwrap();
    assert_eq!((u.input_tokens, u.output_tokens), (Some(712), Some(61)));
    assert_eq!(u.cache_read_tokens, Some(512));
    assert_eq!(
        u.raw.as_ref().unwrap().value()["billed_units"]["input_tokens"],
        31
    );

    let usage = |v: Value| {
        CODEC
            .decode(&json!({"usage": v}).to_string())
            .usage
            .unwrap()
    };
    let billed = usage(json!({"billed_units": {"input_tokens": 5, "output_tokens": 7}}));
    assert_eq!(
        (billed.input_tokens, billed.output_tokens),
        (Some(5), Some(7))
    );
    assert_eq!(billed.cache_read_tokens, None);
    let mixed = usage(json!({"tokens": {"input_tokens": 9}, "billed_units": {"output_tokens": 3}}));
    assert_eq!(
        (mixed.input_tokens, mixed.output_tokens),
        (Some(9), Some(3))
    );
    let empty = usage(json!({}));
    assert_eq!((empty.input_tokens, empty.output_tokens), (None, None));
    assert!(CODEC.decode("{}").usage.is_none());
}

#[test]
fn decode_tool_plan_and_tool_calls() {
    let r = CODEC.decode(fixture_pair!("tool_calls", "sse").1);
    assert_eq!(
        r.provider_meta["tool_plan"],
        "I will look up the weather in Madrid and Brasilia."
    );
    assert_eq!(r.text(), "", "the tool plan is not answer text");
    let calls = r.tool_calls();
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0].id, "get_weather_exllm01");
    assert_eq!(calls[0].name, "get_weather");
    assert_eq!(calls[0].arguments, json!({"location": "Madrid"}));
    assert_eq!(calls[1].arguments, json!({"location": "Brasilia"}));
    assert_eq!(finish_of(&r), (FinishKind::ToolCalls, Some("TOOL_CALL")));
    let u = r.usage.unwrap();
    assert_eq!((u.input_tokens, u.output_tokens), (Some(913), Some(83)));
}

#[test]
fn decode_tool_calls_without_ids_or_arguments() {
    let body = json!({"finish_reason": "COMPLETE", "message": {"role": "assistant", "tool_calls": [
        {"type": "function", "function": {"name": "a", "arguments": ""}},
        {"type": "function", "function": {"name": "b", "arguments": "{broken"}},
    ]}});
    let r = CODEC.decode(&body.to_string());
    let calls = r.tool_calls();
    assert_eq!(
        (calls[0].id.as_str(), calls[1].id.as_str()),
        ("call_0", "call_1")
    );
    assert_eq!(calls[0].arguments, json!({}));
    assert_eq!(
        calls[1].arguments,
        json!("{broken"),
        "bad JSON is kept as text"
    );
    assert_eq!(finish_of(&r), (FinishKind::ToolCalls, Some("COMPLETE")));
}

#[test]
fn decode_finish_reasons() {
    for (raw, kind) in [
        ("COMPLETE", FinishKind::Stop),
        ("STOP_SEQUENCE", FinishKind::Stop),
        ("MAX_TOKENS", FinishKind::Length),
        ("TOOL_CALL", FinishKind::ToolCalls),
        ("ERROR", FinishKind::Error),
        ("TIMEOUT", FinishKind::Error),
        ("SOMETHING_NEW", FinishKind::Other),
    ] {
        let r = CODEC.decode(&json!({ "finish_reason": raw }).to_string());
        assert_eq!(finish_of(&r), (kind, Some(raw)), "{raw}");
    }
    assert!(CODEC.decode("{}").finish.is_none());
}

#[test]
fn decode_malformed_bodies_are_decode_errors() {
    for bad in [
        "",
        "not json",
        r#"{"message": {"content": "text"}}"#,
        r#"{"id": 5}"#,
    ] {
        let err = CohereCodec.decode(bad.as_bytes()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Decode, "{bad:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// Stream
// ---------------------------------------------------------------------------------------------

#[test]
fn stream_equals_decode() {
    for (sse_text, json_text) in [
        fixture_pair!("text_citations", "sse"),
        fixture_pair!("tool_calls", "sse"),
    ] {
        assert_eq!(CODEC.stream(&sse(sse_text)), CODEC.decode(json_text));
    }
}

#[test]
fn stream_events_in_order() {
    let (events, end) = CODEC.stream_events(&sse(fixture_pair!("tool_calls", "sse").0));
    end.unwrap();
    let start = |index: u32, id: &str| StreamEvent::ToolCallStart {
        index,
        id: id.into(),
        name: "get_weather".into(),
    };
    let delta = |index: u32, arguments: &str| StreamEvent::ToolCallDelta {
        index,
        arguments: arguments.into(),
    };
    assert_eq!(
        events[..9],
        [
            StreamEvent::Start {
                id: Some("exllm-co-tools-1".into()),
                model: None
            },
            start(0, "get_weather_exllm01"),
            delta(0, "{\"location\":"),
            delta(0, "\"Madrid\"}"),
            StreamEvent::ToolCallEnd { index: 0 },
            start(1, "get_weather_exllm02"),
            delta(1, "{\"location\":"),
            delta(1, "\"Brasilia\"}"),
            StreamEvent::ToolCallEnd { index: 1 },
        ]
    );
    // The tool plan is held back and reported once, at the end.
    let plans: Vec<&StreamEvent> = events
        .iter()
        .filter(|e| matches!(e, StreamEvent::Metadata { key, .. } if key == "tool_plan"))
        .collect();
    assert_eq!(plans.len(), 1);
}

#[test]
fn stream_message_end_error_finishes_with_error() {
    let (events, end) = CODEC.stream_events(&data_frames(&[
        json!({"type": "message-start", "id": "e1"}),
        json!({"type": "content-delta", "index": 0, "delta": {"message": {"content": {"text": "Par"}}}}),
        message_end(json!({"finish_reason": "ERROR", "error": "internal failure"})),
    ]));
    end.unwrap();
    let r = collect(events);
    assert_eq!(r.text(), "Par");
    assert_eq!(r.finish_kind(), Some(FinishKind::Error));
    assert_eq!(r.error.unwrap().message, "internal failure");
}

#[test]
fn stream_without_message_end_is_truncated_but_keeps_what_arrived() {
    let mut all = sse(fixture_pair!("tool_calls", "sse").0);
    all.pop();
    let (events, end) = CODEC.stream_events(&all);
    assert_eq!(end.unwrap_err().kind(), ErrorKind::Truncated);
    let r = collect(events);
    assert_eq!(r.tool_calls().len(), 2);
    assert_eq!(
        r.provider_meta["tool_plan"],
        "I will look up the weather in Madrid and Brasilia."
    );

    let (_, end) = CODEC.stream_events::<(String, String)>(&[]);
    assert_eq!(end.unwrap_err().kind(), ErrorKind::Truncated);
}

#[test]
fn stream_ignores_done_keepalives_and_unknown_events() {
    let mut all = data_frames(&[
        json!({"type": "message-start", "id": "k1"}),
        json!({"type": "debug", "delta": {"message": {"content": {"text": "no"}}}}),
        json!({"type": "content-delta", "delta": {"message": {"content": {"text": "Hi"}}}}),
        json!({"type": "citation-start", "delta": {"message": {"citations": null}}}),
        message_end(json!({"finish_reason": "MAX_TOKENS", "usage": null})),
    ]);
    all.insert(1, (String::new(), "  ".into()));
    all.push((String::new(), "[DONE]".into()));
    let r = CODEC.stream(&all);
    assert_eq!(r.text(), "Hi");
    assert_eq!(finish_of(&r), (FinishKind::Length, Some("MAX_TOKENS")));
    assert!(r.usage.is_none());
    assert!(r.provider_meta.is_empty());
}

#[test]
fn stream_malformed_json_is_a_decode_error() {
    for bad in ["{\"type\":", "[]x", "[1]"] {
        let mut all = data_frames(&[json!({"type": "message-start", "id": "m"})]);
        all.push(("content-delta".into(), bad.into()));
        let (events, end) = CODEC.stream_events(&all);
        assert_eq!(end.unwrap_err().kind(), ErrorKind::Decode, "{bad}");
        assert_eq!(events.len(), 1);
    }
}
