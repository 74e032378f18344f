//! Text out of tokens, safely for streaming. Byte-level BPE splits multi-byte characters
//! (emoji, accents) across tokens, so [`TextDecoder`] emits text only once it is whole UTF-8.
//! Stop sequences may span tokens, so [`StopMatcher`] holds back any tail that could still
//! become a stop sequence and cuts the text where one completes. Hand-written: neither
//! `tokenizers` nor candle offers a streaming stop-sequence matcher.

use crate::tokenizer::ChatTokenizer;
use exllm::Result;

/// Incremental detokenizer: decodes a window of recent tokens and returns only new, complete
/// text (the approach of candle's `TokenOutputStream`).
#[derive(Default)]
pub struct TextDecoder {
    tokens: Vec<u32>,
    prev: usize,
    current: usize,
}

impl TextDecoder {
    /// Adds a token; returns the text it completes, if any.
    pub fn push(&mut self, tk: &ChatTokenizer, token: u32) -> Result<Option<String>> {
        let before = tk.decode(&self.tokens[self.prev..self.current])?;
        self.tokens.push(token);
        let text = tk.decode(&self.tokens[self.prev..])?;
        if text.len() > before.len()
            && !text.ends_with('\u{FFFD}')
            && text.is_char_boundary(before.len())
        {
            let new = text[before.len()..].to_owned();
            self.prev = self.current;
            self.current = self.tokens.len();
            return Ok(Some(new));
        }
        Ok(None)
    }

    /// Whatever is still held back (an incomplete character at the very end).
    pub fn flush(&mut self, tk: &ChatTokenizer) -> Result<String> {
        let before = tk.decode(&self.tokens[self.prev..self.current])?;
        let text = tk.decode(&self.tokens[self.prev..])?;
        self.prev = self.tokens.len();
        self.current = self.tokens.len();
        Ok(text.get(before.len()..).unwrap_or_default().to_owned())
    }
}

/// Finds stop sequences in streamed text.
pub struct StopMatcher {
    stops: Vec<String>,
    pending: String,
}

/// What [`StopMatcher::push`] decided.
#[derive(Debug, PartialEq, Eq)]
pub struct Step {
    /// Text that can be shown now.
    pub emit: String,
    /// A stop sequence completed: generation ends, the stop sequence itself is not shown.
    pub stopped: bool,
}

impl StopMatcher {
    /// A matcher for these stop sequences (empty ones are ignored).
    pub fn new(stops: &[String]) -> Self {
        StopMatcher {
            stops: stops.iter().filter(|s| !s.is_empty()).cloned().collect(),
            pending: String::new(),
        }
    }

    /// Adds text.
    pub fn push(&mut self, text: &str) -> Step {
        self.pending.push_str(text);
        if let Some(pos) = self
            .stops
            .iter()
            .filter_map(|s| self.pending.find(s.as_str()))
            .min()
        {
            let emit = self.pending[..pos].to_owned();
            self.pending.clear();
            return Step {
                emit,
                stopped: true,
            };
        }
        let hold = self.held_len();
        let cut = self.pending.len() - hold;
        let emit = self.pending[..cut].to_owned();
        self.pending.drain(..cut);
        Step {
            emit,
            stopped: false,
        }
    }

    /// The longest tail of `pending` that is a proper prefix of some stop sequence.
    fn held_len(&self) -> usize {
        self.stops
            .iter()
            .map(|s| held_back(&self.pending, s))
            .max()
            .unwrap_or(0)
    }

    /// The held-back text, at the end of generation.
    pub fn flush(&mut self) -> String {
        std::mem::take(&mut self.pending)
    }
}

/// The length of the longest tail of `text` that is a proper prefix of `tag`: text that may
/// still become `tag` when more arrives, so it is held back (stop sequences here, the tags of
/// `crate::tools` and `crate::think`).
pub(crate) fn held_back(text: &str, tag: &str) -> usize {
    tag.char_indices()
        .skip(1)
        .map(|(i, _)| i)
        .filter(|&i| text.ends_with(&tag[..i]))
        .max()
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(stops: &[&str], pieces: &[&str]) -> (String, bool) {
        let stops: Vec<String> = stops.iter().map(|s| s.to_string()).collect();
        let mut m = StopMatcher::new(&stops);
        let mut out = String::new();
        for p in pieces {
            let s = m.push(p);
            out.push_str(&s.emit);
            if s.stopped {
                return (out, true);
            }
        }
        out.push_str(&m.flush());
        (out, false)
    }

    #[test]
    fn stop_across_pieces_is_cut() {
        assert_eq!(
            run(&["END"], &["abc E", "N", "D more"]),
            ("abc ".into(), true)
        );
    }

    #[test]
    fn a_false_start_is_released() {
        assert_eq!(
            run(&["END"], &["abc E", "NX", "!"]),
            ("abc ENX!".into(), false)
        );
    }

    #[test]
    fn earliest_stop_wins_and_unicode_is_safe() {
        assert_eq!(run(&["é!", "b"], &["aé", "!b"]), ("a".into(), true));
        assert_eq!(run(&["ü"], &["x"]), ("x".into(), false));
    }
}
