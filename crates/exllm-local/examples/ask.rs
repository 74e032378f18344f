//! Asks the embedded chat model one question and prints the rendered prompt, the answer and its
//! usage: a quick manual check of template, tokenizer and weights.
//!
//! `cargo run -p exllm-local --example ask -- "What is the capital of France?" [--no-reencode]`

use exllm::{Backend, ChatRequest, Message};
use exllm_local::{LocalConfig, LocalProvider, DEFAULT_CHAT_MODEL};

#[tokio::main(flavor = "current_thread")]
async fn main() -> exllm::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let reencode = !args.iter().any(|a| a == "--no-reencode");
    let question = args
        .iter()
        .find(|a| !a.starts_with("--"))
        .cloned()
        .unwrap_or_else(|| "What is the capital of France?".into());
    let p = LocalProvider::new(LocalConfig::default().with_reencode_q8_0(reencode));
    let model = p.load_chat(DEFAULT_CHAT_MODEL)?;
    if let Ok(m) = model.lock() {
        let prompt = m.template.render(&[Message::user(question.clone())])?;
        eprintln!(
            "--- prompt ({} tokens) ---\n{prompt}---",
            m.tokenizer.encode_prompt(&prompt)?.len()
        );
    }
    let mut req =
        ChatRequest::new(DEFAULT_CHAT_MODEL, vec![Message::user(question)]).with_max_tokens(48);
    req.temperature = Some(0.0);
    let resp = p.chat(req).await?;
    println!("{}", resp.text());
    eprintln!(
        "{:?} {:?} {:?}",
        resp.finish,
        resp.usage.map(|u| (u.input_tokens, u.output_tokens)),
        resp.provider_meta.get("timings")
    );
    Ok(())
}
