//! `POST /images/generations`: a prompt in, `data[]` of `url` or `b64_json` out.

use super::super::common::{self, merge_options, put};
use super::super::{Encoded, Endpoint};
use crate::error::{Error, ErrorKind, Result};
use crate::types::{GeneratedImage, ImageRequest, ImageResponse, JsonMap, Usage};
use bytes::Bytes;
use serde_json::Value;

pub(crate) fn encode(req: &ImageRequest, model: &str, ep: &Endpoint) -> Result<Encoded> {
    let mut body = JsonMap::new();
    body.insert("model".into(), model.into());
    body.insert("prompt".into(), req.prompt.clone().into());
    put(&mut body, "n", req.n);
    put(&mut body, "size", req.size.clone());
    put(&mut body, "quality", req.quality.clone());
    put(&mut body, "style", req.style.clone());
    put(&mut body, "response_format", req.output.map(|o| o.as_str()));
    merge_options(&mut body, &req.provider_options);
    let request = common::post_json(ep, "/images/generations", &Value::Object(body), false)?;
    Ok(Encoded {
        request,
        warnings: Vec::new(),
    })
}

/// Decodes `{created, data: [{url | b64_json, revised_prompt}], usage}`; inline images are
/// decoded to bytes, their media type taken from `output_format` or sniffed from the bytes.
pub(crate) fn decode(body: &[u8]) -> Result<ImageResponse> {
    let v: Value = common::parse(body, "image generation response")?;
    let data = v.get("data").and_then(Value::as_array).ok_or_else(|| {
        Error::new(
            ErrorKind::Decode,
            "an image generation response has no `data` list",
        )
    })?;
    let format = v
        .get("output_format")
        .and_then(Value::as_str)
        .map(|f| format!("image/{}", if f == "jpg" { "jpeg" } else { f }));
    let mut images = Vec::with_capacity(data.len());
    for d in data {
        let text = |k: &str| d.get(k).and_then(Value::as_str).map(str::to_owned);
        let bytes = match d.get("b64_json").and_then(Value::as_str) {
            Some(b64) => Some(Bytes::from(crate::media::base64::decode(b64).ok_or_else(
                || Error::new(ErrorKind::Decode, "an image's b64_json is not base64"),
            )?)),
            None => None,
        };
        let media_type = bytes.as_ref().and_then(|b| {
            format
                .clone()
                .or_else(|| crate::media::sniff(b).map(str::to_owned))
        });
        images.push(GeneratedImage {
            url: text("url"),
            data: bytes,
            media_type,
            revised_prompt: text("revised_prompt"),
        });
    }
    Ok(ImageResponse {
        created: v.get("created").and_then(Value::as_u64),
        images,
        usage: v.get("usage").map(usage),
        ..Default::default()
    })
}

/// gpt-image usage: `input_tokens` (text and image) and `output_tokens`.
fn usage(u: &Value) -> Usage {
    let n = |k: &str| u.get(k).and_then(Value::as_u64);
    Usage {
        input_tokens: n("input_tokens"),
        output_tokens: n("output_tokens"),
        raw: Some(u.clone().into()),
        ..Default::default()
    }
}
