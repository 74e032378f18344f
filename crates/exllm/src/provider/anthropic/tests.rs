use super::*;
use crate::error::ErrorKind;
use crate::provider::test_support::{
    call, collect, finish_of, header_key, settings, sse, typed_frames, TestCodec,
};
use crate::provider::Codec;
use crate::types::{
    CacheBreakpoint, ImageDetail, ReasoningConfig, ResponseFormat, Tool, ToolResult,
};

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

fn endpoint() -> Endpoint {
    let mut ep = header_key(
        "anthropic",
        "https://api.anthropic.com/v1",
        "x-api-key",
        "sk-ant-test",
    );
    ep.headers
        .push(("anthropic-version".into(), "2023-06-01".into()));
    ep
}

const CODEC: TestCodec = TestCodec::new(&AnthropicCodec, "claude-sonnet-4-5", endpoint);

const START: &str = r#"{"type":"message_start","message":{"id":"msg_s","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":10,"output_tokens":1}}}"#;
const END_TURN: &str = r#"{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":5}}"#;
const STOP: &str = r#"{"type":"message_stop"}"#;

fn fixture(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

// ---------------------------------------------------------------------------------------------
// Encode
// ---------------------------------------------------------------------------------------------

#[test]
fn encode_posts_to_messages_with_api_key_header() {
    let (request, body, warnings) = CODEC.encode_with(&CODEC.req(vec![Message::user("Hi")]), false);
    assert_eq!(request.method(), http::Method::POST);
    assert_eq!(request.uri(), "https://api.anthropic.com/v1/messages");
    let h = request.headers();
    assert_eq!(h["x-api-key"], "sk-ant-test");
    assert_eq!(h["anthropic-version"], "2023-06-01");
    assert_eq!(h["content-type"], "application/json");
    assert!(h.get("authorization").is_none());
    assert_eq!(
        body,
        json!({
            "model": "claude-sonnet-4-5",
            "messages": [{"role": "user", "content": [{"type": "text", "text": "Hi"}]}],
            "max_tokens": DEFAULT_MAX_TOKENS,
        })
    );
    assert!(warnings.is_empty());
}

#[test]
fn encode_system_and_developer_become_system_blocks() {
    let r = CODEC.req(vec![
        Message::system("Be brief."),
        Message::new(
            Role::Developer,
            vec![
                Part::text("Long shared prefix."),
                Part::CacheBreakpoint(CacheBreakpoint {
                    ttl: Some("1h".into()),
                }),
                Part::image_url("https://example.com/x.png"),
            ],
        ),
        Message::user("Hi"),
    ]);
    let (_, body, warnings) = CODEC.encode_with(&r, false);
    assert_eq!(
        body["system"],
        json!([
            {"type": "text", "text": "Be brief."},
            {"type": "text", "text": "Long shared prefix.", "cache_control": {"type": "ephemeral", "ttl": "1h"}},
        ])
    );
    assert_eq!(body["messages"].as_array().unwrap().len(), 1);
    assert_eq!(warnings.len(), 1);
    assert!(warnings[0].message.contains("image"), "{warnings:?}");
}

#[test]
fn encode_merges_roles_and_sends_tool_results_as_user_blocks() {
    let mut failed = ToolResult::text("toolu_2", "boom");
    failed.is_error = true;
    failed
        .content
        .push(Part::image_base64("image/png", "iVBOR"));
    let r = CODEC.req(vec![
        Message::user("Weather and time?"),
        Message::new(
            Role::Assistant,
            vec![
                Part::text("Checking."),
                call("toolu_1", "get_weather", json!({"city": "Paris"})),
            ],
        ),
        Message::tool_result(ToolResult::text("toolu_1", "18C")),
        Message::tool_result(failed),
        Message::user("Thanks"),
    ]);
    assert_eq!(
        CODEC.body_of(&r)["messages"],
        json!([
            {"role": "user", "content": [{"type": "text", "text": "Weather and time?"}]},
            {"role": "assistant", "content": [
                {"type": "text", "text": "Checking."},
                {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Paris"}},
            ]},
            {"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": "toolu_1", "content": [{"type": "text", "text": "18C"}]},
                {"type": "tool_result", "tool_use_id": "toolu_2", "is_error": true, "content": [
                    {"type": "text", "text": "boom"},
                    {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBOR"}},
                ]},
                {"type": "text", "text": "Thanks"},
            ]},
        ])
    );
}

#[test]
fn encode_media_parts() {
    let m = Message::new(
        Role::User,
        vec![
            Part::Image {
                source: MediaSource::Url("https://example.com/cat.png".into()),
                media_type: None,
                detail: Some(ImageDetail::High),
            },
            Part::image_base64("image/jpeg", "/9j/4AAQ"),
            Part::Image {
                source: MediaSource::FileId("file_img".into()),
                media_type: None,
                detail: None,
            },
            Part::File {
                source: MediaSource::Base64("JVBERi0xLjQ=".into()),
                media_type: None,
                filename: Some("report.pdf".into()),
            },
            Part::File {
                source: MediaSource::Url("https://example.com/a.pdf".into()),
                media_type: Some("application/pdf".into()),
                filename: None,
            },
            Part::File {
                source: MediaSource::FileId("file_doc".into()),
                media_type: None,
                filename: None,
            },
        ],
    );
    let (_, body, warnings) = CODEC.encode_with(&CODEC.req(vec![m]), false);
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(
        body["messages"][0]["content"],
        json!([
            {"type": "image", "source": {"type": "url", "url": "https://example.com/cat.png"}},
            {"type": "image", "source": {"type": "base64", "media_type": "image/jpeg", "data": "/9j/4AAQ"}},
            {"type": "image", "source": {"type": "file", "file_id": "file_img"}},
            {"type": "document", "title": "report.pdf", "source": {"type": "base64", "media_type": "application/pdf", "data": "JVBERi0xLjQ="}},
            {"type": "document", "source": {"type": "url", "url": "https://example.com/a.pdf"}},
            {"type": "document", "source": {"type": "file", "file_id": "file_doc"}},
        ])
    );
}

#[test]
fn encode_tool_call_arguments_become_input_objects() {
    let m = Message::new(
        Role::Assistant,
        vec![
            call("a", "f", json!({"k": 1})),
            call("b", "f", json!("{\"k\":2}")),
            call("c", "f", json!("{\"k\":")),
            call("d", "f", json!([1, 2])),
        ],
    );
    let inputs: Vec<Value> = CODEC.body_of(&CODEC.req(vec![m]))["messages"][0]["content"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["input"].clone())
        .collect();
    assert_eq!(
        inputs,
        [json!({"k": 1}), json!({"k": 2}), json!({}), json!({})]
    );
}

#[test]
fn encode_reasoning_round_trips_thinking_blocks() {
    let m = Message::new(
        Role::Assistant,
        vec![
            Part::Reasoning(Reasoning {
                text: "Let me think.".into(),
                signature: Some("sig-1".into()),
                ..Default::default()
            }),
            Part::Reasoning(Reasoning {
                encrypted: Some("redacted-data".into()),
                ..Default::default()
            }),
            // Another provider's reasoning has no signature and cannot be sent back.
            Part::Reasoning(Reasoning {
                text: "foreign".into(),
                id: Some("rs_1".into()),
                ..Default::default()
            }),
            Part::text("Answer."),
        ],
    );
    let (_, body, warnings) = CODEC.encode_with(&CODEC.req(vec![m]), false);
    assert!(warnings.is_empty());
    assert_eq!(
        body["messages"][0]["content"],
        json!([
            {"type": "thinking", "thinking": "Let me think.", "signature": "sig-1"},
            {"type": "redacted_thinking", "data": "redacted-data"},
            {"type": "text", "text": "Answer."},
        ])
    );
}

#[test]
fn encode_cache_breakpoint_marks_the_previous_block() {
    let m = Message::new(
        Role::User,
        vec![
            Part::text("Big document"),
            Part::CacheBreakpoint(CacheBreakpoint::default()),
            Part::text("Question"),
        ],
    );
    let tool = Message::new(
        Role::Tool,
        vec![
            Part::ToolResult(ToolResult::text("toolu_1", "result")),
            Part::CacheBreakpoint(CacheBreakpoint {
                ttl: Some("5m".into()),
            }),
        ],
    );
    let body = CODEC.body_of(&CODEC.req(vec![m, Message::assistant("ok"), tool]));
    assert_eq!(
        body["messages"][0]["content"],
        json!([
            {"type": "text", "text": "Big document", "cache_control": {"type": "ephemeral"}},
            {"type": "text", "text": "Question"},
        ])
    );
    assert_eq!(
        body["messages"][2]["content"][0]["cache_control"],
        json!({"type": "ephemeral", "ttl": "5m"})
    );
}

#[test]
fn encode_provider_items_go_back_only_to_anthropic() {
    let raw = json!({"type": "server_tool_use", "id": "srvtoolu_1", "name": "web_search", "input": {"query": "q"}});
    let m = Message::new(
        Role::Assistant,
        vec![
            Part::ProviderItem(ProviderItem {
                api: "anthropic".into(),
                item_type: "server_tool_use".into(),
                raw: raw.clone(),
            }),
            Part::ProviderItem(ProviderItem {
                api: "openai-responses".into(),
                item_type: "web_search_call".into(),
                raw: json!({"type": "web_search_call"}),
            }),
            Part::Refusal { text: "no".into() },
        ],
    );
    let (_, body, warnings) = CODEC.encode_with(&CODEC.req(vec![m]), false);
    assert_eq!(body["messages"][0]["content"], json!([raw]));
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(warnings[0].message.contains("provider item"));
    assert!(warnings[1].message.contains("refusal"));
}

#[test]
fn encode_drops_messages_left_empty() {
    let m = Message::new(Role::User, vec![Part::Refusal { text: "x".into() }]);
    let (_, body, warnings) = CODEC.encode_with(&CODEC.req(vec![m, Message::user("Hi")]), false);
    assert_eq!(
        body["messages"],
        json!([{"role": "user", "content": [{"type": "text", "text": "Hi"}]}])
    );
    assert_eq!(warnings.len(), 1);
}

#[test]
fn encode_tools_and_every_tool_choice() {
    let mut weather = Tool::new(
        "get_weather",
        "Weather for a city",
        json!({"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}),
    );
    weather.strict = Some(true);
    let bare = Tool {
        name: "now".into(),
        ..Default::default()
    };
    let base = CODEC
        .req(vec![Message::user("Hi")])
        .with_tool(weather)
        .with_tool(bare);
    let body = CODEC.body_of(&base);
    assert_eq!(
        body["tools"],
        json!([
            {"name": "get_weather", "description": "Weather for a city", "strict": true,
             "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}},
            {"name": "now", "input_schema": {"type": "object", "properties": {}}},
        ])
    );
    assert!(body.get("tool_choice").is_none());
    for (choice, expected) in [
        (ToolChoice::Auto, json!({"type": "auto"})),
        (ToolChoice::None, json!({"type": "none"})),
        (ToolChoice::Required, json!({"type": "any"})),
        (
            ToolChoice::Tool("get_weather".into()),
            json!({"type": "tool", "name": "get_weather"}),
        ),
    ] {
        let body = CODEC.body_of(&base.clone().with_tool_choice(choice.clone()));
        assert_eq!(body["tool_choice"], expected, "{choice:?}");
    }
}

#[test]
fn encode_parallel_tool_calls_false_disables_parallel_use() {
    let mut r = CODEC.req(vec![Message::user("Hi")]);
    r.parallel_tool_calls = Some(false);
    assert_eq!(
        CODEC.body_of(&r)["tool_choice"],
        json!({"type": "auto", "disable_parallel_tool_use": true})
    );
    let with_choice = r.clone().with_tool_choice(ToolChoice::Required);
    assert_eq!(
        CODEC.body_of(&with_choice)["tool_choice"],
        json!({"type": "any", "disable_parallel_tool_use": true})
    );
    r.parallel_tool_calls = Some(true);
    assert!(CODEC.body_of(&r).get("tool_choice").is_none());
    assert!(CODEC.body_of(&r).get("parallel_tool_calls").is_none());
}

#[test]
fn encode_generation_settings() {
    let mut r = CODEC
        .req(vec![Message::user("Hi")])
        .with_max_tokens(300)
        .with_temperature(0.7);
    r.top_p = Some(0.95);
    r.top_k = Some(40);
    r.stop = vec!["\n\nHuman:".into(), "END".into()];
    r.service_tier = Some("standard_only".into());
    r.user = Some("user-42".into());
    let (_, body, warnings) = CODEC.encode_with(&r, false);
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(body["max_tokens"], 300);
    assert_eq!(body["temperature"], 0.7);
    assert_eq!(body["top_p"], 0.95);
    assert_eq!(body["top_k"], 40);
    assert_eq!(body["stop_sequences"], json!(["\n\nHuman:", "END"]));
    assert!(body.get("stop").is_none());
    assert_eq!(body["service_tier"], "standard_only");
    assert_eq!(body["metadata"], json!({"user_id": "user-42"}));
    assert!(body.get("user").is_none());
}

#[test]
fn encode_unsupported_settings_warn_and_are_not_sent() {
    let mut r = CODEC
        .req(vec![Message::user("Hi")])
        .with_response_format(ResponseFormat::JsonObject);
    r.seed = Some(7);
    r.n = Some(2);
    r.frequency_penalty = Some(0.1);
    r.presence_penalty = Some(0.1);
    r.logprobs = Some(true);
    let (_, body, warnings) = CODEC.encode_with(&r, false);
    assert_eq!(
        settings(&warnings),
        [
            "seed",
            "n",
            "frequency_penalty",
            "presence_penalty",
            "logprobs",
            "response_format"
        ]
    );
    assert!(warnings[0].message.contains("anthropic"));
    for key in [
        "seed",
        "n",
        "frequency_penalty",
        "presence_penalty",
        "logprobs",
        "response_format",
    ] {
        assert!(body.get(key).is_none(), "{key} was sent");
    }
}

#[test]
fn encode_thinking_from_effort_and_budget() {
    let base = CODEC.req(vec![Message::user("Hi")]);

    let high = CODEC.body_of(&base.clone().with_reasoning(ReasoningConfig {
        effort: Some(ReasoningEffort::High),
        ..Default::default()
    }));
    assert_eq!(
        high["thinking"],
        json!({"type": "enabled", "budget_tokens": 4096})
    );
    // Without a limit the default leaves room for the answer on top of the budget.
    assert_eq!(high["max_tokens"], DEFAULT_MAX_TOKENS + 4096);

    let small = CODEC.body_of(&base.clone().with_max_tokens(3000).with_reasoning(
        ReasoningConfig {
            budget_tokens: Some(500),
            ..Default::default()
        },
    ));
    // The API's minimum budget is 1024.
    assert_eq!(
        small["thinking"],
        json!({"type": "enabled", "budget_tokens": 1024})
    );
    assert_eq!(small["max_tokens"], 3000);

    let off = CODEC.body_of(&base.clone().with_reasoning(ReasoningConfig {
        effort: Some(ReasoningEffort::None),
        budget_tokens: Some(2000),
        ..Default::default()
    }));
    assert!(off.get("thinking").is_none());
    assert_eq!(off["max_tokens"], DEFAULT_MAX_TOKENS);

    let summary_only = CODEC.body_of(&base.with_reasoning(ReasoningConfig {
        summary: Some("auto".into()),
        ..Default::default()
    }));
    assert!(summary_only.get("thinking").is_none());
}

#[test]
fn encode_stream_flag() {
    let (request, body, _) = CODEC.encode_with(&CODEC.req(vec![Message::user("Hi")]), true);
    assert_eq!(body["stream"], true);
    assert!(body.get("stream_options").is_none());
    assert_eq!(request.headers()["accept"], "text/event-stream");
    assert!(CODEC
        .body_of(&CODEC.req(vec![Message::user("Hi")]))
        .get("stream")
        .is_none());
}

#[test]
fn encode_provider_options_merge_deeply() {
    let mut r = CODEC
        .req(vec![Message::user("Hi")])
        .with_reasoning(ReasoningConfig {
            effort: Some(ReasoningEffort::Low),
            ..Default::default()
        });
    r.user = Some("u1".into());
    let r = r
        .with_provider_option("thinking", json!({"budget_tokens": 3000}))
        .with_provider_option("metadata", json!({"user_id": "u2"}))
        .with_provider_option("container", json!("container_abc"))
        .with_provider_option("max_tokens", json!(9000));
    let body = CODEC.body_of(&r);
    assert_eq!(
        body["thinking"],
        json!({"type": "enabled", "budget_tokens": 3000})
    );
    assert_eq!(body["metadata"], json!({"user_id": "u2"}));
    assert_eq!(body["container"], "container_abc");
    assert_eq!(body["max_tokens"], 9000);
}

#[test]
fn encode_round_trips_decoded_answers() {
    for text in [
        include_str!("fixtures/web_search.json"),
        include_str!("fixtures/thinking_text.json"),
        include_str!("fixtures/tool_use.json"),
    ] {
        let answer = CODEC.decode(text);
        let r = CODEC.req(vec![
            Message::user("Question"),
            Message::new(Role::Assistant, answer.content),
        ]);
        let (_, body, warnings) = CODEC.encode_with(&r, false);
        assert!(warnings.is_empty(), "{warnings:?}");
        let mut expected = fixture(text)["content"].clone();
        // Citations are metadata of the answer; the text goes back plain.
        for block in expected.as_array_mut().unwrap() {
            block.as_object_mut().unwrap().remove("citations");
        }
        assert_eq!(body["messages"][1]["content"], expected);
    }
}

// ---------------------------------------------------------------------------------------------
// Decode
// ---------------------------------------------------------------------------------------------

#[test]
fn decode_thinking_and_text() {
    let r = CODEC.decode(include_str!("fixtures/thinking_text.json"));
    assert_eq!(r.id.as_deref(), Some("msg_exllm_1"));
    assert_eq!(r.model.as_deref(), Some("claude-sonnet-4-5-20250929"));
    assert_eq!(
        r.content,
        vec![
            Part::Reasoning(Reasoning {
                text: "Let me add 2 and 2. That is 4.".into(),
                signature: Some("EqQBCkgIARABGAIiQexllm-signature".into()),
                ..Default::default()
            }),
            Part::text("2 + 2 = 4."),
        ]
    );
    assert_eq!(finish_of(&r), (FinishKind::Stop, Some("end_turn")));
    let u = r.usage.as_ref().unwrap();
    // input = plain + cache write + cache read.
    assert_eq!(u.input_tokens, Some(50 + 100 + 2000));
    assert_eq!(u.cache_write_tokens, Some(100));
    assert_eq!(u.cache_read_tokens, Some(2000));
    assert_eq!(u.output_tokens, Some(70));
    assert_eq!(u.reasoning_tokens, None);
    assert_eq!(u.raw.as_ref().unwrap().value()["service_tier"], "standard");
    assert_eq!(r.service_tier.as_deref(), Some("standard"));
    // A null stop_sequence adds no metadata.
    assert!(r.provider_meta.is_empty());
}

#[test]
fn decode_tool_use() {
    let r = CODEC.decode(include_str!("fixtures/tool_use.json"));
    assert_eq!(
        r.content,
        vec![
            Part::text("I'll check the weather."),
            call(
                "toolu_exllm_1",
                "get_weather",
                json!({"city": "Paris", "unit": "celsius"})
            ),
            call("toolu_exllm_2", "get_time", json!({})),
        ]
    );
    assert_eq!(finish_of(&r), (FinishKind::ToolCalls, Some("tool_use")));
    let u = r.usage.unwrap();
    assert_eq!(u.input_tokens, Some(400));
    assert_eq!(u.cache_read_tokens, Some(0));
}

#[test]
fn decode_tool_use_without_input_gets_empty_object() {
    let r = CODEC.decode(
        r#"{"content":[{"type":"tool_use","id":"t1","name":"a","input":null},{"type":"tool_use","id":"t2","name":"b"}],"stop_reason":"tool_use"}"#,
    );
    let calls = r.tool_calls();
    assert_eq!(calls[0].arguments, json!({}));
    assert_eq!(calls[1].arguments, json!({}));
}

#[test]
fn decode_redacted_thinking() {
    let r = CODEC.decode(
        r#"{"id":"m","content":[
            {"type":"redacted_thinking","data":"EmwKAhgBEgy-redacted"},
            {"type":"thinking","thinking":"","signature":"sig-empty"},
            {"type":"text","text":"Done."}
        ],"stop_reason":"end_turn"}"#,
    );
    assert_eq!(
        r.content,
        vec![
            Part::Reasoning(Reasoning {
                encrypted: Some("EmwKAhgBEgy-redacted".into()),
                ..Default::default()
            }),
            Part::Reasoning(Reasoning {
                signature: Some("sig-empty".into()),
                ..Default::default()
            }),
            Part::text("Done."),
        ]
    );
}

#[test]
fn decode_server_tools_and_citations() {
    let r = CODEC.decode(include_str!("fixtures/web_search.json"));
    let blocks = fixture(include_str!("fixtures/web_search.json"))["content"].clone();
    assert_eq!(r.content.len(), 3);
    assert_eq!(
        r.content[0],
        Part::ProviderItem(ProviderItem {
            api: "anthropic".into(),
            item_type: "server_tool_use".into(),
            raw: blocks[0].clone(),
        })
    );
    assert_eq!(
        r.content[1],
        Part::ProviderItem(ProviderItem {
            api: "anthropic".into(),
            item_type: "web_search_tool_result".into(),
            raw: blocks[1].clone(),
        })
    );
    assert_eq!(r.content[2], Part::text("Paris is sunny today."));
    assert_eq!(r.provider_meta["citations"], blocks[2]["citations"]);
    // Server tool calls alone do not turn the finish into tool_calls.
    assert_eq!(finish_of(&r), (FinishKind::Stop, Some("end_turn")));
    assert_eq!(
        r.usage.unwrap().raw.unwrap().value()["server_tool_use"]["web_search_requests"],
        1
    );
}

#[test]
fn decode_unknown_blocks_are_kept_as_provider_items() {
    let r = CODEC.decode(
        r#"{"content":[{"type":"mcp_tool_use","id":"mcptoolu_1","name":"search","server_name":"docs","input":{"q":"x"}},{"type":"brand_new_block","x":1}],"stop_reason":"end_turn"}"#,
    );
    let types: Vec<&str> = r
        .content
        .iter()
        .map(|p| match p {
            Part::ProviderItem(i) => i.item_type.as_str(),
            _ => "not a provider item",
        })
        .collect();
    assert_eq!(types, ["mcp_tool_use", "brand_new_block"]);
}

#[test]
fn decode_stop_reasons() {
    for (raw, kind) in [
        ("end_turn", FinishKind::Stop),
        ("stop_sequence", FinishKind::Stop),
        ("max_tokens", FinishKind::Length),
        ("model_context_window_exceeded", FinishKind::Length),
        ("tool_use", FinishKind::ToolCalls),
        ("refusal", FinishKind::ContentFilter),
        ("pause_turn", FinishKind::Other),
        ("something_new", FinishKind::Other),
    ] {
        let r = CODEC.decode(
            &json!({"content": [{"type": "text", "text": "x"}], "stop_reason": raw}).to_string(),
        );
        assert_eq!(finish_of(&r), (kind, Some(raw)), "{raw}");
    }
    assert!(CODEC
        .decode(r#"{"content":[],"stop_reason":null}"#)
        .finish
        .is_none());
}

#[test]
fn decode_stop_sequence_and_container_metadata() {
    let r = CODEC.decode(
        r#"{"content":[{"type":"text","text":"a"}],"stop_reason":"stop_sequence","stop_sequence":"END",
            "container":{"id":"container_1","expires_at":"2025-01-01T00:00:00Z"},"context_management":null}"#,
    );
    assert_eq!(r.provider_meta["stop_sequence"], "END");
    assert_eq!(r.provider_meta["container"]["id"], "container_1");
    assert!(!r.provider_meta.contains_key("context_management"));
}

#[test]
fn decode_usage_counts_stay_unknown_when_missing() {
    let r = CODEC.decode(r#"{"content":[],"usage":{"input_tokens":12,"output_tokens":3}}"#);
    let u = r.usage.unwrap();
    assert_eq!(u.input_tokens, Some(12));
    assert_eq!(u.cache_read_tokens, None);
    assert_eq!(u.cache_write_tokens, None);

    let u = usage(json!({"cache_read_input_tokens": 100, "output_tokens": 1}));
    assert_eq!(u.input_tokens, Some(100));
    let u = usage(json!({"output_tokens": 1}));
    assert_eq!(u.input_tokens, None);

    assert!(CODEC.decode(r#"{"content":[]}"#).usage.is_none());
}

#[test]
fn decode_malformed_body_is_a_decode_error() {
    for body in [
        "",
        "nope",
        "{\"content\": [",
        "{\"content\": \"text\"}",
        "{\"stop_reason\": 1}",
    ] {
        let err = AnthropicCodec.decode(body.as_bytes()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Decode, "{body}");
    }
}

#[test]
fn list_models_request_and_decode() {
    let request = AnthropicCodec.list_models(&endpoint()).unwrap();
    assert_eq!(request.method(), http::Method::GET);
    assert_eq!(request.uri(), "https://api.anthropic.com/v1/models");
    assert_eq!(request.headers()["x-api-key"], "sk-ant-test");
    let models = AnthropicCodec
        .decode_models(
            br#"{"data":[{"type":"model","id":"claude-sonnet-4-5-20250929","display_name":"Claude Sonnet 4.5","created_at":"2025-09-29T00:00:00Z"}],"has_more":false,"first_id":"claude-sonnet-4-5-20250929","last_id":"claude-sonnet-4-5-20250929"}"#,
        )
        .unwrap();
    assert_eq!(models.len(), 1);
    assert_eq!(models[0].id, "claude-sonnet-4-5-20250929");
    assert_eq!(models[0].display_name.as_deref(), Some("Claude Sonnet 4.5"));
}

// ---------------------------------------------------------------------------------------------
// Stream
// ---------------------------------------------------------------------------------------------

#[test]
fn stream_thinking_and_text_equals_decode() {
    let streamed = CODEC.stream(&sse(include_str!("fixtures/thinking_text.sse")));
    assert_eq!(
        streamed,
        CODEC.decode(include_str!("fixtures/thinking_text.json"))
    );
}

#[test]
fn stream_usage_merges_message_start_and_delta() {
    let streamed = CODEC.stream(&sse(include_str!("fixtures/thinking_text.sse")));
    let u = streamed.usage.unwrap();
    assert_eq!(u.input_tokens, Some(2150));
    assert_eq!(u.output_tokens, Some(70));
    assert_eq!(u.cache_read_tokens, Some(2000));
    assert_eq!(u.cache_write_tokens, Some(100));
}

#[test]
fn stream_tool_use_equals_decode() {
    let streamed = CODEC.stream(&sse(include_str!("fixtures/tool_use.sse")));
    assert_eq!(
        streamed,
        CODEC.decode(include_str!("fixtures/tool_use.json"))
    );
    assert_eq!(
        streamed.tool_calls()[0].arguments,
        json!({"city": "Paris", "unit": "celsius"})
    );
}

#[test]
fn stream_tool_use_with_input_in_the_start_block() {
    let streamed = CODEC.stream(&typed_frames(&[
        START,
        r#"{"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"toolu_9","name":"lookup","input":{"id":7}}}"#,
        r#"{"type":"content_block_stop","index":0}"#,
        r#"{"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":5}}"#,
        STOP,
    ]));
    assert_eq!(
        streamed.content,
        vec![call("toolu_9", "lookup", json!({"id": 7}))]
    );
}

#[test]
fn stream_server_tools_and_citations_equal_decode() {
    let streamed = CODEC.stream(&sse(include_str!("fixtures/web_search.sse")));
    assert_eq!(
        streamed,
        CODEC.decode(include_str!("fixtures/web_search.json"))
    );
}

#[test]
fn stream_redacted_thinking_equals_decode() {
    let streamed = CODEC.stream(&typed_frames(&[
        START,
        r#"{"type":"content_block_start","index":0,"content_block":{"type":"redacted_thinking","data":"EmwKAhgB-redacted"}}"#,
        r#"{"type":"content_block_stop","index":0}"#,
        r#"{"type":"content_block_start","index":1,"content_block":{"type":"text","text":""}}"#,
        r#"{"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"Done."}}"#,
        r#"{"type":"content_block_stop","index":1}"#,
        END_TURN,
        STOP,
    ]));
    let whole = CODEC.decode(
        r#"{"id":"msg_s","model":"claude-sonnet-4-5","content":[{"type":"redacted_thinking","data":"EmwKAhgB-redacted"},{"type":"text","text":"Done."}],
            "stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":10,"output_tokens":5}}"#,
    );
    assert_eq!(streamed, whole);
}

#[test]
fn stream_stop_sequence_equals_decode() {
    let streamed = CODEC.stream(&typed_frames(&[
        START,
        r#"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#,
        r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"1, 2, 3"}}"#,
        r#"{"type":"content_block_stop","index":0}"#,
        r#"{"type":"message_delta","delta":{"stop_reason":"stop_sequence","stop_sequence":"4"},"usage":{"output_tokens":5}}"#,
        STOP,
    ]));
    let whole = CODEC.decode(
        r#"{"id":"msg_s","model":"claude-sonnet-4-5","content":[{"type":"text","text":"1, 2, 3"}],
            "stop_reason":"stop_sequence","stop_sequence":"4","usage":{"input_tokens":10,"output_tokens":5}}"#,
    );
    assert_eq!(streamed, whole);
    assert_eq!(streamed.provider_meta["stop_sequence"], "4");
}

#[test]
fn stream_skips_pings_and_unknown_events_and_deltas() {
    let unknown_block = r#"{"type":"future_block","id":"fb_1","payload":{"a":1}}"#;
    let streamed = CODEC.stream(&typed_frames(&[
        r#"{"type":"ping"}"#,
        START,
        "",
        r#"{"type":"some_future_event","data":{"x":1}}"#,
        r#"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#,
        r#"{"type":"content_block_delta","index":0,"delta":{"type":"future_delta","stuff":"?"}}"#,
        r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello"}}"#,
        r#"{"type":"content_block_stop","index":0}"#,
        &format!(r#"{{"type":"content_block_start","index":1,"content_block":{unknown_block}}}"#),
        r#"{"type":"content_block_stop","index":1}"#,
        r#"{"type":"content_block_stop","index":7}"#,
        r#"{"type":"ping"}"#,
        END_TURN,
        STOP,
    ]));
    let whole = CODEC.decode(&format!(
        r#"{{"id":"msg_s","model":"claude-sonnet-4-5","content":[{{"type":"text","text":"Hello"}},{unknown_block}],
            "stop_reason":"end_turn","usage":{{"input_tokens":10,"output_tokens":5}}}}"#
    ));
    assert_eq!(streamed, whole);
    assert_eq!(streamed.text(), "Hello");
}

#[test]
fn stream_error_event_ends_with_error() {
    let (events, end) = CODEC.stream_events(&typed_frames(&[
        START,
        r#"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#,
        r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Partial"}}"#,
        r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#,
    ]));
    end.expect("an error event is terminal");
    let r = collect(events);
    assert_eq!(r.text(), "Partial");
    assert_eq!(finish_of(&r), (FinishKind::Error, Some("overloaded_error")));
    let e = r.error.unwrap();
    assert_eq!(e.code.as_deref(), Some("overloaded_error"));
    assert_eq!(e.message, "Overloaded");
    // Usage from message_start is still reported.
    assert_eq!(r.usage.unwrap().input_tokens, Some(10));
}

#[test]
fn stream_without_terminal_event_is_truncated() {
    let (events, end) = CODEC.stream_events(&typed_frames(&[
        START,
        r#"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#,
        r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Once upon"}}"#,
        r#"{"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_1","name":"f","input":{}}}"#,
        r#"{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"a\":"}}"#,
    ]));
    assert_eq!(end.unwrap_err().kind(), ErrorKind::Truncated);
    let partial = collect(events);
    assert_eq!(partial.text(), "Once upon");
    assert!(partial.finish.is_none());

    let (_, end) = CODEC.stream_events::<(String, String)>(&[]);
    assert_eq!(end.unwrap_err().kind(), ErrorKind::Truncated);
}

#[test]
fn stream_message_delta_without_message_stop_is_complete() {
    let (events, end) = CODEC.stream_events(&typed_frames(&[START, END_TURN]));
    end.unwrap();
    let r = collect(events);
    assert_eq!(finish_of(&r), (FinishKind::Stop, Some("end_turn")));
    assert_eq!(r.usage.unwrap().output_tokens, Some(5));
}

#[test]
fn stream_malformed_json_is_a_decode_error() {
    for bad in [
        "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":",
        "event: ping",
        "{\"type\":[]}",
        "{\"type\":\"content_block_delta\",\"index\":-3}",
        "{\"type\":\"message_start\",\"message\":{},\"index\":\"zero\"}",
    ] {
        let (_, end) = CODEC.stream_events(&typed_frames(&[START, bad]));
        assert_eq!(end.unwrap_err().kind(), ErrorKind::Decode, "{bad}");
    }
}
