//! [`ChatStream`]: the events of a streamed answer, and how to fold them into the same
//! response a non-streaming call returns without losing what arrived before an error. It sits
//! below the client so that the layers the client composes (cache, telemetry) can wrap it.

use crate::catalog::ModelEntry;
use crate::error::Result;
use crate::types::{ChatResponse, StreamEvent};
use crate::Collector;
use futures_core::Stream;
use futures_util::StreamExt;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

/// How much text (answer, reasoning, tool arguments) [`ChatStream::collect_response`] keeps
/// by default before it gives up with [`crate::ErrorKind::TooLarge`]: 64 MiB, far past any
/// real answer, so that a server trickling an endless answer cannot exhaust memory.
pub const DEFAULT_MAX_COLLECTED_BYTES: usize = 64 << 20;

/// A stream of [`StreamEvent`]s.
pub struct ChatStream {
    inner: Pin<Box<dyn Stream<Item = Result<StreamEvent>> + Send>>,
    /// Shared: every layer a stream is wrapped in keeps its price, and the entry is large.
    pricing: Option<Arc<ModelEntry>>,
    max_collected: usize,
}

impl ChatStream {
    /// Wraps any stream of events.
    pub fn new(stream: impl Stream<Item = Result<StreamEvent>> + Send + 'static) -> Self {
        ChatStream {
            inner: Box::pin(stream),
            pricing: None,
            max_collected: DEFAULT_MAX_COLLECTED_BYTES,
        }
    }

    /// Sets how many bytes of answer [`ChatStream::collect_response`] keeps before failing.
    pub fn with_max_collected(mut self, bytes: usize) -> Self {
        self.max_collected = bytes;
        self
    }

    /// Prices the collected response with this catalog entry.
    pub fn priced_by(mut self, model: ModelEntry) -> Self {
        self.pricing = Some(Arc::new(model));
        self
    }

    /// The catalog entry this stream is priced by, for a layer that wraps it.
    pub(crate) fn shared_pricing(&self) -> Option<Arc<ModelEntry>> {
        self.pricing.clone()
    }

    /// [`ChatStream::priced_by`] with the entry of the stream this one wraps.
    pub(crate) fn priced_like(mut self, model: Option<Arc<ModelEntry>>) -> Self {
        self.pricing = model;
        self
    }

    /// A stream that yields these events.
    pub fn from_events(events: Vec<StreamEvent>) -> Self {
        Self::new(futures_util::stream::iter(events.into_iter().map(Ok)))
    }

    /// Folds the whole stream into a response. If the stream fails, the error carries what had
    /// arrived ([`crate::Error::partial`]); an answer past the collection limit
    /// ([`DEFAULT_MAX_COLLECTED_BYTES`], [`ChatStream::with_max_collected`]) fails with
    /// [`crate::ErrorKind::TooLarge`] carrying what was collected.
    pub async fn collect_response(mut self) -> Result<ChatResponse> {
        let mut c = Collector::new();
        while let Some(item) = self.next().await {
            match item {
                Ok(e) => {
                    c.push(e);
                    if c.collected_bytes() > self.max_collected {
                        let e = crate::Error::new(
                            crate::ErrorKind::TooLarge,
                            format!(
                                "the answer passed {} bytes; stopped collecting it",
                                self.max_collected
                            ),
                        );
                        return Err(e.with_partial(c.finish()));
                    }
                }
                Err(e) => {
                    return Err(if c.has_content() || c.event_count() > 0 {
                        e.with_partial(c.finish())
                    } else {
                        e
                    })
                }
            }
        }
        let mut resp = c.finish();
        resp.cost = resp.usage.as_ref().and_then(|u| self.cost_of(u));
        Ok(resp)
    }

    /// The price of `usage` on the stream's model, when the catalog knows it.
    pub fn cost_of(&self, usage: &crate::types::Usage) -> Option<crate::catalog::Cost> {
        self.pricing
            .as_ref()
            .map(|m| m.cost(usage, Default::default()))
    }
}

impl Stream for ChatStream {
    type Item = Result<StreamEvent>;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.as_mut().poll_next(cx)
    }
}
