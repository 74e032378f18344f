//! A batch input file (OpenAI's JSONL: one `{custom_id, method, url, body}` per line) as the
//! gateway forwards it: each line's `body.model` is a name callers may use, rewritten to the
//! model its deployment sends; a line naming anything else refuses the whole file, so a
//! batch never reaches a model the config does not serve. Pure; no I/O.

use serde_json::Value;

/// `data` with every line's `body.model` mapped by `model` (`None`: not served). Blank lines
/// are dropped; any other line that is not such an object is an error naming its number.
pub fn rewrite_models(
    data: &[u8],
    model: impl Fn(&str) -> Option<String>,
) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(data.len());
    for (i, line) in data.split(|&b| b == b'\n').enumerate() {
        if line.trim_ascii().is_empty() {
            continue;
        }
        let n = i + 1;
        let mut v: Value =
            serde_json::from_slice(line).map_err(|e| format!("line {n} is not JSON: {e}"))?;
        let name = v
            .get("body")
            .and_then(|b| b.get("model"))
            .and_then(Value::as_str)
            .ok_or_else(|| format!("line {n} has no string `body.model`"))?;
        let upstream = model(name)
            .ok_or_else(|| format!("line {n}: the model `{name}` is not served here"))?;
        v["body"]["model"] = upstream.into();
        serde_json::to_writer(&mut out, &v).map_err(|e| e.to_string())?;
        out.push(b'\n');
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn models_are_rewritten_and_unknown_ones_refused() {
        let map = |n: &str| (n == "fast").then(|| "gpt-4o-mini".to_owned());
        let data = b"{\"custom_id\":\"a\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{\"model\":\"fast\",\"messages\":[]}}\r\n\n{\"custom_id\":\"b\",\"body\":{\"model\":\"fast\"}}";
        let out = String::from_utf8(rewrite_models(data, map).unwrap()).unwrap();
        let lines: Vec<Value> = out
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2);
        assert!(lines.iter().all(|l| l["body"]["model"] == "gpt-4o-mini"));
        assert_eq!(lines[0]["custom_id"], "a");
        let err = rewrite_models(
            b"{\"body\":{\"model\":\"fast\"}}\n{\"body\":{\"model\":\"gpt-4o\"}}",
            map,
        )
        .unwrap_err();
        assert!(err.contains("line 2") && err.contains("gpt-4o"), "{err}");
        assert!(rewrite_models(b"nope", map).is_err());
        assert!(rewrite_models(b"{\"body\":{}}", map).is_err());
    }
}
