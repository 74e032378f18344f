use super::*;
use crate::error::ErrorKind;
use crate::provider::test_support::{collect, finish_of, fixture_pair, sorted_settings, TestCodec};
use crate::provider::Auth;
use crate::types::{Message, ProviderItem, ReasoningConfig, Secret, Tool, ToolChoice};

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

fn endpoint() -> Endpoint {
    Endpoint::new("ollama", "http://localhost:11434")
}

const CODEC: TestCodec = TestCodec::new(&OllamaCodec, "llama3.2", endpoint);

fn lines(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_owned)
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Encode
// ---------------------------------------------------------------------------------------------

#[test]
fn encode_posts_to_api_chat_and_always_says_whether_to_stream() {
    let (request, body, warnings) = CODEC.encode_with(&CODEC.hi(), false);
    assert_eq!(request.method(), http::Method::POST);
    assert_eq!(request.uri(), "http://localhost:11434/api/chat");
    assert_eq!(request.headers()["accept"], "application/json");
    assert!(request.headers().get("authorization").is_none());
    assert_eq!(
        body,
        json!({"model": "llama3.2", "messages": [{"role": "user", "content": "Hi"}], "stream": false})
    );
    assert!(warnings.is_empty());

    let (request, body, _) = CODEC.encode_with(&CODEC.hi(), true);
    assert_eq!(request.headers()["accept"], "application/x-ndjson");
    assert_eq!(body["stream"], true);

    let mut ep = Endpoint::new("ollama-cloud", "https://ollama.com/");
    ep.auth = Auth::Bearer(Secret::new("ol-key"));
    let enc = OllamaCodec
        .encode(&CODEC.hi(), "gpt-oss:120b", &ep, false)
        .unwrap();
    assert_eq!(enc.request.uri(), "https://ollama.com/api/chat");
    assert_eq!(enc.request.headers()["authorization"], "Bearer ol-key");
}

#[test]
fn encode_a_whole_conversation() {
    // System and developer roles, joined text, base64 images, thinking, tool calls with object,
    // text and broken arguments, and tool results with and without a tool name.
    let fixture: Value = serde_json::from_str(include_str!("fixtures/conversation.json")).unwrap();
    let r: ChatRequest = serde_json::from_value(fixture["request"].clone()).unwrap();
    let enc = OllamaCodec
        .encode(&r, "llama3.2-vision", &endpoint(), false)
        .unwrap();
    // The broken arguments go as {} with a warning.
    assert_eq!(enc.warnings.len(), 1, "{:?}", enc.warnings);
    assert!(
        enc.warnings[0].message.contains("call_2"),
        "{:?}",
        enc.warnings
    );
    let body: Value = serde_json::from_slice(enc.request.body()).unwrap();
    assert_eq!(body, fixture["body"]);
}

#[test]
fn encode_parts_ollama_cannot_take_warn_and_are_dropped() {
    let m = Message::new(
        Role::User,
        vec![
            Part::text("Look"),
            Part::image_url("https://example.com/cat.png"),
            Part::File {
                source: MediaSource::Base64("JVBERi0=".into()),
                media_type: Some("application/pdf".into()),
                filename: None,
            },
            Part::Refusal { text: "no".into() },
            Part::ProviderItem(ProviderItem {
                api: "gemini".into(),
                item_type: "executableCode".into(),
                raw: json!({}),
            }),
        ],
    );
    let (_, body, warnings) = CODEC.encode_with(&ChatRequest::new("ollama/x", vec![m]), false);
    assert_eq!(
        body["messages"],
        json!([{"role": "user", "content": "Look"}])
    );
    assert_eq!(warnings.len(), 4, "{warnings:?}");
    for (w, what) in warnings
        .iter()
        .zip(["image", "file", "refusal", "provider item"])
    {
        assert!(w.message.contains(what), "{w:?}");
        assert_eq!(w.setting, None);
    }
}

#[test]
fn encode_tools_and_the_unsupported_tool_choice() {
    let schema = json!({"type": "object", "properties": {"city": {"type": "string"}}});
    let r = CODEC
        .hi()
        .with_tool(Tool::new(
            "get_weather",
            "Weather for a city",
            schema.clone(),
        ))
        .with_tool_choice(ToolChoice::Required);
    let (_, body, warnings) = CODEC.encode_with(&r, false);
    assert_eq!(
        body["tools"],
        json!([{"type": "function", "function": {
            "name": "get_weather", "description": "Weather for a city", "parameters": schema}}])
    );
    assert!(body.get("tool_choice").is_none());
    assert_eq!(sorted_settings(&warnings), ["tool_choice"]);
}

#[test]
fn encode_sampling_settings_go_into_options() {
    let mut r = CODEC.hi().with_temperature(0.7).with_max_tokens(128);
    (r.top_p, r.top_k, r.seed) = (Some(0.9), Some(20), Some(42));
    (r.frequency_penalty, r.presence_penalty) = (Some(0.1), Some(0.2));
    r.stop = vec!["</s>".into()];
    let (_, body, warnings) = CODEC.encode_with(&r, false);
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(
        body["options"],
        json!({"temperature": 0.7, "top_p": 0.9, "top_k": 20, "num_predict": 128, "seed": 42,
               "frequency_penalty": 0.1, "presence_penalty": 0.2, "stop": ["</s>"]})
    );
    for key in ["temperature", "max_tokens", "num_predict", "stop", "seed"] {
        assert!(body.get(key).is_none(), "{key} belongs in options");
    }
    assert!(CODEC.body_of(&CODEC.hi()).get("options").is_none());
}

#[test]
fn encode_format_and_think() {
    let format = |f| CODEC.body_of(&CODEC.hi().with_response_format(f))["format"].clone();
    assert_eq!(format(ResponseFormat::JsonObject), json!("json"));
    let schema = json!({"type": "object", "properties": {"age": {"type": "integer"}}});
    let json_schema = ResponseFormat::JsonSchema {
        name: "person".into(),
        schema: schema.clone(),
        description: None,
        strict: Some(true),
    };
    assert_eq!(format(json_schema), schema);
    assert_eq!(format(ResponseFormat::Text), Value::Null);

    let think = |effort: Option<ReasoningEffort>, budget_tokens: Option<u32>| {
        let r = CODEC.hi().with_reasoning(ReasoningConfig {
            effort,
            budget_tokens,
            summary: None,
        });
        CODEC.body_of(&r)["think"].clone()
    };
    assert_eq!(think(Some(ReasoningEffort::None), None), json!(false));
    assert_eq!(think(Some(ReasoningEffort::Low), None), json!("low"));
    assert_eq!(think(Some(ReasoningEffort::Medium), None), json!("medium"));
    assert_eq!(think(Some(ReasoningEffort::High), Some(9)), json!("high"));
    assert_eq!(think(Some(ReasoningEffort::Minimal), None), json!(true));
    assert_eq!(think(None, Some(1000)), json!(true));
    assert!(CODEC.body_of(&CODEC.hi()).get("think").is_none());
}

#[test]
fn encode_unsupported_settings_warn_and_are_not_sent() {
    let mut r = CODEC.hi();
    r.n = Some(2);
    r.logprobs = Some(true);
    r.top_logprobs = Some(2);
    r.parallel_tool_calls = Some(false);
    r.service_tier = Some("flex".into());
    r.user = Some("u-1".into());
    let (_, body, warnings) = CODEC.encode_with(&r, false);
    assert_eq!(
        sorted_settings(&warnings),
        [
            "logprobs",
            "n",
            "parallel_tool_calls",
            "service_tier",
            "top_logprobs",
            "user"
        ]
    );
    assert!(warnings.iter().all(|w| w.message.contains("ollama")));
    let mut keys: Vec<&String> = body.as_object().unwrap().keys().collect();
    keys.sort_unstable();
    assert_eq!(keys, ["messages", "model", "stream"]);
}

#[test]
fn encode_provider_options_merge_into_options() {
    let r = CODEC
        .hi()
        .with_temperature(0.5)
        .with_provider_option("options", json!({"num_ctx": 8192, "temperature": 0.1}))
        .with_provider_option("keep_alive", json!("10m"));
    let body = CODEC.body_of(&r);
    assert_eq!(
        body["options"],
        json!({"num_ctx": 8192, "temperature": 0.1})
    );
    assert_eq!(body["keep_alive"], "10m");
    let r = CODEC.hi().with_provider_option("stream", json!(true));
    assert_eq!(
        CODEC.body_of(&r)["stream"],
        true,
        "an option can override anything"
    );
}

// ---------------------------------------------------------------------------------------------
// Decode
// ---------------------------------------------------------------------------------------------

#[test]
fn decode_thinking_answer_with_counts_and_timings() {
    let r = CODEC.decode(fixture_pair!("thinking", "ndjson").1);
    assert_eq!(r.model.as_deref(), Some("qwen3:8b"));
    assert_eq!(r.id, None);
    assert_eq!(
        r.content,
        vec![
            Part::Reasoning(crate::types::Reasoning {
                text: "The user asks for the capital of France. That is Paris.".into(),
                ..Default::default()
            }),
            Part::text("The capital of France is Paris."),
        ]
    );
    assert_eq!(finish_of(&r), (FinishKind::Stop, Some("stop")));
    let u = r.usage.as_ref().unwrap();
    assert_eq!((u.input_tokens, u.output_tokens), (Some(26), Some(290)));
    assert_eq!((u.reasoning_tokens, u.cache_read_tokens), (None, None));
    assert_eq!(
        u.raw,
        Some(json!({"prompt_eval_count": 26, "eval_count": 290}).into())
    );
    let meta = &r.provider_meta;
    assert_eq!(meta["created_at"], "2025-06-01T10:00:02.123456Z");
    assert_eq!(meta["total_duration"], 4883583458u64);
    assert_eq!(meta["load_duration"], 1334875);
    assert_eq!(meta["prompt_eval_duration"], 342546000);
    assert_eq!(meta["eval_duration"], 4535599000u64);
    assert_eq!(meta.len(), 5);
}

#[test]
fn decode_tool_calls_with_and_without_ids() {
    let r = CODEC.decode(fixture_pair!("tool_calls", "ndjson").1);
    let calls = r.tool_calls();
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0].id, "call_0", "made up where the server sent none");
    assert_eq!(calls[1].id, "call_ol_7f3a");
    assert_eq!(calls[0].name, "get_weather");
    assert_eq!(
        calls[0].arguments,
        json!({"city": "Toronto", "unit": "celsius"})
    );
    assert_eq!(calls[1].arguments, json!({"timezone": "America/Toronto"}));
    assert_eq!(r.text(), "");
    assert_eq!(finish_of(&r), (FinishKind::ToolCalls, Some("stop")));
}

#[test]
fn decode_tool_call_argument_shapes() {
    let body = json!({"model": "m", "done": true, "done_reason": "stop", "message": {"role": "assistant",
    "content": "", "tool_calls": [
        {"function": {"name": "a", "arguments": "{\"x\": 1}"}},
        {"function": {"name": "b", "arguments": null}},
        {"function": {"name": "c"}},
        {},
    ]}});
    let r = CODEC.decode(&body.to_string());
    let args: Vec<&Value> = r.tool_calls().iter().map(|c| &c.arguments).collect();
    assert_eq!(args, [&json!({"x": 1}), &json!({}), &json!({}), &json!({})]);
    let ids: Vec<&str> = r.tool_calls().iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["call_0", "call_1", "call_2", "call_3"]);
}

#[test]
fn decode_absent_counts_are_zero() {
    let r =
        CODEC.decode(r#"{"model":"m","message":{"role":"assistant","content":"ok"},"done":true}"#);
    let u = r.usage.unwrap();
    assert_eq!((u.input_tokens, u.output_tokens), (Some(0), Some(0)));
    assert_eq!(u.raw, Some(json!({}).into()));
    assert_eq!(r.finish, None, "no done_reason, no finish reason");
    assert!(r.provider_meta.is_empty());
}

#[test]
fn decode_finish_reasons() {
    for (raw, kind) in [
        ("stop", FinishKind::Stop),
        ("length", FinishKind::Length),
        ("load", FinishKind::Other),
        ("unload", FinishKind::Other),
        ("something_new", FinishKind::Other),
    ] {
        let body =
            json!({"model": "m", "message": {"content": "x"}, "done": true, "done_reason": raw});
        let r = CODEC.decode(&body.to_string());
        assert_eq!(finish_of(&r), (kind, Some(raw)), "{raw}");
    }
    let r = CODEC.decode(r#"{"done":true,"done_reason":""}"#);
    assert_eq!(r.finish, None);
}

#[test]
fn decode_error_body_and_malformed_or_unfinished_bodies() {
    let r = CODEC.decode(r#"{"error":"model \"llama9\" not found, try pulling it first"}"#);
    assert_eq!(r.finish_kind(), Some(FinishKind::Error));
    assert_eq!(
        r.error.unwrap().message,
        "model \"llama9\" not found, try pulling it first"
    );

    for bad in [
        "",
        "{",
        "[]",
        r#"{"done": "yes"}"#,
        r#"{"message": {"content": 1}}"#,
    ] {
        let err = OllamaCodec.decode(bad.as_bytes()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Decode, "{bad:?}");
    }
    let err = OllamaCodec
        .decode(br#"{"model":"m","message":{"content":"partial"},"done":false}"#)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Truncated);
}

// ---------------------------------------------------------------------------------------------
// Stream
// ---------------------------------------------------------------------------------------------

#[test]
fn stream_equals_decode() {
    for (ndjson, whole) in [
        fixture_pair!("thinking", "ndjson"),
        fixture_pair!("tool_calls", "ndjson"),
    ] {
        assert_eq!(CODEC.stream(&lines(ndjson)), CODEC.decode(whole));
    }
}

#[test]
fn stream_events_in_order() {
    let (events, end) = CODEC.stream_events(&lines(fixture_pair!("thinking", "ndjson").0));
    end.unwrap();
    assert_eq!(
        events[..5],
        [
            StreamEvent::Start {
                id: None,
                model: Some("qwen3:8b".into())
            },
            StreamEvent::ReasoningDelta("The user asks for the capital".into()),
            StreamEvent::ReasoningDelta(" of France. That is Paris.".into()),
            StreamEvent::TextDelta("The capital".into()),
            StreamEvent::TextDelta(" of France is Paris.".into()),
        ]
    );
    let starts = events
        .iter()
        .filter(|e| matches!(e, StreamEvent::Start { .. }))
        .count();
    assert_eq!(starts, 1);
    assert!(matches!(events.last(), Some(StreamEvent::Finish(_))));
}

#[test]
fn stream_through_the_ndjson_framer_in_small_chunks() {
    assert_eq!(OllamaCodec.framing(), Framing::Ndjson);
    let (body, whole) = fixture_pair!("tool_calls", "ndjson");
    for size in [1, 7, 64, body.len()] {
        let mut framer = OllamaCodec.framing().framer();
        let mut dec = OllamaCodec.stream_decoder();
        let mut events = Vec::new();
        let mut sink = |f: Frame<'_>| dec.decode(f, &mut events);
        for chunk in body.as_bytes().chunks(size) {
            framer.feed(chunk, &mut sink).unwrap();
        }
        framer.finish(&mut sink).unwrap();
        dec.finish(&mut events).unwrap();
        assert_eq!(collect(events), CODEC.decode(whole), "chunks of {size}");
    }
}

#[test]
fn stream_error_line_ends_with_error() {
    let mut all = lines(fixture_pair!("thinking", "ndjson").0);
    all.truncate(3);
    all.push(
        r#"{"error":"an error was encountered while running the model: unexpected EOF"}"#.into(),
    );
    let (events, end) = CODEC.stream_events(&all);
    end.expect("an error line ends the stream");
    let r = collect(events);
    assert_eq!(r.text(), "The capital");
    assert_eq!(r.finish_kind(), Some(FinishKind::Error));
    let e = r.error.unwrap();
    assert_eq!(
        e.message,
        "an error was encountered while running the model: unexpected EOF"
    );
    assert_eq!(e.code, None);
    assert!(r.usage.is_none());
}

#[test]
fn stream_without_done_is_truncated() {
    let mut all = lines(fixture_pair!("tool_calls", "ndjson").0);
    all.pop();
    let (events, end) = CODEC.stream_events(&all);
    assert_eq!(end.unwrap_err().kind(), ErrorKind::Truncated);
    assert_eq!(collect(events).tool_calls().len(), 2);
    let (_, end) = CODEC.stream_events::<String>(&[]);
    assert_eq!(end.unwrap_err().kind(), ErrorKind::Truncated);
}

#[test]
fn stream_malformed_line_is_a_decode_error() {
    let mut all = lines(fixture_pair!("thinking", "ndjson").0);
    all.insert(1, "{\"model\":\"qwen3:8b\",\"message\":".into());
    let (events, end) = CODEC.stream_events(&all);
    assert_eq!(end.unwrap_err().kind(), ErrorKind::Decode);
    assert_eq!(events.len(), 2, "only the first line was decoded");
}
