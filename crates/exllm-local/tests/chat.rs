//! The embedded chat model end to end through `exllm::Client`: a factual answer, streaming equal
//! to non-streaming, stop sequences, max_tokens and exact usage. Greedy, at most 32 tokens, one
//! thread; checks are loose where the model's wording may vary.

use crate::common;

use exllm::{ChatRequest, Client, FinishKind, Message, StreamEvent};
use futures_util::StreamExt;
use std::sync::Arc;

fn client() -> Client {
    Client::builder()
        .provider("local", Arc::new(common::provider().clone()))
        .build()
        .unwrap()
}

fn france(max_tokens: u32) -> ChatRequest {
    let mut r = ChatRequest::new(
        format!("local/{}", common::CHAT),
        vec![Message::user("What is the capital of France?")],
    )
    .with_max_tokens(max_tokens);
    r.temperature = Some(0.0);
    r
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn answers_paris() {
    if !common::chat_available() {
        return;
    }
    let resp = client().chat(france(32)).await.unwrap();
    let text = resp.text();
    assert!(text.contains("Paris"), "answer without Paris: {text:?}");
    let usage = resp.usage.unwrap();
    assert!(usage.input_tokens.unwrap() > 5);
    assert!(usage.output_tokens.unwrap() >= 1 && usage.output_tokens.unwrap() <= 32);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn streaming_equals_non_streaming() {
    if !common::chat_available() {
        return;
    }
    let c = client();
    let whole = c.chat(france(24)).await.unwrap();
    let mut stream = c.chat_stream(france(24)).await.unwrap();
    let mut deltas = Vec::new();
    let mut collector = exllm::Collector::new();
    while let Some(ev) = stream.next().await {
        let ev = ev.unwrap();
        if let StreamEvent::TextDelta(t) = &ev {
            deltas.push(t.clone());
        }
        collector.push(ev);
    }
    let streamed = collector.finish();
    assert!(
        deltas.len() > 1,
        "expected token-by-token deltas, got {deltas:?}"
    );
    assert_eq!(streamed.text(), whole.text());
    assert_eq!(streamed.finish, whole.finish);
    assert_eq!(streamed.usage, whole.usage);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn max_tokens_gives_length_and_exact_usage() {
    if !common::chat_available() {
        return;
    }
    let resp = client().chat(france(3)).await.unwrap();
    assert_eq!(resp.finish_kind(), Some(FinishKind::Length));
    let usage = resp.usage.unwrap();
    assert_eq!(usage.output_tokens, Some(3));
    // The prompt count is the tokenizer's count of the rendered template.
    let model = common::provider().load_chat(common::CHAT).unwrap();
    let m = model.lock().unwrap();
    let prompt = m
        .template
        .render(&[Message::user("What is the capital of France?")])
        .unwrap();
    assert_eq!(
        usage.input_tokens,
        Some(m.tokenizer.encode_prompt(&prompt).unwrap().len() as u64)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn stop_sequences_cut_the_answer() {
    if !common::chat_available() {
        return;
    }
    let c = client();
    let full = c.chat(france(32)).await.unwrap().text();
    // Stop at the second word of the greedy answer: the answer must end right before it.
    let word = full
        .split_whitespace()
        .nth(1)
        .expect("an answer of two words or more")
        .to_owned();
    let pos = full.find(&word).unwrap();
    let mut req = france(32);
    req.stop = vec![word.clone()];
    let resp = c.chat(req.clone()).await.unwrap();
    assert_eq!(resp.text(), full[..pos], "stop {word:?} in {full:?}");
    assert_eq!(resp.finish_kind(), Some(FinishKind::Stop));
    // Streaming honours it the same way.
    let streamed = c
        .chat_stream(req)
        .await
        .unwrap()
        .collect_response()
        .await
        .unwrap();
    assert_eq!(streamed.text(), full[..pos]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn unsupported_settings_warn() {
    if !common::chat_available() {
        return;
    }
    let mut req = france(2);
    req.frequency_penalty = Some(0.5);
    let resp = client().chat(req).await.unwrap();
    assert!(resp
        .warnings
        .iter()
        .any(|w| w.setting.as_deref() == Some("frequency_penalty")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn models_list_and_unload() {
    if !common::chat_available() {
        return;
    }
    let list = client().list_models("local").await.unwrap();
    assert!(list.iter().any(|m| m.id == common::CHAT));
    let p = exllm_local::LocalProvider::new(
        exllm_local::LocalConfig::default().with_sources(vec![exllm_local::Source::Cache]),
    );
    p.load_chat(common::CHAT).unwrap();
    assert_eq!(p.loaded(), vec![common::CHAT.to_owned()]);
    assert!(p.unload(common::CHAT));
    assert!(p.loaded().is_empty());
}
