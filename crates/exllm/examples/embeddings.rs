//! Embeddings and similarity: texts to vectors, and the nearest ones to a question.
//! `cargo run -p exllm --example embeddings`; with `OPENAI_API_KEY` set it embeds with OpenAI,
//! without a key with a tiny bag-of-words embedder written here as a [`Backend`] (any type can
//! be a provider).

use exllm::similarity::{cosine_similarity, find_similar};
use exllm::{
    Backend, ChatRequest, ChatResponse, ChatStream, Client, EmbedRequest, EmbedResponse, Error,
    ErrorKind,
};
use futures_util::future::BoxFuture;
use std::sync::Arc;

/// Words hashed into 64 buckets: texts sharing words point the same way.
struct BagOfWords;

fn embed_text(text: &str) -> Vec<f32> {
    let mut v = vec![0.0f32; 64];
    for word in text.to_lowercase().split(|c: char| !c.is_alphanumeric()) {
        if word.len() > 2 {
            let h = word
                .bytes()
                .fold(7u32, |h, b| h.wrapping_mul(31).wrapping_add(b as u32));
            v[(h % 64) as usize] += 1.0;
        }
    }
    v
}

impl Backend for BagOfWords {
    fn chat(&self, _req: ChatRequest) -> BoxFuture<'static, exllm::Result<ChatResponse>> {
        Box::pin(async { Err(Error::new(ErrorKind::Unsupported, "embeddings only")) })
    }
    fn chat_stream(&self, _req: ChatRequest) -> BoxFuture<'static, exllm::Result<ChatStream>> {
        Box::pin(async { Err(Error::new(ErrorKind::Unsupported, "embeddings only")) })
    }
    fn embed(&self, req: EmbedRequest) -> BoxFuture<'static, exllm::Result<EmbedResponse>> {
        let embeddings = req.inputs.iter().map(|t| embed_text(t)).collect();
        Box::pin(async move {
            Ok(EmbedResponse {
                embeddings,
                ..Default::default()
            })
        })
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> exllm::Result<()> {
    let client = Client::builder()
        .provider("words", Arc::new(BagOfWords))
        .build()?;
    let model = match std::env::var_os("OPENAI_API_KEY") {
        Some(_) => "openai/text-embedding-3-small",
        None => "words/bag",
    };
    let docs = [
        "Rust guarantees memory safety without a garbage collector.",
        "Paris is the capital and largest city of France.",
        "Croissants are a buttery French pastry eaten at breakfast.",
        "The borrow checker enforces Rust's ownership rules at compile time.",
    ];
    let corpus = client
        .embed(EmbedRequest::new(model, docs))
        .await?
        .embeddings;
    let question = "How does Rust keep memory safe?";
    let query = client.embed(EmbedRequest::new(model, [question])).await?;
    let query = &query.embeddings[0];
    println!("question: {question}");
    for m in find_similar(query, &corpus, 2) {
        println!("{:.3}  {}", m.score, docs[m.index]);
    }
    let far = cosine_similarity(query, &corpus[2]);
    println!("least related: {far:.3}  {}", docs[2]);
    Ok(())
}
