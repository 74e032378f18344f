//! Encoding requests.

use super::*;

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
    // Spoken answers are a Chat Completions option: asked of Gemini, a warning, not silence.
    r.audio = Some(exllm_audio());
    let (_, body, warnings) = CODEC.encode_with(&r, false);
    let names: Vec<&str> = warnings
        .iter()
        .filter_map(|w| w.setting.as_deref())
        .collect();
    assert_eq!(
        names,
        ["parallel_tool_calls", "service_tier", "user", "audio"]
    );
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

fn exllm_audio() -> crate::types::AudioOutput {
    crate::types::AudioOutput::default()
}
