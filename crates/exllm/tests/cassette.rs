//! Record and replay through the public builder: exchanges with a loopback server are
//! recorded to a cassette (OpenAI Chat Completions whole and streamed, Anthropic streamed),
//! then served from it with the server gone: the same answers, the same stream events, the
//! recorded bodies byte-exact, no key in the file, and a request that matches nothing failing
//! clearly.

use crate::support::fixtures::{anthropic, chat};
use crate::support::{Reply, TestServer, KEY};
use exllm::{ChatRequest, Client, ErrorKind, Message, StreamEvent};
use futures_util::StreamExt;
use std::path::PathBuf;

fn cassette(name: &str) -> PathBuf {
    let p = std::env::temp_dir().join(format!(
        "exllm-cassette-{name}-{}.jsonl",
        std::process::id()
    ));
    let _ = std::fs::remove_file(&p);
    p
}

fn builder(provider: &str, url: &str) -> exllm::ClientBuilder {
    Client::builder()
        .env_lookup(|_| None)
        .base_url(provider, url)
        .api_key(provider, KEY)
}

fn ask(model: &str, text: &str) -> ChatRequest {
    ChatRequest::new(model, vec![Message::user(text)])
}

async fn events(c: &Client, req: ChatRequest) -> Vec<StreamEvent> {
    let mut s = c.chat_stream(req).await.expect("stream starts");
    let mut out = Vec::new();
    while let Some(ev) = s.next().await {
        out.push(ev.expect("stream event"));
    }
    out
}

/// The recorded exchanges, as JSON.
fn lines(path: &PathBuf) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(!text.contains(KEY), "the key reached the cassette: {text}");
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[tokio::test]
async fn openai_chat_whole_and_streamed_replay_without_the_server() {
    let path = cassette("openai");
    let stream_body = chat::text_stream("gpt-4o-mini");
    let server = TestServer::start(vec![
        Reply::json(200, chat::text("gpt-4o-mini")),
        Reply::sse_split(&stream_body, 7),
    ])
    .await;
    let url = server.url();
    let rec = builder("openai", &url).record(&path).build().unwrap();
    let whole = rec
        .chat(ask("openai/gpt-4o-mini", "Say hello"))
        .await
        .unwrap();
    let streamed = events(&rec, ask("openai/gpt-4o-mini", "Stream it")).await;
    drop(rec);
    drop(server);

    let recorded = lines(&path);
    assert_eq!(recorded.len(), 2);
    let auth = &recorded[0]["request"]["headers"]["authorization"];
    assert_eq!(auth, "[redacted]");
    assert_eq!(recorded[0]["request"]["method"], "POST");
    assert_eq!(recorded[0]["response"]["status"], 200);
    assert_eq!(recorded[0]["response"]["body"], chat::text("gpt-4o-mini"));
    // The stream's bytes and the pieces they came in, as the server sent them.
    assert_eq!(recorded[1]["response"]["body"], stream_body.as_str());
    let chunks: Vec<u64> =
        serde_json::from_value(recorded[1]["response"]["chunks"].clone()).unwrap();
    assert_eq!(chunks.iter().sum::<u64>() as usize, stream_body.len());
    assert!(chunks.len() > 1, "{chunks:?}");

    let play = builder("openai", &url).replay(&path).build().unwrap();
    let again = play
        .chat(ask("openai/gpt-4o-mini", "Say hello"))
        .await
        .unwrap();
    assert_eq!(again.text(), whole.text());
    assert_eq!(again.usage, whole.usage);
    assert_eq!(again.id, whole.id);
    assert_eq!(
        events(&play, ask("openai/gpt-4o-mini", "Stream it")).await,
        streamed
    );
    // The recorded key is gone, and replay needs none of its own either way.
    let keyless = Client::builder()
        .env_lookup(|_| None)
        .base_url("openai", &url)
        .api_key("openai", "sk-other")
        .replay(&path)
        .build()
        .unwrap();
    let r = keyless
        .chat(ask("openai/gpt-4o-mini", "Say hello"))
        .await
        .unwrap();
    assert_eq!(r.text(), whole.text());
    let _ = std::fs::remove_file(&path);
}

#[tokio::test]
async fn anthropic_stream_replays_the_same_events() {
    let path = cassette("anthropic");
    let body = anthropic::text_stream("claude-sonnet-4-5");
    let server = TestServer::start(vec![Reply::sse_split(&body, 11)]).await;
    let url = server.url();
    let rec = builder("anthropic", &url).record(&path).build().unwrap();
    let streamed = events(&rec, ask("anthropic/claude-sonnet-4-5", "Hi")).await;
    drop(rec);
    drop(server);
    let recorded = lines(&path);
    assert_eq!(recorded[0]["request"]["headers"]["x-api-key"], "[redacted]");
    assert_eq!(recorded[0]["response"]["body"], body.as_str());
    let play = builder("anthropic", &url).replay(&path).build().unwrap();
    let replayed = events(&play, ask("anthropic/claude-sonnet-4-5", "Hi")).await;
    assert_eq!(replayed, streamed);
    assert!(replayed
        .iter()
        .any(|e| matches!(e, StreamEvent::TextDelta(_))));
    let _ = std::fs::remove_file(&path);
}

#[tokio::test]
async fn a_request_the_cassette_lacks_is_a_clear_error() {
    let path = cassette("miss");
    let server = TestServer::start(vec![Reply::json(200, chat::text("gpt-4o-mini"))]).await;
    let url = server.url();
    let rec = builder("openai", &url).record(&path).build().unwrap();
    rec.chat(ask("openai/gpt-4o-mini", "recorded"))
        .await
        .unwrap();
    drop(rec);
    drop(server);
    let play = builder("openai", &url).replay(&path).build().unwrap();
    let e = play
        .chat(ask("openai/gpt-4o-mini", "never recorded"))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config);
    assert!(e.message().contains("no exchange in the cassette"), "{e}");
    assert!(e.message().contains("never recorded"), "{e}");
    assert!(!e.is_retryable());
    let missing = builder("openai", &url).replay(cassette("absent")).build();
    assert_eq!(missing.unwrap_err().kind(), ErrorKind::Config);
    let _ = std::fs::remove_file(&path);
}
