//! The ledger's journal: every row is appended to a local file (one JSON line, one `write`)
//! before it is queued for the database, and the file is emptied once the database holds
//! everything queued. A process killed at any point (SIGKILL, OOM) leaves its unwritten rows
//! in the file, and the next start writes them (rows are keyed by `row_id`, so one written
//! twice counts once). Only a crash of the machine itself can lose what the page cache had
//! not yet put on disk.
//!
//! The file is locked while open: two processes must not share one journal.

use super::SpendRow;
use crate::keys::StoreResult;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;

/// An open, locked journal.
pub(super) struct Journal {
    file: File,
}

impl Journal {
    /// Opens (creating) and locks `path`; returns it with the rows it still holds.
    pub(super) fn open(path: &Path) -> StoreResult<(Journal, Vec<SpendRow>)> {
        let at = |e: std::io::Error| format!("spend journal {}: {e}", path.display());
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .read(true)
            .open(path)
            .map_err(at)?;
        file.try_lock().map_err(|_| {
            format!(
                "spend journal {} is in use by another process: give each instance its own `[governance] journal`",
                path.display()
            )
        })?;
        let mut rows = Vec::new();
        for line in BufReader::new(&file).lines() {
            let line = line.map_err(at)?;
            // A line cut by the crash was never acknowledged to anyone: it is skipped.
            if let Ok(row) = serde_json::from_str::<SpendRow>(&line) {
                rows.push(row);
            }
        }
        Ok((Journal { file }, rows))
    }

    /// Appends a row (one `write`, so a kill leaves whole lines or a cut last one).
    pub(super) fn append(&mut self, row: &SpendRow) {
        let mut line = serde_json::to_vec(row).unwrap_or_default();
        line.push(b'\n');
        if let Err(e) = self.file.write_all(&line) {
            tracing::error!("spend journal: {e}");
        }
    }

    /// Empties it (everything in it is in the database).
    pub(super) fn clear(&mut self) {
        if let Err(e) = self.file.set_len(0) {
            tracing::error!("spend journal: {e}");
        }
    }
}
