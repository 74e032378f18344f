//! The generation loop: render the conversation with the model's template, tokenize, run the
//! prompt in one forward pass, then sample token by token, emitting canonical stream events as
//! text becomes whole. Ends at an end-of-turn token or a stop sequence (finish `stop`) or the
//! token limit (finish `length`); usage counts are exact tokenizer counts.

use crate::error::err;
use crate::model::ChatModel;
use crate::sampling::{self, Sampler, SamplingParams};
use crate::stop::{StopMatcher, TextDecoder};
use exllm::{
    ChatRequest, ErrorKind, FinishKind, FinishReason, Result, StreamEvent, Usage, Warning,
};
use serde_json::json;
use std::time::Instant;

/// A request made ready for generation: its prompt tokens and settings.
pub struct Prepared {
    /// Prompt token ids.
    pub prompt: Vec<u32>,
    /// Sampling settings (`max_tokens` already clamped to the context window).
    pub params: SamplingParams,
    /// Notices for the response.
    pub warnings: Vec<Warning>,
}

/// Renders and tokenizes the request; fails before any generation when it cannot run.
pub fn prepare(model: &ChatModel, req: &ChatRequest) -> Result<Prepared> {
    let mut warnings = Vec::new();
    let mut params = sampling::from_request(req, &model.defaults, &mut warnings)?;
    if req.messages.is_empty() {
        return Err(err(ErrorKind::InvalidInput, "the request has no messages"));
    }
    let text = model.template.render(&req.messages)?;
    let prompt = model.tokenizer.encode_prompt(&text)?;
    if prompt.len() >= model.context_length {
        return Err(err(
            ErrorKind::ContextLength,
            format!(
                "the prompt has {} tokens; {} takes at most {}",
                prompt.len(),
                model.name,
                model.context_length
            ),
        ));
    }
    params.max_tokens = params.max_tokens.min(model.context_length - prompt.len());
    Ok(Prepared {
        prompt,
        params,
        warnings,
    })
}

/// Generates the answer, handing each event to `emit`; stops early when `emit` returns false
/// (the caller went away).
pub fn generate(
    model: &mut ChatModel,
    p: Prepared,
    emit: &mut dyn FnMut(StreamEvent) -> bool,
) -> Result<()> {
    let Prepared {
        prompt,
        params,
        warnings,
    } = p;
    macro_rules! send {
        ($ev:expr) => {
            if !emit($ev) {
                return Ok(());
            }
        };
    }
    send!(StreamEvent::Start {
        id: None,
        model: Some(model.name.clone())
    });
    for w in warnings {
        send!(StreamEvent::Warning(w));
    }
    model.reset();
    let mut sampler = Sampler::new(&params);
    let mut stops = StopMatcher::new(&params.stop);
    let mut decoder = TextDecoder::default();
    let mut history = prompt.clone();
    let mut generated = 0usize;
    let t0 = Instant::now();
    let mut logits = if params.max_tokens > 0 {
        Some(model.prefill(&prompt)?)
    } else {
        None
    };
    let prompt_time = t0.elapsed();
    let t1 = Instant::now();
    let mut finish = FinishReason::new(FinishKind::Length, "length");
    while let Some(l) = logits.take() {
        let token = sampler
            .sample(&l, &history[prompt.len()..])
            .map_err(|e| err(ErrorKind::Server, format!("sampling failed: {e}")))?;
        generated += 1;
        if model.tokenizer.end_ids.contains(&token) {
            finish = FinishReason::new(FinishKind::Stop, "stop");
            break;
        }
        history.push(token);
        if let Some(text) = decoder.push(&model.tokenizer, token)? {
            let step = stops.push(&text);
            if !step.emit.is_empty() {
                send!(StreamEvent::TextDelta(step.emit));
            }
            if step.stopped {
                finish = FinishReason::new(FinishKind::Stop, "stop_sequence");
                break;
            }
        }
        if generated < params.max_tokens {
            logits = Some(model.forward(&[token], history.len() - 1)?);
        }
    }
    if finish.raw.as_deref() != Some("stop_sequence") {
        let tail = decoder.flush(&model.tokenizer)?;
        let step = stops.push(&tail);
        let mut rest = step.emit;
        if step.stopped {
            finish = FinishReason::new(FinishKind::Stop, "stop_sequence");
        } else {
            rest.push_str(&stops.flush());
        }
        if !rest.is_empty() {
            send!(StreamEvent::TextDelta(rest));
        }
    }
    let gen_time = t1.elapsed();
    let per_sec = |n: usize, d: std::time::Duration| {
        if d.as_secs_f64() > 0.0 {
            n as f64 / d.as_secs_f64()
        } else {
            0.0
        }
    };
    send!(StreamEvent::Metadata {
        key: "timings".into(),
        value: json!({
            "prompt_ms": prompt_time.as_secs_f64() * 1e3,
            "prompt_tokens_per_second": per_sec(prompt.len(), prompt_time),
            "generation_ms": gen_time.as_secs_f64() * 1e3,
            "generation_tokens_per_second": per_sec(generated.saturating_sub(1), gen_time),
        }),
    });
    send!(StreamEvent::usage(Usage {
        input_tokens: Some(prompt.len() as u64),
        output_tokens: Some(generated as u64),
        raw: Some(json!({"prompt_tokens": prompt.len(), "completion_tokens": generated}).into()),
        ..Default::default()
    }));
    send!(StreamEvent::Finish(finish));
    Ok(())
}
