//! Gemini's File API as a pure codec: the resumable upload (a `start` request to
//! `/upload/<version>/files` that answers with an upload URL in `x-goog-upload-url`, then the
//! file's bytes sent there with `upload, finalize`), listing, lookup and deletion. Files are
//! named `files/<id>`; messages refer to them by their `uri` (`fileData.fileUri`). The API
//! offers no download of uploaded files.

use super::files::time_of;
use super::{id_segment, page_path};
use crate::error::{Error, ErrorKind, Result};
use crate::provider::{common, Endpoint};
use crate::types::{FileList, FileObject};
use bytes::Bytes;
use http::header::{HeaderMap, HeaderValue, CONTENT_LENGTH};
use serde::Deserialize;
use serde_json::{json, Value};

/// `scheme://host[:port]` and the path of a URL.
fn split_origin(url: &str) -> (&str, &str) {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    match url[after_scheme..].find('/') {
        Some(i) => url.split_at(after_scheme + i),
        None => (url, ""),
    }
}

/// The endpoint uploads start at: the base URL's origin, `/upload`, then its path
/// (`https://generativelanguage.googleapis.com/upload/v1beta`).
fn upload_endpoint(ep: &Endpoint) -> Endpoint {
    beside(ep, "upload")
}

/// The endpoint at `/<what>` before the base URL's path (`/upload/v1beta`, `/download/v1beta`).
pub(crate) fn beside(ep: &Endpoint, what: &str) -> Endpoint {
    let (origin, path) = split_origin(ep.base_url.trim_end_matches('/'));
    Endpoint {
        base_url: format!("{origin}/{what}{path}"),
        ..ep.clone()
    }
}

fn header(name: &'static str, value: &str) -> Result<(http::HeaderName, HeaderValue)> {
    let v = HeaderValue::from_str(value)
        .map_err(|_| Error::new(ErrorKind::InvalidInput, format!("invalid {name} value")))?;
    Ok((http::HeaderName::from_static(name), v))
}

/// The request that opens a resumable upload of `len` bytes of `media_type`.
pub(crate) fn start(
    ep: &Endpoint,
    display_name: &str,
    media_type: &str,
    len: u64,
) -> Result<http::Request<Bytes>> {
    let body = json!({"file": {"display_name": display_name}});
    let mut r = common::post_json(&upload_endpoint(ep), "/files", &body, false)?;
    for (k, v) in [
        header("x-goog-upload-protocol", "resumable")?,
        header("x-goog-upload-command", "start")?,
        header("x-goog-upload-header-content-length", &len.to_string())?,
        header("x-goog-upload-header-content-type", media_type)?,
    ] {
        r.headers_mut().insert(k, v);
    }
    Ok(r)
}

/// The upload URL a `start` answered with. It must be on the endpoint's own origin: the
/// request sent there carries the key.
pub(crate) fn upload_url(ep: &Endpoint, headers: &HeaderMap) -> Result<String> {
    let url = headers
        .get("x-goog-upload-url")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| {
            Error::new(
                ErrorKind::Decode,
                "the upload start gave no x-goog-upload-url",
            )
            .with_provider(ep.provider.clone())
        })?;
    if split_origin(url).0 != split_origin(&ep.base_url).0 {
        return Err(Error::new(
            ErrorKind::Decode,
            "the upload URL is on another host than the API; not sending the file there",
        )
        .with_provider(ep.provider.clone()));
    }
    Ok(url.to_owned())
}

/// The head of the request that sends the file's `len` bytes to `url` and finishes.
pub(crate) fn finish(ep: &Endpoint, url: &str, len: u64) -> Result<http::Request<Bytes>> {
    let at = Endpoint {
        base_url: url.to_owned(),
        ..ep.clone()
    };
    let mut r = common::post_bytes(&at, "", "application/octet-stream", Bytes::new())?;
    let h = r.headers_mut();
    h.insert(CONTENT_LENGTH, len.into());
    let (k, v) = header("x-goog-upload-offset", "0")?;
    h.insert(k, v);
    let (k, v) = header("x-goog-upload-command", "upload, finalize")?;
    h.insert(k, v);
    Ok(r)
}

/// The path of file `id` (`files/abc` or `abc`).
fn file_path(id: &str) -> String {
    let bare = id.strip_prefix("files/").unwrap_or(id);
    format!("/files/{}", id_segment(bare))
}

/// A page of the listing, from the page token `after` when given.
pub(crate) fn list(
    ep: &Endpoint,
    limit: Option<u32>,
    after: Option<&str>,
) -> Result<http::Request<Bytes>> {
    let path = page_path("/files", ("pageSize", limit), ("pageToken", after));
    common::get(ep, &path)
}

/// The lookup of one file.
pub(crate) fn get(ep: &Endpoint, id: &str) -> Result<http::Request<Bytes>> {
    common::get(ep, &file_path(id))
}

/// The deletion of one file.
pub(crate) fn delete(ep: &Endpoint, id: &str) -> Result<http::Request<Bytes>> {
    common::request(ep, http::Method::DELETE, &file_path(id), None)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireFile {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    mime_type: Option<String>,
    /// An int64, which Google's JSON sends as a string.
    #[serde(default)]
    size_bytes: Option<Value>,
    #[serde(default)]
    create_time: Option<Value>,
    #[serde(default)]
    expiration_time: Option<Value>,
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    uri: Option<String>,
}

impl WireFile {
    fn into_file(self, provider: &str) -> Result<FileObject> {
        let id = self
            .name
            .filter(|n| !n.is_empty())
            .ok_or_else(|| Error::new(ErrorKind::Decode, "the file has no name"))?;
        let bytes = match self.size_bytes {
            Some(Value::String(s)) => s.parse().ok(),
            Some(Value::Number(n)) => n.as_u64(),
            _ => None,
        };
        Ok(FileObject {
            id,
            provider: provider.to_owned(),
            filename: self.display_name,
            bytes,
            purpose: None,
            media_type: self.mime_type,
            created_at: time_of(self.create_time.as_ref()),
            expires_at: time_of(self.expiration_time.as_ref()),
            status: self.state,
            uri: self.uri,
        })
    }
}

/// Decodes an upload's answer, `{"file": {...}}`.
pub(crate) fn decode_upload(provider: &str, body: &[u8]) -> Result<FileObject> {
    #[derive(Deserialize)]
    struct Wrapped {
        file: WireFile,
    }
    common::parse::<Wrapped>(body, "uploaded file")?
        .file
        .into_file(provider)
}

/// Decodes one file.
pub(crate) fn decode_file(provider: &str, body: &[u8]) -> Result<FileObject> {
    common::parse::<WireFile>(body, "file")?.into_file(provider)
}

/// Decodes a listing page; its `next` is the page token.
pub(crate) fn decode_list(provider: &str, body: &[u8]) -> Result<FileList> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct WireList {
        #[serde(default)]
        files: Vec<WireFile>,
        #[serde(default)]
        next_page_token: Option<String>,
    }
    let l: WireList = common::parse(body, "file list")?;
    let files = l
        .files
        .into_iter()
        .map(|f| f.into_file(provider))
        .collect::<Result<Vec<_>>>()?;
    let next = l.next_page_token.filter(|t| !t.is_empty());
    Ok(FileList {
        files,
        has_more: next.is_some(),
        next,
    })
}
