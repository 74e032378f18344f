//! How `exllm batch` prints jobs and results: aligned tables, or one JSON object with
//! `--json` (a job as its canonical fields; results with each answer in `chat --json`'s shape
//! or its error object, and the batch's total cost).

use crate::output;
use exllm::{BatchJob, BatchResult, Client, Error};
use serde_json::{json, Value};

/// Unix seconds as `YYYY-MM-DD HH:MM` (UTC), `-` when unknown.
fn time(t: Option<u64>) -> String {
    let Some(secs) = t else {
        return "-".into();
    };
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil(days as i64);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60
    )
}

/// Year, month, day of a day count since 1970-01-01 (Howard Hinnant's algorithm).
fn civil(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

pub fn print_job(job: &BatchJob, json: bool) {
    if json {
        output::emit(serde_json::to_value(job).unwrap_or(Value::Null));
        return;
    }
    let c = &job.counts;
    let mut rows = vec![
        vec!["id".into(), job.id.clone()],
        vec![
            "provider".into(),
            format!("{} ({})", job.provider, job.api.as_str()),
        ],
        vec!["status".into(), job.status.as_str().to_owned()],
        vec!["progress".into(), format!("{}/{}", c.finished(), c.total)],
        vec!["succeeded".into(), c.succeeded.to_string()],
        vec!["failed".into(), c.failed.to_string()],
        vec!["cancelled".into(), c.cancelled.to_string()],
        vec!["expired".into(), c.expired.to_string()],
        vec![
            "model".into(),
            job.model.clone().unwrap_or_else(|| "-".into()),
        ],
        vec!["created".into(), time(job.created_at)],
    ];
    if let Some(p) = &job.checkpoint {
        rows.push(vec!["checkpoint".into(), p.display().to_string()]);
    }
    for e in &job.errors {
        rows.push(vec!["error".into(), e.clone()]);
    }
    output::table(&["FIELD", "VALUE"], &rows);
}

pub fn print_jobs(jobs: &[BatchJob], json: bool) {
    if json {
        output::emit(json!({"jobs": jobs}));
        return;
    }
    let rows: Vec<Vec<String>> = jobs
        .iter()
        .map(|j| {
            vec![
                j.id.clone(),
                j.provider.clone(),
                j.status.as_str().to_owned(),
                format!("{}/{}", j.counts.finished(), j.counts.total),
                j.model.clone().unwrap_or_else(|| "-".into()),
                time(j.created_at),
            ]
        })
        .collect();
    output::table(
        &["ID", "PROVIDER", "STATUS", "DONE", "MODEL", "CREATED"],
        &rows,
    );
}

/// A result as JSON: the answer in `chat --json`'s shape, or the error object.
fn result_json(r: &BatchResult) -> Value {
    match &r.result {
        Ok(resp) => json!({"id": r.id, "response": crate::chat::response_json(resp)}),
        Err(e) => json!({"id": r.id, "error": output::error_json(e)["error"]}),
    }
}

pub async fn print_results(client: &Client, job: &BatchJob, json: bool) -> Result<(), Error> {
    let mut results = client.batches().collect(job).await?;
    results.sort_by(|a, b| a.id.cmp(&b.id));
    let total: f64 = results
        .iter()
        .filter_map(|r| r.result.as_ref().ok()?.cost.as_ref().map(|c| c.total))
        .sum();
    if json {
        let items: Vec<Value> = results.iter().map(result_json).collect();
        output::emit(json!({"job": job, "results": items, "cost_usd": total}));
        return Ok(());
    }
    let rows: Vec<Vec<String>> = results
        .iter()
        .map(|r| match &r.result {
            Ok(resp) => vec![
                r.id.clone(),
                "ok".into(),
                resp.cost
                    .as_ref()
                    .map_or("-".into(), |c| crate::money::amount(c.total)),
                resp.text()
                    .lines()
                    .next()
                    .unwrap_or("")
                    .chars()
                    .take(80)
                    .collect(),
            ],
            Err(e) => vec![
                r.id.clone(),
                format!("{:?}", e.kind()),
                "-".into(),
                e.message().chars().take(80).collect(),
            ],
        })
        .collect();
    output::table(&["ID", "RESULT", "COST", "TEXT"], &rows);
    eprintln!(
        "{} results, batch cost {}",
        results.len(),
        crate::money::amount(total)
    );
    Ok(())
}
