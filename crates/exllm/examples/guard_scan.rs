//! Scans JSON lines from stdin with the guardrails' pattern detectors and prints what each
//! finds, for the evaluation script (bench/guardrails/eval.py): one `{"id", "text"}` object
//! per line in, one `{"id", "spans": [{"rule", "start", "end"}]}` per line out, offsets in
//! characters. `--secrets` runs the secrets detector instead of the PII one.
//!
//! ```text
//! echo '{"id": 1, "text": "mail ann@example.com"}' | cargo run --example guard_scan
//! ```

use exllm::guardrails::{Guardrail, Pii, Scope, Secrets, Stage};
use exllm::Role;
use std::io::{BufRead, Write};

fn main() {
    let secrets = std::env::args().any(|a| a == "--secrets");
    let rail: Box<dyn Guardrail> = if secrets {
        Box::new(Secrets::default())
    } else {
        Box::new(Pii::default())
    };
    let scope = Scope {
        stage: Stage::Input,
        role: Role::User,
    };
    let stdin = std::io::stdin();
    let mut out = std::io::BufWriter::new(std::io::stdout());
    for line in stdin.lock().lines() {
        let Ok(line) = line else { break };
        let Ok(v) = serde_json::from_str::<serde_json::Value>(&line) else {
            continue;
        };
        let text = v["text"].as_str().unwrap_or("");
        let chars = |b: usize| text[..b].chars().count();
        let spans: Vec<serde_json::Value> = rail
            .scan(text, scope)
            .into_iter()
            .filter_map(|f| {
                let s = f.span?;
                Some(serde_json::json!({"rule": f.rule, "start": chars(s.start), "end": chars(s.end)}))
            })
            .collect();
        let row = serde_json::json!({"id": v["id"], "spans": spans});
        let _ = writeln!(out, "{row}");
    }
}
