//! AWS SageMaker real-time endpoints: `InvokeEndpoint` (`POST /endpoints/{name}/invocations`)
//! and `InvokeEndpointWithResponseStream` (`.../invocations-response-stream`), signed with
//! SigV4 for `sagemaker`. The model is the endpoint's name. What the body holds is up to the
//! container; two shapes cover the LLM containers:
//!
//! * [`Api::SageMaker`]: the Hugging Face TGI / LMI text-generation shape,
//!   `{"inputs": prompt, "parameters": {...}}` answered by `[{"generated_text": ...}]` (or the
//!   object alone), with `details` when the container gives them. A conversation becomes one
//!   prompt: the system text, then `User: …` / `Assistant: …` paragraphs ending with
//!   `Assistant:` (a lone user message is sent as it is); `provider_options` are merged into the
//!   body, so `inputs` (a prompt in the model's own chat template) or any `parameters` can be
//!   given as they are.
//! * [`Api::SageMakerChat`]: the Messages API of newer TGI, LMI and vLLM containers, a Chat
//!   Completions body (the OpenAI codec's, without `model`) answered by a chat completion.
//!
//! A stream is AWS event-stream `PayloadPart` messages whose bytes are pieces of the
//! container's own stream: `data:` lines (TGI tokens or chat chunks) or JSON lines, cut
//! anywhere; [`stream`] joins them into lines again. Exceptions inside the stream
//! (`ModelStreamError`, `InternalStreamFailure`) become errors in the answer.

mod stream;

use super::common::{self, put};
use super::encode::{dropped, JsonBody};
use super::{Api, Codec, Encoded, Endpoint, OpenAiChatCodec, StreamDecoder};
use crate::error::{Error, ErrorKind, Result};
use crate::types::{
    ChatRequest, ChatResponse, FinishKind, FinishReason, JsonMap, Part, Role, Usage, Warning,
};
use crate::wire::Framing;
use bytes::Bytes;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde::Deserialize;
use serde_json::Value;

pub(crate) use stream::SageMakerStreamDecoder;

/// The SageMaker endpoint codec, for one of the two body shapes.
#[derive(Debug, Clone, Copy, Default)]
pub struct SageMakerCodec {
    /// The Messages API (Chat Completions bodies) rather than TGI / LMI `inputs`.
    pub messages: bool,
}

/// Characters escaped in a path segment: all but RFC 3986's unreserved ones.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

fn path(endpoint: &str, stream: bool) -> String {
    let name = utf8_percent_encode(endpoint, SEGMENT);
    let action = if stream {
        "invocations-response-stream"
    } else {
        "invocations"
    };
    format!("/endpoints/{name}/{action}")
}

impl Codec for SageMakerCodec {
    fn api(&self) -> Api {
        if self.messages {
            Api::SageMakerChat
        } else {
            Api::SageMaker
        }
    }

    fn unsupported_settings(&self) -> &'static [&'static str] {
        if self.messages {
            return &["service_tier", "prediction", "audio"];
        }
        &[
            "audio",
            "tools",
            "tool_choice",
            "parallel_tool_calls",
            "response_format",
            "reasoning",
            "n",
            "prediction",
            "logprobs",
            "top_logprobs",
            "service_tier",
            "user",
            "frequency_penalty",
            "presence_penalty",
        ]
    }

    fn encode(
        &self,
        req: &ChatRequest,
        model: &str,
        ep: &Endpoint,
        stream: bool,
    ) -> Result<Encoded> {
        let mut body = if self.messages {
            self.messages_body(req, ep, stream)?
        } else {
            self.tgi_body(req, ep, stream)
        };
        if self.messages {
            body.remove("model");
        }
        let mut enc = body.send(ep, &path(model, stream), common::accept(false))?;
        if stream {
            // The container's stream format; the HTTP answer itself is an AWS event stream.
            let headers = enc.request.headers_mut();
            headers.insert(
                "x-amzn-sagemaker-accept",
                http::HeaderValue::from_static("application/json"),
            );
            headers.insert(
                http::header::ACCEPT,
                http::HeaderValue::from_static("application/vnd.amazon.eventstream"),
            );
        }
        Ok(enc)
    }

    fn decode(&self, body: &[u8]) -> Result<ChatResponse> {
        if self.messages {
            return OpenAiChatCodec.decode(body);
        }
        decode_generated(body)
    }

    fn framing(&self) -> Framing {
        Framing::AwsEventStream
    }

    fn stream_decoder(&self) -> Box<dyn StreamDecoder> {
        Box::new(SageMakerStreamDecoder::new(self.messages))
    }

    fn list_models(&self, ep: &Endpoint) -> Result<http::Request<Bytes>> {
        // Endpoints are listed by the control plane (`sagemaker.{region}`), not the runtime.
        Err(super::unsupported(ep, "model listing"))
    }
}

impl SageMakerCodec {
    fn messages_body(&self, req: &ChatRequest, ep: &Endpoint, stream: bool) -> Result<JsonBody> {
        let mut req = req.clone();
        let mut warnings = Vec::new();
        for name in self.unsupported_settings() {
            let set = match *name {
                "service_tier" => req.service_tier.take().is_some(),
                "prediction" => req.prediction.take().is_some(),
                "audio" => req.audio.take().is_some(),
                _ => false,
            };
            if set {
                warnings.push(Warning::unsupported(name, &ep.provider));
            }
        }
        let enc = OpenAiChatCodec.encode(&req, "", ep, stream)?;
        warnings.extend(enc.warnings);
        let map = common::body_map(enc.request.body())?;
        Ok(JsonBody { map, warnings })
    }

    fn tgi_body(&self, req: &ChatRequest, ep: &Endpoint, stream: bool) -> JsonBody {
        let mut body = JsonBody::default();
        let mut params = JsonMap::new();
        put(&mut params, "max_new_tokens", req.max_tokens);
        put(&mut params, "temperature", req.temperature);
        put(&mut params, "top_p", req.top_p);
        put(&mut params, "top_k", req.top_k);
        put(&mut params, "seed", req.seed);
        if !req.stop.is_empty() {
            params.insert("stop".into(), req.stop.clone().into());
        }
        let prompt = prompt(req, &mut body.warnings);
        body.insert("inputs".into(), prompt.into());
        body.insert("parameters".into(), Value::Object(params));
        if stream {
            body.insert("stream".into(), true.into());
        }
        body.settle(req, ep, self.unsupported_settings());
        body
    }
}

/// The conversation as one prompt.
fn prompt(req: &ChatRequest, warnings: &mut Vec<Warning>) -> String {
    let mut system = Vec::new();
    let mut turns: Vec<(&str, String)> = Vec::new();
    for m in &req.messages {
        let mut text = String::new();
        for p in &m.content {
            match p {
                Part::Text { text: t } => text.push_str(t),
                Part::CacheBreakpoint(_) => {}
                other => warnings.push(dropped(other, "a SageMaker text-generation endpoint")),
            }
        }
        match m.role {
            Role::System | Role::Developer => system.push(text),
            Role::User | Role::Tool => turns.push(("User", text)),
            Role::Assistant => turns.push(("Assistant", text)),
        }
    }
    if let ([], [("User", only)]) = (system.as_slice(), turns.as_slice()) {
        return only.clone();
    }
    let mut out = system;
    out.extend(turns.iter().map(|(r, t)| format!("{r}: {t}")));
    if turns.last().is_none_or(|(r, _)| *r == "User") {
        out.push("Assistant:".into());
    }
    out.join("\n\n")
}

/// One generation of a TGI / LMI answer.
#[derive(Deserialize, Default)]
pub(crate) struct Generated {
    #[serde(default)]
    pub(crate) generated_text: Option<String>,
    #[serde(default)]
    pub(crate) details: Option<Details>,
}

/// The `details` TGI and LMI add: why and after how many tokens the generation ended.
#[derive(Deserialize, Default)]
pub(crate) struct Details {
    #[serde(default)]
    pub(crate) finish_reason: Option<String>,
    #[serde(default)]
    pub(crate) generated_tokens: Option<u64>,
}

/// `length` is the token limit; `eos_token` and `stop_sequence` end the answer normally.
pub(crate) fn finish(raw: &str) -> FinishReason {
    let kind = match raw {
        "length" => FinishKind::Length,
        "eos_token" | "stop_sequence" | "stop" => FinishKind::Stop,
        _ => FinishKind::Other,
    };
    FinishReason::new(kind, raw)
}

/// A TGI / LMI answer: a list of generations (the first is the answer) or one generation.
fn decode_generated(body: &[u8]) -> Result<ChatResponse> {
    let v: Value = common::parse(body, "SageMaker answer")?;
    let first = match v {
        Value::Array(items) => items.into_iter().next().unwrap_or(Value::Null),
        other => other,
    };
    let g: Generated = serde_json::from_value(first.clone())
        .map_err(|e| common::decode_error("SageMaker answer", body, e))?;
    let text = g.generated_text.ok_or_else(|| {
        Error::new(
            ErrorKind::Decode,
            "the SageMaker answer has no generated_text",
        )
        .with_body(
            String::from_utf8_lossy(body)
                .chars()
                .take(1000)
                .collect::<String>(),
        )
    })?;
    let mut resp = ChatResponse {
        content: vec![Part::text(text)],
        ..Default::default()
    };
    if let Some(d) = g.details {
        resp.finish = d.finish_reason.as_deref().map(finish);
        resp.usage = d.generated_tokens.map(|n| Usage {
            output_tokens: Some(n),
            ..Default::default()
        });
    }
    Ok(resp)
}

#[cfg(test)]
mod tests;
