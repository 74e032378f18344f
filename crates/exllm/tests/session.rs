//! Sessions: history and totals survive save, reload and continuation; streamed turns are
//! recorded on completion; files are versioned, strict and written atomically.

use exllm::session::{ContextPolicy, ContextStrategy, Session, SessionStore};
use exllm::types::Reasoning;
use exllm::{
    ChatResponse, Client, ErrorKind, FinishKind, FinishReason, Message, MockProvider, Part, Role,
    Usage,
};
use futures_util::StreamExt;
use std::path::PathBuf;
use std::sync::Arc;

fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("exllm-session-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn client(mock: &MockProvider) -> Client {
    Client::builder()
        .provider("mock", Arc::new(mock.clone()))
        .build()
        .unwrap()
}

fn reasoning_answer() -> ChatResponse {
    ChatResponse {
        content: vec![
            Part::Reasoning(Reasoning {
                text: "thinking".into(),
                signature: Some("sig-123".into()),
                ..Default::default()
            }),
            Part::text("Paris"),
        ],
        finish: Some(FinishReason::new(FinishKind::Stop, "stop")),
        usage: Some(Usage {
            input_tokens: Some(10),
            output_tokens: Some(5),
            ..Default::default()
        }),
        ..Default::default()
    }
}

#[tokio::test]
async fn saved_reloaded_and_continued_matches_one_run() {
    let d = dir("continue");
    let path = d.join("s.json");
    let mock = MockProvider::new().with_response(reasoning_answer());
    let c = client(&mock);
    let mut s = Session::new("mock/any")
        .with_system("Be brief.")
        .with_max_tokens(100)
        .with_metadata("title", "geo".into());
    s.chat(&c, "Capital of France?").await.unwrap();
    s.save(&path).unwrap();

    let mut loaded = Session::load(&path).unwrap();
    assert_eq!(loaded, s);
    let r = loaded.chat(&c, "And of Italy?").await.unwrap();
    assert_eq!(r.text(), "And of Italy?");
    // The reasoning part went back to the provider with its signature.
    let sent = &mock.requests()[1].messages;
    assert_eq!(sent[0], Message::system("Be brief."));
    assert!(sent[2]
        .content
        .iter()
        .any(|p| matches!(p, Part::Reasoning(r)
        if r.signature.as_deref() == Some("sig-123"))));
    assert_eq!(mock.requests()[1].max_tokens, Some(100));

    loaded.save(&path).unwrap();
    let again = Session::load(&path).unwrap();
    assert_eq!(again, loaded);
    assert_eq!(again.messages.len(), 4);
    assert_eq!(again.messages[3].role, Role::Assistant);
    assert_eq!(again.turns.len(), 2);
    assert_eq!(
        again.turns[0].usage.as_ref().unwrap().output_tokens,
        Some(5)
    );
    // 10 + 5 from the first turn; the echo counts words: 2 + 3 + 1 + 3 in, 3 out.
    assert_eq!(again.usage.input_tokens, Some(10 + 9));
    assert_eq!(again.usage.output_tokens, Some(5 + 3));
    assert_eq!(again.metadata["title"], "geo");
}

#[tokio::test]
async fn a_stream_is_recorded_when_it_completes() {
    let mock = MockProvider::new();
    let c = client(&mock);
    let mut s = Session::new("mock/echo");
    let mut stream = s.chat_stream(&c, "one two three").await.unwrap();
    let mut printed = String::new();
    while let Some(ev) = stream.next().await {
        if let exllm::StreamEvent::TextDelta(t) = ev.unwrap() {
            printed.push_str(&t);
        }
    }
    assert_eq!(stream.response().map(|r| r.text()), Some(printed.clone()));
    let resp = stream.finish().await.unwrap();
    assert_eq!(resp.text(), "one two three");
    assert_eq!(s.messages.len(), 2);
    assert_eq!(s.messages[1].text(), "one two three");
    assert_eq!(s.usage.output_tokens, Some(3));

    // finish() alone drains and records too.
    let resp = s
        .chat_stream(&c, "four")
        .await
        .unwrap()
        .finish()
        .await
        .unwrap();
    assert_eq!(resp.text(), "four");
    assert_eq!(s.messages.len(), 4);
    assert_eq!(s.turns.len(), 2);
}

#[tokio::test]
async fn a_failed_turn_leaves_the_history_alone() {
    let mock = MockProvider::new()
        .with_error(exllm::Error::new(ErrorKind::Server, "boom"))
        .with_broken_stream(
            MockProvider::text_response("half"),
            exllm::Error::new(ErrorKind::Network, "reset"),
        );
    let c = client(&mock);
    let mut s = Session::new("mock/echo");
    assert!(s.chat(&c, "a").await.is_err());
    let err = s
        .chat_stream(&c, "b")
        .await
        .unwrap()
        .finish()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Network);
    assert_eq!(err.partial().map(|p| p.text()), Some("half".into()));
    assert!(s.messages.is_empty() && s.turns.is_empty());
}

#[tokio::test]
async fn context_is_fitted_and_unknown_models_are_not() {
    let mock = MockProvider::new();
    let c = client(&mock);
    let mut s = Session::new("mock/echo").with_context(
        ContextPolicy::new(ContextStrategy::SlidingWindow)
            .with_context_window(400)
            .with_max_output_tokens(50),
    );
    for i in 0..20 {
        s.chat(&c, format!("message number {i} ").repeat(5))
            .await
            .unwrap();
    }
    assert_eq!(s.messages.len(), 40, "the history keeps everything");
    let last = mock.requests().pop().unwrap();
    assert!(last.messages.len() < 39, "sent {}", last.messages.len());
    assert!(s.turns.last().unwrap().dropped_messages > 0);

    // No window known and none configured: sent whole, no error.
    let mut s = Session::new("mock/echo");
    for i in 0..5 {
        s.chat(&c, format!("m{i}")).await.unwrap();
    }
    assert_eq!(mock.requests().pop().unwrap().messages.len(), 9);
}

#[test]
fn newer_versions_and_unknown_fields_are_refused() {
    let d = dir("versions");
    let path = d.join("s.json");
    let mut doc = Session::new("mock/echo").to_json().unwrap();
    assert_eq!(doc["version"], 1);

    doc["version"] = 2.into();
    std::fs::write(&path, doc.to_string()).unwrap();
    let e = Session::load(&path).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unsupported);
    assert!(e.message().contains("newer exllm"), "{e}");

    doc["version"] = 1.into();
    doc["messages"] = serde_json::json!([{"role": "user", "content": [
        {"type": "text", "text": "hi", "lang": "en"}]}]);
    std::fs::write(&path, doc.to_string()).unwrap();
    let e = Session::load(&path).unwrap_err();
    assert!(e.message().contains("messages[0].content[0].lang"), "{e}");

    // Unknown top-level fields survive a load and a save.
    doc["messages"] = serde_json::json!([]);
    doc["future_field"] = serde_json::json!({"x": 1});
    std::fs::write(&path, doc.to_string()).unwrap();
    let s = Session::load(&path).unwrap();
    s.save(&path).unwrap();
    let back: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(back["future_field"]["x"], 1);

    let mut no_version = doc.clone();
    no_version.as_object_mut().unwrap().remove("version");
    std::fs::write(&path, no_version.to_string()).unwrap();
    assert_eq!(Session::load(&path).unwrap_err().kind(), ErrorKind::Decode);
}

#[test]
fn a_failure_before_the_rename_keeps_the_old_file() {
    let d = dir("atomic");
    let path = d.join("s.json");
    let old = Session::new("mock/old");
    old.save(&path).unwrap();
    let before = std::fs::read(&path).unwrap();

    let mut new = Session::new("mock/new");
    new.messages.push(Message::user("x".repeat(10_000)));
    let mut seen = None;
    let e = new
        .save_with(&path, |tmp| {
            // The temporary file is complete and beside the target.
            let written = Session::load(tmp).map_err(std::io::Error::other)?;
            assert_eq!(written.messages.len(), 1);
            assert_eq!(tmp.parent(), path.parent());
            seen = Some(tmp.to_path_buf());
            Err(std::io::Error::other("simulated crash"))
        })
        .unwrap_err();
    assert!(e.message().contains("simulated crash"), "{e}");
    assert_eq!(std::fs::read(&path).unwrap(), before);
    assert!(!seen.unwrap().exists(), "the temporary file was removed");
    assert_eq!(std::fs::read_dir(&d).unwrap().count(), 1);

    // A real failing rename: a directory stands at the target.
    let blocked = d.join("blocked.json");
    std::fs::create_dir_all(blocked.join("inside")).unwrap();
    assert!(new.save(&blocked).is_err());
    assert_eq!(
        std::fs::read_dir(&d).unwrap().count(),
        2,
        "no temporary file left"
    );
}

#[tokio::test]
async fn the_store_lists_loads_and_deletes() {
    let store = SessionStore::new(dir("store").join("sessions"));
    assert!(store.list().is_empty());
    let c = Client::builder().build().unwrap();
    let mut s = Session::new("mock/echo");
    s.chat(&c, "hi").await.unwrap();
    store.save("b", &s).unwrap();
    store.save("a", &Session::new("mock/echo")).unwrap();
    std::fs::write(store.dir().join("broken.json"), "{").unwrap();
    let names: Vec<_> = store
        .list()
        .into_iter()
        .map(|i| (i.name, i.session.is_ok()))
        .collect();
    assert_eq!(
        names,
        [
            ("a".into(), true),
            ("b".into(), true),
            ("broken".into(), false)
        ]
    );
    assert_eq!(store.load("b").unwrap().messages.len(), 2);
    assert!(store.path("../x").is_err() && store.path(".hidden").is_err());
    store.delete("a").unwrap();
    assert_eq!(store.delete("a").unwrap_err().kind(), ErrorKind::NotFound);
    assert_eq!(store.load("a").unwrap_err().kind(), ErrorKind::NotFound);
}
