use super::*;
use crate::error::ErrorKind;
use crate::provider::test_support::{
    collect, data_frames, finish_of, fixture_pair, header_key, sse_data, TestCodec,
};
use crate::types::{CacheBreakpoint, Message, Reasoning, ReasoningConfig, Tool, ToolResult};
use crate::types::{ProviderItem, StreamEvent, ToolCall};

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

const BASE: &str = "https://generativelanguage.googleapis.com/v1beta";
const CALL_SIG: &str = "CsQCAVSoXO4exllmSigCallZz9y8x7";

fn endpoint() -> Endpoint {
    header_key("gemini", BASE, "x-goog-api-key", "AIza-test-key")
}

const CODEC: TestCodec = TestCodec::new(&GeminiCodec, "gemini-2.5-flash", endpoint);

/// One named value of `fixtures/edge_cases.json`.
fn edge(name: &str) -> Value {
    let all: Value = serde_json::from_str(include_str!("fixtures/edge_cases.json")).unwrap();
    all[name].clone()
}

/// A named `edge_cases.json` list as SSE `data` payloads.
fn edge_chunks(name: &str) -> Vec<String> {
    edge(name)
        .as_array()
        .unwrap()
        .iter()
        .map(Value::to_string)
        .collect()
}

fn signature_only(sig: &str) -> Part {
    Part::Reasoning(Reasoning {
        signature: Some(sig.into()),
        ..Default::default()
    })
}

// ---------------------------------------------------------------------------------------------
// Encode
// ---------------------------------------------------------------------------------------------

#[test]
fn encode_urls_headers_and_auth() {
    let (request, body, warnings) = CODEC.encode_with(&CODEC.hi(), false);
    assert_eq!(request.method(), http::Method::POST);
    let url = format!("{BASE}/models/gemini-2.5-flash");
    assert_eq!(request.uri(), &format!("{url}:generateContent")[..]);
    assert_eq!(request.headers()["x-goog-api-key"], "AIza-test-key");
    assert!(request.headers()["x-goog-api-key"].is_sensitive());
    assert_eq!(request.headers()["accept"], "application/json");
    assert!(request.headers().get("authorization").is_none());
    let expected = json!({"contents": [{"role": "user", "parts": [{"text": "Hi"}]}]});
    assert_eq!(body, expected);
    assert!(warnings.is_empty());

    let (request, body, _) = CODEC.encode_with(&CODEC.hi(), true);
    let streaming = format!("{url}:streamGenerateContent?alt=sse");
    assert_eq!(request.uri(), &streaming[..]);
    assert_eq!(request.headers()["accept"], "text/event-stream");
    assert_eq!(body, expected, "streaming is chosen by the URL alone");

    // A `models/` prefix is not doubled; endpoint query parameters follow `alt=sse`.
    let mut ep = Endpoint::new("vertex", "https://proxy.example/v1beta/");
    ep.query.push(("key".into(), "k 1".into()));
    let uri = |model: &str, stream: bool| {
        let enc = GeminiCodec.encode(&CODEC.hi(), model, &ep, stream).unwrap();
        enc.request.uri().to_string()
    };
    assert_eq!(
        uri("models/gemini-2.0-flash", true),
        "https://proxy.example/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse&key=k%201"
    );
    assert_eq!(
        uri("gemini-2.0-flash", false),
        "https://proxy.example/v1beta/models/gemini-2.0-flash:generateContent?key=k%201"
    );
}

#[test]
fn encode_a_whole_conversation() {
    // System and developer text, every media source, merged turns, signature-only reasoning
    // parts, signed calls with object / text / broken arguments, and tool results by call id.
    let fixture: Value = serde_json::from_str(include_str!("fixtures/conversation.json")).unwrap();
    let r: ChatRequest = serde_json::from_value(fixture["request"].clone()).unwrap();
    let (_, body, warnings) = CODEC.encode_with(&r, false);
    // The broken arguments go as {} with a warning.
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].message.contains("call_2"), "{warnings:?}");
    assert_eq!(body, fixture["body"]);
}

#[test]
fn encode_tool_result_names_follow_the_call_they_answer_across_turns() {
    // exllm makes up `call_0` afresh for every Gemini answer, so ids repeat across turns.
    let call = |name: &str| {
        let c = ToolCall {
            id: "call_0".into(),
            name: name.into(),
            ..Default::default()
        };
        Message::new(Role::Assistant, vec![Part::ToolCall(c)])
    };
    let r = CODEC.req(vec![
        Message::user("first"),
        call("alpha"),
        Message::tool_result(ToolResult::text("call_0", "a")),
        call("beta"),
        Message::tool_result(ToolResult::text("call_0", "b")),
    ]);
    let body = CODEC.body_of(&r);
    let name = |i: usize| body["contents"][i]["parts"][0]["functionResponse"]["name"].clone();
    assert_eq!((name(2), name(4)), (json!("alpha"), json!("beta")));
}

#[test]
fn decoded_answers_encode_back_to_the_same_parts() {
    for (_, fixture) in [
        fixture_pair!("thinking_text", "sse"),
        fixture_pair!("function_calls", "sse"),
        fixture_pair!("code_grounding", "sse"),
    ] {
        let content = CODEC.decode(fixture).content;
        let r = CODEC.req(vec![
            Message::user("Q"),
            Message::new(Role::Assistant, content),
        ]);
        let (_, body, warnings) = CODEC.encode_with(&r, false);
        assert!(warnings.is_empty(), "{warnings:?}");
        let sent: Value = serde_json::from_str(fixture).unwrap();
        let parts = &sent["candidates"][0]["content"]["parts"];
        assert_eq!(&body["contents"][1]["parts"], parts);
    }
}

#[test]
fn encode_foreign_parts_are_dropped_with_warnings() {
    let foreign = ProviderItem {
        api: "anthropic".into(),
        item_type: "server_tool_use".into(),
        raw: json!({"type": "server_tool_use"}),
    };
    let m = Message::new(
        Role::Assistant,
        vec![
            Part::text("kept"),
            Part::Refusal { text: "no".into() },
            Part::ProviderItem(foreign),
            Part::CacheBreakpoint(CacheBreakpoint::default()),
        ],
    );
    let (_, body, warnings) = CODEC.encode_with(&CODEC.req(vec![m]), false);
    assert_eq!(body["contents"][0]["parts"], json!([{"text": "kept"}]));
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(warnings[0].message.contains("refusal"));
    assert!(warnings[1].message.contains("provider item"));
}

#[test]
fn encode_tools_and_tool_choice() {
    let schema = json!({"type": "object", "properties": {"city": {"type": "string"}}});
    let bare = Tool {
        name: "now".into(),
        ..Default::default()
    };
    let base = CODEC
        .hi()
        .with_tool(Tool::new(
            "get_weather",
            "Weather for a city",
            schema.clone(),
        ))
        .with_tool(bare);
    let body = CODEC.body_of(&base);
    assert_eq!(
        body["tools"],
        json!([{"functionDeclarations": [
            {"name": "get_weather", "description": "Weather for a city", "parameters": schema},
            {"name": "now", "parameters": {"type": "object", "properties": {}}},
        ]}])
    );
    assert!(body.get("toolConfig").is_none());
    let named = json!({"mode": "ANY", "allowedFunctionNames": ["now"]});
    for (choice, cfg) in [
        (ToolChoice::Auto, json!({"mode": "AUTO"})),
        (ToolChoice::None, json!({"mode": "NONE"})),
        (ToolChoice::Required, json!({"mode": "ANY"})),
        (ToolChoice::Tool("now".into()), named),
    ] {
        let body = CODEC.body_of(&base.clone().with_tool_choice(choice.clone()));
        let expected = json!({ "functionCallingConfig": cfg });
        assert_eq!(body["toolConfig"], expected, "{choice:?}");
    }
}

#[test]
fn encode_generation_config_holds_every_sampling_setting() {
    let mut r = CODEC.hi().with_temperature(0.3).with_max_tokens(512);
    (r.top_p, r.top_k, r.seed, r.n) = (Some(0.9), Some(40), Some(7), Some(2));
    (r.frequency_penalty, r.presence_penalty) = (Some(0.5), Some(-0.5));
    (r.logprobs, r.top_logprobs) = (Some(true), Some(3));
    r.stop = vec!["END".into()];
    let schema = json!({"type": "object", "properties": {"a": {"type": "integer"}}});
    r.response_format = Some(ResponseFormat::JsonSchema {
        name: "answer".into(),
        schema: schema.clone(),
        description: None,
        strict: Some(true),
    });
    let (_, body, warnings) = CODEC.encode_with(&r, false);
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(
        body["generationConfig"],
        json!({
            "temperature": 0.3, "topP": 0.9, "topK": 40, "maxOutputTokens": 512, "seed": 7,
            "candidateCount": 2, "frequencyPenalty": 0.5, "presencePenalty": -0.5,
            "responseLogprobs": true, "logprobs": 3, "stopSequences": ["END"],
            "responseMimeType": "application/json", "responseJsonSchema": schema,
        })
    );
    let keys: Vec<&String> = body.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["contents", "generationConfig"]);

    let gen = |f| CODEC.body_of(&CODEC.hi().with_response_format(f))["generationConfig"].clone();
    let json_mime = json!({"responseMimeType": "application/json"});
    assert_eq!(gen(ResponseFormat::JsonObject), json_mime);
    assert_eq!(gen(ResponseFormat::Text), Value::Null);
    assert!(CODEC.body_of(&CODEC.hi()).get("generationConfig").is_none());
}

#[test]
fn encode_thinking_config() {
    let think = |effort: Option<ReasoningEffort>, budget_tokens: Option<u32>| {
        let r = CODEC.hi().with_reasoning(ReasoningConfig {
            effort,
            budget_tokens,
            summary: None,
        });
        CODEC.body_of(&r)["generationConfig"]["thinkingConfig"].clone()
    };
    let on = |budget: u32| json!({"thinkingBudget": budget, "includeThoughts": true});
    let none = Some(ReasoningEffort::None);
    assert_eq!(think(none, Some(500)), json!({"thinkingBudget": 0}));
    assert_eq!(think(Some(ReasoningEffort::High), None), on(4096));
    assert_eq!(think(Some(ReasoningEffort::Low), Some(300)), on(300));
    assert_eq!(think(None, None), json!({"includeThoughts": true}));
}

#[test]
fn encode_unsupported_settings_warn_and_are_not_sent() {
    let mut r = CODEC.hi();
    r.parallel_tool_calls = Some(false);
    r.service_tier = Some("flex".into());
    r.user = Some("u-1".into());
    let (_, body, warnings) = CODEC.encode_with(&r, false);
    let names: Vec<&str> = warnings
        .iter()
        .filter_map(|w| w.setting.as_deref())
        .collect();
    assert_eq!(names, ["parallel_tool_calls", "service_tier", "user"]);
    assert!(warnings[0].message.contains("gemini"));
    let keys: Vec<&String> = body.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["contents"]);
}

#[test]
fn encode_provider_options_merge_deeply() {
    let safety = json!([{"category": "HARM_CATEGORY_HATE_SPEECH", "threshold": "BLOCK_NONE"}]);
    let r = CODEC
        .hi()
        .with_temperature(0.2)
        .with_max_tokens(10)
        .with_provider_option("generationConfig", json!({"temperature": 0.9}))
        .with_provider_option("safetySettings", safety.clone())
        .with_provider_option("tools", json!([{"googleSearch": {}}]));
    let body = CODEC.body_of(&r);
    let gen = json!({"temperature": 0.9, "maxOutputTokens": 10});
    assert_eq!(body["generationConfig"], gen);
    assert_eq!(body["safetySettings"], safety);
    assert_eq!(body["tools"], json!([{"googleSearch": {}}]));
}

// ---------------------------------------------------------------------------------------------
// Decode
// ---------------------------------------------------------------------------------------------

#[test]
fn decode_thinking_and_signed_text() {
    let r = CODEC.decode(fixture_pair!("thinking_text", "sse").1);
    assert_eq!(r.id.as_deref(), Some("exllm-gem-think-1"));
    assert_eq!(r.model.as_deref(), Some("gemini-2.5-flash"));
    let thought =
        "**Recalling the physics**\nAt one atmosphere, pure water boils at 100 degrees Celsius.";
    assert_eq!(
        r.content,
        vec![
            Part::Reasoning(Reasoning {
                text: thought.into(),
                ..Default::default()
            }),
            Part::text("Water boils at 100 °C (212 °F) at sea level."),
            signature_only("CiQBVKhc7gexllmSigTextA1b2c3d4e5f6"),
        ]
    );
    assert_eq!(finish_of(&r), (FinishKind::Stop, Some("STOP")));
    let u = r.usage.as_ref().unwrap();
    assert_eq!(u.input_tokens, Some(12));
    assert_eq!(u.output_tokens, Some(75), "candidates 15 + thoughts 60");
    assert_eq!(u.reasoning_tokens, Some(60));
    assert_eq!((u.cache_read_tokens, u.cache_write_tokens), (None, None));
    assert_eq!(u.raw.as_ref().unwrap().value()["totalTokenCount"], 87);
    assert!(r.provider_meta.is_empty() && r.error.is_none());
}

#[test]
fn decode_function_calls_get_unique_ids_and_keep_signatures() {
    let r = CODEC.decode(fixture_pair!("function_calls", "sse").1);
    let calls = r.tool_calls();
    assert_eq!(calls.len(), 2);
    assert_eq!(
        (calls[0].id.as_str(), calls[1].id.as_str()),
        ("call_0", "call_1")
    );
    assert_eq!(calls[0].name, "get_weather");
    assert_eq!(
        calls[0].arguments,
        json!({"city": "Paris", "unit": "celsius"})
    );
    let meta = Some(json!({ "thoughtSignature": CALL_SIG }));
    assert_eq!(calls[0].provider_meta, meta);
    assert_eq!(calls[1].arguments, json!({"timezone": "Europe/Paris"}));
    assert_eq!(calls[1].provider_meta, None);
    assert_eq!(finish_of(&r), (FinishKind::ToolCalls, Some("STOP")));
    let u = r.usage.unwrap();
    assert_eq!(u.input_tokens, Some(140), "prompt 120 + tool-use prompt 20");
    assert_eq!(u.output_tokens, Some(75), "candidates 31 + thoughts 44");
    assert_eq!(u.cache_read_tokens, Some(64));
    assert_eq!(u.reasoning_tokens, Some(44));
}

#[test]
fn decode_keeps_provider_call_ids_and_defaults_missing_args() {
    let r = CODEC.decode(&edge("calls_with_and_without_ids").to_string());
    let calls = r.tool_calls();
    let ids: Vec<&str> = calls.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["fc-7", "call_1", "call_2"]);
    assert_eq!(calls[0].arguments, json!({"x": 1}));
    assert_eq!(
        (&calls[1].arguments, &calls[2].arguments),
        (&json!({}), &json!({}))
    );
}

#[test]
fn decode_code_execution_items_and_grounding_metadata() {
    let r = CODEC.decode(fixture_pair!("code_grounding", "sse").1);
    let item = |i: usize| match &r.content[i] {
        Part::ProviderItem(p) => p.clone(),
        other => panic!("expected a provider item, got {other:?}"),
    };
    assert_eq!(r.content.len(), 4);
    assert_eq!(
        r.content[0],
        Part::text("I'll add the numbers from 1 to 100.")
    );
    let code =
        json!({"executableCode": {"language": "PYTHON", "code": "print(sum(range(1, 101)))\n"}});
    assert_eq!(
        (item(1).api.as_str(), item(1).item_type.as_str()),
        ("gemini", "executableCode")
    );
    assert_eq!(item(1).raw, code);
    assert_eq!(item(2).item_type, "codeExecutionResult");
    assert_eq!(item(2).raw["codeExecutionResult"]["output"], "5050\n");
    assert_eq!(r.content[3], Part::text("The sum is 5050, as Gauss found."));
    assert_eq!(finish_of(&r), (FinishKind::Stop, Some("STOP")));
    let g = &r.provider_meta["groundingMetadata"];
    assert_eq!(g["webSearchQueries"], json!(["gauss sum 1 to 100"]));
    assert_eq!(g["groundingChunks"][0]["web"]["title"], "example.org");
    assert_eq!(
        r.provider_meta["safetyRatings"][0]["probability"],
        "NEGLIGIBLE"
    );
    let u = r.usage.unwrap();
    assert_eq!((u.input_tokens, u.output_tokens), (Some(31), Some(58)));
    assert_eq!(u.reasoning_tokens, None);
}

#[test]
fn decode_finish_reasons() {
    let cases = [
        ("STOP", FinishKind::Stop),
        ("MAX_TOKENS", FinishKind::Length),
        ("SAFETY", FinishKind::ContentFilter),
        ("RECITATION", FinishKind::ContentFilter),
        ("PROHIBITED_CONTENT", FinishKind::ContentFilter),
        ("SPII", FinishKind::ContentFilter),
        ("MALFORMED_FUNCTION_CALL", FinishKind::Other),
        ("SOMETHING_NEW", FinishKind::Other),
    ];
    for (raw, kind) in cases {
        let content = json!({"role": "model", "parts": [{"text": "x"}]});
        let body = json!({"candidates": [{"content": content, "finishReason": raw, "index": 0}]});
        let r = CODEC.decode(&body.to_string());
        assert_eq!(finish_of(&r), (kind, Some(raw)), "{raw}");
    }
}

#[test]
fn decode_blocked_prompt_is_a_content_filter() {
    let r = CODEC.decode(&edge("blocked_prompt").to_string());
    assert!(r.content.is_empty());
    assert_eq!(finish_of(&r), (FinishKind::ContentFilter, Some("SAFETY")));
    assert_eq!(r.provider_meta["promptFeedback"]["blockReason"], "SAFETY");
    let u = r.usage.unwrap();
    assert_eq!(u.input_tokens, Some(9));
    assert_eq!(u.output_tokens, None, "no candidate counts were sent");
}

#[test]
fn decode_ignores_other_candidates_and_reports_missing_usage_as_unknown() {
    let r = CODEC.decode(&edge("two_candidates").to_string());
    assert_eq!(r.text(), "first");
    assert_eq!(finish_of(&r), (FinishKind::Stop, Some("STOP")));
    assert!(r.usage.is_none());
    assert!(r.id.is_none() && r.model.is_none());
}

#[test]
fn decode_error_object_and_malformed_bodies() {
    let r = CODEC.decode(&edge("error_body").to_string());
    assert_eq!(finish_of(&r), (FinishKind::Error, Some("UNAVAILABLE")));
    let e = r.error.unwrap();
    assert_eq!(e.message, "The model is overloaded.");
    assert_eq!(e.code.as_deref(), Some("UNAVAILABLE"));

    for bad in ["", "{", "[1, 2]", r#"{"candidates": {}}"#] {
        let err = GeminiCodec.decode(bad.as_bytes()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Decode, "{bad:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// Stream
// ---------------------------------------------------------------------------------------------

#[test]
fn stream_equals_decode_for_every_fixture() {
    for (sse_text, json_text) in [
        fixture_pair!("thinking_text", "sse"),
        fixture_pair!("function_calls", "sse"),
        fixture_pair!("code_grounding", "sse"),
    ] {
        assert_eq!(CODEC.stream(&sse_data(sse_text)), CODEC.decode(json_text));
    }
}

#[test]
fn stream_emits_start_once_then_deltas_in_order_and_usage_once() {
    let (events, end) = CODEC.stream_events(&sse_data(fixture_pair!("thinking_text", "sse").0));
    end.unwrap();
    let count = |f: fn(&StreamEvent) -> bool| events.iter().filter(|e| f(e)).count();
    assert_eq!(count(|e| matches!(e, StreamEvent::Start { .. })), 1);
    assert_eq!(count(|e| matches!(e, StreamEvent::Usage(_))), 1);
    assert_eq!(
        events[..5],
        [
            StreamEvent::Start {
                id: Some("exllm-gem-think-1".into()),
                model: Some("gemini-2.5-flash".into()),
            },
            StreamEvent::ReasoningDelta("**Recalling the physics**\nAt one atmosphere, ".into()),
            StreamEvent::ReasoningDelta("pure water boils at 100 degrees Celsius.".into()),
            StreamEvent::TextDelta("Water boils at 100 °C".into()),
            StreamEvent::TextDelta(" (212 °F) at sea level.".into()),
        ]
    );
}

#[test]
fn stream_signature_in_a_trailing_empty_part_equals_a_signed_text_part() {
    let streamed = CODEC.stream(&edge_chunks("signed_text_chunks"));
    assert_eq!(
        streamed,
        CODEC.decode(&edge("signed_text_whole").to_string())
    );
    assert_eq!(
        streamed.content,
        vec![Part::text("Hello"), signature_only("s1")]
    );
}

#[test]
fn stream_in_band_error_ends_with_error() {
    let (events, end) = CODEC.stream_events(&edge_chunks("error_chunks"));
    end.expect("an error chunk ends the stream");
    let r = collect(events);
    assert_eq!(r.text(), "Partial");
    assert_eq!(finish_of(&r), (FinishKind::Error, Some("INTERNAL")));
    assert_eq!(r.error.unwrap().message, "An internal error has occurred.");
}

#[test]
fn stream_without_finish_reason_is_truncated() {
    let mut frames = sse_data(fixture_pair!("thinking_text", "sse").0);
    frames.pop();
    let (events, end) = CODEC.stream_events(&frames);
    assert_eq!(end.unwrap_err().kind(), ErrorKind::Truncated);
    // What did arrive is still reported.
    let usage = events.iter().find_map(|e| match e {
        StreamEvent::Usage(u) => Some(u),
        _ => None,
    });
    assert_eq!(usage.unwrap().reasoning_tokens, Some(60));

    let (_, end) = CODEC.stream_events::<String>(&[]);
    assert_eq!(end.unwrap_err().kind(), ErrorKind::Truncated);
    let (_, end) = CODEC.stream_events(&["  ".into(), String::new()]);
    assert_eq!(end.unwrap_err().kind(), ErrorKind::Truncated);
}

#[test]
fn stream_malformed_json_is_a_decode_error() {
    let ok = json!({"candidates": [{"content": {"parts": [{"text": "ok"}]}, "index": 0}]});
    for bad in ["{\"candidates\": [", "[DONE]", "{\"candidates\": 5}"] {
        let (events, end) = CODEC.stream_events(&[ok.to_string(), bad.to_owned()]);
        assert_eq!(end.unwrap_err().kind(), ErrorKind::Decode, "{bad}");
        assert_eq!(events, [StreamEvent::TextDelta("ok".into())]);
    }
}

#[test]
fn decode_odd_parts_keep_their_fields() {
    // A signature alone, a text that is not a string, a function call that is not an
    // object, and a part whose first field (alphabetically) is `thought`.
    let r = CODEC.decode(
        r#"{"candidates":[{"content":{"role":"model","parts":[
            {"thoughtSignature":"c2ln"},
            {"text":5},
            {"functionCall":"nope"},
            {"videoMetadata":{"fps":1},"thought":false},
            {"text":"ok","unknownField":1}
        ]},"finishReason":"STOP","safetyRatings":[{"category":"X"}]}],
        "usageMetadata":{"promptTokenCount":2.5,"candidatesTokenCount":3}}"#,
    );
    let items: Vec<_> = r
        .content
        .iter()
        .filter_map(|p| match p {
            Part::ProviderItem(i) => Some((i.item_type.as_str(), i.raw.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(
        items,
        vec![
            ("", json!({"thoughtSignature": "c2ln"})),
            ("text", json!({"text": 5})),
            ("functionCall", json!({"functionCall": "nope"})),
            (
                "thought",
                json!({"videoMetadata": {"fps": 1}, "thought": false})
            ),
        ]
    );
    assert_eq!(r.text(), "ok");
    let u = r.usage.unwrap();
    assert_eq!((u.input_tokens, u.output_tokens), (None, Some(3)));
    assert_eq!(r.provider_meta["safetyRatings"], json!([{"category": "X"}]));
}

#[test]
fn several_candidates_become_alternatives_whole_and_streamed() {
    let cand = |i: u32, text: &str, finish: Option<&str>| {
        let mut c = json!({"index": i, "content": {"role": "model", "parts": [{"text": text}]}});
        if let Some(f) = finish {
            c["finishReason"] = f.into();
        }
        c
    };
    let whole = CODEC.decode(
        &json!({"candidates": [
            {"content": {"role": "model", "parts": [{"text": "Red."}]}, "finishReason": "STOP"},
            cand(1, "Blue sky.", Some("MAX_TOKENS")),
            {"index": 2, "content": {"role": "model", "parts": [{"functionCall": {"name": "pick", "args": {"c": 1}}}]},
             "finishReason": "STOP"}],
            "modelVersion": "gemini-2.5-flash"})
        .to_string(),
    );
    assert_eq!(whole.text(), "Red.");
    let alts = &whole.alternatives;
    assert_eq!(alts.len(), 2);
    assert_eq!((alts[0].index, alts[0].text()), (1, "Blue sky.".to_owned()));
    assert_eq!(alts[0].finish.as_ref().unwrap().kind, FinishKind::Length);
    assert_eq!(alts[1].index, 2);
    // A tool call and STOP is a tool-calls finish, in an alternative as in the response.
    assert_eq!(alts[1].finish.as_ref().unwrap().kind, FinishKind::ToolCalls);
    assert!(
        matches!(&alts[1].content[..], [Part::ToolCall(c)] if c.name == "pick" && !c.id.is_empty())
    );

    let chunk = |cands: Value| json!({"candidates": cands, "modelVersion": "gemini-2.5-flash"});
    let streamed = CODEC.stream(&data_frames(&[
        chunk(json!([cand(1, "Blue ", None), cand(0, "Red.", None)])),
        chunk(json!([cand(1, "sky.", Some("MAX_TOKENS")), {"index": 2, "content": {"role": "model",
            "parts": [{"functionCall": {"name": "pick", "args": {"c": 1}}}]}, "finishReason": "STOP"}])),
        chunk(json!([{"content": {"role": "model", "parts": [{"text": ""}]}, "finishReason": "STOP"}])),
    ]));
    assert_eq!(streamed.text(), "Red.");
    assert_eq!(streamed.alternatives.len(), 2);
    assert_eq!(streamed.alternatives[0], alts[0]);
    assert_eq!(streamed.alternatives[1].finish, alts[1].finish);
}

#[test]
fn usage_reads_audio_modality_counts() {
    let r = CODEC.decode(
        &json!({"candidates": [{"content": {"role": "model", "parts": [{"text": "ok"}]}, "finishReason": "STOP"}],
            "usageMetadata": {"promptTokenCount": 40, "candidatesTokenCount": 12, "totalTokenCount": 52,
                "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 10}, {"modality": "AUDIO", "tokenCount": 30}],
                "candidatesTokensDetails": [{"modality": "AUDIO", "tokenCount": 12}]}})
        .to_string(),
    );
    let u = r.usage.unwrap();
    assert_eq!((u.input_tokens, u.output_tokens), (Some(40), Some(12)));
    assert_eq!(u.details.audio_input_tokens, Some(30));
    assert_eq!(u.details.audio_output_tokens, Some(12));
    // Details of an odd shape are unknown; the counts still read.
    let r = CODEC.decode(
        &json!({"candidates": [], "usageMetadata": {"promptTokenCount": 4, "promptTokensDetails": "?"}})
            .to_string(),
    );
    let u = r.usage.unwrap();
    assert_eq!(u.input_tokens, Some(4));
    assert!(u.details.is_empty());
}
