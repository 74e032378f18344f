//! The `chat.completion.chunk` stream, framed as OpenAI frames it: a first chunk carrying the
//! assistant role, content / reasoning / refusal deltas, tool calls whose first delta carries
//! index, id, type and function name and whose later deltas carry argument fragments, a chunk
//! with the finish reason, a usage chunk with no choices when the caller asked for
//! `include_usage`, then `data: [DONE]`. A stream that broke ends with an error frame and no
//! `[DONE]`, so no client takes a cut answer for a whole one.

use super::response::{annotation, finish_reason, wire_usage, Annotation, WireUsage};
use crate::wire::{ApiError, Inbound, StreamEncoder};
use exllm::{FinishKind, StreamEvent, Usage};
use serde::Serialize;

/// One call as the caller sees it.
struct Call {
    /// The canonical stream's index of the call.
    source: u32,
    /// Whether the first delta (id, type, name) went out.
    opened: bool,
    id: String,
    name: String,
    /// Argument fragments that came before the name.
    held: String,
}

/// Encodes one streamed answer.
pub struct ChunkEncoder {
    id: String,
    model: String,
    created: u64,
    include_usage: bool,
    started: bool,
    calls: Vec<Call>,
    usage: Option<Usage>,
    finish: Option<FinishKind>,
    done: bool,
}

#[derive(Serialize)]
struct Chunk<'a> {
    id: &'a str,
    object: &'static str,
    created: u64,
    model: &'a str,
    choices: &'a [ChunkChoice<'a>],
    /// `null` on every chunk when usage was asked for, as OpenAI sends it.
    #[serde(skip_serializing_if = "Option::is_none")]
    usage: Option<Option<WireUsage>>,
}

#[derive(Serialize)]
struct ChunkChoice<'a> {
    index: u32,
    delta: Delta<'a>,
    logprobs: Option<()>,
    finish_reason: Option<&'static str>,
}

#[derive(Serialize, Default)]
struct Delta<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    role: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    content: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reasoning_content: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    refusal: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tool_calls: Option<[CallDelta<'a>; 1]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    annotations: Option<[Annotation<'a>; 1]>,
}

#[derive(Serialize)]
struct CallDelta<'a> {
    index: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a str>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    kind: Option<&'static str>,
    function: FunctionDelta<'a>,
}

#[derive(Serialize)]
struct FunctionDelta<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    arguments: &'a str,
}

impl ChunkEncoder {
    /// An encoder for an answer to `inbound`, named as the caller named the model.
    pub fn new(inbound: &Inbound) -> Self {
        ChunkEncoder {
            id: super::new_id("chatcmpl-"),
            model: inbound.request.model.clone(),
            created: super::now(),
            include_usage: inbound.include_usage,
            started: false,
            calls: Vec::new(),
            usage: None,
            finish: None,
            done: false,
        }
    }

    fn write(&self, choices: &[ChunkChoice<'_>], out: &mut Vec<u8>) {
        let chunk = Chunk {
            id: &self.id,
            object: "chat.completion.chunk",
            created: self.created,
            model: &self.model,
            choices,
            usage: self.include_usage.then_some(None),
        };
        frame(&chunk, out);
    }

    fn delta(&mut self, delta: Delta<'_>, out: &mut Vec<u8>) {
        self.start(out);
        self.write_delta(delta, out);
    }

    /// A chunk of the one choice's `delta`, not finished.
    fn write_delta(&self, delta: Delta<'_>, out: &mut Vec<u8>) {
        self.write(
            &[ChunkChoice {
                index: 0,
                delta,
                logprobs: None,
                finish_reason: None,
            }],
            out,
        );
    }

    /// The first chunk, carrying the role, once.
    fn start(&mut self, out: &mut Vec<u8>) {
        if self.started {
            return;
        }
        self.started = true;
        let delta = Delta {
            role: Some("assistant"),
            content: Some(""),
            ..Default::default()
        };
        self.write_delta(delta, out);
    }

    fn call_slot(&mut self, source: u32) -> usize {
        match self.calls.iter().position(|c| c.source == source) {
            Some(i) => i,
            None => {
                self.calls.push(Call {
                    source,
                    opened: false,
                    id: String::new(),
                    name: String::new(),
                    held: String::new(),
                });
                self.calls.len() - 1
            }
        }
    }

    /// Sends a call's first delta: index, id (made up if the backend gave none), type, name
    /// and the arguments held so far.
    fn open_call(&mut self, slot: usize, out: &mut Vec<u8>) {
        let call = &mut self.calls[slot];
        call.opened = true;
        if call.id.is_empty() {
            call.id = super::new_id("call_");
        }
        let held = std::mem::take(&mut call.held);
        let (id, name) = (call.id.clone(), call.name.clone());
        self.call_delta(slot, Some((&id, &name)), &held, out);
    }

    fn call_delta(
        &mut self,
        slot: usize,
        head: Option<(&str, &str)>,
        arguments: &str,
        out: &mut Vec<u8>,
    ) {
        let delta = Delta {
            tool_calls: Some([CallDelta {
                index: slot as u32,
                id: head.map(|h| h.0),
                kind: head.map(|_| "function"),
                function: FunctionDelta {
                    name: head.map(|h| h.1),
                    arguments,
                },
            }]),
            ..Default::default()
        };
        self.delta(delta, out);
    }
}

impl ChunkEncoder {
    /// Another choice (`n` > 1), whole: one chunk with its index, text and tool calls, then
    /// one with its finish reason.
    fn alternative(&mut self, alt: &exllm::Alternative, out: &mut Vec<u8>) {
        self.start(out);
        let text = alt.text();
        let calls: Vec<(String, &exllm::ToolCall)> = alt
            .content
            .iter()
            .filter_map(|p| match p {
                exllm::Part::ToolCall(c) => Some((c.arguments_text(), c)),
                _ => None,
            })
            .collect();
        let choice = |delta, finish_reason| ChunkChoice {
            index: alt.index,
            delta,
            logprobs: None,
            finish_reason,
        };
        if !text.is_empty() {
            let delta = Delta {
                role: Some("assistant"),
                content: Some(&text),
                ..Default::default()
            };
            self.write(&[choice(delta, None)], out);
        }
        for (i, (args, c)) in calls.iter().enumerate() {
            let delta = Delta {
                tool_calls: Some([CallDelta {
                    index: i as u32,
                    id: Some(&c.id),
                    kind: Some("function"),
                    function: FunctionDelta {
                        name: Some(&c.name),
                        arguments: args,
                    },
                }]),
                ..Default::default()
            };
            self.write(&[choice(delta, None)], out);
        }
        let reason = finish_reason(alt.finish.as_ref().map(|f| f.kind), !calls.is_empty());
        self.write(&[choice(Delta::default(), Some(reason))], out);
    }
}

/// Appends `data: <json>\n\n`.
fn frame(value: &impl Serialize, out: &mut Vec<u8>) {
    out.extend_from_slice(b"data: ");
    // Serialising these plain structs into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, value);
    out.extend_from_slice(b"\n\n");
}

impl StreamEncoder for ChunkEncoder {
    fn event(&mut self, event: &StreamEvent, out: &mut Vec<u8>) {
        if self.done {
            return;
        }
        match event {
            StreamEvent::Start { id, .. } => {
                if let Some(id) = id.as_ref().filter(|i| !i.is_empty() && !self.started) {
                    self.id.clone_from(id);
                }
                self.start(out);
            }
            StreamEvent::TextDelta(t) if !t.is_empty() => self.delta(
                Delta {
                    content: Some(t),
                    ..Default::default()
                },
                out,
            ),
            StreamEvent::ReasoningDelta(t) if !t.is_empty() => self.delta(
                Delta {
                    reasoning_content: Some(t),
                    ..Default::default()
                },
                out,
            ),
            StreamEvent::RefusalDelta(t) if !t.is_empty() => self.delta(
                Delta {
                    refusal: Some(t),
                    ..Default::default()
                },
                out,
            ),
            StreamEvent::ToolCallStart { index, id, name } => {
                let slot = self.call_slot(*index);
                let call = &mut self.calls[slot];
                if call.opened {
                    return;
                }
                if !id.is_empty() {
                    call.id.clone_from(id);
                }
                if !name.is_empty() {
                    call.name.clone_from(name);
                    self.open_call(slot, out);
                }
            }
            StreamEvent::ToolCallDelta { index, arguments } => {
                let slot = self.call_slot(*index);
                if self.calls[slot].opened {
                    if !arguments.is_empty() {
                        self.call_delta(slot, None, arguments, out);
                    }
                } else {
                    self.calls[slot].held.push_str(arguments);
                }
            }
            StreamEvent::ToolCallEnd { index } => {
                let slot = self.call_slot(*index);
                if !self.calls[slot].opened {
                    self.open_call(slot, out);
                }
            }
            StreamEvent::ToolCall(c) => {
                // A whole call: its own slot, after any streamed ones.
                let source = u32::MAX - self.calls.len() as u32;
                let slot = self.call_slot(source);
                let call = &mut self.calls[slot];
                call.id.clone_from(&c.id);
                call.name.clone_from(&c.name);
                call.held = c.arguments_text();
                self.open_call(slot, out);
            }
            StreamEvent::Citation(c) => self.delta(
                Delta {
                    annotations: Some([annotation(c)]),
                    ..Default::default()
                },
                out,
            ),
            StreamEvent::Alternative(alt) => self.alternative(alt, out),
            StreamEvent::Usage(u) => self
                .usage
                .get_or_insert_with(Usage::default)
                .merge((**u).clone()),
            StreamEvent::Finish(f) => self.finish = Some(f.kind),
            StreamEvent::Error(e) => {
                let err = ApiError {
                    status: 502,
                    kind: "api_error",
                    message: e.message.clone(),
                    retry_after: None,
                };
                self.error(&err, out);
            }
            _ => {}
        }
    }

    fn finish(&mut self, out: &mut Vec<u8>) {
        if self.done {
            return;
        }
        self.done = true;
        self.start(out);
        for slot in 0..self.calls.len() {
            if !self.calls[slot].opened {
                self.open_call(slot, out);
            }
        }
        let reason = finish_reason(self.finish, !self.calls.is_empty());
        self.write(
            &[ChunkChoice {
                index: 0,
                delta: Delta::default(),
                logprobs: None,
                finish_reason: Some(reason),
            }],
            out,
        );
        if self.include_usage {
            let chunk = Chunk {
                id: &self.id,
                object: "chat.completion.chunk",
                created: self.created,
                model: &self.model,
                choices: &[],
                usage: Some(self.usage.as_ref().and_then(wire_usage)),
            };
            frame(&chunk, out);
        }
        out.extend_from_slice(b"data: [DONE]\n\n");
    }

    fn error(&mut self, error: &ApiError, out: &mut Vec<u8>) {
        if self.done {
            return;
        }
        self.done = true;
        out.extend_from_slice(b"data: ");
        out.extend_from_slice(&super::encode_error(error));
        out.extend_from_slice(b"\n\n");
    }
}
