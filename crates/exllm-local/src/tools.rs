//! Tool calling for local models, through their own chat template.
//!
//! The request's tools reach the template as Hugging Face's `tools` variable (a list of
//! `{"type": "function", "function": {name, description, parameters}}`), past calls as each
//! assistant message's `tool_calls` and results as `tool` messages, which is what the templates
//! of Qwen2.5 / Qwen3, Llama 3.x and Hermes-style models read. A template that never mentions
//! tools (SmolLM2's, ChatML) gets them in a system message instead, in the Hermes / Qwen form.
//!
//! The answer is scanned as it streams ([`ToolScanner`]): text passes through until a
//! `<tool_call>` tag (Qwen, Hermes), whose body up to `</tool_call>` is one call
//! `{"name": ..., "arguments": {...}}`; an answer that starts with `{` while tools are offered
//! is held to its end and read as Llama 3's bare `{"name": ..., "parameters": {...}}` (several
//! separated by `;` or new lines). Whatever does not parse as a call is given back as text, so
//! nothing the model wrote is lost.

use crate::stop::held_back;
use exllm::{Tool, ToolCall};
use serde_json::{json, Value};

const OPEN: &str = "<tool_call>";
const CLOSE: &str = "</tool_call>";

/// The tools as chat templates take them.
pub fn template_tools(tools: &[Tool]) -> Vec<Value> {
    tools
        .iter()
        .map(|t| {
            json!({"type": "function", "function": {
                "name": t.name,
                "description": t.description.clone().unwrap_or_default(),
                "parameters": t.parameters,
            }})
        })
        .collect()
}

/// The system text offering `tools` to a model whose template does not (Hermes / Qwen form).
pub fn system_prompt(tools: &[Tool]) -> String {
    let mut out = String::from(
        "You can call functions to answer the question. When one of them can answer it, \
         reply only with the call, in this format:\n\
         <tool_call>[{\"name\": \"function name\", \"arguments\": {\"argument\": \"value\"}}]</tool_call>\n\
         Otherwise answer in plain text.\n\nThe functions:\n<tools>",
    );
    for t in template_tools(tools) {
        out.push('\n');
        out.push_str(&t.to_string());
    }
    out.push_str("\n</tools>");
    out
}

/// A number that differs for every answer of this process, so call ids do not repeat across
/// the turns of a conversation.
fn next_answer() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// One parsed call from a JSON object, or `None` when it is not one.
fn call(v: &Value, id: String) -> Option<ToolCall> {
    let name = v.get("name")?.as_str()?.trim();
    if name.is_empty() {
        return None;
    }
    let arguments = match v.get("arguments").or_else(|| v.get("parameters")) {
        None | Some(Value::Null) => json!({}),
        Some(Value::String(s)) => ToolCall::parse_arguments(s),
        Some(a) => a.clone(),
    };
    Some(ToolCall {
        id,
        name: name.to_owned(),
        arguments,
        provider_meta: None,
    })
}

/// What the scanner hands on.
#[derive(Debug, Clone, PartialEq)]
pub enum Scanned {
    /// Answer text.
    Text(String),
    /// A complete call.
    Call(ToolCall),
}

#[derive(Debug, PartialEq)]
enum Mode {
    /// Nothing but whitespace yet: a `{` now means a bare JSON call may follow.
    Start,
    Text,
    /// Inside `<tool_call>`.
    Call,
    /// Holding an answer that began with `{`.
    Json,
}

/// Separates tool calls from the text of a streamed answer.
#[derive(Debug)]
pub struct ToolScanner {
    mode: Mode,
    /// Text held back: a possible start of a tag, a call's body, or a bare JSON answer.
    held: String,
    calls: usize,
    answer: u64,
}

impl Default for ToolScanner {
    fn default() -> Self {
        ToolScanner {
            mode: Mode::Start,
            held: String::new(),
            calls: 0,
            answer: next_answer(),
        }
    }
}

impl ToolScanner {
    /// How many calls were found so far.
    pub fn calls(&self) -> usize {
        self.calls
    }

    /// The id of this answer's `n`-th call.
    fn id(&self, n: usize) -> String {
        format!("call_{}_{n}", self.answer)
    }

    /// Takes the next piece of the answer.
    pub fn push(&mut self, text: &str) -> Vec<Scanned> {
        let mut out = Vec::new();
        self.held.push_str(text);
        loop {
            match self.mode {
                Mode::Start => {
                    let trimmed = self.held.trim_start();
                    if trimmed.is_empty() {
                        return out;
                    }
                    self.mode = if trimmed.starts_with('{') {
                        Mode::Json
                    } else {
                        Mode::Text
                    };
                }
                Mode::Json => return out,
                Mode::Text => match self.held.find(OPEN) {
                    Some(at) => {
                        if at > 0 {
                            out.push(Scanned::Text(self.held[..at].to_owned()));
                        }
                        self.held.drain(..at + OPEN.len());
                        self.mode = Mode::Call;
                    }
                    None => {
                        let keep = held_back(&self.held, OPEN);
                        let emit = self.held.len() - keep;
                        if emit > 0 {
                            out.push(Scanned::Text(self.held[..emit].to_owned()));
                            self.held.drain(..emit);
                        }
                        return out;
                    }
                },
                Mode::Call => match self.held.find(CLOSE) {
                    Some(at) => {
                        let body = self.held[..at].to_owned();
                        self.held.drain(..at + CLOSE.len());
                        out.extend(self.body(&body, true));
                        self.mode = Mode::Text;
                    }
                    None => return out,
                },
            }
        }
    }

    /// The end of the answer: what is still held, as calls or text.
    pub fn finish(&mut self) -> Vec<Scanned> {
        let held = std::mem::take(&mut self.held);
        match std::mem::replace(&mut self.mode, Mode::Text) {
            // A call the model did not close (it stopped at its end-of-turn token).
            Mode::Call => self.body(&held, false),
            Mode::Json => {
                let calls = self.bare(&held);
                match calls {
                    Some(calls) => calls.into_iter().map(Scanned::Call).collect(),
                    None => vec![Scanned::Text(held)],
                }
            }
            _ if held.is_empty() => Vec::new(),
            _ => vec![Scanned::Text(held)],
        }
    }

    /// A `<tool_call>` body (one call, or a list of them as SmolLM2 writes): the calls, or
    /// the text it was.
    fn body(&mut self, body: &str, closed: bool) -> Vec<Scanned> {
        let parsed = serde_json::from_str::<Value>(body.trim()).ok();
        let calls: Option<Vec<ToolCall>> = match parsed {
            Some(Value::Array(items)) if !items.is_empty() => items
                .iter()
                .enumerate()
                .map(|(i, v)| call(v, self.id(self.calls + i)))
                .collect(),
            Some(v) => call(&v, self.id(self.calls)).map(|c| vec![c]),
            None => None,
        };
        match calls {
            Some(calls) => {
                self.calls += calls.len();
                calls.into_iter().map(Scanned::Call).collect()
            }
            None => {
                let close = if closed { CLOSE } else { "" };
                vec![Scanned::Text(format!("{OPEN}{body}{close}"))]
            }
        }
    }

    /// A whole answer of bare JSON calls (separated by white space or `;`), or `None`.
    fn bare(&mut self, text: &str) -> Option<Vec<ToolCall>> {
        let mut calls = Vec::new();
        let mut rest = text;
        loop {
            rest = rest.trim_start_matches(|c: char| c.is_whitespace() || c == ';');
            if rest.is_empty() {
                break;
            }
            let mut values = serde_json::Deserializer::from_str(rest).into_iter::<Value>();
            let v = values.next()?.ok()?;
            calls.push(call(&v, self.id(self.calls + calls.len()))?);
            rest = &rest[values.byte_offset()..];
        }
        if calls.is_empty() {
            return None;
        }
        self.calls += calls.len();
        Some(calls)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(pieces: &[&str]) -> Vec<Scanned> {
        let mut s = ToolScanner::default();
        let mut out: Vec<Scanned> = pieces.iter().flat_map(|p| s.push(p)).collect();
        out.extend(s.finish());
        // Adjacent text pieces merged, to compare what the caller sees.
        let mut merged: Vec<Scanned> = Vec::new();
        for e in out {
            match (merged.last_mut(), e) {
                (Some(Scanned::Text(a)), Scanned::Text(b)) => a.push_str(&b),
                (_, e) => merged.push(e),
            }
        }
        merged
    }

    fn text(s: &str) -> Scanned {
        Scanned::Text(s.into())
    }

    #[test]
    fn qwen_calls_are_found_across_every_split() {
        let answer = "Let me check.\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>";
        for cut in 1..answer.len() {
            if !answer.is_char_boundary(cut) {
                continue;
            }
            let got = run(&[&answer[..cut], &answer[cut..]]);
            assert_eq!(got.len(), 2, "cut {cut}: {got:?}");
            assert_eq!(got[0], text("Let me check.\n"));
            let Scanned::Call(c) = &got[1] else {
                panic!("{got:?}")
            };
            assert!(
                c.id.starts_with("call_") && c.id.ends_with("_0"),
                "{}",
                c.id
            );
            assert_eq!(c.name, "get_weather");
            assert_eq!(c.arguments, json!({"city": "Paris"}));
        }
    }

    #[test]
    fn several_calls_unclosed_calls_and_string_arguments() {
        let got = run(&[
            "<tool_call>{\"name\":\"a\",\"arguments\":\"{\\\"x\\\":1}\"}</tool_call>\n",
            "<tool_call>{\"name\":\"b\"}",
        ]);
        let calls: Vec<_> = got
            .iter()
            .filter_map(|e| match e {
                Scanned::Call(c) => Some((
                    c.id.rsplit('_').next().unwrap().to_owned(),
                    c.name.clone(),
                    c.arguments.clone(),
                )),
                _ => None,
            })
            .collect();
        assert_eq!(
            calls,
            vec![
                ("0".into(), "a".into(), json!({"x": 1})),
                ("1".into(), "b".into(), json!({})),
            ]
        );
    }

    #[test]
    fn llama_bare_json_calls_and_what_is_not_a_call() {
        let got = run(&[
            "  {\"name\": \"f\", \"parameters\": {\"q\": \"x\"}}; ",
            "{\"name\": \"g\", \"parameters\": {}}",
        ]);
        assert_eq!(got.len(), 2, "{got:?}");
        // JSON that is not a call, a broken call body and plain text stay text.
        assert_eq!(run(&["{\"answer\": 42}"]), vec![text("{\"answer\": 42}")]);
        assert_eq!(
            run(&["a <tool_call>not json</tool_call> b"]),
            vec![text("a <tool_call>not json</tool_call> b")]
        );
        assert_eq!(run(&["a < b <tool", "_ x"]), vec![text("a < b <tool_ x")]);
        assert_eq!(run(&["héllo ", "<too"]), vec![text("héllo <too")]);
    }

    #[test]
    fn call_ids_differ_between_answers() {
        let id = |_| match run(&["<tool_call>{\"name\": \"f\"}</tool_call>"]).remove(0) {
            Scanned::Call(c) => c.id,
            other => panic!("{other:?}"),
        };
        assert_ne!(id(0), id(1));
    }

    #[test]
    fn the_system_prompt_lists_every_tool() {
        let tools = vec![Tool::new(
            "get_weather",
            "Weather of a city",
            json!({"type": "object"}),
        )];
        let p = system_prompt(&tools);
        assert!(
            p.contains("<tools>\n{\"function\":{\"description\":\"Weather of a city\""),
            "{p}"
        );
        assert!(p.contains("<tool_call>[{"));
    }
}
