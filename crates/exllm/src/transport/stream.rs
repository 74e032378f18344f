//! The item stream of one streamed body: chunks go through the framer into a stream decoder,
//! and its items (chat events, Ollama progress lines) come out in order. Polled directly: no
//! task, no channel.

use super::framing::{Frame, Framer};
use super::http::network_error;
use crate::error::{Error, Result};
use crate::provider::StreamDecoder;
use bytes::Bytes;
use futures_core::Stream;
use std::collections::VecDeque;
use std::pin::Pin;
use std::task::{Context, Poll};

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
        }
    }

    fn feed(&mut self, chunk: Option<&[u8]>) -> Result<()> {
        let decoder = &mut self.decoder;
        let out = &mut self.scratch;
        let mut sink = |f: Frame<'_>| decoder.decode(f, out);
        let r = match chunk {
            Some(c) => self.framer.feed(c, &mut sink),
            None => self
                .framer
                .finish(&mut sink)
                .and_then(|_| self.decoder.finish(&mut self.scratch)),
        };
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
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Ok(chunk))) => this.feed(Some(&chunk)),
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
