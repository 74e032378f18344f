//! `exllm usage`: the opt-in local usage log read back — tables by model, provider, day or
//! tag, cheaper models that would have served the same calls, and next month's spend on the
//! trend. The log is written by every client the CLI builds when `EXLLM_USAGE_LOG` names its
//! file (tags from `EXLLM_USAGE_TAGS`, comma-separated; the session from
//! `EXLLM_USAGE_SESSION`).

use clap::Args;
use exllm::catalog::Catalog;
use exllm::usage::{forecast, recommend, summarize, GroupBy, UsageLog, UsageLogger};
use exllm::ClientBuilder;
use std::path::PathBuf;

/// Arguments of `exllm usage`.
#[derive(Args)]
#[command(
    after_help = "Record: export EXLLM_USAGE_LOG=~/.local/share/exllm/usage.db (and
optionally EXLLM_USAGE_TAGS=project-x, EXLLM_USAGE_SESSION=name); every exllm call is
then logged.

Examples:
  exllm usage --since 7d --by model
  exllm usage --since 30d --by day --json
  exllm usage --by tag --any-provider"
)]
pub struct UsageArgs {
    /// The usage log (SQLite).
    #[arg(long, env = "EXLLM_USAGE_LOG")]
    db: Option<PathBuf>,
    /// Only the last so long (`7d`, `24h`); the forecast is fitted on whole days of it.
    #[arg(long, default_value = "30d")]
    since: String,
    /// Rows by `model`, `provider`, `day`, `tag` or `session`.
    #[arg(long, default_value = "model")]
    by: String,
    /// Look for cheaper models at every provider, not only the ones already used.
    #[arg(long)]
    any_provider: bool,
    /// Print JSON instead of tables.
    #[arg(long)]
    json: bool,
}

/// Adds the usage logger to a client when `EXLLM_USAGE_LOG` is set (a log that cannot be
/// opened is reported once and the client runs without it).
pub fn with_log(b: ClientBuilder) -> ClientBuilder {
    let Some(path) = std::env::var_os("EXLLM_USAGE_LOG").filter(|p| !p.is_empty()) else {
        return b;
    };
    match UsageLog::open(&path) {
        Ok(log) => {
            let tags: Vec<String> = std::env::var("EXLLM_USAGE_TAGS")
                .unwrap_or_default()
                .split(',')
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_owned)
                .collect();
            let mut logger = UsageLogger::new(log).with_tags(tags);
            if let Some(s) = std::env::var("EXLLM_USAGE_SESSION")
                .ok()
                .filter(|s| !s.is_empty())
            {
                logger = logger.with_session(s);
            }
            b.callback(logger)
        }
        Err(e) => {
            eprintln!("exllm: usage log off: {e}");
            b
        }
    }
}

/// `7d` → seconds.
fn span_secs(text: &str) -> Result<i64, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (n, unit) = t.split_at(split);
    let n: i64 = n
        .parse()
        .map_err(|_| format!("--since: `{text}` is not like 7d"))?;
    let unit = match unit {
        "d" => 86_400,
        "h" => 3_600,
        "m" => 60,
        _ => return Err(format!("--since: `{text}` is not like 7d, 24h, 30m")),
    };
    n.checked_mul(unit)
        .ok_or_else(|| format!("--since: `{text}` is too long"))
}

/// Runs `exllm usage`; the exit code.
pub async fn run(args: UsageArgs) -> u8 {
    match report(&args) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("exllm usage: {e}");
            crate::EXIT_CONFIG
        }
    }
}

fn report(args: &UsageArgs) -> Result<(), String> {
    let by: GroupBy = args.by.parse().map_err(|e| format!("--by: {e}"))?;
    let span = span_secs(&args.since)?;
    let db = args.db.as_ref().ok_or(
        "no usage log: give --db FILE or set EXLLM_USAGE_LOG (which also turns logging on)",
    )?;
    if !db.is_file() {
        return Err(format!(
            "{} does not exist (set EXLLM_USAGE_LOG to record calls)",
            db.display()
        ));
    }
    let log = UsageLog::open(db).map_err(|e| e.to_string())?;
    let now = exllm::usage::now_ms();
    let records = log.since(now - span * 1000).map_err(|e| e.to_string())?;
    let rows = summarize(&records, by);
    let catalog = Catalog::shared();
    let savings = recommend(&records, &catalog, args.any_provider, 3);
    let days = u32::try_from(span.div_euclid(86_400).max(1)).unwrap_or(u32::MAX);
    let fc = forecast(&records, now, days);
    if args.json {
        let v = serde_json::json!({
            "since": args.since, "by": args.by, "calls": records.len(),
            "rows": rows, "recommendations": savings, "forecast": fc,
        });
        println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
        return Ok(());
    }
    let money = |usd: f64| format!("{usd:.6}");
    let table: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                r.key.clone(),
                r.calls.to_string(),
                r.errors.to_string(),
                r.input_tokens.to_string(),
                r.output_tokens.to_string(),
                r.cache_read_tokens.to_string(),
                money(r.cost_usd),
                r.avg_latency_ms.to_string(),
            ]
        })
        .collect();
    let head = args.by.to_uppercase();
    crate::output::table(
        &[
            &head, "CALLS", "ERRORS", "IN", "OUT", "CACHED", "USD", "AVG MS",
        ],
        &table,
    );
    if !savings.is_empty() {
        println!("\nCheaper models with the same capabilities and enough context:");
        let table: Vec<Vec<String>> = savings
            .iter()
            .map(|s| {
                vec![
                    s.model.clone(),
                    s.suggestion.clone(),
                    money(s.actual_usd),
                    money(s.would_cost_usd),
                    format!("{} ({:.0}%)", money(s.saving_usd), s.saving_pct),
                ]
            })
            .collect();
        crate::output::table(
            &["USED", "INSTEAD", "SPENT", "WOULD COST", "SAVING"],
            &table,
        );
    }
    println!(
        "\nSpent ${:.4} in {} day(s), ${:.4}/day, trend {:+.4}/day: next 30 days ~${:.2} (${:.2} at the average)",
        fc.spent_usd,
        fc.days,
        fc.daily_average_usd,
        fc.trend_usd_per_day,
        fc.next_30_days_usd,
        fc.at_average_usd
    );
    Ok(())
}
