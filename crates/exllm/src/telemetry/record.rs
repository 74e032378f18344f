//! One call's span, metrics and callbacks: [`Watch`] opens the span with the request's GenAI
//! attributes, and at the end records usage, finish reasons, cost and errors into the span
//! and the metrics; for a stream it watches every event on the way through.

use super::callbacks::{CallInfo, Callbacks};
use super::instruments::Instruments;
use super::TelemetryOptions;
use crate::client::ChatStream;
use crate::error::Error;
use crate::types::{ChatRequest, ChatResponse, FinishKind, StreamEvent, Usage};
use crate::Collector;
use futures_util::StreamExt;
use std::sync::Arc;
use tracing::field::Empty;

/// What a stream has shown so far, enough for the span and the metrics.
#[derive(Debug, Default)]
pub(crate) struct Tally {
    usage: Option<Usage>,
    finish: Option<FinishKind>,
    id: Option<String>,
    model: Option<String>,
    first_token: bool,
}

/// Watches one call.
pub(crate) struct Watch {
    call: CallInfo,
    span: tracing::Span,
    callbacks: Callbacks,
    opts: TelemetryOptions,
    /// The model's metric handles, shared by the client's calls.
    metrics: Arc<Instruments>,
}

/// What a finished call reports: borrowed from a whole response or a stream's [`Tally`].
struct Outcome<'a> {
    id: Option<&'a str>,
    model: Option<&'a str>,
    finish: Option<FinishKind>,
    usage: Option<&'a Usage>,
    cost: Option<f64>,
}

impl Watch {
    /// Opens the span of a call of `model` on `provider`.
    pub fn start(
        operation: &'static str,
        provider: &str,
        model: &str,
        req: &ChatRequest,
        callbacks: Callbacks,
        opts: TelemetryOptions,
        metrics: Arc<Instruments>,
    ) -> Self {
        let span = tracing::info_span!(
            "gen_ai",
            otel.name = %format_args!("chat {model}"),
            otel.kind = "client",
            gen_ai.operation.name = "chat",
            gen_ai.provider.name = provider,
            gen_ai.request.model = model,
            gen_ai.request.max_tokens = req.max_tokens,
            gen_ai.request.temperature = req.temperature,
            gen_ai.request.stream = operation == "chat_stream",
            gen_ai.response.id = Empty,
            gen_ai.response.model = Empty,
            gen_ai.response.finish_reasons = Empty,
            gen_ai.usage.input_tokens = Empty,
            gen_ai.usage.output_tokens = Empty,
            exllm.cost_usd = Empty,
            exllm.cache_hit = Empty,
            error.type = Empty,
            gen_ai.prompt = Empty,
            gen_ai.completion = Empty,
        );
        if opts.record_content {
            let prompt: Vec<String> = req.messages.iter().map(|m| m.text()).collect();
            span.record("gen_ai.prompt", prompt.join("\n").as_str());
        }
        Watch {
            call: CallInfo::new(operation, provider, model),
            span,
            callbacks,
            opts,
            metrics,
        }
    }

    /// Marks the call as answered from the response cache (its usage and cost are zero).
    pub fn cache_hit(&self) {
        self.span.record("exllm.cache_hit", true);
    }

    /// The call's span.
    pub fn span(&self) -> &tracing::Span {
        &self.span
    }

    /// Runs the request hooks.
    pub async fn request(&self, req: &ChatRequest) {
        self.callbacks.request(&self.call, req).await;
    }

    fn record(&self, t: Outcome<'_>) {
        let s = &self.span;
        if let Some(id) = t.id {
            s.record("gen_ai.response.id", id);
        }
        if let Some(m) = t.model {
            s.record("gen_ai.response.model", m);
        }
        if let Some(f) = t.finish {
            s.record("gen_ai.response.finish_reasons", f.as_str());
        }
        let m = &self.metrics;
        let cost = t.cost;
        if let Some(u) = t.usage {
            for (counter, n, field) in [
                (&m.input_tokens, u.input_tokens, "gen_ai.usage.input_tokens"),
                (
                    &m.output_tokens,
                    u.output_tokens,
                    "gen_ai.usage.output_tokens",
                ),
            ] {
                if let Some(n) = n {
                    s.record(field, n);
                    counter.increment(n);
                }
            }
        }
        if let Some(c) = cost {
            s.record("exllm.cost_usd", c);
            m.cost.record(c);
        }
        let elapsed = self.call.started.elapsed();
        m.duration.record(elapsed.as_secs_f64());
        let usage = t.usage;
        tracing::info!(
            provider = %self.call.provider,
            model = %self.call.model,
            status = "ok",
            input_tokens = usage.and_then(|u| u.input_tokens),
            output_tokens = usage.and_then(|u| u.output_tokens),
            cost_usd = cost,
            latency_ms = elapsed.as_millis() as u64,
            "{}",
            self.call.operation
        );
        m.ok.increment(1);
    }

    /// Records a whole answer and runs the response hooks.
    pub async fn ok(&self, resp: &ChatResponse) {
        self.record(Outcome {
            id: resp.id.as_deref(),
            model: resp.model.as_deref(),
            finish: resp.finish_kind(),
            usage: resp.usage.as_ref(),
            cost: resp.cost.as_ref().map(|c| c.total),
        });
        if self.opts.record_content {
            self.span.record("gen_ai.completion", resp.text().as_str());
        }
        self.callbacks.response(&self.call, resp).await;
    }

    /// Records a failure and runs the error hooks.
    pub async fn err(&self, e: &Error) {
        tracing::info!(
            provider = %self.call.provider,
            model = %self.call.model,
            status = "error",
            kind = ?e.kind(),
            http_status = e.status(),
            latency_ms = self.call.started.elapsed().as_millis() as u64,
            "{}",
            self.call.operation
        );
        self.span
            .record("error.type", format!("{:?}", e.kind()).as_str());
        self.metrics.error.increment(1);
        self.callbacks.error(&self.call, e).await;
    }

    /// Watches a stream: each event goes to the hooks in order; at the end the span and
    /// metrics get the stream's usage and finish, and the response hooks the collected answer.
    pub fn stream(self, inner: ChatStream) -> ChatStream {
        let pricing = inner.pricing().cloned();
        let collect = !self.callbacks.is_empty() || self.opts.record_content;
        // Boxed: `unfold` moves its state into a new future for every event.
        let state = Box::new((
            self,
            inner,
            Tally::default(),
            collect.then(Collector::new),
            false,
        ));
        let events = futures_util::stream::unfold(state, |mut st| async move {
            let (watch, inner, tally, collector, done) = &mut *st;
            if *done {
                return None;
            }
            // The inner stream polls inside the span; entering per poll costs less than the
            // span clone (a registry round trip) that `.instrument` would need per event.
            let span = &watch.span;
            let item = futures_util::future::poll_fn(|cx| {
                let _in = span.enter();
                inner.poll_next_unpin(cx)
            })
            .await;
            match &item {
                Some(Ok(ev)) => {
                    tally.see(ev, watch);
                    watch.callbacks.event(&watch.call, ev).await;
                    if let Some(c) = collector {
                        c.push_ref(ev);
                    }
                }
                Some(Err(e)) => {
                    *done = true;
                    watch.err(e).await;
                }
                None => {
                    *done = true;
                    let cost = tally
                        .usage
                        .as_ref()
                        .and_then(|u| inner.cost_of(u))
                        .map(|c| c.total);
                    watch.record(Outcome {
                        id: tally.id.as_deref(),
                        model: tally.model.as_deref(),
                        finish: tally.finish,
                        usage: tally.usage.as_ref(),
                        cost,
                    });
                    if let Some(c) = collector.take() {
                        let mut resp = c.finish();
                        resp.cost = resp.usage.as_ref().and_then(|u| inner.cost_of(u));
                        if watch.opts.record_content {
                            watch.span.record("gen_ai.completion", resp.text().as_str());
                        }
                        watch.callbacks.response(&watch.call, &resp).await;
                    }
                    return None;
                }
            }
            item.map(|i| (i, st))
        });
        let out = ChatStream::new(events);
        match pricing {
            Some(m) => out.priced_by(m),
            None => out,
        }
    }
}

impl Tally {
    fn see(&mut self, ev: &StreamEvent, watch: &Watch) {
        match ev {
            StreamEvent::Start { id, model } => {
                self.id = id.clone().or(self.id.take());
                self.model = model.clone().or(self.model.take());
            }
            StreamEvent::Usage(u) => match &mut self.usage {
                Some(mine) => mine.merge(u.clone()),
                None => self.usage = Some(u.clone()),
            },
            StreamEvent::Finish(f) => self.finish = Some(f.kind),
            StreamEvent::TextDelta(_)
            | StreamEvent::ReasoningDelta(_)
            | StreamEvent::ToolCallStart { .. }
            | StreamEvent::ToolCall(_)
                if !self.first_token =>
            {
                self.first_token = true;
                watch
                    .metrics
                    .time_to_first_token
                    .record(watch.call.started.elapsed().as_secs_f64());
            }
            _ => {}
        }
    }
}
