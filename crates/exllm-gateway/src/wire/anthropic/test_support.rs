//! What the format tests share: the library's client-side codecs as the other end of every
//! round trip (encode a request with them, decode our answers and streams with them), the
//! recorded cases of the conformance kit as inputs, and a summary of an answer that two
//! decodings of the same answer must agree on. Nothing here asserts beyond unwrapping.

use crate::wire::StreamEncoder;
use exllm::provider::{Codec, Endpoint};
use exllm::wire::{Frame, Framer, SseFramer};
use exllm::{ChatRequest, ChatResponse, Collector, FinishKind, Part, StreamEvent};
use serde_json::Value;
use std::path::PathBuf;

/// The body the library's `codec` sends for `req` (to a backend model named `m`).
pub(crate) fn library_body(codec: &dyn Codec, req: &ChatRequest) -> Vec<u8> {
    let ep = Endpoint::new("test", "http://127.0.0.1:1");
    let enc = codec
        .encode(req, "m", &ep, false)
        .expect("the library encodes the request");
    enc.request.body().to_vec()
}

/// The frames of an SSE body, as (event name, data).
pub(crate) fn sse_frames(body: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut frames = Vec::new();
    let mut framer = SseFramer::default();
    let mut sink = |f: Frame<'_>| {
        frames.push((f.event.to_owned(), f.data.to_vec()));
        Ok(())
    };
    framer.feed(body, &mut sink).expect("the SSE body frames");
    framer.finish(&mut sink).expect("the SSE body ends");
    frames
}

/// The events the library's stream decoder gives for `frames`, and whether the stream ended
/// the way a complete one does.
pub(crate) fn decode_frames(
    codec: &dyn Codec,
    frames: &[(String, Vec<u8>)],
) -> (Vec<StreamEvent>, bool) {
    let mut decoder = codec.stream_decoder();
    let mut events = Vec::new();
    for (event, data) in frames {
        let frame = Frame { event, data };
        if decoder.decode(frame, &mut events).is_err() {
            return (events, false);
        }
    }
    let complete = decoder.finish(&mut events).is_ok();
    (events, complete)
}

/// The answer the library decodes from an SSE body of ours, and whether it was complete.
pub(crate) fn decode_sse(codec: &dyn Codec, body: &[u8]) -> (ChatResponse, bool) {
    let (events, complete) = decode_frames(codec, &sse_frames(body));
    (Collector::collect(events), complete)
}

/// Runs `events` through one of our stream encoders; `complete` chooses `finish` or `error`.
pub(crate) fn encode_stream(
    mut enc: Box<dyn StreamEncoder>,
    events: &[StreamEvent],
    complete: bool,
) -> Vec<u8> {
    let mut out = Vec::new();
    for e in events {
        enc.event(e, &mut out);
    }
    if complete {
        enc.finish(&mut out);
    } else {
        let error = crate::wire::ApiError {
            status: 502,
            kind: "api_error",
            message: "the backend stream broke".into(),
            retry_after: None,
        };
        enc.error(&error, &mut out);
    }
    out
}

/// One recorded chat case of the conformance kit.
pub(crate) struct Case {
    pub(crate) name: String,
    pub(crate) stream: bool,
    pub(crate) body: Vec<u8>,
}

impl Case {
    /// The stream's frames: one JSON event per line of a `.chunks.txt` fixture (its `type`
    /// as the event name), or a raw `.sse` body.
    pub(crate) fn frames(&self) -> Vec<(String, Vec<u8>)> {
        if self.body.starts_with(b"event:") || self.body.starts_with(b"data:") {
            return sse_frames(&self.body);
        }
        self.body
            .split(|b| *b == b'\n')
            .filter(|l| !l.iter().all(u8::is_ascii_whitespace))
            .map(|l| {
                let kind = serde_json::from_slice::<Value>(l)
                    .ok()
                    .and_then(|v| v.get("type").and_then(Value::as_str).map(str::to_owned))
                    .unwrap_or_default();
                (kind, l.to_vec())
            })
            .collect()
    }

    /// The answer as the library decodes the recording: its events (a whole body replayed as
    /// events) and whether the recorded stream was complete.
    pub(crate) fn library_events(&self, codec: &dyn Codec) -> (Vec<StreamEvent>, bool) {
        if self.stream {
            decode_frames(codec, &self.frames())
        } else {
            let resp = codec
                .decode(&self.body)
                .expect("the library decodes the recording");
            (exllm::response_to_events(&resp), true)
        }
    }
}

/// The kit's recorded successful chat cases of one wire API (`anthropic`,
/// `openai-responses`), read from `../shared/conformance/cases` beside the repository.
pub(crate) fn cases(api: &str) -> Vec<Case> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance/cases");
    let mut out = Vec::new();
    let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries.flatten() {
        let Ok(text) = std::fs::read(entry.path().join("case.json")) else {
            continue;
        };
        let case: Value = serde_json::from_slice(&text).expect("case.json parses");
        if case["api"] != api || case["expect"].get("error").is_some() {
            continue;
        }
        let fixture = case["fixture"].as_str().unwrap_or_default();
        out.push(Case {
            name: entry.file_name().to_string_lossy().into_owned(),
            stream: case["stream"] == true,
            body: std::fs::read(entry.path().join(fixture)).expect("the fixture reads"),
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    assert!(out.len() > 10, "too few {api} cases in {}", dir.display());
    out
}

/// What two decodings of one answer must agree on.
#[derive(Debug, PartialEq)]
pub(crate) struct Summary {
    pub(crate) text: String,
    pub(crate) reasoning: String,
    /// (id, name, arguments) of each call.
    pub(crate) calls: Vec<(String, String, Value)>,
    /// Signatures of the reasoning parts that have one, in order (an empty one is none).
    pub(crate) signatures: Vec<String>,
    pub(crate) finish: Option<FinishKind>,
    /// input, output, cache read (unknown = 0: the formats cannot say unknown).
    pub(crate) usage: Option<(u64, u64, u64)>,
}

impl Summary {
    pub(crate) fn of(r: &ChatResponse) -> Self {
        let mut text = String::new();
        for p in &r.content {
            match p {
                Part::Text { text: t } | Part::Refusal { text: t } => text.push_str(t),
                _ => {}
            }
        }
        Summary {
            text,
            reasoning: r.reasoning_text(),
            calls: r
                .tool_calls()
                .into_iter()
                .map(|c| (c.id.clone(), c.name.clone(), c.arguments.clone()))
                .collect(),
            signatures: r
                .content
                .iter()
                .filter_map(|p| match p {
                    Part::Reasoning(x) => x.signature.clone().filter(|s| !s.is_empty()),
                    _ => None,
                })
                .collect(),
            finish: r.finish_kind(),
            usage: r.usage.as_ref().map(|u| {
                let n = |x: Option<u64>| x.unwrap_or(0);
                (
                    n(u.input_tokens),
                    n(u.output_tokens),
                    n(u.cache_read_tokens),
                )
            }),
        }
    }
}

/// What an answer made of [`event_sequences`] must decode to.
#[derive(Debug, Default)]
pub(crate) struct Expect {
    pub(crate) text: String,
    pub(crate) refusal: String,
    /// Text and refusal deltas in order (a format without refusals shows them as text).
    pub(crate) visible: String,
    pub(crate) reasoning: String,
    /// (id, name, arguments) in order of first appearance.
    pub(crate) calls: Vec<(String, String, Value)>,
}

/// Streams as backends send them, built from arbitrary steps: text, refusal and reasoning
/// deltas, reasoning ends, and up to three tool calls whose argument fragments (pieces of one
/// JSON object, none of them whole before the last) may interleave and whose end may never
/// be said (as Chat Completions backends do). A call gets no more fragments once something
/// else than a call was streamed, as no backend does that; calls without a name at first get
/// it in a second start.
pub(crate) fn event_sequences(
) -> impl proptest::strategy::Strategy<Value = (Vec<StreamEvent>, Expect)> {
    use proptest::prelude::*;
    proptest::collection::vec((0u8..7, 0u8..3), 0..40).prop_map(|steps| {
        let mut events = vec![StreamEvent::Start {
            id: None,
            model: None,
        }];
        let mut expect = Expect::default();
        // Per call: pieces sent so far (3 = all), whether it ended, whether closed for good.
        let mut sent = [0usize; 3];
        let mut open_for_more = [true; 3];
        let mut order: Vec<usize> = Vec::new();
        let pieces = |i: usize| {
            let whole = format!("{{\"k{i}\":[{i},\"x\"]}}");
            let (a, b) = (whole.len() / 3, 2 * whole.len() / 3);
            [
                whole[..a].to_owned(),
                whole[a..b].to_owned(),
                whole[b..].to_owned(),
            ]
        };
        for (n, (kind, arg)) in steps.into_iter().enumerate() {
            let i = arg as usize;
            match kind {
                0 | 1 => {
                    let t = format!("t{n} ");
                    events.push(StreamEvent::TextDelta(t.clone()));
                    expect.text.push_str(&t);
                    expect.visible.push_str(&t);
                }
                2 => {
                    let t = format!("r{n} ");
                    events.push(StreamEvent::ReasoningDelta(t.clone()));
                    expect.reasoning.push_str(&t);
                }
                3 => events.push(StreamEvent::ReasoningDone {
                    signature: Some(format!("s{n}")),
                    encrypted: None,
                    id: None,
                }),
                4 => {
                    let t = format!("no{n} ");
                    events.push(StreamEvent::RefusalDelta(t.clone()));
                    expect.refusal.push_str(&t);
                    expect.visible.push_str(&t);
                }
                _ if !open_for_more[i] => continue,
                _ => {
                    if !order.contains(&i) {
                        order.push(i);
                        // Half the calls name themselves only in a second start.
                        let named = n % 2 == 0;
                        let name = if named {
                            format!("f{i}")
                        } else {
                            String::new()
                        };
                        events.push(StreamEvent::ToolCallStart {
                            index: i as u32,
                            id: format!("call_{i}"),
                            name,
                        });
                        if !named {
                            events.push(StreamEvent::ToolCallStart {
                                index: i as u32,
                                id: String::new(),
                                name: format!("f{i}"),
                            });
                        }
                    }
                    if sent[i] < 3 {
                        events.push(StreamEvent::ToolCallDelta {
                            index: i as u32,
                            arguments: pieces(i)[sent[i]].clone(),
                        });
                        sent[i] += 1;
                    } else if kind == 6 {
                        events.push(StreamEvent::ToolCallEnd { index: i as u32 });
                        open_for_more[i] = false;
                    }
                    continue;
                }
            }
            // Something else was streamed: the calls so far get nothing more.
            for c in &order {
                open_for_more[*c] = false;
            }
        }
        for i in &order {
            let text: String = pieces(*i)[..sent[*i]].concat();
            expect.calls.push((
                format!("call_{i}"),
                format!("f{i}"),
                exllm::ToolCall::parse_arguments(&text),
            ));
        }
        events.push(StreamEvent::Finish(exllm::FinishReason::new(
            FinishKind::Stop,
            "stop",
        )));
        (events, expect)
    })
}
