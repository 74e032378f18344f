//! Decoding an Anthropic messages request into the canonical request: system prompt, messages
//! of typed blocks, tools, tool choice, sampling and thinking settings. `cache_control` marks
//! become [`Part::CacheBreakpoint`]s after the block they sit on, which is how the library's
//! Anthropic codec sends them on; blocks Anthropic runs itself are kept verbatim.

use super::{invalid, API_NAME as API};
use crate::wire::{ApiError, Inbound};
use exllm::{
    CacheBreakpoint, ChatRequest, MediaSource, Message, Part, ProviderItem, Reasoning,
    ReasoningConfig, ResponseFormat, Role, Tool, ToolCall, ToolChoice, ToolResult,
};
use serde_json::{Map, Value};

/// Decodes a request body; `messages_endpoint` requires `max_tokens` as `/v1/messages` does
/// (`count_tokens` does not).
pub(super) fn decode(body: &[u8], messages_endpoint: bool) -> Result<Inbound, ApiError> {
    let v: Value = serde_json::from_slice(body)
        .map_err(|e| invalid(format!("the request body is not valid JSON: {e}")))?;
    let Value::Object(o) = v else {
        return Err(invalid("the request body must be a JSON object"));
    };
    let mut req = ChatRequest {
        model: string(&o, "model")?.ok_or_else(|| invalid("model: field required"))?,
        ..Default::default()
    };
    match o.get("system") {
        None | Some(Value::Null) => {}
        Some(Value::String(s)) => req.messages.push(Message::system(s.as_str())),
        Some(Value::Array(blocks)) => {
            let mut parts = Vec::new();
            for b in blocks {
                match b.get("type").and_then(Value::as_str) {
                    Some("text") => parts.push(Part::text(text_at(b, "text")?)),
                    _ => return Err(invalid("system: only text blocks are allowed")),
                }
                cache_mark(b, &mut parts);
            }
            req.messages.push(Message::new(Role::System, parts));
        }
        Some(_) => return Err(invalid("system: expected a string or a list of blocks")),
    }
    let Some(Value::Array(messages)) = o.get("messages") else {
        return Err(invalid("messages: field required (a list)"));
    };
    for (i, m) in messages.iter().enumerate() {
        decode_message(m, &mut req.messages).map_err(|e| ApiError {
            message: format!("messages.{i}: {}", e.message),
            ..e
        })?;
    }
    req.max_tokens = uint(&o, "max_tokens")?.map(|n| n.min(u32::MAX as u64) as u32);
    if messages_endpoint && req.max_tokens.is_none() {
        return Err(invalid("max_tokens: field required"));
    }
    if let Some(Value::Array(tools)) = o.get("tools") {
        for (i, t) in tools.iter().enumerate() {
            req.tools.push(tool(t).map_err(|e| ApiError {
                message: format!("tools.{i}: {}", e.message),
                ..e
            })?);
        }
    }
    if let Some(c) = o.get("tool_choice").filter(|c| !c.is_null()) {
        req.tool_choice = Some(match c.get("type").and_then(Value::as_str) {
            Some("auto") => ToolChoice::Auto,
            Some("any") => ToolChoice::Required,
            Some("none") => ToolChoice::None,
            Some("tool") => ToolChoice::Tool(text_at(c, "name")?),
            _ => {
                return Err(invalid(
                    "tool_choice.type: expected auto, any, tool or none",
                ))
            }
        });
        if c.get("disable_parallel_tool_use").and_then(Value::as_bool) == Some(true) {
            req.parallel_tool_calls = Some(false);
        }
    }
    req.temperature = number(&o, "temperature")?;
    req.top_p = number(&o, "top_p")?;
    req.top_k = uint(&o, "top_k")?.map(|n| n.min(u32::MAX as u64) as u32);
    match o.get("stop_sequences") {
        None | Some(Value::Null) => {}
        Some(Value::Array(s)) => {
            for x in s {
                let s = x
                    .as_str()
                    .ok_or_else(|| invalid("stop_sequences: strings expected"))?;
                req.stop.push(s.to_owned());
            }
        }
        Some(_) => return Err(invalid("stop_sequences: expected a list of strings")),
    }
    if let Some(t) = o.get("thinking").filter(|t| !t.is_null()) {
        match t.get("type").and_then(Value::as_str) {
            Some("enabled") => {
                let budget = t
                    .get("budget_tokens")
                    .and_then(Value::as_u64)
                    .ok_or_else(|| {
                        invalid("thinking.budget_tokens: an integer is required when enabled")
                    })?;
                req.reasoning = Some(ReasoningConfig {
                    budget_tokens: Some(budget.min(u32::MAX as u64) as u32),
                    ..Default::default()
                });
            }
            // No thinking is what every backend does when asked nothing; adaptive thinking
            // leaves the budget to the model, which is each backend's default too.
            Some("disabled" | "adaptive") => {}
            _ => {
                return Err(invalid(
                    "thinking.type: expected enabled, adaptive or disabled",
                ))
            }
        }
    }
    // Structured output: `output_config.format`, or the older `output_format`.
    let format = o
        .get("output_config")
        .and_then(|c| c.get("format"))
        .or_else(|| o.get("output_format"))
        .filter(|f| !f.is_null());
    if let Some(f) = format {
        if f.get("type").and_then(Value::as_str) != Some("json_schema") {
            return Err(invalid("output_format.type: expected json_schema"));
        }
        req.response_format = Some(ResponseFormat::JsonSchema {
            name: "output".into(),
            schema: f.get("schema").cloned().unwrap_or(Value::Null),
            description: None,
            strict: Some(true),
        });
    }
    req.user = o
        .get("metadata")
        .and_then(|m| m.get("user_id"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    req.service_tier = string(&o, "service_tier")?;
    inbound(&o, req)
}

/// One message. A user turn's `tool_result` blocks become tool messages of their own, in
/// order, since that is how the canonical form carries results.
fn decode_message(m: &Value, out: &mut Vec<Message>) -> Result<(), ApiError> {
    let role = match m.get("role").and_then(Value::as_str) {
        Some("user") => Role::User,
        Some("assistant") => Role::Assistant,
        _ => return Err(invalid("role: expected user or assistant")),
    };
    let blocks = match m.get("content") {
        Some(Value::String(s)) => {
            out.push(Message::new(role, vec![Part::text(s.as_str())]));
            return Ok(());
        }
        Some(Value::Array(b)) => b,
        _ => return Err(invalid("content: expected a string or a list of blocks")),
    };
    let mut parts = Vec::new();
    for (i, b) in blocks.iter().enumerate() {
        let at = |e: ApiError| ApiError {
            message: format!("content.{i}: {}", e.message),
            ..e
        };
        if b.get("type").and_then(Value::as_str) == Some("tool_result") && role == Role::User {
            if !parts.is_empty() {
                out.push(Message::new(role, std::mem::take(&mut parts)));
            }
            let mut result = vec![Part::ToolResult(tool_result(b).map_err(at)?)];
            cache_mark(b, &mut result);
            out.push(Message::new(Role::Tool, result));
            continue;
        }
        block(b, &mut parts).map_err(at)?;
        cache_mark(b, &mut parts);
    }
    if !parts.is_empty() {
        out.push(Message::new(role, parts));
    }
    Ok(())
}

/// One content block, appended to `parts`.
fn block(b: &Value, parts: &mut Vec<Part>) -> Result<(), ApiError> {
    let kind = b.get("type").and_then(Value::as_str).unwrap_or("");
    let part = match kind {
        "text" => Part::text(text_at(b, "text")?),
        "image" => {
            let (source, media_type) = source(b.get("source"))?;
            Part::Image {
                source,
                media_type,
                detail: None,
            }
        }
        "document" => return document(b, parts),
        "tool_use" => Part::ToolCall(ToolCall {
            id: text_at(b, "id")?,
            name: text_at(b, "name")?,
            arguments: match b.get("input") {
                None | Some(Value::Null) => Value::Object(Map::new()),
                Some(v) => v.clone(),
            },
            provider_meta: None,
        }),
        "thinking" => Part::Reasoning(Reasoning {
            text: text_at(b, "thinking")?,
            signature: b
                .get("signature")
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_owned),
            ..Default::default()
        }),
        "redacted_thinking" => Part::Reasoning(Reasoning {
            encrypted: Some(text_at(b, "data")?),
            ..Default::default()
        }),
        "" => return Err(invalid("type: field required")),
        // Blocks Anthropic runs or reads itself (server tool use and results, search results,
        // container uploads, ...): kept as sent, for an Anthropic backend to read back.
        other => {
            let mut raw = b.clone();
            if let Some(o) = raw.as_object_mut() {
                o.remove("cache_control");
            }
            Part::ProviderItem(ProviderItem {
                api: API.into(),
                item_type: other.to_owned(),
                raw,
            })
        }
    };
    parts.push(part);
    Ok(())
}

/// A `document` block: a PDF or other file by data, URL or file id; a plain-text document (or
/// one given as content blocks) as its text, which every backend can read.
fn document(b: &Value, parts: &mut Vec<Part>) -> Result<(), ApiError> {
    let src = b.get("source");
    match src.and_then(|s| s.get("type")).and_then(Value::as_str) {
        Some("text") => parts.push(Part::text(text_at(src.unwrap_or(&Value::Null), "data")?)),
        Some("content") => match src.and_then(|s| s.get("content")) {
            Some(Value::String(s)) => parts.push(Part::text(s.as_str())),
            Some(Value::Array(blocks)) => {
                for inner in blocks {
                    block(inner, parts)?;
                }
            }
            _ => return Err(invalid("source.content: expected a string or blocks")),
        },
        _ => {
            let (source, media_type) = source(src)?;
            parts.push(Part::File {
                source,
                media_type,
                filename: b.get("title").and_then(Value::as_str).map(str::to_owned),
            });
        }
    }
    Ok(())
}

/// A media `source`: base64 data with its media type, a URL, or a file id.
fn source(s: Option<&Value>) -> Result<(MediaSource, Option<String>), ApiError> {
    let s = s.ok_or_else(|| invalid("source: field required"))?;
    let media_type = s
        .get("media_type")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let source = match s.get("type").and_then(Value::as_str) {
        Some("base64") => MediaSource::Base64(text_at(s, "data")?),
        Some("url") => MediaSource::Url(text_at(s, "url")?),
        Some("file") => MediaSource::FileId(text_at(s, "file_id")?),
        _ => return Err(invalid("source.type: expected base64, url or file")),
    };
    Ok((source, media_type))
}

/// A `tool_result` block: content as a string or as text and image blocks.
fn tool_result(b: &Value) -> Result<ToolResult, ApiError> {
    let mut content = Vec::new();
    match b.get("content") {
        None | Some(Value::Null) => {}
        Some(Value::String(s)) => content.push(Part::text(s.as_str())),
        Some(Value::Array(blocks)) => {
            for inner in blocks {
                block(inner, &mut content)?;
            }
        }
        Some(_) => return Err(invalid("content: expected a string or a list of blocks")),
    }
    Ok(ToolResult {
        call_id: text_at(b, "tool_use_id")?,
        name: None,
        content,
        is_error: b.get("is_error").and_then(Value::as_bool).unwrap_or(false),
    })
}

/// A tool. Tools Anthropic runs itself (`web_search_…`, `bash_…`, ...) have no canonical
/// form and no other backend runs them: refused rather than dropped without a word.
/// `cache_control` on a tool cannot be carried (the canonical tool has no place for it); a
/// mark on the system prompt or a message still caches the tools, which come before them.
fn tool(t: &Value) -> Result<Tool, ApiError> {
    match t.get("type").and_then(Value::as_str) {
        None | Some("custom") => {}
        Some(other) => {
            return Err(invalid(format!(
                "tools of type `{other}` are run by Anthropic and are not supported by this gateway"
            )))
        }
    }
    Ok(Tool {
        name: text_at(t, "name")?,
        description: t
            .get("description")
            .and_then(Value::as_str)
            .map(str::to_owned),
        parameters: t
            .get("input_schema")
            .cloned()
            .ok_or_else(|| invalid("input_schema: field required"))?,
        strict: t.get("strict").and_then(Value::as_bool),
    })
}

/// A `cache_control` mark on `b` becomes a breakpoint after it.
fn cache_mark(b: &Value, parts: &mut Vec<Part>) {
    if let Some(cc) = b.get("cache_control").filter(|c| c.is_object()) {
        parts.push(Part::CacheBreakpoint(CacheBreakpoint {
            ttl: cc.get("ttl").and_then(Value::as_str).map(str::to_owned),
        }));
    }
}

/// A required string field.
pub(crate) fn text_at(v: &Value, key: &str) -> Result<String, ApiError> {
    v.get(key)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| invalid(format!("{key}: a string is required")))
}

/// A decoded request with its optional `stream` flag (`null` = absent); these APIs always
/// report usage at the end of a stream.
pub(crate) fn inbound(o: &Map<String, Value>, request: ChatRequest) -> Result<Inbound, ApiError> {
    let stream = match o.get("stream") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(invalid("stream: expected a boolean")),
    };
    Ok(Inbound {
        request,
        stream,
        include_usage: true,
    })
}

/// An optional string field (`null` = absent).
pub(crate) fn string(o: &Map<String, Value>, key: &str) -> Result<Option<String>, ApiError> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(invalid(format!("{key}: expected a string"))),
    }
}

/// An optional number field.
pub(crate) fn number(o: &Map<String, Value>, key: &str) -> Result<Option<f64>, ApiError> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_f64()
            .map(Some)
            .ok_or_else(|| invalid(format!("{key}: expected a number"))),
    }
}

/// An optional non-negative integer field.
pub(crate) fn uint(o: &Map<String, Value>, key: &str) -> Result<Option<u64>, ApiError> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_u64()
            .map(Some)
            .ok_or_else(|| invalid(format!("{key}: expected a non-negative integer"))),
    }
}
