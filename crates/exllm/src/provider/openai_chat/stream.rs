//! Stream decoding for Chat Completions: `data:` chunks with partial choices, tool-call
//! fragments by index, a usage chunk with no choices, and `[DONE]`.

use super::*;
use crate::provider::decode::{ended, Latest};

#[derive(Deserialize)]
struct ChunkChoice<'a> {
    #[serde(default)]
    index: u32,
    /// Boxed: a delta is a large struct, and serde moves each value it builds into its
    /// `Option`, the choice and the choices' `Vec` in turn, a `memcpy` call per move per chunk.
    #[serde(default)]
    delta: Option<Box<ChoiceMessage>>,
    #[serde(default, borrow)]
    finish_reason: Option<Cow<'a, str>>,
    /// Unparsed: most chunks carry `null`, and a `Value` field made every choice a larger
    /// struct to move.
    #[serde(default, borrow)]
    logprobs: Option<&'a RawValue>,
}

/// Stream decoder for Chat Completions chunks.
#[derive(Default)]
pub(super) struct ChatStreamDecoder {
    started: bool,
    done: bool,
    finished: bool,
    /// The latest value of each [`META_KEYS`] field.
    meta: [Latest; 5],
    logprobs: Vec<Value>,
    usage: Option<RawJson>,
    service_tier: Option<String>,
    /// The other choices (`n` > 1) by index, each folded on its own.
    others: Vec<(u32, Collector)>,
}

impl ChatStreamDecoder {
    fn flush(&mut self, out: &mut Vec<StreamEvent>) {
        if let Some(t) = self.service_tier.take() {
            out.push(StreamEvent::ServiceTier(t));
        }
        let mut others = std::mem::take(&mut self.others);
        others.sort_by_key(|(i, _)| *i);
        out.extend(others.into_iter().map(|(i, c)| alternative(i, c)));
        if !self.logprobs.is_empty() {
            out.push(StreamEvent::Metadata {
                key: "logprobs".into(),
                value: Value::Array(std::mem::take(&mut self.logprobs)),
            });
        }
        let meta = self.meta.each_mut().map(Latest::take);
        out.extend(perplexity_citations(&meta));
        for (k, v) in META_KEYS.iter().zip(meta) {
            if let Some(v) = v {
                out.push(StreamEvent::Metadata {
                    key: (*k).into(),
                    value: v,
                });
            }
        }
        if let Some(u) = self.usage.take() {
            out.push(StreamEvent::usage(usage(u)));
        }
    }
}

impl ChatStreamDecoder {
    /// Folds a chunk of a choice other than the first into that choice's collector.
    fn other_choice(&mut self, choice: &mut ChunkChoice<'_>) {
        let mut events = Vec::new();
        if let Some(d) = &mut choice.delta {
            delta_events(d, &mut events);
        }
        if let Some(f) = choice.finish_reason.as_deref().filter(|f| !f.is_empty()) {
            events.push(StreamEvent::Finish(finish_reason(f)));
        }
        let pos = match self.others.iter().position(|(i, _)| *i == choice.index) {
            Some(pos) => pos,
            None => {
                self.others.push((choice.index, Collector::new()));
                self.others.len() - 1
            }
        };
        let collector = &mut self.others[pos].1;
        events.into_iter().for_each(|e| collector.push(e));
    }
}

impl StreamDecoder for ChatStreamDecoder {
    fn decode(&mut self, frame: Frame<'_>, out: &mut Vec<StreamEvent>) -> Result<()> {
        let data = frame.data.trim_ascii();
        if data == b"[DONE]" {
            self.done = true;
            return Ok(());
        }
        if data.is_empty() {
            return Ok(());
        }
        let mut chunk: Envelope<'_, ChunkChoice<'_>> = serde_json::from_slice(data)
            .map_err(|e| common::decode_error("chat completion chunk", data, e))?;
        // Azure opens with a content-filter chunk whose id and model are empty strings.
        if !self.started {
            let id = chunk.id.take().filter(|s| !s.is_empty());
            let model = chunk.model.take().filter(|s| !s.is_empty());
            if id.is_some() || model.is_some() {
                self.started = true;
                out.push(StreamEvent::Start {
                    id: id.map(Cow::into_owned),
                    model: model.map(Cow::into_owned),
                });
            }
        }
        if let Some(e) = &chunk.error {
            out.push(StreamEvent::Error(response_error(e)));
            self.finished = true;
        }
        for (slot, raw) in self.meta.iter_mut().zip(chunk.raw_meta()) {
            slot.see(raw);
        }
        // Later usage reports replace earlier ones (Perplexity repeats a running total).
        if let Some(u) = chunk.take_usage() {
            self.usage = Some(u);
        }
        if let Some(t) = chunk.service_tier.as_deref().filter(|t| !t.is_empty()) {
            if self.service_tier.as_deref() != Some(t) {
                self.service_tier = Some(t.to_owned());
            }
        }
        // Fields are taken out of the choice one by one: moving whole choices and deltas (large
        // structs) compiled to a `memcpy` call each, several per chunk.
        for choice in chunk.choices.iter_mut().flatten() {
            if choice.index != 0 {
                self.other_choice(choice);
                continue;
            }
            if let Some(d) = &mut choice.delta {
                delta_events(d, out);
            }
            if let Some(Value::Array(items)) = choice
                .logprobs
                .filter(|l| l.get() != "null")
                .and_then(parse_raw)
                .and_then(|mut l| l.get_mut("content").map(Value::take))
            {
                self.logprobs.extend(items);
            }
            if let Some(f) = choice.finish_reason.as_deref().filter(|f| !f.is_empty()) {
                self.finished = true;
                out.push(StreamEvent::Finish(finish_reason(f)));
            }
        }
        Ok(())
    }

    fn finish(&mut self, out: &mut Vec<StreamEvent>) -> Result<()> {
        self.flush(out);
        ended(
            self.done || self.finished,
            "the stream ended before the answer was complete (no finish reason, no [DONE])",
        )
    }
}

/// The events of one choice's delta: reasoning, text, refusal, cited sources, tool calls.
fn delta_events(d: &mut ChoiceMessage, out: &mut Vec<StreamEvent>) {
    if let Some(t) = d
        .reasoning_content
        .take()
        .or(d.reasoning.take())
        .filter(|t| !t.is_empty())
    {
        out.push(StreamEvent::ReasoningDelta(t));
    }
    match d.content.take() {
        Some(Content::Text(t)) if !t.is_empty() => out.push(StreamEvent::TextDelta(t)),
        Some(Content::Parts(parts)) => {
            for p in parts {
                match p.kind.as_str() {
                    "text" => out.push(StreamEvent::TextDelta(p.text.unwrap_or_default())),
                    "thinking" | "reasoning" => {
                        let t = thinking_text(p.thinking.or(p.summary));
                        if !t.is_empty() {
                            out.push(StreamEvent::ReasoningDelta(t));
                        }
                    }
                    _ => {}
                }
            }
        }
        _ => {}
    }
    if let Some(r) = d.refusal.take().filter(|r| !r.is_empty()) {
        out.push(StreamEvent::RefusalDelta(r));
    }
    if let Some(a) = d.audio.take() {
        out.push(StreamEvent::AudioDelta(a.into_part()));
    }
    out.extend(citations::events(d.annotations.as_deref()));
    for call in d.tool_calls.take().unwrap_or_default() {
        let index = call.index.unwrap_or(0);
        let f = call.function.unwrap_or_default();
        let id = call.id.unwrap_or_default();
        let name = f.name.unwrap_or_default();
        if !id.is_empty() || !name.is_empty() {
            out.push(StreamEvent::ToolCallStart { index, id, name });
        }
        let args = args_text(f.arguments);
        if !args.is_empty() {
            out.push(StreamEvent::ToolCallDelta {
                index,
                arguments: args,
            });
        }
    }
}
