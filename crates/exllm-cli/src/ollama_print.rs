//! How `exllm ollama` shows the server's answers to people: aligned tables for `list` and
//! `ps`, labelled lines for `show` (`--json` prints the server's objects instead).

use crate::output::{emit, table};
use exllm::ollama::{LocalModel, RunningModel};
use serde_json::Value;

/// A detail of a model (`parameter_size`, `quantization_level`, ...), `-` when absent.
fn detail(details: &Option<Value>, key: &str) -> String {
    details
        .as_ref()
        .and_then(|d| d.get(key))
        .and_then(Value::as_str)
        .unwrap_or("-")
        .to_owned()
}

/// Bytes in powers of 1000, as Ollama itself shows sizes.
pub fn human(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KB", "MB", "GB", "TB"];
    let mut v = bytes as f64;
    let mut u = 0;
    while v >= 1000.0 && u < UNITS.len() - 1 {
        v /= 1000.0;
        u += 1;
    }
    format!("{v:.1} {}", UNITS[u])
}

fn size(bytes: Option<u64>) -> String {
    bytes.map_or_else(|| "-".into(), human)
}

/// `exllm ollama list`.
pub fn list(models: &[LocalModel]) {
    let rows: Vec<Vec<String>> = models
        .iter()
        .map(|m| {
            vec![
                m.name.clone(),
                size(m.size),
                detail(&m.details, "parameter_size"),
                detail(&m.details, "quantization_level"),
                m.modified_at.clone().unwrap_or_else(|| "-".into()),
            ]
        })
        .collect();
    table(&["NAME", "SIZE", "PARAMS", "QUANT", "MODIFIED"], &rows);
}

/// `exllm ollama ps`.
pub fn ps(models: &[RunningModel]) {
    let rows: Vec<Vec<String>> = models
        .iter()
        .map(|m| {
            vec![
                m.name.clone(),
                size(m.size),
                size(m.size_vram),
                m.expires_at.clone().unwrap_or_else(|| "-".into()),
            ]
        })
        .collect();
    table(&["NAME", "SIZE", "IN GPU", "UNTIL"], &rows);
}

/// `exllm ollama show`: the details as labelled lines, then the parameters, system prompt
/// and template as indented blocks.
pub fn show(v: &Value) {
    let details = v.get("details").cloned();
    let context = v
        .get("model_info")
        .and_then(Value::as_object)
        .and_then(|info| {
            info.iter()
                .find(|(k, _)| k.ends_with(".context_length"))
                .map(|(_, n)| n.to_string())
        });
    let capabilities = v.get("capabilities").and_then(Value::as_array).map(|c| {
        let names: Vec<&str> = c.iter().filter_map(Value::as_str).collect();
        names.join(", ")
    });
    let lines = [
        ("family", Some(detail(&details, "family"))),
        ("parameters", Some(detail(&details, "parameter_size"))),
        ("quantization", Some(detail(&details, "quantization_level"))),
        ("format", Some(detail(&details, "format"))),
        ("context", context),
        ("capabilities", capabilities),
        (
            "modified",
            v.get("modified_at")
                .and_then(Value::as_str)
                .map(str::to_owned),
        ),
    ];
    for (key, value) in lines {
        if let Some(value) = value.filter(|v| v != "-") {
            emit(format!("{:<13} {value}", format!("{key}:")));
        }
    }
    for key in ["parameters", "system", "template"] {
        let Some(text) = v
            .get(key)
            .and_then(Value::as_str)
            .filter(|t| !t.trim().is_empty())
        else {
            continue;
        };
        emit(format!("\n{key}:"));
        for line in text.trim_end().lines() {
            emit(format!("  {line}"));
        }
    }
}
