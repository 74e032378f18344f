//! The client side of stream recovery: streams that keep what arrived and, when they break,
//! store it (and continue by themselves with auto-resume), and `Client::resume`.

use super::{ChatStream, Client};
use crate::error::{Error, ErrorKind, Result};
use crate::provider::Api;
use crate::recovery::{
    budget_left, continuation, kept_text, merge, summary_request, RecoveryStore, ResumeStrategy,
};
use crate::types::{ChatRequest, ChatResponse, FinishKind, FinishReason, StreamEvent, Usage};
use crate::Collector;
use futures_core::Stream;
use futures_util::future::BoxFuture;
use futures_util::{ready, StreamExt};
use std::pin::Pin;
use std::task::{Context, Poll};

/// The `provider_meta` key naming the recovery id a resumed answer continues.
pub const RESUMED_FROM: &str = "exllm_resumed_from";

impl Client {
    /// Continues the answer of a broken stream (its error's [`Error::recovery_id`]) with
    /// `strategy`, and returns the whole answer: the kept part joined with the continuation,
    /// usage summed over every call, the output budget of the original request respected.
    ///
    /// ```no_run
    /// # async fn run(client: exllm::Client, req: exllm::ChatRequest) -> exllm::Result<()> {
    /// use exllm::recovery::ResumeStrategy;
    /// match client.chat_stream(req).await?.collect_response().await {
    ///     Ok(resp) => println!("{}", resp.text()),
    ///     Err(e) => match e.recovery_id() {
    ///         Some(id) => println!("{}", client.resume(id, ResumeStrategy::Exact).await?.text()),
    ///         None => return Err(e),
    ///     },
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn resume(
        &self,
        recovery_id: &str,
        strategy: ResumeStrategy,
    ) -> Result<ChatResponse> {
        let store = self.recovery_store()?;
        let it = store.get(recovery_id).ok_or_else(|| {
            Error::new(
                ErrorKind::InvalidInput,
                format!("no interrupted answer `{recovery_id}` (unknown or expired)"),
            )
        })?;
        let kept = kept_text(&it.partial, strategy);
        let budget = budget_left(it.request.max_tokens, &it.partial, &kept, strategy);
        if budget == Some(0) {
            // The original limit is spent: what was kept is the answer.
            let mut done = merge(&it.partial, &kept, ChatResponse::default(), None);
            done.finish = Some(FinishReason::new(FinishKind::Length, "max_tokens"));
            store.remove(recovery_id);
            return Ok(done);
        }
        let (summary, extra) = match strategy {
            ResumeStrategy::Summarize => {
                let s = self
                    .chat(summary_request(&it.request, &it.partial.text()))
                    .await?;
                (Some(s.text()), s.usage)
            }
            _ => (None, None),
        };
        let prefill = self.prefills(&it.request.model);
        let req = continuation(&it.request, &kept, prefill, summary.as_deref(), budget);
        let cont = self.chat(req).await?;
        let shown = match (&summary, prefill) {
            (Some(_), _) => it.partial.text(),
            (None, true) => kept.trim_end().to_owned(),
            (None, false) => kept,
        };
        let mut out = merge(&it.partial, &shown, cont, extra.as_ref());
        if let (Some(m), Some(u)) = (self.model_entry(&it.request.model), &out.usage) {
            out.cost = Some(m.cost(u, Default::default()));
        }
        out.provider_meta
            .insert(RESUMED_FROM.into(), recovery_id.into());
        store.remove(recovery_id);
        Ok(out)
    }

    /// The store of interrupted answers.
    pub fn recovery_store(&self) -> Result<&RecoveryStore> {
        self.inner
            .builder
            .recovery
            .as_ref()
            .ok_or_else(|| Error::new(ErrorKind::Config, "stream recovery is off for this client"))
    }

    /// Whether the model continues an assistant turn given as the last message (the catalog's
    /// `supports_assistant_prefill`, else Anthropic's API does).
    pub(crate) fn prefills(&self, model: &str) -> bool {
        if let Some(flag) = self
            .model_entry(model)
            .and_then(|m| m.supports("assistant_prefill"))
        {
            return flag;
        }
        super::split_model(model)
            .ok()
            .and_then(|(p, _)| self.provider(p).ok())
            .and_then(|p| p.api())
            == Some(Api::Anthropic)
    }

    /// Wraps a provider's stream so that a break is recorded (and, with auto-resume,
    /// continued).
    pub(crate) fn recoverable(&self, req: ChatRequest, stream: ChatStream) -> ChatStream {
        let Some(store) = self.inner.builder.recovery.clone() else {
            return stream;
        };
        let pricing = stream.shared_pricing();
        let out = ChatStream::new(Recovering {
            client: self.clone(),
            req,
            store,
            inner: stream,
            seen: Collector::new(),
            kept: Some(0),
            resumes_left: self.inner.builder.auto_resume,
            base: None,
            trim_next: false,
            resuming: None,
            done: false,
        });
        out.priced_like(pricing)
    }
}

/// An event of a continued stream as its caller sees it: usage counts what the segments
/// before it used (`base`), and while `trim_next` the whitespace a prefill dropped is not
/// repeated (a delta that was only that whitespace is `None`). Anything else passes as it is.
pub(crate) fn continued(
    event: StreamEvent,
    base: Option<&Usage>,
    trim_next: &mut bool,
) -> Option<StreamEvent> {
    match event {
        StreamEvent::Usage(u) => Some(match base {
            Some(b) => StreamEvent::usage(offset(*u, b)),
            None => StreamEvent::Usage(u),
        }),
        StreamEvent::TextDelta(t) if *trim_next => {
            let t = t.trim_start();
            if t.is_empty() {
                return None;
            }
            *trim_next = false;
            Some(StreamEvent::TextDelta(t.to_owned()))
        }
        other => Some(other),
    }
}

/// A continuation's usage report plus the broken segments' usage, field by field: a field
/// the report leaves out stays out (a later report of it must not be overwritten).
pub(crate) fn offset(mut u: Usage, base: &Usage) -> Usage {
    for (field, add) in [
        (&mut u.input_tokens, base.input_tokens),
        (&mut u.output_tokens, base.output_tokens),
        (&mut u.cache_read_tokens, base.cache_read_tokens),
        (&mut u.cache_write_tokens, base.cache_write_tokens),
        (&mut u.reasoning_tokens, base.reasoning_tokens),
    ] {
        if let Some(v) = field {
            *v += add.unwrap_or(0);
        }
    }
    let mut base_details = base.details;
    for (field, add) in u.details.counts().into_iter().zip(base_details.counts()) {
        if let Some(v) = field {
            *v += add.unwrap_or(0);
        }
    }
    u
}

/// A stream that keeps what it passed on and, when it breaks, stores it and (with
/// auto-resume) continues from a new request. A hand-written `Stream`: the per-event path is
/// a poll, an adjustment and an append, with no future built per event.
struct Recovering {
    client: Client,
    req: ChatRequest,
    store: RecoveryStore,
    inner: ChatStream,
    /// Everything passed on so far, across resumes, while it is within the store's
    /// [`RecoveryStore::max_kept_bytes`].
    seen: Collector,
    /// Bytes of text in `seen`; `None` once the limit was passed and `seen` dropped.
    kept: Option<usize>,
    resumes_left: u32,
    /// Usage of the broken segments, added to the continuation's reports.
    base: Option<Usage>,
    /// The kept text ended in whitespace the prefill dropped: trim it off the continuation.
    trim_next: bool,
    /// The continuation being requested after a break.
    resuming: Option<Resuming>,
    done: bool,
}

/// A continuation request in flight, and what to do with its answer.
struct Resuming {
    call: BoxFuture<'static, Result<ChatStream>>,
    id: String,
    partial: ChatResponse,
    trim_next: bool,
}

impl Stream for Recovering {
    type Item = Result<StreamEvent>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if this.done {
                return Poll::Ready(None);
            }
            if let Some(r) = &mut this.resuming {
                let answer = ready!(r.call.as_mut().poll(cx));
                let r = this.resuming.take().expect("polled above");
                match answer {
                    Ok(next) => {
                        this.inner = next;
                        this.base = r.partial.usage;
                        this.trim_next = r.trim_next;
                        this.store.remove(&r.id);
                    }
                    Err(again) => {
                        this.done = true;
                        let e = again.with_recovery_id(r.id).with_partial(r.partial);
                        return Poll::Ready(Some(Err(e)));
                    }
                }
            }
            let polled = this.inner.poll_next_unpin(cx);
            // Before any resume there is nothing to adjust: keep the event and hand the poll
            // on as it came (no moves of the event in and out).
            if let Poll::Ready(Some(Ok(event))) = &polled {
                if this.base.is_none() && !this.trim_next {
                    this.keep(event);
                    return polled;
                }
            }
            match ready!(polled) {
                Some(Ok(event)) => {
                    let Some(event) = this.adjust(event) else {
                        continue;
                    };
                    this.keep(&event);
                    return Poll::Ready(Some(Ok(event)));
                }
                Some(Err(e)) => match this.broken(e) {
                    Ok(r) => this.resuming = Some(r),
                    Err(e) => {
                        this.done = true;
                        return Poll::Ready(Some(Err(e)));
                    }
                },
                None => return Poll::Ready(None),
            }
        }
    }
}

impl Recovering {
    /// Keeps an event for resuming, until the stream's text passes the store's limit.
    fn keep(&mut self, event: &StreamEvent) {
        let Some(kept) = self.kept else {
            return;
        };
        let kept = kept.saturating_add(match event {
            StreamEvent::TextDelta(t) | StreamEvent::ReasoningDelta(t) => t.len(),
            StreamEvent::ToolCallDelta { arguments, .. } => arguments.len(),
            _ => 0,
        });
        if kept > self.store.max_kept_bytes() {
            tracing::warn!(
                limit = self.store.max_kept_bytes(),
                "stream passed the recovery limit; it can no longer be resumed if it breaks"
            );
            self.kept = None;
            self.seen = Collector::new();
            return;
        }
        self.kept = Some(kept);
        self.seen.push_ref(event);
    }

    /// Usage of a continuation counts the broken segments too; the whitespace a prefill
    /// dropped is not repeated.
    fn adjust(&mut self, event: StreamEvent) -> Option<StreamEvent> {
        continued(event, self.base.as_ref(), &mut self.trim_next)
    }

    /// Records the break; starts the continuation when auto-resume allows, else the error.
    fn broken(&mut self, e: Error) -> Result<Resuming> {
        if self.kept.is_none() || !self.seen.has_content() {
            return Err(e);
        }
        let partial = self.seen.snapshot();
        let id = self
            .store
            .save(self.req.clone(), partial.clone(), e.kind(), e.to_string());
        let resumable = matches!(
            e.kind(),
            ErrorKind::Network
                | ErrorKind::Timeout
                | ErrorKind::Server
                | ErrorKind::Overloaded
                | ErrorKind::Decode
                | ErrorKind::Truncated
        );
        if self.resumes_left == 0 || !resumable {
            return Err(e.with_recovery_id(id).with_partial(partial));
        }
        self.resumes_left -= 1;
        let kept = kept_text(&partial, ResumeStrategy::Exact);
        let budget = budget_left(self.req.max_tokens, &partial, &kept, ResumeStrategy::Exact);
        if budget == Some(0) {
            return Err(e.with_recovery_id(id).with_partial(partial));
        }
        let prefill = self.client.prefills(&self.req.model);
        let req = continuation(&self.req, &kept, prefill, None, budget);
        tracing::warn!(recovery_id = %id, reason = %e, "stream broke; resuming");
        let (provider, routed) = self.client.route(req)?;
        Ok(Resuming {
            call: provider.chat_stream(routed),
            id,
            trim_next: prefill && kept.ends_with(char::is_whitespace),
            partial,
        })
    }
}
