//! A llama-family forward pass written on the hand-made kernels of [`kernels`], used for the
//! default (small) models instead of candle-transformers' `quantized_llama`.
//!
//! At 135M parameters a token is ~600 candle operations, each allocating its output, and
//! candle's quantized dot products are slow (see [`kernels`]): llama.cpp generated twice as
//! fast on one thread. Here a token is a loop over the layers on preallocated buffers: RMS
//! norms, the quantized products (the weights as shipped, Q4_1 read at 4.5 bits per weight
//! instead of the Q8_0 re-encoding's 8.5), rotary embeddings, attention over a key/value cache
//! that grows with the conversation, and SiLU. The embedding table is looked up row by row in
//! its quantized form instead of a 113 MB F32 copy. Prompts run the same code on all their
//! tokens at once, so each weight row is read once per prompt.
//!
//! Numbers follow `quantized_llama` (interleaved rotary pairs as GGML's llama layout, the
//! GGUF's RMS epsilon and rotary base).
//!
//! Exact first tokens: a prompt runs with f32 activations against each weight row widened
//! as it is used (no F32 copy of the model), so the logits that pick the first token are
//! those of the weights as shipped; generated tokens then run on 8-bit activations. With
//! 8-bit activations throughout (as llama.cpp and candle do), the default model's greedy
//! answer to "What is the capital of France?" starts "L'Étoile" instead of "The capital of
//! France is Paris."; widening the first layer (the candle path's fix) is not enough on
//! Q4_1 weights: the near-tie is tipped by every layer together.

pub mod kernels;

use crate::error::decode;
use candle_core::quantized::gguf_file::Content;
use candle_core::quantized::{GgmlDType, QTensor};
use candle_core::Device;
use exllm::Result;
use kernels::{matmul, matmul_many, Act, BlockQ4_1, BlockQ8_0, Mat, QK};

struct Layer {
    attn_norm: Vec<f32>,
    wq: Mat,
    wk: Mat,
    wv: Mat,
    wo: Mat,
    ffn_norm: Vec<f32>,
    gate: Mat,
    up: Mat,
    down: Mat,
    /// Keys and values of every position so far, `[pos][kv_heads * head_dim]`.
    k_cache: Vec<f32>,
    v_cache: Vec<f32>,
}

/// A llama-family model on the fast path.
pub struct FastLlama {
    layers: Vec<Layer>,
    embd: Mat,
    norm: Vec<f32>,
    output: Option<Mat>,
    n_head: usize,
    n_kv_head: usize,
    head_dim: usize,
    eps: f32,
    /// `1 / base^(2i / rope_dim)` for each rotary pair.
    inv_freq: Vec<f32>,
    len: usize,
}

fn widen(h: u16) -> f32 {
    half_to_f32(h)
}

/// IEEE half to f32 (no crate: two lines of bit arithmetic, run only at load).
fn half_to_f32(h: u16) -> f32 {
    let sign = u32::from(h >> 15) << 31;
    let exp = u32::from((h >> 10) & 0x1F);
    let frac = u32::from(h & 0x3FF);
    let bits = match (exp, frac) {
        (0, 0) => sign,
        (0, f) => {
            // Subnormal: scale it up into a normal f32.
            let v = f as f32 * (1.0 / (1u32 << 24) as f32);
            return if sign != 0 { -v } else { v };
        }
        (0x1F, f) => sign | 0x7F80_0000 | (f << 13),
        (e, f) => sign | ((e + 112) << 23) | (f << 13),
    };
    f32::from_bits(bits)
}

/// A tensor as a matrix for the kernels; `f32`: widen it to F32 whatever its type.
fn mat(t: &QTensor, f32_copy: bool) -> Result<Mat> {
    let (rows, cols) = t
        .shape()
        .dims2()
        .map_err(|e| decode("a weight is not a matrix", e))?;
    if !cols.is_multiple_of(QK) {
        return Err(decode(
            "a weight's rows are not whole blocks",
            format!("{cols} columns"),
        ));
    }
    let data = || t.data().map_err(|e| decode("cannot read a weight", e));
    let blocks = rows * cols / QK;
    let whole = |n: usize| {
        if n == blocks {
            Ok(())
        } else {
            Err(decode("a weight's data does not match its shape", n))
        }
    };
    Ok(match t.dtype() {
        GgmlDType::Q4_1 if !f32_copy => {
            let raw = data()?;
            let b = raw
                .chunks_exact(20)
                .map(|c| BlockQ4_1 {
                    d: widen(u16::from_le_bytes([c[0], c[1]])),
                    m: widen(u16::from_le_bytes([c[2], c[3]])),
                    qs: c[4..20].try_into().unwrap_or([0; 16]),
                })
                .collect::<Vec<_>>();
            whole(b.len())?;
            Mat::Q4_1 { rows, cols, b }
        }
        GgmlDType::Q8_0 if !f32_copy => {
            let raw = data()?;
            let b = raw
                .chunks_exact(34)
                .map(|c| {
                    let mut qs = [0i8; 32];
                    for (q, v) in qs.iter_mut().zip(&c[2..34]) {
                        *q = *v as i8;
                    }
                    BlockQ8_0 {
                        d: widen(u16::from_le_bytes([c[0], c[1]])),
                        qs,
                    }
                })
                .collect::<Vec<_>>();
            whole(b.len())?;
            Mat::Q8_0 { rows, cols, b }
        }
        _ => {
            // Other types (F16, F32, K-quants...) are widened once through candle.
            let w = t
                .dequantize(&Device::Cpu)
                .and_then(|x| x.flatten_all())
                .and_then(|x| x.to_vec1::<f32>())
                .map_err(|e| decode("cannot widen a weight", e))?;
            whole(w.len() / QK)?;
            Mat::F32 { rows, cols, w }
        }
    })
}

fn vector(t: &QTensor) -> Result<Vec<f32>> {
    t.dequantize(&Device::Cpu)
        .and_then(|x| x.flatten_all())
        .and_then(|x| x.to_vec1::<f32>())
        .map_err(|e| decode("cannot read a norm", e))
}

/// Whether `ct` is a model this path runs: a plain (not mixture-of-experts) llama whose
/// matrices are Q4_1, Q8_0 or float, in whole blocks.
pub fn supports(ct: &Content) -> bool {
    let arch = ct
        .metadata
        .get("general.architecture")
        .and_then(|v| v.to_string().ok());
    let moe = ct
        .metadata
        .get("llama.expert_count")
        .and_then(|v| v.to_u32().ok())
        .is_some_and(|n| n > 1);
    arch.is_some_and(|a| a == "llama")
        && !moe
        && ct.tensor_infos.values().all(|t| {
            matches!(
                t.ggml_dtype,
                GgmlDType::Q4_1 | GgmlDType::Q8_0 | GgmlDType::F32 | GgmlDType::F16
            ) && t.shape.dims().last().is_some_and(|c| c % QK == 0)
        })
}

impl FastLlama {
    /// Loads the model from a GGUF's tensors.
    pub fn from_gguf<R: std::io::Read + std::io::Seek>(
        ct: &Content,
        r: &mut R,
    ) -> Result<FastLlama> {
        let md_u = |k: &str| {
            ct.metadata
                .get(k)
                .and_then(|v| v.to_u32().ok())
                .map(|v| v as usize)
                .ok_or_else(|| decode("the GGUF lacks a hyperparameter", k))
        };
        let md_f = |k: &str| ct.metadata.get(k).and_then(|v| v.to_f32().ok());
        let n_head = md_u("llama.attention.head_count")?;
        let n_kv_head = md_u("llama.attention.head_count_kv")?;
        let n_layer = md_u("llama.block_count")?;
        let n_embd = md_u("llama.embedding_length")?;
        let head_dim = n_embd / n_head.max(1);
        let rope_dim = md_u("llama.rope.dimension_count").unwrap_or(head_dim);
        let eps = md_f("llama.attention.layer_norm_rms_epsilon").unwrap_or(1e-5);
        let base = md_f("llama.rope.freq_base").unwrap_or(10_000.0);
        if n_head == 0 || n_kv_head == 0 || n_head % n_kv_head != 0 || rope_dim > head_dim {
            return Err(decode("unsupported attention shape", n_head));
        }
        let mut get = |name: &str| {
            ct.tensor(r, name, &Device::Cpu)
                .map_err(|e| decode(&format!("cannot read `{name}`"), e))
        };
        let embd = mat(&get("token_embd.weight")?, false)?;
        let norm = vector(&get("output_norm.weight")?)?;
        let output = match ct.tensor_infos.contains_key("output.weight") {
            true => Some(mat(&get("output.weight")?, false)?),
            false => None,
        };
        // The file says how many layers; each must exist before anything is sized by it.
        if n_layer == 0
            || !ct
                .tensor_infos
                .contains_key(&format!("blk.{}.attn_q.weight", n_layer - 1))
        {
            return Err(decode("the GGUF lacks layers its header counts", n_layer));
        }
        let mut layers = Vec::with_capacity(n_layer.min(ct.tensor_infos.len()));
        for i in 0..n_layer {
            let p = format!("blk.{i}");
            layers.push(Layer {
                attn_norm: vector(&get(&format!("{p}.attn_norm.weight"))?)?,
                wq: mat(&get(&format!("{p}.attn_q.weight"))?, false)?,
                wk: mat(&get(&format!("{p}.attn_k.weight"))?, false)?,
                wv: mat(&get(&format!("{p}.attn_v.weight"))?, false)?,
                wo: mat(&get(&format!("{p}.attn_output.weight"))?, false)?,
                ffn_norm: vector(&get(&format!("{p}.ffn_norm.weight"))?)?,
                gate: mat(&get(&format!("{p}.ffn_gate.weight"))?, false)?,
                up: mat(&get(&format!("{p}.ffn_up.weight"))?, false)?,
                down: mat(&get(&format!("{p}.ffn_down.weight"))?, false)?,
                k_cache: Vec::new(),
                v_cache: Vec::new(),
            });
        }
        // Every product's shape, checked once: the kernels index by them.
        let (q_width, kv_width) = (n_head * head_dim, n_kv_head * head_dim);
        let shaped = |m: &Mat, rows: usize, cols: usize| m.rows() == rows && m.cols() == cols;
        let ok = embd.cols() == n_embd
            && norm.len() == n_embd
            && output.as_ref().is_none_or(|o| o.cols() == n_embd)
            && q_width == n_embd
            && layers.iter().all(|l| {
                let hidden = l.gate.rows();
                l.attn_norm.len() == n_embd
                    && l.ffn_norm.len() == n_embd
                    && shaped(&l.wq, q_width, n_embd)
                    && shaped(&l.wk, kv_width, n_embd)
                    && shaped(&l.wv, kv_width, n_embd)
                    && shaped(&l.wo, n_embd, q_width)
                    && shaped(&l.up, hidden, n_embd)
                    && shaped(&l.gate, hidden, n_embd)
                    && shaped(&l.down, n_embd, hidden)
            });
        if !ok {
            return Err(decode(
                "the model's weights do not fit its hyperparameters",
                format!("{n_layer} layers of width {n_embd}"),
            ));
        }
        let inv_freq = (0..rope_dim / 2)
            .map(|i| 1.0 / base.powf(2.0 * i as f32 / rope_dim as f32))
            .collect();
        Ok(FastLlama {
            layers,
            embd,
            norm,
            output,
            n_head,
            n_kv_head,
            head_dim,
            eps,
            inv_freq,
            len: 0,
        })
    }

    /// Forgets the conversation.
    pub fn clear(&mut self) {
        self.len = 0;
        for l in &mut self.layers {
            l.k_cache.clear();
            l.v_cache.clear();
        }
    }

    /// Runs `tokens` from position `pos` (the cache must hold exactly `pos` positions);
    /// returns the logits of the last one.
    pub fn forward(&mut self, tokens: &[u32], pos: usize) -> Result<Vec<f32>> {
        if pos != self.len {
            if pos > self.len {
                return Err(decode("a position past the cache", pos));
            }
            // Going back (a regenerated turn): drop what came after.
            self.len = pos;
            let kv = self.n_kv_head * self.head_dim;
            for l in &mut self.layers {
                l.k_cache.truncate(pos * kv);
                l.v_cache.truncate(pos * kv);
            }
        }
        let n_embd = self.embd.cols();
        let n = tokens.len();
        if n == 0 {
            return Err(decode("nothing to run", 0));
        }
        let mut x = vec![0f32; n * n_embd];
        for (t, tok) in tokens.iter().enumerate() {
            let row = *tok as usize;
            if row >= self.embd.rows() {
                return Err(decode("a token outside the vocabulary", row));
            }
            self.embd.row_f32(row, &mut x[t * n_embd..(t + 1) * n_embd]);
        }
        // A prompt runs exact (f32 activations against the weights widened row by row): its
        // last logits pick the first token, and 8-bit activations flip near-ties there.
        let exact = pos == 0 || n > 1;
        let mut acts: Vec<Act> = (0..n).map(|_| Act::default()).collect();
        let mut h = vec![0f32; n_embd];
        let (mut q, mut k, mut v, mut o) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let mut att = vec![0f32; n * self.n_head * self.head_dim];
        let eps = self.eps;
        for li in 0..self.layers.len() {
            let l = &self.layers[li];
            for (t, a) in acts.iter_mut().enumerate() {
                rms_norm(&x[t * n_embd..(t + 1) * n_embd], &l.attn_norm, eps, &mut h);
                a.set(&h, exact);
            }
            matmul_many(&[&l.wq, &l.wk, &l.wv], &acts, &mut [&mut q, &mut k, &mut v]);
            self.attend(li, n, pos, &mut q, &mut k, &v, &mut att);
            let l = &self.layers[li];
            let width = self.n_head * self.head_dim;
            for (t, a) in acts.iter_mut().enumerate() {
                a.set(&att[t * width..(t + 1) * width], exact);
            }
            matmul(&l.wo, &acts, &mut o);
            add_columns(&mut x, &o, n, n_embd);
            for (t, a) in acts.iter_mut().enumerate() {
                rms_norm(&x[t * n_embd..(t + 1) * n_embd], &l.ffn_norm, eps, &mut h);
                a.set(&h, exact);
            }
            matmul_many(&[&l.gate, &l.up], &acts, &mut [&mut q, &mut k]);
            let hidden = l.gate.rows();
            let mut mid = vec![0f32; hidden];
            for (t, a) in acts.iter_mut().enumerate() {
                for (r, m) in mid.iter_mut().enumerate() {
                    let g = q[r * n + t];
                    *m = g / (1.0 + (-g).exp()) * k[r * n + t];
                }
                a.set(&mid, exact);
            }
            matmul(&l.down, &acts, &mut o);
            add_columns(&mut x, &o, n, n_embd);
        }
        self.len = pos + n;
        rms_norm(&x[(n - 1) * n_embd..], &self.norm, eps, &mut h);
        acts.truncate(1);
        acts[0].set(&h, exact);
        let mut logits = Vec::new();
        matmul(
            self.output.as_ref().unwrap_or(&self.embd),
            &acts,
            &mut logits,
        );
        Ok(logits)
    }

    /// Rotary embeddings on `q` and `k`, the new keys and values into the cache, and
    /// attention of each new position over every position up to it, into `att`
    /// (`[token][head * head_dim]`). `q`, `k`, `v` are `[row][token]` as `matmul` leaves them.
    #[allow(clippy::too_many_arguments)]
    fn attend(
        &mut self,
        li: usize,
        n: usize,
        pos: usize,
        q: &mut [f32],
        k: &mut [f32],
        v: &[f32],
        att: &mut [f32],
    ) {
        let (hd, nh, nkv) = (self.head_dim, self.n_head, self.n_kv_head);
        let kv = nkv * hd;
        let l = &mut self.layers[li];
        // Rows to `[token][row]`, rotated, keys and values appended.
        let mut qt = vec![0f32; n * nh * hd];
        for t in 0..n {
            for r in 0..nh * hd {
                qt[t * nh * hd + r] = q[r * n + t];
            }
            let p = (pos + t) as f32;
            for head in 0..nh {
                rotate(&mut qt[t * nh * hd + head * hd..][..hd], &self.inv_freq, p);
            }
            let base = l.k_cache.len();
            l.k_cache.extend((0..kv).map(|r| k[r * n + t]));
            l.v_cache.extend((0..kv).map(|r| v[r * n + t]));
            for head in 0..nkv {
                rotate(&mut l.k_cache[base + head * hd..][..hd], &self.inv_freq, p);
            }
        }
        let _ = k;
        let scale = 1.0 / (hd as f32).sqrt();
        let group = nh / nkv;
        let mut scores = Vec::new();
        for t in 0..n {
            let upto = pos + t + 1;
            for head in 0..nh {
                let kvh = head / group;
                let qv = &qt[t * nh * hd + head * hd..][..hd];
                scores.clear();
                let mut max = f32::NEG_INFINITY;
                for p in 0..upto {
                    let kr = &l.k_cache[p * kv + kvh * hd..][..hd];
                    let s = kernels::dot_f32(qv, kr) * scale;
                    max = max.max(s);
                    scores.push(s);
                }
                let mut total = 0f32;
                for s in scores.iter_mut() {
                    *s = (*s - max).exp();
                    total += *s;
                }
                let out = &mut att[t * nh * hd + head * hd..][..hd];
                out.fill(0.0);
                for (p, s) in scores.iter().enumerate() {
                    let w = s / total;
                    let vr = &l.v_cache[p * kv + kvh * hd..][..hd];
                    for (o, vv) in out.iter_mut().zip(vr) {
                        *o += w * vv;
                    }
                }
            }
        }
    }
}

/// Interleaved rotary embedding of one head at position `p`.
fn rotate(x: &mut [f32], inv_freq: &[f32], p: f32) {
    for (i, f) in inv_freq.iter().enumerate() {
        let (sin, cos) = (p * f).sin_cos();
        let (a, b) = (x[2 * i], x[2 * i + 1]);
        x[2 * i] = a * cos - b * sin;
        x[2 * i + 1] = a * sin + b * cos;
    }
}

fn rms_norm(x: &[f32], w: &[f32], eps: f32, out: &mut [f32]) {
    let ms = x.iter().map(|v| v * v).sum::<f32>() / x.len() as f32;
    let r = 1.0 / (ms + eps).sqrt();
    for ((o, v), g) in out.iter_mut().zip(x).zip(w) {
        *o = v * r * g;
    }
}

/// `x[t][c] += o[c][t]`.
fn add_columns(x: &mut [f32], o: &[f32], n: usize, width: usize) {
    for t in 0..n {
        for c in 0..width {
            x[t * width + c] += o[c * n + t];
        }
    }
}
