//! How each codec puts images and documents on the wire: the media fixes they cover (Cohere
//! images, `data:` URLs given as URLs) across every codec at once.

use crate::provider::{Api, Endpoint};
use crate::types::{ChatRequest, ImageDetail, MediaSource, Message, Part, Role};
use serde_json::{json, Value};

const PNG: &str = "iVBORw0KGgo=";

fn body(api: Api, parts: Vec<Part>) -> (Value, usize) {
    let req = ChatRequest::new("m", vec![Message::new(Role::User, parts)]);
    let enc = api
        .codec()
        .encode(&req, "m", &Endpoint::new("p", "http://h/v1"), false)
        .unwrap();
    let v = serde_json::from_slice(enc.request.body()).unwrap();
    (v, enc.warnings.len())
}

fn data_url_image() -> Part {
    Part::Image {
        source: MediaSource::Url(format!("data:image/png;base64,{PNG}")),
        media_type: None,
        detail: None,
    }
}

#[test]
fn cohere_sends_images_as_content_items() {
    let parts = vec![
        Part::text("What is it?"),
        Part::image_base64("image/png", PNG).with_detail(ImageDetail::High),
        Part::image_url("https://e.x/a.png"),
    ];
    let (v, warnings) = body(Api::Cohere, parts);
    assert_eq!(warnings, 0);
    assert_eq!(
        v["messages"][0]["content"],
        json!([
            {"type": "text", "text": "What is it?"},
            {"type": "image_url", "image_url": {"url": format!("data:image/png;base64,{PNG}"), "detail": "high"}},
            {"type": "image_url", "image_url": {"url": "https://e.x/a.png"}},
        ])
    );
    let (v, _) = body(Api::Cohere, vec![Part::text("hi")]);
    assert_eq!(
        v["messages"][0]["content"], "hi",
        "text alone stays a string"
    );
}

#[test]
fn data_urls_go_inline_where_the_api_wants_bytes() {
    let (v, w) = body(Api::Anthropic, vec![data_url_image()]);
    assert_eq!(w, 0);
    assert_eq!(
        v["messages"][0]["content"][0]["source"],
        json!({"type": "base64", "media_type": "image/png", "data": PNG})
    );
    let (v, w) = body(Api::Bedrock, vec![data_url_image()]);
    assert_eq!(w, 0);
    assert_eq!(
        v["messages"][0]["content"][0],
        json!({"image": {"format": "png", "source": {"bytes": PNG}}})
    );
    let (v, w) = body(Api::Ollama, vec![Part::text("x"), data_url_image()]);
    assert_eq!(w, 0);
    assert_eq!(v["messages"][0]["images"], json!([PNG]));
    let pdf = Part::File {
        source: MediaSource::Url("data:application/pdf;base64,JVBERi0=".into()),
        media_type: None,
        filename: Some("a.pdf".into()),
    };
    let (v, w) = body(Api::OpenAiResponses, vec![pdf.clone()]);
    assert_eq!(w, 0);
    assert_eq!(
        v["input"][0]["content"][0],
        json!({"type": "input_file", "file_data": "data:application/pdf;base64,JVBERi0=", "filename": "a.pdf"})
    );
    let (v, w) = body(Api::OpenAiChat, vec![pdf]);
    assert_eq!(w, 0);
    assert_eq!(
        v["messages"][0]["content"][0],
        json!({"type": "file", "file": {"file_data": "data:application/pdf;base64,JVBERi0=", "filename": "a.pdf"}})
    );
}
