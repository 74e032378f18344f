//! Sentence embeddings in-process: a BERT model (all-MiniLM-L6-v2 by default) from
//! `model.safetensors` + `config.json` + `tokenizer.json`, run with candle's `bert` module,
//! then mean pooling over real tokens and L2 normalisation, as sentence-transformers does.

use crate::error::{config, decode, err, no_panic, runtime};
use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config};
use exllm::{ErrorKind, Result};
use serde::Deserialize;
use std::path::Path;
use tokenizers::{PaddingParams, PaddingStrategy, Tokenizer, TruncationParams};

/// The longest input sentence-transformers feeds this family (its `max_seq_length`).
const MAX_SEQ_LEN: usize = 256;

/// A loaded embedding model.
pub struct Embedder {
    model: BertModel,
    tokenizer: Tokenizer,
    device: Device,
    /// Vector size.
    pub dimensions: usize,
}

impl Embedder {
    /// Loads the model files from `dir`.
    pub fn load(dir: &Path, device: &Device) -> Result<Embedder> {
        no_panic("loading the embedding model", || {
            let read = |f: &str| read_in(dir, f);
            let (cfg, meta) = bert_config(dir)?;
            let dimensions = meta["hidden_size"].as_u64().unwrap_or(0) as usize;
            let mut tokenizer = Tokenizer::from_bytes(read("tokenizer.json")?)
                .map_err(|e| decode("bad tokenizer.json", e))?;
            tokenizer
                .with_truncation(Some(TruncationParams {
                    max_length: MAX_SEQ_LEN,
                    ..Default::default()
                }))
                .map_err(|e| decode("tokenizer truncation", e))?;
            tokenizer.with_padding(Some(PaddingParams {
                strategy: PaddingStrategy::BatchLongest,
                ..Default::default()
            }));
            let vb = VarBuilder::from_buffered_safetensors(
                read("model.safetensors")?,
                DType::F32,
                device,
            )
            .map_err(|e| decode("bad model.safetensors", e))?;
            let model =
                BertModel::load(vb, &cfg).map_err(|e| decode("cannot load the BERT weights", e))?;
            Ok(Embedder {
                model,
                tokenizer,
                device: device.clone(),
                dimensions,
            })
        })
    }

    /// One unit-length vector per text.
    pub fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        let enc = self
            .tokenizer
            .encode_batch(texts.to_vec(), true)
            .map_err(|e| err(ErrorKind::InvalidInput, format!("cannot tokenize: {e}")))?;
        let stack = |f: &dyn Fn(&tokenizers::Encoding) -> Vec<u32>| -> candle_core::Result<Tensor> {
            let rows = enc
                .iter()
                .map(|e| Tensor::new(f(e).as_slice(), &self.device))
                .collect::<candle_core::Result<Vec<_>>>()?;
            Tensor::stack(&rows, 0)
        };
        no_panic("embedding", || {
            let run = || -> candle_core::Result<Vec<Vec<f32>>> {
                let ids = stack(&|e| e.get_ids().to_vec())?;
                let types = stack(&|e| e.get_type_ids().to_vec())?;
                let mask = stack(&|e| e.get_attention_mask().to_vec())?;
                let hidden = self.model.forward(&ids, &types, Some(&mask))?;
                // Mean over real tokens: sum(h * mask) / sum(mask).
                let m = mask.to_dtype(DType::F32)?.unsqueeze(2)?;
                let summed = hidden.broadcast_mul(&m)?.sum(1)?;
                let counts = m.sum(1)?.clamp(1e-9, f64::MAX)?;
                let mean = summed.broadcast_div(&counts)?;
                let norm = mean.sqr()?.sum_keepdim(1)?.sqrt()?.clamp(1e-12, f64::MAX)?;
                mean.broadcast_div(&norm)?.to_vec2::<f32>()
            };
            run().map_err(|e| runtime("embedding failed", e))
        })
    }
}

/// A file of a model folder.
pub(crate) fn read_in(dir: &Path, file: &str) -> Result<Vec<u8>> {
    let path = dir.join(file);
    std::fs::read(&path).map_err(|e| config(&format!("cannot read {}", path.display()), e))
}

/// A BERT folder's `config.json`, read once: as candle's config, and as JSON for the fields
/// candle does not keep (`hidden_size`, `id2label`).
pub(crate) fn bert_config(dir: &Path) -> Result<(Config, serde_json::Value)> {
    let meta: serde_json::Value = serde_json::from_slice(&read_in(dir, "config.json")?)
        .map_err(|e| decode("bad config.json", e))?;
    let cfg = Config::deserialize(&meta).map_err(|e| decode("bad config.json", e))?;
    Ok((cfg, meta))
}

/// Cosine similarity of two vectors (their dot product when both are unit length).
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let na: f32 = a.iter().map(|x| x * x).sum::<f32>().sqrt();
    let nb: f32 = b.iter().map(|x| x * x).sum::<f32>().sqrt();
    if na == 0.0 || nb == 0.0 {
        0.0
    } else {
        dot / (na * nb)
    }
}
