//! Encoding helpers the codecs share: OpenAI-style function tools, warnings for what a
//! provider cannot take, tool-call arguments as objects, merging consecutive turns of one role,
//! and finding the tool a result answers.

use super::common::{merge_options, post_json_accepting};
use super::{Encoded, Endpoint};
use crate::error::Result;
use crate::types::{ChatRequest, JsonMap, Message, Part, ResponseFormat, Tool, ToolCall, Warning};
use serde_json::{json, Value};

/// A response format as OpenAI takes it: `{"type": "text"}`, `{"type": "json_object"}`, or
/// `{"type": "json_schema", ...}` with the schema's `name`, `schema`, `description` and
/// `strict` nested under `json_schema` (Chat Completions, `nested`) or beside `type`
/// (Responses).
pub(crate) fn openai_response_format(f: &ResponseFormat, nested: bool) -> Value {
    match f {
        ResponseFormat::Text => json!({"type": "text"}),
        ResponseFormat::JsonObject => json!({"type": "json_object"}),
        ResponseFormat::JsonSchema {
            name,
            schema,
            description,
            strict,
        } => {
            let mut s = json!({"name": name, "schema": schema});
            if let Some(d) = description {
                s["description"] = d.as_str().into();
            }
            if let Some(st) = strict {
                s["strict"] = (*st).into();
            }
            if nested {
                json!({"type": "json_schema", "json_schema": s})
            } else {
                s["type"] = "json_schema".into();
                s
            }
        }
    }
}

/// Tools as `[{"type": "function", "function": {name, description, parameters}}]`, the shape
/// OpenAI Chat Completions, Cohere and Ollama share; `strict` goes on each function when
/// `strict_inline` (Cohere takes it once, as `strict_tools`).
pub(crate) fn function_tools(tools: &[Tool], strict_inline: bool) -> Value {
    tools
        .iter()
        .map(|t| {
            let mut f = json!({"name": t.name, "parameters": t.parameters_or_empty()});
            if let Some(d) = &t.description {
                f["description"] = d.as_str().into();
            }
            if let Some(s) = t.strict.filter(|_| strict_inline) {
                f["strict"] = s.into();
            }
            json!({"type": "function", "function": f})
        })
        .collect()
}

/// Whether a request sets one setting.
pub(crate) type IsSet = fn(&ChatRequest) -> bool;

/// Every optional setting of a chat request a codec may be unable to honour: the name its
/// warning uses, and whether a request sets it. Codecs name theirs in
/// [`super::Codec::unsupported_settings`]; this one table says what each name means.
pub(crate) const SETTINGS: &[(&str, IsSet)] = &[
    ("tools", |r| !r.tools.is_empty()),
    ("tool_choice", |r| r.tool_choice.is_some()),
    ("parallel_tool_calls", |r| r.parallel_tool_calls.is_some()),
    ("top_k", |r| r.top_k.is_some()),
    ("stop", |r| !r.stop.is_empty()),
    ("seed", |r| r.seed.is_some()),
    ("n", |r| r.n.is_some()),
    ("frequency_penalty", |r| r.frequency_penalty.is_some()),
    ("presence_penalty", |r| r.presence_penalty.is_some()),
    ("response_format", |r| r.response_format.is_some()),
    ("reasoning", |r| r.reasoning.is_some()),
    ("service_tier", |r| r.service_tier.is_some()),
    ("user", |r| r.user.is_some()),
    ("logprobs", |r| r.logprobs.is_some()),
    ("top_logprobs", |r| r.top_logprobs.is_some()),
    ("prediction", |r| r.prediction.is_some()),
    ("audio", |r| r.audio.is_some()),
];

/// The end every JSON chat codec's encoding shares: an "unsupported" warning for each
/// setting in `unsupported` (names of [`SETTINGS`]) that `req` sets, then the caller's
/// `provider_options` merged over the body (they win, so a caller can send what exllm does
/// not model).
pub(crate) fn settle(
    body: &mut JsonMap,
    warnings: &mut Vec<Warning>,
    req: &ChatRequest,
    ep: &Endpoint,
    unsupported: &[&str],
) {
    for (name, set) in SETTINGS {
        if set(req) && unsupported.contains(name) {
            warnings.push(Warning::unsupported(name, &ep.provider));
        }
    }
    merge_options(body, &req.provider_options);
}

/// A JSON chat body being built and the warnings met on the way: what every JSON chat codec's
/// `encode` starts from and ends with, so a codec spends its lines on its own wire shape.
/// It reads and writes as the [`JsonMap`] it holds.
#[derive(Default)]
pub(crate) struct JsonBody {
    /// The body so far.
    pub(crate) map: JsonMap,
    /// What the codec could not send as asked.
    pub(crate) warnings: Vec<Warning>,
}

impl JsonBody {
    /// A body that names `model`, as most APIs want first.
    pub(crate) fn with_model(model: &str) -> Self {
        let mut b = Self::default();
        b.map.insert("model".into(), model.into());
        b
    }

    /// [`settle`]s the body: warnings for the `unsupported` settings `req` sets, then the
    /// caller's `provider_options` merged over it.
    pub(crate) fn settle(&mut self, req: &ChatRequest, ep: &Endpoint, unsupported: &[&str]) {
        settle(&mut self.map, &mut self.warnings, req, ep, unsupported);
    }

    /// The body `POST`ed as JSON to `path`, accepting `accept` (see [`super::common::accept`]).
    pub(crate) fn send(self, ep: &Endpoint, path: &str, accept: &'static str) -> Result<Encoded> {
        let request = post_json_accepting(ep, path, &Value::Object(self.map), accept)?;
        Ok(Encoded {
            request,
            warnings: self.warnings,
        })
    }

    /// [`Self::settle`], then [`Self::send`]: the usual end of a codec's `encode`.
    pub(crate) fn finish(
        mut self,
        req: &ChatRequest,
        ep: &Endpoint,
        unsupported: &[&str],
        path: &str,
        accept: &'static str,
    ) -> Result<Encoded> {
        self.settle(req, ep, unsupported);
        self.send(ep, path, accept)
    }
}

impl std::ops::Deref for JsonBody {
    type Target = JsonMap;
    fn deref(&self) -> &JsonMap {
        &self.map
    }
}

impl std::ops::DerefMut for JsonBody {
    fn deref_mut(&mut self) -> &mut JsonMap {
        &mut self.map
    }
}

/// The name of a part kind, for warnings.
pub(crate) fn part_name(p: &Part) -> &'static str {
    match p {
        Part::Text { .. } => "text",
        Part::Image { .. } => "image",
        Part::File { .. } => "file",
        Part::Audio(_) => "audio",
        Part::ToolCall(_) => "tool call",
        Part::ToolResult(_) => "tool result",
        Part::Reasoning(_) => "reasoning",
        Part::Refusal { .. } => "refusal",
        Part::CacheBreakpoint(_) => "cache breakpoint",
        Part::ProviderItem(_) => "provider item",
    }
}

/// A warning that a part could not be sent to `target` and was dropped.
pub(crate) fn dropped(p: &Part, target: &str) -> Warning {
    Warning {
        setting: None,
        message: format!(
            "a {} part cannot be sent to {target}; it was dropped",
            part_name(p)
        ),
    }
}

/// A tool call's arguments as a JSON object, for APIs that take objects: JSON text is parsed;
/// anything that is not an object is sent as `{}` with a warning.
pub(crate) fn args_object(c: &ToolCall, warnings: &mut Vec<Warning>) -> Value {
    let parsed = match &c.arguments {
        Value::String(s) => serde_json::from_str(s).ok(),
        v => Some(v.clone()),
    };
    match parsed {
        Some(v @ Value::Object(_)) => v,
        _ => {
            warnings.push(Warning {
                setting: None,
                message: format!(
                    "the arguments of tool call `{}` are not a JSON object; sent as {{}}",
                    c.id
                ),
            });
            json!({})
        }
    }
}

/// Appends `items` to the last turn when it has `role`, else starts a new turn
/// `{"role": role, key: items}` (APIs that want alternating or merged turns).
pub(crate) fn push_turn(turns: &mut Vec<Value>, role: &str, key: &str, items: Vec<Value>) {
    if items.is_empty() {
        return;
    }
    if let Some(last) = turns.last_mut().filter(|l| l["role"] == role) {
        if let Some(Value::Array(a)) = last.get_mut(key) {
            a.extend(items);
            return;
        }
    }
    turns.push(json!({"role": role, key: items}));
}

/// The name of the tool whose call `call_id` a result in `messages[at]` answers: the latest
/// call with that id before it (made-up ids like `call_0` repeat across turns).
pub(crate) fn tool_name(messages: &[Message], at: usize, call_id: &str) -> Option<String> {
    messages[..=at.min(messages.len().saturating_sub(1))]
        .iter()
        .rev()
        .flat_map(|m| m.content.iter().rev())
        .find_map(|p| match p {
            Part::ToolCall(c) if c.id == call_id => Some(c.name.clone()),
            _ => None,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Role;

    #[test]
    fn turns_merge_by_role() {
        let mut t = Vec::new();
        push_turn(&mut t, "user", "parts", vec![json!(1)]);
        push_turn(&mut t, "user", "parts", vec![json!(2)]);
        push_turn(&mut t, "model", "parts", vec![]);
        push_turn(&mut t, "model", "parts", vec![json!(3)]);
        assert_eq!(
            Value::Array(t),
            json!([{"role": "user", "parts": [1, 2]}, {"role": "model", "parts": [3]}])
        );
    }

    #[test]
    fn arguments_become_objects_or_warn() {
        let mut w = Vec::new();
        let call = |a: Value| ToolCall {
            id: "c".into(),
            name: "f".into(),
            arguments: a,
            provider_meta: None,
        };
        assert_eq!(args_object(&call(json!({"a": 1})), &mut w), json!({"a": 1}));
        assert_eq!(
            args_object(&call(json!("{\"a\":1}")), &mut w),
            json!({"a": 1})
        );
        assert!(w.is_empty());
        assert_eq!(args_object(&call(json!("{broken")), &mut w), json!({}));
        assert_eq!(w.len(), 1);
    }

    #[test]
    fn tool_names_come_from_the_latest_matching_call() {
        let call = |name: &str| {
            Message::new(
                Role::Assistant,
                vec![Part::ToolCall(ToolCall {
                    id: "call_0".into(),
                    name: name.into(),
                    ..Default::default()
                })],
            )
        };
        let msgs = vec![
            call("first"),
            Message::user("x"),
            call("second"),
            Message::user("y"),
        ];
        assert_eq!(tool_name(&msgs, 3, "call_0").as_deref(), Some("second"));
        assert_eq!(tool_name(&msgs, 1, "call_0").as_deref(), Some("first"));
        assert_eq!(tool_name(&msgs, 1, "nope"), None);
    }
}
