use super::*;
use crate::provider::test_support::{
    bearer, collect, finish_of, fixture_pair, sorted_settings, TestCodec,
};
use crate::types::{Message, ReasoningConfig, ResponseFormat, Tool};

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

const BASE: &str = "https://bedrock-runtime.us-east-1.amazonaws.com";
const CLAUDE: &str = "anthropic.claude-sonnet-4-20250514-v1:0";

fn endpoint() -> Endpoint {
    bearer("bedrock", BASE, "bedrock-api-key")
}

const CODEC: TestCodec = TestCodec::new(&BedrockCodec, CLAUDE, endpoint);

fn encode_with(req: &ChatRequest) -> (Value, Vec<Warning>) {
    let (_, body, warnings) = CODEC.encode_with(req, false);
    (body, warnings)
}

/// `(event type, payload)` frames of an `.events` fixture.
fn frames(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|l| l.split_once(' '))
        .map(|(event, data)| (event.to_owned(), data.to_owned()))
        .collect()
}

fn converse(content: Value, stop: &str) -> String {
    json!({"output": {"message": {"role": "assistant", "content": content}}, "stopReason": stop})
        .to_string()
}

// ---------------------------------------------------------------------------------------------
// Encode
// ---------------------------------------------------------------------------------------------

#[test]
fn encode_paths_percent_encode_model_ids_and_arns() {
    let (request, body, warnings) = CODEC.encode_model(&CODEC.hi(), CLAUDE, false);
    assert_eq!(request.method(), http::Method::POST);
    assert_eq!(
        request.uri(),
        "https://bedrock-runtime.us-east-1.amazonaws.com/model/anthropic.claude-sonnet-4-20250514-v1%3A0/converse"
    );
    assert_eq!(request.headers()["authorization"], "Bearer bedrock-api-key");
    assert_eq!(request.headers()["accept"], "application/json");
    assert_eq!(
        body,
        json!({"messages": [{"role": "user", "content": [{"text": "Hi"}]}]})
    );
    assert!(warnings.is_empty());

    let arn = "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-7-sonnet-20250219-v1:0";
    let (request, body2, _) = CODEC.encode_model(&CODEC.hi(), arn, true);
    assert_eq!(
        request.uri().path(),
        "/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Ainference-profile%2Fus.anthropic.claude-3-7-sonnet-20250219-v1%3A0/converse-stream"
    );
    assert_eq!(
        request.headers()["accept"],
        "application/vnd.amazon.eventstream"
    );
    assert_eq!(body2, body, "streaming is chosen by the path alone");
}

#[test]
fn encode_a_whole_conversation() {
    // System text with a cache point, developer text, every media source Bedrock takes,
    // signed and redacted reasoning, tool calls and results (one failed), a Bedrock provider
    // item, and tool results merged with the next user turn.
    let fixture: Value = serde_json::from_str(include_str!("fixtures/conversation.json")).unwrap();
    let r: ChatRequest = serde_json::from_value(fixture["request"].clone()).unwrap();
    let (body, warnings) = encode_with(&r);
    assert_eq!(body, fixture["body"]);
    // A cache ttl other than 5m/1h and reasoning without a signature cannot go to Bedrock:
    // both are said.
    assert_eq!(
        sorted_settings(&warnings),
        ["cache breakpoint ttl"],
        "{warnings:?}"
    );
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(warnings[1].message.contains("reasoning"), "{warnings:?}");
}

#[test]
fn encode_cache_point_ttl() {
    let with = |ttl: Option<&str>| {
        let mut parts = vec![Part::text("long context")];
        parts.push(Part::CacheBreakpoint(crate::types::CacheBreakpoint {
            ttl: ttl.map(str::to_owned),
        }));
        let r = ChatRequest::new("m", vec![Message::new(Role::User, parts)]);
        let (body, warnings) = encode_with(&r);
        (body["messages"][0]["content"][1].clone(), warnings.len())
    };
    assert_eq!(
        with(Some("1h")),
        (json!({"cachePoint": {"type": "default", "ttl": "1h"}}), 0)
    );
    assert_eq!(
        with(Some("5m")),
        (json!({"cachePoint": {"type": "default", "ttl": "5m"}}), 0)
    );
    assert_eq!(with(None), (json!({"cachePoint": {"type": "default"}}), 0));
    assert_eq!(
        with(Some("1d")),
        (json!({"cachePoint": {"type": "default"}}), 1)
    );
}

#[test]
fn encode_document_formats_are_bedrock_names() {
    let doc = |media_type: &str| {
        let part = Part::File {
            source: MediaSource::Base64("AAAA".into()),
            media_type: Some(media_type.into()),
            filename: Some("notes".into()),
        };
        let r = ChatRequest::new("m", vec![Message::new(Role::User, vec![part])]);
        encode_with(&r).0["messages"][0]["content"][0]["document"]["format"].clone()
    };
    let office = "application/vnd.openxmlformats-officedocument";
    let docx = format!("{office}.wordprocessingml.document");
    let xlsx = format!("{office}.spreadsheetml.sheet");
    for (media_type, format) in [
        ("application/pdf", "pdf"),
        ("text/csv", "csv"),
        ("text/html", "html"),
        ("text/plain", "txt"),
        ("text/markdown", "md"),
        ("application/msword", "doc"),
        (&docx, "docx"),
        ("application/vnd.ms-excel", "xls"),
        (&xlsx, "xlsx"),
    ] {
        assert_eq!(doc(media_type), format, "{media_type}");
    }
}

#[test]
fn encode_unsendable_parts_warn_and_are_dropped() {
    let m = Message::new(
        Role::User,
        vec![
            Part::text("Look"),
            Part::image_url("https://example.com/cat.png"),
            Part::Refusal { text: "no".into() },
            Part::ProviderItem(ProviderItem {
                api: "anthropic".into(),
                item_type: "server_tool_use".into(),
                raw: json!({}),
            }),
        ],
    );
    let (body, warnings) = encode_with(&ChatRequest::new("m", vec![m]));
    assert_eq!(
        body["messages"],
        json!([{"role": "user", "content": [{"text": "Look"}]}])
    );
    assert_eq!(warnings.len(), 3, "{warnings:?}");
    for (w, what) in warnings.iter().zip(["image", "refusal", "provider item"]) {
        assert!(w.message.contains(what), "{w:?}");
    }
}

#[test]
fn encode_inference_config_and_tools() {
    let mut r = CODEC.hi().with_max_tokens(1000).with_temperature(0.4);
    r.top_p = Some(0.95);
    r.stop = vec!["Human:".into()];
    let schema = json!({"type": "object", "properties": {"city": {"type": "string"}}});
    let bare = Tool {
        name: "now".into(),
        ..Default::default()
    };
    let r = r
        .with_tool(Tool::new(
            "get_weather",
            "Weather for a city",
            schema.clone(),
        ))
        .with_tool(bare);
    let (body, warnings) = encode_with(&r);
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(
        body["inferenceConfig"],
        json!({"maxTokens": 1000, "temperature": 0.4, "topP": 0.95, "stopSequences": ["Human:"]})
    );
    assert_eq!(
        body["toolConfig"],
        json!({"tools": [
            {"toolSpec": {"name": "get_weather", "description": "Weather for a city", "inputSchema": {"json": schema}}},
            {"toolSpec": {"name": "now", "inputSchema": {"json": {"type": "object", "properties": {}}}}},
        ]})
    );
    let choice = |c: ToolChoice| encode_with(&r.clone().with_tool_choice(c));
    for (c, expected) in [
        (ToolChoice::Auto, json!({"auto": {}})),
        (ToolChoice::Required, json!({"any": {}})),
        (
            ToolChoice::Tool("now".into()),
            json!({"tool": {"name": "now"}}),
        ),
    ] {
        let (body, _) = choice(c.clone());
        assert_eq!(body["toolConfig"]["toolChoice"], expected, "{c:?}");
    }
    let (body, warnings) = choice(ToolChoice::None);
    assert!(body["toolConfig"].get("toolChoice").is_none());
    assert_eq!(sorted_settings(&warnings), ["tool_choice none"]);
    assert!(encode_with(&CODEC.hi()).0.get("inferenceConfig").is_none());
}

#[test]
fn encode_top_k_and_thinking_go_to_additional_fields_for_claude_only() {
    let mut r = CODEC.hi().with_reasoning(ReasoningConfig {
        effort: Some(ReasoningEffort::High),
        ..Default::default()
    });
    r.top_k = Some(50);
    let (body, warnings) = encode_with(&r);
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(
        body["additionalModelRequestFields"],
        json!({"top_k": 50, "thinking": {"type": "enabled", "budget_tokens": 4096}})
    );
    let small = CODEC.hi().with_reasoning(ReasoningConfig {
        budget_tokens: Some(100),
        ..Default::default()
    });
    assert_eq!(
        encode_with(&small).0["additionalModelRequestFields"]["thinking"]["budget_tokens"],
        1024,
        "raised to the minimum Anthropic takes"
    );
    let off = CODEC.hi().with_reasoning(ReasoningConfig {
        effort: Some(ReasoningEffort::None),
        ..Default::default()
    });
    let (body, warnings) = encode_with(&off);
    assert!(body.get("additionalModelRequestFields").is_none());
    assert!(warnings.is_empty());

    let (_, body, warnings) = CODEC.encode_model(&r, "amazon.nova-pro-v1:0", false);
    assert!(body.get("additionalModelRequestFields").is_none());
    assert_eq!(sorted_settings(&warnings), ["reasoning", "top_k"]);
}

#[test]
fn encode_unsupported_settings_warn_and_are_not_sent() {
    let mut r = CODEC.hi().with_response_format(ResponseFormat::JsonObject);
    (r.seed, r.n) = (Some(1), Some(2));
    (r.frequency_penalty, r.presence_penalty) = (Some(0.1), Some(0.2));
    (r.logprobs, r.top_logprobs) = (Some(true), Some(2));
    r.parallel_tool_calls = Some(true);
    r.service_tier = Some("flex".into());
    r.user = Some("u-1".into());
    let (body, warnings) = encode_with(&r);
    assert_eq!(body["serviceTier"], json!({"type": "flex"}));
    assert_eq!(
        sorted_settings(&warnings),
        [
            "frequency_penalty",
            "logprobs",
            "n",
            "parallel_tool_calls",
            "presence_penalty",
            "response_format",
            "seed",
            "top_logprobs",
            "user"
        ]
    );
    assert!(warnings.iter().all(|w| w.message.contains("bedrock")));
    let keys: Vec<&String> = body.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["messages", "serviceTier"]);
}

#[test]
fn encode_provider_options_merge_deeply() {
    let mut r = CODEC.hi();
    r.top_k = Some(5);
    let r = r
        .with_provider_option(
            "additionalModelRequestFields",
            json!({"anthropic_beta": ["context-1m-2025-08-07"]}),
        )
        .with_provider_option("performanceConfig", json!({"latency": "optimized"}));
    let (body, _) = encode_with(&r);
    assert_eq!(
        body["additionalModelRequestFields"],
        json!({"top_k": 5, "anthropic_beta": ["context-1m-2025-08-07"]})
    );
    assert_eq!(body["performanceConfig"]["latency"], "optimized");
}

// ---------------------------------------------------------------------------------------------
// Decode
// ---------------------------------------------------------------------------------------------

#[test]
fn decode_reasoning_text_usage_and_metrics() {
    let r = CODEC.decode(fixture_pair!("reasoning_text", "events").1);
    assert_eq!(r.content.len(), 2);
    assert_eq!(
        r.content[0],
        Part::Reasoning(Reasoning {
            text: "The user wants a haiku about rain. Five, seven, five syllables.".into(),
            signature: Some("ErUBCkYIBhgCIkB3exllmSignatureQ0FBQUE=".into()),
            ..Default::default()
        })
    );
    assert_eq!(
        r.text(),
        "Soft rain on the roof,\nthe gutters hum their old song,\nnight drinks slowly in."
    );
    assert_eq!(finish_of(&r), (FinishKind::Stop, Some("end_turn")));
    let u = r.usage.as_ref().unwrap();
    assert_eq!(
        u.input_tokens,
        Some(1242),
        "18 + cache read 1024 + cache write 200"
    );
    assert_eq!(u.output_tokens, Some(96));
    assert_eq!(
        (u.cache_read_tokens, u.cache_write_tokens),
        (Some(1024), Some(200))
    );
    assert_eq!(u.reasoning_tokens, None);
    assert_eq!(u.raw.as_ref().unwrap().value()["totalTokens"], 1338);
    assert_eq!(r.provider_meta["metrics"], json!({"latencyMs": 2411}));
    assert_eq!((r.id.as_ref(), r.model.as_ref()), (None, None));
}

#[test]
fn decode_tool_use() {
    let r = CODEC.decode(fixture_pair!("tool_use", "events").1);
    assert_eq!(r.text(), "I'll check the weather in Seattle.");
    let calls = r.tool_calls();
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0].id, "tooluse_kZJMlvQmRJ6eAyJE5GIl7Q");
    assert_eq!(calls[0].name, "get_weather");
    assert_eq!(
        calls[0].arguments,
        json!({"city": "Seattle", "unit": "celsius"})
    );
    assert_eq!(
        (calls[1].id.as_str(), &calls[1].arguments),
        ("tooluse_exllm2nd", &json!({}))
    );
    assert_eq!(finish_of(&r), (FinishKind::ToolCalls, Some("tool_use")));
    let u = r.usage.unwrap();
    assert_eq!((u.input_tokens, u.output_tokens), (Some(402), Some(71)));
    assert_eq!((u.cache_read_tokens, u.cache_write_tokens), (None, None));
}

#[test]
fn decode_redacted_reasoning_odd_blocks_usage_gaps_and_extra_fields() {
    let r = CODEC.decode(include_str!("fixtures/odd_blocks.json"));
    let redacted = Reasoning {
        encrypted: Some("c2VjcmV0".into()),
        ..Default::default()
    };
    assert_eq!(r.content[0], Part::Reasoning(redacted));
    let calls = r.tool_calls();
    let call = |i: usize| (calls[i].id.as_str(), calls[i].arguments.clone());
    assert_eq!(call(0), ("call_0", json!({"x": 1})), "text input is parsed");
    assert_eq!(
        call(1),
        ("t2", json!({})),
        "absent input is an empty object"
    );
    let Part::ProviderItem(item) = &r.content[3] else {
        panic!("expected a provider item, got {:?}", r.content[3]);
    };
    let kind = (item.api.as_str(), item.item_type.as_str());
    assert_eq!(kind, ("bedrock", "citationsContent"));
    assert_eq!(item.raw["citationsContent"]["content"][0]["text"], "cited");
    assert_eq!(finish_of(&r), (FinishKind::ToolCalls, Some("end_turn")));
    let u = r.usage.unwrap();
    assert_eq!((u.input_tokens, u.output_tokens), (None, Some(3)));
    let extra = &r.provider_meta["additionalModelResponseFields"];
    assert_eq!(extra["stop_sequence"], "###");
    assert!(r.provider_meta.contains_key("trace"));
    assert!(!r.provider_meta.contains_key("metrics"));
}

#[test]
fn decode_finish_reasons() {
    for (raw, kind) in [
        ("end_turn", FinishKind::Stop),
        ("stop_sequence", FinishKind::Stop),
        ("max_tokens", FinishKind::Length),
        ("model_context_window_exceeded", FinishKind::Length),
        ("guardrail_intervened", FinishKind::ContentFilter),
        ("content_filtered", FinishKind::ContentFilter),
        ("something_new", FinishKind::Other),
    ] {
        let r = CODEC.decode(&converse(json!([{"text": "x"}]), raw));
        assert_eq!(finish_of(&r), (kind, Some(raw)), "{raw}");
    }
    assert_eq!(CODEC.decode("{}").finish, None);
}

#[test]
fn decode_malformed_bodies_are_decode_errors() {
    for bad in ["", "<html>", r#"{"stopReason": 3}"#, r#"{"usage": "#] {
        let err = BedrockCodec.decode(bad.as_bytes()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Decode, "{bad:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// Stream
// ---------------------------------------------------------------------------------------------

#[test]
fn stream_equals_decode() {
    assert_eq!(BedrockCodec.framing(), Framing::AwsEventStream);
    for (events, whole) in [
        fixture_pair!("reasoning_text", "events"),
        fixture_pair!("tool_use", "events"),
    ] {
        assert_eq!(CODEC.stream(&frames(events)), CODEC.decode(whole));
    }
}

#[test]
fn stream_fragments_in_order() {
    let (events, end) = CODEC.stream_events(&frames(fixture_pair!("tool_use", "events").0));
    end.unwrap();
    let delta = |arguments: &str| StreamEvent::ToolCallDelta {
        index: 1,
        arguments: arguments.into(),
    };
    assert_eq!(
        events[3..8],
        [
            StreamEvent::ToolCallStart {
                index: 1,
                id: "tooluse_kZJMlvQmRJ6eAyJE5GIl7Q".into(),
                name: "get_weather".into(),
            },
            delta(""),
            delta("{\"city\": \"Seat"),
            delta("tle\", \"unit\": \"celsius\"}"),
            StreamEvent::ToolCallEnd { index: 1 },
        ]
    );
}

#[test]
fn stream_exceptions_end_with_an_error() {
    let throttled = r#"{"message":"Too many tokens, please wait before trying again."}"#;
    let stream_error = r#"{"Message":"Model stream error","originalStatusCode":424}"#;
    for (kind, payload, message) in [
        (
            "throttlingException",
            throttled,
            "Too many tokens, please wait before trying again.",
        ),
        (
            "modelStreamErrorException",
            stream_error,
            "Model stream error",
        ),
        ("internalServerException", "", "internalServerException"),
    ] {
        let mut all = frames(fixture_pair!("reasoning_text", "events").0);
        all.truncate(6);
        all.push((format!("exception:{kind}"), payload.into()));
        let (events, end) = CODEC.stream_events(&all);
        end.expect("an exception ends the stream");
        let r = collect(events);
        assert_eq!(r.text(), "Soft rain on the roof,\n");
        assert_eq!(finish_of(&r), (FinishKind::Error, Some(kind)));
        let e = r.error.unwrap();
        assert_eq!(
            (e.code.as_deref(), e.message.as_str()),
            (Some(kind), message)
        );
    }
}

#[test]
fn stream_unwraps_keyed_events_and_keeps_redacted_and_unknown_deltas() {
    let r = CODEC.stream(&frames(include_str!("fixtures/wrapped.events")));
    let redacted = Reasoning {
        encrypted: Some("c2VjcmV0".into()),
        ..Default::default()
    };
    assert_eq!(r.content[0], Part::Reasoning(redacted));
    assert!(matches!(&r.content[1], Part::ProviderItem(p) if p.item_type == "citation"));
    assert_eq!(r.content[2], Part::text("ok"), "unknown events are ignored");
    assert_eq!(r.content.len(), 3);
    assert_eq!(finish_of(&r), (FinishKind::Length, Some("max_tokens")));
    let extra = json!({"stop_sequence": null});
    assert_eq!(r.provider_meta["additionalModelResponseFields"], extra);
    assert!(r.usage.is_none());
}

#[test]
fn stream_without_message_stop_is_truncated() {
    let mut all = frames(fixture_pair!("tool_use", "events").0);
    all.truncate(all.len() - 2);
    let (events, end) = CODEC.stream_events(&all);
    assert_eq!(end.unwrap_err().kind(), ErrorKind::Truncated);
    assert_eq!(collect(events).tool_calls().len(), 2);
    let (_, end) = CODEC.stream_events::<(String, String)>(&[]);
    assert_eq!(end.unwrap_err().kind(), ErrorKind::Truncated);
    // Usage after messageStop is optional.
    let mut all = frames(fixture_pair!("tool_use", "events").0);
    all.pop();
    assert!(CODEC.stream(&all).usage.is_none());
}

#[test]
fn stream_malformed_payload_is_a_decode_error() {
    for bad in ["{\"contentBlockIndex\":", "not json", "{} {}"] {
        let mut all = frames(fixture_pair!("tool_use", "events").0);
        all.insert(1, ("contentBlockDelta".into(), bad.into()));
        let (events, end) = CODEC.stream_events(&all);
        assert_eq!(end.unwrap_err().kind(), ErrorKind::Decode, "{bad}");
        assert_eq!(events.len(), 1);
    }
}

/// The fixture streams as real AWS event-stream messages, cut into small chunks, through the
/// framer the codec names.
#[cfg(feature = "bedrock")]
#[test]
fn stream_through_the_binary_event_stream_framer() {
    use aws_smithy_eventstream::frame::write_message_to;
    use aws_smithy_types::event_stream::{Header, HeaderValue, Message as Binary};
    let (text, whole) = fixture_pair!("tool_use", "events");
    let mut body = Vec::new();
    for (event, data) in frames(text) {
        let m = Binary::new(data.into_bytes())
            .add_header(Header::new(
                ":message-type",
                HeaderValue::String("event".into()),
            ))
            .add_header(Header::new(
                ":event-type",
                HeaderValue::String(event.into()),
            ))
            .add_header(Header::new(
                ":content-type",
                HeaderValue::String("application/json".into()),
            ));
        write_message_to(&m, &mut body).unwrap();
    }
    for size in [1, 5, 300, body.len()] {
        let mut framer = BedrockCodec.framing().framer();
        let mut dec = BedrockCodec.stream_decoder();
        let mut events = Vec::new();
        let mut sink = |f: Frame<'_>| dec.decode(f, &mut events);
        for chunk in body.chunks(size) {
            framer.feed(chunk, &mut sink).unwrap();
        }
        framer.finish(&mut sink).unwrap();
        dec.finish(&mut events).unwrap();
        assert_eq!(collect(events), CODEC.decode(whole), "chunks of {size}");
    }
}
