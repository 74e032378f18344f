//! Tests of request sanitisation and answer validation, whole and streamed (split at every
//! byte), and of their configuration.

use super::*;
use crate::types::{ChatResponse, FinishKind, FinishReason, Message, Part, StreamEvent, ToolCall};
use crate::ChatStream;
use futures_util::StreamExt;
use serde_json::json;
use std::sync::atomic::{AtomicUsize, Ordering};

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(f)
}

fn stop() -> StreamEvent {
    StreamEvent::Finish(FinishReason::new(FinishKind::Stop, "stop"))
}

/// Sends `req` through `g` to a backend that counts calls and answers `answer`; returns the
/// request the backend saw, if any, and the result.
fn send(
    g: &Guardrails,
    req: ChatRequest,
    answer: &str,
) -> (Option<ChatRequest>, Result<ChatResponse>) {
    let seen = std::sync::Mutex::new(None);
    let res = block_on(g.chat(req, |r| {
        *seen.lock().unwrap() = Some(r);
        let resp = ChatResponse {
            content: vec![Part::text(answer)],
            ..Default::default()
        };
        async move { Ok(resp) }
    }));
    (seen.into_inner().unwrap(), res)
}

/// What a guarded stream of `chunks` releases before its first error, and the error.
fn stream(g: &Guardrails, events: Vec<StreamEvent>) -> (String, Vec<usize>, Option<Error>) {
    let s = g.check_stream(ChatStream::from_events(events), Vault::new());
    let items: Vec<_> = block_on(s.collect::<Vec<_>>());
    let (mut text, mut at, mut err) = (String::new(), Vec::new(), None);
    for (i, item) in items.into_iter().enumerate() {
        match item {
            Ok(StreamEvent::TextDelta(t)) => {
                text.push_str(&t);
                at.push(i);
            }
            Ok(_) => {}
            Err(e) => {
                err = Some(e);
                break;
            }
        }
    }
    (text, at, err)
}

fn split_at(text: &str, cut: usize) -> Vec<StreamEvent> {
    vec![
        StreamEvent::TextDelta(text[..cut].into()),
        StreamEvent::TextDelta(text[cut..].into()),
        stop(),
    ]
}

#[test]
fn control_characters_are_stripped_from_requests_and_line_breaks_kept() {
    let g = Guardrails::new().with(Sanitize::default());
    let req = ChatRequest::new(
        "m",
        vec![Message::user("a\u{0}b\u{1b}[31mc\td\r\ne\u{85}f\u{7f}")],
    );
    let (sent, res) = send(&g, req, "ok\u{1}");
    assert_eq!(sent.unwrap().messages[0].text(), "ab[31mc\td\r\nef");
    // Answers keep theirs unless asked.
    assert_eq!(res.unwrap().text(), "ok\u{1}");
    let g = Guardrails::new().with(Sanitize {
        output_control: Action::Strip,
        ..Sanitize::default()
    });
    let (_, res) = send(
        &g,
        ChatRequest::new("m", vec![Message::user("hi")]),
        "o\u{1}k",
    );
    assert_eq!(res.unwrap().text(), "ok");
    let g = Guardrails::new().with(Sanitize::default().with_control(Action::Block));
    let (sent, res) = send(&g, ChatRequest::new("m", vec![Message::user("a\u{8}")]), "");
    assert!(sent.is_none());
    assert_eq!(res.unwrap_err().code(), Some("control_char"));
}

#[test]
fn disallowed_roles_and_oversized_requests_send_nothing() {
    let calls = AtomicUsize::new(0);
    let g = Guardrails::new().with(
        Sanitize::default()
            .with_roles([Role::System, Role::User, Role::Assistant])
            .with_limits(Some(10), Some(16)),
    );
    let cases = [
        (vec![Message::user("0123456789")], None),
        (
            vec![Message::user("0123456789x")],
            Some("message_too_large"),
        ),
        (
            vec![Message::user("0123456789"), Message::user("0123456")],
            Some("request_too_large"),
        ),
        (vec![Message::developer("hi")], Some("invalid_role")),
    ];
    for (messages, want) in cases {
        let res = block_on(g.chat(ChatRequest::new("m", messages), |_| {
            calls.fetch_add(1, Ordering::SeqCst);
            async { Ok(ChatResponse::default()) }
        }));
        match want {
            None => assert!(res.is_ok()),
            Some(code) => {
                let e = res.unwrap_err();
                assert_eq!(e.kind(), ErrorKind::Guardrail);
                assert_eq!(e.code(), Some(code));
            }
        }
    }
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[test]
fn banned_terms_are_whole_words_and_caught_across_every_chunk_boundary() {
    let g = Guardrails::new().with(ResponseRules::new().with_banned(["Acme Corp", "c++"]));
    let (_, res) = send(&g, ChatRequest::new("m", vec![]), "we like acmecorporation");
    assert!(res.is_ok());
    let (_, res) = send(&g, ChatRequest::new("m", vec![]), "ask ACME corp today");
    assert_eq!(res.unwrap_err().code(), Some("banned_term"));
    let text = "You could also try acme corp for that, and more after it.";
    for cut in 0..=text.len() {
        let (released, _, err) = stream(&g, split_at(text, cut));
        assert_eq!(err.unwrap().code(), Some("banned_term"), "cut at {cut}");
        assert!(!released.to_lowercase().contains("acme"), "cut at {cut}");
    }
    let g = Guardrails::new().with(
        ResponseRules::new()
            .with_banned(["c++"])
            .with_action(Action::Mask),
    );
    let (released, _, err) = stream(&g, split_at("I write C++ daily", 9));
    assert!(err.is_none());
    assert_eq!(released, "I write <BANNED_1> daily");
}

#[test]
fn an_answer_over_the_size_limit_is_stopped_as_it_grows() {
    let g = Guardrails::new().with(ResponseRules::new().with_max_bytes(40));
    let (_, res) = send(&g, ChatRequest::new("m", vec![]), "short");
    assert!(res.is_ok());
    let (_, res) = send(&g, ChatRequest::new("m", vec![]), &"x ".repeat(30));
    assert_eq!(res.unwrap_err().code(), Some("too_long"));
    let mut events: Vec<StreamEvent> = (0..200)
        .map(|i| StreamEvent::TextDelta(format!("word{i} ")))
        .collect();
    events.push(stop());
    let (released, _, err) = stream(&g, events);
    assert_eq!(err.unwrap().code(), Some("too_long"));
    assert!(released.len() <= 40, "{released}");
}

#[test]
fn a_schema_judges_the_whole_answer_and_a_stream_releases_it_only_when_it_matches() {
    let schema = json!({"type": "object", "properties": {"n": {"type": "integer"}},
        "required": ["n"]});
    let g = Guardrails::new().with(ResponseRules::new().with_schema(&schema).unwrap());
    assert!(g.holds_answer());
    for (answer, want) in [
        (r#"{"n": 3}"#, None),
        ("```json\n{\"n\": 3}\n```", None),
        (r#"{"n": "three"}"#, Some("schema_mismatch")),
        ("n is 3", Some("invalid_json")),
    ] {
        let (_, res) = send(&g, ChatRequest::new("m", vec![]), answer);
        assert_eq!(
            res.err()
                .and_then(|e| e.code().map(str::to_owned))
                .as_deref(),
            want
        );
    }
    let good = r#"{"n": 42, "note": "a long enough answer to pass any hold-back window of the text pass, twice over"}"#;
    for cut in 0..=good.len() {
        let (released, at, err) = stream(&g, split_at(good, cut));
        assert!(err.is_none(), "cut at {cut}");
        assert_eq!(released, good);
        // Nothing before the finish: the answer is released whole, after its check.
        assert_eq!(at, vec![0], "cut at {cut}");
    }
    let bad = good.replace("42", "\"x\"");
    for cut in [0, 10, bad.len()] {
        let (released, _, err) = stream(&g, split_at(&bad, cut));
        assert_eq!(err.unwrap().code(), Some("schema_mismatch"));
        assert_eq!(released, "");
    }
    // An answer that calls a tool is not held to the schema.
    let call = ToolCall {
        id: "1".into(),
        name: "f".into(),
        arguments: json!({}),
        provider_meta: None,
    };
    let events = vec![StreamEvent::ToolCall(call), stop()];
    assert!(stream(&g, events).2.is_none());
}

#[test]
fn a_warning_from_the_answer_check_is_not_a_block() {
    let g = Guardrails::new().with(
        ResponseRules::new()
            .with_max_bytes(3)
            .with_action(Action::Warn),
    );
    let (released, _, err) = stream(&g, split_at("more than three bytes", 5));
    assert!(err.is_none());
    assert_eq!(released, "more than three bytes");
}

#[test]
fn sanitize_and_response_tables_configure_their_guardrails() {
    let cfg = GuardrailsConfig::from_toml(
        r#"
        [guardrails]
        sanitize = { roles = ["user"], max_message_bytes = 5, control = "block" }
        response = { schema = '{"type": "array"}', banned = ["foo"], max_bytes = 100 }
        pii = {}
        "#,
    )
    .unwrap();
    let g = cfg.build(None).unwrap();
    let names: Vec<_> = g.rails().iter().map(|r| r.name().to_owned()).collect();
    assert_eq!(names, ["sanitize", "pii", "response"]);
    let (sent, res) = send(&g, ChatRequest::new("m", vec![Message::system("x")]), "[]");
    assert!(sent.is_none());
    assert_eq!(res.unwrap_err().code(), Some("invalid_role"));
    let (_, res) = send(&g, ChatRequest::new("m", vec![Message::user("hi")]), "{}");
    assert_eq!(res.unwrap_err().code(), Some("schema_mismatch"));
    let (_, res) = send(&g, ChatRequest::new("m", vec![Message::user("hi")]), "[1]");
    assert!(res.is_ok());
    let table = GuardrailsConfig::from_toml("response = { schema = { type = \"object\" } }")
        .unwrap()
        .build(None)
        .unwrap();
    assert!(table.holds_answer());
    let e = GuardrailsConfig::from_toml("response = { schema = '{nope' }")
        .unwrap()
        .build(None)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config);
}

#[test]
fn a_ner_table_without_the_model_is_a_clear_configuration_error() {
    // This crate carries no model: only exllm-local's `ner::register()` makes the table build.
    let cfg = super::GuardrailsConfig::from_toml("[guardrails]\nner = { entities = [\"name\"] }")
        .unwrap();
    let e = cfg.build(None).unwrap_err();
    assert_eq!(e.kind(), crate::ErrorKind::Config);
    assert!(e.to_string().contains("exllm-local"), "{e}");
}
