//! Turning a request's generation settings into candle's sampler: greedy when no temperature
//! (or 0) is given, otherwise temperature with optional top-k and top-p, a seed, and a repeat
//! penalty over the last tokens (`provider_options.repeat_penalty`, `repeat_last_n`). Settings a
//! local model cannot honour become warnings on the response.

use crate::error::{err, PROVIDER};
use candle_core::Tensor;
use candle_transformers::generation::{LogitsProcessor, Sampling};
use exllm::{ChatRequest, ErrorKind, Result, Warning};

/// Output tokens when the request sets no limit.
pub const DEFAULT_MAX_TOKENS: usize = 512;

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
pub fn from_request(req: &ChatRequest, warnings: &mut Vec<Warning>) -> Result<SamplingParams> {
    let unsupported: [(&str, bool); 8] = [
        ("tools", !req.tools.is_empty()),
        ("tool_choice", req.tool_choice.is_some()),
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
    let temperature = req.temperature.unwrap_or(0.0);
    if !(0.0..=100.0).contains(&temperature) {
        return Err(err(
            ErrorKind::InvalidInput,
            format!("temperature {temperature} is out of range"),
        ));
    }
    let top_p = req.top_p.filter(|p| *p > 0.0 && *p < 1.0);
    let repeat_penalty = option_f64(req, "repeat_penalty")?.unwrap_or(1.0) as f32;
    if repeat_penalty <= 0.0 {
        return Err(err(
            ErrorKind::InvalidInput,
            "repeat_penalty must be positive",
        ));
    }
    let repeat_last_n = option_f64(req, "repeat_last_n")?
        .map(|n| n.max(0.0) as usize)
        .unwrap_or(64);
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
            .unwrap_or(DEFAULT_MAX_TOKENS),
        temperature,
        top_p,
        top_k: req.top_k.filter(|k| *k > 0).map(|k| k as usize),
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

    /// The next token given the logits of the last position and the tokens so far.
    pub fn sample(&mut self, logits: &Tensor, history: &[u32]) -> candle_core::Result<u32> {
        let logits = logits.squeeze(0)?.to_dtype(candle_core::DType::F32)?;
        let logits = if (self.repeat_penalty - 1.0).abs() > f32::EPSILON && self.repeat_last_n > 0 {
            let start = history.len().saturating_sub(self.repeat_last_n);
            candle_transformers::utils::apply_repeat_penalty(
                &logits,
                self.repeat_penalty,
                &history[start..],
            )?
        } else {
            logits
        };
        self.processor.sample(&logits)
    }
}
