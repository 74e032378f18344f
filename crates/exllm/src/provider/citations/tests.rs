use super::*;
use crate::provider::test_support::{
    bearer, data_frames, header_key, sse, typed_frames, TestCodec,
};
use crate::provider::{AnthropicCodec, Endpoint, GeminiCodec, OpenAiResponsesCodec};
use serde_json::json;

fn cites(events: impl Iterator<Item = StreamEvent>) -> Vec<Citation> {
    events
        .map(|e| match e {
            StreamEvent::Citation(c) => c,
            other => panic!("not a citation: {other:?}"),
        })
        .collect()
}

#[test]
fn reads_every_shape_and_skips_what_has_no_url() {
    let list = json!([
        {"type": "url_citation", "url_citation": {"url": "https://a", "title": "A", "start_index": 0}},
        {"type": "url_citation", "url": "https://b", "title": "B", "start_index": 1},
        {"type": "web_search_result_location", "url": "https://c", "title": "C", "cited_text": "x"},
        {"type": "file_citation", "file_id": "f1", "index": 3},
        {"type": "char_location", "document_index": 0, "cited_text": "y"},
        "https://d",
        {"url": "https://e"},
        {"url": 7},
        null
    ]);
    assert_eq!(
        cites(events(Some(&list))),
        vec![
            Citation::new("https://a", Some("A".into())),
            Citation::new("https://b", Some("B".into())),
            Citation::new("https://c", Some("C".into())),
            Citation::new("https://d", None),
            Citation::new("https://e", None),
        ]
    );
    assert_eq!(cites(events(Some(&json!({"url": "https://x"})))), vec![]);
    assert_eq!(cites(events(None)), vec![]);
}

#[test]
fn gemini_grounding_chunks_give_their_web_sources() {
    let meta = json!({
        "webSearchQueries": ["q"],
        "groundingChunks": [
            {"web": {"uri": "https://g1", "title": "g1.org"}},
            {"retrievedContext": {"uri": "gs://bucket/doc", "title": "doc"}},
            {"web": {"uri": "https://g2"}},
            {"web": {"title": "no uri"}}
        ]
    });
    assert_eq!(
        cites(gemini_grounding(&meta)),
        vec![
            Citation::new("https://g1", Some("g1.org".into())),
            Citation::new("https://g2", None),
        ]
    );
    assert_eq!(cites(gemini_grounding(&json!({}))), vec![]);
}

// ---------------------------------------------------------------------------------------------
// Each codec's citations, whole and streamed (Chat Completions' are in its own tests)
// ---------------------------------------------------------------------------------------------

fn anthropic_ep() -> Endpoint {
    header_key(
        "anthropic",
        "https://api.anthropic.com/v1",
        "x-api-key",
        "k",
    )
}
fn gemini_ep() -> Endpoint {
    header_key("gemini", "https://g.example/v1beta", "x-goog-api-key", "k")
}
fn responses_ep() -> Endpoint {
    bearer("openai", "https://api.openai.com/v1", "k")
}
const ANTHROPIC: TestCodec = TestCodec::new(&AnthropicCodec, "claude-sonnet-4-5", anthropic_ep);
const GEMINI: TestCodec = TestCodec::new(&GeminiCodec, "gemini-2.5-flash", gemini_ep);
const RESPONSES: TestCodec = TestCodec::new(&OpenAiResponsesCodec, "gpt-4.1", responses_ep);

fn web(url: &str, title: &str) -> Citation {
    Citation::new(url, Some(title.into()))
}

#[test]
fn anthropic_web_search_result_locations_whole_and_streamed() {
    let whole = ANTHROPIC.decode(include_str!("../anthropic/fixtures/web_search.json"));
    let cited = [web("https://example.com/paris", "Paris forecast")];
    assert_eq!(whole.citations, cited);
    let streamed = ANTHROPIC.stream(&sse(include_str!("../anthropic/fixtures/web_search.sse")));
    assert_eq!(streamed.citations, cited);

    // Two text blocks citing one page twice, and a document location (no url).
    let loc = |url: &str, title: &str| {
        json!({"type": "web_search_result_location", "url": url, "title": title,
               "encrypted_index": "Eo8", "cited_text": "..."})
    };
    let doc = json!({"type": "char_location", "document_index": 0, "document_title": "D",
                     "cited_text": "x", "start_char_index": 0, "end_char_index": 1});
    let body = json!({"id": "msg_1", "model": "claude-sonnet-4-5", "stop_reason": "end_turn",
        "content": [
            {"type": "text", "text": "A", "citations": [loc("https://a/", "A"), doc.clone()]},
            {"type": "text", "text": "B", "citations": [loc("https://b/", "B"), loc("https://a/", "A2")]}],
        "usage": {"input_tokens": 3, "output_tokens": 2}});
    let whole = ANTHROPIC.decode(&body.to_string());
    assert_eq!(
        whole.citations,
        [web("https://a/", "A"), web("https://b/", "B")]
    );
    let delta = |i: u32, c: &Value| {
        json!({"type": "content_block_delta", "index": i,
               "delta": {"type": "citations_delta", "citation": c}})
        .to_string()
    };
    let text = |i: u32, t: &str| {
        json!({"type": "content_block_delta", "index": i,
               "delta": {"type": "text_delta", "text": t}})
        .to_string()
    };
    let frames = [
        r#"{"type":"message_start","message":{"id":"msg_1","model":"claude-sonnet-4-5","content":[],"usage":{"input_tokens":3,"output_tokens":1}}}"#.to_owned(),
        r#"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":"","citations":[]}}"#.to_owned(),
        delta(0, &loc("https://a/", "A")),
        delta(0, &doc),
        text(0, "A"),
        r#"{"type":"content_block_stop","index":0}"#.to_owned(),
        r#"{"type":"content_block_start","index":1,"content_block":{"type":"text","text":""}}"#.to_owned(),
        delta(1, &loc("https://b/", "B")),
        delta(1, &loc("https://a/", "A2")),
        text(1, "B"),
        r#"{"type":"content_block_stop","index":1}"#.to_owned(),
        r#"{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":2}}"#.to_owned(),
        r#"{"type":"message_stop"}"#.to_owned(),
    ];
    let frames: Vec<&str> = frames.iter().map(String::as_str).collect();
    let streamed = ANTHROPIC.stream(&typed_frames(&frames));
    assert_eq!(streamed.citations, whole.citations);
    assert_eq!(streamed.text(), "AB");
}

#[test]
fn responses_url_citations_whole_and_streamed() {
    let whole = RESPONSES.decode(include_str!("../openai_responses/fixtures/tools.json"));
    let streamed = RESPONSES.stream(&sse(include_str!("../openai_responses/fixtures/tools.sse")));
    let cited = [web("https://example.com/paris-weather", "Paris weather")];
    assert_eq!(whole.citations, cited);
    assert_eq!(streamed.citations, cited);

    // A stream whose annotations come only on the finished item (no `annotation.added`), and
    // one whose `annotation.added` repeat what the item restates.
    let part = json!({"type": "output_text", "text": "Hi", "annotations": [
        {"type": "url_citation", "url": "https://x/", "title": "X", "start_index": 0, "end_index": 2},
        {"type": "file_citation", "file_id": "file_1", "index": 1},
        {"type": "url_citation", "url": "https://y/"}]});
    let item = json!({"type": "message", "id": "msg_1", "role": "assistant", "content": [part]});
    let done = json!({"type": "response.output_item.done", "output_index": 0, "item": item});
    let completed = json!({"type": "response.completed", "response": {"id": "r", "model": "m",
        "status": "completed", "output": [item]}});
    let expected = [web("https://x/", "X"), Citation::new("https://y/", None)];
    let only_item = RESPONSES.stream(&typed_frames(&[&done.to_string(), &completed.to_string()]));
    assert_eq!(only_item.citations, expected);
    assert_eq!(only_item.text(), "Hi");
    let added = |a: Value| {
        json!({"type": "response.output_text.annotation.added", "output_index": 0,
               "content_index": 0, "annotation": a})
        .to_string()
    };
    let with_added = RESPONSES.stream(&typed_frames(&[
        &added(json!({"type": "url_citation", "url": "https://y/"})),
        &added(json!({"type": "url_citation", "url": "https://x/", "title": "X"})),
        &done.to_string(),
        &completed.to_string(),
    ]));
    assert_eq!(
        with_added.citations,
        [Citation::new("https://y/", None), web("https://x/", "X")]
    );
    let whole = RESPONSES.decode(&completed["response"].to_string());
    assert_eq!(whole.citations, expected);
}

#[test]
fn gemini_grounding_whole_and_streamed() {
    let whole = GEMINI.decode(include_str!("../gemini/tests/fixtures/code_grounding.json"));
    let streamed = GEMINI.stream(&sse(include_str!(
        "../gemini/tests/fixtures/code_grounding.sse"
    )));
    let cited = [web(
        "https://vertexaisearch.cloud.google.com/grounding-api-redirect/exllm1",
        "example.org",
    )];
    assert_eq!(whole.citations, cited);
    assert_eq!(streamed.citations, cited);

    // Grounding spread over chunks: every new value's sources count, once per url.
    let chunk = |text: &str, chunks: Value, finish: Option<&str>| {
        let mut cand = json!({"index": 0, "content": {"role": "model", "parts": [{"text": text}]},
            "groundingMetadata": {"groundingChunks": chunks}});
        if let Some(f) = finish {
            cand["finishReason"] = f.into();
        }
        json!({"candidates": [cand], "modelVersion": "gemini-2.5-flash"})
    };
    let a = json!({"web": {"uri": "https://a/", "title": "a.org"}});
    let b = json!({"web": {"uri": "https://b/", "title": "b.org"}});
    let streamed = GEMINI.stream(&data_frames(&[
        chunk("One ", json!([a]), None),
        chunk("two.", json!([a, b]), Some("STOP")),
    ]));
    assert_eq!(
        streamed.citations,
        [web("https://a/", "a.org"), web("https://b/", "b.org")]
    );
    assert_eq!(streamed.text(), "One two.");
}
