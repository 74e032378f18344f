//! Streaming structured output: the value as it fills in, then the validated answer. A bad
//! answer is sent back like in `generate`, and the next attempt streams in turn.

use super::plan::{exhausted, parse_as, Plan};
use super::{partial_json, schema_of, GenerateOptions, Generated};
use crate::catalog::Cost;
use crate::client::{tally, ChatStream, Client};
use crate::error::{Error, ErrorKind, Result};
use crate::types::{ChatRequest, StreamEvent, Usage};
use crate::Collector;
use futures_core::Stream;
use futures_util::StreamExt;
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

/// What a structured stream yields.
// `Done` is large, but it comes once per stream: boxing it would only cost the caller.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum StructuredEvent<T> {
    /// The value so far (yielded when it changed): unfinished strings included, unfinished
    /// keys and numbers left out.
    Partial(Value),
    /// The answer so far was rejected and sent back; a new attempt streams next.
    Retry {
        /// What was wrong with it.
        problem: String,
    },
    /// The validated answer (the last event).
    Done(Generated<T>),
}

/// A stream of [`StructuredEvent`]s.
pub struct StructuredStream<T> {
    inner: Pin<Box<dyn Stream<Item = Result<StructuredEvent<T>>> + Send>>,
}

impl<T> Stream for StructuredStream<T> {
    type Item = Result<StructuredEvent<T>>;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.as_mut().poll_next(cx)
    }
}

type Parse<T> = Arc<dyn Fn(&Value) -> std::result::Result<T, String> + Send + Sync>;

struct Attempt {
    events: ChatStream,
    collector: Collector,
    json_text: String,
    tool_index: Option<u32>,
    last: Option<Value>,
}

struct State<T> {
    client: Client,
    req: ChatRequest,
    plan: Plan,
    max_retries: u32,
    parse: Parse<T>,
    attempts: u32,
    usage: Usage,
    cost: Option<Cost>,
    current: Option<Attempt>,
    done: bool,
}

impl Client {
    /// [`Client::generate`] as a stream of partial values and then the answer.
    ///
    /// ```no_run
    /// # async fn run() -> exllm::Result<()> {
    /// use exllm::structured::StructuredEvent;
    /// use exllm::{ChatRequest, Client, Message};
    /// use futures_util::StreamExt;
    /// #[derive(serde::Deserialize, schemars::JsonSchema)]
    /// struct Story { title: String, paragraphs: Vec<String> }
    /// let client = Client::from_env()?;
    /// let req = ChatRequest::new("openai/gpt-4o-mini", vec![Message::user("A short story")]);
    /// let mut stream = client.generate_stream::<Story>(req).await?;
    /// while let Some(event) = stream.next().await {
    ///     match event? {
    ///         StructuredEvent::Partial(v) => println!("so far: {v}"),
    ///         StructuredEvent::Done(story) => println!("{}", story.value.title),
    ///         _ => {}
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn generate_stream<T>(&self, req: ChatRequest) -> Result<StructuredStream<T>>
    where
        T: JsonSchema + DeserializeOwned + Send + 'static,
    {
        self.generate_stream_with(req, GenerateOptions::default())
            .await
    }

    /// [`Client::generate_stream`] with options.
    pub async fn generate_stream_with<T>(
        &self,
        req: ChatRequest,
        opts: GenerateOptions,
    ) -> Result<StructuredStream<T>>
    where
        T: JsonSchema + DeserializeOwned + Send + 'static,
    {
        let plan = self.plan(&req.model, schema_of::<T>(), &opts)?;
        let parse: Parse<T> = Arc::new(parse_as::<T>);
        Ok(self.stream_planned(req, plan, opts.max_retries, parse))
    }

    /// [`Client::generate_json`] as a stream.
    pub async fn generate_json_stream(
        &self,
        req: ChatRequest,
        schema: Value,
        opts: GenerateOptions,
    ) -> Result<StructuredStream<Value>> {
        let plan = self.plan(&req.model, schema, &opts)?;
        Ok(self.stream_planned(req, plan, opts.max_retries, Arc::new(|v| Ok(v.clone()))))
    }

    fn stream_planned<T: Send + 'static>(
        &self,
        mut req: ChatRequest,
        plan: Plan,
        max_retries: u32,
        parse: Parse<T>,
    ) -> StructuredStream<T> {
        plan.apply(&mut req);
        // Boxed: `unfold` moves its state into a new future for every event.
        let state = Box::new(State {
            client: self.clone(),
            req,
            plan,
            max_retries,
            parse,
            attempts: 0,
            usage: Usage::default(),
            cost: None,
            current: None,
            done: false,
        });
        StructuredStream {
            inner: Box::pin(futures_util::stream::unfold(state, |mut st| async move {
                let item = st.next_event().await?;
                Some((item, st))
            })),
        }
    }
}

impl<T> State<T> {
    async fn next_event(&mut self) -> Option<Result<StructuredEvent<T>>> {
        loop {
            if self.done {
                return None;
            }
            let Some(cur) = self.current.as_mut() else {
                self.attempts += 1;
                match self.client.chat_stream(self.req.clone()).await {
                    Ok(events) => {
                        self.current = Some(Attempt {
                            events,
                            collector: Collector::new(),
                            json_text: String::new(),
                            tool_index: None,
                            last: None,
                        })
                    }
                    Err(e) => return Some(Err(self.fail(e))),
                }
                continue;
            };
            match cur.events.next().await {
                Some(Ok(event)) => {
                    let grew = cur.take_json(&event, &self.plan);
                    cur.collector.push(event);
                    if grew {
                        if let Some(v) = partial_json(&cur.json_text) {
                            if cur.last.as_ref() != Some(&v) {
                                cur.last = Some(v.clone());
                                return Some(Ok(StructuredEvent::Partial(v)));
                            }
                        }
                    }
                }
                Some(Err(e)) => {
                    let e = match self.current.take() {
                        Some(a) => e.with_partial(a.collector.finish()),
                        None => e,
                    };
                    return Some(Err(self.fail(e)));
                }
                None => return Some(self.finish_attempt()),
            }
        }
    }

    fn fail(&mut self, e: Error) -> Error {
        self.done = true;
        e
    }

    fn finish_attempt(&mut self) -> Result<StructuredEvent<T>> {
        let Some(attempt) = self.current.take() else {
            return Err(self.fail(Error::new(ErrorKind::Decode, "no attempt in progress")));
        };
        let mut resp = attempt.collector.finish();
        resp.cost = resp.usage.as_ref().and_then(|u| attempt.events.cost_of(u));
        tally(&mut self.usage, &mut self.cost, &resp);
        let problem = match self.plan.judge(&resp, self.parse.as_ref()) {
            Ok((value, json)) => {
                self.done = true;
                return Ok(StructuredEvent::Done(Generated {
                    value,
                    json,
                    response: resp,
                    attempts: self.attempts,
                    usage: std::mem::take(&mut self.usage),
                    cost: self.cost.take(),
                    strategy: self.plan.strategy,
                }));
            }
            Err(p) => p,
        };
        if self.attempts > self.max_retries {
            let e = exhausted(self.attempts, &problem, resp);
            return Err(self.fail(e));
        }
        self.plan.feed_back(&mut self.req, &resp, &problem);
        Ok(StructuredEvent::Retry { problem })
    }
}

impl Attempt {
    /// Adds the event's share of the answer's JSON text; whether it grew.
    fn take_json(&mut self, event: &StreamEvent, plan: &Plan) -> bool {
        match event {
            StreamEvent::TextDelta(t) if !plan.streams_in_tool_call() => {
                self.json_text.push_str(t);
                true
            }
            StreamEvent::ToolCallStart { index, name, .. } if plan.is_ours(name) => {
                self.tool_index = Some(*index);
                false
            }
            StreamEvent::ToolCallDelta { index, arguments } if self.tool_index == Some(*index) => {
                self.json_text.push_str(arguments);
                true
            }
            StreamEvent::ToolCall(call) if plan.is_ours(&call.name) => {
                self.json_text = call.arguments_text();
                true
            }
            _ => false,
        }
    }
}
