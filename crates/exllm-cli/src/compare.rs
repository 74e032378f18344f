//! `exllm compare`: one prompt sent to several models at once, their answers printed side by
//! side with time to first token, total time, tokens and cost under each (or as one JSON
//! object). Every call is streamed so the first token can be timed; a model that fails does
//! not stop the others.

use crate::output;
use clap::Args;
use exllm::{ChatRequest, ChatResponse, Client, Error, ErrorKind, Message, StreamEvent};
use futures_util::StreamExt;
use serde_json::{json, Value};
use std::io::{IsTerminal, Read};
use std::time::{Duration, Instant};

#[derive(Args)]
pub struct CompareArgs {
    /// The prompt (read from stdin when absent).
    prompt: Vec<String>,
    /// A model to compare, provider/model (repeat: -m A -m B -m C).
    #[arg(short, long = "model", required = true)]
    models: Vec<String>,
    /// A system prompt for every model.
    #[arg(short, long)]
    system: Option<String>,
    /// Maximum output tokens.
    #[arg(long)]
    max_tokens: Option<u32>,
    /// Sampling temperature.
    #[arg(long)]
    temperature: Option<f64>,
    /// Print one JSON object: per model its answer, timings, usage, cost and error.
    #[arg(long)]
    json: bool,
    /// Run the comparison N times; the timings shown are medians (the answer is the last
    /// successful one).
    #[arg(long, default_value_t = 1, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=100))]
    runs: u32,
}

/// What one model did over all runs.
#[derive(Default)]
pub(crate) struct Outcome {
    pub model: String,
    pub answer: Option<ChatResponse>,
    pub error: Option<Error>,
    pub ttft: Vec<Duration>,
    pub total: Vec<Duration>,
    pub failures: u32,
}

/// One streamed call: its collected answer and time to first token, or its error.
async fn timed(
    client: &Client,
    req: ChatRequest,
) -> (Result<ChatResponse, Error>, Option<Duration>, Duration) {
    let start = Instant::now();
    let mut first = None;
    let result = async {
        let mut s = client.chat_stream(req).await?;
        let mut c = exllm::Collector::new();
        while let Some(item) = s.next().await {
            let ev = item.map_err(|e| {
                let partial = std::mem::take(&mut c).finish();
                e.with_partial(partial)
            })?;
            if first.is_none() && is_content(&ev) {
                first = Some(start.elapsed());
            }
            c.push(ev);
        }
        let mut resp = c.finish();
        resp.cost = resp.usage.as_ref().and_then(|u| s.cost_of(u));
        Ok(resp)
    }
    .await;
    (result, first, start.elapsed())
}

/// An event that carries part of the answer (not the stream's opening metadata).
fn is_content(ev: &StreamEvent) -> bool {
    matches!(
        ev,
        StreamEvent::TextDelta(_)
            | StreamEvent::ReasoningDelta(_)
            | StreamEvent::RefusalDelta(_)
            | StreamEvent::ToolCallStart { .. }
            | StreamEvent::ToolCallDelta { .. }
    )
}

fn read_prompt(args: &CompareArgs) -> Result<String, Error> {
    if !args.prompt.is_empty() {
        return Ok(args.prompt.join(" "));
    }
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            "no prompt: pass one as an argument or on stdin",
        ));
    }
    let mut s = String::new();
    stdin
        .lock()
        .read_to_string(&mut s)
        .map_err(|e| Error::new(ErrorKind::InvalidInput, format!("cannot read stdin: {e}")))?;
    match s.trim() {
        "" => Err(Error::new(ErrorKind::InvalidInput, "empty prompt")),
        t => Ok(t.to_owned()),
    }
}

fn request(args: &CompareArgs, model: &str, prompt: &str) -> ChatRequest {
    let mut messages = Vec::new();
    if let Some(s) = &args.system {
        messages.push(Message::system(s.clone()));
    }
    messages.push(Message::user(prompt));
    let mut req = ChatRequest::new(model, messages);
    req.max_tokens = args.max_tokens;
    req.temperature = args.temperature;
    req
}

pub async fn run(args: CompareArgs) -> u8 {
    let prompt = match read_prompt(&args) {
        Ok(p) => p,
        Err(e) => return output::report(&e, args.json),
    };
    let client = match crate::local::register(Client::builder()).build() {
        Ok(c) => c,
        Err(e) => return output::report(&e, args.json),
    };
    let mut outcomes: Vec<Outcome> = args
        .models
        .iter()
        .map(|m| Outcome {
            model: m.clone(),
            ..Default::default()
        })
        .collect();
    for _ in 0..args.runs {
        let calls = args
            .models
            .iter()
            .map(|m| timed(&client, request(&args, m, &prompt)));
        let results = futures_util::future::join_all(calls).await;
        for (o, (result, ttft, total)) in outcomes.iter_mut().zip(results) {
            match result {
                Ok(resp) => {
                    o.ttft.extend(ttft);
                    o.total.push(total);
                    o.answer = Some(resp);
                }
                Err(e) => {
                    o.failures += 1;
                    o.error = Some(e);
                }
            }
        }
    }
    if args.json {
        println!("{}", to_json(&outcomes, args.runs));
    } else {
        let width = terminal_width();
        print!("{}", render(&outcomes, width));
    }
    let failed = outcomes.iter().any(|o| o.answer.is_none());
    if failed {
        crate::EXIT_FAILURE
    } else {
        0
    }
}

/// The median of some durations (the mean of the middle two for an even count).
pub(crate) fn median(d: &[Duration]) -> Option<Duration> {
    let mut v = d.to_vec();
    v.sort();
    let n = v.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(v[n / 2]),
        _ => Some((v[n / 2 - 1] + v[n / 2]) / 2),
    }
}

fn ms(d: Option<Duration>) -> Value {
    d.map_or(Value::Null, |d| json!(d.as_secs_f64() * 1000.0))
}

pub(crate) fn to_json(outcomes: &[Outcome], runs: u32) -> Value {
    let models: Vec<Value> = outcomes
        .iter()
        .map(|o| {
            let answer = o.answer.as_ref();
            json!({
                "model": o.model,
                "text": answer.map(|a| a.text()),
                "ttft_ms": ms(median(&o.ttft)),
                "total_ms": ms(median(&o.total)),
                "usage": answer.and_then(|a| a.usage.as_ref()).and_then(|u| serde_json::to_value(u).ok()),
                "cost": answer.and_then(|a| a.cost.as_ref()).map(crate::money::cost_json),
                "failed_runs": o.failures,
                "error": o.error.as_ref().map(|e| output::error_json(e)["error"].clone()),
            })
        })
        .collect();
    json!({"runs": runs, "models": models})
}

/// The lines under an answer: timings, tokens, cost (or the error).
fn stats(o: &Outcome, runs: u32) -> Vec<String> {
    let fmt = |d: Option<Duration>| d.map_or("-".to_owned(), |d| format!("{} ms", d.as_millis()));
    let label = if runs > 1 { " (median)" } else { "" };
    let mut lines = Vec::new();
    if let Some(a) = &o.answer {
        lines.push(format!("first token {}{label}", fmt(median(&o.ttft))));
        lines.push(format!("total {}{label}", fmt(median(&o.total))));
        let count = |n: Option<u64>| n.map_or("?".to_owned(), |n| n.to_string());
        let (i, out) = a
            .usage
            .as_ref()
            .map_or((None, None), |u| (u.input_tokens, u.output_tokens));
        lines.push(format!("tokens {} in, {} out", count(i), count(out)));
        lines.push(match &a.cost {
            Some(c) => format!("cost {}", crate::money::dollars(c.total)),
            None => "cost unknown".to_owned(),
        });
    }
    if let Some(e) = &o.error {
        let runs_note = if runs > 1 {
            format!(" ({} of {runs} runs)", o.failures)
        } else {
            String::new()
        };
        lines.push(format!("error{runs_note}: {e}"));
    }
    lines
}

/// The width of stdout when it is a terminal (`COLUMNS` first), else `None`.
fn terminal_width() -> Option<usize> {
    if !std::io::stdout().is_terminal() {
        return None;
    }
    let from_env = std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok());
    from_env.or_else(|| {
        console::Term::stdout()
            .size_checked()
            .map(|(_, w)| w as usize)
    })
}

/// The narrowest column worth printing side by side.
const MIN_COLUMN: usize = 24;
const GAP: &str = " │ ";

/// The comparison as text: columns side by side when `width` fits them all, else one model
/// after another.
pub(crate) fn render(outcomes: &[Outcome], width: Option<usize>) -> String {
    let runs = outcomes
        .iter()
        .map(|o| o.total.len() as u32 + o.failures)
        .max()
        .unwrap_or(1);
    let blocks: Vec<(String, Vec<String>)> = outcomes
        .iter()
        .map(|o| {
            let text = o.answer.as_ref().map(|a| a.text()).unwrap_or_default();
            (text, stats(o, runs))
        })
        .collect();
    let n = outcomes.len().max(1);
    let column = width
        .map(|w| w.saturating_sub(GAP.chars().count() * (n - 1)) / n)
        .filter(|&c| c >= MIN_COLUMN && n > 1);
    let mut out = String::new();
    let Some(col) = column else {
        for (o, (text, stats)) in outcomes.iter().zip(&blocks) {
            out.push_str(&format!("== {}\n", o.model));
            if !text.is_empty() {
                out.push_str(text.trim_end());
                out.push('\n');
            }
            for s in stats {
                out.push_str(&format!("  {s}\n"));
            }
            out.push('\n');
        }
        return out;
    };
    let columns: Vec<Vec<String>> = outcomes
        .iter()
        .zip(&blocks)
        .map(|(o, (text, stats))| {
            let mut lines = wrap(&o.model, col);
            lines.push("─".repeat(col));
            lines.extend(wrap(text.trim_end(), col));
            lines.push(String::new());
            lines.extend(stats.iter().flat_map(|s| wrap(s, col)));
            lines
        })
        .collect();
    let height = columns.iter().map(Vec::len).max().unwrap_or(0);
    for row in 0..height {
        let cells: Vec<String> = columns
            .iter()
            .map(|c| pad(c.get(row).map_or("", String::as_str), col))
            .collect();
        out.push_str(cells.join(GAP).trim_end());
        out.push('\n');
    }
    out
}

fn width_of(s: &str) -> usize {
    console::measure_text_width(s)
}

fn pad(s: &str, col: usize) -> String {
    format!("{s}{}", " ".repeat(col.saturating_sub(width_of(s))))
}

/// Wraps text to `col` display columns: at spaces where possible, inside a word longer than
/// a line otherwise; each paragraph line separately.
pub(crate) fn wrap(text: &str, col: usize) -> Vec<String> {
    let mut lines = Vec::new();
    for para in text.lines() {
        let mut line = String::new();
        for word in para.split(' ') {
            let sep = usize::from(!line.is_empty());
            if width_of(&line) + sep + width_of(word) <= col {
                if sep == 1 {
                    line.push(' ');
                }
                line.push_str(word);
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            for ch in word.chars() {
                let mut buf = [0u8; 4];
                if width_of(&line) + width_of(ch.encode_utf8(&mut buf)) > col {
                    lines.push(std::mem::take(&mut line));
                }
                line.push(ch);
            }
        }
        lines.push(line);
    }
    lines
}

#[cfg(test)]
#[path = "compare_tests.rs"]
mod tests;
