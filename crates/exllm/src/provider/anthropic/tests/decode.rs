//! Whole-body decoding: thinking, tool use, server tools and citations, unknown blocks, stop
//! reasons, usage, malformed bodies and the model list.

use super::*;

#[test]
fn decode_thinking_and_text() {
    let r = CODEC.decode(include_str!("../fixtures/thinking_text.json"));
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
    let r = CODEC.decode(include_str!("../fixtures/tool_use.json"));
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
    let r = CODEC.decode(include_str!("../fixtures/web_search.json"));
    let blocks = fixture(include_str!("../fixtures/web_search.json"))["content"].clone();
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
