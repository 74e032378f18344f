//! A provider for users' own tests: canned responses, a handler closure, simulated errors and
//! broken streams, streaming of any response, and capture of every request it received.

use super::{Backend, ChatStream};
use crate::error::{Error, Result};
use crate::types::{
    response_to_events, ChatResponse, FinishKind, FinishReason, Part, Role, ToolCall, Usage,
};
use futures_util::future::BoxFuture;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

type Handler = Arc<dyn Fn(&crate::types::ChatRequest) -> Result<ChatResponse> + Send + Sync>;

enum Reply {
    Response(ChatResponse),
    Error(Error),
    /// A stream that delivers `partial` and then fails with the error.
    BrokenStream(ChatResponse, Error),
}

#[derive(Default)]
struct State {
    queue: VecDeque<Reply>,
    handler: Option<Handler>,
    requests: Vec<crate::types::ChatRequest>,
}

/// A mock provider. Replies come from the queue first, then the handler, then an echo of the
/// last user message.
///
/// ```
/// # tokio_test_block_on(async {
/// use exllm::{ChatRequest, Client, Message, MockProvider};
/// use std::sync::Arc;
/// let mock = MockProvider::new().with_text("Hi there");
/// let client = Client::builder().provider("mock", Arc::new(mock.clone())).build().unwrap();
/// let resp = client.chat(ChatRequest::new("mock/any", vec![Message::user("Hello")])).await.unwrap();
/// assert_eq!(resp.text(), "Hi there");
/// assert_eq!(mock.requests()[0].model, "any");
/// # });
/// # fn tokio_test_block_on<F: std::future::Future>(f: F) -> F::Output {
/// #     tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(f)
/// # }
/// ```
#[derive(Clone, Default)]
pub struct MockProvider {
    state: Arc<Mutex<State>>,
}

impl MockProvider {
    /// A mock that echoes the last user message until told otherwise.
    pub fn new() -> Self {
        Self::default()
    }

    /// Same as [`MockProvider::new`]: the echo is the fallback reply.
    pub fn echo() -> Self {
        Self::default()
    }

    fn with(self, reply: Reply) -> Self {
        self.lock().queue.push_back(reply);
        self
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Queues a text answer.
    pub fn with_text(self, text: impl Into<String>) -> Self {
        self.with_response(Self::text_response(text))
    }

    /// Queues a response.
    pub fn with_response(self, resp: ChatResponse) -> Self {
        self.with(Reply::Response(resp))
    }

    /// Queues tool calls (`name`, JSON arguments) as the next answer.
    pub fn with_tool_calls(self, calls: Vec<(&str, serde_json::Value)>) -> Self {
        let content = calls
            .into_iter()
            .enumerate()
            .map(|(i, (name, arguments))| {
                Part::ToolCall(ToolCall {
                    id: format!("call_mock_{i}"),
                    name: name.to_owned(),
                    arguments,
                    provider_meta: None,
                })
            })
            .collect();
        self.with_response(ChatResponse {
            content,
            finish: Some(FinishReason::new(FinishKind::ToolCalls, "tool_calls")),
            ..Default::default()
        })
    }

    /// Queues an error.
    pub fn with_error(self, error: Error) -> Self {
        self.with(Reply::Error(error))
    }

    /// Queues a stream that delivers `partial` and then fails with `error` (for a non-streaming
    /// call, the error is returned with `partial` attached).
    pub fn with_broken_stream(self, partial: ChatResponse, error: Error) -> Self {
        self.with(Reply::BrokenStream(partial, error))
    }

    /// Answers with `handler` when the queue is empty.
    pub fn with_handler(
        self,
        handler: impl Fn(&crate::types::ChatRequest) -> Result<ChatResponse> + Send + Sync + 'static,
    ) -> Self {
        self.lock().handler = Some(Arc::new(handler));
        self
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<crate::types::ChatRequest> {
        self.lock().requests.clone()
    }

    /// Forgets queued replies, the handler and captured requests.
    pub fn reset(&self) {
        *self.lock() = State::default();
    }

    /// A plain text response with word-count usage.
    pub fn text_response(text: impl Into<String>) -> ChatResponse {
        let text = text.into();
        let words = text.split_whitespace().count() as u64;
        ChatResponse {
            model: Some("mock".into()),
            content: vec![Part::text(text)],
            finish: Some(FinishReason::new(FinishKind::Stop, "stop")),
            usage: Some(Usage {
                input_tokens: Some(0),
                output_tokens: Some(words),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn reply(&self, req: crate::types::ChatRequest) -> Reply {
        let mut st = self.lock();
        let next = st.queue.pop_front();
        let handler = st.handler.clone();
        st.requests.push(req.clone());
        drop(st);
        if let Some(r) = next {
            return r;
        }
        if let Some(h) = handler {
            return match h(&req) {
                Ok(r) => Reply::Response(r),
                Err(e) => Reply::Error(e),
            };
        }
        let last_user = req
            .messages
            .iter()
            .rev()
            .find(|m| m.role == Role::User)
            .map(|m| m.text())
            .unwrap_or_default();
        let mut resp = Self::text_response(last_user);
        if let Some(u) = &mut resp.usage {
            u.input_tokens = Some(
                req.messages
                    .iter()
                    .map(|m| m.text().split_whitespace().count() as u64)
                    .sum(),
            );
        }
        Reply::Response(resp)
    }
}

impl Backend for MockProvider {
    fn chat(&self, req: crate::types::ChatRequest) -> BoxFuture<'static, Result<ChatResponse>> {
        let reply = self.reply(req);
        Box::pin(async move {
            match reply {
                Reply::Response(r) => Ok(r),
                Reply::Error(e) => Err(e),
                Reply::BrokenStream(partial, e) => Err(e.with_partial(partial)),
            }
        })
    }

    fn chat_stream(
        &self,
        req: crate::types::ChatRequest,
    ) -> BoxFuture<'static, Result<ChatStream>> {
        let reply = self.reply(req);
        Box::pin(async move {
            match reply {
                Reply::Response(r) => Ok(ChatStream::from_events(response_to_events(&r))),
                Reply::Error(e) => Err(e),
                Reply::BrokenStream(partial, e) => {
                    let events = response_to_events(&partial).into_iter().map(Ok);
                    Ok(ChatStream::new(futures_util::stream::iter(
                        events.chain(std::iter::once(Err(e))),
                    )))
                }
            }
        })
    }
}
