use super::*;
use crate::provider::test_support::{
    bearer, call, collect, data_frames, finish_of, settings, sse, TestCodec,
};
use crate::provider::Auth;
use crate::types::{
    CacheBreakpoint, ImageDetail, ProviderItem, Reasoning, ReasoningConfig, ReasoningEffort,
    Secret, Tool, ToolResult,
};

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

fn endpoint() -> Endpoint {
    bearer("openai", "https://api.openai.com/v1/", "sk-test-key")
}

const CODEC: TestCodec = TestCodec::new(&OpenAiChatCodec, "gpt-4o-mini", endpoint);

// ---------------------------------------------------------------------------------------------
// Encode
// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// Decode
// ---------------------------------------------------------------------------------------------

#[test]
fn decode_text_answer() {
    let r = CODEC.decode(include_str!("fixtures/text.json"));
    assert_eq!(r.id.as_deref(), Some("chatcmpl-exllm-text-1"));
    assert_eq!(r.model.as_deref(), Some("gpt-4o-mini-2024-07-18"));
    assert_eq!(
        r.content,
        vec![Part::text("The capital of France is Paris.")]
    );
    assert_eq!(finish_of(&r), (FinishKind::Stop, Some("stop")));
    let u = r.usage.as_ref().expect("usage");
    assert_eq!(u.input_tokens, Some(1117));
    assert_eq!(u.output_tokens, Some(8));
    assert_eq!(u.cache_read_tokens, Some(1024));
    assert_eq!(u.cache_write_tokens, None);
    assert_eq!(u.reasoning_tokens, Some(0));
    assert_eq!(u.raw.as_ref().unwrap()["total_tokens"], 1125);
    assert_eq!(r.provider_meta["system_fingerprint"], "fp_exllm_01");
    assert!(r.error.is_none());
    assert!(r.warnings.is_empty());
}

#[test]
fn decode_deepseek_reasoning_content() {
    let r = CODEC.decode(include_str!("fixtures/deepseek_reasoning.json"));
    assert_eq!(
        r.content,
        vec![
            Part::Reasoning(Reasoning {
                text: "Compare the tenths: 8 > 1, so 9.8 is larger.".into(),
                ..Default::default()
            }),
            Part::text("9.8 is larger than 9.11."),
        ]
    );
    let u = r.usage.unwrap();
    assert_eq!(u.input_tokens, Some(20));
    // DeepSeek counts reasoning inside completion_tokens: nothing is added.
    assert_eq!(u.output_tokens, Some(150));
    assert_eq!(u.reasoning_tokens, Some(120));
    // No prompt_tokens_details: the cache hit count comes from prompt_cache_hit_tokens.
    assert_eq!(u.cache_read_tokens, Some(16));
}

#[test]
fn decode_groq_reasoning_field() {
    let r = CODEC.decode(include_str!("fixtures/groq_reasoning.json"));
    assert_eq!(r.reasoning_text(), "Two plus two is four.");
    assert_eq!(r.text(), "4");
    assert!(matches!(r.content[0], Part::Reasoning(_)));
    let u = r.usage.unwrap();
    assert_eq!((u.input_tokens, u.output_tokens), (Some(15), Some(12)));
    assert_eq!(u.reasoning_tokens, None);
    assert_eq!(u.cache_read_tokens, None);
}

#[test]
fn decode_mistral_thinking_content_list() {
    let r = CODEC.decode(include_str!("fixtures/mistral_thinking.json"));
    assert_eq!(
        r.content,
        vec![
            Part::Reasoning(Reasoning {
                text: "The user asks for 2+2. That is 4.".into(),
                ..Default::default()
            }),
            Part::text("2 + 2 = 4."),
        ]
    );
    assert_eq!(finish_of(&r), (FinishKind::Stop, Some("stop")));
}

#[test]
fn decode_mistral_thinking_as_plain_string_and_unknown_parts() {
    let r = CODEC.decode(
        r#"{"choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant","content":[
            {"type":"thinking","thinking":"short thought"},
            {"type":"reference","reference_ids":[1]},
            {"type":"text","text":"Answer"}
        ]}}]}"#,
    );
    assert_eq!(r.reasoning_text(), "short thought");
    assert_eq!(r.text(), "Answer");
    assert_eq!(r.content.len(), 2);
}

#[test]
fn decode_tool_calls() {
    let r = CODEC.decode(include_str!("fixtures/tool_calls.json"));
    assert_eq!(
        r.content,
        vec![
            call(
                "call_exllm_weather",
                "get_weather",
                json!({"city": "Paris", "unit": "celsius"})
            ),
            call("call_exllm_time", "get_time", json!({})),
        ]
    );
    assert_eq!(finish_of(&r), (FinishKind::ToolCalls, Some("tool_calls")));
    assert_eq!(r.text(), "");
}

#[test]
fn decode_tool_call_argument_shapes() {
    let r = CODEC.decode(
        r#"{"choices":[{"index":0,"finish_reason":"tool_calls","message":{"role":"assistant","content":"","tool_calls":[
            {"id":"a","type":"function","function":{"name":"obj","arguments":{"k":[1,2]}}},
            {"id":"b","type":"function","function":{"name":"nul","arguments":null}},
            {"id":"c","type":"function","function":{"name":"bad","arguments":"{\"k\":"}},
            {"id":"","type":"function","function":{"name":"noid","arguments":"null"}}
        ]}}]}"#,
    );
    let calls = r.tool_calls();
    assert_eq!(calls.len(), 4);
    assert_eq!(calls[0].arguments, json!({"k": [1, 2]}));
    assert_eq!(calls[1].arguments, json!({}));
    assert_eq!(calls[2].arguments, json!("{\"k\":"));
    assert_eq!(calls[3].arguments, json!({}));
    // A missing id is made up, the others are kept.
    assert_eq!(calls[0].id, "a");
    assert_eq!(calls[3].id, "call_3");
    // An empty content string adds no text part.
    assert_eq!(r.content.len(), 4);
}

#[test]
fn decode_stop_with_tool_calls_becomes_tool_calls_and_keeps_raw() {
    let r = CODEC.decode(
        r#"{"choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant","content":null,"tool_calls":[
            {"id":"x","type":"function","function":{"name":"f","arguments":"{}"}}
        ]}}]}"#,
    );
    assert_eq!(finish_of(&r), (FinishKind::ToolCalls, Some("stop")));
}

#[test]
fn decode_refusal() {
    let r = CODEC.decode(
        r#"{"id":"chatcmpl-r","model":"gpt-4o","choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant","content":null,"refusal":"I'm sorry, I can't help with that."}}]}"#,
    );
    assert_eq!(
        r.content,
        vec![Part::Refusal {
            text: "I'm sorry, I can't help with that.".into()
        }]
    );
    assert_eq!(r.text(), "");
}

#[test]
fn decode_finish_reasons() {
    let cases = [
        ("stop", FinishKind::Stop),
        ("length", FinishKind::Length),
        ("tool_calls", FinishKind::ToolCalls),
        ("function_call", FinishKind::ToolCalls),
        ("content_filter", FinishKind::ContentFilter),
        ("error", FinishKind::Error),
        ("eos", FinishKind::Other),
        ("insufficient_system_resource", FinishKind::Other),
    ];
    for (raw, kind) in cases {
        let body = json!({"choices": [{"index": 0, "finish_reason": raw, "message": {"role": "assistant", "content": "x"}}]});
        let r = CODEC.decode(&body.to_string());
        assert_eq!(finish_of(&r), (kind, Some(raw)), "{raw}");
    }
}

#[test]
fn decode_without_finish_reason_or_usage_leaves_them_unknown() {
    let r = CODEC.decode(
        r#"{"choices":[{"index":0,"finish_reason":null,"message":{"role":"assistant","content":"x"}}],"usage":null}"#,
    );
    assert!(r.finish.is_none());
    assert!(r.usage.is_none());
    let r = CODEC.decode(r#"{"choices":[]}"#);
    assert!(r.content.is_empty());
    assert!(r.finish.is_none());
}

#[test]
fn usage_reasoning_inside_completion_is_not_added() {
    // OpenAI: reasoning tokens are part of completion_tokens (total = prompt + completion).
    let u = usage(json!({
        "prompt_tokens": 10, "completion_tokens": 120, "total_tokens": 130,
        "completion_tokens_details": {"reasoning_tokens": 64}
    }));
    assert_eq!(u.input_tokens, Some(10));
    assert_eq!(u.output_tokens, Some(120));
    assert_eq!(u.reasoning_tokens, Some(64));
}

#[test]
fn usage_xai_reasoning_outside_completion_is_added() {
    // xAI: total = prompt + completion + reasoning, so reasoning was not in completion.
    let u = usage(json!({
        "prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 35,
        "prompt_tokens_details": {"text_tokens": 10, "cached_tokens": 3, "image_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": 20, "audio_tokens": 0}
    }));
    assert_eq!(u.input_tokens, Some(10));
    assert_eq!(u.output_tokens, Some(25));
    assert_eq!(u.reasoning_tokens, Some(20));
    assert_eq!(u.cache_read_tokens, Some(3));
    assert_eq!(u.total_tokens(), Some(35));
}

#[test]
fn usage_missing_counts_stay_unknown() {
    let u = usage(json!({"prompt_tokens": 7}));
    assert_eq!(u.input_tokens, Some(7));
    assert_eq!(u.output_tokens, None);
    assert_eq!(u.reasoning_tokens, None);
    assert_eq!(u.cache_read_tokens, None);
    assert_eq!(u.total_tokens(), None);
    // A total that does not match is not used to invent reasoning.
    let u = usage(json!({
        "prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 99,
        "completion_tokens_details": {"reasoning_tokens": 20}
    }));
    assert_eq!(u.output_tokens, Some(5));
}

#[test]
fn decode_xai_usage_through_the_body() {
    let r = CODEC.decode(
        r#"{"id":"x1","model":"grok-3-mini","choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant","content":"4","reasoning_content":"2+2"}}],
            "usage":{"prompt_tokens":12,"completion_tokens":1,"total_tokens":113,"completion_tokens_details":{"reasoning_tokens":100}}}"#,
    );
    let u = r.usage.as_ref().unwrap();
    assert_eq!(u.output_tokens, Some(101));
    assert_eq!(r.reasoning_text(), "2+2");
}

#[test]
fn decode_perplexity_citations_and_search_results() {
    let r = CODEC.decode(include_str!("fixtures/perplexity.json"));
    assert_eq!(r.text(), "Rust is a systems language [1][2].");
    assert_eq!(
        r.provider_meta["citations"],
        json!(["https://example.org/rust", "https://example.org/llm"])
    );
    assert_eq!(r.provider_meta["search_results"][0]["title"], "Rust");
    assert_eq!(
        r.provider_meta["search_results"].as_array().unwrap().len(),
        2
    );
    assert!(!r.provider_meta.contains_key("images"));
    assert_eq!(r.usage.unwrap().raw.unwrap()["search_context_size"], "low");
}

#[test]
fn decode_logprobs_kept_as_metadata() {
    let r = CODEC.decode(
        r#"{"choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant","content":"Hi"},
            "logprobs":{"content":[{"token":"Hi","logprob":-0.01,"bytes":[72,105],"top_logprobs":[]}],"refusal":null}}]}"#,
    );
    assert_eq!(r.provider_meta["logprobs"][0]["token"], "Hi");
    assert_eq!(r.provider_meta["logprobs"].as_array().unwrap().len(), 1);
}

#[test]
fn decode_error_inside_a_200_body() {
    let r = CODEC.decode(
        r#"{"error":{"message":"The server had an error while processing your request.","type":"server_error","param":null,"code":null}}"#,
    );
    assert_eq!(finish_of(&r), (FinishKind::Error, Some("server_error")));
    let e = r.error.unwrap();
    assert_eq!(e.code.as_deref(), Some("server_error"));
    assert_eq!(
        e.message,
        "The server had an error while processing your request."
    );
}

#[test]
fn decode_malformed_body_is_a_decode_error() {
    for body in [
        "",
        "not json",
        "{\"choices\": [",
        "{\"choices\": \"nope\"}",
        "[1, 2]",
        "{\"choices\":[{\"message\":{\"content\":42}}]}",
    ] {
        let err = OpenAiChatCodec.decode(body.as_bytes()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Decode, "{body}");
    }
}

// ---------------------------------------------------------------------------------------------
// Stream
// ---------------------------------------------------------------------------------------------

#[test]
fn stream_text_equals_decode() {
    let streamed = CODEC.stream(&sse(include_str!("fixtures/text.sse")));
    let whole = CODEC.decode(include_str!("fixtures/text.json"));
    assert_eq!(streamed, whole);
    // Usage came from the final chunk whose choices are empty.
    assert_eq!(
        streamed.usage.as_ref().unwrap().cache_read_tokens,
        Some(1024)
    );
    assert_eq!(streamed.text(), "The capital of France is Paris.");
}

#[test]
fn stream_emits_start_once_and_text_deltas_in_order() {
    let (events, end) = CODEC.stream_events(&sse(include_str!("fixtures/text.sse")));
    end.unwrap();
    let starts = events
        .iter()
        .filter(|e| matches!(e, StreamEvent::Start { .. }))
        .count();
    assert_eq!(starts, 1);
    assert_eq!(
        events[0],
        StreamEvent::Start {
            id: Some("chatcmpl-exllm-text-1".into()),
            model: Some("gpt-4o-mini-2024-07-18".into()),
        }
    );
    let texts: Vec<&str> = events
        .iter()
        .filter_map(|e| match e {
            StreamEvent::TextDelta(t) => Some(t.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(texts, ["The capital", " of France", " is Paris."]);
}

#[test]
fn stream_tool_call_fragments_equal_decode() {
    let streamed = CODEC.stream(&sse(include_str!("fixtures/tool_calls.sse")));
    let whole = CODEC.decode(include_str!("fixtures/tool_calls.json"));
    assert_eq!(streamed, whole);
    assert_eq!(
        streamed.tool_calls()[0].arguments,
        json!({"city": "Paris", "unit": "celsius"})
    );
    assert_eq!(streamed.tool_calls()[1].arguments, json!({}));
}

#[test]
fn stream_deepseek_reasoning_equals_decode() {
    let streamed = CODEC.stream(&sse(include_str!("fixtures/deepseek_reasoning.sse")));
    assert_eq!(
        streamed,
        CODEC.decode(include_str!("fixtures/deepseek_reasoning.json"))
    );
    assert_eq!(streamed.content.len(), 2);
}

#[test]
fn stream_groq_usage_from_x_groq_equals_decode() {
    let streamed = CODEC.stream(&sse(include_str!("fixtures/groq_reasoning.sse")));
    assert_eq!(
        streamed,
        CODEC.decode(include_str!("fixtures/groq_reasoning.json"))
    );
    assert_eq!(streamed.usage.unwrap().input_tokens, Some(15));
}

#[test]
fn stream_mistral_thinking_equals_decode() {
    let streamed = CODEC.stream(&sse(include_str!("fixtures/mistral_thinking.sse")));
    assert_eq!(
        streamed,
        CODEC.decode(include_str!("fixtures/mistral_thinking.json"))
    );
}

#[test]
fn stream_perplexity_running_usage_and_citations_equal_decode() {
    // Perplexity repeats citations and a running usage total on every chunk and sends no
    // [DONE]; the finish reason ends the stream.
    let streamed = CODEC.stream(&sse(include_str!("fixtures/perplexity.sse")));
    assert_eq!(
        streamed,
        CODEC.decode(include_str!("fixtures/perplexity.json"))
    );
    assert_eq!(streamed.usage.unwrap().output_tokens, Some(12));
}

#[test]
fn stream_refusal_equals_decode() {
    let streamed = CODEC.stream(&data_frames(&[
        r#"{"id":"r1","model":"gpt-4o","choices":[{"index":0,"delta":{"role":"assistant","content":null,"refusal":""},"finish_reason":null}]}"#,
        r#"{"id":"r1","model":"gpt-4o","choices":[{"index":0,"delta":{"refusal":"I can't"},"finish_reason":null}]}"#,
        r#"{"id":"r1","model":"gpt-4o","choices":[{"index":0,"delta":{"refusal":" help."},"finish_reason":null}]}"#,
        r#"{"id":"r1","model":"gpt-4o","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}"#,
        "[DONE]",
    ]));
    let whole = CODEC.decode(
        r#"{"id":"r1","model":"gpt-4o","choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant","content":null,"refusal":"I can't help."}}]}"#,
    );
    assert_eq!(streamed, whole);
    assert_eq!(
        streamed.content,
        vec![Part::Refusal {
            text: "I can't help.".into()
        }]
    );
}

#[test]
fn stream_logprobs_concatenate_and_equal_decode() {
    let streamed = CODEC.stream(&data_frames(&[
        r#"{"id":"l1","choices":[{"index":0,"delta":{"content":"Hi"},"logprobs":{"content":[{"token":"Hi","logprob":-0.1}]},"finish_reason":null}]}"#,
        r#"{"id":"l1","choices":[{"index":0,"delta":{"content":"!"},"logprobs":{"content":[{"token":"!","logprob":-0.2}]},"finish_reason":null}]}"#,
        r#"{"id":"l1","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}]}"#,
        "[DONE]",
    ]));
    let whole = CODEC.decode(
        r#"{"id":"l1","choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant","content":"Hi!"},
            "logprobs":{"content":[{"token":"Hi","logprob":-0.1},{"token":"!","logprob":-0.2}]}}]}"#,
    );
    assert_eq!(streamed, whole);
    assert_eq!(streamed.provider_meta["logprobs"][1]["token"], "!");
}

#[test]
fn stream_parallel_tool_calls_in_one_chunk() {
    let streamed = CODEC.stream(&data_frames(&[
        r#"{"id":"p","choices":[{"index":0,"delta":{"role":"assistant","tool_calls":[
            {"index":0,"id":"call_1","type":"function","function":{"name":"a","arguments":"{\"x\":1}"}},
            {"index":1,"id":"call_2","type":"function","function":{"name":"b","arguments":"{\"y\":"}}
        ]},"finish_reason":null}]}"#,
        r#"{"id":"p","choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"function":{"arguments":"2}"}}]},"finish_reason":"tool_calls"}]}"#,
        "[DONE]",
    ]));
    let calls = streamed.tool_calls();
    assert_eq!(calls.len(), 2);
    assert_eq!(
        (calls[0].id.as_str(), &calls[0].arguments),
        ("call_1", &json!({"x": 1}))
    );
    assert_eq!(
        (calls[1].name.as_str(), &calls[1].arguments),
        ("b", &json!({"y": 2}))
    );
    assert_eq!(
        finish_of(&streamed),
        (FinishKind::ToolCalls, Some("tool_calls"))
    );
}

#[test]
fn stream_tool_call_without_id_gets_one_made_up() {
    let streamed = CODEC.stream(&data_frames(&[
        r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"name":"f","arguments":"{}"}}]},"finish_reason":"tool_calls"}]}"#,
    ]));
    assert_eq!(streamed.tool_calls()[0].id, "call_0");
    assert_eq!(streamed.tool_calls()[0].name, "f");
}

#[test]
fn stream_without_usage_leaves_usage_unknown() {
    let streamed = CODEC.stream(&data_frames(&[
        r#"{"id":"n","choices":[{"index":0,"delta":{"content":"ok"},"finish_reason":null}]}"#,
        r#"{"id":"n","choices":[{"index":0,"delta":{},"finish_reason":"length"}]}"#,
        "[DONE]",
    ]));
    assert!(streamed.usage.is_none());
    assert_eq!(finish_of(&streamed), (FinishKind::Length, Some("length")));
}

#[test]
fn stream_ignores_other_choices_keepalives_and_unknown_parts() {
    let streamed = CODEC.stream(&data_frames(&[
        "",
        "   ",
        r#"{"id":"k","choices":[{"index":1,"delta":{"content":"second choice"},"finish_reason":null}]}"#,
        r#"{"id":"k","choices":[{"index":0,"delta":{"content":[{"type":"image_url","image_url":{"url":"x"}},{"type":"text","text":"first"}]},"finish_reason":null}]}"#,
        r#"{"id":"k","object":"chat.completion.chunk","unknown_field":{"a":1},"choices":[{"index":0,"delta":{"content":" choice"},"finish_reason":null}]}"#,
        r#"{"id":"k","choices":[{"index":1,"delta":{},"finish_reason":"length"}]}"#,
        r#"{"id":"k","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}"#,
        "[DONE]",
    ]));
    assert_eq!(streamed.content, vec![Part::text("first choice")]);
    assert_eq!(finish_of(&streamed), (FinishKind::Stop, Some("stop")));
}

#[test]
fn stream_done_alone_ends_cleanly() {
    let (events, end) = CODEC.stream_events(&data_frames(&["[DONE]"]));
    end.unwrap();
    assert!(events.is_empty());
}

#[test]
fn stream_finish_reason_without_done_ends_cleanly() {
    let (_, end) = CODEC.stream_events(&data_frames(&[
        r#"{"id":"f","choices":[{"index":0,"delta":{"content":"x"},"finish_reason":"stop"}]}"#,
    ]));
    end.unwrap();
}

#[test]
fn stream_without_terminal_event_is_truncated() {
    let (events, end) = CODEC.stream_events(&data_frames(&[
        r#"{"id":"t","model":"m","choices":[{"index":0,"delta":{"content":"Once upon"},"finish_reason":null}]}"#,
        r#"{"id":"t","model":"m","choices":[{"index":0,"delta":{"content":" a time"},"finish_reason":null}]}"#,
    ]));
    assert_eq!(end.unwrap_err().kind(), ErrorKind::Truncated);
    // What arrived before the cut is still reported.
    assert_eq!(collect(events).text(), "Once upon a time");
}

#[test]
fn stream_empty_body_is_truncated() {
    let (_, end) = CODEC.stream_events::<(String, String)>(&[]);
    assert_eq!(end.unwrap_err().kind(), ErrorKind::Truncated);
}

#[test]
fn stream_malformed_json_is_a_decode_error() {
    for bad in [
        "{\"id\":\"x\",\"choices\":[",
        "not json",
        "{\"choices\":\"nope\"}",
        "{\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":-1}]}}]}",
        "data: {}",
    ] {
        let (_, end) = CODEC.stream_events(&data_frames(&[
            r#"{"id":"ok","choices":[{"index":0,"delta":{"content":"a"},"finish_reason":null}]}"#,
            bad,
        ]));
        let err = end.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Decode, "{bad}");
    }
}

#[test]
fn stream_openrouter_error_chunk_ends_with_error() {
    // OpenRouter reports mid-stream failures as a chunk with a top-level `error` and a choice
    // whose finish_reason is "error".
    let streamed = CODEC.stream(&data_frames(&[
        r#"{"id":"gen-1","model":"openai/gpt-4o","choices":[{"index":0,"delta":{"role":"assistant","content":"Partial"},"finish_reason":null}]}"#,
        r#"{"id":"gen-1","object":"chat.completion.chunk","created":1760000600,"model":"openai/gpt-4o","provider":"OpenAI","error":{"code":"server_error","message":"Provider disconnected unexpectedly"},"choices":[{"index":0,"delta":{"content":""},"finish_reason":"error"}]}"#,
        "[DONE]",
    ]));
    assert_eq!(streamed.text(), "Partial");
    assert_eq!(streamed.finish_kind(), Some(FinishKind::Error));
    let e = streamed.error.unwrap();
    assert_eq!(e.code.as_deref(), Some("server_error"));
    assert_eq!(e.message, "Provider disconnected unexpectedly");
}

#[test]
fn stream_plain_error_object_ends_with_error() {
    let (events, end) = CODEC.stream_events(&data_frames(&[
        r#"{"id":"e","choices":[{"index":0,"delta":{"content":"Hel"},"finish_reason":null}]}"#,
        r#"{"error":{"message":"The model is overloaded.","type":"server_error","param":null,"code":null}}"#,
    ]));
    // The error is the terminal event: no Truncated error on top of it.
    end.unwrap();
    let r = collect(events);
    assert_eq!(r.text(), "Hel");
    assert_eq!(finish_of(&r), (FinishKind::Error, Some("server_error")));
    assert_eq!(r.error.unwrap().message, "The model is overloaded.");
}

#[test]
fn stream_vllm_in_band_error_ends_with_error() {
    // vLLM / SGLang report some request errors inside a 200 stream, then send [DONE].
    let r = CODEC.stream(&data_frames(&[
        r#"{"error":{"object":"error","message":"The model is not multimodal.","type":"BadRequestError","param":null,"code":400}}"#,
        "[DONE]",
    ]));
    assert_eq!(finish_of(&r), (FinishKind::Error, Some("BadRequestError")));
    assert_eq!(r.error.unwrap().message, "The model is not multimodal.");
    assert!(r.content.is_empty());
}

#[test]
fn stream_azure_prompt_filter_chunk_does_not_blank_id_and_model() {
    // Azure OpenAI opens the stream with a content-filter chunk whose id and model are empty.
    let streamed = CODEC.stream(&data_frames(&[
        r#"{"id":"","object":"","created":0,"model":"","system_fingerprint":null,"prompt_filter_results":[{"prompt_index":0,"content_filter_results":{"hate":{"filtered":false,"severity":"safe"}}}],"choices":[]}"#,
        r#"{"id":"chatcmpl-az1","object":"chat.completion.chunk","created":1760000700,"model":"gpt-4o-2024-11-20","choices":[{"index":0,"delta":{"role":"assistant","content":"Hi"},"finish_reason":null,"content_filter_results":{}}]}"#,
        r#"{"id":"chatcmpl-az1","object":"chat.completion.chunk","created":1760000700,"model":"gpt-4o-2024-11-20","choices":[{"index":0,"delta":{},"finish_reason":"stop","content_filter_results":{}}]}"#,
        "[DONE]",
    ]));
    let whole = CODEC.decode(
        r#"{"id":"chatcmpl-az1","object":"chat.completion","model":"gpt-4o-2024-11-20","prompt_filter_results":[],
            "choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant","content":"Hi"},"content_filter_results":{}}]}"#,
    );
    assert_eq!(streamed, whole);
    assert_eq!(streamed.id.as_deref(), Some("chatcmpl-az1"));
    assert_eq!(streamed.model.as_deref(), Some("gpt-4o-2024-11-20"));
}
