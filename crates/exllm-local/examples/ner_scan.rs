//! Scans JSON lines from stdin with the `ner` guardrail's model and prints what it finds, for
//! the evaluation script (bench/guardrails/ner_eval.py): one `{"id", "text"}` object per line in,
//! one `{"id", "spans": [{"rule", "start", "end"}]}` per line out, offsets in characters.
//! `--raw` prints the model's own types (`GIVEN_NAME`, `CITY`) before they fold into names
//! and addresses; `--model DIR` reads the model from DIR instead of the cache. The time spent
//! scanning (the model loaded) goes to stderr as `scan_seconds N`.
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
    let model = match args.iter().position(|a| a == "--model") {
        Some(i) => Some(args.get(i + 1).cloned().ok_or_else(|| {
            exllm::Error::new(exllm::ErrorKind::InvalidInput, "--model needs a folder")
        })?),
        None => None,
    };
    let ner = Ner::from_config(&NerConfig {
        entities: Some(ENTITIES.iter().map(|e| e.to_string()).collect()),
        model: model.map(Into::into),
        ..Default::default()
    })?;
    let t0 = std::time::Instant::now();
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
            ner.model().typed_spans(text, ner.threshold)?
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
    let _ = out.flush();
    eprintln!("scan_seconds {}", t0.elapsed().as_secs_f64());
    Ok(())
}
