//! Encoding a whole canonical [`ChatResponse`] as a `chat.completion` object, and the pieces
//! the stream encoder shares with it: finish reasons and usage in OpenAI's vocabulary.

use exllm::{ChatResponse, FinishKind, Part, Usage};
use serde::Serialize;

/// `finish_reason` for a canonical finish: OpenAI has four values, and a model that asked
/// for tools says `tool_calls` whatever the backend called it (agents loop on that value).
pub(crate) fn finish_reason(kind: Option<FinishKind>, has_tool_calls: bool) -> &'static str {
    match kind {
        Some(FinishKind::Length) => "length",
        Some(FinishKind::ContentFilter) => "content_filter",
        Some(FinishKind::ToolCalls) => "tool_calls",
        _ if has_tool_calls => "tool_calls",
        _ => "stop",
    }
}

/// OpenAI's usage object. `prompt_tokens` counts cached input (the canonical input does).
#[derive(Serialize)]
pub(crate) struct WireUsage {
    prompt_tokens: u64,
    completion_tokens: u64,
    total_tokens: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    prompt_tokens_details: Option<PromptDetails>,
    #[serde(skip_serializing_if = "Option::is_none")]
    completion_tokens_details: Option<CompletionDetails>,
}

#[derive(Serialize)]
struct PromptDetails {
    cached_tokens: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    audio_tokens: Option<u64>,
}

#[derive(Serialize)]
struct CompletionDetails {
    reasoning_tokens: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    audio_tokens: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    accepted_prediction_tokens: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rejected_prediction_tokens: Option<u64>,
}

/// The wire usage, or `None` when the backend reported neither input nor output (the
/// format has no way to say "unknown" for one count, so an unknown one is sent as 0 only
/// when the other is known).
pub(crate) fn wire_usage(u: &Usage) -> Option<WireUsage> {
    if u.input_tokens.is_none() && u.output_tokens.is_none() {
        return None;
    }
    let prompt = u.input_tokens.unwrap_or(0);
    let completion = u.output_tokens.unwrap_or(0);
    let d = &u.details;
    Some(WireUsage {
        prompt_tokens: prompt,
        completion_tokens: completion,
        total_tokens: prompt.saturating_add(completion),
        prompt_tokens_details: (u.cache_read_tokens.is_some() || d.audio_input_tokens.is_some())
            .then(|| PromptDetails {
                cached_tokens: u.cache_read_tokens.unwrap_or(0),
                audio_tokens: d.audio_input_tokens,
            }),
        completion_tokens_details: (u.reasoning_tokens.is_some()
            || d.audio_output_tokens.is_some()
            || d.accepted_prediction_tokens.is_some()
            || d.rejected_prediction_tokens.is_some())
        .then(|| CompletionDetails {
            reasoning_tokens: u.reasoning_tokens.unwrap_or(0),
            audio_tokens: d.audio_output_tokens,
            accepted_prediction_tokens: d.accepted_prediction_tokens,
            rejected_prediction_tokens: d.rejected_prediction_tokens,
        }),
    })
}

#[derive(Serialize)]
struct Completion<'a> {
    id: &'a str,
    object: &'static str,
    created: u64,
    model: &'a str,
    choices: Vec<Choice<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    usage: Option<WireUsage>,
    #[serde(skip_serializing_if = "Option::is_none")]
    service_tier: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    system_fingerprint: Option<&'a serde_json::Value>,
}

#[derive(Serialize)]
struct Choice<'a> {
    index: u32,
    message: WireMessage<'a>,
    logprobs: Option<serde_json::Value>,
    finish_reason: &'static str,
}

#[derive(Serialize)]
struct WireMessage<'a> {
    role: &'static str,
    content: Option<String>,
    refusal: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reasoning_content: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tool_calls: Vec<WireCall<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    annotations: Vec<Annotation<'a>>,
}

/// A cited source as OpenAI's web search annotates it (no text offsets: the canonical
/// citation list has none).
#[derive(Serialize)]
pub(crate) struct Annotation<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    url_citation: UrlCitation<'a>,
}

#[derive(Serialize)]
struct UrlCitation<'a> {
    url: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    title: Option<&'a str>,
}

/// The annotation of one citation.
pub(crate) fn annotation(c: &exllm::Citation) -> Annotation<'_> {
    Annotation {
        kind: "url_citation",
        url_citation: UrlCitation {
            url: &c.url,
            title: c.title.as_deref(),
        },
    }
}

/// A tool call: `{"id", "type": "function", "function": {"name", "arguments"}}`.
#[derive(Serialize)]
pub(crate) struct WireCall<'a> {
    pub(crate) id: &'a str,
    #[serde(rename = "type")]
    pub(crate) kind: &'static str,
    pub(crate) function: WireFunction<'a>,
}

/// A call's function: its name and argument text.
#[derive(Serialize)]
pub(crate) struct WireFunction<'a> {
    pub(crate) name: &'a str,
    pub(crate) arguments: String,
}

/// The message and finish reason of one choice's parts. Provider-run items (web search
/// calls and the like) are the backend's, not the caller's, and are left out.
fn choice<'a>(index: u32, parts: &'a [Part], finish: Option<FinishKind>) -> Choice<'a> {
    let mut text = String::new();
    let mut reasoning = String::new();
    let mut refusal: Option<String> = None;
    let mut calls = Vec::new();
    for p in parts {
        match p {
            Part::Text { text: t } => text.push_str(t),
            Part::Reasoning(r) => reasoning.push_str(&r.text),
            Part::Refusal { text: t } => refusal.get_or_insert_with(String::new).push_str(t),
            Part::ToolCall(c) => calls.push(WireCall {
                id: &c.id,
                kind: "function",
                function: WireFunction {
                    name: &c.name,
                    arguments: c.arguments_text(),
                },
            }),
            _ => {}
        }
    }
    let finish_reason = finish_reason(finish, !calls.is_empty());
    Choice {
        index,
        message: WireMessage {
            role: "assistant",
            content: (!text.is_empty() || (calls.is_empty() && refusal.is_none())).then_some(text),
            refusal,
            reasoning_content: (!reasoning.is_empty()).then_some(reasoning),
            tool_calls: calls,
            annotations: Vec::new(),
        },
        logprobs: None,
        finish_reason,
    }
}

/// Encodes `resp` as a `chat.completion` for a caller that asked for `model`.
pub fn encode(resp: &ChatResponse, model: &str) -> Vec<u8> {
    let id = match &resp.id {
        Some(id) if !id.is_empty() => id.clone(),
        _ => super::new_id("chatcmpl-"),
    };
    let mut first = choice(0, &resp.content, resp.finish_kind());
    first.logprobs = resp
        .provider_meta
        .get("logprobs")
        .map(|lp| serde_json::json!({ "content": lp }));
    first.message.annotations = resp.citations.iter().map(annotation).collect();
    let mut choices = vec![first];
    for alt in &resp.alternatives {
        choices.push(choice(
            alt.index,
            &alt.content,
            alt.finish.as_ref().map(|f| f.kind),
        ));
    }
    let body = Completion {
        id: &id,
        object: "chat.completion",
        created: super::now(),
        model,
        choices,
        usage: resp.usage.as_ref().and_then(wire_usage),
        service_tier: resp.service_tier.as_deref(),
        system_fingerprint: resp.provider_meta.get("system_fingerprint"),
    };
    serde_json::to_vec(&body).unwrap_or_default()
}
