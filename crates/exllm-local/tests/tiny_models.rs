//! Both supported architectures end to end on tiny random models written here as GGUF files
//! (llama with a Llama-3 style vocabulary, qwen2 and qwen3 with a Qwen2 one): loading with the Q8_0
//! re-encode and exact prefill, the tokenizer and ChatML fallback from metadata, seeded sampling
//! with temperature / top-k / top-p, and usage counts; exllm's own llama path against candle's on
//! the same weights. No download needed.

use candle_core::quantized::gguf_file::Value;
use candle_core::quantized::{gguf_file, GgmlDType, QTensor};
use candle_core::{Device, Tensor};
use exllm::{Backend, ChatRequest, FinishKind, Message};
use exllm_local::{LocalConfig, LocalProvider, Source};
use std::path::PathBuf;

const EMBD: usize = 64;
const HEADS: u32 = 4;
const KV_HEADS: u32 = 2;
const FF: usize = 128;
const BLOCKS: usize = 2;

/// GPT-2's byte-to-character table, so the vocabulary covers every byte.
fn byte_chars() -> Vec<String> {
    let mut bs: Vec<u32> = (b'!' as u32..=b'~' as u32)
        .chain(0xA1..=0xAC)
        .chain(0xAE..=0xFF)
        .collect();
    let mut cs = bs.clone();
    let mut n = 0;
    for b in 0..256u32 {
        if !bs.contains(&b) {
            bs.push(b);
            cs.push(256 + n);
            n += 1;
        }
    }
    let mut pairs: Vec<(u32, u32)> = bs.into_iter().zip(cs).collect();
    pairs.sort();
    pairs
        .into_iter()
        .map(|(_, c)| char::from_u32(c).unwrap().to_string())
        .collect()
}

pub(crate) fn write_model(arch: &str, pre: &str) -> PathBuf {
    write_model_in(arch, pre, "gpt2", "default")
}

pub(crate) fn write_model_in(
    arch: &str,
    pre: &str,
    tokenizer_model: &str,
    dir_name: &str,
) -> PathBuf {
    let dev = Device::Cpu;
    let mut tokens = byte_chars();
    tokens.push("he".into());
    tokens.push("<|im_start|>".into());
    tokens.push("<|im_end|>".into());
    let vocab = tokens.len();
    let mut types = vec![Value::I32(1); 257];
    types.extend([Value::I32(3), Value::I32(3)]);
    let head_dim = EMBD / HEADS as usize;
    let kv = head_dim * KV_HEADS as usize;
    let mut md: Vec<(String, Value)> = vec![
        ("general.architecture".into(), Value::String(arch.into())),
        (format!("{arch}.attention.head_count"), Value::U32(HEADS)),
        (
            format!("{arch}.attention.head_count_kv"),
            Value::U32(KV_HEADS),
        ),
        (format!("{arch}.block_count"), Value::U32(BLOCKS as u32)),
        (format!("{arch}.embedding_length"), Value::U32(EMBD as u32)),
        (format!("{arch}.context_length"), Value::U32(256)),
        (
            format!("{arch}.rope.dimension_count"),
            Value::U32(head_dim as u32),
        ),
        (
            format!("{arch}.attention.layer_norm_rms_epsilon"),
            Value::F32(1e-5),
        ),
        (
            "tokenizer.ggml.model".into(),
            Value::String(tokenizer_model.into()),
        ),
        ("tokenizer.ggml.pre".into(), Value::String(pre.into())),
        (
            "tokenizer.ggml.tokens".into(),
            Value::Array(tokens.into_iter().map(Value::String).collect()),
        ),
        ("tokenizer.ggml.token_type".into(), Value::Array(types)),
        (
            "tokenizer.ggml.merges".into(),
            Value::Array(vec![Value::String("h e".into())]),
        ),
        (
            "tokenizer.ggml.eos_token_id".into(),
            Value::U32(vocab as u32 - 1),
        ),
    ];
    if arch == "qwen3" {
        md.push((
            "qwen3.attention.key_length".into(),
            Value::U32(head_dim as u32),
        ));
        md.push(("qwen3.rope.freq_base".into(), Value::F32(1e6)));
    }
    let q4 = |rows: usize, cols: usize| {
        QTensor::quantize(
            &Tensor::randn(0f32, 0.05, (rows, cols), &dev).unwrap(),
            GgmlDType::Q4_1,
        )
        .unwrap()
    };
    let f32v = |n: usize| {
        QTensor::quantize(
            &Tensor::ones(n, candle_core::DType::F32, &dev).unwrap(),
            GgmlDType::F32,
        )
        .unwrap()
    };
    let mut tensors: Vec<(String, QTensor)> = vec![
        ("token_embd.weight".into(), q4(vocab, EMBD)),
        ("output_norm.weight".into(), f32v(EMBD)),
    ];
    for b in 0..BLOCKS {
        let p = format!("blk.{b}");
        tensors.push((format!("{p}.attn_q.weight"), q4(EMBD, EMBD)));
        tensors.push((format!("{p}.attn_k.weight"), q4(kv, EMBD)));
        tensors.push((format!("{p}.attn_v.weight"), q4(kv, EMBD)));
        tensors.push((format!("{p}.attn_output.weight"), q4(EMBD, EMBD)));
        tensors.push((format!("{p}.ffn_gate.weight"), q4(FF, EMBD)));
        tensors.push((format!("{p}.ffn_up.weight"), q4(FF, EMBD)));
        tensors.push((format!("{p}.ffn_down.weight"), q4(EMBD, FF)));
        tensors.push((format!("{p}.attn_norm.weight"), f32v(EMBD)));
        tensors.push((format!("{p}.ffn_norm.weight"), f32v(EMBD)));
        if arch == "qwen3" {
            tensors.push((format!("{p}.attn_q_norm.weight"), f32v(head_dim)));
            tensors.push((format!("{p}.attn_k_norm.weight"), f32v(head_dim)));
        }
        if arch == "qwen2" {
            tensors.push((format!("{p}.attn_q.bias"), f32v(EMBD)));
            tensors.push((format!("{p}.attn_k.bias"), f32v(kv)));
            tensors.push((format!("{p}.attn_v.bias"), f32v(kv)));
        }
    }
    let dir = std::env::temp_dir().join(format!(
        "exllm-local-tiny-{}-{dir_name}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("tiny-{arch}.gguf"));
    let mut f = std::fs::File::create(&path).unwrap();
    let md_refs: Vec<(&str, &Value)> = md.iter().map(|(k, v)| (k.as_str(), v)).collect();
    let t_refs: Vec<(&str, &QTensor)> = tensors.iter().map(|(k, v)| (k.as_str(), v)).collect();
    gguf_file::write(&mut f, &md_refs, &t_refs).unwrap();
    path
}

async fn run(arch: &str, pre: &str, fast: bool) {
    let path = write_model(arch, pre);
    let p = LocalProvider::new(
        LocalConfig::default()
            .with_threads(1)
            .with_sources(vec![Source::Cache])
            .with_paths(true)
            .with_fast(fast),
    );
    let model = path.to_str().unwrap().to_owned();
    let mut req = ChatRequest::new(
        model.clone(),
        vec![Message::system("Be brief."), Message::user("héllo 123 😀")],
    )
    .with_max_tokens(6);
    req.temperature = Some(0.8);
    req.top_k = Some(20);
    req.top_p = Some(0.9);
    req.seed = Some(7);
    let a = p.chat(req.clone()).await.unwrap();
    let b = p.chat(req).await.unwrap();
    assert_eq!(a.text(), b.text(), "same seed, same answer");
    assert!(matches!(
        a.finish_kind(),
        Some(FinishKind::Length | FinishKind::Stop)
    ));
    let usage = a.usage.unwrap();
    assert!(usage.output_tokens.unwrap() <= 6);
    let loaded = p.load_chat(&model).unwrap();
    let m = loaded.lock().unwrap();
    // exllm's own llama path uses the weights as shipped; candle's re-encodes the Q4_1
    // tensors to Q8_0 and widens the first layer's q/k/gate/up.
    let converted = if fast && arch == "llama" {
        0
    } else {
        1 + 7 * BLOCKS
    };
    assert_eq!(m.reencoded_tensors, converted);
    assert!(
        !m.exact_prefill(),
        "the first layer in F32 replaces the F32 copy"
    );
    let prompt = m
        .template
        .render(&[Message::system("Be brief."), Message::user("héllo 123 😀")])
        .unwrap();
    assert!(
        prompt.starts_with("<|im_start|>system\nBe brief.<|im_end|>"),
        "{prompt}"
    );
    let ids = m.tokenizer.encode_prompt(&prompt).unwrap();
    assert_eq!(usage.input_tokens, Some(ids.len() as u64));
    assert_eq!(m.tokenizer.inner.decode(&ids, false).unwrap(), prompt);
}

#[tokio::test]
async fn tiny_llama_runs() {
    run("llama", "llama-bpe", true).await;
}

#[tokio::test]
async fn tiny_llama_runs_on_candle() {
    run("llama", "llama-bpe", false).await;
}

#[tokio::test]
async fn tiny_qwen2_runs() {
    run("qwen2", "qwen2", true).await;
}

#[tokio::test]
async fn tiny_qwen3_runs() {
    run("qwen3", "qwen2", true).await;
}

#[tokio::test]
async fn tokenizer_json_is_the_fallback() {
    // A vocabulary type the GGUF route does not build (SentencePiece `llama`) fails clearly...
    let path = write_model_in("llama", "default", "llama", "spm");
    let p = LocalProvider::new(
        LocalConfig::default()
            .with_threads(1)
            .with_sources(vec![Source::Cache])
            .with_paths(true),
    );
    let e = p
        .load_chat(path.to_str().unwrap())
        .err()
        .expect("no tokenizer");
    assert_eq!(e.kind(), exllm::ErrorKind::InvalidInput);
    assert!(e.message().contains("tokenizer.json"), "{e}");
    // ...and loads once a tokenizer.json sits beside it.
    let donor =
        exllm_local::ChatTokenizer::from_gguf_file(&write_model("llama", "llama-bpe")).unwrap();
    donor
        .inner
        .save(path.with_file_name("tokenizer.json"), false)
        .unwrap();
    let m = p.load_chat(path.to_str().unwrap()).unwrap();
    let ids = m
        .lock()
        .unwrap()
        .tokenizer
        .encode("<|im_start|>hello")
        .unwrap();
    assert_eq!(ids[0], 257, "<|im_start|> is one special token");
}

#[test]
fn exllm_s_llama_path_computes_what_candle_s_does() {
    use exllm_local::{ChatModel, LoadOptions};
    let path = write_model("llama", "llama-bpe");
    let load = |fast: bool| {
        let opts = LoadOptions {
            reencode_q8_0: false,
            exact_prefill: Some(!fast),
            fast,
        };
        ChatModel::load("tiny", &path, opts, &Device::Cpu).unwrap()
    };
    let (mut ours, mut theirs) = (load(true), load(false));
    assert!(!ours.exact_prefill() && theirs.exact_prefill());
    let prompt: Vec<u32> = (0..23).map(|i| (i * 37 + 5) % 250).collect();
    let logits = |t: candle_core::Tensor| t.flatten_all().unwrap().to_vec1::<f32>().unwrap();
    let a = logits(ours.prefill(&prompt).unwrap());
    let b = logits(theirs.prefill(&prompt).unwrap());
    assert_eq!(a.len(), b.len());
    // Both run the prompt in f32 on the same weights: equal up to rounding order.
    let scale = b.iter().fold(0f32, |m, v| m.max(v.abs()));
    let worst = a
        .iter()
        .zip(&b)
        .fold(0f32, |m, (x, y)| m.max((x - y).abs()));
    assert!(worst <= 1e-3 * scale.max(1.0), "{worst} of {scale}");
    // Then token by token (8-bit activations on ours, candle's quantized kernels on its):
    // still the same distribution within the 8-bit rounding.
    for (i, tok) in [17u32, 249, 3].iter().enumerate() {
        let pos = prompt.len() + i;
        let a = logits(ours.forward(&[*tok], pos).unwrap());
        let b = logits(theirs.forward(&[*tok], pos).unwrap());
        let worst = a
            .iter()
            .zip(&b)
            .fold(0f32, |m, (x, y)| m.max((x - y).abs()));
        let scale = b.iter().fold(0f32, |m, v| m.max(v.abs()));
        assert!(
            worst <= 0.05 * scale.max(1.0),
            "step {i}: {worst} of {scale}"
        );
    }
}
