//! The tool loop: register async Rust functions as tools, and `run_tools` calls the model,
//! runs the tool calls it asks for (several at once when it asks for several), sends the
//! results back, and repeats until the model answers or the step limit. A tool's error or
//! panic becomes an error result the model sees, never a crash.

use super::Client;
use crate::catalog::Cost;
use crate::error::{Error, ErrorKind, Result};
use crate::types::schema::Validator;
use crate::types::{
    ChatRequest, ChatResponse, Message, Part, Role, Tool, ToolCall, ToolResult, Usage,
};
use futures_util::future::BoxFuture;
use futures_util::FutureExt;
use futures_util::StreamExt;
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

type ToolFn =
    Arc<dyn Fn(Value) -> BoxFuture<'static, std::result::Result<String, String>> + Send + Sync>;

/// A registered tool: its definition, its argument validator and the function.
#[derive(Clone)]
struct Entry {
    tool: Tool,
    validator: Option<Validator>,
    run: ToolFn,
}

/// Tools and the functions that run them.
///
/// ```
/// use exllm::client::ToolSet;
/// use exllm::Tool;
/// let tools = ToolSet::new().with(
///     Tool::new("add", "Adds two numbers", serde_json::json!({"type": "object"})),
///     |args| async move {
///         let a = args["a"].as_f64().ok_or("a is missing")?;
///         let b = args["b"].as_f64().ok_or("b is missing")?;
///         Ok((a + b).to_string())
///     },
/// );
/// assert_eq!(tools.tools().len(), 1);
/// ```
#[derive(Clone)]
pub struct ToolSet {
    tools: Vec<Entry>,
    concurrency: usize,
    max_calls: usize,
}

/// How many tool calls of one step run at once by default.
pub const DEFAULT_TOOL_CONCURRENCY: usize = 8;
/// How many tool calls one model answer may ask for by default; past it the loop stops with
/// an error rather than run them.
pub const DEFAULT_MAX_TOOL_CALLS_PER_STEP: usize = 64;

impl Default for ToolSet {
    fn default() -> Self {
        ToolSet {
            tools: Vec::new(),
            concurrency: DEFAULT_TOOL_CONCURRENCY,
            max_calls: DEFAULT_MAX_TOOL_CALLS_PER_STEP,
        }
    }
}

impl ToolSet {
    /// No tools.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets how many calls of one step run at once (at least 1); the rest wait their turn and
    /// results keep the order of the calls.
    pub fn with_concurrency(mut self, n: usize) -> Self {
        self.concurrency = n.max(1);
        self
    }

    /// Sets how many calls one answer may ask for; an answer asking for more ends the loop
    /// with [`crate::ErrorKind::InvalidInput`] (code `too_many_tool_calls`) carrying that
    /// answer, and runs none of them.
    pub fn with_max_calls_per_step(mut self, n: usize) -> Self {
        self.max_calls = n;
        self
    }

    /// Adds a tool run by `f` (arguments in, result text or error text out). Arguments that
    /// do not match the tool's JSON Schema are not passed to `f`: the model gets the
    /// validation errors as an error result and can call again.
    pub fn with<F, Fut>(mut self, tool: Tool, f: F) -> Self
    where
        F: Fn(Value) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = std::result::Result<String, String>> + Send + 'static,
    {
        let run: ToolFn = Arc::new(move |args| Box::pin(f(args)));
        let validator = match Validator::new(&tool.parameters_or_empty()) {
            Ok(v) => Some(v),
            Err(e) => {
                tracing::warn!(tool = %tool.name, "arguments not validated: {}", e.message());
                None
            }
        };
        self.tools.push(Entry {
            tool,
            validator,
            run,
        });
        self
    }

    /// Adds a tool whose arguments are the Rust type `A` (its JSON Schema from `schemars`,
    /// its doc comment or `description` as the tool's description). `f`'s result is sent as
    /// JSON (a string result as plain text); its error as an error result.
    ///
    /// ```
    /// use exllm::client::ToolSet;
    /// #[derive(serde::Deserialize, schemars::JsonSchema)]
    /// struct Weather { city: String }
    /// let tools = ToolSet::new().with_typed("weather", "Current weather in a city", |w: Weather| async move {
    ///     Ok::<_, String>(format!("sunny in {}", w.city))
    /// });
    /// assert_eq!(tools.tools()[0].parameters["required"][0], "city");
    /// ```
    pub fn with_typed<A, R, E, F, Fut>(
        self,
        name: impl Into<String>,
        description: impl Into<String>,
        f: F,
    ) -> Self
    where
        A: JsonSchema + DeserializeOwned + Send + 'static,
        R: Serialize,
        E: std::fmt::Display,
        F: Fn(A) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = std::result::Result<R, E>> + Send + 'static,
    {
        let tool = Tool::for_type::<A>(name, description);
        let f = Arc::new(f);
        self.with(tool, move |args| {
            let f = f.clone();
            async move {
                let a: A =
                    serde_json::from_value(args).map_err(|e| format!("invalid arguments: {e}"))?;
                match f(a).await {
                    Ok(r) => match serde_json::to_value(r) {
                        Ok(Value::String(s)) => Ok(s),
                        Ok(v) => Ok(v.to_string()),
                        Err(e) => Err(format!("the result could not be encoded: {e}")),
                    },
                    Err(e) => Err(e.to_string()),
                }
            }
        })
    }

    /// The tool definitions.
    pub fn tools(&self) -> Vec<Tool> {
        self.tools.iter().map(|e| e.tool.clone()).collect()
    }

    /// Runs one call: an unknown tool, invalid arguments, an error or a panic become an
    /// error result.
    async fn run(&self, call: &ToolCall) -> ToolResult {
        let outcome = match self.tools.iter().find(|e| e.tool.name == call.name) {
            None => Err(format!("there is no tool named `{}`", call.name)),
            Some(e) => match e.validator.as_ref().map(|v| v.check(&call.arguments)) {
                Some(Err(problems)) => Err(format!(
                    "invalid arguments for `{}`:\n{problems}\nCall it again with arguments \
                     that match its schema.",
                    call.name
                )),
                _ => match AssertUnwindSafe((e.run)(call.arguments.clone()))
                    .catch_unwind()
                    .await
                {
                    Ok(r) => r,
                    Err(_) => Err(format!("the tool `{}` failed (it panicked)", call.name)),
                },
            },
        };
        let (text, is_error) = match outcome {
            Ok(t) => (t, false),
            Err(e) => (e, true),
        };
        ToolResult {
            call_id: call.id.clone(),
            name: Some(call.name.clone()),
            content: vec![Part::text(text)],
            is_error,
        }
    }
}

/// The whole exchange of a tool loop.
#[derive(Debug, Clone)]
pub struct ToolRun {
    /// The conversation: the request's messages, then every answer and tool result.
    pub messages: Vec<Message>,
    /// Every model response, in order (the last is the final answer).
    pub responses: Vec<ChatResponse>,
    /// Usage summed over all responses.
    pub usage: Usage,
    /// Cost summed over all responses (`None` when the catalog priced none of them).
    pub cost: Option<Cost>,
    /// Whether the loop stopped at the step limit with tool calls still pending.
    pub hit_step_limit: bool,
}

impl ToolRun {
    /// The last response.
    pub fn last(&self) -> Option<&ChatResponse> {
        self.responses.last()
    }
}

impl Client {
    /// Runs the tool loop for at most `max_steps` model calls.
    pub async fn run_tools(
        &self,
        mut req: ChatRequest,
        tools: &ToolSet,
        max_steps: usize,
    ) -> Result<ToolRun> {
        req.tools = tools.tools();
        let mut run = ToolRun {
            messages: req.messages.clone(),
            responses: Vec::new(),
            usage: Usage::default(),
            cost: None,
            hit_step_limit: false,
        };
        for _ in 0..max_steps.max(1) {
            req.messages = run.messages.clone();
            let resp = self.chat(req.clone()).await?;
            tally(&mut run.usage, &mut run.cost, &resp);
            run.messages
                .push(Message::new(Role::Assistant, resp.content.clone()));
            let calls: Vec<ToolCall> = resp.tool_calls().into_iter().cloned().collect();
            if calls.len() > tools.max_calls {
                return Err(Error::new(
                    ErrorKind::InvalidInput,
                    format!(
                        "the model asked for {} tool calls in one answer; at most {} run per step",
                        calls.len(),
                        tools.max_calls
                    ),
                )
                .with_code("too_many_tool_calls")
                .with_partial(resp));
            }
            run.responses.push(resp);
            if calls.is_empty() {
                return Ok(run);
            }
            let results: Vec<ToolResult> =
                futures_util::stream::iter(calls.iter().map(|c| tools.run(c)))
                    .buffered(tools.concurrency)
                    .collect()
                    .await;
            run.messages.push(Message::new(
                Role::Tool,
                results.into_iter().map(Part::ToolResult).collect(),
            ));
        }
        run.hit_step_limit = true;
        Ok(run)
    }
}

/// Adds a response's usage and cost to running totals over several calls; the cost total
/// stays `None` until some response is priced.
pub(crate) fn tally(usage: &mut Usage, cost: &mut Option<Cost>, resp: &ChatResponse) {
    if let Some(u) = &resp.usage {
        usage.add(u);
    }
    if let Some(c) = &resp.cost {
        cost.get_or_insert_with(Cost::default).add(c);
    }
}
