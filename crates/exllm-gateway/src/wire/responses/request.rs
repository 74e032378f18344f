//! Decoding a Responses request into the canonical request. `input` is a string or a list of
//! items: messages (with `input_text`, `input_image`, `input_file`, `output_text`, `refusal`
//! parts), `function_call` and `function_call_output` items, `reasoning` items, and items the
//! provider runs itself (kept verbatim). Consecutive assistant-side items form one assistant
//! message, as they are one turn.

use super::API_NAME;
use crate::wire::anthropic::{inbound, invalid, number, string, text_at, uint};
use crate::wire::{ApiError, Inbound};
use exllm::{
    ChatRequest, ImageDetail, MediaSource, Message, Part, ProviderItem, Reasoning, ReasoningConfig,
    ReasoningEffort, ResponseFormat, Role, Tool, ToolCall, ToolChoice, ToolResult,
};
use serde_json::Value;

pub(super) fn decode(body: &[u8]) -> Result<Inbound, ApiError> {
    let v: Value = serde_json::from_slice(body)
        .map_err(|e| invalid(format!("the request body is not valid JSON: {e}")))?;
    let Value::Object(o) = v else {
        return Err(invalid("the request body must be a JSON object"));
    };
    for key in ["previous_response_id", "conversation"] {
        if o.get(key).is_some_and(|v| !v.is_null()) {
            return Err(invalid(format!(
                "{key}: this gateway keeps no conversation state; send the whole input"
            )));
        }
    }
    let mut req = ChatRequest {
        model: string(&o, "model")?.ok_or_else(|| invalid("model: field required"))?,
        ..Default::default()
    };
    if let Some(i) = string(&o, "instructions")? {
        req.messages.push(Message::system(i));
    }
    match o.get("input") {
        Some(Value::String(s)) => req.messages.push(Message::user(s.as_str())),
        Some(Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                decode_item(item, &mut req.messages).map_err(|e| ApiError {
                    message: format!("input.{i}: {}", e.message),
                    ..e
                })?;
            }
        }
        _ => {
            return Err(invalid(
                "input: field required (a string or a list of items)",
            ))
        }
    }
    if let Some(Value::Array(tools)) = o.get("tools") {
        for (i, t) in tools.iter().enumerate() {
            req.tools.push(tool(t).map_err(|e| ApiError {
                message: format!("tools.{i}: {}", e.message),
                ..e
            })?);
        }
    }
    req.tool_choice = match o.get("tool_choice") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(match s.as_str() {
            "auto" => ToolChoice::Auto,
            "none" => ToolChoice::None,
            "required" => ToolChoice::Required,
            _ => return Err(invalid("tool_choice: expected auto, none or required")),
        }),
        Some(c) if c.get("type").and_then(Value::as_str) == Some("function") => {
            Some(ToolChoice::Tool(text_at(c, "name")?))
        }
        Some(_) => return Err(invalid("tool_choice: only function tools can be chosen")),
    };
    req.parallel_tool_calls = o.get("parallel_tool_calls").and_then(Value::as_bool);
    req.temperature = number(&o, "temperature")?;
    req.top_p = number(&o, "top_p")?;
    req.max_tokens = uint(&o, "max_output_tokens")?.map(|n| n.min(u32::MAX as u64) as u32);
    req.top_logprobs = uint(&o, "top_logprobs")?.map(|n| n.min(u8::MAX as u64) as u8);
    req.user = match string(&o, "user")? {
        Some(u) => Some(u),
        None => string(&o, "safety_identifier")?,
    };
    req.service_tier = string(&o, "service_tier")?;
    if let Some(f) = o
        .get("text")
        .and_then(|t| t.get("format"))
        .filter(|f| !f.is_null())
    {
        req.response_format = Some(match f.get("type").and_then(Value::as_str) {
            Some("text") => ResponseFormat::Text,
            Some("json_object") => ResponseFormat::JsonObject,
            Some("json_schema") => ResponseFormat::JsonSchema {
                name: text_at(f, "name")?,
                schema: f.get("schema").cloned().unwrap_or(Value::Null),
                description: f
                    .get("description")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                strict: f.get("strict").and_then(Value::as_bool),
            },
            _ => {
                return Err(invalid(
                    "text.format.type: expected text, json_object or json_schema",
                ))
            }
        });
    }
    if let Some(r) = o.get("reasoning").filter(|r| !r.is_null()) {
        let effort = match r.get("effort") {
            None | Some(Value::Null) => None,
            Some(e) => Some(match e.as_str() {
                Some("none") => ReasoningEffort::None,
                Some("minimal") => ReasoningEffort::Minimal,
                Some("low") => ReasoningEffort::Low,
                Some("medium") => ReasoningEffort::Medium,
                // The canonical scale ends at high.
                Some("high" | "xhigh") => ReasoningEffort::High,
                _ => {
                    return Err(invalid(
                        "reasoning.effort: expected none, minimal, low, medium or high",
                    ))
                }
            }),
        };
        let summary = r.get("summary").and_then(Value::as_str).map(str::to_owned);
        if effort.is_some() || summary.is_some() {
            req.reasoning = Some(ReasoningConfig {
                effort,
                budget_tokens: None,
                summary,
            });
        }
    }
    inbound(&o, req)
}

/// Appends one input item to the conversation.
fn decode_item(item: &Value, out: &mut Vec<Message>) -> Result<(), ApiError> {
    let kind = item.get("type").and_then(Value::as_str);
    match kind {
        None | Some("message") => message(item, out),
        Some("function_call") => {
            let call = ToolCall {
                id: text_at(item, "call_id")?,
                name: text_at(item, "name")?,
                arguments: ToolCall::parse_arguments(
                    item.get("arguments").and_then(Value::as_str).unwrap_or(""),
                ),
                provider_meta: None,
            };
            assistant(out).push(Part::ToolCall(call));
            Ok(())
        }
        Some("function_call_output") => {
            let content = match item.get("output") {
                Some(Value::String(s)) => vec![Part::text(s.as_str())],
                Some(Value::Array(parts)) => parts.iter().map(part).collect::<Result<_, _>>()?,
                _ => return Err(invalid("output: expected a string or a list of parts")),
            };
            out.push(Message::tool_result(ToolResult {
                call_id: text_at(item, "call_id")?,
                name: None,
                content,
                is_error: false,
            }));
            Ok(())
        }
        Some("reasoning") => {
            let mut text = String::new();
            for s in item
                .get("summary")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                text.push_str(s.get("text").and_then(Value::as_str).unwrap_or(""));
            }
            let r = Reasoning {
                text,
                signature: None,
                encrypted: item
                    .get("encrypted_content")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                id: item.get("id").and_then(Value::as_str).map(str::to_owned),
            };
            assistant(out).push(Part::Reasoning(r));
            Ok(())
        }
        // Items the provider runs itself (web search calls, item references, ...): kept
        // verbatim for a Responses backend.
        Some(other) => {
            assistant(out).push(Part::ProviderItem(ProviderItem {
                api: API_NAME.into(),
                item_type: other.to_owned(),
                raw: item.clone(),
            }));
            Ok(())
        }
    }
}

/// The parts of the assistant turn in progress (a new one unless the last message is it).
fn assistant(out: &mut Vec<Message>) -> &mut Vec<Part> {
    if out.last().map(|m| m.role) != Some(Role::Assistant) {
        out.push(Message::new(Role::Assistant, Vec::new()));
    }
    let last = out.len() - 1;
    &mut out[last].content
}

fn message(item: &Value, out: &mut Vec<Message>) -> Result<(), ApiError> {
    let role = match item.get("role").and_then(Value::as_str) {
        Some("user") => Role::User,
        Some("assistant") => Role::Assistant,
        Some("system") => Role::System,
        Some("developer") => Role::Developer,
        _ => {
            return Err(invalid(
                "role: expected user, assistant, system or developer",
            ))
        }
    };
    let parts: Vec<Part> = match item.get("content") {
        Some(Value::String(s)) => vec![Part::text(s.as_str())],
        Some(Value::Array(parts)) => parts.iter().map(part).collect::<Result<_, _>>()?,
        _ => return Err(invalid("content: expected a string or a list of parts")),
    };
    if role == Role::Assistant {
        assistant(out).extend(parts);
    } else {
        out.push(Message::new(role, parts));
    }
    Ok(())
}

/// One content part.
fn part(p: &Value) -> Result<Part, ApiError> {
    Ok(match p.get("type").and_then(Value::as_str) {
        Some("input_text" | "output_text" | "text") => Part::text(text_at(p, "text")?),
        Some("refusal") => Part::Refusal {
            text: text_at(p, "refusal")?,
        },
        Some("input_image") => Part::Image {
            source: media(p, "image_url")?,
            media_type: None,
            detail: match p.get("detail").and_then(Value::as_str) {
                Some("low") => Some(ImageDetail::Low),
                Some("high") => Some(ImageDetail::High),
                Some("auto") => Some(ImageDetail::Auto),
                _ => None,
            },
        },
        Some("input_file") => Part::File {
            source: match p.get("file_data").and_then(Value::as_str) {
                Some(d) if d.starts_with("data:") => MediaSource::Url(d.to_owned()),
                // Bare base64 is a PDF, what OpenAI assumes without a data: URL.
                Some(d) => MediaSource::Url(format!("data:application/pdf;base64,{d}")),
                None => media(p, "file_url")?,
            },
            media_type: None,
            filename: p.get("filename").and_then(Value::as_str).map(str::to_owned),
        },
        _ => return Err(invalid("content part type: expected input_text, input_image, input_file, output_text or refusal")),
    })
}

/// A media source: a URL (`https:` or `data:`) under `url_key`, or a `file_id`.
fn media(p: &Value, url_key: &str) -> Result<MediaSource, ApiError> {
    if let Some(u) = p.get(url_key).and_then(Value::as_str) {
        return Ok(MediaSource::Url(u.to_owned()));
    }
    if let Some(id) = p.get("file_id").and_then(Value::as_str) {
        return Ok(MediaSource::FileId(id.to_owned()));
    }
    Err(invalid(format!("{url_key} or file_id: one is required")))
}

/// A function tool. Hosted tools (web search, file search, code interpreter, ...) have no
/// canonical form and no other backend runs them: refused rather than dropped without a word.
fn tool(t: &Value) -> Result<Tool, ApiError> {
    match t.get("type").and_then(Value::as_str) {
        Some("function") => {}
        other => {
            return Err(invalid(format!(
                "tools of type `{}` are not supported by this gateway (only function tools)",
                other.unwrap_or("")
            )))
        }
    }
    Ok(Tool {
        name: text_at(t, "name")?,
        description: t
            .get("description")
            .and_then(Value::as_str)
            .map(str::to_owned),
        parameters: t.get("parameters").cloned().unwrap_or(Value::Null),
        strict: t.get("strict").and_then(Value::as_bool),
    })
}
