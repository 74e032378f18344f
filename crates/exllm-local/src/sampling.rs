//! Turning a request's generation settings into candle's sampler. Settings the caller leaves
//! out come from the model's [`GenerationDefaults`] (the GGUF's `general.sampling.*` keys, or
//! the model card: SmolLM2-Instruct recommends temperature 0.2 and top-p 0.9); temperature 0 is
//! greedy. A repetition guard runs on the answer's own tokens: a repeat penalty over the last
//! tokens (`provider_options.repeat_penalty`, `repeat_last_n`) and n-gram blocking (a token that
//! would make a 4-token sequence appear a fourth time is never picked), because small models
//! otherwise loop ("a fleeting sight, a fleeting sight, ..."). Settings a local model cannot
//! honour become warnings on the response.

use crate::error::{err, PROVIDER};
use candle_core::Tensor;
use candle_transformers::generation::{LogitsProcessor, Sampling};
use exllm::{ChatRequest, ErrorKind, Result, Warning};

/// Output tokens when the request sets no limit: a few paragraphs, so an answer that loops
/// ends in seconds rather than at the context window.
pub const DEFAULT_MAX_TOKENS: usize = 256;

/// Length of the token sequences the repetition guard counts.
pub const NGRAM_LEN: usize = 4;
/// How often one such sequence may appear in an answer.
pub const NGRAM_MAX_REPEATS: usize = 3;

/// A model's generation settings for what the caller leaves out.
#[derive(Debug, Clone, PartialEq)]
pub struct GenerationDefaults {
    /// Temperature (0 = greedy).
    pub temperature: f64,
    /// Nucleus sampling.
    pub top_p: Option<f64>,
    /// Top-k sampling.
    pub top_k: Option<usize>,
    /// Repeat penalty over the answer's recent tokens (1.0 = off).
    pub repeat_penalty: f32,
    /// Window of the repeat penalty.
    pub repeat_last_n: usize,
    /// Output token limit.
    pub max_tokens: usize,
}

impl Default for GenerationDefaults {
    fn default() -> Self {
        GenerationDefaults {
            temperature: 0.0,
            top_p: None,
            top_k: None,
            repeat_penalty: 1.1,
            repeat_last_n: 64,
            max_tokens: DEFAULT_MAX_TOKENS,
        }
    }
}

impl GenerationDefaults {
    /// The defaults of a model: the GGUF's own `general.sampling.*` values when it has them
    /// (`temp`, `top_p`, `top_k`), else its model card's recommendation by family (`basename`,
    /// `general.basename` or the file's name), else greedy.
    pub fn for_model(
        basename: &str,
        temp: Option<f64>,
        top_p: Option<f64>,
        top_k: Option<usize>,
    ) -> Self {
        let mut d = GenerationDefaults::default();
        if basename.to_ascii_lowercase().contains("smollm2") {
            d.temperature = 0.2;
            d.top_p = Some(0.9);
        }
        if let Some(t) = temp.filter(|t| (0.0..=100.0).contains(t)) {
            d.temperature = t;
        }
        if let Some(p) = top_p.filter(|p| *p > 0.0 && *p <= 1.0) {
            d.top_p = (p < 1.0).then_some(p);
        }
        if let Some(k) = top_k {
            d.top_k = (k > 0).then_some(k);
        }
        d
    }
}

/// The sampling settings of one request.
#[derive(Debug, Clone, PartialEq)]
pub struct SamplingParams {
    /// Output token limit.
    pub max_tokens: usize,
    /// Temperature; 0 means greedy.
    pub temperature: f64,
    /// Nucleus sampling.
    pub top_p: Option<f64>,
    /// Top-k sampling.
    pub top_k: Option<usize>,
    /// RNG seed.
    pub seed: u64,
    /// Penalty on tokens seen in the last `repeat_last_n` (1.0 = off).
    pub repeat_penalty: f32,
    /// Window of the repeat penalty.
    pub repeat_last_n: usize,
    /// Stop sequences.
    pub stop: Vec<String>,
}

fn option_f64(req: &ChatRequest, key: &str) -> Result<Option<f64>> {
    match req.provider_options.get(key) {
        None => Ok(None),
        Some(v) => v.as_f64().map(Some).ok_or_else(|| {
            err(
                ErrorKind::InvalidInput,
                format!("provider option `{key}` must be a number"),
            )
        }),
    }
}

/// Reads the request's settings; unsupported ones are added to `warnings`.
pub fn from_request(
    req: &ChatRequest,
    defaults: &GenerationDefaults,
    warnings: &mut Vec<Warning>,
) -> Result<SamplingParams> {
    let unsupported: [(&str, bool); 7] = [
        // Tools go through the chat template; forcing a call is not enforced.
        (
            "tool_choice",
            matches!(
                req.tool_choice,
                Some(exllm::ToolChoice::Required | exllm::ToolChoice::Tool(_))
            ),
        ),
        ("response_format", req.response_format.is_some()),
        ("reasoning", req.reasoning.is_some()),
        ("frequency_penalty", req.frequency_penalty.is_some()),
        ("presence_penalty", req.presence_penalty.is_some()),
        (
            "logprobs",
            req.logprobs.is_some() || req.top_logprobs.is_some(),
        ),
        ("n", req.n.is_some_and(|n| n > 1)),
    ];
    warnings.extend(
        unsupported
            .iter()
            .filter(|(_, set)| *set)
            .map(|(s, _)| Warning::unsupported(s, PROVIDER)),
    );
    let temperature = req.temperature.unwrap_or(defaults.temperature);
    if !(0.0..=100.0).contains(&temperature) {
        return Err(err(
            ErrorKind::InvalidInput,
            format!("temperature {temperature} is out of range"),
        ));
    }
    let top_p = match req.top_p {
        Some(p) => Some(p).filter(|p| *p > 0.0 && *p < 1.0),
        None => defaults.top_p,
    };
    let repeat_penalty = option_f64(req, "repeat_penalty")?
        .map(|p| p as f32)
        .unwrap_or(defaults.repeat_penalty);
    if repeat_penalty <= 0.0 {
        return Err(err(
            ErrorKind::InvalidInput,
            "repeat_penalty must be positive",
        ));
    }
    let repeat_last_n = option_f64(req, "repeat_last_n")?
        .map(|n| n.max(0.0) as usize)
        .unwrap_or(defaults.repeat_last_n);
    let seed = req.seed.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(299_792_458)
    });
    Ok(SamplingParams {
        max_tokens: req
            .max_tokens
            .map(|n| n as usize)
            .unwrap_or(defaults.max_tokens),
        temperature,
        top_p,
        top_k: match req.top_k {
            Some(k) => Some(k as usize).filter(|k| *k > 0),
            None => defaults.top_k,
        },
        seed,
        repeat_penalty,
        repeat_last_n,
        stop: req.stop.iter().filter(|s| !s.is_empty()).cloned().collect(),
    })
}

/// Picks the next token from logits.
pub struct Sampler {
    processor: LogitsProcessor,
    repeat_penalty: f32,
    repeat_last_n: usize,
}

impl Sampler {
    /// A sampler for these settings.
    pub fn new(p: &SamplingParams) -> Self {
        let sampling = if p.temperature <= 0.0 {
            Sampling::ArgMax
        } else {
            let temperature = p.temperature;
            match (p.top_k, p.top_p) {
                (Some(k), Some(p)) => Sampling::TopKThenTopP { k, p, temperature },
                (Some(k), None) => Sampling::TopK { k, temperature },
                (None, Some(p)) => Sampling::TopP { p, temperature },
                (None, None) => Sampling::All { temperature },
            }
        };
        Sampler {
            processor: LogitsProcessor::from_sampling(p.seed, sampling),
            repeat_penalty: p.repeat_penalty,
            repeat_last_n: p.repeat_last_n,
        }
    }

    /// The next token given the logits of the last position and the answer's tokens so far
    /// (the prompt is not counted: repeating the question's words is fine).
    pub fn sample(&mut self, logits: &Tensor, answer: &[u32]) -> candle_core::Result<u32> {
        let logits = logits.squeeze(0)?.to_dtype(candle_core::DType::F32)?;
        let logits = if (self.repeat_penalty - 1.0).abs() > f32::EPSILON && self.repeat_last_n > 0 {
            let start = answer.len().saturating_sub(self.repeat_last_n);
            candle_transformers::utils::apply_repeat_penalty(
                &logits,
                self.repeat_penalty,
                &answer[start..],
            )?
        } else {
            logits
        };
        let banned = blocked_tokens(answer, NGRAM_LEN, NGRAM_MAX_REPEATS);
        let logits = if banned.is_empty() {
            logits
        } else {
            let device = logits.device().clone();
            let mut v = logits.to_vec1::<f32>()?;
            for t in banned {
                if let Some(x) = v.get_mut(t as usize) {
                    *x = f32::NEG_INFINITY;
                }
            }
            let n = v.len();
            Tensor::from_vec(v, n, &device)?
        };
        self.processor.sample(&logits)
    }
}

/// The tokens that would make an `n`-token sequence appear more than `max` times in `answer`:
/// for every earlier occurrence of the answer's last `n - 1` tokens, the token that followed it
/// is counted, and those counted `max` times or more are blocked.
pub fn blocked_tokens(answer: &[u32], n: usize, max: usize) -> Vec<u32> {
    if n < 2 || answer.len() < n {
        return Vec::new();
    }
    let tail = &answer[answer.len() - (n - 1)..];
    let mut counts: Vec<(u32, usize)> = Vec::new();
    for w in answer.windows(n) {
        if &w[..n - 1] == tail {
            let next = w[n - 1];
            match counts.iter_mut().find(|(t, _)| *t == next) {
                Some((_, c)) => *c += 1,
                None => counts.push((next, 1)),
            }
        }
    }
    counts
        .into_iter()
        .filter(|(_, c)| *c >= max)
        .map(|(t, _)| t)
        .collect()
}

#[cfg(test)]
mod tests;
