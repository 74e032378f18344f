//! Vision: an image sent with a question. The image's format and size are read from its bytes
//! before anything is sent. `cargo run -p exllm --example vision [image.png]`; without
//! `OPENAI_API_KEY` a mock plays the model and says what it received.

use exllm::{media, ChatRequest, Client, Message, MockProvider, Part, Role};
use std::sync::Arc;

/// A 1x1 PNG, so the example runs without a file.
const DOT: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\0\0\x01\0\0\0\x01\x08\x02\0\0\0\x90wS\xde";

#[tokio::main(flavor = "current_thread")]
async fn main() -> exllm::Result<()> {
    let bytes = match std::env::args_os().nth(1) {
        Some(path) => std::fs::read(path).map_err(|e| {
            exllm::Error::new(exllm::ErrorKind::InvalidInput, format!("read image: {e}"))
        })?,
        None => DOT.to_vec(),
    };
    if let Some(info) = media::image_info(&bytes) {
        println!(
            "image: {} {}x{}",
            info.media_type,
            info.width.unwrap_or(0),
            info.height.unwrap_or(0)
        );
    }
    let image = media::from_bytes(&bytes, Some("image.png"))?;
    let mock = MockProvider::new().with_handler(|req| {
        let images = req
            .messages
            .iter()
            .flat_map(|m| &m.content)
            .filter(|p| matches!(p, Part::Image { .. }))
            .count();
        Ok(MockProvider::text_response(format!(
            "I received {images} image(s) with your question."
        )))
    });
    let client = Client::builder().provider("mock", Arc::new(mock)).build()?;
    let model = match std::env::var_os("OPENAI_API_KEY") {
        Some(_) => "openai/gpt-4o-mini",
        None => "mock/vision",
    };
    let msg = Message::new(
        Role::User,
        vec![Part::text("What is in this image?"), image],
    );
    let resp = client.chat(ChatRequest::new(model, vec![msg])).await?;
    println!("answer: {}", resp.text());
    Ok(())
}
