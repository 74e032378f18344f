//! Finding the JSON in what a model wrote. Models asked for JSON still wrap it in markdown
//! fences or a sentence of prose, and a streamed answer is JSON cut off mid-value; both are
//! read here, without ever failing on what the model sent.

use jiter::{JsonValue, PartialMode};
use serde_json::{Map, Number, Value};

/// The JSON value in a model's answer: the whole text when it parses, else the first fenced
/// block (```` ```json ````) that parses, else the first balanced `{...}` or `[...]` that does.
///
/// ```
/// use exllm::structured::extract_json;
/// let v = extract_json("Sure! Here it is:\n```json\n{\"a\": 1}\n```\nAnything else?");
/// assert_eq!(v, Some(serde_json::json!({"a": 1})));
/// ```
pub fn extract_json(text: &str) -> Option<Value> {
    let trimmed = text.trim();
    if let Ok(v) = serde_json::from_str(trimmed) {
        return Some(v);
    }
    fenced_blocks(trimmed)
        .find_map(|b| serde_json::from_str(b.trim()).ok())
        .or_else(|| balanced_candidates(trimmed).find_map(|c| serde_json::from_str(c).ok()))
}

/// The value a partial answer holds so far: the JSON from its first `{` or `[` (or inside an
/// open fence), with unfinished strings kept and unfinished keys, numbers and literals left
/// out. `None` until a value has started.
///
/// ```
/// use exllm::structured::partial_json;
/// let v = partial_json(r#"{"name": "Ada Lov"#);
/// assert_eq!(v, Some(serde_json::json!({"name": "Ada Lov"})));
/// ```
pub fn partial_json(text: &str) -> Option<Value> {
    let start = text.find(['{', '['])?;
    let body = &text[start..];
    // A closing fence after the value ends it; jiter stops at the end of the value anyway.
    let v =
        JsonValue::parse_with_config(body.as_bytes(), false, PartialMode::TrailingStrings).ok()?;
    Some(to_serde(v))
}

fn to_serde(v: JsonValue<'_>) -> Value {
    match v {
        JsonValue::Null => Value::Null,
        JsonValue::Bool(b) => Value::Bool(b),
        JsonValue::Int(i) => Value::Number(i.into()),
        JsonValue::Float(f) => Number::from_f64(f).map_or(Value::Null, Value::Number),
        JsonValue::Str(s) => Value::String(s.into_owned()),
        JsonValue::Array(items) => Value::Array(
            std::sync::Arc::unwrap_or_clone(items)
                .into_iter()
                .map(to_serde)
                .collect(),
        ),
        JsonValue::Object(fields) => Value::Object(
            std::sync::Arc::unwrap_or_clone(fields)
                .into_iter()
                .map(|(k, v)| (k.into_owned(), to_serde(v)))
                .collect::<Map<_, _>>(),
        ),
    }
}

/// The bodies of markdown code fences, in order.
fn fenced_blocks(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        let open = rest.find("```")?;
        let after = &rest[open + 3..];
        // Skip the info string (`json`, `JSON`, ...) up to the end of the line.
        let body_start = after.find('\n').map_or(after.len(), |i| i + 1);
        let body = &after[body_start..];
        let close = body.find("```").unwrap_or(body.len());
        rest = body.get(close + 3..).unwrap_or("");
        Some(&body[..close])
    })
}

/// Each `{...}` / `[...]` span that balances (strings and escapes respected), from each
/// opening bracket in order.
fn balanced_candidates(text: &str) -> impl Iterator<Item = &str> {
    text.char_indices()
        .filter(|(_, c)| matches!(c, '{' | '['))
        .filter_map(move |(i, _)| balanced_end(&text[i..]).map(|end| &text[i..i + end]))
}

fn balanced_end(s: &str) -> Option<usize> {
    let (mut depth, mut in_str, mut escaped) = (0usize, false, false);
    for (i, c) in s.char_indices() {
        if in_str {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_str = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_str = true,
            '{' | '[' => depth += 1,
            '}' | ']' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn plain_fenced_and_prose_wrapped_json_is_found() {
        assert_eq!(extract_json(" {\"a\":1} "), Some(json!({"a": 1})));
        assert_eq!(extract_json("```\n[1,2]\n```"), Some(json!([1, 2])));
        assert_eq!(
            extract_json("```text\nnot json\n```\n```JSON\n{\"b\": \"}\"}\n```"),
            Some(json!({"b": "}"}))
        );
        assert_eq!(
            extract_json("The answer is {\"x\": \"a { brace\"} as asked."),
            Some(json!({"x": "a { brace"}))
        );
        assert_eq!(
            extract_json("{broken} then {\"ok\": true}"),
            Some(json!({"ok": true}))
        );
        assert_eq!(extract_json("no json here"), None);
        assert_eq!(extract_json("{\"unterminated\": "), None);
        assert_eq!(extract_json("```json\n{\"open\": 1"), None);
    }

    #[test]
    fn partial_values_fill_in_as_text_arrives() {
        let full = r#"{"name": "Ada", "tags": ["x", "yz"], "age": 36, "ok": true}"#;
        let mut last = None;
        for end in 0..=full.len() {
            let v = partial_json(&full[..end]);
            if let Some(v) = &v {
                assert!(v.is_object(), "{v}");
            }
            if v.is_some() {
                last = v;
            }
        }
        assert_eq!(last, Some(serde_json::from_str(full).unwrap()));
        assert_eq!(
            partial_json("Here:\n```json\n{\"tags\": [\"x\", \"y"),
            Some(json!({"tags": ["x", "y"]}))
        );
        assert_eq!(partial_json("nothing yet"), None);
    }

    #[test]
    fn odd_input_never_panics() {
        for s in [
            "{", "[", "{\"", "{\"a\"", "{\"a\":", "[tru", "{\"\\u12", "]]}}{{", "é{é",
        ] {
            let _ = partial_json(s);
            let _ = extract_json(s);
        }
    }
}
