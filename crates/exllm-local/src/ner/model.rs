//! The Rampart token classifier on candle: BERT (candle's `bert` module) plus a linear
//! classifier, weights dequantised from the shipped 4-bit ONNX graph. Text is scanned the way
//! Rampart's own runner scans it: windows of 480 characters overlapping by 64 (the context
//! it detects best in), each tokenised without special tokens, split further into windows of
//! at most 510 tokens when needed, and wrapped as `[CLS] … [SEP]`.

use super::onnx;
use super::spans::{aggregate, union_windows, Token, Typed};
use crate::embed::{bert_config, read_in};
use crate::error::{decode, err, no_panic, runtime};
use candle_core::{DType, Device, Tensor, D};
use candle_nn::{Linear, Module, VarBuilder};
use candle_transformers::models::bert::BertModel;
use exllm::{ErrorKind, Result};
use std::collections::HashMap;
use std::path::Path;
use tokenizers::Tokenizer;

const WINDOW_CHARS: usize = 480;
const OVERLAP_CHARS: usize = 64;
const OVERLAP_TOKENS: usize = 64;
/// Texts whose spans are remembered (then the memory starts over): a conversation resends
/// its whole history with every request, and each message is scanned once, not every time.
const REMEMBERED: usize = 4096;

/// A text's spans, by the sha256 of the text and the threshold's bits.
type Remembered = HashMap<([u8; 32], u32), Vec<Typed>>;

/// A loaded named-entity model.
pub struct NerModel {
    bert: BertModel,
    classifier: Linear,
    tokenizer: Tokenizer,
    labels: Vec<String>,
    cls: u32,
    sep: u32,
    /// Tokens per window, without `[CLS]` and `[SEP]`.
    budget: usize,
    device: Device,
    remembered: std::sync::Mutex<Remembered>,
}

impl std::fmt::Debug for NerModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NerModel")
            .field("labels", &self.labels.len())
            .finish_non_exhaustive()
    }
}

impl NerModel {
    /// Loads `config.json`, `tokenizer.json` and `onnx/model_q4.onnx` (or `model.onnx`)
    /// from `dir`.
    pub fn load(dir: &Path) -> Result<NerModel> {
        no_panic("loading the named-entity model", || Self::load_inner(dir))
    }

    fn load_inner(dir: &Path) -> Result<NerModel> {
        let read = |f: &str| read_in(dir, f);
        let (cfg, meta) = bert_config(dir)?;
        let labels = labels(&meta)?;
        let positions = meta["max_position_embeddings"].as_u64().unwrap_or(512) as usize;
        let mut tokenizer = Tokenizer::from_bytes(read("tokenizer.json")?)
            .map_err(|e| decode("bad tokenizer.json", e))?;
        tokenizer
            .with_truncation(None)
            .map_err(|e| decode("tokenizer truncation", e))?;
        tokenizer.with_padding(None);
        let id = |t: &str| {
            tokenizer
                .token_to_id(t)
                .ok_or_else(|| err(ErrorKind::Decode, format!("the tokenizer has no {t}")))
        };
        let (cls, sep) = (id("[CLS]")?, id("[SEP]")?);
        let onnx_path = ["onnx/model_q4.onnx", "model.onnx"]
            .into_iter()
            .find(|f| dir.join(f).is_file())
            .unwrap_or("onnx/model_q4.onnx");
        let weights = onnx::read_weights(&read(onnx_path)?)?;
        let device = Device::Cpu;
        let mut tensors = HashMap::new();
        for (name, w) in weights {
            let t = Tensor::from_vec(w.data, w.shape, &device)
                .map_err(|e| decode(&format!("weight {name}"), e))?;
            tensors.insert(name, t);
        }
        let vb = VarBuilder::from_tensors(tensors, DType::F32, &device);
        let bert = BertModel::load(vb.pp("bert"), &cfg)
            .map_err(|e| decode("cannot load the BERT weights", e))?;
        let classifier = candle_nn::linear(cfg.hidden_size, labels.len(), vb.pp("classifier"))
            .map_err(|e| decode("cannot load the classifier", e))?;
        Ok(NerModel {
            bert,
            classifier,
            tokenizer,
            labels,
            cls,
            sep,
            budget: positions.saturating_sub(2).max(1),
            device,
            remembered: Default::default(),
        })
    }

    /// The model's own spans in `text`, each with its type (`GIVEN_NAME`, `CITY`, …) and byte
    /// span, from tokens that reach `threshold` (0.5 is Rampart's default).
    pub fn typed_spans(
        &self,
        text: &str,
        threshold: f32,
    ) -> Result<Vec<(String, std::ops::Range<usize>)>> {
        Ok(self
            .spans(text, threshold)?
            .into_iter()
            .map(|t| (t.kind, t.span))
            .collect())
    }

    /// How many texts' spans are remembered now.
    pub fn remembered(&self) -> usize {
        self.memory().len()
    }

    fn memory(&self) -> std::sync::MutexGuard<'_, Remembered> {
        self.remembered.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The typed spans (`GIVEN_NAME`, `CITY`, …) in `text` whose tokens reach `threshold`;
    /// a text seen before is answered from memory.
    pub(crate) fn spans(&self, text: &str, threshold: f32) -> Result<Vec<Typed>> {
        use sha2::Digest;
        let key = (
            sha2::Sha256::digest(text.as_bytes()).into(),
            threshold.to_bits(),
        );
        if let Some(hit) = self.memory().get(&key) {
            return Ok(hit.clone());
        }
        let spans = self.scan(text, threshold)?;
        let mut memory = self.memory();
        if memory.len() >= REMEMBERED {
            memory.clear();
        }
        memory.insert(key, spans.clone());
        Ok(spans)
    }

    fn scan(&self, text: &str, threshold: f32) -> Result<Vec<Typed>> {
        let starts: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
        let at = |c: usize| starts.get(c).copied().unwrap_or(text.len());
        let mut spans = Vec::new();
        let mut windows = 0;
        let mut first = 0;
        loop {
            let (from, to) = (at(first), at(first + WINDOW_CHARS));
            windows += self.scan_chunk(&text[from..to], from, threshold, &mut spans)?;
            if first + WINDOW_CHARS >= starts.len() {
                break;
            }
            first += WINDOW_CHARS - OVERLAP_CHARS;
        }
        Ok(if windows > 1 {
            union_windows(spans)
        } else {
            spans
        })
    }

    /// Scans one character window (in token windows if it needs several); returns how many.
    fn scan_chunk(
        &self,
        chunk: &str,
        offset: usize,
        threshold: f32,
        out: &mut Vec<Typed>,
    ) -> Result<usize> {
        let enc = self
            .tokenizer
            .encode(chunk, false)
            .map_err(|e| err(ErrorKind::InvalidInput, format!("cannot tokenize: {e}")))?;
        let (ids, offsets, words) = (enc.get_ids(), enc.get_offsets(), enc.get_word_ids());
        let windows = plan_windows(words, self.budget, OVERLAP_TOKENS.min(self.budget - 1));
        for &(start, end) in &windows {
            let tokens = self.classify(&ids[start..end], &offsets[start..end])?;
            out.extend(
                aggregate(chunk, &tokens, threshold)
                    .into_iter()
                    .map(|mut t| {
                        t.span = t.span.start + offset..t.span.end + offset;
                        t
                    }),
            );
        }
        Ok(windows.len())
    }

    /// Each token's most likely label and its softmax probability.
    fn classify(&self, ids: &[u32], offsets: &[(usize, usize)]) -> Result<Vec<Token>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut input = Vec::with_capacity(ids.len() + 2);
        input.push(self.cls);
        input.extend_from_slice(ids);
        input.push(self.sep);
        let run = || -> candle_core::Result<Vec<Vec<f32>>> {
            let ids = Tensor::new(input.as_slice(), &self.device)?.unsqueeze(0)?;
            let types = ids.zeros_like()?;
            let mask = ids.ones_like()?;
            let hidden = self.bert.forward(&ids, &types, Some(&mask))?;
            let logits = self.classifier.forward(&hidden)?;
            candle_nn::ops::softmax(&logits, D::Minus1)?
                .squeeze(0)?
                .to_vec2::<f32>()
        };
        let probs = no_panic("named-entity model", || {
            run().map_err(|e| runtime("named-entity model failed", e))
        })?;
        let mut out = Vec::with_capacity(ids.len());
        for (row, &(start, end)) in probs.iter().skip(1).zip(offsets) {
            if end <= start {
                continue;
            }
            let (best, score) =
                row.iter()
                    .enumerate()
                    .fold((0, f32::MIN), |b, (i, &p)| if p > b.1 { (i, p) } else { b });
            out.push(Token {
                label: self.labels.get(best).cloned().unwrap_or_else(|| "O".into()),
                score,
                span: start..end,
            });
        }
        Ok(out)
    }
}

/// `id2label` as a list indexed by class.
fn labels(meta: &serde_json::Value) -> Result<Vec<String>> {
    let map = meta["id2label"]
        .as_object()
        .ok_or_else(|| err(ErrorKind::Decode, "config.json has no id2label"))?;
    let mut labels = vec![String::from("O"); map.len()];
    for (k, v) in map {
        let i: usize = k
            .parse()
            .ok()
            .filter(|&i| i < labels.len())
            .ok_or_else(|| err(ErrorKind::Decode, format!("config.json: bad label id {k}")))?;
        labels[i] = v.as_str().unwrap_or("O").to_owned();
    }
    Ok(labels)
}

/// Token windows of at most `budget` covering every token; each after the first starts
/// `overlap` tokens before the previous one ended, moved back to the start of its word, and
/// always after the previous window's start.
pub(crate) fn plan_windows(
    words: &[Option<u32>],
    budget: usize,
    overlap: usize,
) -> Vec<(usize, usize)> {
    debug_assert!(overlap < budget, "the overlap must leave room to progress");
    let mut out = Vec::new();
    let mut start = 0;
    while start < words.len() {
        let end = (start + budget).min(words.len());
        out.push((start, end));
        if end == words.len() {
            break;
        }
        let mut next = end - overlap;
        while next - 1 > start && words[next] == words[next - 1] {
            next -= 1;
        }
        start = next;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::plan_windows;

    #[test]
    fn token_windows_cover_everything_and_start_on_words() {
        let words: Vec<Option<u32>> = [0, 0, 1, 2, 2, 2, 3, 4, 5, 5]
            .iter()
            .map(|&w| Some(w))
            .collect();
        assert_eq!(plan_windows(&words, 20, 2), vec![(0, 10)]);
        // Each next window starts 2 tokens back, moved to its word's start but never to or
        // before the previous window's start.
        assert_eq!(
            plan_windows(&words, 4, 2),
            vec![(0, 4), (2, 6), (3, 7), (4, 8), (6, 10)]
        );
        assert!(plan_windows(&[], 4, 2).is_empty());
        // One word longer than the window still progresses.
        let long = vec![Some(0); 9];
        let w = plan_windows(&long, 3, 2);
        assert_eq!(w.last().unwrap().1, 9);
        assert!(w.windows(2).all(|p| p[1].0 > p[0].0));
    }
}
