//! Newline-delimited JSON framing (Ollama): one frame per non-blank line, `\r\n` tolerated, a
//! last line without a newline still counts.

use super::framing::{Frame, Framer};
use crate::error::Result;

/// NDJSON framer.
#[derive(Debug, Default)]
pub struct NdjsonFramer {
    partial: Vec<u8>,
}

fn emit(line: &[u8], sink: &mut dyn FnMut(Frame<'_>) -> Result<()>) -> Result<()> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if line.iter().all(u8::is_ascii_whitespace) {
        return Ok(());
    }
    sink(Frame {
        event: "",
        data: line,
    })
}

impl Framer for NdjsonFramer {
    fn feed(
        &mut self,
        mut chunk: &[u8],
        sink: &mut dyn FnMut(Frame<'_>) -> Result<()>,
    ) -> Result<()> {
        while let Some(i) = memchr::memchr(b'\n', chunk) {
            if self.partial.is_empty() {
                emit(&chunk[..i], sink)?;
            } else {
                self.partial.extend_from_slice(&chunk[..i]);
                let line = std::mem::take(&mut self.partial);
                emit(&line, sink)?;
            }
            chunk = &chunk[i + 1..];
        }
        self.partial.extend_from_slice(chunk);
        Ok(())
    }

    fn finish(&mut self, sink: &mut dyn FnMut(Frame<'_>) -> Result<()>) -> Result<()> {
        let line = std::mem::take(&mut self.partial);
        emit(&line, sink)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_across_chunks() {
        let mut f = NdjsonFramer::default();
        let mut out = Vec::new();
        let mut sink = |fr: Frame<'_>| {
            out.push(String::from_utf8(fr.data.to_vec()).unwrap());
            Ok(())
        };
        for c in [&b"{\"a\""[..], b":1}\r\n\n{\"b\"", b":2}"] {
            f.feed(c, &mut sink).unwrap();
        }
        f.finish(&mut sink).unwrap();
        assert_eq!(out, vec!["{\"a\":1}", "{\"b\":2}"]);
    }
}
