//! Reasoning in `<think>…</think>` at the start of an answer (Qwen3, DeepSeek-R1 distills)
//! comes out as reasoning, not as answer text: [`ThinkSplitter`] holds back only what could
//! still be the start of either tag, and the blank lines after `</think>`.

use crate::stop::held_back;

const OPEN: &str = "<think>";
const CLOSE: &str = "</think>";

/// A piece of the answer, sorted.
#[derive(Debug, Clone, PartialEq)]
pub enum Piece {
    /// Reasoning text.
    Reasoning(String),
    /// Answer text.
    Text(String),
}

#[derive(Debug, PartialEq)]
enum Mode {
    /// Only white space so far.
    Start,
    Thinking,
    /// Right after `</think>`: blank lines are dropped.
    After,
    Text,
}

/// Sorts a streamed answer into reasoning and text.
#[derive(Debug)]
pub struct ThinkSplitter {
    mode: Mode,
    held: String,
}

impl Default for ThinkSplitter {
    fn default() -> Self {
        ThinkSplitter {
            mode: Mode::Start,
            held: String::new(),
        }
    }
}

impl ThinkSplitter {
    /// A splitter for an answer whose prompt already opened `<think>` (templates of
    /// reasoning models that end the generation prompt with it): it starts inside the
    /// reasoning.
    pub fn inside() -> Self {
        ThinkSplitter {
            mode: Mode::Thinking,
            held: String::new(),
        }
    }

    /// Takes the next piece of the answer.
    pub fn push(&mut self, text: &str) -> Vec<Piece> {
        if self.mode == Mode::Text {
            return vec![Piece::Text(text.to_owned())];
        }
        self.held.push_str(text);
        let mut out = Vec::new();
        loop {
            match self.mode {
                Mode::Start => {
                    let t = self.held.trim_start();
                    if t.starts_with(OPEN) {
                        let at = self.held.len() - t.len() + OPEN.len();
                        self.held.drain(..at);
                        self.mode = Mode::Thinking;
                    } else if OPEN.starts_with(t) {
                        return out;
                    } else {
                        self.mode = Mode::Text;
                        out.push(Piece::Text(std::mem::take(&mut self.held)));
                        return out;
                    }
                }
                Mode::Thinking => match self.held.find(CLOSE) {
                    Some(at) => {
                        if at > 0 {
                            out.push(Piece::Reasoning(self.held[..at].to_owned()));
                        }
                        self.held.drain(..at + CLOSE.len());
                        self.mode = Mode::After;
                    }
                    None => {
                        let emit = self.held.len() - held_back(&self.held, CLOSE);
                        if emit > 0 {
                            out.push(Piece::Reasoning(self.held[..emit].to_owned()));
                            self.held.drain(..emit);
                        }
                        return out;
                    }
                },
                Mode::After => {
                    let t = self.held.trim_start();
                    if !t.is_empty() {
                        out.push(Piece::Text(t.to_owned()));
                        self.held.clear();
                        self.mode = Mode::Text;
                    }
                    return out;
                }
                Mode::Text => {
                    out.push(Piece::Text(std::mem::take(&mut self.held)));
                    return out;
                }
            }
        }
    }

    /// The end of the answer: what is still held.
    pub fn finish(&mut self) -> Vec<Piece> {
        let held = std::mem::take(&mut self.held);
        if held.is_empty() {
            return Vec::new();
        }
        match self.mode {
            Mode::Thinking => vec![Piece::Reasoning(held)],
            Mode::After => Vec::new(),
            _ => vec![Piece::Text(held)],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(pieces: &[&str]) -> (String, String) {
        let mut s = ThinkSplitter::default();
        let mut all: Vec<Piece> = pieces.iter().flat_map(|p| s.push(p)).collect();
        all.extend(s.finish());
        let (mut r, mut t) = (String::new(), String::new());
        for p in all {
            match p {
                Piece::Reasoning(x) => r.push_str(&x),
                Piece::Text(x) => t.push_str(&x),
            }
        }
        (r, t)
    }

    #[test]
    fn reasoning_is_split_from_the_answer_at_every_cut() {
        let answer = "<think>\nThe user greets me.\n</think>\n\nHello! How can I help?";
        for cut in 0..=answer.len() {
            let (r, t) = run(&[&answer[..cut], &answer[cut..]]);
            assert_eq!(r, "\nThe user greets me.\n", "cut {cut}");
            assert_eq!(t, "Hello! How can I help?", "cut {cut}");
        }
    }

    #[test]
    fn answers_without_thinking_and_unfinished_thinking() {
        assert_eq!(
            run(&["Hi <think>x</think>"]),
            (String::new(), "Hi <think>x</think>".into())
        );
        assert_eq!(
            run(&["  <thi", "s is fine"]),
            (String::new(), "  <this is fine".into())
        );
        assert_eq!(
            run(&["<think>still going"]),
            ("still going".into(), String::new())
        );
        assert_eq!(run(&["<thi"]), (String::new(), "<thi".into()));
    }

    #[test]
    fn a_prompt_that_opened_the_reasoning() {
        let mut s = ThinkSplitter::inside();
        let mut all = s.push("weighing it</th");
        all.extend(s.push("ink>\n\nYes."));
        all.extend(s.finish());
        assert_eq!(
            all,
            vec![
                Piece::Reasoning("weighing it".into()),
                Piece::Text("Yes.".into())
            ]
        );
    }
}
