//! Replicate predictions. A chat request creates a prediction of a model
//! (`POST /models/{owner}/{name}/predictions`, or `POST /predictions` with a `version` for
//! `owner/name:version`) whose `input` carries the conversation; the answer is the prediction,
//! which may still be running. Whole answers ask the server to wait (`Prefer: wait`) and are
//! polled at `/predictions/{id}` while they run; streamed answers read the prediction's
//! `urls.stream` server-sent events (`output`, `error`, `done`). The follow-up requests are
//! [`Step`]s the client sends; this module does no I/O.
//!
//! Replicate models each declare their own inputs, so the mapping is the one most language
//! models there share (Meta Llama, Granite, DeepSeek, Claude and GPT on Replicate):
//!
//! | request | `input` |
//! |---|---|
//! | system / developer messages | `system_prompt` (joined by a blank line) |
//! | a single user message | `prompt` |
//! | a conversation | `prompt`: the turns as `User: …` / `Assistant: …` paragraphs, ending with `Assistant:` |
//! | the first image | `image` (its URL, or a `data:` URL) |
//! | `max_tokens`, `temperature`, `top_p`, `top_k`, `seed`, `presence_penalty`, `frequency_penalty` | the same names |
//! | `stop` | `stop_sequences` (comma-separated) |
//! | `provider_options` | merged into `input` (`max_new_tokens`, `prompt_template`, `messages`, …) |
//!
//! Tools, response formats and reasoning settings have no common input: they come back as
//! warnings.

mod prediction;

use super::common::{self, put};
use super::encode::{dropped, JsonBody};
use super::{unsupported, Api, Auth, Codec, Encoded, Endpoint, Step, StreamDecoder};
use crate::error::{Error, ErrorKind, Result};
use crate::types::{ChatRequest, ChatResponse, JsonMap, MediaSource, Part, Role, Warning};
use bytes::Bytes;
use http::header::{HeaderValue, ACCEPT, CACHE_CONTROL};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde_json::Value;

pub(crate) use prediction::ReplicateStreamDecoder;

/// The Replicate predictions codec.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReplicateCodec;

/// Characters escaped in a path segment: all but RFC 3986's unreserved ones.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

impl Codec for ReplicateCodec {
    fn unsupported_settings(&self) -> &'static [&'static str] {
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
        ]
    }

    fn api(&self) -> Api {
        Api::Replicate
    }

    fn encode(
        &self,
        req: &ChatRequest,
        model: &str,
        ep: &Endpoint,
        stream: bool,
    ) -> Result<Encoded> {
        let mut input = JsonBody::default();
        input.map = encode_input(req, &mut input.warnings);
        input.settle(req, ep, self.unsupported_settings());
        let (path, version) = target(model, ep)?;
        let JsonBody {
            map: input,
            warnings,
        } = input;
        let mut body = JsonBody {
            warnings,
            ..JsonBody::default()
        };
        if let Some(v) = version {
            body.insert("version".into(), v.into());
        }
        body.insert("input".into(), Value::Object(input));
        let mut enc = body.send(ep, &path, common::accept(false))?;
        // A whole answer waits on the server (up to its limit) instead of being polled at
        // once; a stream wants the prediction back at once, to open its stream URL.
        if !stream {
            enc.request
                .headers_mut()
                .insert("prefer", HeaderValue::from_static("wait"));
        }
        Ok(enc)
    }

    fn decode(&self, body: &[u8]) -> Result<ChatResponse> {
        prediction::decode(body)
    }

    fn stream_decoder(&self) -> Box<dyn StreamDecoder> {
        Box::<ReplicateStreamDecoder>::default()
    }

    fn has_steps(&self) -> bool {
        true
    }

    fn decode_step(&self, body: &[u8], ep: &Endpoint, stream: bool, polls: u32) -> Result<Step> {
        let p = prediction::parse(body)?;
        let next = match (p.id.as_deref(), p.is_terminal()) {
            (Some(id), false) => Some(id),
            _ => None,
        };
        let Some(id) = next else {
            return Ok(Step::Done(Box::new(p.into_response())));
        };
        if stream {
            if let Some(url) = p.stream_url() {
                let request = stream_request(url, ep)?;
                let cancel = common::request(
                    ep,
                    http::Method::POST,
                    &format!("/predictions/{}/cancel", segment(id)),
                    None,
                )?;
                return Ok(Step::Stream {
                    request,
                    cancel: Some(cancel),
                    head: p.start_events(),
                });
            }
        } else if polls == 0 && p.has_output() {
            // `Prefer: wait` answers with the output it has when the wait ends; a running
            // prediction that already produced its output is how Replicate answers a
            // finished one whose status has not caught up yet.
            return Ok(Step::Done(Box::new(p.into_response())));
        }
        Ok(Step::Poll(common::get(
            ep,
            &format!("/predictions/{}", segment(id)),
        )?))
    }

    fn list_models(&self, ep: &Endpoint) -> Result<http::Request<Bytes>> {
        Err(unsupported(ep, "a model listing"))
    }
}

fn segment(s: &str) -> String {
    utf8_percent_encode(s, SEGMENT).to_string()
}

/// The path a prediction of `model` is created at, and the version the body names:
/// `owner/name` → `/models/owner/name/predictions`; `owner/name:version` or a bare version
/// id → `/predictions` with `version`; `deployments/owner/name` → that deployment.
fn target(model: &str, ep: &Endpoint) -> Result<(String, Option<String>)> {
    let bad = || {
        Error::new(
            ErrorKind::InvalidInput,
            format!(
                "Replicate model `{model}` must be owner/name, owner/name:version or a version id"
            ),
        )
        .with_provider(ep.provider.clone())
    };
    if let Some((_, version)) = model.rsplit_once(':') {
        if version.is_empty() {
            return Err(bad());
        }
        return Ok(("/predictions".into(), Some(version.to_owned())));
    }
    let parts: Vec<&str> = model.split('/').collect();
    match parts.as_slice() {
        [version] if version.len() == 64 && version.bytes().all(|b| b.is_ascii_hexdigit()) => {
            Ok(("/predictions".into(), Some((*version).to_owned())))
        }
        [owner, name] if !owner.is_empty() && !name.is_empty() => Ok((
            format!("/models/{}/{}/predictions", segment(owner), segment(name)),
            None,
        )),
        ["deployments", owner, name] if !owner.is_empty() && !name.is_empty() => Ok((
            format!(
                "/deployments/{}/{}/predictions",
                segment(owner),
                segment(name)
            ),
            None,
        )),
        _ => Err(bad()),
    }
}

/// The `input` object of a chat request (see the module docs for the mapping).
fn encode_input(req: &ChatRequest, warnings: &mut Vec<Warning>) -> JsonMap {
    let mut system = Vec::new();
    let mut turns: Vec<(&str, String)> = Vec::new();
    let mut image: Option<String> = None;
    for m in &req.messages {
        let mut text = String::new();
        for p in &m.content {
            match p {
                Part::Text { text: t } => text.push_str(t),
                Part::Image {
                    source: MediaSource::Url(u),
                    ..
                } if image.is_none() => image = Some(u.clone()),
                Part::Image {
                    source: MediaSource::Base64(d),
                    media_type,
                    ..
                } if image.is_none() => image = Some(common::data_url(media_type.as_deref(), d)),
                Part::CacheBreakpoint(_) => {}
                other => warnings.push(dropped(other, "Replicate")),
            }
        }
        match m.role {
            Role::System | Role::Developer => system.push(text),
            Role::User | Role::Tool => turns.push(("User", text)),
            Role::Assistant => turns.push(("Assistant", text)),
        }
    }
    let prompt = match turns.as_slice() {
        [("User", only)] => only.clone(),
        _ => {
            let mut out: Vec<String> = turns.iter().map(|(r, t)| format!("{r}: {t}")).collect();
            if turns.last().is_none_or(|(r, _)| *r == "User") {
                out.push("Assistant:".into());
            }
            out.join("\n\n")
        }
    };
    let mut input = JsonMap::new();
    input.insert("prompt".into(), prompt.into());
    if !system.is_empty() {
        input.insert("system_prompt".into(), system.join("\n\n").into());
    }
    put(&mut input, "image", image);
    put(&mut input, "max_tokens", req.max_tokens);
    put(&mut input, "temperature", req.temperature);
    put(&mut input, "top_p", req.top_p);
    put(&mut input, "top_k", req.top_k);
    put(&mut input, "seed", req.seed);
    put(&mut input, "presence_penalty", req.presence_penalty);
    put(&mut input, "frequency_penalty", req.frequency_penalty);
    if !req.stop.is_empty() {
        input.insert("stop_sequences".into(), req.stop.join(",").into());
    }
    input
}

/// The `GET` that opens a prediction's stream. The key goes only to the API's own origin or
/// to Replicate's hosts: the URL comes from a response body, and a key must not follow a
/// URL anywhere it points.
fn stream_request(url: &str, ep: &Endpoint) -> Result<http::Request<Bytes>> {
    let mut e = ep.clone();
    e.base_url = url.to_owned();
    e.query.clear();
    if !trusted(url, &ep.base_url) {
        e.auth = Auth::None;
        e.headers.clear();
    }
    let mut r = common::get(&e, "")?;
    let h = r.headers_mut();
    h.insert(ACCEPT, HeaderValue::from_static("text/event-stream"));
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(r)
}

/// Whether `url` is on the origin of `base` or an `https` Replicate host.
fn trusted(url: &str, base: &str) -> bool {
    let (Ok(u), Ok(b)) = (url.parse::<http::Uri>(), base.parse::<http::Uri>()) else {
        return false;
    };
    if u.scheme() == b.scheme() && u.authority().is_some() && u.authority() == b.authority() {
        return true;
    }
    let host = u.host().unwrap_or("");
    u.scheme_str() == Some("https")
        && [".replicate.com", ".replicate.net"]
            .iter()
            .any(|d| host.ends_with(d))
}

#[cfg(test)]
mod tests;
