//! [`SessionStore`]: named sessions as files in one directory.
//!
//! Applications (and the CLI) refer to sessions by name; the store maps a name to
//! `<dir>/<name>.json`, refusing names that could escape the directory, and lists what is
//! there without failing on a stray or broken file.

use super::Session;
use crate::{Error, ErrorKind, Result};
use std::path::{Path, PathBuf};

/// A directory of named sessions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionStore {
    dir: PathBuf,
}

/// A stored session, as listed.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct SessionInfo {
    /// Its name.
    pub name: String,
    /// Its file.
    pub path: PathBuf,
    /// The session, or why it could not be read.
    pub session: std::result::Result<Session, String>,
}

impl SessionStore {
    /// A store in `dir` (created on the first save).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        SessionStore { dir: dir.into() }
    }

    /// The store's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file of session `name`. Names are letters, digits, `-`, `_` and `.`, not starting
    /// with `.`, at most 128 characters.
    pub fn path(&self, name: &str) -> Result<PathBuf> {
        let ok = !name.is_empty()
            && name.len() <= 128
            && !name.starts_with('.')
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if !ok {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                format!(
                    "bad session name `{name}`: use letters, digits, `-`, `_` and `.` (not first)"
                ),
            ));
        }
        Ok(self.dir.join(format!("{name}.json")))
    }

    /// Whether session `name` exists.
    pub fn exists(&self, name: &str) -> bool {
        self.path(name).is_ok_and(|p| p.is_file())
    }

    /// Loads session `name` (a [`ErrorKind::NotFound`] error when there is none).
    pub fn load(&self, name: &str) -> Result<Session> {
        let path = self.path(name)?;
        if !path.is_file() {
            return Err(Error::new(
                ErrorKind::NotFound,
                format!("no session named `{name}` in {}", self.dir.display()),
            ));
        }
        Session::load(path)
    }

    /// Saves `session` as `name`, atomically, creating the directory when needed.
    pub fn save(&self, name: &str, session: &Session) -> Result<()> {
        let path = self.path(name)?;
        std::fs::create_dir_all(&self.dir).map_err(|e| {
            Error::new(
                ErrorKind::Config,
                format!("cannot create {}: {e}", self.dir.display()),
            )
        })?;
        session.save(path)
    }

    /// Deletes session `name` (a [`ErrorKind::NotFound`] error when there is none).
    pub fn delete(&self, name: &str) -> Result<()> {
        let path = self.path(name)?;
        std::fs::remove_file(&path).map_err(|e| {
            let kind = if e.kind() == std::io::ErrorKind::NotFound {
                ErrorKind::NotFound
            } else {
                ErrorKind::Config
            };
            Error::new(kind, format!("cannot delete session `{name}`: {e}"))
        })
    }

    /// Every `*.json` session in the directory, by name (none when it does not exist).
    pub fn list(&self) -> Vec<SessionInfo> {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        let mut out: Vec<SessionInfo> = entries
            .flatten()
            .filter_map(|entry| {
                let path = entry.path();
                let name = path
                    .file_name()?
                    .to_str()?
                    .strip_suffix(".json")?
                    .to_owned();
                if name.starts_with('.') || !path.is_file() {
                    return None;
                }
                let session = Session::load(&path).map_err(|e| e.message().to_owned());
                Some(SessionInfo {
                    name,
                    path,
                    session,
                })
            })
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        out
    }
}
