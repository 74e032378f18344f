//! Counters behind `GET /metrics`, in Prometheus' text format: requests by model, deployment
//! and status, tokens by model, deployment and direction, cost, a latency histogram, and
//! errors by model, deployment and kind. `model` is the name the caller asked for,
//! `deployment` the `provider/model` (or router deployment id) that served it. One short lock
//! per finished request; the text is built on scrape.

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
    /// What served it: a direct entry's `provider/model`, a router deployment's id, or the
    /// group's name when no deployment answered.
    pub deployment: &'a str,
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
    /// By model, then deployment.
    models: Mutex<BTreeMap<String, BTreeMap<String, PerModel>>>,
}

impl Metrics {
    /// Counts one finished request.
    pub fn record(&self, o: &Outcome<'_>) {
        let mut models = self.models.lock().unwrap_or_else(|p| p.into_inner());
        let deps = match models.get_mut(o.model) {
            Some(d) => d,
            None => models.entry(o.model.to_owned()).or_default(),
        };
        let m = match deps.get_mut(o.deployment) {
            Some(m) => m,
            None => deps.entry(o.deployment.to_owned()).or_default(),
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
        let rows: Vec<(String, &PerModel)> = models
            .iter()
            .flat_map(|(model, deps)| {
                deps.iter().map(move |(dep, m)| {
                    (
                        format!("model=\"{}\",deployment=\"{}\"", esc(model), esc(dep)),
                        m,
                    )
                })
            })
            .collect();
        let mut out = String::new();
        let header = |out: &mut String, name: &str, kind: &str, help: &str| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
        };
        header(
            &mut out,
            "exllm_requests_total",
            "counter",
            "Requests by model, deployment and status.",
        );
        for (labels, m) in &rows {
            for (status, n) in &m.requests {
                let _ = writeln!(
                    out,
                    "exllm_requests_total{{{labels},status=\"{status}\"}} {n}"
                );
            }
        }
        header(
            &mut out,
            "exllm_tokens_total",
            "counter",
            "Tokens by model, deployment and direction.",
        );
        for (labels, m) in &rows {
            let _ = writeln!(
                out,
                "exllm_tokens_total{{{labels},type=\"input\"}} {}",
                m.input_tokens
            );
            let _ = writeln!(
                out,
                "exllm_tokens_total{{{labels},type=\"output\"}} {}",
                m.output_tokens
            );
        }
        header(
            &mut out,
            "exllm_cost_usd_total",
            "counter",
            "Cost in USD by model and deployment.",
        );
        for (labels, m) in &rows {
            let _ = writeln!(out, "exllm_cost_usd_total{{{labels}}} {}", m.cost_usd);
        }
        header(
            &mut out,
            "exllm_request_duration_seconds",
            "histogram",
            "Request latency by model and deployment.",
        );
        for (labels, m) in &rows {
            for (bound, n) in BUCKETS.iter().zip(m.latency_counts) {
                let _ = writeln!(
                    out,
                    "exllm_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {n}"
                );
            }
            let _ = writeln!(
                out,
                "exllm_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                m.latency_count
            );
            let _ = writeln!(
                out,
                "exllm_request_duration_seconds_sum{{{labels}}} {}",
                m.latency_sum
            );
            let _ = writeln!(
                out,
                "exllm_request_duration_seconds_count{{{labels}}} {}",
                m.latency_count
            );
        }
        header(
            &mut out,
            "exllm_errors_total",
            "counter",
            "Errors by model, deployment and kind.",
        );
        for (labels, m) in &rows {
            for (kind, n) in &m.errors {
                let _ = writeln!(out, "exllm_errors_total{{{labels},kind=\"{kind}\"}} {n}");
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
            deployment: "openai/gpt-4o-mini",
            status: 200,
            input_tokens: Some(10),
            output_tokens: Some(5),
            cost_usd: Some(0.5),
            latency: Duration::from_millis(20),
            error: None,
        });
        m.record(&Outcome {
            model: "fast",
            deployment: "openai/gpt-4o-mini",
            status: 429,
            error: Some("rate_limit"),
            ..Default::default()
        });
        let text = m.render();
        assert!(text.contains("exllm_requests_total{model=\"fast\",deployment=\"openai/gpt-4o-mini\",status=\"200\"} 1"));
        assert!(text.contains("exllm_tokens_total{model=\"fast\",deployment=\"openai/gpt-4o-mini\",type=\"input\"} 10"));
        assert!(
            text.contains("exllm_request_duration_seconds_bucket{model=\"fast\",deployment=\"openai/gpt-4o-mini\",le=\"0.025\"} 2")
        );
        assert!(text.contains("exllm_request_duration_seconds_count{model=\"fast\",deployment=\"openai/gpt-4o-mini\"} 2"));
        assert!(text.contains("exllm_errors_total{model=\"fast\",deployment=\"openai/gpt-4o-mini\",kind=\"rate_limit\"} 1"));
        assert!(text.contains(
            "exllm_cost_usd_total{model=\"fast\",deployment=\"openai/gpt-4o-mini\"} 0.5"
        ));
    }
}
