//! `exllm spend`: the gateway's spend ledger, grouped or row by row, read from its SQLite
//! file (`--db`), from its PostgreSQL database (`--postgres`, the ledger several instances
//! share), or through a running gateway's `/spend/logs` (`--url`, with the master key from
//! `EXLLM_MASTER_KEY`).

use clap::Args;
use exllm_gateway::ledger::{SpendQuery, SpendReport};
use std::path::PathBuf;

/// Arguments of `exllm spend`.
#[derive(Args)]
#[command(after_help = "Examples:
  exllm spend --db exllm.db --key key_3f9a... --by model --since 7d
  exllm spend --postgres postgres://exllm@db/exllm --team research --by day
  exllm spend --url http://127.0.0.1:4000 --by team --json")]
pub struct SpendArgs {
    /// Only this key id.
    #[arg(long)]
    key: Option<String>,
    /// Only this team.
    #[arg(long)]
    team: Option<String>,
    /// Group by `model`, `key`, `team`, `deployment` or `day`; none: the rows.
    #[arg(long)]
    by: Option<String>,
    /// Only the last so long (`7d`, `24h`, `30m`).
    #[arg(long)]
    since: Option<String>,
    /// Most rows or groups.
    #[arg(long, default_value_t = 1000)]
    limit: u32,
    /// The gateway's database file.
    #[arg(long, conflicts_with_all = ["url", "postgres"])]
    db: Option<PathBuf>,
    /// The gateway's PostgreSQL database (`[governance] postgres_url`; may hold a password,
    /// never printed).
    #[arg(
        long,
        env = "EXLLM_POSTGRES_URL",
        conflicts_with = "url",
        hide_env_values = true
    )]
    postgres: Option<String>,
    /// A running gateway's address.
    #[arg(long, env = "EXLLM_GATEWAY_URL")]
    url: Option<String>,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

fn ago(text: &str) -> Result<i64, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (n, unit) = t.split_at(split);
    let n: i64 = n
        .parse()
        .map_err(|_| format!("--since: `{text}` is not like 7d"))?;
    let unit = match unit {
        "d" => 86_400,
        "h" => 3600,
        "m" => 60,
        "s" | "" => 1,
        _ => return Err(format!("--since: `{text}` is not like 7d, 24h, 30m")),
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    Ok(now - n * unit)
}

/// Runs `exllm spend`; the exit code.
pub async fn run(args: SpendArgs) -> u8 {
    match report(&args).await {
        Ok(r) => {
            print(&r, args.json);
            0
        }
        Err(e) => {
            eprintln!("exllm spend: {e}");
            1
        }
    }
}

async fn report(args: &SpendArgs) -> Result<SpendReport, String> {
    let since = args.since.as_deref().map(ago).transpose()?;
    let q = SpendQuery {
        key: args.key.clone(),
        team: args.team.clone(),
        since,
        by: args.by.clone(),
        limit: Some(args.limit),
    };
    if let Some(db) = &args.db {
        if !db.is_file() {
            return Err(format!("{} does not exist", db.display()));
        }
        return exllm_gateway::ledger::query(db, &q);
    }
    if let Some(url) = &args.postgres {
        return postgres(url.clone(), q).await;
    }
    let url = args
        .url
        .as_deref()
        .ok_or("give --db FILE, --postgres URL or --url of a running gateway")?;
    let mut params = vec![format!("limit={}", args.limit)];
    let enc = crate::keys::encode;
    if let Some(k) = &q.key {
        params.push(format!("key={}", enc(k)));
    }
    if let Some(t) = &q.team {
        params.push(format!("team={}", enc(t)));
    }
    if let Some(b) = &q.by {
        params.push(format!("by={}", enc(b)));
    }
    if let Some(s) = since {
        params.push(format!("since={s}"));
    }
    let v = crate::keys::admin(url, &format!("/spend/logs?{}", params.join("&")), None).await?;
    serde_json::from_value(v).map_err(|e| format!("{url}: unexpected answer: {e}"))
}

#[cfg(feature = "postgres")]
async fn postgres(url: String, q: SpendQuery) -> Result<SpendReport, String> {
    // The ledger's PostgreSQL calls block on a runtime of their own.
    tokio::task::spawn_blocking(move || exllm_gateway::ledger::query_postgres(&url, &q))
        .await
        .map_err(|e| format!("the PostgreSQL query stopped: {e}"))?
}

#[cfg(not(feature = "postgres"))]
async fn postgres(_url: String, _q: SpendQuery) -> Result<SpendReport, String> {
    Err("this build reads no PostgreSQL ledger: build exllm with the `postgres` feature".into())
}

fn print(r: &SpendReport, json: bool) {
    if json {
        println!("{}", serde_json::to_string_pretty(r).unwrap_or_default());
        return;
    }
    if !r.groups.is_empty() || r.rows.is_empty() {
        let rows: Vec<Vec<String>> = r
            .groups
            .iter()
            .map(|g| {
                vec![
                    g.group.clone(),
                    g.requests.to_string(),
                    g.input_tokens.to_string(),
                    g.output_tokens.to_string(),
                    format!("{:.6}", g.cost_usd),
                ]
            })
            .collect();
        crate::output::table(&["GROUP", "REQUESTS", "IN", "OUT", "USD"], &rows);
        return;
    }
    let rows: Vec<Vec<String>> = r
        .rows
        .iter()
        .map(|x| {
            vec![
                exllm_gateway::keys::rfc3339(x.time_ms / 1000),
                x.key_id.clone().unwrap_or_else(|| "(master)".into()),
                x.team.clone().unwrap_or_default(),
                x.model.clone(),
                x.input_tokens.to_string(),
                x.output_tokens.to_string(),
                format!("{:.6}", x.cost_usd),
                x.latency_ms.to_string(),
                x.status.to_string(),
            ]
        })
        .collect();
    crate::output::table(
        &[
            "TIME", "KEY", "TEAM", "MODEL", "IN", "OUT", "USD", "MS", "STATUS",
        ],
        &rows,
    );
}
