//! Encoding: system blocks, role merging and tool results, media, thinking and cache
//! breakpoints, tools and tool choice, settings, warnings and provider options.

use super::*;

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
        sorted_settings(&warnings),
        [
            "frequency_penalty",
            "logprobs",
            "n",
            "presence_penalty",
            "response_format",
            "seed"
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
        include_str!("../fixtures/web_search.json"),
        include_str!("../fixtures/thinking_text.json"),
        include_str!("../fixtures/tool_use.json"),
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
