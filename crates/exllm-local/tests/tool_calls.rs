//! Tool calling on local models, on the real default model: its template does not read
//! tools, so they reach it in a system message (the prompt grows by their description, no
//! "unsupported" warning); the 135M model answers this question in prose rather than with a
//! call, and no tag or half-parsed call leaks into the text, whole or streamed. The parsing of
//! calls and the events they become are tested in `tools.rs` and `generate.rs`.

use crate::common;
use exllm::{Backend, ChatRequest, FinishKind, Message, StreamEvent, Tool};
use futures_util::StreamExt;
use serde_json::json;

fn weather() -> Tool {
    Tool::new(
        "get_weather",
        "Get the current weather in a city",
        json!({"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn tools_reach_the_default_model_through_a_system_message() {
    if !common::chat_available() {
        return;
    }
    let p = common::provider();
    let ask = |tools: bool| {
        let mut req = ChatRequest::new(
            common::CHAT,
            vec![Message::user("What is the weather like in Paris today?")],
        )
        .with_max_tokens(24);
        if tools {
            req.tools = vec![weather()];
        }
        req.temperature = Some(0.0);
        req
    };
    let plain = p.chat(ask(false)).await.unwrap();
    let offered = p.chat(ask(true)).await.unwrap();
    let input = |r: &exllm::ChatResponse| r.usage.as_ref().and_then(|u| u.input_tokens).unwrap();
    assert!(
        input(&offered) > input(&plain) + 40,
        "{} vs {}",
        input(&offered),
        input(&plain)
    );
    assert!(offered.warnings.is_empty(), "{:?}", offered.warnings);
    assert!(offered.tool_calls().is_empty());
    assert!(
        !offered.text().contains("<tool_call>"),
        "{}",
        offered.text()
    );
    assert!(matches!(
        offered.finish_kind(),
        Some(FinishKind::Stop | FinishKind::Length)
    ));
    let mut stream = p.chat_stream(ask(true)).await.unwrap();
    let mut text = String::new();
    while let Some(ev) = stream.next().await {
        match ev.unwrap() {
            StreamEvent::TextDelta(t) => text.push_str(&t),
            StreamEvent::ToolCall(c) => panic!("{c:?}"),
            _ => {}
        }
    }
    assert_eq!(text, offered.text());
}
