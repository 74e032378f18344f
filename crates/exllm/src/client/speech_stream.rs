//! [`SpeechStream`]: spoken audio as it downloads, so a caller can write or play it without
//! holding the whole file.

use crate::error::Result;
use crate::types::Warning;
use bytes::Bytes;
use futures_core::Stream;
use std::pin::Pin;
use std::task::{Context, Poll};

/// The chunks of a speech answer, in order.
pub struct SpeechStream {
    inner: Pin<Box<dyn Stream<Item = Result<Bytes>> + Send>>,
    /// The response's `Content-Type`, when sent.
    pub content_type: Option<String>,
    /// The price in USD, when the catalog prices the model per input character.
    pub cost_usd: Option<f64>,
    /// Settings the provider could not honour.
    pub warnings: Vec<Warning>,
}

impl SpeechStream {
    /// Wraps any stream of audio chunks.
    pub fn new(
        stream: impl Stream<Item = Result<Bytes>> + Send + 'static,
        content_type: Option<String>,
    ) -> Self {
        SpeechStream {
            inner: Box::pin(stream),
            content_type,
            cost_usd: None,
            warnings: Vec::new(),
        }
    }
}

impl Stream for SpeechStream {
    type Item = Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.as_mut().poll_next(cx)
    }
}

impl std::fmt::Debug for SpeechStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SpeechStream")
            .field("content_type", &self.content_type)
            .finish_non_exhaustive()
    }
}
