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
use futures_util::StreamExt;

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
    fn prefills(&self, model: &str) -> bool {
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
        let pricing = stream.pricing().cloned();
        // Boxed: `unfold` moves its state into a new future for every event, and this one
        // (request, collected answer, inner stream) is large; a box moves in 8 bytes.
        let state = Box::new(Recovering {
            client: self.clone(),
            req,
            store,
            inner: stream,
            seen: Collector::new(),
            resumes_left: self.inner.builder.auto_resume,
            base: None,
            trim_next: false,
            done: false,
        });
        let events = futures_util::stream::unfold(state, |mut st| async move {
            let item = st.next_event().await?;
            Some((item, st))
        });
        let out = ChatStream::new(events);
        match pricing {
            Some(m) => out.priced_by(m),
            None => out,
        }
    }
}

/// A continuation's usage report plus the broken segments' usage, field by field: a field
/// the report leaves out stays out (a later report of it must not be overwritten).
fn offset(mut u: Usage, base: &Usage) -> Usage {
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
    u
}

struct Recovering {
    client: Client,
    req: ChatRequest,
    store: RecoveryStore,
    inner: ChatStream,
    /// Everything passed on so far, across resumes.
    seen: Collector,
    resumes_left: u32,
    /// Usage of the broken segments, added to the continuation's reports.
    base: Option<Usage>,
    /// The kept text ended in whitespace the prefill dropped: trim it off the continuation.
    trim_next: bool,
    done: bool,
}

impl Recovering {
    async fn next_event(&mut self) -> Option<Result<StreamEvent>> {
        loop {
            if self.done {
                return None;
            }
            match self.inner.next().await {
                Some(Ok(event)) => {
                    let Some(event) = self.adjust(event) else {
                        continue;
                    };
                    self.seen.push_ref(&event);
                    return Some(Ok(event));
                }
                Some(Err(e)) => match self.broken(e).await {
                    Ok(()) => continue,
                    Err(e) => {
                        self.done = true;
                        return Some(Err(e));
                    }
                },
                None => return None,
            }
        }
    }

    /// Usage of a continuation counts the broken segments too; the whitespace a prefill
    /// dropped is not repeated.
    fn adjust(&mut self, event: StreamEvent) -> Option<StreamEvent> {
        match event {
            StreamEvent::Usage(u) => Some(StreamEvent::Usage(match &self.base {
                Some(b) => offset(u, b),
                None => u,
            })),
            StreamEvent::TextDelta(t) if self.trim_next => {
                let t = t.trim_start();
                if t.is_empty() {
                    return None;
                }
                self.trim_next = false;
                Some(StreamEvent::TextDelta(t.to_owned()))
            }
            other => Some(other),
        }
    }

    /// Records the break; continues the stream when auto-resume allows, else the error.
    async fn broken(&mut self, e: Error) -> Result<()> {
        let partial = self.seen.snapshot();
        if !self.seen.has_content() {
            return Err(e);
        }
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
        match provider.chat_stream(routed).await {
            Ok(next) => {
                self.inner = next;
                self.base = partial.usage;
                self.trim_next = prefill && kept.ends_with(char::is_whitespace);
                self.store.remove(&id);
                Ok(())
            }
            Err(again) => Err(again.with_recovery_id(id).with_partial(partial)),
        }
    }
}
