//! The tool loop: register async Rust functions as tools, and `run_tools` calls the model,
//! runs the tool calls it asks for (several at once when it asks for several), sends the
//! results back, and repeats until the model answers or the step limit. A tool's error or
//! panic becomes an error result the model sees, never a crash.

use super::Client;
use crate::error::Result;
use crate::types::{
    ChatRequest, ChatResponse, Message, Part, Role, Tool, ToolCall, ToolResult, Usage,
};
use futures_util::future::{join_all, BoxFuture};
use futures_util::FutureExt;
use serde_json::Value;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

type ToolFn =
    Arc<dyn Fn(Value) -> BoxFuture<'static, std::result::Result<String, String>> + Send + Sync>;

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
#[derive(Clone, Default)]
pub struct ToolSet {
    tools: Vec<(Tool, ToolFn)>,
}

impl ToolSet {
    /// No tools.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a tool run by `f` (arguments in, result text or error text out).
    pub fn with<F, Fut>(mut self, tool: Tool, f: F) -> Self
    where
        F: Fn(Value) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = std::result::Result<String, String>> + Send + 'static,
    {
        let f: ToolFn = Arc::new(move |args| Box::pin(f(args)));
        self.tools.push((tool, f));
        self
    }

    /// The tool definitions.
    pub fn tools(&self) -> Vec<Tool> {
        self.tools.iter().map(|(t, _)| t.clone()).collect()
    }

    /// Runs one call: an unknown tool, an error or a panic become an error result.
    async fn run(&self, call: &ToolCall) -> ToolResult {
        let outcome = match self.tools.iter().find(|(t, _)| t.name == call.name) {
            None => Err(format!("there is no tool named `{}`", call.name)),
            Some((_, f)) => match AssertUnwindSafe(f(call.arguments.clone()))
                .catch_unwind()
                .await
            {
                Ok(r) => r,
                Err(_) => Err(format!("the tool `{}` failed (it panicked)", call.name)),
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
            hit_step_limit: false,
        };
        for _ in 0..max_steps.max(1) {
            req.messages = run.messages.clone();
            let resp = self.chat(req.clone()).await?;
            if let Some(u) = &resp.usage {
                run.usage.add(u);
            }
            run.messages
                .push(Message::new(Role::Assistant, resp.content.clone()));
            let calls: Vec<ToolCall> = resp.tool_calls().into_iter().cloned().collect();
            run.responses.push(resp);
            if calls.is_empty() {
                return Ok(run);
            }
            let results = join_all(calls.iter().map(|c| tools.run(c))).await;
            run.messages.push(Message::new(
                Role::Tool,
                results.into_iter().map(Part::ToolResult).collect(),
            ));
        }
        run.hit_step_limit = true;
        Ok(run)
    }
}
