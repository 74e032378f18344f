//! The collector folds stream events into a [`ChatResponse`]. Non-streaming decoders build
//! their responses through it too, so a streamed and a non-streamed answer are equal by
//! construction: adjacent text merges, tool-call fragments assemble by index, ids are made up
//! where the provider sent none, cited sources are kept one per url, and `stop` with tool calls
//! becomes `tool_calls`.

use crate::types::{
    ChatResponse, Citation, FinishKind, FinishReason, Part, Reasoning, StreamEvent, ToolCall,
};

/// Folds [`StreamEvent`]s into a [`ChatResponse`].
///
/// ```
/// use exllm::{Collector, StreamEvent};
/// let mut c = Collector::default();
/// c.push(StreamEvent::TextDelta("Hel".into()));
/// c.push(StreamEvent::TextDelta("lo".into()));
/// assert_eq!(c.finish().text(), "Hello");
/// ```
#[derive(Debug, Default, Clone)]
pub struct Collector {
    resp: ChatResponse,
    /// Open tool calls: stream index, position in `content`, argument text so far.
    calls: Vec<OpenCall>,
    /// Whether the last reasoning part is still open for deltas.
    reasoning_open: bool,
    events: usize,
    /// Bytes of text, reasoning, refusal and argument deltas folded in so far.
    bytes: usize,
    /// A streamed audio answer still taking pieces.
    audio: Option<OpenAudio>,
}

/// Streamed audio: where its part is, the bytes decoded so far, and base64 text not yet
/// decodable (a piece may end inside a 4-character group).
#[derive(Debug, Clone, Default)]
struct OpenAudio {
    part: usize,
    bytes: Vec<u8>,
    pending: String,
    /// A piece was not base64: the data is kept as the text sent.
    raw: bool,
}

#[derive(Debug, Clone)]
struct OpenCall {
    index: u32,
    part: usize,
    args: String,
}

impl Collector {
    /// A collector seeded with a response's fields (used by decoders for id/model).
    pub fn new() -> Self {
        Self::default()
    }

    /// How many events were pushed so far.
    pub fn event_count(&self) -> usize {
        self.events
    }

    /// Whether anything that is part of the answer (content, usage, finish) has arrived.
    pub fn has_content(&self) -> bool {
        !self.resp.content.is_empty() || self.resp.usage.is_some() || self.resp.finish.is_some()
    }

    /// The usage reported so far (without collecting the response).
    pub fn usage(&self) -> Option<&crate::types::Usage> {
        self.resp.usage.as_ref()
    }

    /// Bytes of text, reasoning, refusals and tool-call arguments collected so far (what
    /// grows with the answer; other events are small).
    pub fn collected_bytes(&self) -> usize {
        self.bytes
    }

    /// Folds one event in.
    pub fn push(&mut self, event: StreamEvent) {
        self.events += 1;
        self.bytes += delta_len(&event);
        match event {
            StreamEvent::Start { id, model } => {
                if id.is_some() {
                    self.resp.id = id;
                }
                if model.is_some() {
                    self.resp.model = model;
                }
            }
            StreamEvent::TextDelta(t) => {
                self.reasoning_open = false;
                if let Some(Part::Text { text }) = self.resp.content.last_mut() {
                    text.push_str(&t);
                } else if !t.is_empty() {
                    self.resp.content.push(Part::Text { text: t });
                }
            }
            StreamEvent::RefusalDelta(t) => {
                self.reasoning_open = false;
                if let Some(Part::Refusal { text }) = self.resp.content.last_mut() {
                    text.push_str(&t);
                } else {
                    self.resp.content.push(Part::Refusal { text: t });
                }
            }
            StreamEvent::ReasoningDelta(t) => {
                if let (true, Some(Part::Reasoning(r))) =
                    (self.reasoning_open, self.resp.content.last_mut())
                {
                    r.text.push_str(&t);
                } else {
                    self.resp.content.push(Part::Reasoning(Reasoning {
                        text: t,
                        ..Default::default()
                    }));
                    self.reasoning_open = true;
                }
            }
            StreamEvent::ReasoningDone {
                signature,
                encrypted,
                id,
            } => {
                let open = self.reasoning_open
                    && matches!(self.resp.content.last(), Some(Part::Reasoning(_)));
                if !open {
                    self.resp
                        .content
                        .push(Part::Reasoning(Reasoning::default()));
                }
                if let Some(Part::Reasoning(r)) = self.resp.content.last_mut() {
                    if signature.is_some() {
                        r.signature = signature;
                    }
                    if encrypted.is_some() {
                        r.encrypted = encrypted;
                    }
                    if id.is_some() {
                        r.id = id;
                    }
                }
                self.reasoning_open = false;
            }
            StreamEvent::ToolCallStart { index, id, name } => {
                self.reasoning_open = false;
                let part = self.open_call(index);
                if let Part::ToolCall(c) = &mut self.resp.content[part] {
                    if c.id.is_empty() {
                        c.id = id;
                    }
                    if c.name.is_empty() {
                        c.name = name;
                    }
                }
            }
            StreamEvent::ToolCallDelta { index, arguments } => {
                self.open_call(index);
                if let Some(c) = self.calls.iter_mut().find(|c| c.index == index) {
                    c.args.push_str(&arguments);
                }
            }
            StreamEvent::ToolCallEnd { index } => {
                if let Some(pos) = self.calls.iter().position(|c| c.index == index) {
                    let call = self.calls.remove(pos);
                    self.close_call(call);
                }
            }
            StreamEvent::ToolCall(call) => {
                self.reasoning_open = false;
                self.resp.content.push(Part::ToolCall(call));
            }
            StreamEvent::ProviderItem(item) => {
                self.reasoning_open = false;
                self.resp.content.push(Part::ProviderItem(item));
            }
            StreamEvent::Media(part) => {
                self.reasoning_open = false;
                self.resp.content.push(part);
            }
            StreamEvent::AudioDelta(piece) => {
                self.reasoning_open = false;
                self.audio_piece(piece);
            }
            StreamEvent::Citation(cite) => Citation::add_to(&mut self.resp.citations, cite),
            StreamEvent::Alternative(a) => self.resp.alternatives.push(a),
            StreamEvent::ServiceTier(t) => self.resp.service_tier = Some(t),
            StreamEvent::Usage(u) => match &mut self.resp.usage {
                Some(old) => old.merge(*u),
                None => self.resp.usage = Some(*u),
            },
            StreamEvent::Finish(f) => self.resp.finish = Some(f),
            StreamEvent::Metadata { key, value } => {
                // A routed stream announces its route as metadata: it has its own field.
                match (key == crate::types::ROUTE_KEY)
                    .then(|| serde_json::from_value(value.clone()).ok())
                    .flatten()
                {
                    Some(route) => self.resp.route = Some(route),
                    None => {
                        self.resp.provider_meta.insert(key, value);
                    }
                }
            }
            StreamEvent::Route(r) => self.resp.route = Some(*r),
            StreamEvent::Warning(w) => self.resp.warnings.push(w),
            StreamEvent::Error(e) => {
                self.resp.finish = Some(FinishReason {
                    kind: FinishKind::Error,
                    raw: e.code.clone(),
                });
                self.resp.error = Some(e);
            }
        }
    }

    /// The response a whole sequence of events collects into (a decoder that reads a whole
    /// body as its stream events, a test, a benchmark).
    pub fn collect(events: impl IntoIterator<Item = StreamEvent>) -> ChatResponse {
        let mut c = Collector::new();
        events.into_iter().for_each(|e| c.push(e));
        c.finish()
    }

    /// Adds an event the caller keeps (a layer that watches a stream it passes on): text and
    /// argument fragments are appended from the borrow; only other events are cloned.
    pub fn push_ref(&mut self, event: &StreamEvent) {
        match event {
            StreamEvent::TextDelta(t)
                if matches!(self.resp.content.last(), Some(Part::Text { .. })) =>
            {
                self.events += 1;
                self.bytes += t.len();
                self.reasoning_open = false;
                if let Some(Part::Text { text }) = self.resp.content.last_mut() {
                    text.push_str(t);
                }
            }
            StreamEvent::ReasoningDelta(t)
                if self.reasoning_open
                    && matches!(self.resp.content.last(), Some(Part::Reasoning(_))) =>
            {
                self.events += 1;
                self.bytes += t.len();
                if let Some(Part::Reasoning(r)) = self.resp.content.last_mut() {
                    r.text.push_str(t);
                }
            }
            StreamEvent::ToolCallDelta { index, arguments }
                if self.calls.iter().any(|c| c.index == *index) =>
            {
                self.events += 1;
                self.bytes += arguments.len();
                if let Some(c) = self.calls.iter_mut().find(|c| c.index == *index) {
                    c.args.push_str(arguments);
                }
            }
            other => self.push(other.clone()),
        }
    }

    /// The response so far, as [`Collector::finish`] would give it, without consuming.
    pub fn snapshot(&self) -> ChatResponse {
        self.clone().finish()
    }

    /// Ends the stream: closes open tool calls, makes up missing call ids, and turns `stop`
    /// into `tool_calls` when the answer carries tool calls.
    pub fn finish(mut self) -> ChatResponse {
        for call in std::mem::take(&mut self.calls) {
            self.close_call(call);
        }
        self.close_audio();
        let mut n = 0usize;
        let mut has_calls = false;
        for part in &mut self.resp.content {
            if let Part::ToolCall(c) = part {
                has_calls = true;
                if c.id.is_empty() {
                    c.id = format!("call_{n}");
                }
                n += 1;
            }
        }
        if has_calls {
            if let Some(f) = &mut self.resp.finish {
                if f.kind == FinishKind::Stop {
                    f.kind = FinishKind::ToolCalls;
                }
            }
        }
        self.resp
    }

    /// Adds a piece of streamed audio to the open audio part (opening one unless the last
    /// part is it).
    fn audio_piece(&mut self, piece: crate::types::AudioPart) {
        let open = self
            .audio
            .as_ref()
            .is_some_and(|a| a.part + 1 == self.resp.content.len());
        if !open {
            self.close_audio();
            self.audio = Some(OpenAudio {
                part: self.resp.content.len(),
                ..Default::default()
            });
            self.resp
                .content
                .push(Part::Audio(crate::types::AudioPart::default()));
        }
        let Some(a) = self.audio.as_mut() else { return };
        let Some(Part::Audio(p)) = self.resp.content.get_mut(a.part) else {
            return;
        };
        if piece.id.is_some() {
            p.id = piece.id;
        }
        if piece.expires_at.is_some() {
            p.expires_at = piece.expires_at;
        }
        if piece.format.is_some() {
            p.format = piece.format;
        }
        if let Some(t) = piece.transcript {
            p.transcript.get_or_insert_with(String::new).push_str(&t);
        }
        a.pending.push_str(piece.data.trim());
        if a.raw || a.pending.len() % 4 == 0 {
            a.settle(p);
        }
    }

    /// Ends the open audio part: its data is the decoded pieces, base64-encoded once.
    fn close_audio(&mut self) {
        let Some(mut a) = self.audio.take() else {
            return;
        };
        if let Some(Part::Audio(p)) = self.resp.content.get_mut(a.part) {
            a.settle(p);
            if !a.raw {
                p.data = crate::media::base64::encode(&a.bytes);
            }
        }
    }

    fn open_call(&mut self, index: u32) -> usize {
        if let Some(c) = self.calls.iter().find(|c| c.index == index) {
            return c.part;
        }
        let part = self.resp.content.len();
        self.resp.content.push(Part::ToolCall(ToolCall::default()));
        self.calls.push(OpenCall {
            index,
            part,
            args: String::new(),
        });
        part
    }

    fn close_call(&mut self, call: OpenCall) {
        if let Some(Part::ToolCall(c)) = self.resp.content.get_mut(call.part) {
            c.arguments = ToolCall::parse_arguments(&call.args);
        }
    }
}

/// The size an event adds to the answer.
impl OpenAudio {
    /// Decodes the pending base64. Once a piece is not base64, the part keeps the data as
    /// sent: what was decoded so far re-encoded, then every piece as it came.
    fn settle(&mut self, p: &mut crate::types::AudioPart) {
        if self.pending.is_empty() {
            return;
        }
        if !self.raw {
            if let Some(b) = crate::media::base64::decode(&self.pending) {
                self.bytes.extend(b);
                self.pending.clear();
                return;
            }
            self.raw = true;
            p.data = crate::media::base64::encode(&std::mem::take(&mut self.bytes));
        }
        p.data.push_str(&std::mem::take(&mut self.pending));
    }
}

fn delta_len(event: &StreamEvent) -> usize {
    match event {
        StreamEvent::TextDelta(t)
        | StreamEvent::ReasoningDelta(t)
        | StreamEvent::RefusalDelta(t) => t.len(),
        StreamEvent::ToolCallDelta { arguments, .. } => arguments.len(),
        StreamEvent::ToolCall(c) => c.arguments.to_string().len(),
        StreamEvent::AudioDelta(a) => a.data.len(),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{response_to_events, Alternative, ProviderItem, Usage};
    use serde_json::json;

    fn sample() -> ChatResponse {
        ChatResponse {
            id: Some("r1".into()),
            model: Some("m".into()),
            content: vec![
                Part::Reasoning(Reasoning {
                    text: "think".into(),
                    signature: Some("sig".into()),
                    ..Default::default()
                }),
                Part::text("Hello there world"),
                Part::ToolCall(ToolCall {
                    id: "c1".into(),
                    name: "f".into(),
                    arguments: json!({"a": [1, 2]}),
                    provider_meta: None,
                }),
                Part::ProviderItem(ProviderItem {
                    api: "x".into(),
                    item_type: "web".into(),
                    raw: json!({"type": "web"}),
                }),
            ],
            finish: Some(FinishReason::new(FinishKind::ToolCalls, "tool_use")),
            usage: Some(Usage {
                input_tokens: Some(3),
                output_tokens: Some(4),
                ..Default::default()
            }),
            alternatives: vec![Alternative {
                index: 1,
                content: vec![Part::text("Other")],
                finish: Some(FinishReason::new(FinishKind::Length, "length")),
            }],
            service_tier: Some("flex".into()),
            citations: vec![
                Citation::new("https://a", Some("A".into())),
                Citation::new("https://b", None),
            ],
            provider_meta: [("citations".to_string(), json!(["u"]))]
                .into_iter()
                .collect(),
            ..Default::default()
        }
    }

    #[test]
    fn replaying_a_response_collects_it_back() {
        let resp = sample();
        let mut c = Collector::new();
        for e in response_to_events(&resp) {
            c.push(e);
        }
        assert_eq!(c.finish(), resp);
    }

    #[test]
    fn push_ref_collects_what_push_does() {
        let d = |t: &str| StreamEvent::TextDelta(t.into());
        let r = |t: &str| StreamEvent::ReasoningDelta(t.into());
        let a = |i: u32, t: &str| StreamEvent::ToolCallDelta {
            index: i,
            arguments: t.into(),
        };
        let events = vec![
            r("th"),
            r("ink"),
            d("Hel"),
            d("lo"),
            r("again"),
            d(" there"),
            StreamEvent::ToolCallStart {
                index: 0,
                id: "c".into(),
                name: "f".into(),
            },
            a(0, "{\"a\":"),
            a(1, "{}"),
            a(0, "1}"),
            StreamEvent::RefusalDelta("no".into()),
            d("tail"),
        ];
        let (mut by_value, mut by_ref) = (Collector::new(), Collector::new());
        for e in events {
            by_ref.push_ref(&e);
            by_value.push(e);
        }
        assert_eq!(by_ref.event_count(), by_value.event_count());
        assert_eq!(by_ref.finish(), by_value.finish());
    }

    #[test]
    fn fragments_merge_by_index_and_missing_ids_are_made_up() {
        let mut c = Collector::new();
        c.push(StreamEvent::ToolCallStart {
            index: 1,
            id: String::new(),
            name: "a".into(),
        });
        c.push(StreamEvent::ToolCallDelta {
            index: 1,
            arguments: "{\"x\":".into(),
        });
        c.push(StreamEvent::ToolCallDelta {
            index: 2,
            arguments: "{}".into(),
        });
        c.push(StreamEvent::ToolCallStart {
            index: 2,
            id: "id2".into(),
            name: "b".into(),
        });
        c.push(StreamEvent::ToolCallDelta {
            index: 1,
            arguments: "1}".into(),
        });
        c.push(StreamEvent::Finish(FinishReason::new(
            FinishKind::Stop,
            "stop",
        )));
        let r = c.finish();
        let calls = r.tool_calls();
        assert_eq!(calls.len(), 2);
        assert_eq!(calls[0].arguments, json!({"x": 1}));
        assert_eq!(calls[0].id, "call_0");
        assert_eq!(calls[1].id, "id2");
        assert_eq!(calls[1].name, "b");
        assert_eq!(r.finish_kind(), Some(FinishKind::ToolCalls));
        assert_eq!(r.finish.unwrap().raw.as_deref(), Some("stop"));
    }

    #[test]
    fn separate_reasoning_blocks_stay_separate() {
        let mut c = Collector::new();
        c.push(StreamEvent::ReasoningDelta("a".into()));
        c.push(StreamEvent::ReasoningDone {
            signature: Some("s1".into()),
            encrypted: None,
            id: None,
        });
        c.push(StreamEvent::ReasoningDelta("b".into()));
        let r = c.finish();
        assert_eq!(r.content.len(), 2);
        assert_eq!(r.reasoning_text(), "ab");
    }
}
