//! Helpers shared by the codec unit tests (`<codec>/tests.rs`): a codec bound to the model and
//! endpoint its tests encode for, builders of endpoints and of stream frames, and readers of
//! what the codecs produce. Nothing here asserts: the tests do.

use crate::error::Result;
use crate::provider::{Auth, Codec, Encoded, Endpoint};
use crate::types::{
    ChatRequest, ChatResponse, FinishKind, Message, Part, Secret, StreamEvent, ToolCall, Warning,
};
use crate::wire::Frame;
use crate::Collector;
use bytes::Bytes;
use serde_json::Value;
use std::fmt::Display;

/// The streamed and the whole-body fixture of one answer, `fixtures/{name}.{ext}` and
/// `fixtures/{name}.json` next to the test file that names them.
macro_rules! fixture_pair {
    ($name:literal, $ext:literal) => {
        (
            include_str!(concat!("fixtures/", $name, ".", $ext)),
            include_str!(concat!("fixtures/", $name, ".json")),
        )
    };
}
pub(crate) use fixture_pair;

// ---------------------------------------------------------------------------------------------
// The codec under test
// ---------------------------------------------------------------------------------------------

/// An encoded request as tests read it: the HTTP request, its JSON body and the warnings.
pub(crate) type Sent = (http::Request<Bytes>, Value, Vec<Warning>);

/// A codec with the model and endpoint its tests encode for. Its helpers unwrap: a request that
/// does not encode or a body that does not decode fails the test.
#[derive(Clone, Copy)]
pub(crate) struct TestCodec {
    codec: &'static dyn Codec,
    model: &'static str,
    endpoint: fn() -> Endpoint,
}

impl TestCodec {
    pub(crate) const fn new(
        codec: &'static dyn Codec,
        model: &'static str,
        endpoint: fn() -> Endpoint,
    ) -> Self {
        TestCodec {
            codec,
            model,
            endpoint,
        }
    }

    /// A request for `messages` to `{provider}/{model}`.
    pub(crate) fn req(&self, messages: Vec<Message>) -> ChatRequest {
        let provider = (self.endpoint)().provider;
        ChatRequest::new(format!("{provider}/{}", self.model), messages)
    }

    /// A request that says only "Hi".
    pub(crate) fn hi(&self) -> ChatRequest {
        self.req(vec![Message::user("Hi")])
    }

    /// Encodes `req` for `model` to `ep`; the request must encode.
    fn encoded(&self, req: &ChatRequest, model: &str, ep: &Endpoint, stream: bool) -> Encoded {
        let enc = self.codec.encode(req, model, ep, stream);
        enc.expect("the request encodes")
    }

    /// Encodes `req` for the test model to the test endpoint.
    pub(crate) fn encode_with(&self, req: &ChatRequest, stream: bool) -> Sent {
        split(self.encoded(req, self.model, &(self.endpoint)(), stream))
    }

    /// Encodes `req` for another model, to the test endpoint.
    pub(crate) fn encode_model(&self, req: &ChatRequest, model: &str, stream: bool) -> Sent {
        split(self.encoded(req, model, &(self.endpoint)(), stream))
    }

    /// Encodes `req` for the test model, to another endpoint.
    pub(crate) fn encode_to(&self, req: &ChatRequest, ep: &Endpoint, stream: bool) -> Sent {
        split(self.encoded(req, self.model, ep, stream))
    }

    /// The JSON body of the non-streaming request for `req`.
    pub(crate) fn body_of(&self, req: &ChatRequest) -> Value {
        self.encode_with(req, false).1
    }

    /// Decodes a whole response body.
    pub(crate) fn decode(&self, body: &str) -> ChatResponse {
        self.codec
            .decode(body.as_bytes())
            .expect("the body decodes")
    }

    /// Feeds `frames` through a fresh stream decoder: the events, and the outcome of the first
    /// failing call (or of `finish`, when none fails).
    pub(crate) fn stream_events<F: AsFrame>(&self, frames: &[F]) -> (Vec<StreamEvent>, Result<()>) {
        let mut dec = self.codec.stream_decoder();
        let mut events = Vec::new();
        for frame in frames {
            if let Err(e) = dec.decode(frame.as_frame(), &mut events) {
                return (events, Err(e));
            }
        }
        let end = dec.finish(&mut events);
        (events, end)
    }

    /// The response a stream of `frames` collects into; the stream must end cleanly.
    pub(crate) fn stream<F: AsFrame>(&self, frames: &[F]) -> ChatResponse {
        let (events, end) = self.stream_events(frames);
        end.expect("the stream ends cleanly");
        collect(events)
    }
}

/// The HTTP request, JSON body and warnings of an encoded request.
pub(crate) fn split(enc: Encoded) -> Sent {
    let body: Value = serde_json::from_slice(enc.request.body()).expect("the body is JSON");
    (enc.request, body, enc.warnings)
}

// ---------------------------------------------------------------------------------------------
// Endpoints
// ---------------------------------------------------------------------------------------------

/// An endpoint sending `key` as `Authorization: Bearer`.
pub(crate) fn bearer(provider: &str, base_url: &str, key: &str) -> Endpoint {
    let mut ep = Endpoint::new(provider, base_url);
    ep.auth = Auth::Bearer(Secret::new(key));
    ep
}

/// An endpoint sending `key` in the header `name`.
pub(crate) fn header_key(provider: &str, base_url: &str, name: &str, key: &str) -> Endpoint {
    let mut ep = Endpoint::new(provider, base_url);
    ep.auth = Auth::Header {
        name: name.into(),
        value: Secret::new(key),
    };
    ep
}

// ---------------------------------------------------------------------------------------------
// Stream frames
// ---------------------------------------------------------------------------------------------

/// One stream frame as a test holds it: `(event, data)`, or bare data with no event name.
pub(crate) trait AsFrame {
    /// The frame a decoder is given.
    fn as_frame(&self) -> Frame<'_>;
}

impl AsFrame for (String, String) {
    fn as_frame(&self) -> Frame<'_> {
        Frame {
            event: &self.0,
            data: self.1.as_bytes(),
        }
    }
}

impl AsFrame for String {
    fn as_frame(&self) -> Frame<'_> {
        Frame {
            event: "",
            data: self.as_bytes(),
        }
    }
}

/// Splits an SSE text into `(event, data)` frames the way the transport's framer does.
pub(crate) fn sse(text: &str) -> Vec<(String, String)> {
    let mut frames = Vec::new();
    for block in text.split("\n\n") {
        let mut event = String::new();
        let mut data = Vec::new();
        for line in block.lines() {
            if let Some(v) = line.strip_prefix("event:") {
                event = v.trim().to_owned();
            } else if let Some(v) = line.strip_prefix("data:") {
                data.push(v.strip_prefix(' ').unwrap_or(v));
            }
        }
        if !data.is_empty() {
            frames.push((event, data.join("\n")));
        }
    }
    frames
}

/// The `data` payloads of an SSE text, one per event, without event names.
pub(crate) fn sse_data(text: &str) -> Vec<String> {
    sse(text).into_iter().map(|(_, data)| data).collect()
}

/// Frames from event payloads; the SSE event name is taken from the payload's `type`.
pub(crate) fn typed_frames(data: &[&str]) -> Vec<(String, String)> {
    data.iter()
        .map(|d| {
            let event = serde_json::from_str::<Value>(d)
                .ok()
                .and_then(|v| v["type"].as_str().map(str::to_owned))
                .unwrap_or_default();
            (event, (*d).to_owned())
        })
        .collect()
}

/// Data-only frames: JSON values, or raw strings like `[DONE]`.
pub(crate) fn data_frames<T: Display>(data: &[T]) -> Vec<(String, String)> {
    data.iter()
        .map(|d| (String::new(), d.to_string()))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Readers
// ---------------------------------------------------------------------------------------------

/// The response stream events collect into.
pub(crate) fn collect(events: Vec<StreamEvent>) -> ChatResponse {
    Collector::collect(events)
}

/// The settings warnings name, in the order they were given.
pub(crate) fn settings(warnings: &[Warning]) -> Vec<&str> {
    warnings
        .iter()
        .filter_map(|w| w.setting.as_deref())
        .collect()
}

/// The settings warnings name, sorted.
pub(crate) fn sorted_settings(warnings: &[Warning]) -> Vec<&str> {
    let mut names = settings(warnings);
    names.sort_unstable();
    names
}

/// A caller tool call part, as decoders produce them.
pub(crate) fn call(id: &str, name: &str, arguments: Value) -> Part {
    Part::ToolCall(ToolCall {
        id: id.into(),
        name: name.into(),
        arguments,
        provider_meta: None,
    })
}

/// The finish kind and the provider's raw reason of a response that has one.
pub(crate) fn finish_of(r: &ChatResponse) -> (FinishKind, Option<&str>) {
    let f = r.finish.as_ref().expect("a finish reason");
    (f.kind, f.raw.as_deref())
}
