//! `POST /audio/transcriptions` and `/audio/translations`: the audio file and settings as a
//! multipart form in; `{"text"}`, the verbose JSON (language, duration, segments, words), or
//! plain text and subtitles out.

use super::super::common;
use super::super::{Encoded, Endpoint};
use super::multipart::{boundary, Form};
use crate::error::{Error, ErrorKind, Result};
use crate::types::{
    TranscriptFormat, TranscriptSegment, TranscriptWord, Transcription, TranscriptionRequest,
    Usage, Warning,
};
use serde_json::Value;

/// The media type of an audio file, from its extension.
pub(crate) fn media_type(filename: &str) -> &'static str {
    let ext = filename
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "wav" => "audio/wav",
        "mp3" | "mpga" | "mpeg" => "audio/mpeg",
        "m4a" | "mp4" => "audio/mp4",
        "ogg" | "oga" | "opus" => "audio/ogg",
        "flac" => "audio/flac",
        "webm" => "audio/webm",
        _ => "application/octet-stream",
    }
}

/// A form field's text for a provider option: strings as they are, other values as JSON.
fn option_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

pub(crate) fn encode(req: &TranscriptionRequest, model: &str, ep: &Endpoint) -> Result<Encoded> {
    encode_with(req, model, ep, None)
}

/// [`encode`] with a fixed boundary (tests); `None` picks a random one.
pub(crate) fn encode_with(
    req: &TranscriptionRequest,
    model: &str,
    ep: &Endpoint,
    fixed: Option<&str>,
) -> Result<Encoded> {
    if req.audio.is_empty() {
        return Err(
            Error::new(ErrorKind::InvalidInput, "the audio file is empty")
                .with_provider(ep.provider.clone()),
        );
    }
    let mut warnings = Vec::new();
    let mut fields: Vec<(&str, String)> = vec![("model", model.to_owned())];
    if let Some(l) = &req.language {
        if req.translate {
            // Translations always come out in English and the endpoint takes no language.
            warnings.push(Warning::unsupported("language", &ep.provider));
        } else {
            fields.push(("language", l.clone()));
        }
    }
    if let Some(p) = &req.prompt {
        fields.push(("prompt", p.clone()));
    }
    if let Some(f) = req.response_format {
        fields.push(("response_format", f.as_str().to_owned()));
    }
    if let Some(t) = req.temperature {
        fields.push(("temperature", t.to_string()));
    }
    if req.translate && !req.timestamp_granularities.is_empty() {
        warnings.push(Warning::unsupported(
            "timestamp_granularities",
            &ep.provider,
        ));
    } else {
        for g in &req.timestamp_granularities {
            fields.push(("timestamp_granularities[]", g.as_str().to_owned()));
        }
    }
    let options: Vec<(&str, String)> = req
        .provider_options
        .iter()
        .map(|(k, v)| (k.as_str(), option_text(v)))
        .collect();
    fields.extend(options);

    let filename = if req.filename.is_empty() {
        "audio"
    } else {
        req.filename.as_str()
    };
    let content_type = req
        .media_type
        .as_deref()
        .unwrap_or_else(|| media_type(filename));
    let boundary = match fixed {
        Some(b) => b.to_owned(),
        None => {
            let mut contents: Vec<&[u8]> = vec![&req.audio, filename.as_bytes()];
            contents.extend(
                fields
                    .iter()
                    .flat_map(|(k, v)| [k.as_bytes(), v.as_bytes()]),
            );
            boundary(&contents)
        }
    };
    let size = req.audio.len()
        + fields
            .iter()
            .map(|(k, v)| k.len() + v.len() + 96)
            .sum::<usize>();
    let mut form = Form::new(boundary, size);
    form.file("file", filename, content_type, &req.audio);
    for (k, v) in &fields {
        form.text(k, v);
    }
    let (content_type, body) = form.finish();
    let path = if req.translate {
        "/audio/translations"
    } else {
        "/audio/transcriptions"
    };
    let request = common::post_bytes(ep, path, &content_type, body)?;
    Ok(Encoded { request, warnings })
}

/// Decodes an answer in `format`: JSON (plain or verbose) unless a text format was asked for,
/// whose body is the text itself.
pub(crate) fn decode(body: &[u8], format: Option<TranscriptFormat>) -> Result<Transcription> {
    let raw = String::from_utf8_lossy(body).into_owned();
    if format.is_some_and(|f| !f.is_json()) {
        return Ok(Transcription {
            text: raw.clone(),
            raw,
            ..Default::default()
        });
    }
    let v: Value = common::parse(body, "transcription response")?;
    let text = v
        .get("text")
        .and_then(Value::as_str)
        .ok_or_else(|| Error::new(ErrorKind::Decode, "a transcription response has no `text`"))?;
    let num = |x: &Value, k: &str| x.get(k).and_then(Value::as_f64);
    let list = |k: &str| {
        v.get(k)
            .and_then(Value::as_array)
            .map_or(&[][..], Vec::as_slice)
    };
    let segments = list("segments")
        .iter()
        .map(|s| TranscriptSegment {
            id: s.get("id").and_then(Value::as_u64),
            start: num(s, "start").unwrap_or(0.0),
            end: num(s, "end").unwrap_or(0.0),
            text: common::str_at(s, "text"),
            speaker: common::opt_str(s, "speaker_id").or_else(|| common::opt_str(s, "speaker")),
        })
        .collect();
    let words = list("words")
        .iter()
        .map(|w| TranscriptWord {
            word: common::str_at(w, "word"),
            start: num(w, "start").unwrap_or(0.0),
            end: num(w, "end").unwrap_or(0.0),
        })
        .collect();
    // Token-priced models report tokens; Whisper reports `{"type": "duration", "seconds"}`,
    // which is no token count.
    let usage = v
        .get("usage")
        .filter(|u| u.get("input_tokens").is_some() || u.get("output_tokens").is_some())
        .map(|u| Usage {
            input_tokens: u.get("input_tokens").and_then(Value::as_u64),
            output_tokens: u.get("output_tokens").and_then(Value::as_u64),
            raw: Some(u.clone().into()),
            ..Default::default()
        });
    let billed_seconds = v
        .get("usage")
        .filter(|u| u.get("type").and_then(Value::as_str) == Some("duration"))
        .and_then(|u| num(u, "seconds"));
    Ok(Transcription {
        text: text.to_owned(),
        language: common::opt_str(&v, "language"),
        duration: num(&v, "duration"),
        segments,
        words,
        usage,
        billed_seconds,
        raw,
        ..Default::default()
    })
}
