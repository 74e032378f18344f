//! `POST /audio/speech`: text and a voice in, the audio bytes out as served.

use super::super::common::{self, merge_options, put};
use super::super::{Encoded, Endpoint};
use crate::error::{Error, ErrorKind, Result};
use crate::types::{JsonMap, SpeechRequest, SpeechResponse};
use bytes::Bytes;
use serde_json::Value;

pub(crate) fn encode(req: &SpeechRequest, model: &str, ep: &Endpoint) -> Result<Encoded> {
    let mut body = JsonMap::new();
    body.insert("model".into(), model.into());
    body.insert("input".into(), req.input.clone().into());
    body.insert("voice".into(), req.voice.clone().into());
    put(&mut body, "response_format", req.format.map(|f| f.as_str()));
    put(&mut body, "speed", req.speed);
    put(&mut body, "instructions", req.instructions.clone());
    merge_options(&mut body, &req.provider_options);
    let accept = req.format.map_or("*/*", |f| f.media_type());
    let request = common::post_json_accepting(ep, "/audio/speech", &Value::Object(body), accept)?;
    Ok(Encoded {
        request,
        warnings: Vec::new(),
    })
}

/// The audio as served. A JSON body under a success status is no audio: it is refused with the
/// server's message rather than saved as a sound file.
pub(crate) fn decode(body: Bytes, content_type: Option<&str>) -> Result<SpeechResponse> {
    if content_type.is_some_and(|c| c.trim_start().starts_with("application/json")) {
        let snippet = String::from_utf8_lossy(&body[..body.len().min(300)]).into_owned();
        return Err(Error::new(
            ErrorKind::Decode,
            format!("the speech endpoint answered JSON instead of audio: {snippet}"),
        ));
    }
    if body.is_empty() {
        return Err(Error::new(
            ErrorKind::Decode,
            "the speech endpoint sent no audio",
        ));
    }
    Ok(SpeechResponse {
        audio: body,
        content_type: content_type.map(str::to_owned),
        ..Default::default()
    })
}
