//! Session files: versioned JSON, read strictly, written atomically.
//!
//! A session is a user's conversation, so the file format is treated as a contract. Every file
//! carries `"version"`; a file from a newer exllm is refused with a clear error instead of
//! being read half-way and saved back without what this build did not understand. Unknown
//! top-level fields are kept (they round-trip through [`Session::extra`]); anything else this
//! build would drop — an unknown field inside a message or part — makes the load fail, naming
//! the field. Writes go to a temporary file in the same directory, are flushed to disk, and
//! replace the old file with one rename (then the directory is synced on Unix), so a crash
//! leaves either the old file or the new one, never a torn one.

use super::Session;
use crate::{Error, ErrorKind, Result};
use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// The session file version this build writes and the newest it reads.
pub const SCHEMA_VERSION: u64 = 1;

fn io_error(what: &str, path: &Path, e: std::io::Error) -> Error {
    let kind = if e.kind() == std::io::ErrorKind::NotFound {
        ErrorKind::NotFound
    } else {
        ErrorKind::Config
    };
    Error::new(kind, format!("cannot {what} {}: {e}", path.display())).with_source(e)
}

impl Session {
    /// The session as the JSON document [`Session::save`] writes.
    pub fn to_json(&self) -> Result<Value> {
        let mut v = serde_json::to_value(self).map_err(|e| {
            Error::new(
                ErrorKind::InvalidInput,
                format!("cannot encode session: {e}"),
            )
        })?;
        if let Value::Object(map) = &mut v {
            map.insert("version".into(), SCHEMA_VERSION.into());
        }
        Ok(v)
    }

    /// Reads a session from a JSON document: refuses a newer version and any field this build
    /// would lose.
    pub fn from_json(mut doc: Value) -> Result<Session> {
        let bad = |m: String| Error::new(ErrorKind::Decode, m);
        let Value::Object(map) = &mut doc else {
            return Err(bad("a session file must hold a JSON object".into()));
        };
        let version = match map.remove("version") {
            Some(Value::Number(n)) if n.as_u64().is_some() => n.as_u64().unwrap_or(0),
            Some(v) => return Err(bad(format!("bad session file version {v}"))),
            None => return Err(bad("the session file has no \"version\"".into())),
        };
        if version > SCHEMA_VERSION {
            return Err(Error::new(
                ErrorKind::Unsupported,
                format!(
                    "the session file has version {version}, written by a newer exllm; this \
                     build reads up to version {SCHEMA_VERSION} (upgrade exllm to open it)"
                ),
            ));
        }
        if version == 0 {
            return Err(bad("bad session file version 0".into()));
        }
        let session: Session = serde_json::from_value(doc.clone())
            .map_err(|e| bad(format!("invalid session file: {e}")))?;
        let back = serde_json::to_value(&session)
            .map_err(|e| bad(format!("cannot re-encode session: {e}")))?;
        if let Some(path) = first_loss(&doc, &back, String::new()) {
            return Err(bad(format!(
                "the session file has `{path}`, which this build of exllm does not understand; \
                 refusing to load it rather than lose it"
            )));
        }
        Ok(session)
    }

    /// Loads a session file.
    pub fn load(path: impl AsRef<Path>) -> Result<Session> {
        let path = path.as_ref();
        let text = std::fs::read(path).map_err(|e| io_error("read", path, e))?;
        let doc: Value = serde_json::from_slice(&text).map_err(|e| {
            Error::new(
                ErrorKind::Decode,
                format!("{} is not JSON: {e}", path.display()),
            )
        })?;
        Session::from_json(doc)
            .map_err(|e| Error::new(e.kind(), format!("{}: {}", path.display(), e.message())))
    }

    /// Saves the session atomically: a crash leaves the old file or the new one.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        self.save_with(path, |_| Ok(()))
    }

    /// [`Session::save`], running `check` on the complete, synced temporary file before it
    /// replaces `path`. An error from `check` (a validation, or a test simulating a crash)
    /// removes the temporary file and leaves `path` as it was.
    pub fn save_with(
        &self,
        path: impl AsRef<Path>,
        check: impl FnOnce(&Path) -> std::io::Result<()>,
    ) -> Result<()> {
        let path = path.as_ref();
        let mut bytes = serde_json::to_vec_pretty(&self.to_json()?).map_err(|e| {
            Error::new(
                ErrorKind::InvalidInput,
                format!("cannot encode session: {e}"),
            )
        })?;
        bytes.push(b'\n');
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let tmp = temp_path(&dir, path);
        let result = write_synced(&tmp, &bytes)
            .and_then(|()| check(&tmp))
            .and_then(|()| std::fs::rename(&tmp, path));
        if let Err(e) = result {
            let _ = std::fs::remove_file(&tmp);
            return Err(io_error("save", path, e));
        }
        sync_dir(&dir).map_err(|e| io_error("sync", &dir, e))
    }
}

fn temp_path(dir: &Path, target: &Path) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "session".into());
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    dir.join(format!(".{name}.{}.{n}.tmp", std::process::id()))
}

fn write_synced(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

#[cfg(unix)]
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> std::io::Result<()> {
    Ok(())
}

/// The first path where `original` holds something `back` (the value re-encoded by this
/// build) does not.
fn first_loss(original: &Value, back: &Value, at: String) -> Option<String> {
    match (original, back) {
        (Value::Object(a), Value::Object(b)) => a.iter().find_map(|(k, v)| {
            let here = if at.is_empty() {
                k.clone()
            } else {
                format!("{at}.{k}")
            };
            match b.get(k) {
                Some(w) => first_loss(v, w, here),
                None if is_empty(v) => None,
                None => Some(here),
            }
        }),
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => a
            .iter()
            .zip(b)
            .enumerate()
            .find_map(|(i, (v, w))| first_loss(v, w, format!("{at}[{i}]"))),
        (Value::Number(a), Value::Number(b)) if a.as_f64() == b.as_f64() => None,
        _ if original == back => None,
        _ => Some(if at.is_empty() { "/".into() } else { at }),
    }
}

/// Values a field may hold that mean the same as leaving it out.
fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null | Value::Bool(false) => true,
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}
