//! Encoding: paths, auth, every part kind, settings, quirks and warnings.

use super::*;

#[test]
fn encode_posts_json_to_chat_completions_with_bearer_auth() {
    let (request, body, warnings) = CODEC.encode_with(&CODEC.req(vec![Message::user("Hi")]), false);
    assert_eq!(request.method(), http::Method::POST);
    assert_eq!(request.uri(), "https://api.openai.com/v1/chat/completions");
    let h = request.headers();
    assert_eq!(h["authorization"], "Bearer sk-test-key");
    assert_eq!(h["content-type"], "application/json");
    assert_eq!(h["accept"], "application/json");
    assert_eq!(body["model"], "gpt-4o-mini");
    assert_eq!(body["messages"], json!([{"role": "user", "content": "Hi"}]));
    assert!(body.get("stream").is_none());
    assert!(body.get("stream_options").is_none());
    assert!(warnings.is_empty());
}

#[test]
fn encode_uses_header_auth_and_extra_headers() {
    let mut ep = Endpoint::new("azure", "https://example.openai.azure.com/openai/v1");
    ep.auth = Auth::Header {
        name: "api-key".into(),
        value: Secret::new("azure-key"),
    };
    ep.headers.push(("x-title".into(), "exllm".into()));
    let (request, _, _) = CODEC.encode_to(&CODEC.req(vec![Message::user("Hi")]), &ep, false);
    assert_eq!(
        request.uri(),
        "https://example.openai.azure.com/openai/v1/chat/completions"
    );
    assert_eq!(request.headers()["api-key"], "azure-key");
    assert_eq!(request.headers()["x-title"], "exllm");
    assert!(request.headers().get("authorization").is_none());
}

#[test]
fn encode_developer_role_follows_quirk() {
    let r = CODEC.req(vec![
        Message::system("Be brief."),
        Message::developer("Use metric units."),
        Message::user("Hi"),
    ]);
    let mut ep = endpoint();
    ep.quirks.developer_role = false;
    let (_, body, _) = CODEC.encode_to(&r, &ep, false);
    assert_eq!(
        body["messages"][0],
        json!({"role": "system", "content": "Be brief."})
    );
    assert_eq!(
        body["messages"][1],
        json!({"role": "system", "content": "Use metric units."})
    );

    ep.quirks.developer_role = true;
    let (_, body, _) = CODEC.encode_to(&r, &ep, false);
    assert_eq!(body["messages"][0]["role"], "system");
    assert_eq!(
        body["messages"][1],
        json!({"role": "developer", "content": "Use metric units."})
    );
}

#[test]
fn encode_system_text_parts_are_joined() {
    let r = CODEC.req(vec![Message::new(
        Role::System,
        vec![Part::text("One. "), Part::text("Two.")],
    )]);
    assert_eq!(
        CODEC.body_of(&r)["messages"],
        json!([{"role": "system", "content": "One. Two."}])
    );
}

#[test]
fn encode_user_name_is_kept() {
    let mut m = Message::user("Hi");
    m.name = Some("alice".into());
    assert_eq!(
        CODEC.body_of(&CODEC.req(vec![m]))["messages"][0],
        json!({"role": "user", "content": "Hi", "name": "alice"})
    );
}

#[test]
fn encode_user_media_parts() {
    let m = Message::new(
        Role::User,
        vec![
            Part::text("What is in these?"),
            Part::Image {
                source: MediaSource::Url("https://example.com/cat.png".into()),
                media_type: None,
                detail: Some(ImageDetail::High),
            },
            Part::image_base64("image/png", "iVBORw0KGgo="),
            Part::File {
                source: MediaSource::Base64("JVBERi0xLjQ=".into()),
                media_type: Some("application/pdf".into()),
                filename: Some("report.pdf".into()),
            },
            Part::File {
                source: MediaSource::FileId("file-abc123".into()),
                media_type: None,
                filename: None,
            },
        ],
    );
    let (_, body, warnings) = CODEC.encode_with(&CODEC.req(vec![m]), false);
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(
        body["messages"],
        json!([{"role": "user", "content": [
            {"type": "text", "text": "What is in these?"},
            {"type": "image_url", "image_url": {"url": "https://example.com/cat.png", "detail": "high"}},
            {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}},
            {"type": "file", "file": {"file_data": "data:application/pdf;base64,JVBERi0xLjQ=", "filename": "report.pdf"}},
            {"type": "file", "file": {"file_id": "file-abc123"}},
        ]}])
    );
}

#[test]
fn encode_single_image_stays_a_content_list() {
    let m = Message::new(
        Role::User,
        vec![Part::image_url("https://example.com/a.jpg")],
    );
    assert_eq!(
        CODEC.body_of(&CODEC.req(vec![m]))["messages"][0]["content"],
        json!([{"type": "image_url", "image_url": {"url": "https://example.com/a.jpg"}}])
    );
}

#[test]
fn encode_file_url_is_dropped_with_a_warning() {
    let m = Message::new(
        Role::User,
        vec![
            Part::text("Summarise"),
            Part::File {
                source: MediaSource::Url("https://example.com/a.pdf".into()),
                media_type: Some("application/pdf".into()),
                filename: None,
            },
        ],
    );
    let (_, body, warnings) = CODEC.encode_with(&CODEC.req(vec![m]), false);
    assert_eq!(
        body["messages"],
        json!([{"role": "user", "content": "Summarise"}])
    );
    assert_eq!(settings(&warnings), ["file"]);
}

#[test]
fn encode_parts_a_user_message_cannot_hold_warn_and_are_dropped() {
    let m = Message::new(
        Role::User,
        vec![
            Part::Reasoning(Reasoning {
                text: "hmm".into(),
                ..Default::default()
            }),
            call("c", "f", json!({})),
            Part::Refusal { text: "no".into() },
            Part::ProviderItem(ProviderItem {
                api: "openai-responses".into(),
                item_type: "web_search_call".into(),
                raw: json!({"type": "web_search_call"}),
            }),
            Part::CacheBreakpoint(CacheBreakpoint::default()),
        ],
    );
    let (_, body, warnings) = CODEC.encode_with(&CODEC.req(vec![m]), false);
    // Nothing sendable is left, so no empty user message is sent.
    assert_eq!(body["messages"], json!([]));
    assert_eq!(warnings.len(), 4, "{warnings:?}");
    assert!(warnings[0].message.contains("reasoning"));
    assert!(warnings[1].message.contains("tool call"));
    assert!(warnings[2].message.contains("refusal"));
    assert!(warnings[3].message.contains("provider item"));
}

#[test]
fn encode_cache_breakpoints_are_ignored_silently() {
    let m = Message::new(
        Role::User,
        vec![
            Part::text("long prefix"),
            Part::CacheBreakpoint(CacheBreakpoint {
                ttl: Some("1h".into()),
            }),
        ],
    );
    let (_, body, warnings) = CODEC.encode_with(&CODEC.req(vec![m]), false);
    assert_eq!(
        body["messages"],
        json!([{"role": "user", "content": "long prefix"}])
    );
    assert!(warnings.is_empty());
}

#[test]
fn encode_tool_results_become_tool_messages() {
    let mut result = ToolResult::text("call_1", "18 degrees");
    result.name = Some("get_weather".into());
    result.content.push(Part::text(", sunny"));
    let r = CODEC.req(vec![
        Message::tool_result(result),
        Message::new(
            Role::User,
            vec![
                Part::ToolResult(ToolResult::text("call_2", "12:00")),
                Part::text("Thanks"),
            ],
        ),
    ]);
    assert_eq!(
        CODEC.body_of(&r)["messages"],
        json!([
            {"role": "tool", "tool_call_id": "call_1", "content": "18 degrees, sunny"},
            {"role": "tool", "tool_call_id": "call_2", "content": "12:00"},
            {"role": "user", "content": "Thanks"},
        ])
    );
}

#[test]
fn encode_assistant_tool_calls_text_and_refusal() {
    let calls_only = Message::new(
        Role::Assistant,
        vec![
            Part::Reasoning(Reasoning {
                text: "thinking".into(),
                signature: Some("sig".into()),
                ..Default::default()
            }),
            call("call_a", "get_weather", json!({"city": "Paris"})),
            call("call_b", "raw", json!("{\"x\":1}")),
            Part::ProviderItem(ProviderItem {
                api: "anthropic".into(),
                item_type: "server_tool_use".into(),
                raw: json!({}),
            }),
        ],
    );
    let with_text = Message::new(
        Role::Assistant,
        vec![
            Part::text("Checking. "),
            Part::text("One moment."),
            call("call_c", "now", json!({})),
        ],
    );
    let refusal = Message::new(
        Role::Assistant,
        vec![Part::Refusal {
            text: "I can't help with that.".into(),
        }],
    );
    let (_, body, warnings) =
        CODEC.encode_with(&CODEC.req(vec![calls_only, with_text, refusal]), false);
    assert!(warnings.is_empty());
    assert_eq!(
        body["messages"][0],
        json!({"role": "assistant", "content": null, "tool_calls": [
            {"id": "call_a", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}},
            {"id": "call_b", "type": "function", "function": {"name": "raw", "arguments": "{\"x\":1}"}},
        ]})
    );
    assert_eq!(body["messages"][1]["content"], "Checking. One moment.");
    assert_eq!(
        body["messages"][1]["tool_calls"][0]["function"]["arguments"],
        "{}"
    );
    assert_eq!(
        body["messages"][2],
        json!({"role": "assistant", "content": "", "refusal": "I can't help with that."})
    );
}

#[test]
fn encode_tools_and_every_tool_choice() {
    let mut strict = Tool::new(
        "get_weather",
        "Weather for a city",
        json!({"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}),
    );
    strict.strict = Some(true);
    let bare = Tool {
        name: "now".into(),
        ..Default::default()
    };
    let base = CODEC
        .req(vec![Message::user("Hi")])
        .with_tool(strict)
        .with_tool(bare);
    let body = CODEC.body_of(&base);
    assert_eq!(
        body["tools"],
        json!([
            {"type": "function", "function": {
                "name": "get_weather",
                "description": "Weather for a city",
                "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
                "strict": true,
            }},
            {"type": "function", "function": {"name": "now", "parameters": {"type": "object", "properties": {}}}},
        ])
    );
    assert!(body.get("tool_choice").is_none());

    let cases = [
        (ToolChoice::Auto, json!("auto")),
        (ToolChoice::None, json!("none")),
        (ToolChoice::Required, json!("required")),
        (
            ToolChoice::Tool("get_weather".into()),
            json!({"type": "function", "function": {"name": "get_weather"}}),
        ),
    ];
    for (choice, expected) in cases {
        let body = CODEC.body_of(&base.clone().with_tool_choice(choice.clone()));
        assert_eq!(body["tool_choice"], expected, "{choice:?}");
    }
}

#[test]
fn encode_parallel_tool_calls() {
    let mut r = CODEC.req(vec![Message::user("Hi")]);
    assert!(CODEC.body_of(&r).get("parallel_tool_calls").is_none());
    r.parallel_tool_calls = Some(false);
    assert_eq!(CODEC.body_of(&r)["parallel_tool_calls"], false);
    r.parallel_tool_calls = Some(true);
    assert_eq!(CODEC.body_of(&r)["parallel_tool_calls"], true);
}

#[test]
fn encode_max_tokens_field_follows_quirk() {
    let r = CODEC.req(vec![Message::user("Hi")]).with_max_tokens(256);
    let mut ep = endpoint();
    ep.quirks.max_completion_tokens = true;
    let (_, body, _) = CODEC.encode_to(&r, &ep, false);
    assert_eq!(body["max_completion_tokens"], 256);
    assert!(body.get("max_tokens").is_none());

    ep.quirks.max_completion_tokens = false;
    let (_, body, _) = CODEC.encode_to(&r, &ep, false);
    assert_eq!(body["max_tokens"], 256);
    assert!(body.get("max_completion_tokens").is_none());

    let (_, body, _) = CODEC.encode_to(&CODEC.req(vec![Message::user("Hi")]), &ep, false);
    assert!(body.get("max_tokens").is_none());
}

#[test]
fn encode_sampling_settings_and_stop() {
    let mut r = CODEC.req(vec![Message::user("Hi")]).with_temperature(0.25);
    r.top_p = Some(0.5);
    r.stop = vec!["END".into(), "###".into()];
    r.seed = Some(42);
    r.n = Some(2);
    r.frequency_penalty = Some(0.5);
    r.presence_penalty = Some(-0.5);
    r.service_tier = Some("flex".into());
    r.user = Some("user-123".into());
    r.logprobs = Some(true);
    r.top_logprobs = Some(3);
    let (_, body, warnings) = CODEC.encode_with(&r, false);
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(body["temperature"], 0.25);
    assert_eq!(body["top_p"], 0.5);
    assert_eq!(body["stop"], json!(["END", "###"]));
    assert_eq!(body["seed"], 42);
    assert_eq!(body["n"], 2);
    assert_eq!(body["frequency_penalty"], 0.5);
    assert_eq!(body["presence_penalty"], -0.5);
    assert_eq!(body["service_tier"], "flex");
    assert_eq!(body["user"], "user-123");
    assert_eq!(body["logprobs"], true);
    assert_eq!(body["top_logprobs"], 3);
}

#[test]
fn encode_unset_settings_are_absent() {
    let body = CODEC.body_of(&CODEC.req(vec![Message::user("Hi")]));
    let mut keys: Vec<&str> = body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(keys, ["messages", "model"]);
}

#[test]
fn encode_top_k_needs_the_quirk() {
    let mut r = CODEC.req(vec![Message::user("Hi")]);
    r.top_k = Some(40);
    let mut ep = endpoint();
    ep.quirks.top_k = false;
    let (_, body, warnings) = CODEC.encode_to(&r, &ep, false);
    assert!(body.get("top_k").is_none());
    assert_eq!(settings(&warnings), ["top_k"]);
    assert!(warnings[0].message.contains("openai"));

    ep.quirks.top_k = true;
    let (_, body, warnings) = CODEC.encode_to(&r, &ep, false);
    assert_eq!(body["top_k"], 40);
    assert!(warnings.is_empty());
}

#[test]
fn encode_response_formats() {
    let base = CODEC.req(vec![Message::user("Hi")]);
    assert_eq!(
        CODEC.body_of(&base.clone().with_response_format(ResponseFormat::Text))["response_format"],
        json!({"type": "text"})
    );
    assert_eq!(
        CODEC.body_of(
            &base
                .clone()
                .with_response_format(ResponseFormat::JsonObject)
        )["response_format"],
        json!({"type": "json_object"})
    );
    let schema = json!({"type": "object", "properties": {"a": {"type": "integer"}}});
    let f = ResponseFormat::JsonSchema {
        name: "answer".into(),
        schema: schema.clone(),
        description: Some("The answer".into()),
        strict: Some(true),
    };
    assert_eq!(
        CODEC.body_of(&base.clone().with_response_format(f))["response_format"],
        json!({"type": "json_schema", "json_schema": {
            "name": "answer", "schema": schema, "description": "The answer", "strict": true
        }})
    );
    let bare = ResponseFormat::JsonSchema {
        name: "answer".into(),
        schema: json!({}),
        description: None,
        strict: None,
    };
    assert_eq!(
        CODEC.body_of(&base.with_response_format(bare))["response_format"],
        json!({"type": "json_schema", "json_schema": {"name": "answer", "schema": {}}})
    );
}

#[test]
fn encode_reasoning_effort_follows_quirk() {
    let r = CODEC
        .req(vec![Message::user("Hi")])
        .with_reasoning(ReasoningConfig {
            effort: Some(ReasoningEffort::Low),
            ..Default::default()
        });
    let mut ep = endpoint();
    ep.quirks.reasoning_effort = true;
    let (_, body, warnings) = CODEC.encode_to(&r, &ep, false);
    assert_eq!(body["reasoning_effort"], "low");
    assert!(warnings.is_empty());

    ep.quirks.reasoning_effort = false;
    let (_, body, warnings) = CODEC.encode_to(&r, &ep, false);
    assert!(body.get("reasoning_effort").is_none());
    assert_eq!(settings(&warnings), ["reasoning.effort"]);
}

#[test]
fn encode_reasoning_budget_is_unsupported() {
    let r = CODEC
        .req(vec![Message::user("Hi")])
        .with_reasoning(ReasoningConfig {
            effort: Some(ReasoningEffort::High),
            budget_tokens: Some(2048),
            ..Default::default()
        });
    let (_, body, warnings) = CODEC.encode_with(&r, false);
    assert_eq!(body["reasoning_effort"], "high");
    assert!(body.get("budget_tokens").is_none());
    assert_eq!(settings(&warnings), ["reasoning.budget_tokens"]);
}

#[test]
fn encode_stream_asks_for_usage_when_quirk_set() {
    let r = CODEC.req(vec![Message::user("Hi")]);
    let mut ep = endpoint();
    ep.quirks.stream_usage = true;
    let (request, body, _) = CODEC.encode_to(&r, &ep, true);
    assert_eq!(body["stream"], true);
    assert_eq!(body["stream_options"], json!({"include_usage": true}));
    assert_eq!(request.headers()["accept"], "text/event-stream");

    ep.quirks.stream_usage = false;
    let (_, body, _) = CODEC.encode_to(&r, &ep, true);
    assert_eq!(body["stream"], true);
    assert!(body.get("stream_options").is_none());

    ep.quirks.stream_usage = true;
    let (_, body, _) = CODEC.encode_to(&r, &ep, false);
    assert!(body.get("stream").is_none());
    assert!(body.get("stream_options").is_none());
}

#[test]
fn encode_provider_options_merge_deeply() {
    let r = CODEC
        .req(vec![Message::user("Hi")])
        .with_max_tokens(10)
        .with_provider_option("stream_options", json!({"include_obfuscation": false}))
        .with_provider_option("max_tokens", json!(99))
        .with_provider_option("metadata", json!({"trace": "abc"}))
        .with_provider_option("prediction", json!({"type": "content", "content": "x"}));
    let mut ep = endpoint();
    ep.quirks.max_completion_tokens = false;
    let (_, body, _) = CODEC.encode_to(&r, &ep, true);
    assert_eq!(
        body["stream_options"],
        json!({"include_usage": true, "include_obfuscation": false})
    );
    assert_eq!(body["max_tokens"], 99);
    assert_eq!(body["metadata"], json!({"trace": "abc"}));
    assert_eq!(body["prediction"]["type"], "content");
    assert_eq!(body["model"], "gpt-4o-mini");
}

#[test]
fn encode_reasoning_models_take_max_completion_tokens_and_developer_text() {
    for (model, reasoning) in [
        ("o1", true),
        ("o3-mini", true),
        ("o4-mini-2025-04-16", true),
        ("openai/o3", true),
        ("gpt-5", true),
        ("gpt-5-mini-2025-08-07", true),
        ("codex-mini-latest", true),
        ("gpt-5-chat-latest", false),
        ("gpt-4o-mini", false),
        ("omni-moderation-latest", false),
        ("o", false),
        ("oss-20b", false),
        ("llama-3.3-70b", false),
    ] {
        assert_eq!(request::openai_reasoning_model(model), reasoning, "{model}");
    }
    let r = CODEC
        .req(vec![Message::system("Be brief."), Message::user("Hi")])
        .with_max_tokens(64);
    // A server without the quirks still gets `max_completion_tokens` for a reasoning model;
    // without the developer role, system stays system.
    let mut ep = endpoint();
    ep.quirks.max_completion_tokens = false;
    ep.quirks.developer_role = false;
    let (_, body, _) = CODEC.encode_to(&r, &ep, false);
    assert_eq!(body["max_tokens"], 64);
    assert_eq!(body["messages"][0]["role"], "system");
    let (_, body, _) = CODEC.encode_model(&r, "openai/o3-mini", false);
    assert_eq!(body["max_completion_tokens"], 64);
    assert!(body.get("max_tokens").is_none());
    ep.quirks.developer_role = true;
    let (_, body, _) = CODEC.encode_to(&r, &ep, false);
    assert_eq!(body["messages"][0]["role"], "system");
    let mut o3 = ep.clone();
    o3.quirks.max_completion_tokens = false;
    let sent = split(
        OpenAiChatCodec
            .encode(&r, "o3", &o3, false)
            .expect("the request encodes"),
    );
    assert_eq!(
        sent.1["messages"][0],
        json!({"role": "developer", "content": "Be brief."})
    );
    assert_eq!(sent.1["max_completion_tokens"], 64);
}

#[test]
fn encode_prediction_as_static_content() {
    let mut r = CODEC.hi();
    assert!(CODEC.body_of(&r).get("prediction").is_none());
    r.prediction = Some("fn main() {}\n".into());
    let (_, body, warnings) = CODEC.encode_with(&r, false);
    assert_eq!(
        body["prediction"],
        json!({"type": "content", "content": "fn main() {}\n"})
    );
    assert!(warnings.is_empty());
}
