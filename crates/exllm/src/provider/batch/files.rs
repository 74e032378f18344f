//! The `/files` APIs of OpenAI (also Azure OpenAI, Groq, Mistral) and Anthropic (beta
//! `files-api-2025-04-14`) as pure codecs: the request of each call, and the file objects and
//! listings decoded from the answers. An upload is a multipart form whose file content is
//! streamed from disk between the two byte runs built here, so no file is held in memory.

use super::{id_segment, page_path, FileApi};
use crate::error::{Error, ErrorKind, Result};
use crate::provider::openai_media::multipart::{boundary, Form};
use crate::provider::{common, Endpoint};
use crate::types::{epoch_seconds, ChatRequest, FileList, FileObject, MediaSource, Part};
use bytes::Bytes;
use http::header::{HeaderValue, CONTENT_LENGTH, CONTENT_TYPE};
use serde::Deserialize;
use serde_json::Value;

/// The beta Anthropic's Files API (and messages that refer to its files) need.
pub(crate) const ANTHROPIC_FILES_BETA: &str = "files-api-2025-04-14";

/// A Messages request with the Files API beta when one of its parts refers to an uploaded
/// file by id (Anthropic refuses such a part without it).
pub(crate) fn with_files_beta(req: &ChatRequest, r: http::Request<Bytes>) -> http::Request<Bytes> {
    if names_file_ids(req) {
        beta(FileApi::Anthropic, r)
    } else {
        r
    }
}

/// Whether a part of the request refers to an uploaded file by id.
pub(crate) fn names_file_ids(req: &ChatRequest) -> bool {
    req.messages.iter().flat_map(|m| &m.content).any(|p| {
        matches!(
            p,
            Part::Image {
                source: MediaSource::FileId(_),
                ..
            } | Part::File {
                source: MediaSource::FileId(_),
                ..
            }
        )
    })
}

/// An upload: the request head (its body empty), and the bytes sent before and after the
/// file's content.
#[derive(Debug)]
pub(crate) struct Upload {
    /// Method, URL and headers, `Content-Length` included.
    pub(crate) head: http::Request<Bytes>,
    /// The form up to the file's content.
    pub(crate) prefix: Bytes,
    /// The form after the file's content.
    pub(crate) suffix: Bytes,
}

/// Adds the Anthropic beta header where the API needs it.
pub(crate) fn beta(api: FileApi, mut r: http::Request<Bytes>) -> http::Request<Bytes> {
    if api == FileApi::Anthropic {
        r.headers_mut().append(
            "anthropic-beta",
            HeaderValue::from_static(ANTHROPIC_FILES_BETA),
        );
    }
    r
}

/// The upload of a file of `len` bytes named `filename`. OpenAI requires a `purpose`;
/// Anthropic takes none.
pub(crate) fn upload(
    api: FileApi,
    ep: &Endpoint,
    filename: &str,
    media_type: &str,
    purpose: Option<&str>,
    len: u64,
) -> Result<Upload> {
    // The boundary is 143 random bits chosen after the file's content is fixed, so the file
    // cannot contain it except by a chance too small to matter; the content is not read twice
    // to check.
    let mut form = Form::new(boundary(&[]), 256);
    match (api, purpose) {
        (FileApi::OpenAi, Some(p)) => form.text("purpose", p),
        (FileApi::OpenAi, None) => {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                "an OpenAI file upload needs a purpose (batch, user_data, fine-tune, ...)",
            )
            .with_provider(ep.provider.clone()))
        }
        _ => {}
    }
    form.file_head("file", filename, media_type);
    let (content_type, prefix, suffix) = form.streamed();
    let mut head = common::post_bytes(ep, "/files", &content_type, Bytes::new())?;
    let total = prefix.len() as u64 + len + suffix.len() as u64;
    head.headers_mut().insert(CONTENT_LENGTH, total.into());
    debug_assert!(head.headers().contains_key(CONTENT_TYPE));
    Ok(Upload {
        head: beta(api, head),
        prefix,
        suffix,
    })
}

/// A page of the file listing, after the file `after` when given.
pub(crate) fn list(
    api: FileApi,
    ep: &Endpoint,
    limit: Option<u32>,
    after: Option<&str>,
) -> Result<http::Request<Bytes>> {
    let after_key = match api {
        FileApi::Anthropic => "after_id",
        FileApi::OpenAi | FileApi::Gemini => "after",
    };
    let path = page_path("/files", ("limit", limit), (after_key, after));
    Ok(beta(api, common::get(ep, &path)?))
}

/// The lookup of one file's metadata.
pub(crate) fn get(api: FileApi, ep: &Endpoint, id: &str) -> Result<http::Request<Bytes>> {
    Ok(beta(
        api,
        common::get(ep, &format!("/files/{}", id_segment(id)))?,
    ))
}

/// The deletion of one file.
pub(crate) fn delete(api: FileApi, ep: &Endpoint, id: &str) -> Result<http::Request<Bytes>> {
    let path = format!("/files/{}", id_segment(id));
    Ok(beta(
        api,
        common::request(ep, http::Method::DELETE, &path, None)?,
    ))
}

/// The download of one file's content.
pub(crate) fn content(api: FileApi, ep: &Endpoint, id: &str) -> Result<http::Request<Bytes>> {
    let path = format!("/files/{}/content", id_segment(id));
    Ok(beta(api, common::get(ep, &path)?))
}

/// A file object in either API's shape.
#[derive(Deserialize)]
struct WireFile {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    filename: Option<String>,
    /// OpenAI.
    #[serde(default)]
    bytes: Option<u64>,
    /// Anthropic.
    #[serde(default)]
    size_bytes: Option<u64>,
    #[serde(default)]
    purpose: Option<String>,
    #[serde(default)]
    mime_type: Option<String>,
    /// Unix seconds (OpenAI) or RFC 3339 (Anthropic).
    #[serde(default)]
    created_at: Option<Value>,
    #[serde(default)]
    expires_at: Option<Value>,
    #[serde(default)]
    status: Option<String>,
}

/// Unix seconds from either a number or an RFC 3339 string.
pub(crate) fn time_of(v: Option<&Value>) -> Option<u64> {
    match v? {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => epoch_seconds(s),
        _ => None,
    }
}

impl WireFile {
    fn into_file(self, provider: &str) -> Result<FileObject> {
        let id = self
            .id
            .filter(|i| !i.is_empty())
            .ok_or_else(|| Error::new(ErrorKind::Decode, "the file object has no id"))?;
        Ok(FileObject {
            id,
            provider: provider.to_owned(),
            filename: self.filename,
            bytes: self.bytes.or(self.size_bytes),
            purpose: self.purpose,
            media_type: self.mime_type,
            created_at: time_of(self.created_at.as_ref()),
            expires_at: time_of(self.expires_at.as_ref()),
            status: self.status,
            uri: None,
        })
    }
}

/// Decodes one file object.
pub(crate) fn decode_file(provider: &str, body: &[u8]) -> Result<FileObject> {
    common::parse::<WireFile>(body, "file object")?.into_file(provider)
}

#[derive(Deserialize)]
struct WireList {
    #[serde(default)]
    data: Vec<WireFile>,
    #[serde(default)]
    has_more: bool,
}

/// Decodes a listing page (`{"data": [...], "has_more"}` in both APIs).
pub(crate) fn decode_list(provider: &str, body: &[u8]) -> Result<FileList> {
    let list: WireList = common::parse(body, "file list")?;
    let files = list
        .data
        .into_iter()
        .map(|f| f.into_file(provider))
        .collect::<Result<Vec<_>>>()?;
    let next = list
        .has_more
        .then(|| files.last().map(|f| f.id.clone()))
        .flatten();
    Ok(FileList {
        files,
        has_more: list.has_more,
        next,
    })
}

/// Decodes a deletion's answer: OpenAI `{"deleted": true}`, Anthropic
/// `{"type": "file_deleted"}`; anything else is an error.
pub(crate) fn decode_deleted(body: &[u8]) -> Result<()> {
    let v: Value = common::parse(body, "file deletion")?;
    let deleted = v.get("deleted").and_then(Value::as_bool).unwrap_or(false)
        || v.get("type").and_then(Value::as_str) == Some("file_deleted");
    if deleted {
        Ok(())
    } else {
        Err(Error::new(
            ErrorKind::Decode,
            "the provider did not confirm the deletion",
        ))
    }
}
