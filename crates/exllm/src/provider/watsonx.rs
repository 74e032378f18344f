//! IBM watsonx.ai chat (`POST /ml/v1/text/chat?version=...`, streamed at
//! `/ml/v1/text/chat_stream`). The messages, tools and answers are Chat Completions' shapes,
//! so this codec is the OpenAI one with watsonx's differences around it: the model goes in
//! `model_id`, the project or deployment space id in the body (`project_id` / `space_id`),
//! no `stream` flag (the route says it), and answers name their model in `model_id`.
//!
//! The ids come from the endpoint's query (the registry fills `project_id` and `space_id`
//! from `WATSONX_PROJECT_ID` / `WATSONX_SPACE_ID`, empty when unset); they are moved into the
//! body here, so the URL carries only `version`.

use super::common;
use super::{Api, Codec, Encoded, Endpoint, ListedModel, OpenAiChatCodec, StreamDecoder};
use crate::error::{Error, ErrorKind, Result};
use crate::types::{ChatRequest, ChatResponse, StreamEvent, Warning};
use crate::wire::Frame;
use bytes::Bytes;
use serde::Deserialize;
use serde_json::Value;

/// The IBM watsonx.ai chat codec.
#[derive(Debug, Clone, Copy, Default)]
pub struct WatsonxCodec;

/// Query entries that belong in the body.
const BODY_IDS: [&str; 2] = ["project_id", "space_id"];

/// The endpoint without the body ids in its query, and the ids that are set.
fn split_ids(ep: &Endpoint) -> (Endpoint, Vec<(String, String)>) {
    let mut ep = ep.clone();
    let (ids, query) = std::mem::take(&mut ep.query)
        .into_iter()
        .partition::<Vec<_>, _>(|(k, _)| BODY_IDS.contains(&k.as_str()));
    ep.query = query;
    let ids = ids.into_iter().filter(|(_, v)| !v.is_empty()).collect();
    (ep, ids)
}

/// `{base}/ml/v1/text/{route}` with the endpoint's query (the OpenAI encoder's path is
/// `{base}/chat/completions`).
fn rewrite_uri(uri: &http::Uri, route: &str) -> Result<http::Uri> {
    let path = uri.path();
    let base = path.strip_suffix("/chat/completions").unwrap_or(path);
    let mut pq = format!("{base}/ml/v1/text/{route}");
    if let Some(q) = uri.query() {
        pq.push('?');
        pq.push_str(q);
    }
    let mut parts = uri.clone().into_parts();
    parts.path_and_query = Some(pq.parse().map_err(|_| invalid_url())?);
    http::Uri::from_parts(parts).map_err(|_| invalid_url())
}

fn invalid_url() -> Error {
    Error::new(ErrorKind::Config, "invalid watsonx URL").with_provider("watsonx")
}

impl Codec for WatsonxCodec {
    fn api(&self) -> Api {
        Api::Watsonx
    }

    fn unsupported_settings(&self) -> &'static [&'static str] {
        &["service_tier", "prediction", "user", "audio"]
    }

    fn encode(
        &self,
        req: &ChatRequest,
        model: &str,
        ep: &Endpoint,
        stream: bool,
    ) -> Result<Encoded> {
        let (inner_ep, ids) = split_ids(ep);
        // The registry's row always carries the two entries (empty when unset).
        let configured = ep.query.iter().any(|(k, _)| BODY_IDS.contains(&k.as_str()));
        if configured && ids.is_empty() {
            return Err(Error::new(
                ErrorKind::Config,
                "watsonx needs a project or a deployment space: set WATSONX_PROJECT_ID or WATSONX_SPACE_ID",
            )
            .with_provider(ep.provider.clone()));
        }
        let Encoded {
            request,
            mut warnings,
        } = OpenAiChatCodec.encode(req, model, &inner_ep, stream)?;
        let (mut parts, body) = request.into_parts();
        let mut map = common::body_map(&body)?;
        if let Some(m) = map.remove("model") {
            map.insert("model_id".into(), m);
        }
        for name in self.unsupported_settings() {
            if map.remove(*name).is_some() {
                warnings.push(Warning::unsupported(name, &ep.provider));
            }
        }
        map.remove("stream");
        map.remove("stream_options");
        for (k, v) in ids {
            map.insert(k, Value::String(v));
        }
        parts.uri = rewrite_uri(&parts.uri, if stream { "chat_stream" } else { "chat" })?;
        let body = common::json_bytes(&map)?;
        Ok(Encoded {
            request: http::Request::from_parts(parts, body),
            warnings,
        })
    }

    fn decode(&self, body: &[u8]) -> Result<ChatResponse> {
        let mut resp = OpenAiChatCodec.decode(body)?;
        if resp.model.is_none() {
            resp.model = model_id(body);
        }
        Ok(resp)
    }

    fn stream_decoder(&self) -> Box<dyn StreamDecoder> {
        Box::new(WatsonxStream {
            inner: OpenAiChatCodec.stream_decoder(),
        })
    }

    fn list_models(&self, ep: &Endpoint) -> Result<http::Request<Bytes>> {
        let (ep, _) = split_ids(ep);
        common::get(&ep, "/ml/v1/foundation_model_specs")
    }

    fn decode_models(&self, body: &[u8]) -> Result<Vec<ListedModel>> {
        #[derive(Deserialize)]
        struct Specs {
            #[serde(default)]
            resources: Vec<Spec>,
        }
        #[derive(Deserialize)]
        struct Spec {
            model_id: String,
            #[serde(default)]
            label: Option<String>,
            #[serde(default)]
            provider: Option<String>,
        }
        let specs: Specs = common::parse(body, "watsonx model list")?;
        Ok(specs
            .resources
            .into_iter()
            .map(|s| ListedModel {
                id: s.model_id,
                display_name: s.label,
                owned_by: s.provider,
            })
            .collect())
    }
}

/// The `model_id` an answer or chunk names, when it has one.
fn model_id(body: &[u8]) -> Option<String> {
    #[derive(Deserialize)]
    struct Id {
        #[serde(default)]
        model_id: Option<String>,
    }
    serde_json::from_slice::<Id>(body)
        .ok()?
        .model_id
        .filter(|m| !m.is_empty())
}

/// The Chat Completions stream decoder, with the model taken from `model_id`.
struct WatsonxStream {
    inner: Box<dyn StreamDecoder>,
}

impl StreamDecoder for WatsonxStream {
    fn decode(&mut self, frame: Frame<'_>, out: &mut Vec<StreamEvent>) -> Result<()> {
        let from = out.len();
        self.inner.decode(frame, out)?;
        for e in &mut out[from..] {
            if let StreamEvent::Start {
                model: m @ None, ..
            } = e
            {
                *m = model_id(frame.data);
            }
        }
        Ok(())
    }

    fn finish(&mut self, out: &mut Vec<StreamEvent>) -> Result<()> {
        self.inner.finish(out)
    }
}

#[cfg(test)]
mod tests;
