//! Counters behind `GET /metrics`, in Prometheus' text format: requests by model and status,
//! tokens by model and direction, cost, a latency histogram by model, and errors by model and
//! kind. One short lock per finished request; the text is built on scrape.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Duration;

/// Latency buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

#[derive(Default)]
struct PerModel {
    requests: BTreeMap<u16, u64>,
    input_tokens: u64,
    output_tokens: u64,
    cost_usd: f64,
    latency_counts: [u64; BUCKETS.len()],
    latency_sum: f64,
    latency_count: u64,
    errors: BTreeMap<&'static str, u64>,
}

/// What one finished request adds.
#[derive(Debug, Clone, Default)]
pub struct Outcome<'a> {
    /// The model name the caller asked for (only configured names reach here).
    pub model: &'a str,
    /// The HTTP status answered (200 for a stream that began, even if it broke later).
    pub status: u16,
    /// Prompt tokens, when known.
    pub input_tokens: Option<u64>,
    /// Output tokens, when known.
    pub output_tokens: Option<u64>,
    /// Cost in USD, when the catalog prices the model.
    pub cost_usd: Option<f64>,
    /// Time to the whole answer.
    pub latency: Duration,
    /// The error's kind, when the request failed (a broken stream included).
    pub error: Option<&'static str>,
}

/// The gateway's counters.
#[derive(Default)]
pub struct Metrics {
    models: Mutex<BTreeMap<String, PerModel>>,
}

impl Metrics {
    /// Counts one finished request.
    pub fn record(&self, o: &Outcome<'_>) {
        let mut models = self.models.lock().unwrap_or_else(|p| p.into_inner());
        let m = match models.get_mut(o.model) {
            Some(m) => m,
            None => models.entry(o.model.to_owned()).or_default(),
        };
        *m.requests.entry(o.status).or_default() += 1;
        m.input_tokens += o.input_tokens.unwrap_or(0);
        m.output_tokens += o.output_tokens.unwrap_or(0);
        m.cost_usd += o.cost_usd.unwrap_or(0.0);
        let secs = o.latency.as_secs_f64();
        for (count, bound) in m.latency_counts.iter_mut().zip(BUCKETS) {
            if secs <= bound {
                *count += 1;
            }
        }
        m.latency_sum += secs;
        m.latency_count += 1;
        if let Some(kind) = o.error {
            *m.errors.entry(kind).or_default() += 1;
        }
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let models = self.models.lock().unwrap_or_else(|p| p.into_inner());
        let mut out = String::new();
        let header = |out: &mut String, name: &str, kind: &str, help: &str| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
        };
        header(
            &mut out,
            "exllm_requests_total",
            "counter",
            "Requests by model and status.",
        );
        for (model, m) in models.iter() {
            for (status, n) in &m.requests {
                let _ = writeln!(
                    out,
                    "exllm_requests_total{{model=\"{}\",status=\"{status}\"}} {n}",
                    esc(model)
                );
            }
        }
        header(
            &mut out,
            "exllm_tokens_total",
            "counter",
            "Tokens by model and direction.",
        );
        for (model, m) in models.iter() {
            let model = esc(model);
            let _ = writeln!(
                out,
                "exllm_tokens_total{{model=\"{model}\",type=\"input\"}} {}",
                m.input_tokens
            );
            let _ = writeln!(
                out,
                "exllm_tokens_total{{model=\"{model}\",type=\"output\"}} {}",
                m.output_tokens
            );
        }
        header(
            &mut out,
            "exllm_cost_usd_total",
            "counter",
            "Cost in USD by model.",
        );
        for (model, m) in models.iter() {
            let _ = writeln!(
                out,
                "exllm_cost_usd_total{{model=\"{}\"}} {}",
                esc(model),
                m.cost_usd
            );
        }
        header(
            &mut out,
            "exllm_request_duration_seconds",
            "histogram",
            "Request latency by model.",
        );
        for (model, m) in models.iter() {
            let model = esc(model);
            for (bound, n) in BUCKETS.iter().zip(m.latency_counts) {
                let _ = writeln!(
                    out,
                    "exllm_request_duration_seconds_bucket{{model=\"{model}\",le=\"{bound}\"}} {n}"
                );
            }
            let _ = writeln!(
                out,
                "exllm_request_duration_seconds_bucket{{model=\"{model}\",le=\"+Inf\"}} {}",
                m.latency_count
            );
            let _ = writeln!(
                out,
                "exllm_request_duration_seconds_sum{{model=\"{model}\"}} {}",
                m.latency_sum
            );
            let _ = writeln!(
                out,
                "exllm_request_duration_seconds_count{{model=\"{model}\"}} {}",
                m.latency_count
            );
        }
        header(
            &mut out,
            "exllm_errors_total",
            "counter",
            "Errors by model and kind.",
        );
        for (model, m) in models.iter() {
            for (kind, n) in &m.errors {
                let _ = writeln!(
                    out,
                    "exllm_errors_total{{model=\"{}\",kind=\"{kind}\"}} {n}",
                    esc(model)
                );
            }
        }
        out
    }
}

/// A label value with `\`, `"` and newlines escaped.
fn esc(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_render_as_prometheus_text() {
        let m = Metrics::default();
        m.record(&Outcome {
            model: "fast",
            status: 200,
            input_tokens: Some(10),
            output_tokens: Some(5),
            cost_usd: Some(0.5),
            latency: Duration::from_millis(20),
            error: None,
        });
        m.record(&Outcome {
            model: "fast",
            status: 429,
            error: Some("rate_limit"),
            ..Default::default()
        });
        let text = m.render();
        assert!(text.contains("exllm_requests_total{model=\"fast\",status=\"200\"} 1"));
        assert!(text.contains("exllm_tokens_total{model=\"fast\",type=\"input\"} 10"));
        assert!(
            text.contains("exllm_request_duration_seconds_bucket{model=\"fast\",le=\"0.025\"} 2")
        );
        assert!(text.contains("exllm_request_duration_seconds_count{model=\"fast\"} 2"));
        assert!(text.contains("exllm_errors_total{model=\"fast\",kind=\"rate_limit\"} 1"));
        assert!(text.contains("exllm_cost_usd_total{model=\"fast\"} 0.5"));
    }
}
