//! A streamed answer through the guardrails: each text stream (answer, reasoning, refusal,
//! each tool call's arguments) has its own text pass with a hold-back window, so a secret or
//! a placeholder split across chunks is caught or restored before any of it is released.
//! Held text is released at the end of its part (a tool call's end, the finish, the end of
//! the stream); a block ends the stream with the error.

use super::engine::{check_parts, check_value};
use super::scan::TextScanner;
use super::vault::Vault;
use super::{Guardrail, Scope, Stage};
use crate::error::Result;
use crate::types::{Role, StreamEvent};
use crate::ChatStream;
use futures_core::Stream;
use std::collections::{BTreeMap, VecDeque};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

const SCOPE: Scope = Scope {
    stage: Stage::Output,
    role: Role::Assistant,
};

pub(crate) struct GuardedStream {
    inner: ChatStream,
    rails: Vec<Arc<dyn Guardrail>>,
    vault: Vault,
    window: usize,
    text: TextScanner,
    reasoning: TextScanner,
    refusal: TextScanner,
    tools: BTreeMap<u32, TextScanner>,
    queue: VecDeque<Result<StreamEvent>>,
    done: bool,
}

impl GuardedStream {
    pub(crate) fn new(
        inner: ChatStream,
        rails: Vec<Arc<dyn Guardrail>>,
        vault: Vault,
        window: usize,
    ) -> Self {
        GuardedStream {
            inner,
            rails,
            vault,
            window,
            text: TextScanner::new(SCOPE, window, false),
            reasoning: TextScanner::new(SCOPE, window, false),
            refusal: TextScanner::new(SCOPE, window, false),
            tools: BTreeMap::new(),
            queue: VecDeque::new(),
            done: false,
        }
    }

    /// Handles one event; a block fails the stream.
    fn event(&mut self, ev: StreamEvent) -> Result<()> {
        let (rails, vault) = (&self.rails, &mut self.vault);
        match ev {
            StreamEvent::TextDelta(t) => {
                let out = self.text.push(&t, rails, vault)?;
                emit(&mut self.queue, out, StreamEvent::TextDelta);
            }
            StreamEvent::ReasoningDelta(t) => {
                let out = self.reasoning.push(&t, rails, vault)?;
                emit(&mut self.queue, out, StreamEvent::ReasoningDelta);
            }
            StreamEvent::RefusalDelta(t) => {
                let out = self.refusal.push(&t, rails, vault)?;
                emit(&mut self.queue, out, StreamEvent::RefusalDelta);
            }
            StreamEvent::ReasoningDone { .. } => {
                let out = self.reasoning.finish(rails, vault)?;
                emit(&mut self.queue, out, StreamEvent::ReasoningDelta);
                self.queue.push_back(Ok(ev));
            }
            StreamEvent::ToolCallStart { index, .. } => {
                // Text before a tool call comes before it.
                let out = self.text.finish(rails, vault)?;
                emit(&mut self.queue, out, StreamEvent::TextDelta);
                let window = self.window;
                self.tools
                    .entry(index)
                    .or_insert_with(|| TextScanner::new(SCOPE, window, true));
                self.queue.push_back(Ok(ev));
            }
            StreamEvent::ToolCallDelta { index, arguments } => {
                let window = self.window;
                let scanner = self
                    .tools
                    .entry(index)
                    .or_insert_with(|| TextScanner::new(SCOPE, window, true));
                let out = scanner.push(&arguments, rails, vault)?;
                emit(&mut self.queue, out, |arguments| {
                    StreamEvent::ToolCallDelta { index, arguments }
                });
            }
            StreamEvent::ToolCallEnd { index } => {
                if let Some(mut s) = self.tools.remove(&index) {
                    let out = s.finish(rails, vault)?;
                    emit(&mut self.queue, out, |arguments| {
                        StreamEvent::ToolCallDelta { index, arguments }
                    });
                }
                self.queue.push_back(Ok(ev));
            }
            StreamEvent::ToolCall(mut call) => {
                check_value(rails, &mut call.arguments, SCOPE, vault)?;
                self.queue.push_back(Ok(StreamEvent::ToolCall(call)));
            }
            StreamEvent::Alternative(mut alt) => {
                check_parts(rails, &mut alt.content, SCOPE, vault)?;
                self.queue.push_back(Ok(StreamEvent::Alternative(alt)));
            }
            StreamEvent::Finish(_) | StreamEvent::Error(_) => {
                self.flush()?;
                self.queue.push_back(Ok(ev));
            }
            other => self.queue.push_back(Ok(other)),
        }
        Ok(())
    }

    /// Releases everything held back, checked as final.
    fn flush(&mut self) -> Result<()> {
        let (rails, vault) = (&self.rails, &mut self.vault);
        if self.text.holding() {
            let out = self.text.finish(rails, vault)?;
            emit(&mut self.queue, out, StreamEvent::TextDelta);
        }
        let (rails, vault) = (&self.rails, &mut self.vault);
        if self.reasoning.holding() {
            let out = self.reasoning.finish(rails, vault)?;
            emit(&mut self.queue, out, StreamEvent::ReasoningDelta);
        }
        let (rails, vault) = (&self.rails, &mut self.vault);
        if self.refusal.holding() {
            let out = self.refusal.finish(rails, vault)?;
            emit(&mut self.queue, out, StreamEvent::RefusalDelta);
        }
        for (index, mut s) in std::mem::take(&mut self.tools) {
            let out = s.finish(&self.rails, &mut self.vault)?;
            emit(&mut self.queue, out, |arguments| {
                StreamEvent::ToolCallDelta { index, arguments }
            });
        }
        Ok(())
    }

    fn fail(&mut self, e: crate::Error) {
        self.queue.clear();
        self.queue.push_back(Err(e));
        self.done = true;
    }
}

/// Queues a text event unless the released text is empty.
fn emit(
    queue: &mut VecDeque<Result<StreamEvent>>,
    text: String,
    make: impl FnOnce(String) -> StreamEvent,
) {
    if !text.is_empty() {
        queue.push_back(Ok(make(text)));
    }
}

impl Stream for GuardedStream {
    type Item = Result<StreamEvent>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            if let Some(item) = this.queue.pop_front() {
                return Poll::Ready(Some(item));
            }
            if this.done {
                return Poll::Ready(None);
            }
            match Pin::new(&mut this.inner).poll_next(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(None) => {
                    this.done = true;
                    if let Err(e) = this.flush() {
                        this.fail(e);
                    }
                }
                Poll::Ready(Some(Err(e))) => match this.flush() {
                    Ok(()) => this.queue.push_back(Err(e)),
                    Err(blocked) => this.fail(blocked),
                },
                Poll::Ready(Some(Ok(ev))) => {
                    if let Err(e) = this.event(ev) {
                        this.fail(e);
                    }
                }
            }
        }
    }
}
