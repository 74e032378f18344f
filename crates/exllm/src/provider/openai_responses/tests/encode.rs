//! Encoding: input items in order, media, reasoning and provider items, tools and tool
//! choice, settings, response formats, warnings and provider options.

use super::*;

#[test]
fn encode_posts_to_responses_with_bearer_auth() {
    let (request, body, warnings) = CODEC.encode_with(&CODEC.req(vec![Message::user("Hi")]), false);
    assert_eq!(request.method(), http::Method::POST);
    assert_eq!(request.uri(), "https://api.openai.com/v1/responses");
    assert_eq!(request.headers()["authorization"], "Bearer sk-test-key");
    assert_eq!(request.headers()["content-type"], "application/json");
    assert_eq!(request.headers()["accept"], "application/json");
    assert_eq!(
        body,
        json!({
            "model": "gpt-4.1",
            "input": [{"role": "user", "content": [{"type": "input_text", "text": "Hi"}]}],
        })
    );
    assert!(warnings.is_empty());
}

#[test]
fn encode_roles_map_to_input_messages() {
    let r = CODEC.req(vec![
        Message::system("Be brief."),
        Message::developer("Use metric units."),
        Message::user("Hi"),
        Message::assistant("Hello!"),
    ]);
    assert_eq!(
        CODEC.body_of(&r)["input"],
        json!([
            {"role": "system", "content": [{"type": "input_text", "text": "Be brief."}]},
            {"role": "developer", "content": [{"type": "input_text", "text": "Use metric units."}]},
            {"role": "user", "content": [{"type": "input_text", "text": "Hi"}]},
            {"role": "assistant", "content": [{"type": "output_text", "text": "Hello!"}]},
        ])
    );
}

#[test]
fn encode_user_media_parts() {
    let m = Message::new(
        Role::User,
        vec![
            Part::image_url("https://example.com/cat.png"),
            Part::Image {
                source: MediaSource::Base64("iVBORw0KGgo=".into()),
                media_type: Some("image/png".into()),
                detail: Some(ImageDetail::Low),
            },
            Part::Image {
                source: MediaSource::FileId("file-img".into()),
                media_type: None,
                detail: Some(ImageDetail::High),
            },
            Part::File {
                source: MediaSource::Url("https://example.com/a.pdf".into()),
                media_type: None,
                filename: Some("a.pdf".into()),
            },
            Part::File {
                source: MediaSource::Base64("JVBERi0xLjQ=".into()),
                media_type: Some("application/pdf".into()),
                filename: Some("b.pdf".into()),
            },
            Part::File {
                source: MediaSource::FileId("file-abc".into()),
                media_type: None,
                filename: None,
            },
        ],
    );
    let (_, body, warnings) = CODEC.encode_with(&CODEC.req(vec![m]), false);
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(
        body["input"][0]["content"],
        json!([
            {"type": "input_image", "detail": "auto", "image_url": "https://example.com/cat.png"},
            {"type": "input_image", "detail": "low", "image_url": "data:image/png;base64,iVBORw0KGgo="},
            {"type": "input_image", "detail": "high", "file_id": "file-img"},
            {"type": "input_file", "file_url": "https://example.com/a.pdf", "filename": "a.pdf"},
            {"type": "input_file", "file_data": "data:application/pdf;base64,JVBERi0xLjQ=", "filename": "b.pdf"},
            {"type": "input_file", "file_id": "file-abc"},
        ])
    );
}

#[test]
fn encode_reasoning_calls_and_results_are_items_in_order() {
    let assistant = Message::new(
        Role::Assistant,
        vec![
            Part::Reasoning(Reasoning {
                text: "Need the weather.".into(),
                encrypted: Some("gAAAA-enc".into()),
                id: Some("rs_1".into()),
                signature: None,
            }),
            Part::text("Checking."),
            call("call_1", "get_weather", json!({"city": "Paris"})),
            Part::text("Done."),
        ],
    );
    let tool = Message::tool_result(ToolResult::text("call_1", "18C"));
    let r = CODEC.req(vec![
        Message::user("Weather?"),
        assistant,
        tool,
        Message::user("Thanks"),
    ]);
    assert_eq!(
        CODEC.body_of(&r)["input"],
        json!([
            {"role": "user", "content": [{"type": "input_text", "text": "Weather?"}]},
            {"type": "reasoning", "id": "rs_1", "summary": [{"type": "summary_text", "text": "Need the weather."}], "encrypted_content": "gAAAA-enc"},
            {"role": "assistant", "content": [{"type": "output_text", "text": "Checking."}]},
            {"type": "function_call", "call_id": "call_1", "name": "get_weather", "arguments": "{\"city\":\"Paris\"}"},
            {"role": "assistant", "content": [{"type": "output_text", "text": "Done."}]},
            {"type": "function_call_output", "call_id": "call_1", "output": "18C"},
            {"role": "user", "content": [{"type": "input_text", "text": "Thanks"}]},
        ])
    );
}

#[test]
fn encode_reasoning_needs_an_item_id() {
    let m = Message::new(
        Role::Assistant,
        vec![
            // Another provider's reasoning (no Responses item id) cannot be sent back.
            Part::Reasoning(Reasoning {
                text: "thought".into(),
                signature: Some("anthropic-sig".into()),
                ..Default::default()
            }),
            // Hidden reasoning: an id with no summary and no encrypted content.
            Part::Reasoning(Reasoning {
                id: Some("rs_2".into()),
                ..Default::default()
            }),
        ],
    );
    let (_, body, warnings) = CODEC.encode_with(&CODEC.req(vec![m]), false);
    assert_eq!(
        body["input"],
        json!([{"type": "reasoning", "id": "rs_2", "summary": []}])
    );
    assert!(warnings.is_empty());
}

#[test]
fn encode_provider_items_only_go_back_to_their_api() {
    let own = json!({"type": "web_search_call", "id": "ws_1", "status": "completed", "action": {"type": "search", "query": "q"}});
    let m = Message::new(
        Role::Assistant,
        vec![
            Part::ProviderItem(ProviderItem {
                api: "openai-responses".into(),
                item_type: "web_search_call".into(),
                raw: own.clone(),
            }),
            Part::ProviderItem(ProviderItem {
                api: "anthropic".into(),
                item_type: "server_tool_use".into(),
                raw: json!({"type": "server_tool_use"}),
            }),
            Part::text("Found it."),
        ],
    );
    let (_, body, warnings) = CODEC.encode_with(&CODEC.req(vec![m]), false);
    assert_eq!(
        body["input"],
        json!([own, {"role": "assistant", "content": [{"type": "output_text", "text": "Found it."}]}])
    );
    assert_eq!(warnings.len(), 1);
    assert!(
        warnings[0].message.contains("provider item"),
        "{warnings:?}"
    );
}

#[test]
fn encode_refusal_and_cache_breakpoint() {
    let m = Message::new(
        Role::Assistant,
        vec![
            Part::Refusal {
                text: "I can't help.".into(),
            },
            Part::CacheBreakpoint(CacheBreakpoint::default()),
        ],
    );
    let (_, body, warnings) = CODEC.encode_with(&CODEC.req(vec![m]), false);
    assert_eq!(
        body["input"],
        json!([{"role": "assistant", "content": [{"type": "refusal", "refusal": "I can't help."}]}])
    );
    assert!(warnings.is_empty());
}

#[test]
fn encode_tools_and_every_tool_choice() {
    let mut weather = Tool::new(
        "get_weather",
        "Weather for a city",
        json!({"type": "object", "properties": {"city": {"type": "string"}}}),
    );
    weather.strict = Some(false);
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
            {"type": "function", "name": "get_weather", "description": "Weather for a city",
             "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}, "strict": false},
            {"type": "function", "name": "now", "parameters": {"type": "object", "properties": {}}},
        ])
    );
    assert!(body.get("tool_choice").is_none());
    for (choice, expected) in [
        (ToolChoice::Auto, json!("auto")),
        (ToolChoice::None, json!("none")),
        (ToolChoice::Required, json!("required")),
        (
            ToolChoice::Tool("get_weather".into()),
            json!({"type": "function", "name": "get_weather"}),
        ),
    ] {
        let body = CODEC.body_of(&base.clone().with_tool_choice(choice.clone()));
        assert_eq!(body["tool_choice"], expected, "{choice:?}");
    }
}

#[test]
fn encode_generation_settings() {
    let mut r = CODEC
        .req(vec![Message::user("Hi")])
        .with_max_tokens(500)
        .with_temperature(0.3);
    r.top_p = Some(0.9);
    r.parallel_tool_calls = Some(false);
    r.service_tier = Some("priority".into());
    r.user = Some("user-1".into());
    r.top_logprobs = Some(2);
    let (_, body, warnings) = CODEC.encode_with(&r, false);
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(body["max_output_tokens"], 500);
    assert!(body.get("max_tokens").is_none());
    assert!(body.get("max_completion_tokens").is_none());
    assert_eq!(body["temperature"], 0.3);
    assert_eq!(body["top_p"], 0.9);
    assert_eq!(body["parallel_tool_calls"], false);
    assert_eq!(body["service_tier"], "priority");
    assert_eq!(body["user"], "user-1");
    assert_eq!(body["top_logprobs"], 2);
}

#[test]
fn encode_unsupported_settings_warn_and_are_not_sent() {
    let mut r = CODEC.req(vec![Message::user("Hi")]);
    r.top_k = Some(5);
    r.stop = vec!["END".into()];
    r.seed = Some(1);
    r.n = Some(2);
    r.frequency_penalty = Some(0.1);
    r.presence_penalty = Some(0.2);
    r.reasoning = Some(ReasoningConfig {
        budget_tokens: Some(1000),
        ..Default::default()
    });
    let (_, body, warnings) = CODEC.encode_with(&r, false);
    assert_eq!(
        sorted_settings(&warnings),
        [
            "frequency_penalty",
            "n",
            "presence_penalty",
            "reasoning.budget_tokens",
            "seed",
            "stop",
            "top_k"
        ]
    );
    for key in [
        "top_k",
        "stop",
        "seed",
        "n",
        "frequency_penalty",
        "presence_penalty",
        "reasoning",
    ] {
        assert!(body.get(key).is_none(), "{key} was sent");
    }
}

#[test]
fn encode_response_formats_go_under_text_format() {
    let base = CODEC.req(vec![Message::user("Hi")]);
    assert_eq!(
        CODEC.body_of(&base.clone().with_response_format(ResponseFormat::Text))["text"],
        json!({"format": {"type": "text"}})
    );
    assert_eq!(
        CODEC.body_of(
            &base
                .clone()
                .with_response_format(ResponseFormat::JsonObject)
        )["text"],
        json!({"format": {"type": "json_object"}})
    );
    let schema = json!({"type": "object", "properties": {"n": {"type": "number"}}, "required": ["n"], "additionalProperties": false});
    let f = ResponseFormat::JsonSchema {
        name: "number".into(),
        schema: schema.clone(),
        description: Some("A number".into()),
        strict: Some(true),
    };
    let body = CODEC.body_of(&base.with_response_format(f));
    assert_eq!(
        body["text"],
        json!({"format": {"type": "json_schema", "name": "number", "schema": schema, "description": "A number", "strict": true}})
    );
    assert!(body.get("response_format").is_none());
}

#[test]
fn encode_reasoning_effort_and_summary() {
    let r = CODEC
        .req(vec![Message::user("Hi")])
        .with_reasoning(ReasoningConfig {
            effort: Some(ReasoningEffort::Minimal),
            summary: Some("auto".into()),
            budget_tokens: None,
        });
    let (_, body, warnings) = CODEC.encode_with(&r, false);
    assert_eq!(
        body["reasoning"],
        json!({"effort": "minimal", "summary": "auto"})
    );
    assert!(body.get("reasoning_effort").is_none());
    assert!(warnings.is_empty());
}

#[test]
fn encode_stream_flag() {
    let (request, body, _) = CODEC.encode_with(&CODEC.req(vec![Message::user("Hi")]), true);
    assert_eq!(body["stream"], true);
    // Responses always streams usage in response.completed; there is no stream_options.
    assert!(body.get("stream_options").is_none());
    assert_eq!(request.headers()["accept"], "text/event-stream");
    let body = CODEC.body_of(&CODEC.req(vec![Message::user("Hi")]));
    assert!(body.get("stream").is_none());
}

#[test]
fn encode_provider_options_merge_deeply() {
    let r = CODEC
        .req(vec![Message::user("Hi")])
        .with_response_format(ResponseFormat::JsonObject)
        .with_reasoning(ReasoningConfig {
            effort: Some(ReasoningEffort::Low),
            ..Default::default()
        })
        .with_provider_option("reasoning", json!({"summary": "detailed"}))
        .with_provider_option("text", json!({"verbosity": "low"}))
        .with_provider_option("store", json!(false))
        .with_provider_option("include", json!(["reasoning.encrypted_content"]));
    let body = CODEC.body_of(&r);
    assert_eq!(
        body["reasoning"],
        json!({"effort": "low", "summary": "detailed"})
    );
    assert_eq!(
        body["text"],
        json!({"format": {"type": "json_object"}, "verbosity": "low"})
    );
    assert_eq!(body["store"], false);
    assert_eq!(body["include"], json!(["reasoning.encrypted_content"]));
}

#[test]
fn encode_round_trips_a_decoded_answer() {
    let answer = CODEC.decode(include_str!("../fixtures/tools.json"));
    let r = CODEC.req(vec![
        Message::user("Weather in Paris?"),
        Message::new(Role::Assistant, answer.content.clone()),
    ]);
    let (_, body, warnings) = CODEC.encode_with(&r, false);
    assert!(warnings.is_empty(), "{warnings:?}");
    let fixture: Value = serde_json::from_str(include_str!("../fixtures/tools.json")).unwrap();
    assert_eq!(
        body["input"][1], fixture["output"][0],
        "the provider item goes back verbatim"
    );
    assert_eq!(
        body["input"][2],
        json!({"role": "assistant", "content": [{"type": "output_text", "text": "Paris is sunny today."}]})
    );
    assert_eq!(
        body["input"][3],
        json!({"type": "function_call", "call_id": "call_exllm_1", "name": "get_forecast", "arguments": "{\"city\":\"Paris\",\"days\":3}"})
    );

    let answer = CODEC.decode(include_str!("../fixtures/reasoning_text.json"));
    let body = CODEC.body_of(&CODEC.req(vec![Message::new(Role::Assistant, answer.content)]));
    assert_eq!(body["input"][0]["type"], "reasoning");
    assert_eq!(body["input"][0]["id"], "rs_exllm_1");
    assert_eq!(
        body["input"][0]["encrypted_content"],
        "gAAAAB-exllm-opaque-reasoning=="
    );
}
