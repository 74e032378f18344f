//! Encoding a Chat Completions request. The body is a typed struct borrowing from the
//! request and serialised straight to bytes: building a `serde_json::Value` tree first was
//! most of the encoding cost (a map and a string per key). A tree is built only to merge
//! `provider_options` into it, or for the rarer message shapes (media, tool calls).

use super::super::common::{self, data_url, merge_options};
use super::super::encode::{dropped, function_tools, openai_response_format};
use super::super::{Encoded, Endpoint, Quirks};
use crate::error::{Error, ErrorKind, Result};
use crate::types::{ChatRequest, MediaSource, Message, Part, Role, ToolChoice, Warning};
use serde::Serialize;
use serde_json::{json, Value};
use std::borrow::Cow;

/// A request body. Fields left `None` are not sent.
#[derive(Serialize)]
struct Body<'a> {
    /// `None` for Azure deployments, whose URL names the model.
    #[serde(skip_serializing_if = "Option::is_none")]
    model: Option<&'a str>,
    messages: Vec<WireMessage<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tools: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tool_choice: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    parallel_tool_calls: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    temperature: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    top_p: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    top_k: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_tokens: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_completion_tokens: Option<u32>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    stop: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    seed: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    n: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    frequency_penalty: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    presence_penalty: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    service_tier: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    prediction: Option<Prediction<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    logprobs: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    top_logprobs: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    response_format: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reasoning_effort: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    modalities: Option<[&'static str; 2]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    audio: Option<&'a crate::types::AudioOutput>,
    #[serde(skip_serializing_if = "Option::is_none")]
    stream: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    stream_options: Option<StreamOptions>,
}

/// A predicted output, as static content.
#[derive(Serialize)]
struct Prediction<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    content: &'a str,
}

#[derive(Serialize)]
struct StreamOptions {
    include_usage: bool,
}

/// One message: plain text (most messages), or any other shape as JSON.
#[derive(Serialize)]
#[serde(untagged)]
enum WireMessage<'a> {
    Text {
        role: &'static str,
        content: Cow<'a, str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        name: Option<&'a str>,
    },
    Json(Value),
}

impl<'a> WireMessage<'a> {
    fn text(role: &'static str, content: Cow<'a, str>, name: Option<&'a str>) -> Self {
        WireMessage::Text {
            role,
            content,
            name,
        }
    }
}

/// Encodes `req` for `model` at `ep`.
pub(super) fn encode(
    req: &ChatRequest,
    model: &str,
    ep: &Endpoint,
    stream: bool,
) -> Result<Encoded> {
    let mut warnings = Vec::new();
    let q = ep.quirks;
    let reasoning_model = openai_reasoning_model(model);
    let mut body = Body {
        model: (!q.deployment_path).then_some(model),
        messages: encode_messages(&req.messages, q, reasoning_model, &mut warnings),
        tools: (!req.tools.is_empty()).then(|| function_tools(&req.tools, true)),
        tool_choice: req.tool_choice.as_ref().map(|c| match c {
            ToolChoice::Auto => "auto".into(),
            ToolChoice::None => "none".into(),
            ToolChoice::Required => "required".into(),
            ToolChoice::Tool(name) => json!({"type": "function", "function": {"name": name}}),
        }),
        parallel_tool_calls: req.parallel_tool_calls,
        temperature: req.temperature,
        top_p: req.top_p,
        top_k: None,
        max_tokens: None,
        max_completion_tokens: None,
        stop: &req.stop,
        seed: req.seed,
        n: req.n,
        frequency_penalty: req.frequency_penalty,
        presence_penalty: req.presence_penalty,
        service_tier: req.service_tier.as_deref(),
        user: req.user.as_deref(),
        prediction: req.prediction.as_deref().map(|content| Prediction {
            kind: "content",
            content,
        }),
        logprobs: req.logprobs,
        top_logprobs: req.top_logprobs,
        response_format: req
            .response_format
            .as_ref()
            .map(|f| openai_response_format(f, true)),
        reasoning_effort: None,
        modalities: req.audio.as_ref().map(|_| ["text", "audio"]),
        audio: req.audio.as_ref(),
        stream: stream.then_some(true),
        stream_options: (stream && q.stream_usage).then_some(StreamOptions {
            include_usage: true,
        }),
    };
    if req.top_k.is_some() {
        if q.top_k {
            body.top_k = req.top_k;
        } else {
            warnings.push(Warning::unsupported("top_k", &ep.provider));
        }
    }
    // OpenAI's reasoning models refuse `max_tokens`, wherever they are served.
    if q.max_completion_tokens || reasoning_model {
        body.max_completion_tokens = req.max_tokens;
    } else {
        body.max_tokens = req.max_tokens;
    }
    if let Some(r) = &req.reasoning {
        match (r.effort, q.reasoning_effort) {
            (Some(e), true) => body.reasoning_effort = Some(e.as_str()),
            (Some(_), false) => {
                warnings.push(Warning::unsupported("reasoning.effort", &ep.provider))
            }
            (None, _) => {}
        }
        if r.budget_tokens.is_some() {
            warnings.push(Warning::unsupported(
                "reasoning.budget_tokens",
                &ep.provider,
            ));
        }
        if r.summary.is_some() {
            warnings.push(Warning::unsupported("reasoning.summary", &ep.provider));
        }
    }
    let path = if q.deployment_path {
        Cow::Owned(format!("/deployments/{model}/chat/completions"))
    } else {
        Cow::Borrowed("/chat/completions")
    };
    let request = if req.provider_options.is_empty() {
        common::post_json(ep, &path, &body, stream)?
    } else {
        let mut map = match serde_json::to_value(&body) {
            Ok(Value::Object(map)) => map,
            Ok(_) => {
                return Err(Error::new(
                    ErrorKind::InvalidInput,
                    "cannot encode the request",
                ))
            }
            Err(e) => {
                return Err(
                    Error::new(ErrorKind::InvalidInput, "cannot encode the request").with_source(e),
                )
            }
        };
        merge_options(&mut map, &req.provider_options);
        common::post_json(ep, &path, &Value::Object(map), stream)?
    };
    Ok(Encoded { request, warnings })
}

/// Whether `model` (the last part of a `vendor/model` name) is one of OpenAI's reasoning
/// families (o1, o3, o4-mini, gpt-5, codex-mini), which take `max_completion_tokens` and
/// developer instead of system messages.
pub(crate) fn openai_reasoning_model(model: &str) -> bool {
    let name = model
        .rsplit('/')
        .next()
        .unwrap_or(model)
        .to_ascii_lowercase();
    // `o` and digits, alone or before a `-` (o1, o3-mini, o4-mini-2025-04-16; not omni-*).
    let o_series = name.strip_prefix('o').is_some_and(|rest| {
        let after = rest.trim_start_matches(|c: char| c.is_ascii_digit());
        after.len() < rest.len() && (after.is_empty() || after.starts_with('-'))
    });
    let gpt5 = name.starts_with("gpt-5") && !name.starts_with("gpt-5-chat");
    o_series || gpt5 || name.starts_with("codex-mini")
}

/// The messages in this format: text-only ones as borrowed text, the rest as JSON. Where the
/// server knows the developer role, a reasoning model gets system text as developer text (its
/// name for the same instructions).
fn encode_messages<'a>(
    messages: &'a [Message],
    q: Quirks,
    reasoning_model: bool,
    warnings: &mut Vec<Warning>,
) -> Vec<WireMessage<'a>> {
    let mut out = Vec::with_capacity(messages.len());
    for m in messages {
        match m.role {
            Role::System | Role::Developer => {
                let developer = m.role == Role::Developer || reasoning_model;
                let role = if developer && q.developer_role {
                    "developer"
                } else {
                    "system"
                };
                out.push(WireMessage::text(role, text_of(m), None));
            }
            Role::User | Role::Tool => {
                let name = m.name.as_deref();
                if let [Part::Text { text }] = m.content.as_slice() {
                    out.push(WireMessage::text("user", Cow::Borrowed(text), name));
                    continue;
                }
                let mut parts: Vec<&Part> = Vec::new();
                for p in &m.content {
                    match p {
                        Part::ToolResult(r) => out.push(WireMessage::Json(json!({
                            "role": "tool",
                            "tool_call_id": r.call_id,
                            "content": r.text_content(),
                        }))),
                        Part::CacheBreakpoint(_) => {}
                        other => parts.push(other),
                    }
                }
                if let [Part::Text { text }] = parts.as_slice() {
                    out.push(WireMessage::text("user", Cow::Borrowed(text), name));
                    continue;
                }
                let parts: Vec<Value> = parts
                    .into_iter()
                    .filter_map(|p| user_part(p, warnings))
                    .collect();
                let content = match parts.as_slice() {
                    [] => continue,
                    [one] if one["type"] == "text" => one["text"].clone(),
                    _ => Value::Array(parts),
                };
                let mut msg = json!({"role": "user", "content": content});
                if let Some(n) = name {
                    msg["name"] = n.into();
                }
                out.push(WireMessage::Json(msg));
            }
            Role::Assistant => {
                let plain = !m.content.iter().any(|p| {
                    matches!(p, Part::ToolCall(_) | Part::Refusal { .. } | Part::Audio(_))
                });
                out.push(if plain {
                    WireMessage::text("assistant", text_of(m), None)
                } else {
                    WireMessage::Json(assistant_message(m))
                });
            }
        }
    }
    out
}

/// A message's text, borrowed when it is one part.
fn text_of(m: &Message) -> Cow<'_, str> {
    match m.content.as_slice() {
        [Part::Text { text }] => Cow::Borrowed(text),
        _ => Cow::Owned(m.text()),
    }
}

fn user_part(p: &Part, warnings: &mut Vec<Warning>) -> Option<Value> {
    Some(match p {
        Part::Text { text } => json!({"type": "text", "text": text}),
        Part::Image {
            source,
            media_type,
            detail,
        } => {
            let url = match source {
                MediaSource::Url(u) => u.clone(),
                MediaSource::Base64(d) => data_url(media_type.as_deref(), d),
                MediaSource::FileId(id) => {
                    return Some(json!({"type": "file", "file": {"file_id": id}}))
                }
            };
            let mut image = json!({"url": url});
            if let Some(d) = detail {
                image["detail"] = d.as_str().into();
            }
            json!({"type": "image_url", "image_url": image})
        }
        Part::File {
            source,
            media_type,
            filename,
        } => {
            let mut file = match source {
                MediaSource::Base64(d) => json!({"file_data": data_url(media_type.as_deref(), d)}),
                MediaSource::FileId(id) => json!({"file_id": id}),
                MediaSource::Url(u) if crate::media::parse_data_url(u).is_some() => {
                    json!({"file_data": u})
                }
                MediaSource::Url(_) => {
                    warnings.push(Warning {
                        setting: Some("file".into()),
                        message: "Chat Completions takes files as data or file ids, not URLs; the file was not sent".into(),
                    });
                    return None;
                }
            };
            if let Some(f) = filename {
                file["filename"] = f.as_str().into();
            }
            json!({"type": "file", "file": file})
        }
        Part::Audio(a) if !a.data.is_empty() => json!({"type": "input_audio", "input_audio": {
            "data": a.data,
            "format": a.format.as_deref().map(audio_format).unwrap_or("wav"),
        }}),
        other => {
            warnings.push(dropped(other, "a Chat Completions user message"));
            return None;
        }
    })
}

fn assistant_message(m: &Message) -> Value {
    let mut text = String::new();
    let mut calls = Vec::new();
    let mut refusal = None;
    let mut audio = None;
    for p in &m.content {
        match p {
            Part::Text { text: t } => text.push_str(t),
            Part::Refusal { text: t } => refusal = Some(t.clone()),
            // An earlier spoken answer is referred to by its id while the provider keeps it.
            Part::Audio(a) => audio = a.id.clone(),
            Part::ToolCall(c) => calls.push(json!({
                "id": c.id,
                "type": "function",
                "function": {"name": c.name, "arguments": c.arguments_text()},
            })),
            // Reasoning and provider-run items of other APIs have no place in this format.
            _ => {}
        }
    }
    let mut msg = json!({"role": "assistant"});
    msg["content"] = if text.is_empty() && !calls.is_empty() {
        Value::Null
    } else {
        text.into()
    };
    if !calls.is_empty() {
        msg["tool_calls"] = Value::Array(calls);
    }
    if let Some(r) = refusal {
        msg["refusal"] = r.into();
    }
    if let Some(id) = audio {
        msg["audio"] = json!({ "id": id });
        if msg["content"] == "" {
            msg["content"] = Value::Null;
        }
    }
    msg
}

/// OpenAI's name of an audio format given as a name or a media type (`audio/mpeg` → `mp3`).
fn audio_format(f: &str) -> &str {
    let bare = f.split(';').next().unwrap_or(f).trim();
    match bare.to_ascii_lowercase().as_str() {
        "audio/wav" | "audio/x-wav" | "audio/wave" => "wav",
        "audio/mpeg" | "audio/mp3" => "mp3",
        _ => bare.strip_prefix("audio/").unwrap_or(bare),
    }
}
