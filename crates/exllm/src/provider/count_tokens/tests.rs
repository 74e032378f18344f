use super::*;
use crate::provider::{Auth, Endpoint};
use crate::types::{Message, Tool};

fn req() -> ChatRequest {
    let mut r = ChatRequest::new("m", vec![Message::system("Be brief."), Message::user("Hi")]);
    r.max_tokens = Some(100);
    r.temperature = Some(0.5);
    r.tools = vec![Tool::new("f", "does f", json!({"type": "object"}))];
    r
}

fn body(e: &Encoded) -> Value {
    serde_json::from_slice(e.request.body()).unwrap()
}

#[test]
fn anthropic_body_has_no_sampling_settings() {
    let mut ep = Endpoint::new("anthropic", "https://api.anthropic.com/v1");
    ep.auth = Auth::Header {
        name: "x-api-key".into(),
        value: "k".into(),
    };
    let e = anthropic(&req(), "claude-x", &ep).unwrap();
    assert_eq!(
        e.request.uri().to_string(),
        "https://api.anthropic.com/v1/messages/count_tokens"
    );
    let b = body(&e);
    assert_eq!(b["model"], "claude-x");
    assert_eq!(b["system"][0]["text"], "Be brief.");
    assert_eq!(b["messages"][0]["content"][0]["text"], "Hi");
    assert_eq!(b["tools"][0]["name"], "f");
    for k in ["max_tokens", "temperature", "stream"] {
        assert!(b.get(k).is_none(), "{k} sent: {b}");
    }
    assert_eq!(e.request.method(), http::Method::POST);
}

#[test]
fn anthropic_on_vertex_uses_the_count_tokens_model() {
    let mut ep = Endpoint::new("vertex_anthropic", "https://x/v1/projects/p/locations/l");
    ep.quirks.vertex = true;
    let e = anthropic(&req(), "claude-x", &ep).unwrap();
    assert!(e
        .request
        .uri()
        .path()
        .ends_with("/publishers/anthropic/models/count-tokens:rawPredict"));
    assert_eq!(body(&e)["model"], "claude-x");
}

#[test]
fn anthropic_answer() {
    assert_eq!(decode_anthropic(br#"{"input_tokens": 42}"#).unwrap(), 42);
    let e = decode_anthropic(br#"{"tokens": 1}"#).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Decode);
    assert!(decode_anthropic(b"not json").is_err());
}

#[test]
fn gemini_wraps_the_generate_content_request() {
    let ep = Endpoint::new("gemini", "https://generativelanguage.googleapis.com/v1beta");
    let e = gemini(&req(), "gemini-2.5-flash", &ep).unwrap();
    assert_eq!(
        e.request.uri().path(),
        "/v1beta/models/gemini-2.5-flash:countTokens"
    );
    let b = body(&e);
    let g = &b["generateContentRequest"];
    assert_eq!(g["model"], "models/gemini-2.5-flash");
    assert_eq!(g["contents"][0]["parts"][0]["text"], "Hi");
    assert_eq!(g["systemInstruction"]["parts"][0]["text"], "Be brief.");
    assert!(g["tools"].is_array());
}

#[test]
fn gemini_on_vertex_sends_contents_at_the_top() {
    let ep = Endpoint::new(
        "vertex",
        "https://l-aiplatform.googleapis.com/v1/projects/p/locations/l/publishers/google",
    );
    let b = body(&gemini(&req(), "gemini-2.5-flash", &ep).unwrap());
    assert!(b.get("generateContentRequest").is_none());
    assert_eq!(b["contents"][0]["parts"][0]["text"], "Hi");
    assert!(b.get("generationConfig").is_none());
}

#[test]
fn gemini_answer() {
    let body = br#"{"totalTokens": 31, "cachedContentTokenCount": 0, "promptTokensDetails": []}"#;
    assert_eq!(decode_gemini(body).unwrap(), 31);
    assert_eq!(decode_gemini(br#"{"totalTokens": "7"}"#).unwrap(), 7);
    assert!(decode_gemini(br#"{}"#).is_err());
}
