//! `exllm keys`: virtual keys of a running gateway, through its admin API (`/key/*`) with
//! the master key from `EXLLM_MASTER_KEY`. The new key is printed once, by `create` and
//! `rotate`; nothing else ever shows it.

use clap::{Args, Subcommand};
use serde_json::{json, Value};

/// Arguments of `exllm keys`.
#[derive(Args)]
#[command(after_help = "Examples:
  export EXLLM_MASTER_KEY=sk-...
  exllm keys create --alias ci --team research --model gpt-4o-mini --budget 5 --budget-period 1d --rpm 60
  exllm keys list --json
  exllm keys rotate key_3f9a... --grace 1h
  exllm keys revoke key_3f9a...")]
pub struct KeysArgs {
    #[command(subcommand)]
    command: KeysCommand,
    /// The gateway's address.
    #[arg(
        long,
        global = true,
        env = "EXLLM_GATEWAY_URL",
        default_value = "http://127.0.0.1:4000"
    )]
    url: String,
    /// Print JSON instead of a table.
    #[arg(long, global = true)]
    json: bool,
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Make a key (printed once).
    Create(CreateArgs),
    /// List keys (never the keys themselves).
    List {
        /// Only this team's.
        #[arg(long)]
        team: Option<String>,
    },
    /// Show one key's record and spend.
    Info {
        /// The key's id.
        id: String,
    },
    /// Revoke keys; they are refused at once.
    Revoke {
        /// Key ids.
        #[arg(required = true)]
        ids: Vec<String>,
    },
    /// Give a key a new secret (budget, limits and spend stay).
    Rotate {
        /// The key's id.
        id: String,
        /// How long the old secret keeps working (`1h`, `1d`); none: revoked at once.
        #[arg(long)]
        grace: Option<String>,
    },
}

#[derive(Args)]
struct CreateArgs {
    /// A name for people.
    #[arg(long)]
    alias: Option<String>,
    /// Its team (whose budget and limits also apply).
    #[arg(long)]
    team: Option<String>,
    /// A model name or group it may use (repeat; none: all).
    #[arg(long = "model")]
    models: Vec<String>,
    /// How long it lives (`30d`, `12h`).
    #[arg(long)]
    expires: Option<String>,
    /// Budget in USD.
    #[arg(long)]
    budget: Option<f64>,
    /// The budget's period: `1d`, `1mo`, or none for a total.
    #[arg(long)]
    budget_period: Option<String>,
    /// Requests per minute.
    #[arg(long)]
    rpm: Option<u32>,
    /// Tokens per minute.
    #[arg(long)]
    tpm: Option<u64>,
    /// Metadata, a JSON object.
    #[arg(long)]
    metadata: Option<String>,
}

/// Calls the admin API: `GET` without a body, else `POST`.
pub(crate) async fn admin(url: &str, path: &str, body: Option<&Value>) -> Result<Value, String> {
    let key = std::env::var("EXLLM_MASTER_KEY")
        .ok()
        .filter(|k| !k.is_empty())
        .ok_or("set EXLLM_MASTER_KEY to the gateway's master key")?;
    let client = reqwest::Client::new();
    let full = format!("{}{path}", url.trim_end_matches('/'));
    let req = match body {
        None => client.get(&full),
        Some(b) => client
            .post(&full)
            .header("content-type", "application/json")
            .body(b.to_string()),
    };
    let resp = req
        .bearer_auth(key)
        .send()
        .await
        .map_err(|e| format!("cannot reach {url}: {e}"))?;
    let status = resp.status();
    let text = resp.text().await.map_err(|e| format!("{url}: {e}"))?;
    let v: Value = serde_json::from_str(&text).unwrap_or(Value::String(text));
    if !status.is_success() {
        let msg = v["error"]["message"]
            .as_str()
            .map_or_else(|| v.to_string(), str::to_owned);
        return Err(format!("{status}: {msg}"));
    }
    Ok(v)
}

fn cell(v: &Value) -> String {
    match v {
        Value::Null => "-".into(),
        Value::String(s) => s.clone(),
        Value::Array(a) if a.is_empty() => "all".into(),
        Value::Array(a) => a.iter().map(cell).collect::<Vec<_>>().join(","),
        other => other.to_string(),
    }
}

fn print_keys(keys: &[Value]) {
    let rows: Vec<Vec<String>> = keys
        .iter()
        .map(|k| {
            let state = if !k["revoked_at"].is_null() {
                "revoked"
            } else {
                "live"
            };
            vec![
                cell(&k["id"]),
                cell(&k["hint"]),
                cell(&k["alias"]),
                cell(&k["team"]),
                cell(&k["models"]),
                cell(&k["limits"]["max_budget"]),
                format!("{:.6}", k["spend"].as_f64().unwrap_or(0.0)),
                state.into(),
            ]
        })
        .collect();
    crate::output::table(
        &[
            "ID", "KEY", "ALIAS", "TEAM", "MODELS", "BUDGET", "SPENT", "STATE",
        ],
        &rows,
    );
}

/// Runs `exllm keys`; the exit code.
pub async fn run(args: KeysArgs) -> u8 {
    match run_inner(&args).await {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("exllm keys: {e}");
            1
        }
    }
}

async fn run_inner(args: &KeysArgs) -> Result<(), String> {
    let url = &args.url;
    let v = match &args.command {
        KeysCommand::Create(c) => {
            let metadata: Option<Value> = match &c.metadata {
                Some(m) => Some(serde_json::from_str(m).map_err(|e| format!("--metadata: {e}"))?),
                None => None,
            };
            let body = json!({"key_alias": c.alias, "team_id": c.team, "models": c.models,
                "duration": c.expires, "max_budget": c.budget, "budget_duration": c.budget_period,
                "rpm_limit": c.rpm, "tpm_limit": c.tpm, "metadata": metadata});
            let v = admin(url, "/key/generate", Some(&body)).await?;
            if !args.json {
                println!("{}", cell(&v["key"]));
                eprintln!("id {} (the key is shown only this once)", cell(&v["id"]));
                return Ok(());
            }
            v
        }
        KeysCommand::List { team } => {
            let path = match team {
                Some(t) => format!("/key/list?team_id={}", encode(t)),
                None => "/key/list".into(),
            };
            let v = admin(url, &path, None).await?;
            if !args.json {
                print_keys(v["keys"].as_array().map_or(&[][..], Vec::as_slice));
                return Ok(());
            }
            v
        }
        KeysCommand::Info { id } => {
            let v = admin(url, &format!("/key/info?key={}", encode(id)), None).await?;
            if !args.json {
                print_keys(std::slice::from_ref(&v["info"]));
                return Ok(());
            }
            v
        }
        KeysCommand::Revoke { ids } => {
            let v = admin(url, "/key/delete", Some(&json!({"keys": ids}))).await?;
            if !args.json {
                for id in v["deleted_keys"].as_array().into_iter().flatten() {
                    println!("revoked {}", cell(id));
                }
                return Ok(());
            }
            v
        }
        KeysCommand::Rotate { id, grace } => {
            let body = json!({"key": id, "grace_period": grace});
            let v = admin(url, "/key/regenerate", Some(&body)).await?;
            if !args.json {
                println!("{}", cell(&v["key"]));
                return Ok(());
            }
            v
        }
    };
    println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
    Ok(())
}

/// Percent-encodes a query value.
pub(crate) fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
