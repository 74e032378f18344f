//! [`SessionStream`]: a streamed turn that records itself in the session when it completes.
//!
//! The caller wants to print deltas as they arrive; the session wants the whole answer. The
//! wrapper passes every event through unchanged while folding a copy into a [`Collector`], and
//! appends the turn (sent message, answer, usage, cost) once the provider's stream ends. A
//! stream that fails, or is dropped unfinished, records nothing: no half turn is ever saved.

use super::Session;
use crate::stream::ChatStream;
use crate::types::{ChatResponse, Message, StreamEvent};
use crate::{Collector, Error, ErrorKind, Result};
use futures_core::Stream;
use futures_util::StreamExt;
use std::pin::Pin;
use std::task::{Context, Poll};

/// The events of a session's streamed turn; the turn is recorded when the stream ends.
pub struct SessionStream<'a> {
    session: &'a mut Session,
    inner: ChatStream,
    sent: Option<Message>,
    collector: Collector,
    dropped: usize,
    response: Option<ChatResponse>,
    failed: bool,
}

impl<'a> SessionStream<'a> {
    pub(crate) fn new(
        session: &'a mut Session,
        inner: ChatStream,
        sent: Message,
        dropped: usize,
    ) -> Self {
        SessionStream {
            session,
            inner,
            sent: Some(sent),
            collector: Collector::new(),
            dropped,
            response: None,
            failed: false,
        }
    }

    /// Reads the rest of the stream and returns the recorded answer (or the error, carrying
    /// whatever arrived before it).
    pub async fn finish(mut self) -> Result<ChatResponse> {
        while let Some(item) = self.next().await {
            item?;
        }
        self.response.take().ok_or_else(|| {
            Error::new(
                ErrorKind::Truncated,
                "the stream failed before the answer was complete",
            )
        })
    }

    /// The recorded answer, once the stream has ended successfully.
    pub fn response(&self) -> Option<&ChatResponse> {
        self.response.as_ref()
    }

    fn complete(&mut self) {
        let Some(sent) = self.sent.take() else {
            return;
        };
        let mut resp = std::mem::take(&mut self.collector).finish();
        resp.cost = resp.usage.as_ref().and_then(|u| self.inner.cost_of(u));
        self.session.record(sent, &resp, self.dropped);
        self.response = Some(resp);
    }
}

impl Stream for SessionStream<'_> {
    type Item = Result<StreamEvent>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.failed || self.response.is_some() {
            return Poll::Ready(None);
        }
        match self.inner.poll_next_unpin(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Some(Ok(ev))) => {
                self.collector.push(ev.clone());
                Poll::Ready(Some(Ok(ev)))
            }
            Poll::Ready(Some(Err(e))) => {
                self.failed = true;
                self.sent = None;
                let partial = self.collector.snapshot();
                Poll::Ready(Some(Err(e.with_partial(partial))))
            }
            Poll::Ready(None) => {
                self.complete();
                Poll::Ready(None)
            }
        }
    }
}
