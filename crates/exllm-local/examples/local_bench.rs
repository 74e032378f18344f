//! Measures the embedded local models: load time, prompt and generation tokens per second,
//! embedding time per sentence. One JSON line on stdout; `bench/local.sh` runs it at several
//! thread counts, with and without the Q8_0 re-encode, under `/usr/bin/time` for peak RSS.
//!
//! `cargo run --release -p exllm-local --example local_bench -- [--threads N] [--no-fast] [--no-reencode] [--no-exact] [--exact] [--tokens N] [--embed]`

use exllm::{Backend, ChatRequest, Message};
use exllm_local::{LocalConfig, LocalProvider, DEFAULT_CHAT_MODEL, DEFAULT_EMBEDDING_MODEL};
use std::time::Instant;

const PROMPT: &str =
    "Here are some notes about the history of the city of Paris. Paris was founded as a \
small settlement on an island in the Seine. It grew into a Roman town, then the capital of the \
Franks, then of the kingdom of France. In the nineteenth century its streets were rebuilt with \
wide boulevards, parks and sewers. Today it is known for its museums, its cafes and its food. \
Write a long, detailed story about a young baker who moves to Paris to open a shop.";

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> exllm::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let threads = arg(&args, "--threads").and_then(|s| s.parse().ok());
    let tokens: u32 = arg(&args, "--tokens")
        .and_then(|s| s.parse().ok())
        .unwrap_or(64);
    let mut cfg =
        LocalConfig::default().with_reencode_q8_0(!args.iter().any(|a| a == "--no-reencode"));
    cfg.threads = threads;
    cfg.fast = !args.iter().any(|a| a == "--no-fast");
    if args.iter().any(|a| a == "--no-exact") {
        cfg.exact_prefill = Some(false);
    }
    if args.iter().any(|a| a == "--exact") {
        cfg.exact_prefill = Some(true);
    }
    let cfg_fast = cfg.fast;
    let p = LocalProvider::new(cfg);
    // Fetch outside the timed load.
    p.resolve(DEFAULT_CHAT_MODEL)?;
    let t = Instant::now();
    let loaded = p.load_chat(DEFAULT_CHAT_MODEL)?;
    let load_ms = t.elapsed().as_secs_f64() * 1e3;
    let (reencoded, exact) = loaded
        .lock()
        .map(|m| (m.reencoded_tensors, m.exact_prefill()))
        .unwrap_or_default();
    let mut req =
        ChatRequest::new(DEFAULT_CHAT_MODEL, vec![Message::user(PROMPT)]).with_max_tokens(tokens);
    req.temperature = Some(0.0);
    req.provider_options
        .insert("repeat_penalty".into(), 1.1.into());
    p.chat(req.clone().with_max_tokens(4)).await?; // warm-up
    let resp = p.chat(req).await?;
    let timings = resp
        .provider_meta
        .get("timings")
        .cloned()
        .unwrap_or_default();
    let usage = resp.usage.unwrap_or_default();
    let mut out = serde_json::json!({
        "threads": exllm_local::hardware::detect().threads,
        "reencoded_tensors": reencoded,
        "exact_prefill": exact,
        "engine": if cfg_fast { "exllm" } else { "exllm on candle-transformers" },
        "load_ms": load_ms,
        "prompt_tokens": usage.input_tokens,
        "completion_tokens": usage.output_tokens,
        "prompt_tokens_per_second": timings["prompt_tokens_per_second"],
        "generation_tokens_per_second": timings["generation_tokens_per_second"],
    });
    if args.iter().any(|a| a == "--embed") {
        let sentences: Vec<String> = (0..32)
            .map(|i| format!("Sentence number {i} about cats, kittens and quarterly revenue."))
            .collect();
        p.resolve(DEFAULT_EMBEDDING_MODEL)?;
        let t = Instant::now();
        p.load_embedder(DEFAULT_EMBEDDING_MODEL)?;
        out["embed_load_ms"] = (t.elapsed().as_secs_f64() * 1e3).into();
        // Warm-up.
        p.embed(DEFAULT_EMBEDDING_MODEL, sentences[..2].to_vec())
            .await?;
        let t = Instant::now();
        for s in &sentences {
            p.embed(DEFAULT_EMBEDDING_MODEL, vec![s.clone()]).await?;
        }
        out["embed_ms_per_sentence"] =
            (t.elapsed().as_secs_f64() * 1e3 / sentences.len() as f64).into();
        let t = Instant::now();
        p.embed(DEFAULT_EMBEDDING_MODEL, sentences.clone()).await?;
        out["embed_ms_per_sentence_batch32"] =
            (t.elapsed().as_secs_f64() * 1e3 / sentences.len() as f64).into();
    }
    println!("{out}");
    Ok(())
}
