//! A streamed answer through the guardrails: each text stream (answer, reasoning, refusal,
//! each tool call's arguments) has its own text pass with a hold-back window, so a secret or
//! a placeholder split across chunks is caught or restored before any of it is released.
//! Held text is released at the end of its part (a tool call's end, the finish, the end of
//! the stream); a block ends the stream with the error. The released answer text is kept for
//! the whole-answer verdicts ([`super::Guardrail::check_answer`]); when one of them needs the
//! complete answer, the answer's text is held back until the stream finishes.

use super::engine::{check_answer, check_parts, check_value};
use super::scan::TextScanner;
use super::vault::Vault;
use super::{Answer, Guardrail, Scope, Stage};
use crate::error::Result;
use crate::types::{Role, StreamEvent};
use crate::ChatStream;
use futures_core::Stream;
use std::collections::{BTreeMap, HashSet, VecDeque};
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
    /// The answer text released so far.
    answer: String,
    tool_calls: bool,
    /// Whole-answer warnings already reported, and whether the complete answer was judged.
    seen: HashSet<(usize, String)>,
    judged: bool,
}

impl GuardedStream {
    pub(crate) fn new(
        inner: ChatStream,
        rails: Vec<Arc<dyn Guardrail>>,
        vault: Vault,
        window: usize,
        hold: bool,
    ) -> Self {
        let text_window = if hold { usize::MAX } else { window };
        GuardedStream {
            inner,
            rails,
            vault,
            window,
            text: TextScanner::new(SCOPE, text_window, false),
            reasoning: TextScanner::new(SCOPE, window, false),
            refusal: TextScanner::new(SCOPE, window, false),
            tools: BTreeMap::new(),
            queue: VecDeque::new(),
            done: false,
            answer: String::new(),
            tool_calls: false,
            seen: HashSet::new(),
            judged: false,
        }
    }

    /// Handles one event; a block fails the stream.
    fn event(&mut self, ev: StreamEvent) -> Result<()> {
        let (rails, vault) = (&self.rails, &mut self.vault);
        match ev {
            StreamEvent::TextDelta(t) => {
                let out = self.text.push(&t, rails, vault)?;
                self.release_text(out, false)?;
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
                self.tool_calls = true;
                let out = self.text.finish(rails, vault)?;
                self.release_text(out, false)?;
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
                self.tool_calls = true;
                check_value(rails, &mut call.arguments, SCOPE, vault)?;
                self.queue.push_back(Ok(StreamEvent::ToolCall(call)));
            }
            StreamEvent::Alternative(mut alt) => {
                check_parts(rails, &mut alt.content, SCOPE, vault)?;
                self.queue.push_back(Ok(StreamEvent::Alternative(alt)));
            }
            StreamEvent::Finish(_) => {
                self.flush(true)?;
                self.queue.push_back(Ok(ev));
            }
            StreamEvent::Error(_) => {
                self.flush(false)?;
                self.queue.push_back(Ok(ev));
            }
            other => self.queue.push_back(Ok(other)),
        }
        Ok(())
    }

    /// Releases answer text after the whole-answer verdicts on it (`complete`: the answer
    /// ends with it).
    fn release_text(&mut self, out: String, complete: bool) -> Result<()> {
        self.answer.push_str(&out);
        let judge = if complete {
            !std::mem::replace(&mut self.judged, true)
        } else {
            !out.is_empty()
        };
        if !judge {
            emit(&mut self.queue, out, StreamEvent::TextDelta);
            return Ok(());
        }
        let answer = Answer {
            text: &self.answer,
            complete,
            tool_calls: self.tool_calls,
        };
        check_answer(&self.rails, answer, &mut self.seen)?;
        emit(&mut self.queue, out, StreamEvent::TextDelta);
        Ok(())
    }

    /// Releases everything held back, checked as final; `complete` when the answer finished
    /// (not cut short by an error).
    fn flush(&mut self, complete: bool) -> Result<()> {
        let (rails, vault) = (&self.rails, &mut self.vault);
        let out = if self.text.holding() {
            self.text.finish(rails, vault)?
        } else {
            String::new()
        };
        self.release_text(out, complete)?;
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
                    if let Err(e) = this.flush(true) {
                        this.fail(e);
                    }
                }
                Poll::Ready(Some(Err(e))) => match this.flush(false) {
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
