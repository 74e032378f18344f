//! Encoding a whole canonical answer as an Anthropic message object: content blocks in order
//! (text, thinking with its signature, redacted thinking, tool use with its input object,
//! Anthropic's own server-run blocks), the stop reason and Anthropic's split usage.

use super::{new_id, stop_reason, usage_object, API_NAME};
use exllm::{ChatResponse, Citation, Part, Reasoning, ToolCall};
use serde_json::{json, Map, Value};

/// The message object for `resp`; `model` is the name the caller asked for.
pub(super) fn encode(resp: &ChatResponse, model: &str) -> Vec<u8> {
    let mut content: Vec<Value> = resp.content.iter().filter_map(block).collect();
    // Web sources (any backend's) ride on the first text block, as Anthropic's own do.
    if !resp.citations.is_empty() {
        if let Some(text) = content.iter_mut().find(|b| b["type"] == "text") {
            text["citations"] = resp.citations.iter().map(citation).collect();
        }
    }
    let has_calls = resp.content.iter().any(|p| matches!(p, Part::ToolCall(_)));
    let reason = stop_reason(resp.finish.as_ref(), has_calls);
    let stop_sequence = match reason {
        "stop_sequence" => resp.provider_meta.get("stop_sequence").cloned(),
        _ => None,
    };
    let msg = json!({
        "id": resp.id.clone().unwrap_or_else(|| new_id("msg_")),
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": reason,
        "stop_sequence": stop_sequence,
        "usage": usage_object(resp.usage.as_ref()),
    });
    serde_json::to_vec(&msg).unwrap_or_default()
}

/// A web source as Anthropic's `web_search_result_location` (no cited text or index is known
/// for another backend's sources: both stay empty).
pub(super) fn citation(c: &Citation) -> Value {
    json!({"type": "web_search_result_location", "url": c.url, "title": c.title,
        "cited_text": "", "encrypted_index": ""})
}

/// The block for one part of an answer; `None` for parts an answer does not carry back
/// (another API's provider items, request-only parts).
pub(super) fn block(part: &Part) -> Option<Value> {
    Some(match part {
        Part::Text { text } | Part::Refusal { text } => json!({"type": "text", "text": text}),
        Part::Reasoning(r) => reasoning_block(r)?,
        Part::ToolCall(c) => json!({
            "type": "tool_use",
            "id": tool_id(c),
            "name": c.name,
            "input": input_object(c),
        }),
        Part::ProviderItem(item) if item.api == API_NAME => item.raw.clone(),
        _ => return None,
    })
}

/// Thinking with its signature (empty when the backend gave none: the caller can show it but
/// an Anthropic backend would not take it back), or redacted thinking. Opaque reasoning that
/// carries an item id is another API's (OpenAI's encrypted content) and is not Anthropic's
/// to send back as redacted thinking.
fn reasoning_block(r: &Reasoning) -> Option<Value> {
    match (&r.signature, &r.encrypted) {
        (None, Some(data)) if r.text.is_empty() && r.id.is_none() => {
            Some(json!({"type": "redacted_thinking", "data": data}))
        }
        (None, _) if r.text.is_empty() => None,
        (sig, _) => Some(json!({
            "type": "thinking",
            "thinking": r.text,
            "signature": sig.as_deref().unwrap_or(""),
        })),
    }
}

/// The call's id, or a made-up one (Anthropic requires an id to answer with a result).
pub(super) fn tool_id(c: &ToolCall) -> String {
    if c.id.is_empty() {
        new_id("toolu_")
    } else {
        c.id.clone()
    }
}

/// A tool call's arguments as the object `input` must be. Arguments that are not an object
/// (text a backend sent that was not JSON) cannot be one; `{}` keeps the block valid.
pub(super) fn input_object(c: &ToolCall) -> Value {
    match &c.arguments {
        Value::Object(_) => c.arguments.clone(),
        _ => Value::Object(Map::new()),
    }
}
