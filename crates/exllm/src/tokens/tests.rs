//! Conversation-level counting tests (text-level vectors live next to the tiktoken code).

use super::*;
use crate::types::{ImageDetail, MediaSource, Part, Reasoning, Role, ToolCall, ToolResult};
use serde_json::json;

fn user_with(part: Part) -> Message {
    Message::new(Role::User, vec![part])
}

#[test]
fn every_part_adds_tokens() {
    let model = "openai/gpt-4o";
    let base = count_messages(model, &[Message::user("")], &[]).tokens;
    let call = Message::new(
        Role::Assistant,
        vec![Part::ToolCall(ToolCall {
            id: "call_1".into(),
            name: "get_weather".into(),
            arguments: json!({"city": "Paris"}),
            provider_meta: None,
        })],
    );
    let result = Message::tool_result(ToolResult::text("call_1", "sunny, 21 °C"));
    let reasoning = Message::new(
        Role::Assistant,
        vec![Part::Reasoning(Reasoning {
            text: "The user wants the weather.".into(),
            ..Default::default()
        })],
    );
    for m in [call, result, reasoning] {
        assert!(
            count_messages(model, std::slice::from_ref(&m), &[]).tokens > base + 3,
            "{m:?}"
        );
    }
}

#[test]
fn names_and_tools_are_counted() {
    let model = "openai/gpt-4o";
    let plain = count_messages(model, &[Message::user("hi")], &[]);
    let mut named = Message::user("hi");
    named.name = Some("alice".into());
    let with_name = count_messages(model, &[named], &[]);
    assert!(with_name.tokens >= plain.tokens + 2);
    let tool = Tool::new(
        "get_weather",
        "Current weather for a city",
        json!({"type": "object", "properties": {"city": {"type": "string"}}}),
    );
    let with_tool = count_messages(model, &[Message::user("hi")], &[tool]);
    assert!(with_tool.tokens > plain.tokens + 20);
    assert!(!with_tool.exact, "tool framing is estimated");
    let claude = count_messages(
        "anthropic/claude-sonnet-4-5",
        &[],
        &[Tool::new("t", "", serde_json::Value::Null)],
    );
    assert!(claude.tokens >= 346);
}

#[cfg(feature = "tiktoken")]
#[test]
fn openai_framing_matches_the_cookbook() {
    // 3 per message + role + content, 3 to prime the reply.
    let msgs = [
        Message::system("You are terse."),
        Message::user("hello world"),
    ];
    let n = count_messages("openai/gpt-4o", &msgs, &[]);
    let text = |s| count_text("openai/gpt-4o", s).tokens;
    let want = 3 + text("system") + text("You are terse.") + 3 + 1 + 2 + 3;
    assert_eq!((n.tokens, n.exact), (want, true));
    assert_eq!(
        count_text("openai/gpt-3.5-turbo", "hello world").tokenizer,
        "cl100k_base"
    );
}

#[test]
fn images_follow_provider_rules() {
    // A 1000×1000 PNG header, base64.
    let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
    png.extend(1000u32.to_be_bytes());
    png.extend(1000u32.to_be_bytes());
    png.extend(b"\x08\x02\0\0\0");
    let b64 = crate::media::base64::encode(&png);
    let image = user_with(Part::image_base64("image/png", b64.clone()));
    let count = |model: &str, m: &Message| count_message_with(&ModelCounter::new(model), m);
    let openai = count("openai/gpt-4o", &image).tokens;
    let claude = count("anthropic/claude-sonnet-4-5", &image).tokens;
    let gemini = count("gemini/gemini-2.5-pro", &image).tokens;
    let base = |model| count(model, &user_with(Part::text(""))).tokens;
    assert_eq!(openai - base("openai/gpt-4o"), 765);
    assert_eq!(claude - base("anthropic/claude-sonnet-4-5"), 1334);
    assert_eq!(gemini - base("gemini/gemini-2.5-pro"), 1032);
    let low = user_with(Part::Image {
        source: MediaSource::Url(format!("data:image/png;base64,{b64}")),
        media_type: None,
        detail: Some(ImageDetail::Low),
    });
    assert_eq!(
        count("openai/gpt-4o", &low).tokens - base("openai/gpt-4o"),
        85
    );
    let unknown = user_with(Part::image_url("https://example.com/cat.png"));
    let n = count("openai/gpt-4o", &unknown);
    assert!(!n.exact && n.tokens > 700);
}

#[test]
fn garbage_never_panics() {
    let weird = [
        "\u{0}",
        "\u{10FFFF}\u{FFFD}",
        "\r\r\r",
        &"🦀".repeat(1000),
        &" ".repeat(10_000),
    ];
    for model in [
        "",
        "/",
        "openai/",
        "anthropic/x",
        "openai/gpt-4o",
        "a/b/c/o3",
    ] {
        for text in weird {
            let _ = count_text(model, text);
        }
        let bad_image = user_with(Part::image_base64("image/png", "!!!not base64!!!"));
        let _ = count_messages(model, &[bad_image], &[]);
    }
}
