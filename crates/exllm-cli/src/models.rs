//! `exllm models`: the known providers, one provider's live model list, or the model catalog
//! filtered by feature, price, context and mode.
//!
//! Which list is shown follows from the flags, so the plain forms keep their old meaning:
//! no flags lists the providers; `--provider X` alone is X's live list; any catalog flag
//! (`--catalog`, `--feature`, `--max-input-cost`, `--sort`, ...) lists the catalog (the
//! embedded one plus the user's files), narrowed to `--provider` when given; `--live` joins
//! the live list with the catalog so each live model shows its price and features, or that
//! the catalog does not know it; `--providers` shows what each provider offers.

use crate::output::{self, emit, price, print_provider_keys, print_providers, table};
use clap::{Args, ValueEnum};
use exllm::catalog::{Catalog, Filter, ModelEntry};
use exllm::{Client, Error};
use serde_json::{json, Value};

#[derive(Args)]
pub struct ModelsArgs {
    /// The provider: its live `/models` list, or its catalog models with catalog flags.
    #[arg(short, long)]
    provider: Option<String>,
    /// Base URL for the provider (including its version path).
    #[arg(long)]
    base_url: Option<String>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
    /// List the model catalog (implied by the filters and --sort).
    #[arg(long)]
    catalog: bool,
    /// Only models with this feature (vision, tools, json_schema, reasoning, pdf_input, ...);
    /// repeat for several.
    #[arg(long = "feature", value_name = "NAME")]
    features: Vec<String>,
    /// Only models whose input costs at most this, USD per million tokens.
    #[arg(long, value_name = "USD", value_parser = usd)]
    max_input_cost: Option<f64>,
    /// Only models whose output costs at most this, USD per million tokens.
    #[arg(long, value_name = "USD", value_parser = usd)]
    max_output_cost: Option<f64>,
    /// Only models taking at least this many input tokens.
    #[arg(long, value_name = "TOKENS")]
    min_context: Option<u64>,
    /// Only this mode (chat, embedding, image_generation, ...) or family (image, audio).
    #[arg(long)]
    mode: Option<String>,
    /// Order: cheapest input first, largest context first, or by name.
    #[arg(long, value_enum)]
    sort: Option<SortKey>,
    /// Join the provider's live model list with the catalog.
    #[arg(long, requires = "provider")]
    live: bool,
    /// What each provider offers: endpoints, auth, live listing, cost data, rate-limit headers.
    #[arg(long, conflicts_with_all = ["provider", "live", "catalog"])]
    providers: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum SortKey {
    Cost,
    Context,
    Name,
}

fn usd(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
        _ => Err(format!("`{s}` is not a price in USD (a number, 0 or more)")),
    }
}

/// One listed model: its name and its catalog entry, when the catalog has one.
struct Row<'a> {
    name: String,
    entry: Option<&'a ModelEntry>,
}

pub async fn run(args: ModelsArgs) -> u8 {
    let filter = Filter {
        features: args.features.clone(),
        mode: args.mode.clone(),
        min_context: args.min_context,
        max_input_cost: args.max_input_cost,
        max_output_cost: args.max_output_cost,
        providers: Vec::new(),
    };
    if args.providers {
        print_providers(args.json);
        return 0;
    }
    let catalog_wanted = args.catalog || !filter.is_empty() || args.sort.is_some();
    match (&args.provider, args.live || catalog_wanted) {
        (None, false) => {
            print_provider_keys(args.json);
            0
        }
        (Some(p), false) => plain_live(p, &args).await,
        _ => match listed(&args, filter).await {
            Ok(code) => code,
            Err(e) => output::report(&e, args.json),
        },
    }
}

async fn live_models(
    provider: &str,
    args: &ModelsArgs,
) -> Result<Vec<exllm::provider::ListedModel>, Error> {
    let mut b = crate::local::register(Client::builder());
    if let Some(url) = &args.base_url {
        b = b.base_url(provider, url.clone());
    }
    b.build()?.list_models(provider).await
}

/// The catalog, or the live list joined with it, filtered, sorted and printed.
async fn listed(args: &ModelsArgs, mut filter: Filter) -> Result<u8, Error> {
    let catalog = Catalog::load()?;
    let mut rows: Vec<Row> = match (&args.provider, args.live) {
        (Some(p), true) => {
            let live = live_models(p, args).await?;
            let keep = |r: &Row| filter.is_empty() || r.entry.is_some_and(|m| filter.matches(m));
            live.iter()
                .map(|m| Row {
                    name: format!("{p}/{}", m.id),
                    entry: catalog.get(p, &m.id).or_else(|| {
                        let bare = m.id.strip_prefix("models/")?;
                        catalog.get(p, bare)
                    }),
                })
                .filter(keep)
                .collect()
        }
        (p, _) => {
            filter.providers.extend(p.iter().cloned());
            let found = catalog.find_models(&filter);
            found
                .into_iter()
                .map(|m| Row {
                    name: m.name(),
                    entry: Some(m),
                })
                .collect()
        }
    };
    sort(&mut rows, args.sort);
    if args.json {
        emit(Value::Array(
            rows.iter().map(|r| row_json(r, args.live)).collect(),
        ));
        return Ok(0);
    }
    let head = [
        "MODEL", "MODE", "CONTEXT", "IN $/1M", "OUT $/1M", "FEATURES",
    ];
    let cells: Vec<Vec<String>> = rows.iter().map(row_cells).collect();
    table(&head, &cells);
    if rows.is_empty() {
        eprintln!("exllm: no model matches");
    }
    Ok(0)
}

fn sort(rows: &mut [Row], key: Option<SortKey>) {
    let input = |r: &Row| r.entry.and_then(ModelEntry::input_per_1m);
    let output = |r: &Row| r.entry.and_then(ModelEntry::output_per_1m);
    let context = |r: &Row| r.entry.and_then(|m| m.context_window);
    match key {
        None => {}
        Some(SortKey::Name) => rows.sort_by(|a, b| a.name.cmp(&b.name)),
        Some(SortKey::Context) => rows.sort_by_key(|r| std::cmp::Reverse(context(r))),
        Some(SortKey::Cost) => rows.sort_by(|a, b| {
            cheaper(input(a), input(b)).then_with(|| cheaper(output(a), output(b)))
        }),
    }
}

/// Known prices first, lowest first.
fn cheaper(a: Option<f64>, b: Option<f64>) -> std::cmp::Ordering {
    use std::cmp::Ordering::*;
    match (a, b) {
        (Some(x), Some(y)) => x.total_cmp(&y),
        (Some(_), None) => Less,
        (None, Some(_)) => Greater,
        (None, None) => Equal,
    }
}

fn row_json(r: &Row, live: bool) -> Value {
    let mut v = match r.entry {
        Some(m) => serde_json::to_value(m.info()).unwrap_or(Value::Null),
        None => json!({"name": r.name}),
    };
    crate::money::round_json(&mut v);
    if live {
        v["in_catalog"] = r.entry.is_some().into();
        v["name"] = r.name.clone().into();
    }
    v
}

fn row_cells(r: &Row) -> Vec<String> {
    let Some(m) = r.entry else {
        return vec![r.name.clone(), "(not in catalog)".into()];
    };
    let features: Vec<&str> = m.features().filter(|f| SHOWN.contains(f)).collect();
    vec![
        r.name.clone(),
        m.mode.clone().unwrap_or_else(|| "-".into()),
        m.context_window.map_or("-".into(), |c| c.to_string()),
        price(m.input_per_1m()),
        price(m.output_per_1m()),
        features.join(","),
    ]
}

/// The features worth a column in the table (`--json` has them all).
const SHOWN: &[&str] = &[
    "vision",
    "function_calling",
    "response_schema",
    "reasoning",
    "pdf_input",
    "prompt_caching",
    "audio_input",
    "audio_output",
    "web_search",
    "computer_use",
];

async fn plain_live(provider: &str, args: &ModelsArgs) -> u8 {
    match live_models(provider, args).await {
        Ok(list) => {
            if args.json {
                let v: Vec<_> = list.iter().map(|m| json!({"id": m.id, "display_name": m.display_name, "owned_by": m.owned_by})).collect();
                emit(Value::Array(v));
            } else {
                for m in list {
                    match &m.display_name {
                        // Local models say what they are and whether they are downloaded.
                        Some(d) if provider == "local" => {
                            emit(format!("{provider}/{:<28} {d}", m.id))
                        }
                        _ => emit(format!("{provider}/{}", m.id)),
                    }
                }
            }
            0
        }
        Err(e) => output::report(&e, args.json),
    }
}
