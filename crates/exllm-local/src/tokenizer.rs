//! The chat model's tokenizer. A `tokenizers` byte-level BPE is built from the GGUF's own
//! vocabulary and merges (a `tokenizer.json` beside the model is the fallback), with the
//! pre-tokenizer that `tokenizer.ggml.pre` names (as llama.cpp maps it) and the control tokens
//! added as special tokens so chat tags like `<|im_start|>` stay single tokens.

use crate::error::{decode, err};
use candle_core::quantized::gguf_file::{Content, Value};
use exllm::{ErrorKind, Result};
use std::path::Path;
use tokenizers::decoders::byte_level::ByteLevel as ByteLevelDecoder;
use tokenizers::models::bpe::BPE;
use tokenizers::pre_tokenizers::byte_level::ByteLevel;
use tokenizers::pre_tokenizers::digits::Digits;
use tokenizers::pre_tokenizers::sequence::Sequence;
use tokenizers::pre_tokenizers::split::{Split, SplitPattern};
use tokenizers::{AddedToken, PreTokenizerWrapper, SplitDelimiterBehavior, Tokenizer};

/// GGUF token types (llama.cpp's `llama_token_type`).
const TOKEN_TYPE_CONTROL: i32 = 3;
const TOKEN_TYPE_USER_DEFINED: i32 = 4;

/// The split regexes llama.cpp uses for Qwen2 and Llama 3 vocabularies.
const QWEN2_REGEX: &str = r"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
const LLAMA3_REGEX: &str = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

/// The tokenizer plus the special token ids generation needs.
pub struct ChatTokenizer {
    /// The `tokenizers` tokenizer.
    pub inner: Tokenizer,
    /// Begin-of-sequence token text, if the model has one.
    pub bos: Option<String>,
    /// End-of-sequence token text.
    pub eos: Option<String>,
    /// Whether a BOS token is prepended to the prompt.
    pub add_bos: bool,
    /// Token ids that end a turn (EOS, `<|im_end|>`, `<|eot_id|>`, ...).
    pub end_ids: Vec<u32>,
}

impl ChatTokenizer {
    /// Token ids of `text`, special tokens in the text recognised, nothing added.
    pub fn encode(&self, text: &str) -> Result<Vec<u32>> {
        let enc = self.inner.encode_fast(text, false).map_err(|e| {
            err(
                ErrorKind::InvalidInput,
                format!("cannot tokenize the prompt: {e}"),
            )
        })?;
        Ok(enc.get_ids().to_vec())
    }

    /// Text of `ids`, special tokens skipped.
    pub fn decode(&self, ids: &[u32]) -> Result<String> {
        self.inner
            .decode(ids, true)
            .map_err(|e| err(ErrorKind::Decode, format!("cannot decode tokens: {e}")))
    }

    /// The prompt's ids: BOS when the model wants it, then `text`.
    pub fn encode_prompt(&self, text: &str) -> Result<Vec<u32>> {
        let mut ids = Vec::new();
        if self.add_bos {
            if let Some(id) = self.bos.as_deref().and_then(|b| self.inner.token_to_id(b)) {
                if !text.starts_with(self.bos.as_deref().unwrap_or_default()) {
                    ids.push(id);
                }
            }
        }
        ids.extend(self.encode(text)?);
        Ok(ids)
    }
}

fn md<'a>(ct: &'a Content, key: &str) -> Option<&'a Value> {
    ct.metadata.get(key)
}

fn md_u32(ct: &Content, key: &str) -> Option<u32> {
    md(ct, key).and_then(|v| {
        v.to_u32()
            .ok()
            .or_else(|| v.to_i32().ok().and_then(|i| u32::try_from(i).ok()))
    })
}

fn strings(ct: &Content, key: &str) -> Result<Vec<String>> {
    let arr = md(ct, key)
        .ok_or_else(|| err(ErrorKind::Decode, format!("the GGUF has no {key}")))?
        .to_vec()
        .map_err(|e| decode(key, e))?;
    arr.iter()
        .map(|v| v.to_string().cloned().map_err(|e| decode(key, e)))
        .collect()
}

/// Builds the tokenizer from the GGUF; when the GGUF's vocabulary cannot be turned into one
/// (a SentencePiece vocabulary, say), falls back to a `tokenizer.json` in `model_dir`.
pub fn load(ct: &Content, model_dir: Option<&Path>) -> Result<ChatTokenizer> {
    let tokens = strings(ct, "tokenizer.ggml.tokens")?;
    let inner = match from_gguf(ct, &tokens) {
        Ok(t) => t,
        Err(e) => match model_dir
            .map(|d| d.join("tokenizer.json"))
            .filter(|p| p.is_file())
        {
            Some(p) => Tokenizer::from_file(&p)
                .map_err(|e| decode(&format!("cannot read {}", p.display()), e))?,
            None => return Err(e),
        },
    };
    let name = |key: &str| md_u32(ct, key).and_then(|i| tokens.get(i as usize).cloned());
    let bos = name("tokenizer.ggml.bos_token_id");
    let eos = name("tokenizer.ggml.eos_token_id");
    let add_bos = md(ct, "tokenizer.ggml.add_bos_token")
        .and_then(|v| v.to_bool().ok())
        .unwrap_or(false);
    let mut end_ids: Vec<u32> = ["tokenizer.ggml.eos_token_id", "tokenizer.ggml.eot_token_id"]
        .iter()
        .filter_map(|k| md_u32(ct, k))
        .collect();
    for t in [
        "<|im_end|>",
        "<|endoftext|>",
        "<|eot_id|>",
        "<|end_of_text|>",
        "<|end|>",
        "</s>",
    ] {
        if let Some(id) = inner.token_to_id(t) {
            end_ids.push(id);
        }
    }
    end_ids.sort_unstable();
    end_ids.dedup();
    Ok(ChatTokenizer {
        inner,
        bos,
        eos,
        add_bos,
        end_ids,
    })
}

/// A byte-level BPE from the GGUF vocabulary and merges. Only `tokenizer.ggml.model = gpt2`
/// (byte-level BPE, as SmolLM2, Llama 3 and Qwen2 use) is built here; a SentencePiece
/// (`llama`) vocabulary needs a `tokenizer.json` beside the model.
fn from_gguf(ct: &Content, tokens: &[String]) -> Result<Tokenizer> {
    let model = md(ct, "tokenizer.ggml.model")
        .and_then(|v| v.to_string().ok())
        .cloned()
        .unwrap_or_default();
    if model != "gpt2" {
        return Err(err(
            ErrorKind::InvalidInput,
            format!("GGUF tokenizer model `{model}` is not supported (only byte-level BPE `gpt2`); put a tokenizer.json beside the model"),
        ));
    }
    let merges: Vec<(String, String)> = strings(ct, "tokenizer.ggml.merges")?
        .into_iter()
        .map(|m| match m.split_once(' ') {
            Some((a, b)) => Ok((a.to_owned(), b.to_owned())),
            None => Err(err(
                ErrorKind::Decode,
                format!("bad merge `{m}` in the GGUF"),
            )),
        })
        .collect::<Result<_>>()?;
    let vocab: tokenizers::models::bpe::Vocab = tokens
        .iter()
        .enumerate()
        .map(|(i, t)| (t.clone(), i as u32))
        .collect();
    let pre = md(ct, "tokenizer.ggml.pre")
        .and_then(|v| v.to_string().ok())
        .cloned()
        .unwrap_or_default();
    let bpe = BPE::builder()
        .vocab_and_merges(vocab, merges)
        .ignore_merges(pre == "llama-bpe")
        .build()
        .map_err(|e| decode("cannot build the BPE model from the GGUF vocabulary", e))?;
    let mut tk = Tokenizer::new(bpe);
    tk.with_pre_tokenizer(Some(pre_tokenizer(&pre)?));
    tk.with_decoder(Some(ByteLevelDecoder::default()));
    let types: Vec<i32> = md(ct, "tokenizer.ggml.token_type")
        .and_then(|v| v.to_vec().ok())
        .map(|a| a.iter().map(|v| v.to_i32().unwrap_or(1)).collect())
        .unwrap_or_default();
    let specials: Vec<AddedToken> = tokens
        .iter()
        .zip(types.iter())
        .filter(|(_, t)| **t == TOKEN_TYPE_CONTROL || **t == TOKEN_TYPE_USER_DEFINED)
        .map(|(s, t)| AddedToken::from(s.clone(), *t == TOKEN_TYPE_CONTROL))
        .collect();
    tk.add_special_tokens(&specials);
    Ok(tk)
}

/// The pre-tokenizer for llama.cpp's `tokenizer.ggml.pre` value (see llama.cpp's
/// `llama_vocab::impl::load`, which maps the same names to the same regexes).
fn pre_tokenizer(pre: &str) -> Result<PreTokenizerWrapper> {
    let split = |re: &str| -> Result<PreTokenizerWrapper> {
        Split::new(
            SplitPattern::Regex(re.to_owned()),
            SplitDelimiterBehavior::Isolated,
            false,
        )
        .map(Into::into)
        .map_err(|e| decode("bad pre-tokenizer regex", e))
    };
    Ok(match pre {
        // Digits one by one, then GPT-2's regex (HF: Digits + ByteLevel).
        "smollm" | "starcoder" | "refact" | "command-r" | "codeshell" | "exaone" | "minerva-7b" => {
            Sequence::new(vec![
                Digits::new(true).into(),
                ByteLevel::new(false, true, true).into(),
            ])
            .into()
        }
        "qwen2" | "deepseek-r1-qwen" => Sequence::new(vec![
            split(QWEN2_REGEX)?,
            ByteLevel::new(false, false, false).into(),
        ])
        .into(),
        "llama-bpe" | "llama3" | "smaug-bpe" => Sequence::new(vec![
            split(LLAMA3_REGEX)?,
            ByteLevel::new(false, true, false).into(),
        ])
        .into(),
        // "default", "gpt-2" and unknown names: GPT-2's own regex.
        _ => ByteLevel::new(false, true, true).into(),
    })
}

impl ChatTokenizer {
    /// The tokenizer of a GGUF model file (or the `tokenizer.json` beside it), without loading
    /// the weights.
    pub fn from_gguf_file(path: &Path) -> Result<ChatTokenizer> {
        let g = crate::gguf::open(path)?;
        load(&g.content, path.parent())
    }
}
