//! Decoding Anthropic requests: bodies the library's Anthropic codec sends decode into
//! requests it encodes to the same body again, bodies as the SDKs write them decode field by
//! field, and malformed ones are refused with Anthropic's error.

use super::test_support::library_body;
use super::*;
use exllm::provider::AnthropicCodec;
use exllm::{
    CacheBreakpoint, MediaSource, Message, Part, Reasoning, ReasoningConfig, Role, Tool, ToolCall,
    ToolChoice, ToolResult,
};

fn rich_request() -> ChatRequest {
    let mut system = Message::system("Be brief.");
    system
        .content
        .push(Part::CacheBreakpoint(CacheBreakpoint::default()));
    let user = Message::new(
        Role::User,
        vec![
            Part::text("Look:"),
            Part::image_base64("image/png", "aGVsbG8="),
            Part::image_url("https://example.com/a.png"),
            Part::File {
                source: MediaSource::Base64("JVBERi0=".into()),
                media_type: Some("application/pdf".into()),
                filename: Some("doc.pdf".into()),
            },
            Part::CacheBreakpoint(CacheBreakpoint {
                ttl: Some("1h".into()),
            }),
        ],
    );
    let assistant = Message::new(
        Role::Assistant,
        vec![
            Part::Reasoning(Reasoning {
                text: "Think.".into(),
                signature: Some("sig".into()),
                ..Default::default()
            }),
            Part::Reasoning(Reasoning {
                encrypted: Some("opaque".into()),
                ..Default::default()
            }),
            Part::text("Checking."),
            Part::ToolCall(ToolCall {
                id: "toolu_1".into(),
                name: "weather".into(),
                arguments: json!({"city": "Paris"}),
                provider_meta: None,
            }),
        ],
    );
    let result = Message::tool_result(ToolResult {
        call_id: "toolu_1".into(),
        name: None,
        content: vec![
            Part::text("Rain"),
            Part::image_url("https://example.com/r.png"),
        ],
        is_error: true,
    });
    ChatRequest {
        messages: vec![
            system,
            user,
            assistant,
            result,
            Message::user("And tomorrow?"),
        ],
        tools: vec![
            Tool::new(
                "weather",
                "Weather by city",
                json!({"type": "object", "properties": {"city": {"type": "string"}}}),
            ),
            Tool {
                strict: Some(true),
                ..Tool::new("time", "Time", json!({"type": "object"}))
            },
        ],
        tool_choice: Some(ToolChoice::Tool("weather".into())),
        parallel_tool_calls: Some(false),
        temperature: Some(0.5),
        top_p: Some(0.9),
        top_k: Some(40),
        max_tokens: Some(3000),
        stop: vec!["END".into()],
        reasoning: Some(ReasoningConfig {
            budget_tokens: Some(2048),
            ..Default::default()
        }),
        user: Some("user-7".into()),
        service_tier: Some("auto".into()),
        ..Default::default()
    }
}

#[test]
fn what_the_library_sends_decodes_to_a_request_it_sends_the_same_way() {
    let body = library_body(&AnthropicCodec, &rich_request());
    let inbound = AnthropicMessages::decode_request(&body).unwrap();
    assert!(!inbound.stream);
    let again = library_body(&AnthropicCodec, &inbound.request);
    let (a, b): (Value, Value) = (
        serde_json::from_slice(&body).unwrap(),
        serde_json::from_slice(&again).unwrap(),
    );
    assert_eq!(a, b);

    let req = inbound.request;
    let want = rich_request();
    assert_eq!(req.model, "m");
    assert_eq!(req.tools, want.tools);
    assert_eq!(
        (
            req.tool_choice,
            req.parallel_tool_calls,
            req.temperature,
            req.top_p,
            req.top_k,
            req.max_tokens
        ),
        (
            want.tool_choice,
            want.parallel_tool_calls,
            want.temperature,
            want.top_p,
            want.top_k,
            want.max_tokens
        )
    );
    assert_eq!(
        (req.stop, req.reasoning, req.user),
        (want.stop, want.reasoning, want.user)
    );
    // Cache marks, signatures, tool results and media come back as they were.
    assert_eq!(req.messages, want.messages);
}

#[test]
fn sdk_style_bodies_decode_field_by_field() {
    let body = json!({
        "model": "claude-alias",
        "max_tokens": 1024,
        "stream": true,
        "system": [{"type": "text", "text": "A", "cache_control": {"type": "ephemeral"}}, {"type": "text", "text": "B"}],
        "messages": [
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": [
                {"type": "thinking", "thinking": "t", "signature": ""},
                {"type": "server_tool_use", "id": "srv_1", "name": "web_search", "input": {"q": 1}},
                {"type": "tool_use", "id": "t1", "name": "f", "input": {}},
                {"type": "tool_use", "id": "t2", "name": "g"},
            ]},
            {"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": "t1", "content": "ok"},
                {"type": "tool_result", "tool_use_id": "t2", "content": [{"type": "text", "text": "fine"}], "cache_control": {"type": "ephemeral"}},
                {"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": "Doc text"}, "title": "d"},
                {"type": "document", "source": {"type": "url", "url": "https://x/y.pdf"}, "title": "y.pdf"},
                {"type": "image", "source": {"type": "file", "file_id": "file_1"}},
            ]},
        ],
        "tools": [{"name": "f", "description": "F", "input_schema": {"type": "object"}, "cache_control": {"type": "ephemeral"}}],
        "tool_choice": {"type": "any", "disable_parallel_tool_use": true},
        "thinking": {"type": "enabled", "budget_tokens": 5000},
        "metadata": {"user_id": "u-1"},
        "stop_sequences": ["\n\nHuman:"],
        "output_config": {"format": {"type": "json_schema", "schema": {"type": "object"}}},
    });
    let inbound = AnthropicMessages::decode_request(&serde_json::to_vec(&body).unwrap()).unwrap();
    assert!(inbound.stream);
    let r = inbound.request;
    assert_eq!(r.model, "claude-alias");
    assert_eq!(r.max_tokens, Some(1024));
    assert_eq!(r.reasoning.unwrap().budget_tokens, Some(5000));
    assert_eq!(
        (r.tool_choice, r.parallel_tool_calls),
        (Some(ToolChoice::Required), Some(false))
    );
    assert_eq!(r.user.as_deref(), Some("u-1"));
    assert_eq!(r.stop, ["\n\nHuman:"]);
    assert!(
        matches!(&r.response_format, Some(exllm::ResponseFormat::JsonSchema { schema, .. }) if schema == &json!({"type": "object"}))
    );
    let roles: Vec<Role> = r.messages.iter().map(|m| m.role).collect();
    assert_eq!(
        roles,
        [
            Role::System,
            Role::User,
            Role::Assistant,
            Role::Tool,
            Role::Tool,
            Role::User
        ]
    );
    assert_eq!(
        r.messages[0].content,
        [
            Part::text("A"),
            Part::CacheBreakpoint(CacheBreakpoint::default()),
            Part::text("B")
        ]
    );
    let a = &r.messages[2].content;
    assert!(matches!(&a[0], Part::Reasoning(x) if x.signature.is_none() && x.text == "t"));
    assert!(
        matches!(&a[1], Part::ProviderItem(i) if i.api == "anthropic" && i.raw["id"] == "srv_1")
    );
    assert!(matches!(&a[3], Part::ToolCall(c) if c.arguments == json!({})));
    assert_eq!(
        r.messages[3].content,
        [Part::ToolResult(ToolResult::text("t1", "ok"))]
    );
    assert!(matches!(r.messages[4].content[1], Part::CacheBreakpoint(_)));
    let u = &r.messages[5].content;
    assert_eq!(u[0], Part::text("Doc text"));
    assert!(
        matches!(&u[1], Part::File { source: MediaSource::Url(x), filename: Some(f), .. } if x == "https://x/y.pdf" && f == "y.pdf")
    );
    assert!(matches!(&u[2], Part::Image { source: MediaSource::FileId(x), .. } if x == "file_1"));
}

#[test]
fn malformed_requests_are_refused_with_the_place_named() {
    let refuse = |body: Value, says: &str| {
        let e = AnthropicMessages::decode_request(&serde_json::to_vec(&body).unwrap()).unwrap_err();
        assert_eq!((e.status, e.kind), (400, "invalid_request_error"));
        assert!(
            e.message.contains(says),
            "{:?} should say {says}",
            e.message
        );
    };
    let msgs = json!([{"role": "user", "content": "hi"}]);
    refuse(json!({"max_tokens": 5, "messages": msgs}), "model");
    refuse(json!({"model": "m", "messages": msgs}), "max_tokens");
    refuse(json!({"model": "m", "max_tokens": 5}), "messages");
    refuse(
        json!({"model": "m", "max_tokens": 5, "messages": [{"role": "system", "content": "x"}]}),
        "messages.0: role",
    );
    refuse(
        json!({"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": [{"text": "x"}]}]}),
        "content.0: type",
    );
    refuse(
        json!({"model": "m", "max_tokens": 5, "messages": msgs, "tools": [{"type": "web_search_20250305", "name": "web_search"}]}),
        "tools.0",
    );
    refuse(
        json!({"model": "m", "max_tokens": 5, "messages": msgs, "thinking": {"type": "enabled"}}),
        "budget_tokens",
    );
    refuse(
        json!({"model": "m", "max_tokens": -1, "messages": msgs}),
        "max_tokens",
    );
    refuse(
        json!({"model": "m", "max_tokens": 5, "messages": msgs, "stream": "yes"}),
        "stream",
    );
    refuse(json!(["not", "an", "object"]), "object");
    refuse(
        json!({"model": "m", "max_tokens": 5, "messages": msgs, "output_format": {"type": "yaml"}}),
        "output_format",
    );
    let e = AnthropicMessages::decode_request(b"{oops").unwrap_err();
    assert!(e.message.contains("JSON"));
}
