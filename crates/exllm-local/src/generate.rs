//! The generation loop: render the conversation with the model's template, tokenize, run the
//! prompt in one forward pass, then sample token by token, emitting canonical stream events as
//! text becomes whole. Ends at an end-of-turn token or a stop sequence (finish `stop`) or the
//! token limit (finish `length`); usage counts are exact tokenizer counts.

use crate::error::err;
use crate::model::ChatModel;
use crate::sampling::{self, Sampler, SamplingParams};
use crate::stop::{StopMatcher, TextDecoder};
use crate::think::{Piece, ThinkSplitter};
use crate::tools::{Scanned, ToolScanner};
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
    /// Whether tools were offered (the answer is scanned for calls).
    pub tools: bool,
    /// Whether the prompt ends inside `<think>` (the answer starts in its reasoning).
    pub thinking: bool,
}

/// Renders and tokenizes the request; fails before any generation when it cannot run.
pub fn prepare(model: &ChatModel, req: &ChatRequest) -> Result<Prepared> {
    let mut warnings = Vec::new();
    let mut params = sampling::from_request(req, &model.defaults, &mut warnings)?;
    if req.messages.is_empty() {
        return Err(err(ErrorKind::InvalidInput, "the request has no messages"));
    }
    let tools: &[exllm::Tool] = match req.tool_choice {
        Some(exllm::ToolChoice::None) => &[],
        _ => &req.tools,
    };
    let text = model.template.render_with_tools(&req.messages, tools)?;
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
        tools: !tools.is_empty(),
        thinking: text.trim_end().ends_with("<think>"),
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
        tools,
        thinking,
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
    let mut out = Output::new(&params.stop, tools, thinking);
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
            let (events, stopped) = out.push(&text);
            for e in events {
                send!(e);
            }
            if stopped {
                finish = FinishReason::new(FinishKind::Stop, "stop_sequence");
                break;
            }
        }
        if generated < params.max_tokens {
            logits = Some(model.forward(&[token], history.len() - 1)?);
        }
    }
    let tail = match finish.raw.as_deref() {
        Some("stop_sequence") => String::new(),
        _ => decoder.flush(&model.tokenizer)?,
    };
    for e in out.finish(&tail, &mut finish) {
        send!(e);
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

/// The answer's text on its way out: stop sequences cut it, and with tools offered the
/// scanner lifts calls out of it.
struct Output {
    think: ThinkSplitter,
    stops: StopMatcher,
    scanner: Option<ToolScanner>,
}

impl Output {
    fn new(stops: &[String], tools: bool, thinking: bool) -> Self {
        Output {
            think: if thinking {
                ThinkSplitter::inside()
            } else {
                ThinkSplitter::default()
            },
            stops: StopMatcher::new(stops),
            scanner: tools.then(ToolScanner::default),
        }
    }

    fn text(&mut self, text: String, out: &mut Vec<StreamEvent>) {
        if text.is_empty() {
            return;
        }
        match self.scanner.as_mut() {
            None => out.push(StreamEvent::TextDelta(text)),
            Some(s) => out.extend(s.push(&text).into_iter().map(scanned)),
        }
    }

    /// A decoded piece: the events it makes, and whether a stop sequence ended the answer.
    fn push(&mut self, text: &str) -> (Vec<StreamEvent>, bool) {
        let mut out = Vec::new();
        let mut stopped = false;
        for piece in self.think.push(text) {
            match piece {
                Piece::Reasoning(r) => out.push(StreamEvent::ReasoningDelta(r)),
                Piece::Text(t) if !stopped => {
                    let step = self.stops.push(&t);
                    self.text(step.emit, &mut out);
                    stopped = step.stopped;
                }
                Piece::Text(_) => {}
            }
        }
        (out, stopped)
    }

    /// The end: the decoder's `tail` (empty after a stop sequence), what was held back, and
    /// the finish reason made `tool_calls` when the answer was calls.
    fn finish(&mut self, tail: &str, finish: &mut FinishReason) -> Vec<StreamEvent> {
        let mut out = Vec::new();
        if finish.raw.as_deref() != Some("stop_sequence") {
            let (mut events, stopped) = self.push(tail);
            out.append(&mut events);
            if stopped {
                *finish = FinishReason::new(FinishKind::Stop, "stop_sequence");
            } else {
                let mut held = String::new();
                for piece in self.think.finish() {
                    match piece {
                        Piece::Reasoning(r) => out.push(StreamEvent::ReasoningDelta(r)),
                        Piece::Text(t) => held.push_str(&t),
                    }
                }
                let step = self.stops.push(&held);
                let mut rest = step.emit;
                if step.stopped {
                    *finish = FinishReason::new(FinishKind::Stop, "stop_sequence");
                } else {
                    rest.push_str(&self.stops.flush());
                }
                self.text(rest, &mut out);
            }
        }
        if let Some(s) = self.scanner.as_mut() {
            out.extend(s.finish().into_iter().map(scanned));
            if s.calls() > 0 && finish.kind == FinishKind::Stop {
                *finish = FinishReason::new(FinishKind::ToolCalls, "tool_calls");
            }
        }
        out
    }
}

fn scanned(e: Scanned) -> StreamEvent {
    match e {
        Scanned::Text(t) => StreamEvent::TextDelta(t),
        Scanned::Call(c) => StreamEvent::ToolCall(c),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(out: &mut Output, pieces: &[&str], finish: &mut FinishReason) -> Vec<StreamEvent> {
        let mut events = Vec::new();
        for p in pieces {
            let (e, stopped) = out.push(p);
            events.extend(e);
            if stopped {
                *finish = FinishReason::new(FinishKind::Stop, "stop_sequence");
                break;
            }
        }
        events.extend(out.finish("", finish));
        events
    }

    #[test]
    fn calls_become_events_and_the_finish_says_tool_calls() {
        let mut out = Output::new(&[], true, false);
        let mut finish = FinishReason::new(FinishKind::Stop, "stop");
        let events = run(
            &mut out,
            &["Sure. <tool", "_call>[{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}]</tool_call>"],
            &mut finish,
        );
        assert_eq!(events.len(), 2, "{events:?}");
        assert!(matches!(&events[0], StreamEvent::TextDelta(t) if t == "Sure. "));
        assert!(
            matches!(&events[1], StreamEvent::ToolCall(c) if c.name == "get_weather" && c.arguments["city"] == "Paris")
        );
        assert_eq!(finish.kind, FinishKind::ToolCalls);
        // A call cut by the length limit is still a call, but the finish stays `length`.
        let mut out = Output::new(&[], true, false);
        let mut finish = FinishReason::new(FinishKind::Length, "length");
        let events = run(&mut out, &["<tool_call>{\"name\": \"f\"}"], &mut finish);
        assert!(matches!(&events[0], StreamEvent::ToolCall(c) if c.name == "f"));
        assert_eq!(finish.kind, FinishKind::Length);
    }

    #[test]
    fn thinking_becomes_reasoning_and_a_call_may_follow_it() {
        let mut out = Output::new(&[], true, false);
        let mut finish = FinishReason::new(FinishKind::Stop, "stop");
        let events = run(
            &mut out,
            &[
                "<think>\nneeds the",
                " weather\n</think>\n\n",
                "<tool_call>{\"name\": \"w\"}</tool_call>",
            ],
            &mut finish,
        );
        let reasoning: String = events
            .iter()
            .filter_map(|e| match e {
                StreamEvent::ReasoningDelta(r) => Some(r.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(reasoning, "\nneeds the weather\n");
        assert!(
            events
                .iter()
                .all(|e| !matches!(e, StreamEvent::TextDelta(_))),
            "{events:?}"
        );
        assert!(matches!(events.last(), Some(StreamEvent::ToolCall(c)) if c.name == "w"));
        assert_eq!(finish.kind, FinishKind::ToolCalls);
    }

    #[test]
    fn without_tools_tags_are_text_and_stop_sequences_still_cut() {
        let mut out = Output::new(&["END".to_owned()], false, false);
        let mut finish = FinishReason::new(FinishKind::Stop, "stop");
        let events = run(
            &mut out,
            &["<tool_call>{}</tool_call> a", "bcEND more"],
            &mut finish,
        );
        let text: String = events
            .iter()
            .map(|e| match e {
                StreamEvent::TextDelta(t) => t.as_str(),
                _ => "",
            })
            .collect();
        assert_eq!(text, "<tool_call>{}</tool_call> abc");
        assert_eq!(finish.raw.as_deref(), Some("stop_sequence"));
        // With tools, a stop sequence inside the text still ends it, and no call is made up.
        let mut out = Output::new(&["END".to_owned()], true, false);
        let mut finish = FinishReason::new(FinishKind::Stop, "stop");
        let events = run(&mut out, &["plain END"], &mut finish);
        assert!(events
            .iter()
            .all(|e| !matches!(e, StreamEvent::ToolCall(_))));
        assert_eq!(finish.kind, FinishKind::Stop);
    }
}
