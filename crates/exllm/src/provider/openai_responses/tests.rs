use super::*;
use crate::error::ErrorKind;
use crate::provider::test_support::{
    bearer, call, collect, finish_of, settings, sse, typed_frames, TestCodec,
};
use crate::types::ResponseFormat;
use crate::types::{
    CacheBreakpoint, ImageDetail, Message, Reasoning, ReasoningConfig, ReasoningEffort, Tool,
    ToolResult,
};

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

fn endpoint() -> Endpoint {
    bearer("openai", "https://api.openai.com/v1", "sk-test-key")
}

const CODEC: TestCodec = TestCodec::new(&OpenAiResponsesCodec, "gpt-4.1", endpoint);

const CREATED: &str = r#"{"type":"response.created","sequence_number":0,"response":{"id":"resp_s","object":"response","status":"in_progress","model":"gpt-4.1","output":[]}}"#;

// ---------------------------------------------------------------------------------------------
// Encode
// ---------------------------------------------------------------------------------------------

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
        settings(&warnings),
        [
            "top_k",
            "stop",
            "seed",
            "n",
            "frequency_penalty",
            "presence_penalty",
            "reasoning.budget_tokens"
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
    let answer = CODEC.decode(include_str!("fixtures/tools.json"));
    let r = CODEC.req(vec![
        Message::user("Weather in Paris?"),
        Message::new(Role::Assistant, answer.content.clone()),
    ]);
    let (_, body, warnings) = CODEC.encode_with(&r, false);
    assert!(warnings.is_empty(), "{warnings:?}");
    let fixture: Value = serde_json::from_str(include_str!("fixtures/tools.json")).unwrap();
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

    let answer = CODEC.decode(include_str!("fixtures/reasoning_text.json"));
    let body = CODEC.body_of(&CODEC.req(vec![Message::new(Role::Assistant, answer.content)]));
    assert_eq!(body["input"][0]["type"], "reasoning");
    assert_eq!(body["input"][0]["id"], "rs_exllm_1");
    assert_eq!(
        body["input"][0]["encrypted_content"],
        "gAAAAB-exllm-opaque-reasoning=="
    );
}

// ---------------------------------------------------------------------------------------------
// Decode
// ---------------------------------------------------------------------------------------------

#[test]
fn decode_reasoning_and_text() {
    let r = CODEC.decode(include_str!("fixtures/reasoning_text.json"));
    assert_eq!(r.id.as_deref(), Some("resp_exllm_1"));
    assert_eq!(r.model.as_deref(), Some("o4-mini-2025-04-16"));
    assert_eq!(
        r.content,
        vec![
            Part::Reasoning(Reasoning {
                text: "**Comparing decimals**\n\nTenths decide it. 8 beats 1.".into(),
                signature: None,
                encrypted: Some("gAAAAB-exllm-opaque-reasoning==".into()),
                id: Some("rs_exllm_1".into()),
            }),
            Part::text("9.8 is larger than 9.11."),
        ]
    );
    assert_eq!(finish_of(&r), (FinishKind::Stop, Some("completed")));
    let u = r.usage.as_ref().unwrap();
    assert_eq!(u.input_tokens, Some(30));
    assert_eq!(u.output_tokens, Some(400));
    assert_eq!(u.cache_read_tokens, Some(0));
    assert_eq!(u.cache_write_tokens, None);
    assert_eq!(u.reasoning_tokens, Some(384));
    assert_eq!(u.raw.as_ref().unwrap().value()["total_tokens"], 430);
    // Empty annotation lists add no metadata.
    assert!(r.provider_meta.is_empty());
    assert!(r.error.is_none());
}

#[test]
fn decode_provider_items_annotations_and_function_calls() {
    let r = CODEC.decode(include_str!("fixtures/tools.json"));
    assert_eq!(r.content.len(), 3);
    match &r.content[0] {
        Part::ProviderItem(item) => {
            assert_eq!(item.api, "openai-responses");
            assert_eq!(item.item_type, "web_search_call");
            assert_eq!(item.raw["action"]["query"], "weather in Paris today");
        }
        other => panic!("expected a provider item, got {other:?}"),
    }
    assert_eq!(r.content[1], Part::text("Paris is sunny today."));
    assert_eq!(
        r.content[2],
        call(
            "call_exllm_1",
            "get_forecast",
            json!({"city": "Paris", "days": 3})
        )
    );
    // `completed` with a function call is a tool-call finish; the raw value is kept.
    assert_eq!(finish_of(&r), (FinishKind::ToolCalls, Some("completed")));
    assert_eq!(
        r.provider_meta["annotations"],
        json!([{"type": "url_citation", "start_index": 0, "end_index": 21, "url": "https://example.com/paris-weather", "title": "Paris weather"}])
    );
    assert_eq!(r.usage.unwrap().cache_read_tokens, Some(128));
}

#[test]
fn decode_unknown_output_items_are_kept_verbatim() {
    let r = CODEC.decode(
        r#"{"id":"r","status":"completed","output":[
            {"type":"code_interpreter_call","id":"ci_1","code":"print(1)","outputs":[{"type":"logs","logs":"1"}]},
            {"type":"mcp_list_tools","id":"mcpl_1","server_label":"x","tools":[]},
            {"type":"some_future_item","id":"f_1"}
        ]}"#,
    );
    let types: Vec<&str> = r
        .content
        .iter()
        .map(|p| match p {
            Part::ProviderItem(i) => i.item_type.as_str(),
            _ => "not a provider item",
        })
        .collect();
    assert_eq!(
        types,
        [
            "code_interpreter_call",
            "mcp_list_tools",
            "some_future_item"
        ]
    );
    assert_eq!(finish_of(&r), (FinishKind::Stop, Some("completed")));
}

#[test]
fn decode_refusal() {
    let r = CODEC.decode(
        r#"{"id":"r","status":"completed","output":[{"type":"message","id":"m","role":"assistant","content":[{"type":"refusal","refusal":"I can't assist with that."}]}]}"#,
    );
    assert_eq!(
        r.content,
        vec![Part::Refusal {
            text: "I can't assist with that.".into()
        }]
    );
}

#[test]
fn decode_incomplete_reasons() {
    for (details, kind, raw) in [
        (
            json!({"reason": "max_output_tokens"}),
            FinishKind::Length,
            "max_output_tokens",
        ),
        (
            json!({"reason": "content_filter"}),
            FinishKind::ContentFilter,
            "content_filter",
        ),
        (
            json!({"reason": "something_new"}),
            FinishKind::Other,
            "something_new",
        ),
        (Value::Null, FinishKind::Other, "incomplete"),
    ] {
        let body = json!({
            "id": "r", "status": "incomplete", "incomplete_details": details,
            "output": [{"type": "message", "id": "m", "role": "assistant", "status": "incomplete",
                        "content": [{"type": "output_text", "text": "Partial", "annotations": []}]}]
        });
        let r = CODEC.decode(&body.to_string());
        assert_eq!(finish_of(&r), (kind, Some(raw)), "{details}");
        assert_eq!(r.text(), "Partial");
    }
}

#[test]
fn decode_failed_is_an_error() {
    let r = CODEC.decode(
        r#"{"id":"resp_f","object":"response","status":"failed","model":"gpt-4.1",
            "error":{"code":"server_error","message":"The model failed to generate a response."},
            "incomplete_details":null,"output":[],"usage":null}"#,
    );
    assert_eq!(finish_of(&r), (FinishKind::Error, Some("failed")));
    let e = r.error.unwrap();
    assert_eq!(e.code.as_deref(), Some("server_error"));
    assert_eq!(e.message, "The model failed to generate a response.");
    assert!(r.usage.is_none());
    assert!(r.content.is_empty());
}

#[test]
fn decode_other_statuses() {
    for (status, expected) in [
        ("in_progress", None),
        ("queued", None),
        ("cancelled", Some((FinishKind::Other, Some("cancelled")))),
    ] {
        let r = CODEC.decode(&json!({"id": "r", "status": status, "output": []}).to_string());
        assert_eq!(
            r.finish.as_ref().map(|f| (f.kind, f.raw.as_deref())),
            expected,
            "{status}"
        );
    }
    assert!(CODEC.decode(r#"{"output":[]}"#).finish.is_none());
}

#[test]
fn decode_reasoning_variants() {
    let r = CODEC.decode(
        r#"{"status":"completed","output":[
            {"type":"reasoning","id":"rs_hidden","summary":[]},
            {"type":"reasoning","id":"rs_raw","summary":[],"content":[{"type":"reasoning_text","text":"raw chain"}]}
        ]}"#,
    );
    assert_eq!(
        r.content,
        vec![
            Part::Reasoning(Reasoning {
                id: Some("rs_hidden".into()),
                ..Default::default()
            }),
            Part::Reasoning(Reasoning {
                text: "raw chain".into(),
                id: Some("rs_raw".into()),
                ..Default::default()
            }),
        ]
    );
}

#[test]
fn decode_function_call_empty_arguments() {
    let r = CODEC.decode(
        r#"{"status":"completed","output":[{"type":"function_call","id":"fc","call_id":"call_x","name":"now","arguments":""}]}"#,
    );
    assert_eq!(r.tool_calls()[0].arguments, json!({}));
    assert_eq!(r.tool_calls()[0].id, "call_x");
}

#[test]
fn decode_usage_without_details_leaves_parts_unknown() {
    let r = CODEC.decode(
        r#"{"status":"completed","output":[],"usage":{"input_tokens":5,"output_tokens":2,"total_tokens":7}}"#,
    );
    let u = r.usage.unwrap();
    assert_eq!((u.input_tokens, u.output_tokens), (Some(5), Some(2)));
    assert_eq!(u.cache_read_tokens, None);
    assert_eq!(u.reasoning_tokens, None);
}

#[test]
fn decode_malformed_body_is_a_decode_error() {
    for body in [
        "",
        "nope",
        "{\"output\": [",
        "{\"output\": {}}",
        "{\"status\": 5}",
    ] {
        let err = OpenAiResponsesCodec.decode(body.as_bytes()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Decode, "{body}");
    }
}

// ---------------------------------------------------------------------------------------------
// Stream
// ---------------------------------------------------------------------------------------------

#[test]
fn stream_reasoning_and_text_equals_decode() {
    let streamed = CODEC.stream(&sse(include_str!("fixtures/reasoning_text.sse")));
    assert_eq!(
        streamed,
        CODEC.decode(include_str!("fixtures/reasoning_text.json"))
    );
}

#[test]
fn stream_start_comes_once_from_response_created() {
    let (events, end) = CODEC.stream_events(&sse(include_str!("fixtures/reasoning_text.sse")));
    end.unwrap();
    let starts: Vec<&StreamEvent> = events
        .iter()
        .filter(|e| matches!(e, StreamEvent::Start { .. }))
        .collect();
    assert_eq!(
        starts,
        [&StreamEvent::Start {
            id: Some("resp_exllm_1".into()),
            model: Some("o4-mini-2025-04-16".into()),
        }]
    );
    // Text arrives as deltas; output_text.done does not repeat it.
    let text: Vec<&str> = events
        .iter()
        .filter_map(|e| match e {
            StreamEvent::TextDelta(t) => Some(t.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(text, ["9.8 is", " larger than", " 9.11."]);
}

#[test]
fn stream_tools_equals_decode() {
    let streamed = CODEC.stream(&sse(include_str!("fixtures/tools.sse")));
    assert_eq!(streamed, CODEC.decode(include_str!("fixtures/tools.json")));
    assert_eq!(
        streamed.tool_calls()[0].arguments,
        json!({"city": "Paris", "days": 3})
    );
}

#[test]
fn stream_text_only_in_done_event() {
    let streamed = CODEC.stream(&typed_frames(&[
        CREATED,
        r#"{"type":"response.output_item.added","output_index":0,"item":{"id":"m","type":"message","role":"assistant","content":[]}}"#,
        r#"{"type":"response.output_text.done","output_index":0,"content_index":0,"text":"Whole text"}"#,
        r#"{"type":"response.completed","response":{"id":"resp_s","status":"completed","output":[]}}"#,
    ]));
    assert_eq!(streamed.text(), "Whole text");
}

#[test]
fn stream_function_call_without_argument_deltas() {
    let streamed = CODEC.stream(&typed_frames(&[
        CREATED,
        r#"{"type":"response.output_item.done","output_index":0,"item":{"type":"function_call","id":"fc_1","call_id":"call_1","name":"get_weather","arguments":"{\"city\":\"Oslo\"}","status":"completed"}}"#,
        r#"{"type":"response.completed","response":{"id":"resp_s","status":"completed","output":[]}}"#,
    ]));
    assert_eq!(
        streamed.content,
        vec![call("call_1", "get_weather", json!({"city": "Oslo"}))]
    );
    assert_eq!(
        finish_of(&streamed),
        (FinishKind::ToolCalls, Some("completed"))
    );
}

#[test]
fn stream_refusal_equals_decode() {
    let streamed = CODEC.stream(&typed_frames(&[
        CREATED,
        r#"{"type":"response.output_item.added","output_index":0,"item":{"id":"m","type":"message","role":"assistant","content":[]}}"#,
        r#"{"type":"response.content_part.added","output_index":0,"content_index":0,"part":{"type":"refusal","refusal":""}}"#,
        r#"{"type":"response.refusal.delta","output_index":0,"content_index":0,"delta":"I can't"}"#,
        r#"{"type":"response.refusal.delta","output_index":0,"content_index":0,"delta":" assist."}"#,
        r#"{"type":"response.refusal.done","output_index":0,"content_index":0,"refusal":"I can't assist."}"#,
        r#"{"type":"response.output_item.done","output_index":0,"item":{"id":"m","type":"message","role":"assistant","content":[{"type":"refusal","refusal":"I can't assist."}]}}"#,
        r#"{"type":"response.completed","response":{"id":"resp_s","model":"gpt-4.1","status":"completed","output":[]}}"#,
    ]));
    let whole = CODEC.decode(
        r#"{"id":"resp_s","model":"gpt-4.1","status":"completed","output":[{"id":"m","type":"message","role":"assistant","content":[{"type":"refusal","refusal":"I can't assist."}]}]}"#,
    );
    assert_eq!(streamed, whole);
}

#[test]
fn stream_incomplete_equals_decode() {
    let usage = r#"{"input_tokens":10,"output_tokens":16,"output_tokens_details":{"reasoning_tokens":0},"total_tokens":26}"#;
    let streamed = CODEC.stream(&typed_frames(&[
        CREATED,
        r#"{"type":"response.output_item.added","output_index":0,"item":{"id":"m","type":"message","role":"assistant","content":[]}}"#,
        r#"{"type":"response.output_text.delta","output_index":0,"content_index":0,"delta":"The answer is"}"#,
        &format!(
            r#"{{"type":"response.incomplete","response":{{"id":"resp_s","model":"gpt-4.1","status":"incomplete","incomplete_details":{{"reason":"max_output_tokens"}},"output":[],"usage":{usage}}}}}"#
        ),
    ]));
    let whole = CODEC.decode(&format!(
        r#"{{"id":"resp_s","model":"gpt-4.1","status":"incomplete","incomplete_details":{{"reason":"max_output_tokens"}},
            "output":[{{"type":"message","id":"m","role":"assistant","content":[{{"type":"output_text","text":"The answer is","annotations":[]}}]}}],"usage":{usage}}}"#
    ));
    assert_eq!(streamed, whole);
    assert_eq!(
        finish_of(&streamed),
        (FinishKind::Length, Some("max_output_tokens"))
    );
    assert_eq!(streamed.usage.unwrap().output_tokens, Some(16));
}

#[test]
fn stream_failed_response_equals_decode() {
    let failed = r#"{"id":"resp_s","model":"gpt-4.1","status":"failed","error":{"code":"server_error","message":"Something went wrong."},"output":[],"usage":null}"#;
    let streamed = CODEC.stream(&typed_frames(&[
        CREATED,
        &format!(r#"{{"type":"response.failed","sequence_number":3,"response":{failed}}}"#),
    ]));
    assert_eq!(streamed, CODEC.decode(failed));
    assert_eq!(finish_of(&streamed), (FinishKind::Error, Some("failed")));
    assert_eq!(streamed.error.unwrap().message, "Something went wrong.");
}

#[test]
fn stream_error_event_ends_with_error() {
    let (events, end) = CODEC.stream_events(&typed_frames(&[
        CREATED,
        r#"{"type":"response.output_text.delta","output_index":0,"content_index":0,"delta":"Hal"}"#,
        r#"{"type":"error","sequence_number":4,"code":"rate_limit_exceeded","message":"Rate limit reached.","param":null}"#,
    ]));
    end.expect("an error event is terminal");
    let r = collect(events);
    assert_eq!(r.text(), "Hal");
    assert_eq!(
        finish_of(&r),
        (FinishKind::Error, Some("rate_limit_exceeded"))
    );
    let e = r.error.unwrap();
    assert_eq!(e.code.as_deref(), Some("rate_limit_exceeded"));
    assert_eq!(e.message, "Rate limit reached.");
}

#[test]
fn stream_nested_error_event() {
    let r = CODEC.stream(&typed_frames(&[
        r#"{"type":"error","error":{"type":"invalid_request_error","code":"invalid_prompt","message":"Bad prompt."}}"#,
    ]));
    assert_eq!(
        finish_of(&r),
        (FinishKind::Error, Some("invalid_request_error"))
    );
    assert_eq!(r.error.unwrap().message, "Bad prompt.");
}

#[test]
fn stream_without_terminal_event_is_truncated() {
    let (events, end) = CODEC.stream_events(&typed_frames(&[
        CREATED,
        r#"{"type":"response.output_text.delta","output_index":0,"content_index":0,"delta":"Once"}"#,
        r#"{"type":"response.output_text.delta","output_index":0,"content_index":0,"delta":" upon"}"#,
    ]));
    assert_eq!(end.unwrap_err().kind(), ErrorKind::Truncated);
    assert_eq!(collect(events).text(), "Once upon");

    let (_, end) = CODEC.stream_events::<(String, String)>(&[]);
    assert_eq!(end.unwrap_err().kind(), ErrorKind::Truncated);
}

#[test]
fn stream_malformed_json_is_a_decode_error() {
    for bad in [
        "{\"type\":\"response.output_text.delta\",\"delta\":",
        "garbage",
        "{\"type\":5}",
        "{\"type\":\"response.completed\",\"response\":{\"output\":{}}}",
        "{\"type\":\"response.output_text.delta\",\"output_index\":-1}",
    ] {
        let (_, end) = CODEC.stream_events(&typed_frames(&[CREATED, bad]));
        assert_eq!(end.unwrap_err().kind(), ErrorKind::Decode, "{bad}");
    }
}

#[test]
fn stream_skips_unknown_events_done_and_blank_frames() {
    let streamed = CODEC.stream(&typed_frames(&[
        CREATED,
        "",
        r#"{"type":"response.queued","response":{"id":"other","model":"other"}}"#,
        r#"{"type":"response.some_future_event","output_index":0,"payload":{"x":1}}"#,
        r#"{"type":"response.output_text.delta","output_index":0,"content_index":0,"delta":"Hi"}"#,
        r#"{"type":"response.output_text.logprobs","output_index":0}"#,
        r#"{"type":"response.output_item.done","output_index":0,"item":{"id":"m","type":"message","role":"assistant","content":[{"type":"output_text","text":"Hi"}]}}"#,
        r#"{"type":"response.completed","response":{"id":"resp_s","model":"gpt-4.1","status":"completed","output":[]}}"#,
        "[DONE]",
    ]));
    assert_eq!(streamed.id.as_deref(), Some("resp_s"));
    assert_eq!(streamed.model.as_deref(), Some("gpt-4.1"));
    assert_eq!(streamed.content, vec![Part::text("Hi")]);
    assert_eq!(finish_of(&streamed), (FinishKind::Stop, Some("completed")));
}

#[test]
fn logprobs_are_requested_and_kept_streamed_or_not() {
    let mut r = CODEC.req(vec![Message::user("Hi")]);
    r.logprobs = Some(true);
    assert_eq!(
        CODEC.body_of(&r)["include"],
        json!(["message.output_text.logprobs"])
    );

    let lp = json!([{"token": "Hi", "logprob": -0.1, "top_logprobs": []}]);
    let whole = CODEC.decode(
        &json!({
            "id": "resp_1", "model": "m", "status": "completed",
            "output": [{"type": "message", "id": "msg_1", "role": "assistant",
                "content": [{"type": "output_text", "text": "Hi", "annotations": [], "logprobs": lp}]}]
        })
        .to_string(),
    );
    assert_eq!(whole.provider_meta["logprobs"], lp);
    let delta = json!({"type": "response.output_text.delta", "output_index": 0, "content_index": 0, "delta": "Hi", "logprobs": lp}).to_string();
    let done = json!({"type": "response.completed", "response": {"id": "resp_1", "model": "m", "status": "completed", "output": []}}).to_string();
    let (events, end) = CODEC.stream_events(&typed_frames(&[&delta, &done]));
    end.unwrap();
    let mut c = Collector::new();
    events.into_iter().for_each(|e| c.push(e));
    assert_eq!(c.finish().provider_meta["logprobs"], lp);
}

#[test]
fn message_text_arriving_only_in_the_item_done_event_is_kept() {
    let added = json!({"type": "response.output_item.added", "output_index": 0, "item": {"type": "message", "id": "m1", "content": []}}).to_string();
    let item_done = json!({"type": "response.output_item.done", "output_index": 0, "item": {"type": "message", "id": "m1",
        "content": [{"type": "output_text", "text": "whole text", "annotations": []}]}})
    .to_string();
    let done =
        json!({"type": "response.completed", "response": {"status": "completed", "output": []}})
            .to_string();
    let (events, end) = CODEC.stream_events(&typed_frames(&[&added, &item_done, &done]));
    end.unwrap();
    let mut c = Collector::new();
    events.into_iter().for_each(|e| c.push(e));
    assert_eq!(c.finish().text(), "whole text");

    // With a `.done` event first, the item's copy of the text is not added again.
    let part_done = json!({"type": "response.output_text.done", "output_index": 0, "content_index": 0, "text": "whole text"}).to_string();
    let (events, _) = CODEC.stream_events(&typed_frames(&[&part_done, &item_done, &done]));
    let mut c = Collector::new();
    events.into_iter().for_each(|e| c.push(e));
    assert_eq!(c.finish().text(), "whole text");
}

#[test]
fn service_tier_is_reported_whole_and_streamed() {
    let response = json!({"id": "resp_t", "object": "response", "model": "gpt-4.1",
        "status": "completed", "service_tier": "flex",
        "output": [{"type": "message", "id": "m", "role": "assistant",
            "content": [{"type": "output_text", "text": "Hi", "annotations": []}]}],
        "usage": {"input_tokens": 3, "output_tokens": 1, "total_tokens": 4}});
    let whole = CODEC.decode(&response.to_string());
    assert_eq!(whole.service_tier.as_deref(), Some("flex"));
    let done = json!({"type": "response.completed", "response": response}).to_string();
    let streamed = CODEC.stream(&typed_frames(&[CREATED, &done]));
    assert_eq!(streamed.service_tier.as_deref(), Some("flex"));
    // `auto` asked, `default` served: the served tier is what is reported.
    let mut r = CODEC.hi();
    r.service_tier = Some("auto".into());
    assert_eq!(CODEC.body_of(&r)["service_tier"], "auto");
}

#[test]
fn a_prediction_is_not_sent_and_warned() {
    let mut r = CODEC.hi();
    r.prediction = Some("draft".into());
    let (_, body, warnings) = CODEC.encode_with(&r, false);
    assert!(body.get("prediction").is_none());
    assert_eq!(settings(&warnings), ["prediction"]);
}
