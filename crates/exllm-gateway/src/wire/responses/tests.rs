//! Whole responses, requests and errors in the Responses format, checked as round trips
//! against the library's own Responses codec; and decoding arbitrary bytes.

use super::*;
use crate::wire::anthropic::test_support::{cases, library_body, Case, Summary};
use exllm::provider::{AnthropicCodec, Codec, OpenAiResponsesCodec};
use exllm::{
    ChatRequest, Collector, ImageDetail, MediaSource, Message, ReasoningConfig, ReasoningEffort,
    ResponseFormat, Role, Tool, ToolChoice, ToolResult,
};
use proptest::prelude::*;

fn answer() -> ChatResponse {
    ChatResponse {
        id: Some("resp_1".into()),
        content: vec![
            Part::Reasoning(Reasoning {
                text: "Summary.".into(),
                encrypted: Some("gAAA".into()),
                id: Some("rs_1".into()),
                ..Default::default()
            }),
            Part::text("Calling."),
            Part::Refusal {
                text: "Not that.".into(),
            },
            Part::ToolCall(ToolCall {
                id: "call_1".into(),
                name: "weather".into(),
                arguments: json!({"city": "Paris"}),
                provider_meta: None,
            }),
        ],
        finish: Some(FinishReason::new(FinishKind::ToolCalls, "tool_use")),
        usage: Some(Usage {
            input_tokens: Some(100),
            output_tokens: Some(40),
            cache_read_tokens: Some(60),
            reasoning_tokens: Some(25),
            ..Default::default()
        }),
        ..Default::default()
    }
}

#[test]
fn a_whole_answer_decodes_back_with_the_library_codec() {
    let body = OpenAiResponses::encode_response(&answer(), "gpt-alias");
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        (
            v["object"].as_str(),
            v["status"].as_str(),
            v["model"].as_str()
        ),
        (Some("response"), Some("completed"), Some("gpt-alias"))
    );
    assert_eq!(v["usage"]["input_tokens_details"]["cached_tokens"], 60);
    assert_eq!(v["usage"]["output_tokens_details"]["reasoning_tokens"], 25);
    assert_eq!(v["usage"]["total_tokens"], 140);
    let types: Vec<&str> = v["output"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["type"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["reasoning", "message", "function_call"]);
    assert_eq!(v["output"][2]["arguments"], "{\"city\":\"Paris\"}");

    let back = OpenAiResponsesCodec.decode(&body).unwrap();
    assert_eq!(back.content, answer().content);
    assert_eq!(back.finish_kind(), Some(FinishKind::ToolCalls));
    let u = back.usage.unwrap();
    assert_eq!(
        (
            u.input_tokens,
            u.output_tokens,
            u.cache_read_tokens,
            u.reasoning_tokens
        ),
        (Some(100), Some(40), Some(60), Some(25))
    );
}

#[test]
fn finish_kinds_become_statuses() {
    let status = |kind: FinishKind| {
        let mut r = answer();
        r.content.truncate(2);
        r.finish = Some(FinishReason::kind(kind));
        let body = OpenAiResponses::encode_response(&r, "m");
        let v: Value = serde_json::from_slice(&body).unwrap();
        let back = OpenAiResponsesCodec.decode(&body).unwrap();
        (
            v["status"].as_str().unwrap().to_owned(),
            v["incomplete_details"]["reason"]
                .as_str()
                .map(str::to_owned),
            back.finish_kind(),
        )
    };
    assert_eq!(
        status(FinishKind::Stop),
        ("completed".into(), None, Some(FinishKind::Stop))
    );
    assert_eq!(
        status(FinishKind::Length),
        (
            "incomplete".into(),
            Some("max_output_tokens".into()),
            Some(FinishKind::Length)
        )
    );
    assert_eq!(
        status(FinishKind::ContentFilter),
        (
            "incomplete".into(),
            Some("content_filter".into()),
            Some(FinishKind::ContentFilter)
        )
    );
    assert_eq!(
        status(FinishKind::Error),
        ("failed".into(), None, Some(FinishKind::Error))
    );
}

/// The answer `case` records, as the library decodes it; `None` for a broken recording.
fn recorded(case: &Case, codec: &dyn Codec) -> Option<ChatResponse> {
    let (events, complete) = case.library_events(codec);
    let r = Collector::collect(events);
    (complete && r.error.is_none()).then_some(r)
}

/// What the answer of `want` decodes to after our Responses encoding: no signatures (the
/// format has none), and a finish beyond length and content filter is a completed response.
pub(super) fn expected(want: &ChatResponse) -> Summary {
    let mut s = Summary::of(want);
    s.signatures.clear();
    if s.finish == Some(FinishKind::Other) {
        s.finish = Some(if s.calls.is_empty() {
            FinishKind::Stop
        } else {
            FinishKind::ToolCalls
        });
    }
    s
}

fn check_whole(case: &Case, codec: &dyn Codec) -> usize {
    let Some(want) = recorded(case, codec) else {
        return 0;
    };
    let body = OpenAiResponses::encode_response(&want, "alias");
    let got = OpenAiResponsesCodec
        .decode(&body)
        .unwrap_or_else(|e| panic!("{}: {e}", case.name));
    let mut got_summary = Summary::of(&got);
    if want.finish.is_none() {
        got_summary.finish = None;
    }
    let mut want_summary = expected(&want);
    want_summary.finish = want.finish.as_ref().and(want_summary.finish);
    assert_eq!(got_summary, want_summary, "{}", case.name);
    assert_eq!(got.model.as_deref(), Some("alias"));
    1
}

#[test]
fn recorded_responses_answers_survive_our_encoding() {
    let n: usize = cases("openai-responses")
        .iter()
        .map(|c| check_whole(c, &OpenAiResponsesCodec))
        .sum();
    assert!(n > 20, "only {n} cases checked");
}

#[test]
fn recorded_anthropic_answers_come_out_as_responses() {
    let n: usize = cases("anthropic")
        .iter()
        .map(|c| check_whole(c, &AnthropicCodec))
        .sum();
    assert!(n > 20, "only {n} cases checked");
}

fn rich_request() -> ChatRequest {
    let user = Message::new(
        Role::User,
        vec![
            Part::text("Look:"),
            Part::Image {
                source: MediaSource::Url("https://example.com/a.png".into()),
                media_type: None,
                detail: Some(ImageDetail::High),
            },
            Part::Image {
                source: MediaSource::FileId("file_1".into()),
                media_type: None,
                detail: Some(ImageDetail::Auto),
            },
            Part::File {
                source: MediaSource::Url("data:application/pdf;base64,JVBERi0=".into()),
                media_type: None,
                filename: Some("a.pdf".into()),
            },
            Part::File {
                source: MediaSource::Url("https://example.com/b.pdf".into()),
                media_type: None,
                filename: None,
            },
        ],
    );
    let assistant = Message::new(
        Role::Assistant,
        vec![
            Part::Reasoning(Reasoning {
                text: "Hmm.".into(),
                encrypted: Some("gAAA".into()),
                id: Some("rs_1".into()),
                ..Default::default()
            }),
            Part::text("Checking."),
            Part::ToolCall(ToolCall {
                id: "call_1".into(),
                name: "weather".into(),
                arguments: json!({"city": "Paris"}),
                provider_meta: None,
            }),
            Part::ToolCall(ToolCall {
                id: "call_2".into(),
                name: "time".into(),
                arguments: json!({}),
                provider_meta: None,
            }),
        ],
    );
    ChatRequest {
        messages: vec![
            Message::system("Be brief."),
            Message::developer("Use tools."),
            user,
            assistant,
            Message::tool_result(ToolResult::text("call_1", "Rain")),
            Message::tool_result(ToolResult::text("call_2", "Noon")),
            Message::user("And tomorrow?"),
        ],
        tools: vec![
            Tool::new(
                "weather",
                "Weather",
                json!({"type": "object", "properties": {"city": {"type": "string"}}}),
            ),
            Tool {
                strict: Some(true),
                ..Tool::new("time", "Time", json!({"type": "object"}))
            },
        ],
        tool_choice: Some(ToolChoice::Tool("weather".into())),
        parallel_tool_calls: Some(false),
        temperature: Some(0.2),
        top_p: Some(0.8),
        max_tokens: Some(500),
        user: Some("u-1".into()),
        service_tier: Some("flex".into()),
        top_logprobs: Some(3),
        response_format: Some(ResponseFormat::JsonSchema {
            name: "out".into(),
            schema: json!({"type": "object"}),
            description: Some("d".into()),
            strict: Some(true),
        }),
        reasoning: Some(ReasoningConfig {
            effort: Some(ReasoningEffort::Low),
            budget_tokens: None,
            summary: Some("auto".into()),
        }),
        ..Default::default()
    }
}

#[test]
fn what_the_library_sends_decodes_to_a_request_it_sends_the_same_way() {
    let body = library_body(&OpenAiResponsesCodec, &rich_request());
    let inbound = OpenAiResponses::decode_request(&body).unwrap();
    let again = library_body(&OpenAiResponsesCodec, &inbound.request);
    let (a, b): (Value, Value) = (
        serde_json::from_slice(&body).unwrap(),
        serde_json::from_slice(&again).unwrap(),
    );
    assert_eq!(a, b);
    let (req, want) = (inbound.request, rich_request());
    assert_eq!(req.messages, want.messages);
    assert_eq!(
        (req.tools, req.tool_choice, req.parallel_tool_calls),
        (want.tools, want.tool_choice, want.parallel_tool_calls)
    );
    assert_eq!(
        (req.response_format, req.reasoning, req.max_tokens),
        (want.response_format, want.reasoning, want.max_tokens)
    );
}

#[test]
fn sdk_style_bodies_decode_item_by_item() {
    let body = json!({
        "model": "gpt-alias",
        "instructions": "Be kind.",
        "stream": true,
        "input": [
            {"role": "user", "content": "Hi"},
            {"type": "reasoning", "id": "rs_9", "summary": [{"type": "summary_text", "text": "a"}, {"type": "summary_text", "text": "b"}]},
            {"type": "web_search_call", "id": "ws_1", "status": "completed"},
            {"type": "function_call", "call_id": "c1", "name": "f", "arguments": ""},
            {"type": "function_call_output", "call_id": "c1", "output": [{"type": "input_text", "text": "ok"}]},
            {"type": "message", "role": "user", "content": [{"type": "input_file", "file_data": "JVBERi0=", "filename": "x.pdf"}]},
        ],
        "tools": [{"type": "function", "name": "f", "parameters": {"type": "object"}}],
        "tool_choice": "required",
        "text": {"format": {"type": "json_object"}},
        "reasoning": {"effort": "xhigh"},
        "max_output_tokens": 99,
    });
    let inbound = OpenAiResponses::decode_request(&serde_json::to_vec(&body).unwrap()).unwrap();
    assert!(inbound.stream);
    let r = inbound.request;
    let roles: Vec<Role> = r.messages.iter().map(|m| m.role).collect();
    assert_eq!(
        roles,
        [
            Role::System,
            Role::User,
            Role::Assistant,
            Role::Tool,
            Role::User
        ]
    );
    let a = &r.messages[2].content;
    assert!(
        matches!(&a[0], Part::Reasoning(x) if x.text == "ab" && x.id.as_deref() == Some("rs_9"))
    );
    assert!(
        matches!(&a[1], Part::ProviderItem(i) if i.api == "openai-responses" && i.item_type == "web_search_call")
    );
    assert!(matches!(&a[2], Part::ToolCall(c) if c.arguments == json!({})));
    assert_eq!(
        r.messages[3].content,
        [Part::ToolResult(ToolResult::text("c1", "ok"))]
    );
    assert!(
        matches!(&r.messages[4].content[0], Part::File { source: MediaSource::Url(u), .. } if u == "data:application/pdf;base64,JVBERi0=")
    );
    assert_eq!(
        (r.tool_choice, r.response_format, r.max_tokens),
        (
            Some(ToolChoice::Required),
            Some(ResponseFormat::JsonObject),
            Some(99)
        )
    );
    assert_eq!(r.reasoning.unwrap().effort, Some(ReasoningEffort::High));
}

#[test]
fn malformed_or_stateful_requests_are_refused() {
    let refuse = |body: Value, says: &str| {
        let e = OpenAiResponses::decode_request(&serde_json::to_vec(&body).unwrap()).unwrap_err();
        assert_eq!((e.status, e.kind), (400, "invalid_request_error"));
        assert!(
            e.message.contains(says),
            "{:?} should say {says}",
            e.message
        );
    };
    refuse(json!({"input": "hi"}), "model");
    refuse(json!({"model": "m"}), "input");
    refuse(
        json!({"model": "m", "input": "hi", "previous_response_id": "resp_1"}),
        "previous_response_id",
    );
    refuse(
        json!({"model": "m", "input": "hi", "tools": [{"type": "web_search"}]}),
        "tools.0",
    );
    refuse(
        json!({"model": "m", "input": [{"role": "robot", "content": "x"}]}),
        "input.0: role",
    );
    refuse(
        json!({"model": "m", "input": [{"role": "user", "content": [{"type": "input_audio"}]}]}),
        "input.0",
    );
    refuse(
        json!({"model": "m", "input": "hi", "reasoning": {"effort": "max"}}),
        "reasoning.effort",
    );
    refuse(
        json!({"model": "m", "input": "hi", "text": {"format": {"type": "yaml"}}}),
        "text.format",
    );
}

#[test]
fn errors_are_openai_error_objects() {
    let e = ApiError {
        status: 429,
        kind: "rate_limit_error",
        message: "slow down".into(),
        retry_after: Some(3),
    };
    let v: Value = serde_json::from_slice(&OpenAiResponses::encode_error(&e)).unwrap();
    assert_eq!(
        v,
        json!({"error": {"message": "slow down", "type": "rate_limit_error", "param": null, "code": "rate_limit_exceeded"}})
    );
    let lib = exllm::provider::error_from_response(
        "openai",
        429,
        &[],
        &OpenAiResponses::encode_error(&e),
    );
    assert_eq!(
        (lib.kind(), lib.message()),
        (exllm::ErrorKind::RateLimit, "slow down")
    );
}

proptest! {
    #[test]
    fn decoding_arbitrary_bytes_never_panics(body in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = OpenAiResponses::decode_request(&body);
    }

    #[test]
    fn decoding_arbitrary_json_never_panics(v in crate::wire::anthropic::tests::json_value()) {
        let body = serde_json::to_vec(&json!({"model": "m", "input": [v.clone()], "tools": [v.clone()], "tool_choice": v.clone(), "text": {"format": v.clone()}, "reasoning": v})).unwrap();
        let _ = OpenAiResponses::decode_request(&body);
    }
}

#[test]
fn input_token_counts_decode_like_requests() {
    let req = decode_input_tokens(
        br#"{"model":"gpt-alias","input":"Hello there","instructions":"Be brief."}"#,
    )
    .unwrap();
    assert_eq!(req.messages.len(), 2);
    let n = crate::wire::anthropic::count_tokens(&req, "openai/gpt-4o");
    assert!(n > 2);
    let v: Value = serde_json::from_slice(&encode_input_tokens(n)).unwrap();
    assert_eq!(
        v,
        json!({"object": "response.input_tokens", "input_tokens": n})
    );
    assert!(decode_input_tokens(b"[]").is_err());
}
