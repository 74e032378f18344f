//! Stream events: the increments a streamed answer arrives in, and the inverse
//! ([`response_to_events`]) for replaying a finished answer as a stream (mock, cache).

use super::citation::Citation;
use super::finish::FinishReason;
use super::part::{Part, ProviderItem, Reasoning, ToolCall};
use super::response::{Alternative, ChatResponse, ResponseError, Warning};
use super::usage::Usage;
use serde_json::Value;

/// One increment of a streamed answer. Fold them with [`crate::Collector`] to get the same
/// [`ChatResponse`] a non-streaming call returns.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use exllm::{ChatRequest, Client, Collector, Message, StreamEvent};
/// use futures_util::StreamExt;
/// let client = Client::builder().build().unwrap();
/// let req = ChatRequest::new("mock/echo", vec![Message::user("Hello there")]);
/// let mut stream = client.chat_stream(req).await.unwrap();
/// let mut collector = Collector::new();
/// while let Some(event) = stream.next().await {
///     let event = event.unwrap();
///     if let StreamEvent::TextDelta(text) = &event {
///         print!("{text}");
///     }
///     collector.push(event);
/// }
/// assert_eq!(collector.finish().text(), "Hello there");
/// # });
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum StreamEvent {
    /// The response's id and model, when known.
    Start {
        /// Provider response id.
        id: Option<String>,
        /// Model name.
        model: Option<String>,
    },
    /// Visible text.
    TextDelta(String),
    /// Reasoning text.
    ReasoningDelta(String),
    /// The current reasoning block is complete; carries what must be sent back with it
    /// (signature, encrypted content, item id). With no open block, it is a block of its own.
    ReasoningDone {
        /// Signature of the block.
        signature: Option<String>,
        /// Opaque reasoning content.
        encrypted: Option<String>,
        /// Provider item id.
        id: Option<String>,
    },
    /// Refusal text.
    RefusalDelta(String),
    /// A tool call begins (or, repeated for the same `index`, fills in an id or name that was
    /// empty so far).
    ToolCallStart {
        /// Identifies the call within this stream.
        index: u32,
        /// Provider call id (may be empty; one is made up at the end if it stays empty).
        id: String,
        /// Tool name.
        name: String,
    },
    /// A fragment of a tool call's JSON arguments.
    ToolCallDelta {
        /// The call's index.
        index: u32,
        /// The fragment.
        arguments: String,
    },
    /// A tool call's arguments are complete.
    ToolCallEnd {
        /// The call's index.
        index: u32,
    },
    /// A whole tool call at once (providers that do not stream arguments).
    ToolCall(ToolCall),
    /// A source the answer cites; the collector keeps one per url (the first title wins).
    Citation(Citation),
    /// Another choice (`n` > 1), whole: decoders fold each one's increments themselves.
    Alternative(Alternative),
    /// The service tier that served the request.
    ServiceTier(String),
    /// A provider-run item, whole.
    ProviderItem(ProviderItem),
    /// A whole media part of the answer: an image the model drew (Gemini `inlineData`, a
    /// `fileData` reference), or audio it answered with, at once.
    Media(Part),
    /// A piece of a streamed audio answer (OpenAI `delta.audio`): `data` a base64 piece,
    /// `transcript` a text piece, `id` and `expires_at` when sent. Pieces join into one
    /// [`Part::Audio`] until another part starts.
    AudioDelta(super::AudioPart),
    /// Usage so far; the last report of each field counts. Boxed because it is the largest
    /// payload and arrives once a stream, while every text delta moves an event by value
    /// through several stream layers (build it with [`StreamEvent::usage`]).
    Usage(Box<Usage>),
    /// Why the answer ended.
    Finish(FinishReason),
    /// Provider metadata: sets `key` (a later value replaces an earlier one).
    Metadata {
        /// Metadata key.
        key: String,
        /// Value.
        value: Value,
    },
    /// How a routed call went so far (a router's stream starts with it and sends it again when
    /// the route changes); the collector keeps the last one as [`ChatResponse::route`]. Boxed:
    /// it is sent once or twice a stream.
    Route(Box<super::Route>),
    /// A notice about the request.
    Warning(Warning),
    /// The provider reported an error inside the stream; the answer ends with finish `error`.
    Error(ResponseError),
}

impl StreamEvent {
    /// A [`StreamEvent::Usage`] event.
    pub fn usage(usage: Usage) -> Self {
        StreamEvent::Usage(Box::new(usage))
    }
}

/// Replays a finished response as stream events (text split at word boundaries), so that
/// collecting them gives the response back.
pub fn response_to_events(resp: &ChatResponse) -> Vec<StreamEvent> {
    let mut out = vec![StreamEvent::Start {
        id: resp.id.clone(),
        model: resp.model.clone(),
    }];
    out.extend(resp.warnings.iter().cloned().map(StreamEvent::Warning));
    let mut tool_index = 0u32;
    for part in &resp.content {
        match part {
            Part::Text { text } => out.extend(
                text.split_inclusive(' ')
                    .map(|w| StreamEvent::TextDelta(w.to_owned())),
            ),
            Part::Reasoning(Reasoning {
                text,
                signature,
                encrypted,
                id,
            }) => {
                if !text.is_empty() {
                    out.push(StreamEvent::ReasoningDelta(text.clone()));
                }
                out.push(StreamEvent::ReasoningDone {
                    signature: signature.clone(),
                    encrypted: encrypted.clone(),
                    id: id.clone(),
                });
            }
            Part::Refusal { text } => out.push(StreamEvent::RefusalDelta(text.clone())),
            Part::ToolCall(call) if call.provider_meta.is_none() => {
                out.push(StreamEvent::ToolCallStart {
                    index: tool_index,
                    id: call.id.clone(),
                    name: call.name.clone(),
                });
                out.push(StreamEvent::ToolCallDelta {
                    index: tool_index,
                    arguments: call.arguments_text(),
                });
                out.push(StreamEvent::ToolCallEnd { index: tool_index });
                tool_index += 1;
            }
            Part::ToolCall(call) => out.push(StreamEvent::ToolCall(call.clone())),
            Part::ProviderItem(item) => out.push(StreamEvent::ProviderItem(item.clone())),
            Part::Image { .. } | Part::File { .. } | Part::Audio(_) => {
                out.push(StreamEvent::Media(part.clone()))
            }
            // Parts that only occur in requests are carried as whole items.
            other => out.push(StreamEvent::Metadata {
                key: "unexpected_part".into(),
                value: serde_json::to_value(other).unwrap_or(Value::Null),
            }),
        }
    }
    out.extend(resp.citations.iter().cloned().map(StreamEvent::Citation));
    out.extend(
        resp.alternatives
            .iter()
            .cloned()
            .map(StreamEvent::Alternative),
    );
    out.extend(resp.service_tier.clone().map(StreamEvent::ServiceTier));
    if let Some(route) = &resp.route {
        out.push(StreamEvent::Route(Box::new(route.clone())));
    }
    for (key, value) in &resp.provider_meta {
        out.push(StreamEvent::Metadata {
            key: key.clone(),
            value: value.clone(),
        });
    }
    if let Some(u) = &resp.usage {
        out.push(StreamEvent::usage(u.clone()));
    }
    if let Some(e) = &resp.error {
        out.push(StreamEvent::Error(e.clone()));
    }
    if let Some(f) = &resp.finish {
        out.push(StreamEvent::Finish(f.clone()));
    }
    out
}
