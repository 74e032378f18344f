//! One call's span, metrics and callbacks: [`Watch`] opens the span with the request's GenAI
//! attributes, and at the end records usage, finish reasons, cost and errors into the span
//! and the metrics; for a stream it watches every event on the way through.

use super::callbacks::{CallInfo, Callbacks};
use super::instruments::Instruments;
use super::TelemetryOptions;
use crate::error::Error;
use crate::types::{ChatRequest, ChatResponse, FinishKind, StreamEvent, Usage};
use std::sync::{Arc, OnceLock};
use tracing::field::{Empty, Field};

/// What a stream has shown so far, enough for the span and the metrics.
#[derive(Debug, Default)]
pub(crate) struct Tally {
    pub(super) usage: Option<Usage>,
    pub(super) finish: Option<FinishKind>,
    pub(super) id: Option<String>,
    pub(super) model: Option<String>,
    first_token: bool,
}

/// Watches one call.
pub(crate) struct Watch {
    pub(super) call: Arc<CallInfo>,
    pub(super) span: tracing::Span,
    pub(super) callbacks: Callbacks,
    pub(super) opts: TelemetryOptions,
    /// The model's metric handles, shared by the client's calls.
    pub(super) metrics: Arc<Instruments>,
}

/// The span fields a finished call records, in [`Watch::record_outcome`]'s order.
const OUTCOME: [&str; 6] = [
    "gen_ai.response.id",
    "gen_ai.response.model",
    "gen_ai.response.finish_reasons",
    "gen_ai.usage.input_tokens",
    "gen_ai.usage.output_tokens",
    "exllm.cost_usd",
];

/// A span field's value.
enum Recorded<'a> {
    Str(&'a str),
    U64(u64),
    F64(f64),
}

/// What a finished call reports: borrowed from a whole response or a stream's [`Tally`].
pub(super) struct Outcome<'a> {
    pub id: Option<&'a str>,
    pub model: Option<&'a str>,
    pub finish: Option<FinishKind>,
    pub usage: Option<&'a Usage>,
    pub cost: Option<f64>,
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
            call: Arc::new(CallInfo::new(operation, provider, model)),
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

    pub(super) fn record(&self, t: Outcome<'_>) {
        let m = &self.metrics;
        let cost = t.cost;
        let input = t.usage.and_then(|u| u.input_tokens);
        let output = t.usage.and_then(|u| u.output_tokens);
        self.record_outcome([
            t.id.map(Recorded::Str),
            t.model.map(Recorded::Str),
            t.finish.map(|f| Recorded::Str(f.as_str())),
            input.map(Recorded::U64),
            output.map(Recorded::U64),
            cost.map(Recorded::F64),
        ]);
        if let Some(n) = input {
            m.input_tokens.increment(n);
        }
        if let Some(n) = output {
            m.output_tokens.increment(n);
        }
        if let Some(c) = cost {
            m.cost.record(c);
        }
        let elapsed = self.call.started.elapsed();
        m.duration.record(elapsed.as_secs_f64());
        tracing::info!(
            provider = %self.call.provider,
            model = %self.call.model,
            status = "ok",
            input_tokens = input,
            output_tokens = output,
            cost_usd = cost,
            latency_ms = elapsed.as_millis() as u64,
            "{}",
            self.call.operation
        );
        m.ok.increment(1);
    }

    /// Records the [`OUTCOME`] fields in one dispatch (the subscriber sees one `record`
    /// rather than one per field); fields without a value are left as they are.
    fn record_outcome(&self, values: [Option<Recorded<'_>>; 6]) {
        let Some(meta) = self.span.metadata() else {
            return; // no subscriber wants the span
        };
        // Every span comes from the one callsite in `start`, so the fields are looked up by
        // name once per process.
        static FIELDS: OnceLock<Option<[Field; 6]>> = OnceLock::new();
        let fields = FIELDS.get_or_init(|| {
            let found: Option<Vec<Field>> =
                OUTCOME.iter().map(|n| meta.fields().field(n)).collect();
            found.and_then(|f| <[Field; 6]>::try_from(f).ok())
        });
        let Some(keys) = fields
            .as_ref()
            .filter(|k| k[0].callsite() == meta.callsite())
        else {
            return;
        };
        let entries: [(&Field, Option<&dyn tracing::Value>); 6] = std::array::from_fn(|i| {
            let v = values[i].as_ref().map(|v| match v {
                Recorded::Str(s) => s as &dyn tracing::Value,
                Recorded::U64(n) => n as &dyn tracing::Value,
                Recorded::F64(x) => x as &dyn tracing::Value,
            });
            (&keys[i], v)
        });
        self.span.record_all(&meta.fields().value_set(&entries));
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

    /// Records how a whole call ended ([`Watch::ok`] or [`Watch::err`]).
    pub async fn outcome(&self, out: &crate::Result<ChatResponse>) {
        match out {
            Ok(resp) => self.ok(resp).await,
            Err(e) => self.err(e).await,
        }
    }

    /// Records a failure and runs the error hooks.
    pub async fn err(&self, e: &Error) {
        self.record_err(e);
        self.callbacks.error(&self.call, e).await;
    }

    /// Records a failure in the log, the span and the metrics.
    pub(super) fn record_err(&self, e: &Error) {
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
    }
}

impl Tally {
    pub(super) fn see(&mut self, ev: &StreamEvent, watch: &Watch) {
        match ev {
            StreamEvent::Start { id, model } => {
                self.id = id.clone().or(self.id.take());
                self.model = model.clone().or(self.model.take());
            }
            StreamEvent::Usage(u) => match &mut self.usage {
                Some(mine) => mine.merge((**u).clone()),
                None => self.usage = Some((**u).clone()),
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
