//! Scans JSON lines from stdin with the `ner` guardrail's model and prints what it finds, for
//! the evaluation script (bench/guardrails/eval.py): one `{"id", "text"}` object per line in,
//! one `{"id", "spans": [{"rule", "start", "end"}]}` per line out, offsets in characters.
//! `--raw` prints the model's own types (`GIVEN_NAME`, `CITY`) before they fold into names
//! and addresses; `--model DIR` reads the model from DIR instead of the cache.
//!
//! ```text
//! echo '{"id": 1, "text": "I am Alex Rivera"}' | cargo run --release -p exllm-local --features ner --example ner_scan
//! ```

use exllm::guardrails::NerConfig;
use exllm_local::ner::{Ner, ENTITIES};
use std::io::{BufRead, Write};

fn main() -> exllm::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let raw = args.iter().any(|a| a == "--raw");
    let model = args
        .iter()
        .position(|a| a == "--model")
        .and_then(|i| args.get(i + 1))
        .map(Into::into);
    let ner = Ner::from_config(&NerConfig {
        entities: Some(ENTITIES.iter().map(|e| e.to_string()).collect()),
        model,
        ..Default::default()
    })?;
    let dir = match args.iter().position(|a| a == "--model") {
        Some(i) => args[i + 1].clone().into(),
        None => exllm_local::ner::default_dir()?,
    };
    let loaded = exllm_local::ner::load_cached(&dir)?;
    let stdin = std::io::stdin();
    let mut out = std::io::BufWriter::new(std::io::stdout());
    for line in stdin.lock().lines() {
        let Ok(line) = line else { break };
        let Ok(v) = serde_json::from_str::<serde_json::Value>(&line) else {
            continue;
        };
        let text = v["text"].as_str().unwrap_or("");
        let chars = |b: usize| text[..b].chars().count();
        let found: Vec<(String, std::ops::Range<usize>)> = if raw {
            loaded.typed_spans(text, ner.threshold)?
        } else {
            ner.entities(text)?
                .into_iter()
                .map(|(e, s)| (e.to_owned(), s))
                .collect()
        };
        let spans: Vec<serde_json::Value> = found
            .into_iter()
            .map(|(rule, s)| {
                serde_json::json!({"rule": rule, "start": chars(s.start), "end": chars(s.end)})
            })
            .collect();
        let _ = writeln!(
            out,
            "{}",
            serde_json::json!({"id": v["id"], "spans": spans})
        );
    }
    Ok(())
}
