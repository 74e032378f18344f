//! A loaded chat model: candle's quantized weights for its architecture, its tokenizer and its
//! chat template, plus what loading measured. Loading reads the GGUF once, builds the
//! tokenizer and template from its metadata, re-encodes slow quantizations to Q8_0 when asked,
//! and hands the tensors to `quantized_llama` or `quantized_qwen2`.
//!
//! Exact first tokens: candle's quantized matmuls quantize activations to 8 bits, and on the
//! embedded 135M model that noise is enough to flip near-tied first tokens (greedy "What is the
//! capital of France?" starts "L'Étoile..." instead of "The capital of France is Paris.").
//! Trying one layer or one matrix in F32 at a time finds the op: the first layer's q/k (or
//! gate/up) projections, whose input is the first layer's normed embeddings; no later layer
//! matters. So small models keep the first layer's matrices in F32 (a few megabytes, see
//! [`gguf::fast_weights`]) instead of a whole F32 copy for the prompt, which remains available
//! with `exact_prefill: Some(true)`.
//!
//! "Hello! I'shine." (greedy `Hello`): the prompt is the GGUF's own template and its ids match
//! the reference tokenizer (tests/tokenizer_ids.rs), and the same tokenizer, template and
//! detokenizer answer "Hello! How can I assist you today?" when the Q4_1 weights are used as
//! shipped (`EXLLM_LOCAL_REENCODE=0`). So it is not our decoding: it is the rounding of the
//! Q4_1 → Q8_0 re-encoding tipping a near-tie after "I'" ("'m" loses to "'s"). The re-encoding
//! stays on by default because it halves the time per generated token on one CPU thread.
//! llama.cpp itself (llama-cpp-python 0.3.36, same GGUF, its own template, greedy) answers
//! `Hello` with "Hello! I'should've been a helpful AI..." and the Paris question with
//! "L'Étoile, la Cité, la Nation...": the near-ties are the 4-bit model's, whatever runs it.

use crate::error::{decode, no_panic, runtime};
use crate::gguf::{self, Arch};
use crate::sampling::GenerationDefaults;
use crate::template::ChatTemplate;
use crate::tokenizer::{self, ChatTokenizer};
use candle_core::quantized::gguf_file::Content;
use candle_core::quantized::GgmlDType;
use candle_core::{Device, Tensor};
use candle_transformers::models::{quantized_llama, quantized_qwen2, quantized_qwen3};
use exllm::Result;
use std::path::Path;
use std::time::{Duration, Instant};

enum Weights {
    Llama(quantized_llama::ModelWeights),
    Qwen2(quantized_qwen2::ModelWeights),
    Qwen3(Box<quantized_qwen3::ModelWeights>),
    Fast(Box<crate::fast::FastLlama>),
}

/// How to load a model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoadOptions {
    /// Re-encode Q4_1 / Q5_x tensors to Q8_0 (faster on CPU).
    pub reencode_q8_0: bool,
    /// Run prompts on an F32 copy of the weights (`None`: no; the first layer in F32 already
    /// gives the exact first token on the default model, at a few megabytes).
    pub exact_prefill: Option<bool>,
    /// Run llama-family models with Q4_1 / Q8_0 / float weights on exllm's own kernels
    /// (`fast/` in this crate) instead of candle-transformers' model (which the other options,
    /// `exact_prefill` and `reencode_q8_0`, apply to).
    pub fast: bool,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            reencode_q8_0: true,
            exact_prefill: None,
            fast: true,
        }
    }
}

/// A chat model ready to generate.
pub struct ChatModel {
    /// The name it was loaded under.
    pub name: String,
    /// The architecture.
    pub arch: Arch,
    weights: Weights,
    exact: Option<Weights>,
    /// Its tokenizer.
    pub tokenizer: ChatTokenizer,
    /// Its chat template.
    pub template: ChatTemplate,
    /// Context window in tokens.
    pub context_length: usize,
    /// Generation settings for what a request leaves out.
    pub defaults: GenerationDefaults,
    /// Wall time of the load.
    pub load_time: Duration,
    /// Tensors converted at load (re-encoded to Q8_0, or the first layer's to F32).
    pub reencoded_tensors: usize,
    device: Device,
}

fn md_string(ct: &Content, key: &str) -> Option<String> {
    ct.metadata
        .get(key)
        .and_then(|v| v.to_string().ok())
        .cloned()
}

impl ChatModel {
    /// Loads a GGUF chat model.
    pub fn load(name: &str, path: &Path, opts: LoadOptions, device: &Device) -> Result<ChatModel> {
        no_panic(&format!("loading {}", path.display()), || {
            Self::load_inner(name, path, opts, device)
        })
    }

    fn load_inner(
        name: &str,
        path: &Path,
        opts: LoadOptions,
        device: &Device,
    ) -> Result<ChatModel> {
        let start = Instant::now();
        let mut g = gguf::open(path)?;
        let tokenizer = tokenizer::load(&g.content, path.parent())?;
        let template = ChatTemplate::new(
            md_string(&g.content, "tokenizer.chat_template").as_deref(),
            tokenizer.bos.as_deref(),
            tokenizer.eos.as_deref(),
        )?;
        let arch = g.arch;
        let md_f64 = |key: &str| {
            g.content
                .metadata
                .get(key)
                .and_then(|v| v.to_f32().ok().map(f64::from).or(v.to_f64().ok()))
        };
        let family = md_string(&g.content, "general.basename").unwrap_or_else(|| name.to_owned());
        let defaults = GenerationDefaults::for_model(
            &family,
            md_f64("general.sampling.temp"),
            md_f64("general.sampling.top_p"),
            g.content
                .metadata
                .get("general.sampling.top_k")
                .and_then(|v| v.to_i32().ok().or(v.to_u32().ok().map(|k| k as i32)))
                .map(|k| k.max(0) as usize),
        );
        let arch_name = match arch {
            Arch::Llama => "llama",
            Arch::Qwen2 => "qwen2",
            Arch::Qwen3 => "qwen3",
        };
        let context_length = g
            .content
            .metadata
            .get(&format!("{arch_name}.context_length"))
            .and_then(|v| v.to_u32().ok())
            .map(|n| n as usize)
            .unwrap_or(2048);
        let first_layer_f32 = gguf::first_layer_f32_size(&g.content) <= gguf::FIRST_LAYER_F32_LIMIT;
        if opts.fast
            && arch == Arch::Llama
            && opts.exact_prefill != Some(true)
            && crate::fast::supports(&g.content)
        {
            match crate::fast::FastLlama::from_gguf(&g.content, &mut g.reader) {
                Ok(fast) => {
                    return Ok(ChatModel {
                        name: name.to_owned(),
                        arch,
                        weights: Weights::Fast(Box::new(fast)),
                        exact: None,
                        tokenizer,
                        template,
                        context_length,
                        defaults,
                        load_time: start.elapsed(),
                        reencoded_tensors: 0,
                        device: device.clone(),
                    })
                }
                // A shape exllm's own pass does not take: candle-transformers' model may.
                Err(e) => tracing::debug!("exllm's llama pass declined {name}: {e}"),
            }
        }
        let quantized = g.content.tensor_infos.values().any(|t| {
            !matches!(
                t.ggml_dtype,
                GgmlDType::F32 | GgmlDType::F16 | GgmlDType::BF16
            )
        });
        let exact = match opts.exact_prefill.unwrap_or(false) && quantized {
            true => {
                let (content, mut cursor) = gguf::dequantize_f32(&mut g)?;
                Some(build(arch, content, &mut cursor, device)?)
            }
            false => None,
        };
        let exact_first_layer = first_layer_f32 && exact.is_none();
        let (weights, reencoded_tensors) =
            match gguf::fast_weights(&mut g, opts.reencode_q8_0, exact_first_layer)? {
                Some((content, mut reader, n)) => (build(arch, content, &mut reader, device)?, n),
                None => (build(arch, g.content, &mut g.reader, device)?, 0),
            };
        Ok(ChatModel {
            name: name.to_owned(),
            arch,
            weights,
            exact,
            tokenizer,
            template,
            context_length,
            defaults,
            load_time: start.elapsed(),
            reencoded_tensors,
            device: device.clone(),
        })
    }

    /// Whether prompts run on an exact F32 copy.
    pub fn exact_prefill(&self) -> bool {
        self.exact.is_some()
    }

    /// Forgets the previous conversation's attention cache.
    pub fn reset(&mut self) {
        self.weights.clear();
        if let Some(e) = &mut self.exact {
            e.clear();
        }
    }

    /// Runs the prompt from position 0; returns the logits of its last token, shape `[1, vocab]`.
    pub fn prefill(&mut self, tokens: &[u32]) -> Result<Tensor> {
        let input = self.input(tokens)?;
        let fast = self.weights.forward(&input, 0)?;
        match &mut self.exact {
            Some(exact) => {
                let logits = exact.forward(&input, 0);
                exact.clear();
                logits
            }
            None => Ok(fast),
        }
    }

    /// Runs `tokens` at position `pos` after the prompt; returns the logits of the last one.
    pub fn forward(&mut self, tokens: &[u32], pos: usize) -> Result<Tensor> {
        let input = self.input(tokens)?;
        self.weights.forward(&input, pos)
    }

    fn input(&self, tokens: &[u32]) -> Result<Tensor> {
        Tensor::new(tokens, &self.device)
            .and_then(|t| t.unsqueeze(0))
            .map_err(|e| runtime("cannot build the input tensor", e))
    }
}

impl Weights {
    fn clear(&mut self) {
        match self {
            Weights::Llama(w) => w.clear_kv_cache(),
            Weights::Qwen2(w) => w.clear_kv_cache(),
            Weights::Qwen3(w) => w.clear_kv_cache(),
            Weights::Fast(w) => w.clear(),
        }
    }

    fn forward(&mut self, input: &Tensor, pos: usize) -> Result<Tensor> {
        let out = match self {
            Weights::Llama(w) => w.forward(input, pos),
            Weights::Qwen2(w) => w.forward(input, pos),
            Weights::Qwen3(w) => w.forward(input, pos),
            Weights::Fast(w) => {
                let tokens = input
                    .flatten_all()
                    .and_then(|t| t.to_vec1::<u32>())
                    .map_err(|e| runtime("cannot read the input tokens", e))?;
                let logits = w.forward(&tokens, pos)?;
                let n = logits.len();
                Tensor::from_vec(logits, (1, n), &Device::Cpu)
            }
        };
        out.map_err(|e| runtime("model forward pass failed", e))
    }
}

fn build<R: std::io::Read + std::io::Seek>(
    arch: Arch,
    ct: Content,
    r: &mut R,
    device: &Device,
) -> Result<Weights> {
    Ok(match arch {
        Arch::Llama => Weights::Llama(
            quantized_llama::ModelWeights::from_gguf(ct, r, device)
                .map_err(|e| decode("cannot load llama weights", e))?,
        ),
        Arch::Qwen2 => Weights::Qwen2(
            quantized_qwen2::ModelWeights::from_gguf(ct, r, device)
                .map_err(|e| decode("cannot load qwen2 weights", e))?,
        ),
        Arch::Qwen3 => Weights::Qwen3(Box::new(
            quantized_qwen3::ModelWeights::from_gguf(ct, r, device)
                .map_err(|e| decode("cannot load qwen3 weights", e))?,
        )),
    })
}
