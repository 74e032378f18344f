//! Decoding a Chat Completions request body into exllm's canonical [`ChatRequest`]. Every
//! field OpenAI documents is either mapped to a canonical field, carried in
//! `provider_options` (OpenAI-only knobs such as `logit_bias`, which only OpenAI-style
//! backends honour), accepted and not forwarded (`metadata`, `store`: stored completions
//! are the gateway's business, not the backend's), or refused with a 400 naming it, as
//! OpenAI refuses an argument it does not know.

use super::super::{ApiError, Inbound};
use exllm::{
    ChatRequest, ImageDetail, MediaSource, Message, Part, ReasoningConfig, ReasoningEffort,
    ResponseFormat, Role, Tool, ToolCall, ToolChoice, ToolResult,
};
use serde::Deserialize;
use serde_json::{Map, Value};

/// The request body. Unknown top-level fields are refused (see [`decode`]).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Body {
    model: String,
    messages: Vec<WireMessage>,
    tools: Option<Vec<Value>>,
    tool_choice: Option<Value>,
    parallel_tool_calls: Option<bool>,
    response_format: Option<Value>,
    temperature: Option<f64>,
    top_p: Option<f64>,
    top_k: Option<u32>,
    max_tokens: Option<u32>,
    max_completion_tokens: Option<u32>,
    stop: Option<Value>,
    seed: Option<u64>,
    n: Option<u32>,
    presence_penalty: Option<f64>,
    frequency_penalty: Option<f64>,
    reasoning_effort: Option<String>,
    user: Option<String>,
    service_tier: Option<String>,
    prediction: Option<Value>,
    logprobs: Option<bool>,
    top_logprobs: Option<u8>,
    stream: Option<bool>,
    stream_options: Option<StreamOptions>,
    // Accepted, not forwarded: stored completions are not the backend's business.
    #[allow(dead_code)]
    metadata: Option<Value>,
    #[allow(dead_code)]
    store: Option<bool>,
    // OpenAI-only knobs, forwarded as provider options.
    logit_bias: Option<Value>,
    safety_identifier: Option<String>,
    prompt_cache_key: Option<String>,
    verbosity: Option<String>,
}

#[derive(Deserialize)]
struct StreamOptions {
    include_usage: Option<bool>,
}

#[derive(Deserialize)]
struct WireMessage {
    role: String,
    #[serde(default)]
    content: Value,
    name: Option<String>,
    tool_calls: Option<Vec<WireCall>>,
    tool_call_id: Option<String>,
    refusal: Option<String>,
    reasoning_content: Option<String>,
}

#[derive(Deserialize)]
struct WireCall {
    id: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    function: WireFunction,
}

#[derive(Deserialize)]
struct WireFunction {
    name: String,
    #[serde(default)]
    arguments: Value,
}

/// A 400 about `what`.
pub(crate) fn invalid(what: impl Into<String>) -> ApiError {
    ApiError {
        status: 400,
        kind: "invalid_request_error",
        message: what.into(),
        retry_after: None,
    }
}

/// Decodes a Chat Completions request body.
pub fn decode(body: &[u8]) -> Result<Inbound, ApiError> {
    let b: Body = serde_json::from_slice(body)
        .map_err(|e| invalid(format!("invalid Chat Completions request body: {e}")))?;
    if b.model.is_empty() {
        return Err(invalid("`model` must not be empty"));
    }
    if b.messages.is_empty() {
        return Err(invalid("`messages` must not be empty"));
    }
    let mut messages = Vec::with_capacity(b.messages.len());
    for (i, m) in b.messages.into_iter().enumerate() {
        messages.push(message(m).map_err(|e| invalid(format!("messages[{i}]: {e}")))?);
    }
    let mut req = ChatRequest::new(b.model, messages);
    if let Some(tools) = b.tools {
        for (i, t) in tools.iter().enumerate() {
            req.tools
                .push(tool(t).map_err(|e| invalid(format!("tools[{i}]: {e}")))?);
        }
    }
    req.tool_choice = b.tool_choice.as_ref().map(tool_choice).transpose()?;
    req.parallel_tool_calls = b.parallel_tool_calls;
    req.response_format = b
        .response_format
        .as_ref()
        .map(response_format)
        .transpose()?;
    req.temperature = b.temperature;
    req.top_p = b.top_p;
    req.top_k = b.top_k;
    req.max_tokens = b.max_completion_tokens.or(b.max_tokens);
    req.stop = match b.stop {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(s)) => vec![s],
        Some(Value::Array(a)) => a
            .into_iter()
            .map(|v| match v {
                Value::String(s) => Ok(s),
                _ => Err(invalid("`stop` must be a string or a list of strings")),
            })
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(invalid("`stop` must be a string or a list of strings")),
    };
    req.seed = b.seed;
    req.n = b.n;
    req.presence_penalty = b.presence_penalty;
    req.frequency_penalty = b.frequency_penalty;
    if let Some(e) = b.reasoning_effort {
        req.reasoning = Some(ReasoningConfig {
            effort: Some(effort(&e)?),
            ..Default::default()
        });
    }
    req.user = b.user;
    req.service_tier = b.service_tier;
    req.prediction = match b.prediction {
        None | Some(Value::Null) => None,
        Some(p) => Some(prediction(&p)?),
    };
    req.logprobs = b.logprobs;
    req.top_logprobs = b.top_logprobs;
    let mut options = Map::new();
    if let Some(v) = b.logit_bias {
        options.insert("logit_bias".into(), v);
    }
    for (key, v) in [
        ("safety_identifier", b.safety_identifier),
        ("prompt_cache_key", b.prompt_cache_key),
        ("verbosity", b.verbosity),
    ] {
        if let Some(v) = v {
            options.insert(key.into(), Value::String(v));
        }
    }
    req.provider_options = options;
    let stream = b.stream.unwrap_or(false);
    let include_usage = stream
        && b.stream_options
            .and_then(|o| o.include_usage)
            .unwrap_or(false);
    Ok(Inbound {
        request: req,
        stream,
        include_usage,
    })
}

fn message(m: WireMessage) -> Result<Message, String> {
    let role = match m.role.as_str() {
        "system" => Role::System,
        "developer" => Role::Developer,
        "user" => Role::User,
        "assistant" => Role::Assistant,
        "tool" => Role::Tool,
        other => return Err(format!("unsupported role `{other}`")),
    };
    let mut parts = Vec::new();
    if role == Role::Tool {
        let call_id = m
            .tool_call_id
            .ok_or("a tool message needs `tool_call_id`")?;
        let result = ToolResult {
            call_id,
            name: m.name,
            content: content(m.content, role)?,
            is_error: false,
        };
        return Ok(Message::tool_result(result));
    }
    if role == Role::Assistant {
        if let Some(r) = m.reasoning_content.filter(|r| !r.is_empty()) {
            parts.push(Part::Reasoning(exllm::Reasoning {
                text: r,
                ..Default::default()
            }));
        }
    }
    parts.extend(content(m.content, role)?);
    if role == Role::Assistant {
        if let Some(r) = m.refusal {
            parts.push(Part::Refusal { text: r });
        }
        for (i, c) in m.tool_calls.into_iter().flatten().enumerate() {
            if c.kind.as_deref().is_some_and(|k| k != "function") {
                return Err(format!(
                    "tool_calls[{i}]: only `function` calls are supported"
                ));
            }
            let arguments = match c.function.arguments {
                Value::String(s) => ToolCall::parse_arguments(&s),
                Value::Null => Value::Object(Map::new()),
                v => v,
            };
            parts.push(Part::ToolCall(ToolCall {
                id: c.id.unwrap_or_default(),
                name: c.function.name,
                arguments,
                provider_meta: None,
            }));
        }
    } else if m.tool_calls.is_some() {
        return Err("only assistant messages carry `tool_calls`".into());
    }
    let mut msg = Message::new(role, parts);
    msg.name = m.name;
    Ok(msg)
}

/// Message content: a string, a list of parts, or null.
fn content(v: Value, role: Role) -> Result<Vec<Part>, String> {
    match v {
        Value::Null => Ok(Vec::new()),
        Value::String(s) => Ok(vec![Part::text(s)]),
        Value::Array(parts) => parts
            .iter()
            .enumerate()
            .map(|(i, p)| content_part(p, role).map_err(|e| format!("content[{i}]: {e}")))
            .collect(),
        _ => Err("`content` must be a string, a list of parts or null".into()),
    }
}

fn content_part(p: &Value, role: Role) -> Result<Part, String> {
    let kind = p.get("type").and_then(Value::as_str).unwrap_or("");
    let text = |key: &str| {
        p.get(key)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| format!("a `{kind}` part needs a string `{key}`"))
    };
    match kind {
        "text" => Ok(Part::text(text("text")?)),
        "refusal" if role == Role::Assistant => Ok(Part::Refusal {
            text: text("refusal")?,
        }),
        "image_url" if matches!(role, Role::User) => image(p.get("image_url")),
        "file" if matches!(role, Role::User) => file(p.get("file")),
        "" => Err("a content part needs a `type`".into()),
        other => Err(format!(
            "content parts of type `{other}` are not supported in a {} message",
            role_name(role)
        )),
    }
}

fn role_name(role: Role) -> &'static str {
    match role {
        Role::System => "system",
        Role::Developer => "developer",
        Role::User => "user",
        Role::Assistant => "assistant",
        _ => "tool",
    }
}

/// An image by `http(s)` URL, passed on for the provider to fetch, or by `data:` URL, held
/// inline. Any other scheme is refused: the gateway never reads files or URLs for callers.
fn image(v: Option<&Value>) -> Result<Part, String> {
    let (url, detail) = match v {
        Some(Value::String(u)) => (u.as_str(), None),
        Some(Value::Object(o)) => (
            o.get("url").and_then(Value::as_str).unwrap_or(""),
            o.get("detail").and_then(Value::as_str),
        ),
        _ => return Err("an `image_url` part needs `image_url.url`".into()),
    };
    let detail = match detail {
        None => None,
        Some("auto") => Some(ImageDetail::Auto),
        Some("low") => Some(ImageDetail::Low),
        Some("high") => Some(ImageDetail::High),
        Some(d) => return Err(format!("unknown image detail `{d}`")),
    };
    let (source, media_type) = media_source(url)?;
    Ok(Part::Image {
        source,
        media_type,
        detail,
    })
}

fn media_source(url: &str) -> Result<(MediaSource, Option<String>), String> {
    if let Some(rest) = url.strip_prefix("data:") {
        let (head, data) = rest
            .split_once(',')
            .ok_or("a `data:` URL needs a `,` before its data")?;
        let media_type = head
            .strip_suffix(";base64")
            .ok_or("only base64 `data:` URLs are supported")?;
        let media_type = (!media_type.is_empty()).then(|| media_type.to_owned());
        return Ok((MediaSource::Base64(data.to_owned()), media_type));
    }
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    if lower.starts_with("https://") || lower.starts_with("http://") {
        Ok((MediaSource::Url(url.to_owned()), None))
    } else {
        Err("media URLs must be `https:`, `http:` or base64 `data:` URLs".into())
    }
}

fn file(v: Option<&Value>) -> Result<Part, String> {
    let o = v
        .and_then(Value::as_object)
        .ok_or("a `file` part needs `file`")?;
    let filename = o.get("filename").and_then(Value::as_str).map(str::to_owned);
    let (source, media_type) = if let Some(d) = o.get("file_data").and_then(Value::as_str) {
        if d.starts_with("data:") {
            media_source(d)?
        } else {
            (MediaSource::Base64(d.to_owned()), None)
        }
    } else if let Some(id) = o.get("file_id").and_then(Value::as_str) {
        (MediaSource::FileId(id.to_owned()), None)
    } else {
        return Err("a `file` part needs `file_data` or `file_id`".into());
    };
    Ok(Part::File {
        source,
        media_type,
        filename,
    })
}

fn tool(t: &Value) -> Result<Tool, String> {
    if t.get("type").and_then(Value::as_str) != Some("function") {
        return Err("only tools of type `function` are supported".into());
    }
    let f = t.get("function").ok_or("a tool needs `function`")?;
    let name = f
        .get("name")
        .and_then(Value::as_str)
        .filter(|n| !n.is_empty())
        .ok_or("a function needs a `name`")?;
    Ok(Tool {
        name: name.to_owned(),
        description: f
            .get("description")
            .and_then(Value::as_str)
            .map(str::to_owned),
        parameters: f.get("parameters").cloned().unwrap_or(Value::Null),
        strict: f.get("strict").and_then(Value::as_bool),
    })
}

fn tool_choice(v: &Value) -> Result<ToolChoice, ApiError> {
    match v {
        Value::String(s) => match s.as_str() {
            "auto" => Ok(ToolChoice::Auto),
            "none" => Ok(ToolChoice::None),
            "required" => Ok(ToolChoice::Required),
            _ => Err(invalid(format!("unknown `tool_choice` `{s}`"))),
        },
        Value::Object(o) if o.get("type").and_then(Value::as_str) == Some("function") => o
            .get("function")
            .and_then(|f| f.get("name"))
            .and_then(Value::as_str)
            .map(|n| ToolChoice::Tool(n.to_owned()))
            .ok_or_else(|| invalid("`tool_choice.function.name` is missing")),
        _ => Err(invalid(
            "`tool_choice` must be `auto`, `none`, `required` or a function",
        )),
    }
}

fn response_format(v: &Value) -> Result<ResponseFormat, ApiError> {
    match v.get("type").and_then(Value::as_str) {
        Some("text") => Ok(ResponseFormat::Text),
        Some("json_object") => Ok(ResponseFormat::JsonObject),
        Some("json_schema") => {
            let s = v
                .get("json_schema")
                .ok_or_else(|| invalid("`response_format.json_schema` is missing"))?;
            let name = s
                .get("name")
                .and_then(Value::as_str)
                .ok_or_else(|| invalid("`response_format.json_schema.name` is missing"))?;
            Ok(ResponseFormat::JsonSchema {
                name: name.to_owned(),
                schema: s.get("schema").cloned().unwrap_or(Value::Null),
                description: s
                    .get("description")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                strict: s.get("strict").and_then(Value::as_bool),
            })
        }
        _ => Err(invalid(
            "`response_format.type` must be `text`, `json_object` or `json_schema`",
        )),
    }
}

fn effort(e: &str) -> Result<ReasoningEffort, ApiError> {
    Ok(match e {
        "none" => ReasoningEffort::None,
        "minimal" => ReasoningEffort::Minimal,
        "low" => ReasoningEffort::Low,
        "medium" => ReasoningEffort::Medium,
        "high" => ReasoningEffort::High,
        _ => return Err(invalid(format!("unknown `reasoning_effort` `{e}`"))),
    })
}

/// A predicted output: `{"type": "content", "content": text or text parts}`.
fn prediction(p: &Value) -> Result<String, ApiError> {
    match p.get("content") {
        Some(Value::String(s)) => Ok(s.clone()),
        Some(Value::Array(parts)) => Ok(parts
            .iter()
            .filter_map(|p| p.get("text").and_then(Value::as_str))
            .collect()),
        _ => Err(invalid("`prediction.content` must be text")),
    }
}
