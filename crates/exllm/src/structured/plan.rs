//! One structured-output call prepared for a strategy: how the request asks for JSON, where
//! the answer's JSON is read from, and how a bad answer is sent back for another try.

use super::{extract_json, is_strict_compatible, GenerateOptions, OutputStrategy, Validator};
use crate::error::{Error, ErrorKind, Result};
use crate::provider::Api;
use crate::types::{
    ChatRequest, ChatResponse, FinishKind, Message, Part, ResponseFormat, Role, Tool, ToolChoice,
    ToolResult,
};
use serde_json::Value;

/// A prepared structured-output call.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    pub strategy: OutputStrategy,
    pub schema: Value,
    validator: Validator,
    name: String,
    description: Option<String>,
    /// The API has a JSON mode (used with the instructions strategy).
    json_mode: bool,
}

impl Plan {
    pub fn new(
        schema: Value,
        strategy: OutputStrategy,
        api: Option<Api>,
        opts: &GenerateOptions,
    ) -> Result<Self> {
        Ok(Plan {
            json_mode: super::has_json_modes(api),
            strategy,
            validator: Validator::new(&schema)?,
            schema,
            name: opts.name.clone(),
            description: opts.description.clone(),
        })
    }

    /// Asks for JSON the way the strategy does.
    pub fn apply(&self, req: &mut ChatRequest) {
        match self.strategy {
            OutputStrategy::NativeSchema => {
                req.response_format = Some(ResponseFormat::JsonSchema {
                    name: self.name.clone(),
                    schema: self.schema.clone(),
                    description: self.description.clone(),
                    strict: is_strict_compatible(&self.schema).then_some(true),
                });
            }
            OutputStrategy::ToolCall => {
                req.tools.retain(|t| t.name != self.name);
                req.tools.push(Tool {
                    name: self.name.clone(),
                    description: Some(
                        self.description
                            .clone()
                            .unwrap_or_else(|| "Give the answer as this tool's arguments.".into()),
                    ),
                    parameters: self.schema.clone(),
                    strict: None,
                });
                req.tool_choice = Some(ToolChoice::Tool(self.name.clone()));
            }
            OutputStrategy::JsonInstructions => {
                let text = format!(
                    "Answer with only one JSON value, no prose and no markdown, that matches \
                     this JSON Schema:\n{}",
                    self.schema
                );
                match req.messages.first_mut() {
                    Some(m) if m.role == Role::System => m.content.push(Part::text(text)),
                    _ => req.messages.insert(0, Message::system(text)),
                }
                if self.json_mode {
                    req.response_format = Some(ResponseFormat::JsonObject);
                }
            }
        }
    }

    /// The text the answer's JSON is streamed in: tool-call arguments or visible text.
    pub fn streams_in_tool_call(&self) -> bool {
        self.strategy == OutputStrategy::ToolCall
    }

    /// Whether a tool call of this name carries the answer.
    pub fn is_ours(&self, tool_name: &str) -> bool {
        self.strategy == OutputStrategy::ToolCall && tool_name == self.name
    }

    /// The answer's JSON, validated; else what is wrong with it, in words for the model.
    pub fn read(&self, resp: &ChatResponse) -> std::result::Result<Value, String> {
        let value = match self.our_call(resp) {
            Some(args) => match args {
                Value::String(s) => extract_json(s),
                v => Some(v.clone()),
            },
            None => extract_json(&resp.text()),
        };
        let Some(value) = value else {
            let mut why = match self.strategy {
                OutputStrategy::ToolCall => format!(
                    "You did not call the tool `{}` with JSON arguments.",
                    self.name
                ),
                _ => "The answer contains no JSON value.".to_owned(),
            };
            if resp.finish_kind() == Some(FinishKind::Length) {
                why.push_str(" It was cut off at the output token limit; answer more briefly.");
            }
            return Err(why);
        };
        self.validator
            .check(&value)
            .map(|()| value)
            .map_err(|e| format!("The JSON does not match the schema:\n{e}"))
    }

    /// The answer's value when its JSON is valid and `parse` takes it; else the problem.
    pub fn judge<T>(
        &self,
        resp: &ChatResponse,
        parse: impl Fn(&Value) -> std::result::Result<T, String>,
    ) -> std::result::Result<(T, Value), String> {
        let json = self.read(resp)?;
        match parse(&json) {
            Ok(value) => Ok((value, json)),
            Err(e) => Err(format!("The JSON does not fit the expected type: {e}")),
        }
    }

    fn our_call<'a>(&self, resp: &'a ChatResponse) -> Option<&'a Value> {
        if self.strategy != OutputStrategy::ToolCall {
            return None;
        }
        resp.tool_calls()
            .into_iter()
            .find(|c| c.name == self.name)
            .map(|c| &c.arguments)
    }

    /// Appends the bad answer and the problem to the conversation for another try. Every tool
    /// call of the answer gets a result, as providers require.
    pub fn feed_back(&self, req: &mut ChatRequest, resp: &ChatResponse, problem: &str) {
        req.messages
            .push(Message::new(Role::Assistant, resp.content.clone()));
        let calls = resp.tool_calls();
        if calls.is_empty() {
            req.messages.push(Message::user(format!(
                "{problem}\nReply again with only the corrected JSON."
            )));
            return;
        }
        let results = calls
            .into_iter()
            .map(|c| {
                let text = if c.name == self.name {
                    format!(
                        "{problem}\nCall `{}` again with corrected arguments.",
                        self.name
                    )
                } else {
                    format!(
                        "`{}` was not run: only `{}` may be called.",
                        c.name, self.name
                    )
                };
                Part::ToolResult(ToolResult {
                    call_id: c.id.clone(),
                    name: Some(c.name.clone()),
                    content: vec![Part::text(text)],
                    is_error: true,
                })
            })
            .collect();
        req.messages.push(Message::new(Role::Tool, results));
    }
}

/// The error when every try was rejected; it carries the last answer.
pub(crate) fn exhausted(attempts: u32, problem: &str, last: ChatResponse) -> Error {
    Error::new(
        ErrorKind::Decode,
        format!("no valid structured answer after {attempts} attempts: {problem}"),
    )
    .with_partial(last)
}

/// Deserialises a validated answer into `T`.
pub(crate) fn parse_as<T: serde::de::DeserializeOwned>(
    v: &Value,
) -> std::result::Result<T, String> {
    serde_json::from_value(v.clone()).map_err(|e| e.to_string())
}
