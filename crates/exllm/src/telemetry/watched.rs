//! A stream under telemetry: each event goes to the hooks in order; at the end the span and
//! metrics get the stream's usage and finish, and the response hooks the collected answer.
//!
//! Without hooks the stream is a hand-written `Stream`: an event costs a poll inside the span
//! and a tally, with no future built per event. With hooks it is an `unfold` whose state is
//! boxed once: a hook's future borrows the event, and unfold keeps that future in place
//! rather than in a new allocation per event.

use super::record::{Outcome, Tally, Watch};
use crate::error::Result;
use crate::stream::ChatStream;
use crate::types::{ChatResponse, StreamEvent};
use crate::Collector;
use futures_core::Stream;
use futures_util::StreamExt;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

/// What a watched stream has seen: the tally, and the answer when hooks or recorded content
/// need it.
struct Seen {
    tally: Tally,
    collector: Option<Collector>,
}

impl Watch {
    /// Watches a stream (see the module docs).
    pub fn stream(self, inner: ChatStream) -> ChatStream {
        let pricing = inner.shared_pricing();
        let collect = !self.callbacks.is_empty() || self.opts.record_content;
        let seen = Seen {
            tally: Tally::default(),
            collector: collect.then(Collector::new),
        };
        let out = if self.callbacks.is_empty() {
            ChatStream::new(Watched {
                watch: self,
                inner,
                seen,
                done: false,
            })
        } else {
            self.hooked(inner, seen)
        };
        out.priced_like(pricing)
    }

    /// The stream with hooks run for every event, in order.
    fn hooked(self, inner: ChatStream, seen: Seen) -> ChatStream {
        let state = Box::new((self, inner, seen, false));
        ChatStream::new(futures_util::stream::unfold(state, |mut st| async move {
            let (watch, inner, seen, done) = &mut *st;
            if *done {
                return None;
            }
            let item = futures_util::future::poll_fn(|cx| watch.poll_in_span(inner, cx)).await;
            match &item {
                Some(Ok(ev)) => {
                    watch.see(seen, ev);
                    watch.callbacks.event(&watch.call, ev).await;
                }
                Some(Err(e)) => {
                    *done = true;
                    watch.err(e).await;
                }
                None => {
                    *done = true;
                    if let Some(resp) = watch.end(seen, inner) {
                        watch.callbacks.response(&watch.call, &resp).await;
                    }
                    return None;
                }
            }
            item.map(|i| (i, st))
        }))
    }

    /// Polls the inner stream inside the span; entering per poll costs less than the span
    /// clone (a registry round trip) that `.instrument` would need per event.
    fn poll_in_span(
        &self,
        inner: &mut ChatStream,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<StreamEvent>>> {
        let _in = self.span.enter();
        inner.poll_next_unpin(cx)
    }

    fn see(&self, seen: &mut Seen, ev: &StreamEvent) {
        seen.tally.see(ev, self);
        if let Some(c) = &mut seen.collector {
            c.push_ref(ev);
        }
    }

    /// Records the finished stream; the collected answer, priced, when one was kept.
    fn end(&self, seen: &mut Seen, inner: &ChatStream) -> Option<ChatResponse> {
        let t = &seen.tally;
        let cost = t.usage.as_ref().and_then(|u| inner.cost_of(u));
        self.record(Outcome {
            id: t.id.as_deref(),
            model: t.model.as_deref(),
            finish: t.finish,
            usage: t.usage.as_ref(),
            cost: cost.map(|c| c.total),
        });
        let mut resp = seen.collector.take()?.finish();
        resp.cost = resp.usage.as_ref().and_then(|u| inner.cost_of(u));
        if self.opts.record_content {
            self.span.record("gen_ai.completion", resp.text().as_str());
        }
        Some(resp)
    }
}

/// A watched stream without hooks.
struct Watched {
    watch: Watch,
    inner: ChatStream,
    seen: Seen,
    done: bool,
}

impl Stream for Watched {
    type Item = Result<StreamEvent>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.done {
            return Poll::Ready(None);
        }
        let item = ready!(this.watch.poll_in_span(&mut this.inner, cx));
        match &item {
            Some(Ok(ev)) => this.watch.see(&mut this.seen, ev),
            Some(Err(e)) => {
                this.done = true;
                this.watch.record_err(e);
            }
            None => {
                this.done = true;
                this.watch.end(&mut this.seen, &this.inner);
            }
        }
        Poll::Ready(item)
    }
}
