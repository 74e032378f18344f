//! Submitted jobs kept on disk, one small JSON file per job, so a later process (`exllm
//! batch status ID`) knows which provider holds a job and which model it ran, without the
//! caller repeating them. Writes go to a temporary file renamed into place, so a reader never
//! sees half a job.

use crate::error::{Error, ErrorKind, Result};
use crate::types::BatchJob;
use std::path::{Path, PathBuf};

/// A directory of job files.
#[derive(Debug, Clone)]
pub struct JobStore {
    dir: PathBuf,
}

fn io_error(path: &Path, e: std::io::Error) -> Error {
    Error::new(
        ErrorKind::Config,
        format!("batch job store {}: {e}", path.display()),
    )
}

/// A job id as a file name: characters other than letters, digits, `-` and `_` become `_`
/// (ids are the provider's, and must not reach another directory).
fn file_name(id: &str) -> String {
    let safe: String = id
        .chars()
        .map(|c| match c {
            'a'..='z' | 'A'..='Z' | '0'..='9' | '-' | '_' => c,
            _ => '_',
        })
        .collect();
    format!("{safe}.json")
}

impl JobStore {
    /// A store in `dir` (created at the first save).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        JobStore { dir: dir.into() }
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Saves a job (replacing what was saved under its id), keeping the model and checkpoint
    /// an earlier save knew when this one lacks them (a status fetched from the provider does
    /// not name the model).
    pub fn save(&self, job: &BatchJob) -> Result<()> {
        let mut job = job.clone();
        if let Some(old) = self.load(&job.id)? {
            job.model = job.model.or(old.model);
            job.checkpoint = job.checkpoint.or(old.checkpoint);
            if job.request_ids.is_empty() {
                job.request_ids = old.request_ids;
            }
            if job.counts.total == 0 {
                job.counts.total = old.counts.total;
            }
        }
        std::fs::create_dir_all(&self.dir).map_err(|e| io_error(&self.dir, e))?;
        let path = self.dir.join(file_name(&job.id));
        let tmp = path.with_extension(format!("json.{}.tmp", std::process::id()));
        let text = serde_json::to_vec_pretty(&job).map_err(|e| {
            Error::new(ErrorKind::InvalidInput, "cannot encode the job").with_source(e)
        })?;
        std::fs::write(&tmp, text).map_err(|e| io_error(&tmp, e))?;
        std::fs::rename(&tmp, &path).map_err(|e| io_error(&path, e))
    }

    /// The job saved under `id`, if any.
    pub fn load(&self, id: &str) -> Result<Option<BatchJob>> {
        let path = self.dir.join(file_name(id));
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|e| {
                Error::new(
                    ErrorKind::Config,
                    format!("batch job file {} is not a job: {e}", path.display()),
                )
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_error(&path, e)),
        }
    }

    /// Every saved job, newest first (unreadable files skipped).
    pub fn list(&self) -> Result<Vec<BatchJob>> {
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io_error(&self.dir, e)),
        };
        let mut jobs: Vec<BatchJob> = entries
            .flatten()
            .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
            .filter_map(|e| serde_json::from_slice(&std::fs::read(e.path()).ok()?).ok())
            .collect();
        jobs.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(a.id.cmp(&b.id)));
        Ok(jobs)
    }
}
