//! Ollama's native chat API (`/api/chat`), streamed as NDJSON. Tool-call arguments arrive as
//! JSON objects, each call whole; older servers send no call ids. The final `done` object
//! carries the finish reason, the token counts and the timings, which are kept in
//! `provider_meta`. A line `{"error": "..."}` inside a stream ends the answer with an error.

use super::common::{self, put};
use super::decode::ended;
use super::encode::{args_object, dropped, function_tools, tool_name, JsonBody};
use super::{Api, Codec, Encoded, Endpoint, ListedModel, StreamDecoder};
use crate::error::Result;
use crate::types::{
    ChatRequest, ChatResponse, FinishKind, FinishReason, JsonMap, MediaSource, Part,
    ReasoningEffort, ResponseFormat, Role, StreamEvent, ToolCall, Usage, Warning,
};
use crate::wire::{Frame, Framing};
use crate::Collector;
use serde::Deserialize;
use serde_json::{json, Value};

/// The Ollama chat codec.
#[derive(Debug, Clone, Copy, Default)]
pub struct OllamaCodec;

/// Timing and load fields of the final object, kept in `provider_meta`.
const META_KEYS: [&str; 6] = [
    "created_at",
    "total_duration",
    "load_duration",
    "prompt_eval_duration",
    "eval_duration",
    "context",
];

impl Codec for OllamaCodec {
    fn unsupported_settings(&self) -> &'static [&'static str] {
        &[
            "audio",
            "n",
            "prediction",
            "logprobs",
            "top_logprobs",
            "parallel_tool_calls",
            "service_tier",
            "user",
        ]
    }

    fn api(&self) -> Api {
        Api::Ollama
    }

    fn encode(
        &self,
        req: &ChatRequest,
        model: &str,
        ep: &Endpoint,
        stream: bool,
    ) -> Result<Encoded> {
        let mut body = JsonBody::with_model(model);
        let messages = encode_messages(req, &mut body.warnings);
        body.insert("messages".into(), Value::Array(messages));
        if !req.tools.is_empty() {
            body.insert("tools".into(), function_tools(&req.tools, true));
        }
        if req.tool_choice.is_some() {
            body.warnings
                .push(Warning::unsupported("tool_choice", &ep.provider));
        }
        let mut options = JsonMap::new();
        put(&mut options, "temperature", req.temperature);
        put(&mut options, "top_p", req.top_p);
        put(&mut options, "top_k", req.top_k);
        put(&mut options, "num_predict", req.max_tokens);
        put(&mut options, "seed", req.seed);
        put(&mut options, "frequency_penalty", req.frequency_penalty);
        put(&mut options, "presence_penalty", req.presence_penalty);
        if !req.stop.is_empty() {
            options.insert("stop".into(), json!(req.stop));
        }
        if !options.is_empty() {
            body.insert("options".into(), Value::Object(options));
        }
        match &req.response_format {
            Some(ResponseFormat::JsonObject) => {
                body.insert("format".into(), "json".into());
            }
            Some(ResponseFormat::JsonSchema { schema, .. }) => {
                body.insert("format".into(), schema.clone());
            }
            _ => {}
        }
        if let Some(r) = &req.reasoning {
            let think = match r.effort {
                Some(ReasoningEffort::None) => Value::Bool(false),
                Some(
                    e @ (ReasoningEffort::Low | ReasoningEffort::Medium | ReasoningEffort::High),
                ) => e.as_str().into(),
                _ => Value::Bool(true),
            };
            body.insert("think".into(), think);
        }
        // Ollama streams unless told not to.
        body.insert("stream".into(), stream.into());
        let accept = if stream {
            "application/x-ndjson"
        } else {
            "application/json"
        };
        body.finish(req, ep, self.unsupported_settings(), "/api/chat", accept)
    }

    fn decode(&self, body: &[u8]) -> Result<ChatResponse> {
        let mut d = OllamaStreamDecoder::default();
        let mut events = Vec::new();
        d.line(body, &mut events)?;
        d.finish(&mut events)?;
        Ok(Collector::collect(events))
    }

    fn framing(&self) -> Framing {
        Framing::Ndjson
    }

    fn stream_decoder(&self) -> Box<dyn StreamDecoder> {
        Box::<OllamaStreamDecoder>::default()
    }

    fn list_models(&self, ep: &Endpoint) -> Result<http::Request<bytes::Bytes>> {
        common::get(ep, "/api/tags")
    }

    fn encode_embed(
        &self,
        req: &crate::types::EmbedRequest,
        model: &str,
        ep: &Endpoint,
    ) -> Result<Encoded> {
        super::retrieval::ollama::encode(req, model, ep)
    }

    fn decode_embed(&self, body: &[u8]) -> Result<crate::types::EmbedResponse> {
        super::retrieval::ollama::decode(body)
    }

    fn decode_models(&self, body: &[u8]) -> Result<Vec<ListedModel>> {
        #[derive(Deserialize)]
        struct Tags {
            #[serde(default)]
            models: Vec<Tag>,
        }
        #[derive(Deserialize)]
        struct Tag {
            name: String,
        }
        let tags: Tags = common::parse(body, "Ollama model list")?;
        Ok(tags
            .models
            .into_iter()
            .map(|t| ListedModel {
                id: t.name,
                display_name: None,
                owned_by: None,
            })
            .collect())
    }
}

fn encode_messages(req: &ChatRequest, warnings: &mut Vec<Warning>) -> Vec<Value> {
    let mut out = Vec::new();
    for (i, m) in req.messages.iter().enumerate() {
        let role = match m.role {
            Role::System | Role::Developer => "system",
            Role::User => "user",
            Role::Assistant => "assistant",
            Role::Tool => "tool",
        };
        let mut text = String::new();
        let mut thinking = String::new();
        let mut images = Vec::new();
        let mut calls = Vec::new();
        for p in &m.content {
            match p {
                Part::Text { text: t } => text.push_str(t),
                Part::Reasoning(r) => thinking.push_str(&r.text),
                Part::Image {
                    source: MediaSource::Base64(d),
                    ..
                } => images.push(Value::from(d.as_str())),
                Part::Image {
                    source: MediaSource::Url(u),
                    ..
                } if crate::media::parse_data_url(u).is_some() => {
                    if let Some((_, d)) = crate::media::parse_data_url(u) {
                        images.push(Value::from(d));
                    }
                }
                Part::ToolCall(c) => calls.push(json!({"function": {
                    "name": c.name,
                    "arguments": args_object(c, warnings),
                }})),
                Part::ToolResult(r) => {
                    let mut v = json!({"role": "tool", "content": r.text_content()});
                    if let Some(n) = r
                        .name
                        .clone()
                        .or_else(|| tool_name(&req.messages, i, &r.call_id))
                    {
                        v["tool_name"] = n.into();
                    }
                    out.push(v);
                }
                Part::CacheBreakpoint(_) => {}
                other => warnings.push(dropped(other, "Ollama (images must be base64)")),
            }
        }
        if text.is_empty() && images.is_empty() && calls.is_empty() && thinking.is_empty() {
            continue;
        }
        let mut v = json!({"role": role, "content": text});
        if !images.is_empty() {
            v["images"] = Value::Array(images);
        }
        if !calls.is_empty() {
            v["tool_calls"] = Value::Array(calls);
        }
        if !thinking.is_empty() {
            v["thinking"] = thinking.into();
        }
        out.push(v);
    }
    out
}

#[derive(Deserialize)]
struct Line {
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    message: Option<LineMessage>,
    #[serde(default)]
    done: bool,
    #[serde(default)]
    done_reason: Option<String>,
    #[serde(default)]
    prompt_eval_count: Option<u64>,
    #[serde(default)]
    eval_count: Option<u64>,
    #[serde(default)]
    error: Option<Value>,
    #[serde(flatten)]
    rest: JsonMap,
}

#[derive(Deserialize)]
struct LineMessage {
    #[serde(default)]
    content: Option<String>,
    #[serde(default)]
    thinking: Option<String>,
    #[serde(default)]
    tool_calls: Option<Vec<WireCall>>,
}

#[derive(Deserialize)]
struct WireCall {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    function: Option<WireFunction>,
}

#[derive(Deserialize)]
struct WireFunction {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    arguments: Option<Value>,
}

#[derive(Default)]
struct OllamaStreamDecoder {
    ids: common::CallIds,
    started: bool,
    done: bool,
}

impl OllamaStreamDecoder {
    fn line(&mut self, data: &[u8], out: &mut Vec<StreamEvent>) -> Result<()> {
        let line: Line = serde_json::from_slice(data)
            .map_err(|e| common::decode_error("Ollama response line", data, e))?;
        if !self.started && line.model.is_some() {
            self.started = true;
            out.push(StreamEvent::Start {
                id: None,
                model: line.model,
            });
        }
        if let Some(e) = line.error {
            self.done = true;
            out.push(StreamEvent::Error(crate::wire::errors::response_error(
                &json!({ "error": e }),
            )));
            return Ok(());
        }
        if let Some(m) = line.message {
            if let Some(t) = m.thinking.filter(|t| !t.is_empty()) {
                out.push(StreamEvent::ReasoningDelta(t));
            }
            if let Some(t) = m.content.filter(|t| !t.is_empty()) {
                out.push(StreamEvent::TextDelta(t));
            }
            for call in m.tool_calls.unwrap_or_default() {
                let f = call.function;
                let (name, args) = match f {
                    Some(f) => (f.name.unwrap_or_default(), f.arguments),
                    None => (String::new(), None),
                };
                out.push(StreamEvent::ToolCall(ToolCall {
                    id: self.ids.next(call.id.as_deref()),
                    name,
                    arguments: match args {
                        None | Some(Value::Null) => json!({}),
                        Some(Value::String(s)) => ToolCall::parse_arguments(&s),
                        Some(v) => v,
                    },
                    provider_meta: None,
                }));
            }
        }
        if line.done {
            self.done = true;
            for k in META_KEYS {
                if let Some(v) = line.rest.get(k) {
                    out.push(StreamEvent::Metadata {
                        key: k.into(),
                        value: v.clone(),
                    });
                }
            }
            let mut raw = JsonMap::new();
            put(&mut raw, "prompt_eval_count", line.prompt_eval_count);
            put(&mut raw, "eval_count", line.eval_count);
            out.push(StreamEvent::usage(Usage {
                input_tokens: Some(line.prompt_eval_count.unwrap_or(0)),
                output_tokens: Some(line.eval_count.unwrap_or(0)),
                raw: Some(Value::Object(raw).into()),
                ..Default::default()
            }));
            if let Some(r) = line.done_reason.filter(|r| !r.is_empty()) {
                let kind = match r.as_str() {
                    "stop" => FinishKind::Stop,
                    "length" => FinishKind::Length,
                    _ => FinishKind::Other,
                };
                out.push(StreamEvent::Finish(FinishReason::new(kind, r)));
            }
        }
        Ok(())
    }
}

impl StreamDecoder for OllamaStreamDecoder {
    fn decode(&mut self, frame: Frame<'_>, out: &mut Vec<StreamEvent>) -> Result<()> {
        self.line(frame.data, out)
    }

    fn finish(&mut self, _out: &mut Vec<StreamEvent>) -> Result<()> {
        ended(
            self.done,
            "the stream ended before the object with \"done\": true",
        )
    }
}

#[cfg(test)]
mod tests;
