//! A small server-sent-events parser (WHATWG rules): `\n`, `\r\n` and `\r` line ends (also when
//! a `\r\n` is split across reads), multi-line `data:`, comments, a leading BOM, and events
//! split anywhere across chunks. Complete lines are parsed straight from the chunk; only a line
//! cut by a chunk boundary is copied.

use super::framing::{Frame, Framer};
use crate::error::Result;

/// Server-sent-events framer.
#[derive(Debug, Default)]
pub struct SseFramer {
    /// Bytes of a line cut by a chunk boundary.
    partial: Vec<u8>,
    /// `data:` lines of the event being read, joined with `\n`.
    data: Vec<u8>,
    has_data: bool,
    event: String,
    /// The last chunk ended in `\r`: a leading `\n` of the next one belongs to it.
    skip_lf: bool,
    started: bool,
}

impl SseFramer {
    fn line(&mut self, line: &[u8], sink: &mut dyn FnMut(Frame<'_>) -> Result<()>) -> Result<()> {
        if line.is_empty() {
            if self.has_data {
                sink(Frame {
                    event: &self.event,
                    data: &self.data,
                })?;
            }
            self.data.clear();
            self.has_data = false;
            self.event.clear();
            return Ok(());
        }
        if line[0] == b':' {
            return Ok(());
        }
        let (field, value) = match memchr::memchr(b':', line) {
            Some(i) => {
                let v = &line[i + 1..];
                (&line[..i], v.strip_prefix(b" ").unwrap_or(v))
            }
            None => (line, &[][..]),
        };
        match field {
            b"data" => {
                if self.has_data {
                    self.data.push(b'\n');
                }
                self.data.extend_from_slice(value);
                self.has_data = true;
            }
            b"event" => {
                self.event.clear();
                self.event.push_str(&String::from_utf8_lossy(value));
            }
            _ => {}
        }
        Ok(())
    }
}

impl Framer for SseFramer {
    fn feed(
        &mut self,
        mut chunk: &[u8],
        sink: &mut dyn FnMut(Frame<'_>) -> Result<()>,
    ) -> Result<()> {
        if self.skip_lf && !chunk.is_empty() {
            if chunk[0] == b'\n' {
                chunk = &chunk[1..];
            }
            self.skip_lf = false;
        }
        if !self.started {
            // A byte-order mark may open the stream, split across reads like anything else.
            const BOM: &[u8] = b"\xEF\xBB\xBF";
            while let (Some(&b), Some(&want)) = (chunk.first(), BOM.get(self.partial.len())) {
                if b != want {
                    break;
                }
                self.partial.push(b);
                chunk = &chunk[1..];
            }
            if self.partial.len() == BOM.len() {
                self.partial.clear();
                self.started = true;
            } else if chunk.is_empty() {
                return Ok(());
            } else {
                // Not a BOM: the bytes held so far begin the first line.
                self.started = true;
            }
        }
        while let Some(i) = memchr::memchr2(b'\n', b'\r', chunk) {
            let end = i;
            let mut next = i + 1;
            if chunk[i] == b'\r' {
                match chunk.get(i + 1) {
                    Some(b'\n') => next += 1,
                    Some(_) => {}
                    None => self.skip_lf = true,
                }
            }
            if self.partial.is_empty() {
                self.line(&chunk[..end], sink)?;
            } else {
                let mut line = std::mem::take(&mut self.partial);
                line.extend_from_slice(&chunk[..end]);
                self.line(&line, sink)?;
                line.clear();
                self.partial = line;
            }
            chunk = &chunk[next..];
        }
        self.partial.extend_from_slice(chunk);
        Ok(())
    }

    fn finish(&mut self, sink: &mut dyn FnMut(Frame<'_>) -> Result<()>) -> Result<()> {
        if !self.partial.is_empty() {
            let line = std::mem::take(&mut self.partial);
            self.line(&line, sink)?;
        }
        self.line(&[], sink)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(chunks: &[&[u8]]) -> Vec<(String, String)> {
        let mut f = SseFramer::default();
        let mut out = Vec::new();
        let mut sink = |fr: Frame<'_>| {
            out.push((
                fr.event.to_owned(),
                String::from_utf8(fr.data.to_vec()).unwrap(),
            ));
            Ok(())
        };
        for c in chunks {
            f.feed(c, &mut sink).unwrap();
        }
        f.finish(&mut sink).unwrap();
        out
    }

    #[test]
    fn events_with_every_line_ending() {
        let want = vec![
            ("a".to_string(), "1".to_string()),
            (String::new(), "2\n3".to_string()),
        ];
        for body in [
            "event: a\ndata: 1\n\ndata: 2\ndata:3\n\n",
            "event: a\r\ndata: 1\r\n\r\ndata: 2\r\ndata:3\r\n\r\n",
            "event: a\rdata: 1\r\rdata: 2\rdata:3\r\r",
        ] {
            assert_eq!(parse(&[body.as_bytes()]), want, "{body:?}");
            // Every split point, byte by byte.
            let bytes = body.as_bytes();
            let pieces: Vec<&[u8]> = bytes.chunks(1).collect();
            assert_eq!(parse(&pieces), want, "{body:?} bytewise");
        }
    }

    #[test]
    fn comments_bom_and_unterminated_last_event() {
        let got = parse(&[b"\xEF\xBB", b"\xBF: keep-alive\n", b"data: x\n\ndata: tail"]);
        assert_eq!(
            got,
            vec![
                (String::new(), "x".to_string()),
                (String::new(), "tail".to_string())
            ]
        );
    }

    #[test]
    fn bom_split_across_reads_and_false_bom_starts() {
        let want = vec![(String::new(), "x".to_string())];
        assert_eq!(parse(&[b"\xEF", b"\xBB", b"\xBF", b"data: x\n\n"]), want);
        assert_eq!(parse(&[b"\xEF\xBB", b"\xBFdata: x\n\n"]), want);
        // Bytes that only start like a BOM belong to the first line.
        let got = parse(&[b"\xEF", b"data: x\n\n"]);
        assert!(got.is_empty(), "{got:?}");
    }

    #[test]
    fn event_name_resets_after_dispatch() {
        let got = parse(&[b"event: e\ndata: 1\n\ndata: 2\n\n"]);
        assert_eq!(got[1].0, "");
    }
}
