//! `exllm catalog sync` and `exllm cost`: refresh the model catalog from LiteLLM's data, and
//! price a call from token counts.

use crate::output;
use clap::{Args, Subcommand};
use exllm::catalog::{Catalog, CostOptions};
use exllm::{Error, ErrorKind, Usage};
use std::path::{Path, PathBuf};

#[derive(Args)]
pub struct CatalogArgs {
    #[command(subcommand)]
    command: CatalogCommand,
}

#[derive(Subcommand)]
enum CatalogCommand {
    /// Convert LiteLLM's model_prices_and_context_window.json (a path or an http(s) URL) into
    /// one catalog file per provider.
    Sync {
        /// The LiteLLM JSON file or URL.
        #[arg(long)]
        from: String,
        /// Where to write (default: ~/.config/exllm/models, which overrides the built-in
        /// catalog at run time).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Show one model's catalog entry.
    Show {
        /// provider/model.
        model: String,
    },
}

#[derive(Args)]
pub struct CostArgs {
    /// provider/model.
    #[arg(short, long)]
    model: String,
    /// Prompt tokens, cached ones included.
    #[arg(long, default_value_t = 0)]
    input: u64,
    /// Generated tokens, reasoning included.
    #[arg(long, default_value_t = 0)]
    output: u64,
    /// Prompt tokens read from the cache.
    #[arg(long)]
    cached: Option<u64>,
    /// Prompt tokens written to the cache.
    #[arg(long)]
    cache_write: Option<u64>,
    /// Reasoning tokens.
    #[arg(long)]
    reasoning: Option<u64>,
    /// Priced as a batch call.
    #[arg(long)]
    batch: bool,
}

async fn read_source(from: &str) -> Result<String, Error> {
    if from.starts_with("http://") || from.starts_with("https://") {
        let fail = |e: String| Error::new(ErrorKind::Network, format!("cannot fetch {from}: {e}"));
        let resp = reqwest_get(from).await.map_err(fail)?;
        return Ok(resp);
    }
    std::fs::read_to_string(from)
        .map_err(|e| Error::new(ErrorKind::InvalidInput, format!("cannot read {from}: {e}")))
}

async fn reqwest_get(url: &str) -> Result<String, String> {
    let http =
        exllm::transport::HttpTransport::new(Default::default()).map_err(|e| e.to_string())?;
    http.get_text(url).await.map_err(|e| e.to_string())
}

/// Writes `text` to `path` through a temporary file, so a crash leaves the old file whole.
fn write_atomic(path: &Path, text: &str) -> Result<(), Error> {
    let io = |e: std::io::Error| {
        Error::new(
            ErrorKind::Config,
            format!("cannot write {}: {e}", path.display()),
        )
    };
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, text).map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)
}

fn user_dir() -> Option<PathBuf> {
    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config/exllm/models"))
}

async fn sync(from: &str, out: Option<PathBuf>) -> Result<(), Error> {
    let text = read_source(from).await?;
    let files = exllm::catalog::sync(&text)?;
    let dir = out.or_else(user_dir).ok_or_else(|| {
        Error::new(
            ErrorKind::Config,
            "no --out and no HOME to write ~/.config/exllm/models",
        )
    })?;
    std::fs::create_dir_all(&dir).map_err(|e| {
        Error::new(
            ErrorKind::Config,
            format!("cannot create {}: {e}", dir.display()),
        )
    })?;
    for (provider, body) in &files {
        write_atomic(&dir.join(format!("{provider}.json")), body)?;
    }
    eprintln!(
        "exllm: wrote {} provider files to {}",
        files.len(),
        dir.display()
    );
    Ok(())
}

pub async fn run(args: CatalogArgs) -> u8 {
    let result = match args.command {
        CatalogCommand::Sync { from, out } => sync(&from, out).await,
        CatalogCommand::Show { model } => Catalog::load().and_then(|c| {
            let m = c.model(&model).ok_or_else(|| {
                Error::new(
                    ErrorKind::NotFound,
                    format!("`{model}` is not in the catalog"),
                )
            })?;
            println!("{}", serde_json::to_string_pretty(m).unwrap_or_default());
            Ok(())
        }),
    };
    match result {
        Ok(()) => 0,
        Err(e) => output::report(&e, false),
    }
}

pub async fn cost(args: CostArgs) -> u8 {
    let usage = Usage {
        input_tokens: Some(args.input),
        output_tokens: Some(args.output),
        cache_read_tokens: args.cached,
        cache_write_tokens: args.cache_write,
        reasoning_tokens: args.reasoning,
        details: Default::default(),
        raw: None,
    };
    let opts = CostOptions {
        batch: args.batch,
        ..Default::default()
    };
    match Catalog::load() {
        Ok(c) => match c.model(&args.model) {
            Some(m) => {
                let cost = m.cost(&usage, opts);
                println!(
                    "{}",
                    serde_json::to_string_pretty(&cost).unwrap_or_default()
                );
                0
            }
            None => output::report(
                &Error::new(
                    ErrorKind::NotFound,
                    format!("`{}` is not in the catalog", args.model),
                ),
                false,
            ),
        },
        Err(e) => output::report(&e, false),
    }
}
