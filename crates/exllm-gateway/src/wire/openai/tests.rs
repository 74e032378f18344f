//! Round trips against the library's own client-side Chat Completions codec: a request the
//! library encodes decodes here to the same canonical request; answers and streams encoded
//! here decode there to the same text, tool calls, finish reason and usage.

use super::*;
use exllm::provider::{Codec, Endpoint, OpenAiChatCodec};
use exllm::wire::{Framer, SseFramer};
use exllm::{
    response_to_events, ChatRequest, Collector, FinishKind, FinishReason, Message, Part, Reasoning,
    ReasoningConfig, ReasoningEffort, ResponseFormat, Role, StreamEvent, Tool, ToolCall,
    ToolChoice, ToolResult, Usage,
};
use proptest::prelude::*;
use serde_json::{json, Value};

fn library_body(req: &ChatRequest, stream: bool) -> Vec<u8> {
    let mut ep = Endpoint::new("openai", "http://127.0.0.1:1/v1");
    ep.quirks.developer_role = true;
    let encoded = OpenAiChatCodec
        .encode(req, &req.model, &ep, stream)
        .expect("encode");
    encoded.request.body().to_vec()
}

fn full_request() -> ChatRequest {
    let call = ToolCall {
        id: "call_1".into(),
        name: "weather".into(),
        arguments: json!({"city": "Paris"}),
        provider_meta: None,
    };
    let mut req = ChatRequest::new(
        "gpt-4o",
        vec![
            Message::system("Be brief."),
            Message::developer("Use tools."),
            Message::new(
                Role::User,
                vec![
                    Part::text("What is this?"),
                    Part::image_url("https://example.com/cat.png"),
                    Part::image_base64("image/png", "iVBORw0KGgo="),
                ],
            ),
            Message::new(Role::Assistant, vec![Part::ToolCall(call)]),
            Message::tool_result(ToolResult::text("call_1", "18C and sunny")),
            Message::assistant("It is sunny."),
            Message::user("Thanks"),
        ],
    )
    .with_tool(Tool::new(
        "weather",
        "Weather in a city",
        json!({"type": "object", "properties": {"city": {"type": "string"}}}),
    ))
    .with_tool_choice(ToolChoice::Tool("weather".into()))
    .with_response_format(ResponseFormat::JsonSchema {
        name: "answer".into(),
        schema: json!({"type": "object"}),
        description: Some("the answer".into()),
        strict: Some(true),
    })
    .with_reasoning(ReasoningConfig {
        effort: Some(ReasoningEffort::Low),
        ..Default::default()
    })
    .with_max_tokens(100)
    .with_temperature(0.5);
    req.parallel_tool_calls = Some(false);
    req.top_p = Some(0.9);
    req.stop = vec!["END".into(), "STOP".into()];
    req.seed = Some(7);
    req.n = Some(1);
    req.presence_penalty = Some(0.1);
    req.frequency_penalty = Some(0.2);
    req.user = Some("u-1".into());
    req.logprobs = Some(true);
    req.top_logprobs = Some(2);
    req
}

#[test]
fn a_request_the_library_encodes_decodes_to_the_same_request() {
    let req = full_request();
    let inbound = OpenAiChat::decode_request(&library_body(&req, false)).expect("decode");
    assert_eq!(inbound.request, req);
    assert!(!inbound.stream);
    let inbound = OpenAiChat::decode_request(&library_body(&req, true)).expect("decode");
    assert!(inbound.stream && inbound.include_usage);
}

#[test]
fn sdk_shapes_decode() {
    let body = json!({
        "model": "fast",
        "messages": [
            {"role": "user", "content": [
                {"type": "text", "text": "hi"},
                {"type": "image_url", "image_url": {"url": "data:image/jpeg;base64,/9j/", "detail": "low"}}
            ]},
            {"role": "assistant", "content": null, "tool_calls": [
                {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{\"a\":1}"}}
            ]},
            {"role": "tool", "tool_call_id": "c1", "content": [{"type": "text", "text": "ok"}]}
        ],
        "stop": "X",
        "max_tokens": 5,
        "max_completion_tokens": 9,
        "response_format": {"type": "json_object"},
        "tool_choice": "required",
        "logit_bias": {"50256": -100},
        "metadata": {"a": "b"},
        "store": false,
        "stream": true
    });
    let inbound = OpenAiChat::decode_request(body.to_string().as_bytes()).expect("decode");
    let r = &inbound.request;
    assert!(inbound.stream && !inbound.include_usage);
    assert_eq!(r.stop, vec!["X".to_owned()]);
    assert_eq!(r.max_tokens, Some(9));
    assert_eq!(r.response_format, Some(ResponseFormat::JsonObject));
    assert_eq!(r.tool_choice, Some(ToolChoice::Required));
    assert_eq!(r.provider_options["logit_bias"], json!({"50256": -100}));
    assert!(!r.provider_options.contains_key("metadata"));
    match &r.messages[0].content[1] {
        Part::Image {
            source: exllm::MediaSource::Base64(d),
            media_type,
            detail,
        } => {
            assert_eq!(d, "/9j/");
            assert_eq!(media_type.as_deref(), Some("image/jpeg"));
            assert_eq!(*detail, Some(exllm::ImageDetail::Low));
        }
        other => panic!("not an inline image: {other:?}"),
    }
    assert_eq!(r.messages[1].content.len(), 1);
    match &r.messages[2].content[0] {
        Part::ToolResult(t) => {
            assert_eq!((t.call_id.as_str(), t.text_content()), ("c1", "ok".into()))
        }
        other => panic!("not a tool result: {other:?}"),
    }
}

#[test]
fn what_cannot_be_carried_is_a_400_naming_it() {
    let cases = [
        (
            json!({"model": "m", "messages": [{"role": "user", "content": "x"}], "modalities": ["audio"]}),
            "modalities",
        ),
        (
            json!({"model": "m", "messages": [{"role": "function", "content": "x"}]}),
            "role",
        ),
        (
            json!({"model": "m", "messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "file:///etc/passwd"}}]}]}),
            "https",
        ),
        (
            json!({"model": "m", "messages": [{"role": "user", "content": [{"type": "input_audio", "input_audio": {}}]}]}),
            "input_audio",
        ),
        (
            json!({"model": "m", "messages": [{"role": "tool", "content": "x"}]}),
            "tool_call_id",
        ),
        (
            json!({"model": "m", "messages": [{"role": "user", "content": "x"}], "reasoning_effort": "extreme"}),
            "reasoning_effort",
        ),
        (json!({"model": "m", "messages": []}), "messages"),
        (
            json!({"model": "m", "messages": [{"role": "user", "content": "x"}], "tools": [{"type": "custom"}]}),
            "tools[0]",
        ),
    ];
    for (body, needle) in cases {
        let err = OpenAiChat::decode_request(body.to_string().as_bytes()).unwrap_err();
        assert_eq!(err.status, 400, "{body}");
        assert!(
            err.message.contains(needle),
            "{} lacks {needle}",
            err.message
        );
    }
}

fn answer() -> exllm::ChatResponse {
    exllm::ChatResponse {
        id: Some("resp-1".into()),
        content: vec![
            Part::Reasoning(Reasoning {
                text: "thinking".into(),
                ..Default::default()
            }),
            Part::text("Hello there, friend"),
            Part::ToolCall(ToolCall {
                id: "call_a".into(),
                name: "weather".into(),
                arguments: json!({"city": "Paris"}),
                provider_meta: None,
            }),
            Part::ToolCall(ToolCall {
                id: "call_b".into(),
                name: "time".into(),
                arguments: json!({}),
                provider_meta: None,
            }),
        ],
        finish: Some(FinishReason::new(FinishKind::ToolCalls, "tool_use")),
        citations: vec![
            exllm::Citation::new("https://a.example/", Some("A".into())),
            exllm::Citation::new("https://b.example/", None),
        ],
        usage: Some(Usage {
            input_tokens: Some(120),
            output_tokens: Some(30),
            cache_read_tokens: Some(100),
            reasoning_tokens: Some(12),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn assert_same_answer(got: &exllm::ChatResponse, want: &exllm::ChatResponse) {
    assert_eq!(got.text(), want.text());
    assert_eq!(got.reasoning_text(), want.reasoning_text());
    let calls = |r: &exllm::ChatResponse| {
        r.tool_calls()
            .iter()
            .map(|c| (c.id.clone(), c.name.clone(), c.arguments.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(calls(got), calls(want));
    assert_eq!(got.finish_kind(), want.finish_kind());
    assert_eq!(got.citations, want.citations);
    let (g, w) = (got.usage.clone().unwrap(), want.usage.clone().unwrap());
    assert_eq!(g.input_tokens, w.input_tokens);
    assert_eq!(g.output_tokens, w.output_tokens);
    assert_eq!(g.cache_read_tokens, w.cache_read_tokens);
    assert_eq!(g.reasoning_tokens, w.reasoning_tokens);
}

#[test]
fn a_whole_answer_decodes_with_the_library_codec() {
    let want = answer();
    let body = OpenAiChat::encode_response(&want, "fast");
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["object"], "chat.completion");
    assert_eq!(v["model"], "fast");
    assert_eq!(v["choices"][0]["finish_reason"], "tool_calls");
    assert_eq!(v["usage"]["prompt_tokens"], 120);
    assert_eq!(v["usage"]["prompt_tokens_details"]["cached_tokens"], 100);
    assert_eq!(
        v["usage"]["completion_tokens_details"]["reasoning_tokens"],
        12
    );
    let got = OpenAiChatCodec.decode(&body).expect("library decodes it");
    assert_same_answer(&got, &want);
}

/// Decodes SSE bytes with the library's framer and stream decoder.
fn library_stream(bytes: &[u8]) -> (exllm::ChatResponse, exllm::Result<()>) {
    let mut framer = SseFramer::default();
    let mut decoder = OpenAiChatCodec.stream_decoder();
    let mut events = Vec::new();
    let mut fed = framer.feed(bytes, &mut |f| decoder.decode(f, &mut events));
    if fed.is_ok() {
        fed = framer.finish(&mut |f| decoder.decode(f, &mut events));
    }
    let ended = fed.and_then(|()| decoder.finish(&mut events));
    let mut c = Collector::new();
    events.into_iter().for_each(|e| c.push(e));
    (c.finish(), ended)
}

fn inbound(include_usage: bool) -> Inbound {
    Inbound {
        request: ChatRequest::new("fast", vec![Message::user("hi")]),
        stream: true,
        include_usage,
    }
}

#[test]
fn a_stream_decodes_with_the_library_stream_decoder() {
    let want = answer();
    let mut enc = OpenAiChat::stream_encoder(&inbound(true));
    let mut out = Vec::new();
    for e in response_to_events(&want) {
        enc.event(&e, &mut out);
    }
    enc.finish(&mut out);
    let text = String::from_utf8(out.clone()).unwrap();
    assert!(text.ends_with("data: [DONE]\n\n"));
    let frames: Vec<Value> = text
        .split("\n\n")
        .filter_map(|f| f.strip_prefix("data: "))
        .filter(|f| *f != "[DONE]")
        .map(|f| serde_json::from_str(f).unwrap())
        .collect();
    assert_eq!(frames[0]["choices"][0]["delta"]["role"], "assistant");
    let first_call = frames
        .iter()
        .find(|f| f["choices"][0]["delta"]["tool_calls"].is_array())
        .unwrap();
    let d = &first_call["choices"][0]["delta"]["tool_calls"][0];
    assert_eq!(
        (d["index"].clone(), d["id"].clone()),
        (json!(0), json!("call_a"))
    );
    assert_eq!(d["function"]["name"], "weather");
    let last = frames.last().unwrap();
    assert_eq!(last["choices"], json!([]));
    assert_eq!(last["usage"]["total_tokens"], 150);
    let (got, ended) = library_stream(&out);
    ended.expect("a clean end");
    assert_same_answer(&got, &want);
}

#[test]
fn argument_fragments_before_the_name_are_held_until_the_first_delta() {
    let mut enc = ChunkEncoder::new(&inbound(false));
    let mut out = Vec::new();
    for e in [
        StreamEvent::ToolCallStart {
            index: 3,
            id: String::new(),
            name: String::new(),
        },
        StreamEvent::ToolCallDelta {
            index: 3,
            arguments: "{\"a\":".into(),
        },
        StreamEvent::ToolCallStart {
            index: 3,
            id: "x".into(),
            name: "f".into(),
        },
        StreamEvent::ToolCallDelta {
            index: 3,
            arguments: "1}".into(),
        },
        StreamEvent::ToolCallEnd { index: 3 },
    ] {
        enc.event(&e, &mut out);
    }
    enc.finish(&mut out);
    let (got, ended) = library_stream(&out);
    ended.unwrap();
    let calls = got.tool_calls();
    assert_eq!(calls.len(), 1);
    assert_eq!((calls[0].id.as_str(), calls[0].name.as_str()), ("x", "f"));
    assert_eq!(calls[0].arguments, json!({"a": 1}));
    assert_eq!(got.finish_kind(), Some(FinishKind::ToolCalls));
}

#[test]
fn a_broken_stream_ends_with_an_error_frame_and_no_done() {
    let mut enc = OpenAiChat::stream_encoder(&inbound(true));
    let mut out = Vec::new();
    enc.event(&StreamEvent::TextDelta("partial".into()), &mut out);
    let err = ApiError {
        status: 502,
        kind: "api_error",
        message: "backend went away".into(),
        retry_after: None,
    };
    enc.error(&err, &mut out);
    enc.finish(&mut out);
    let text = String::from_utf8(out.clone()).unwrap();
    assert!(!text.contains("[DONE]"), "{text}");
    assert!(text.ends_with("\"code\":null}}\n\n"), "{text}");
    let (got, _) = library_stream(&out);
    assert_eq!(got.finish_kind(), Some(FinishKind::Error));
    assert_eq!(got.error.unwrap().message, "backend went away");
}

#[test]
fn errors_have_openais_shape() {
    let body = encode_error(&ApiError {
        status: 404,
        kind: "not_found_error",
        message: "no model `x`".into(),
        retry_after: None,
    });
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        v,
        json!({"error": {"message": "no model `x`", "type": "not_found_error", "param": null, "code": "model_not_found"}})
    );
}

proptest! {
    #[test]
    fn decoding_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = OpenAiChat::decode_request(&bytes);
    }

    #[test]
    fn decoding_arbitrary_messages_never_panics(role in "[a-z]{0,10}", part in "[a-z_]{0,10}", url in "\\PC{0,20}") {
        let body = json!({"model": "m", "messages": [
            {"role": role, "content": [{"type": part, "text": url, "image_url": {"url": url}, "file": {"file_data": url}}], "tool_call_id": "c"}
        ]});
        let _ = OpenAiChat::decode_request(body.to_string().as_bytes());
    }
}

#[test]
fn other_choices_stream_under_their_index() {
    let want = exllm::ChatResponse {
        content: vec![Part::text("first")],
        finish: Some(FinishReason::kind(FinishKind::Stop)),
        alternatives: vec![exllm::Alternative {
            index: 1,
            content: vec![Part::text("second")],
            finish: Some(FinishReason::kind(FinishKind::Length)),
        }],
        usage: Some(Usage {
            input_tokens: Some(1),
            output_tokens: Some(2),
            ..Default::default()
        }),
        ..Default::default()
    };
    let mut enc = OpenAiChat::stream_encoder(&inbound(true));
    let mut out = Vec::new();
    for e in response_to_events(&want) {
        enc.event(&e, &mut out);
    }
    enc.finish(&mut out);
    let (got, ended) = library_stream(&out);
    ended.unwrap();
    assert_eq!(got.text(), "first");
    assert_eq!(got.alternatives.len(), 1);
    assert_eq!(got.alternatives[0].text(), "second");
    assert_eq!(
        got.alternatives[0].finish.as_ref().map(|f| f.kind),
        Some(FinishKind::Length)
    );
    let whole = OpenAiChatCodec
        .decode(&OpenAiChat::encode_response(&want, "m"))
        .unwrap();
    assert_eq!(whole.alternatives[0].text(), "second");
}
