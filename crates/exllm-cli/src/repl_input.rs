//! What `exllm chat -i` reads: entries typed with line editing and a history file (rustyline)
//! when stdin is a terminal, plain lines when it is not (a piped file of prompts), and
//! multi-line entries in both: a line ending in `\` continues on the next, and a `"""` line
//! opens a block that a `"""` line closes.
//!
//! On a terminal a multi-line entry is one edit: the validator tells rustyline that Enter
//! only starts a new line while the entry is open, so the whole entry stays editable (and is
//! one history item); keys typed ahead are not lost between its lines. From a pipe, lines
//! are read one at a time and joined here.
//!
//! The history file is `EXLLM_HISTORY` (empty: none), else `$XDG_STATE_HOME/exllm/history`,
//! else `~/.local/state/exllm/history`; it is kept only for a terminal, so scripts never
//! write into a person's history.

use rustyline::completion::Completer;
use rustyline::error::ReadlineError;
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::history::DefaultHistory;
use rustyline::validate::{ValidationContext, ValidationResult, Validator};
use rustyline::{Config, Editor, Helper};
use std::path::PathBuf;

/// The prompt, and (for piped input, where each line is a read of its own) the one for a
/// continued entry.
const PROMPT: &str = "> ";
const MORE: &str = "... ";
/// A block's delimiter line.
const FENCE: &str = "\"\"\"";

/// One read.
#[derive(Debug, PartialEq)]
pub enum Input {
    /// A whole entry (its lines joined by `\n`).
    Entry(String),
    /// Ctrl-C at the prompt: whatever was being typed is dropped.
    Interrupted,
    /// Ctrl-D or the end of stdin.
    Eof,
}

/// The line reader and its history.
pub struct Reader {
    editor: Editor<Entries, DefaultHistory>,
    history: Option<PathBuf>,
    tty: bool,
}

impl Reader {
    /// A reader for stdin; `tty` says whether it is a terminal (history is kept only then).
    pub fn new(tty: bool) -> Result<Self, String> {
        let config = Config::builder()
            .max_history_size(1000)
            .map_err(|e| e.to_string())?
            .history_ignore_dups(true)
            .map_err(|e| e.to_string())?
            .history_ignore_space(true)
            .build();
        let mut editor = Editor::with_config(config).map_err(|e| e.to_string())?;
        let history = if tty { history_path() } else { None };
        if tty {
            editor.set_helper(Some(Entries));
        }
        if let Some(path) = &history {
            if let Some(dir) = path.parent() {
                let _ = std::fs::create_dir_all(dir);
            }
            // A missing file is a first run; an unreadable one only loses the recall.
            let _ = editor.load_history(path);
        }
        Ok(Reader {
            editor,
            history,
            tty,
        })
    }

    /// Reads one entry, across as many lines as it spans.
    pub fn read(&mut self) -> Result<Input, String> {
        if self.tty {
            return match self.editor.readline(PROMPT) {
                Ok(text) => {
                    self.remember(&text);
                    Ok(Input::Entry(assemble(&text).unwrap_or(text)))
                }
                Err(ReadlineError::Interrupted) => Ok(Input::Interrupted),
                Err(ReadlineError::Eof) => Ok(Input::Eof),
                Err(e) => Err(e.to_string()),
            };
        }
        let mut pending = Pending::default();
        loop {
            let prompt = if pending.is_empty() { PROMPT } else { MORE };
            match self.editor.readline(prompt) {
                Ok(line) => {
                    if let Some(entry) = pending.feed(&line) {
                        return Ok(Input::Entry(entry));
                    }
                }
                Err(ReadlineError::Interrupted) => return Ok(Input::Interrupted),
                // An entry left open at the end of input is still sent.
                Err(ReadlineError::Eof) => {
                    return Ok(match pending.finish() {
                        Some(entry) => Input::Entry(entry),
                        None => Input::Eof,
                    })
                }
                Err(e) => return Err(e.to_string()),
            }
        }
    }

    fn remember(&mut self, text: &str) {
        let Some(path) = &self.history else { return };
        if text.trim().is_empty() {
            return;
        }
        if let Ok(true) = self.editor.add_history_entry(text) {
            // Appended at once, so a killed session still leaves its history.
            if let Err(e) = self.editor.append_history(path) {
                tracing::warn!("cannot write the history {}: {e}", path.display());
            }
        }
    }
}

/// The text of a whole edit as one entry, or `None` while it is still open (a trailing
/// `\`, an unclosed block).
pub fn assemble(text: &str) -> Option<String> {
    let mut pending = Pending::default();
    let entries: Vec<String> = text.split('\n').filter_map(|l| pending.feed(l)).collect();
    pending.is_empty().then(|| entries.join("\n"))
}

/// rustyline's helper for a terminal: Enter accepts an entry only once it is complete.
struct Entries;

impl Validator for Entries {
    fn validate(&self, ctx: &mut ValidationContext) -> rustyline::Result<ValidationResult> {
        Ok(match assemble(ctx.input()) {
            Some(_) => ValidationResult::Valid(None),
            None => ValidationResult::Incomplete,
        })
    }
}

impl Completer for Entries {
    type Candidate = String;
}

impl Hinter for Entries {
    type Hint = String;
}

impl Highlighter for Entries {}

impl Helper for Entries {}

/// `EXLLM_HISTORY` (empty: no history), else the user's state directory.
pub fn history_path() -> Option<PathBuf> {
    let var = |k: &str| std::env::var_os(k).map(PathBuf::from);
    if let Some(p) = var("EXLLM_HISTORY") {
        return (!p.as_os_str().is_empty()).then_some(p);
    }
    let state = var("XDG_STATE_HOME")
        .filter(|p| p.is_absolute())
        .or_else(|| var("HOME").map(|h| h.join(".local").join("state")))?;
    Some(state.join("exllm").join("history"))
}

/// The lines of an entry typed so far.
#[derive(Default)]
pub struct Pending {
    lines: Vec<String>,
    /// Inside a `"""` block.
    block: bool,
    /// The last line ended in `\`.
    continued: bool,
}

impl Pending {
    /// Whether nothing has been typed yet.
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty() && !self.block && !self.continued
    }

    /// Adds one typed line; the entry once it is complete.
    pub fn feed(&mut self, line: &str) -> Option<String> {
        if self.block {
            let Some(last) = line.trim_end().strip_suffix(FENCE) else {
                self.lines.push(line.to_owned());
                return None;
            };
            if !last.trim().is_empty() {
                self.lines.push(last.to_owned());
            }
            return self.take();
        }
        if !self.continued {
            if let Some(rest) = line.trim_start().strip_prefix(FENCE) {
                self.block = true;
                // `"""text` starts the block with `text`; `"""text"""` is the whole block.
                return if rest.trim().is_empty() {
                    None
                } else {
                    self.feed(rest)
                };
            }
        }
        match line.strip_suffix('\\') {
            Some(head) => {
                self.lines.push(head.to_owned());
                self.continued = true;
                None
            }
            None => {
                self.lines.push(line.to_owned());
                self.take()
            }
        }
    }

    /// What was typed when the input ends mid-entry.
    pub fn finish(&mut self) -> Option<String> {
        if self.is_empty() {
            return None;
        }
        self.take()
    }

    fn take(&mut self) -> Option<String> {
        let entry = std::mem::take(&mut self.lines).join("\n");
        *self = Pending::default();
        Some(entry)
    }
}

#[cfg(test)]
#[path = "repl_input_tests.rs"]
mod tests;
