//! The item stream of one streamed body: chunks go through the framer into a stream decoder,
//! and its items (chat events, Ollama progress lines) come out in order. Polled directly: no
//! task, no channel.

use super::http::network_error;
use super::timeouts::expired;
use crate::error::{Error, ErrorKind, Result, TimeoutKind};
use crate::wire::StreamDecoder;
use crate::wire::{Frame, Framer};
use bytes::Bytes;
use futures_core::Stream;
use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::time::{Instant, Sleep};

type Body = Pin<Box<dyn Stream<Item = reqwest::Result<Bytes>> + Send>>;

pub(crate) struct FramedStream<T> {
    body: Body,
    framer: Box<dyn Framer>,
    decoder: Box<dyn StreamDecoder<T>>,
    scratch: Vec<T>,
    pending: VecDeque<T>,
    provider: String,
    done: bool,
    failed: Option<Error>,
    limits: Option<Limits>,
    /// Bytes received since the last complete frame.
    unframed: usize,
    /// Marks the item after which the answer is complete.
    terminal: Option<fn(&T) -> bool>,
    complete: bool,
}

/// The largest frame (one SSE event, one NDJSON line, one AWS message) a stream may send: a
/// frame that never ends must not grow memory without bound.
pub(crate) const MAX_FRAME_BYTES: usize = 16 << 20;

/// The stall and total timeouts of a stream: one timer, set to whichever comes first.
struct Limits {
    stall: Option<Duration>,
    deadline: Option<Instant>,
    timer: Pin<Box<Sleep>>,
}

impl Limits {
    fn next_deadline(&self) -> Option<Instant> {
        let stall = self.stall.map(|d| Instant::now() + d);
        match (stall, self.deadline) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

impl<T> FramedStream<T> {
    pub(crate) fn new(
        resp: reqwest::Response,
        framer: Box<dyn Framer>,
        decoder: Box<dyn StreamDecoder<T>>,
        provider: String,
    ) -> Self {
        FramedStream {
            body: Box::pin(resp.bytes_stream()),
            framer,
            decoder,
            scratch: Vec::new(),
            pending: VecDeque::new(),
            provider,
            done: false,
            failed: None,
            limits: None,
            unframed: 0,
            terminal: None,
            complete: false,
        }
    }

    /// Ends the stream quietly when the body breaks after an item `terminal` accepts (the
    /// finish of an answer): nothing of the answer is missing then.
    pub(crate) fn complete_after(mut self, terminal: fn(&T) -> bool) -> Self {
        self.terminal = Some(terminal);
        self
    }

    /// Fails the stream with a [`TimeoutKind::Stall`] error when nothing arrives for `stall`,
    /// and with [`TimeoutKind::Total`] at `deadline`.
    pub(crate) fn with_limits(
        mut self,
        stall: Option<Duration>,
        deadline: Option<Instant>,
    ) -> Self {
        let mut limits = Limits {
            stall,
            deadline,
            timer: Box::pin(tokio::time::sleep(Duration::ZERO)),
        };
        if let Some(at) = limits.next_deadline() {
            limits.timer.as_mut().reset(at);
            self.limits = Some(limits);
        }
        self
    }

    /// Polls the timer; the timeout error when it expired.
    fn expired(&mut self, cx: &mut Context<'_>) -> Option<Error> {
        let limits = self.limits.as_mut()?;
        limits.timer.as_mut().poll(cx).is_ready().then(|| {
            if limits.deadline.is_some_and(|d| Instant::now() >= d) {
                expired(TimeoutKind::Total, None, &self.provider)
            } else {
                expired(TimeoutKind::Stall, limits.stall, &self.provider)
            }
        })
    }

    fn progressed(&mut self) {
        if let Some(limits) = self.limits.as_mut() {
            if let Some(at) = limits.next_deadline() {
                limits.timer.as_mut().reset(at);
            }
        }
    }

    fn feed(&mut self, chunk: Option<&[u8]>) -> Result<()> {
        let decoder = &mut self.decoder;
        let out = &mut self.scratch;
        let mut frames = 0usize;
        let mut sink = |f: Frame<'_>| {
            frames += 1;
            decoder.decode(f, out)
        };
        let mut r = match chunk {
            Some(c) => self.framer.feed(c, &mut sink),
            None => self
                .framer
                .finish(&mut sink)
                .and_then(|_| self.decoder.finish(&mut self.scratch)),
        };
        self.unframed = if frames > 0 {
            0
        } else {
            self.unframed + chunk.map_or(0, <[u8]>::len)
        };
        if r.is_ok() && self.unframed > MAX_FRAME_BYTES {
            r = Err(Error::new(
                ErrorKind::TooLarge,
                format!("a stream frame larger than {MAX_FRAME_BYTES} bytes"),
            ));
        }
        if let Some(t) = self.terminal {
            self.complete |= self.scratch.iter().any(t);
        }
        self.pending.extend(self.scratch.drain(..));
        r.map_err(|e| {
            if e.provider().is_none() {
                e.with_provider(self.provider.clone())
            } else {
                e
            }
        })
    }
}

impl<T: Unpin> Stream for FramedStream<T> {
    type Item = Result<T>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            if let Some(e) = this.pending.pop_front() {
                return Poll::Ready(Some(Ok(e)));
            }
            // Events decoded before a failure are delivered first; the error comes last.
            if let Some(e) = this.failed.take() {
                return Poll::Ready(Some(Err(e)));
            }
            if this.done {
                return Poll::Ready(None);
            }
            let step = match this.body.as_mut().poll_next(cx) {
                Poll::Pending => match this.expired(cx) {
                    Some(e) => Err(e),
                    None => return Poll::Pending,
                },
                Poll::Ready(Some(Ok(chunk))) => {
                    this.progressed();
                    this.feed(Some(&chunk))
                }
                // The answer was complete: a connection closed before the body's very end
                // loses nothing.
                Poll::Ready(Some(Err(_))) if this.complete => {
                    this.done = true;
                    Ok(())
                }
                Poll::Ready(Some(Err(e))) => Err(network_error(e, &this.provider)),
                Poll::Ready(None) => {
                    this.done = true;
                    this.feed(None)
                }
            };
            if let Err(e) = step {
                this.done = true;
                this.failed = Some(e);
            }
        }
    }
}
