//! The input of `exllm batch submit`: a JSONL file, one request per line, in any of three
//! forms —
//!
//! - `{"id": "q1", "messages": [{"role": "user", "content": "..."}], "max_tokens": 100}`
//!   (`custom_id` may stand for `id`; `system`, `max_tokens`, `temperature` optional);
//! - OpenAI's batch format, `{"custom_id", "method", "url", "body": {"messages", ...}}` (the
//!   body's `model` is replaced by `-m`);
//! - a plain prompt (a line that is not a JSON object), whose id is `line-N`.
//!
//! Message content is text: a string, or a list of `{"type": "text", "text"}` parts. Blank
//! lines are skipped.

use exllm::{ChatRequest, Error, ErrorKind, Message};
use serde_json::Value;

fn bad(n: usize, why: impl std::fmt::Display) -> Error {
    Error::new(ErrorKind::InvalidInput, format!("input line {n}: {why}"))
}

/// The text of a message's `content`.
fn text_of(n: usize, content: &Value) -> Result<String, Error> {
    match content {
        Value::String(s) => Ok(s.clone()),
        Value::Array(parts) => parts
            .iter()
            .map(
                |p| match (p.get("type").and_then(Value::as_str), p.get("text")) {
                    (Some("text"), Some(Value::String(t))) => Ok(t.as_str()),
                    _ => Err(bad(n, "only text content is supported in batch input")),
                },
            )
            .collect::<Result<Vec<_>, _>>()
            .map(|t| t.join("")),
        _ => Err(bad(n, "a message's content must be text")),
    }
}

fn message(n: usize, m: &Value) -> Result<Message, Error> {
    let text = text_of(n, m.get("content").unwrap_or(&Value::Null))?;
    match m.get("role").and_then(Value::as_str) {
        Some("system") => Ok(Message::system(text)),
        Some("developer") => Ok(Message::developer(text)),
        Some("user") => Ok(Message::user(text)),
        Some("assistant") => Ok(Message::assistant(text)),
        other => Err(bad(n, format!("unknown role {other:?}"))),
    }
}

/// Parses line `n` (1-based) into its id and request for `model`; `None` for a blank line.
pub fn parse_line(
    n: usize,
    line: &str,
    model: &str,
) -> Result<Option<(String, ChatRequest)>, Error> {
    let line = line.trim();
    if line.is_empty() {
        return Ok(None);
    }
    let v: Value = match serde_json::from_str(line) {
        Ok(v @ Value::Object(_)) => v,
        _ => {
            let req = ChatRequest::new(model, vec![Message::user(line)]);
            return Ok(Some((format!("line-{n}"), req)));
        }
    };
    let id = v
        .get("custom_id")
        .or_else(|| v.get("id"))
        .and_then(|i| match i {
            Value::String(s) => Some(s.clone()),
            Value::Number(x) => Some(x.to_string()),
            _ => None,
        })
        .unwrap_or_else(|| format!("line-{n}"));
    let body = v.get("body").filter(|b| b.is_object()).unwrap_or(&v);
    let mut messages = Vec::new();
    if let Some(Value::String(s)) = body.get("system") {
        messages.push(Message::system(s.clone()));
    }
    match body.get("messages") {
        Some(Value::Array(ms)) if !ms.is_empty() => {
            for m in ms {
                messages.push(message(n, m)?);
            }
        }
        _ => match body.get("prompt").and_then(Value::as_str) {
            Some(p) => messages.push(Message::user(p)),
            None => return Err(bad(n, "no `messages` (or `prompt`)")),
        },
    }
    let mut req = ChatRequest::new(model, messages);
    let max = body
        .get("max_completion_tokens")
        .or_else(|| body.get("max_tokens"))
        .and_then(Value::as_u64);
    req.max_tokens = max.and_then(|m| u32::try_from(m).ok());
    req.temperature = body.get("temperature").and_then(Value::as_f64);
    Ok(Some((id, req)))
}

/// Every request of an input file's text.
pub fn parse(text: &str, model: &str) -> Result<Vec<(String, ChatRequest)>, Error> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if let Some(r) = parse_line(i + 1, line, model)? {
            out.push(r);
        }
    }
    if out.is_empty() {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            "the input file has no requests",
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_three_forms_parse() {
        let text = concat!(
            "{\"id\": \"a\", \"messages\": [{\"role\": \"system\", \"content\": \"Be brief.\"}, {\"role\": \"user\", \"content\": [{\"type\": \"text\", \"text\": \"Hi\"}]}], \"max_tokens\": 20}\n",
            "\n",
            "{\"custom_id\": \"b\", \"method\": \"POST\", \"url\": \"/v1/chat/completions\", \"body\": {\"model\": \"x\", \"messages\": [{\"role\": \"user\", \"content\": \"Yo\"}], \"temperature\": 0.5}}\n",
            "What is 2+2?\n",
        );
        let reqs = parse(text, "openai/gpt-4o-mini").unwrap();
        let ids: Vec<&str> = reqs.iter().map(|(i, _)| i.as_str()).collect();
        assert_eq!(ids, ["a", "b", "line-4"]);
        assert_eq!(reqs[0].1.messages.len(), 2);
        assert_eq!(reqs[0].1.max_tokens, Some(20));
        assert_eq!(reqs[1].1.model, "openai/gpt-4o-mini");
        assert_eq!(reqs[1].1.temperature, Some(0.5));
        assert_eq!(reqs[2].1.messages[0].text(), "What is 2+2?");
    }

    #[test]
    fn bad_lines_say_where() {
        let e = parse("{\"id\": 1}\n", "m/x").unwrap_err();
        assert!(e.message().contains("line 1"), "{e}");
        let e = parse(
            "{\"messages\": [{\"role\": \"robot\", \"content\": \"x\"}]}",
            "m/x",
        )
        .unwrap_err();
        assert!(e.message().contains("role"), "{e}");
        assert!(parse("\n\n", "m/x").is_err());
    }
}
