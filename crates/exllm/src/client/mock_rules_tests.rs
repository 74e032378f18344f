use super::*;
use crate::types::{Message, Tool};
use futures_util::StreamExt;

fn req(model: &str, text: &str) -> ChatRequest {
    ChatRequest::new(model, vec![Message::user(text)])
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

fn text_of(rules: &MockRules, r: ChatRequest) -> String {
    block_on(rules.chat(r)).unwrap().text()
}

#[test]
fn first_matching_rule_wins_and_the_default_answers_the_rest() {
    let rules = MockRules::new()
        .rule(
            MockRule::text_answer("greeting")
                .text("^(?i)hello")
                .unwrap(),
        )
        .rule(MockRule::text_answer("any hello").text("hello").unwrap())
        .rule(MockRule::text_answer("big model").model("gpt-5*"))
        .otherwise(MockAnswer::Text("default".into()));
    assert_eq!(text_of(&rules, req("m", "Hello there")), "greeting");
    assert_eq!(text_of(&rules, req("m", "say hello")), "any hello");
    assert_eq!(text_of(&rules, req("gpt-5-mini", "hi")), "big model");
    assert_eq!(text_of(&rules, req("gpt-4o", "hi")), "default");
    assert_eq!(rules.requests().len(), 4);
}

#[test]
fn without_a_default_the_last_user_message_is_echoed() {
    let rules = MockRules::new().rule(MockRule::text_answer("x").model("other"));
    assert_eq!(text_of(&rules, req("m", "echo me")), "echo me");
}

#[test]
fn text_matches_the_last_user_message_only() {
    let rules = MockRules::new()
        .rule(MockRule::text_answer("matched").text("secret").unwrap())
        .otherwise(MockAnswer::Text("no".into()));
    let mut r = req("m", "plain");
    r.messages.insert(0, Message::system("secret"));
    assert_eq!(text_of(&rules, r), "no");
}

#[test]
fn tool_presence_selects_tool_calls() {
    let rules = MockRules::new()
        .rule(
            MockRule::answer(MockAnswer::ToolCalls(vec![(
                "weather".into(),
                serde_json::json!({"city": "Oslo"}),
            )]))
            .tools(true),
        )
        .rule(MockRule::text_answer("no tools").tools(false));
    let mut with_tools = req("m", "weather?");
    with_tools.tools.push(Tool::new(
        "weather",
        "The weather",
        serde_json::json!({"type": "object"}),
    ));
    let resp = block_on(rules.chat(with_tools)).unwrap();
    let calls = resp.tool_calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].name, "weather");
    assert_eq!(calls[0].arguments["city"], "Oslo");
    assert_eq!(resp.finish.unwrap().kind, FinishKind::ToolCalls);
    assert_eq!(text_of(&rules, req("m", "weather?")), "no tools");
}

#[test]
fn errors_come_with_their_kind_and_status_streamed_or_not() {
    let rules = MockRules::new().rule(MockRule::answer(MockAnswer::Error {
        kind: ErrorKind::RateLimit,
        message: "slow down".into(),
        status: Some(429),
    }));
    let e = block_on(rules.chat(req("m", "x"))).unwrap_err();
    assert_eq!((e.kind(), e.status()), (ErrorKind::RateLimit, Some(429)));
    assert!(e.is_retryable());
    let e = block_on(rules.chat_stream(req("m", "x"))).err().unwrap();
    assert_eq!(e.message(), "slow down");
}

#[test]
fn an_invalid_pattern_is_an_error() {
    let e = MockRule::text_answer("x").text("(unclosed").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
}

#[test]
fn chunked_streams_deliver_exactly_the_pieces_with_pauses() {
    let rules = MockRules::new().rule(MockRule::answer(MockAnswer::Chunks {
        pieces: vec!["Hel".into(), "lo, w".into(), "orld".into()],
        pause: Duration::from_millis(30),
    }));
    let (deltas, took) = block_on(async {
        let start = std::time::Instant::now();
        let mut s = rules.chat_stream(req("m", "x")).await.unwrap();
        let mut deltas = Vec::new();
        while let Some(ev) = s.next().await {
            if let StreamEvent::TextDelta(t) = ev.unwrap() {
                deltas.push(t);
            }
        }
        (deltas, start.elapsed())
    });
    assert_eq!(deltas, ["Hel", "lo, w", "orld"]);
    assert!(took >= Duration::from_millis(60), "{took:?}");
    assert_eq!(text_of(&rules, req("m", "x")), "Hello, world");
}

#[test]
fn a_delay_holds_the_answer_back() {
    let rules =
        MockRules::new().rule(MockRule::text_answer("late").delay(Duration::from_millis(50)));
    let start = std::time::Instant::now();
    assert_eq!(text_of(&rules, req("m", "x")), "late");
    assert!(start.elapsed() >= Duration::from_millis(50));
}
