//! Files kept in a provider's file store (OpenAI and Anthropic `/files`, Gemini's File API):
//! what an upload, a listing or a lookup returns. A message refers to a stored file with
//! [`crate::MediaSource::FileId`] (Gemini: the file's `uri`), which each chat codec encodes in
//! its provider's form.

use serde::{Deserialize, Serialize};

/// A file in a provider's store.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FileObject {
    /// The provider's id (`file-abc123`, `file_011C...`, `files/abc`).
    pub id: String,
    /// The provider (`openai`, `anthropic`, ...).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub provider: String,
    /// The name it was uploaded under.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filename: Option<String>,
    /// Its size in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bytes: Option<u64>,
    /// What it is for (OpenAI `batch`, `user_data`, `fine-tune`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purpose: Option<String>,
    /// Its media type, when the provider says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    /// When it was created, in seconds since the Unix epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<u64>,
    /// When the provider deletes it, in seconds since the Unix epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<u64>,
    /// Processing state, when the provider reports one (`processed`, `ACTIVE`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// The URI a message refers to it by, where that is not the id (Gemini).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
}

/// A page of a file listing.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FileList {
    /// The files, newest first where the provider orders them.
    pub files: Vec<FileObject>,
    /// Whether more files follow.
    pub has_more: bool,
    /// What to pass as `after` for the next page (the last id, or Gemini's page token).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

/// Seconds since the Unix epoch of an RFC 3339 time (`2025-04-14T10:00:00.123Z`), as
/// Anthropic and Gemini send them; `None` for anything else.
pub(crate) fn epoch_seconds(s: &str) -> Option<u64> {
    let t = humantime::parse_rfc3339_weak(s.trim()).ok()?;
    t.duration_since(std::time::UNIX_EPOCH)
        .ok()
        .map(|d| d.as_secs())
}
