//! `exllm models`: the known providers, or one provider's live model list.

use crate::output;
use clap::Args;
use exllm::provider::registry::PROVIDERS;
use exllm::Client;
use serde_json::json;

#[derive(Args)]
pub struct ModelsArgs {
    /// List this provider's models from its live `/models` endpoint.
    #[arg(short, long)]
    provider: Option<String>,
    /// Base URL for the provider (including its version path).
    #[arg(long)]
    base_url: Option<String>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

pub async fn run(args: ModelsArgs) -> u8 {
    let Some(provider) = args.provider else {
        let rows: Vec<_> = PROVIDERS
            .iter()
            .map(|p| {
                let key_set = p
                    .key_env
                    .iter()
                    .any(|k| std::env::var_os(k).is_some_and(|v| !v.is_empty()));
                (p, key_set)
            })
            .collect();
        if args.json {
            let v: Vec<_> = rows
                .iter()
                .map(|(p, set)| json!({"provider": p.name, "api": p.api.as_str(), "default_model": p.default_model, "key_env": p.key_env, "configured": *set || !p.key_required}))
                .collect();
            println!("{}", serde_json::Value::Array(v));
        } else {
            println!(
                "{:<18} {:<17} {:<26} DEFAULT MODEL",
                "PROVIDER", "API", "KEY"
            );
            for (p, set) in rows {
                let key = match (p.key_env.first(), set) {
                    (Some(k), true) => format!("{k} (set)"),
                    (Some(k), false) if p.key_required => format!("{k} (missing)"),
                    _ => "not needed".to_owned(),
                };
                println!(
                    "{:<18} {:<17} {:<26} {}",
                    p.name,
                    p.api.as_str(),
                    key,
                    p.default_model
                );
            }
            println!(
                "{:<18} {:<17} {:<26} any model name (echo)",
                "mock", "in-process", "not needed"
            );
            if let Some(m) = crate::local::DEFAULT_MODEL {
                println!(
                    "{:<18} {:<17} {:<26} {m} (no key: the fallback)",
                    "local", "in-process", "not needed"
                );
            }
        }
        return 0;
    };
    let mut b = crate::local::register(Client::builder());
    if let Some(url) = &args.base_url {
        b = b.base_url(&provider, url.clone());
    }
    let models = match b.build() {
        Ok(c) => c.list_models(&provider).await,
        Err(e) => Err(e),
    };
    match models {
        Ok(list) => {
            if args.json {
                let v: Vec<_> = list.iter().map(|m| json!({"id": m.id, "display_name": m.display_name, "owned_by": m.owned_by})).collect();
                println!("{}", serde_json::Value::Array(v));
            } else {
                for m in list {
                    match &m.display_name {
                        // Local models say what they are and whether they are downloaded.
                        Some(d) if provider == "local" => println!("{provider}/{:<28} {d}", m.id),
                        _ => println!("{provider}/{}", m.id),
                    }
                }
            }
            0
        }
        Err(e) => output::report(&e, args.json),
    }
}
