//! Images and documents end to end: parts built by `exllm::media` from real files (a valid
//! PNG generated here, written to a temporary directory) and from URLs, sent to every wire API
//! through a local server that records the exact JSON each provider receives; oversized media
//! and too many images refused before any byte is sent (the server sees no request), documents
//! refused on APIs that take none, and files named with a misleading extension sent as what
//! their bytes are.

#[cfg(feature = "bedrock")]
#[path = "vision/bedrock.rs"]
mod bedrock;
#[path = "vision/fixtures.rs"]
mod fixtures;
use crate::support;

use exllm::{media, ChatRequest, Client, ErrorKind, ImageDetail, Message, Part, Role};
use fixtures::*;
use serde_json::{json, Value};
use support::{fast_retry, Reply, TestServer, KEY};

const URL: &str = "https://images.example.com/cat.png";

fn client(provider: &str, base: String) -> Client {
    Client::builder()
        .env_lookup(|_| None)
        .base_url(provider, base)
        .api_key(provider, KEY)
        .retry(fast_retry(0))
        .build()
        .unwrap()
}

fn user(parts: Vec<Part>) -> Vec<Message> {
    let mut all = vec![Part::text("Describe.")];
    all.extend(parts);
    vec![Message::new(Role::User, all)]
}

/// Sends `parts` to `model` and returns the JSON the server got (the answer must decode).
async fn sent(
    provider: &str,
    base: impl Fn(&TestServer) -> String,
    model: &str,
    reply: Value,
    parts: Vec<Part>,
) -> Value {
    let server = TestServer::start(vec![Reply::json(200, reply.to_string())]).await;
    let resp = client(provider, base(&server))
        .chat(ChatRequest::new(model, user(parts)))
        .await
        .unwrap();
    assert_eq!(resp.text(), "ok");
    server.only_request().json()
}

/// Sends `parts` and expects an error of `kind` with no request reaching the server.
async fn refused(provider: &str, model: &str, parts: Vec<Part>, kind: ErrorKind) -> exllm::Error {
    let server = TestServer::start(vec![]).await;
    let c = client(provider, server.url());
    let e = c
        .chat(ChatRequest::new(model, user(parts.clone())))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), kind, "{e}");
    let s = c
        .chat_stream(ChatRequest::new(model, user(parts)))
        .await
        .err()
        .expect("stream refused");
    assert_eq!(s.kind(), kind, "{s}");
    assert_eq!(server.request_count(), 0, "nothing may be sent");
    e
}

fn v1(s: &TestServer) -> String {
    s.url()
}

#[tokio::test]
async fn openai_chat_image_from_a_file_and_a_url() {
    let parts = vec![
        png_file().with_detail(ImageDetail::Low),
        media::from_url(URL).unwrap(),
    ];
    let body = sent("openai", v1, "openai/gpt-4o", chat_reply(), parts).await;
    assert_eq!(
        body["messages"][0]["content"],
        json!([
            {"type": "text", "text": "Describe."},
            {"type": "image_url", "image_url": {"url": format!("data:image/png;base64,{}", b64(&tiny_png())), "detail": "low"}},
            {"type": "image_url", "image_url": {"url": URL}},
        ])
    );
}

#[tokio::test]
async fn openai_compatible_mistral_gets_the_chat_shape() {
    let body = sent(
        "mistral",
        v1,
        "mistral/pixtral-12b",
        chat_reply(),
        vec![png_file(), media::from_url(URL).unwrap()],
    )
    .await;
    assert_eq!(
        body["messages"][0]["content"][1],
        json!({"type": "image_url", "image_url": {"url": format!("data:image/png;base64,{}", b64(&tiny_png()))}})
    );
    assert_eq!(
        body["messages"][0]["content"][2],
        json!({"type": "image_url", "image_url": {"url": URL}})
    );
}

#[tokio::test]
async fn openai_responses_image_from_a_file_and_a_url() {
    let reply = json!({"id": "r1", "model": "m", "status": "completed", "output": [{"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "ok"}]}]});
    let parts = vec![
        png_file().with_detail(ImageDetail::High),
        media::from_url(URL).unwrap(),
    ];
    let server = TestServer::start(vec![Reply::json(200, reply.to_string())]).await;
    let c = Client::builder()
        .env_lookup(|_| None)
        .base_url("openai", server.url())
        .api_key("openai", KEY)
        .api("openai", exllm::Api::OpenAiResponses)
        .build()
        .unwrap();
    let resp = c
        .chat(ChatRequest::new("openai/gpt-4.1", user(parts)))
        .await
        .unwrap();
    assert_eq!(resp.text(), "ok");
    let body = server.only_request().json();
    assert_eq!(
        body["input"][0]["content"],
        json!([
            {"type": "input_text", "text": "Describe."},
            {"type": "input_image", "detail": "high", "image_url": format!("data:image/png;base64,{}", b64(&tiny_png()))},
            {"type": "input_image", "detail": "auto", "image_url": URL},
        ])
    );
}

#[tokio::test]
async fn anthropic_image_from_a_file_and_a_url() {
    let reply = anthropic_reply();
    let body = sent(
        "anthropic",
        v1,
        "anthropic/claude-sonnet-4-5",
        reply,
        vec![png_file(), media::from_url(URL).unwrap()],
    )
    .await;
    assert_eq!(
        body["messages"][0]["content"],
        json!([
            {"type": "text", "text": "Describe."},
            {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": b64(&tiny_png())}},
            {"type": "image", "source": {"type": "url", "url": URL}},
        ])
    );
}

#[tokio::test]
async fn gemini_image_from_a_file_and_a_url() {
    let body = sent(
        "gemini",
        v1,
        "gemini/gemini-2.5-flash",
        gemini_reply(),
        vec![png_file(), media::from_url(URL).unwrap()],
    )
    .await;
    assert_eq!(
        body["contents"][0]["parts"],
        json!([
            {"text": "Describe."},
            {"inlineData": {"mimeType": "image/png", "data": b64(&tiny_png())}},
            // Gemini needs a type; a URL given without one gets its extension's.
            {"fileData": {"mimeType": "image/png", "fileUri": URL}},
        ])
    );
}

#[tokio::test]
async fn cohere_image_from_a_file_and_a_url() {
    let reply = json!({"id": "c1", "finish_reason": "COMPLETE", "message": {"role": "assistant", "content": [{"type": "text", "text": "ok"}]}});
    let root = |s: &TestServer| format!("{}/v2", s.root());
    let body = sent(
        "cohere",
        root,
        "cohere/command-a-vision-07-2025",
        reply,
        vec![png_file(), media::from_url(URL).unwrap()],
    )
    .await;
    assert_eq!(
        body["messages"][0]["content"],
        json!([
            {"type": "text", "text": "Describe."},
            {"type": "image_url", "image_url": {"url": format!("data:image/png;base64,{}", b64(&tiny_png()))}},
            {"type": "image_url", "image_url": {"url": URL}},
        ])
    );
}

#[tokio::test]
async fn ollama_image_from_a_file_but_not_a_url() {
    let reply = json!({"model": "llava", "message": {"role": "assistant", "content": "ok"}, "done": true, "done_reason": "stop"});
    let root = |s: &TestServer| s.root();
    let body = sent("ollama", root, "ollama/llava", reply, vec![png_file()]).await;
    assert_eq!(
        body["messages"][0],
        json!({"role": "user", "content": "Describe.", "images": [b64(&tiny_png())]})
    );
    let e = refused(
        "ollama",
        "ollama/llava",
        vec![media::from_url(URL).unwrap()],
        ErrorKind::Unsupported,
    )
    .await;
    assert!(e.to_string().contains("ollama"), "{e}");
}

#[tokio::test]
async fn too_large_images_are_refused_before_sending() {
    let mut big = tiny_png();
    big.resize(5 * 1024 * 1024 + 1, 0);
    let e = refused(
        "anthropic",
        "anthropic/claude-sonnet-4-5",
        vec![media::from_bytes(&big, None).unwrap()],
        ErrorKind::TooLarge,
    )
    .await;
    assert!(e.to_string().contains("5.00 MB"), "{e}");
    // Each image is within Gemini's means, together they are over its 20 MB of inline data.
    big.resize(11 * 1024 * 1024, 0);
    let two = vec![
        media::from_bytes(&big, None).unwrap(),
        media::from_bytes(&big, None).unwrap(),
    ];
    refused(
        "gemini",
        "gemini/gemini-2.5-flash",
        two,
        ErrorKind::TooLarge,
    )
    .await;
}

#[tokio::test]
async fn too_many_images_are_refused_before_sending() {
    let image = Part::image_base64("image/png", b64(&tiny_png()));
    let e = refused(
        "cohere",
        "cohere/command-a-vision-07-2025",
        vec![image.clone(); 21],
        ErrorKind::InvalidInput,
    )
    .await;
    assert!(e.to_string().contains("21 images"), "{e}");
    refused(
        "anthropic",
        "anthropic/claude-sonnet-4-5",
        vec![image; 101],
        ErrorKind::InvalidInput,
    )
    .await;
}

#[tokio::test]
async fn documents_on_apis_without_them_are_unsupported() {
    let pdf = media::from_path(write_temp("report.pdf", PDF)).unwrap();
    assert!(matches!(&pdf, Part::File { filename: Some(f), .. } if f == "report.pdf"));
    for (provider, model) in [
        ("ollama", "ollama/llava"),
        ("cohere", "cohere/command-a-vision-07-2025"),
    ] {
        let e = refused(provider, model, vec![pdf.clone()], ErrorKind::Unsupported).await;
        assert!(e.to_string().contains("document"), "{e}");
    }
}

#[tokio::test]
async fn pdfs_reach_the_apis_that_take_documents() {
    let pdf = media::from_path(write_temp("report.pdf", PDF)).unwrap();
    let data = b64(PDF);
    let reply = anthropic_reply();
    let body = sent(
        "anthropic",
        v1,
        "anthropic/claude-sonnet-4-5",
        reply,
        vec![pdf.clone()],
    )
    .await;
    assert_eq!(
        body["messages"][0]["content"][1],
        json!({"type": "document", "source": {"type": "base64", "media_type": "application/pdf", "data": data}, "title": "report.pdf"})
    );
    let body = sent(
        "openai",
        v1,
        "openai/gpt-4o",
        chat_reply(),
        vec![pdf.clone()],
    )
    .await;
    assert_eq!(
        body["messages"][0]["content"][1],
        json!({"type": "file", "file": {"file_data": format!("data:application/pdf;base64,{data}"), "filename": "report.pdf"}})
    );
    let body = sent(
        "gemini",
        v1,
        "gemini/gemini-2.5-flash",
        gemini_reply(),
        vec![pdf],
    )
    .await;
    assert_eq!(
        body["contents"][0]["parts"][1],
        json!({"inlineData": {"mimeType": "application/pdf", "data": data}})
    );
}

#[tokio::test]
async fn files_are_known_by_their_bytes_not_their_names() {
    // A PNG named .jpg is sent as image/png.
    let part = media::from_path(write_temp("photo.jpg", &tiny_png())).unwrap();
    let reply = anthropic_reply();
    let body = sent(
        "anthropic",
        v1,
        "anthropic/claude-sonnet-4-5",
        reply,
        vec![part],
    )
    .await;
    assert_eq!(
        body["messages"][0]["content"][1]["source"]["media_type"],
        "image/png"
    );
    // A JPEG named .pdf is an image, and its header is read.
    let jpeg =
        media::from_path_or_url(write_temp("scan.pdf", &jpeg_head()).to_str().unwrap()).unwrap();
    assert!(matches!(&jpeg, Part::Image { media_type: Some(t), .. } if t == "image/jpeg"));
    let info = media::image_info(&jpeg_head()).unwrap();
    assert_eq!((info.width, info.height), (Some(4), Some(3)));
    assert_eq!(media::image_info(&tiny_png()).unwrap().width, Some(1));
    // Text named .png is refused, naming the file.
    let e = media::from_path(write_temp("chart.png", b"not an image")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert!(e.to_string().contains("chart.png"), "{e}");
}
