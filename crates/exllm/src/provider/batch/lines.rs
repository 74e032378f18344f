//! JSONL split into lines as its bytes arrive, so a result file is decoded line by line
//! while it downloads rather than held whole. Lines are capped: a server that never sends a
//! newline cannot make the buffer grow without bound.

use crate::error::{Error, ErrorKind, Result};

/// The longest line accepted (a chat answer with a long output fits many times over).
pub(crate) const MAX_LINE: usize = 32 << 20;

/// Bytes in, whole lines out.
#[derive(Debug, Default)]
pub(crate) struct Lines {
    buf: Vec<u8>,
}

impl Lines {
    /// Adds a chunk and hands each line it completes (without its `\n` or `\r\n`, blank lines
    /// skipped) to `out`.
    pub(crate) fn push(
        &mut self,
        chunk: &[u8],
        mut out: impl FnMut(&[u8]) -> Result<()>,
    ) -> Result<()> {
        let mut rest = chunk;
        while let Some(i) = memchr::memchr(b'\n', rest) {
            if self.buf.is_empty() {
                emit(&rest[..i], &mut out)?;
            } else {
                self.buf.extend_from_slice(&rest[..i]);
                let line = std::mem::take(&mut self.buf);
                emit(&line, &mut out)?;
            }
            rest = &rest[i + 1..];
        }
        if self.buf.len() + rest.len() > MAX_LINE {
            return Err(Error::new(
                ErrorKind::TooLarge,
                format!("a result line is longer than {MAX_LINE} bytes"),
            ));
        }
        self.buf.extend_from_slice(rest);
        Ok(())
    }

    /// The body ended: hands over a last line without a newline.
    pub(crate) fn finish(&mut self, mut out: impl FnMut(&[u8]) -> Result<()>) -> Result<()> {
        let line = std::mem::take(&mut self.buf);
        emit(&line, &mut out)
    }
}

fn emit(line: &[u8], out: &mut impl FnMut(&[u8]) -> Result<()>) -> Result<()> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if line.iter().all(u8::is_ascii_whitespace) {
        return Ok(());
    }
    out(line)
}
