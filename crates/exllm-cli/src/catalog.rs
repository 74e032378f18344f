//! `exllm catalog sync` and `exllm catalog show`: refresh the user's model catalog from
//! LiteLLM's data (written where the library reads it), and show one entry.

use crate::output;
use clap::{Args, Subcommand};
use exllm::catalog::{Catalog, ModelEntry};
use exllm::{Error, ErrorKind};
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
        /// Where to write (default: where the catalog is read from at run time, overriding
        /// the built-in one: EXLLM_CATALOG, else $XDG_CONFIG_HOME/exllm/models, else
        /// ~/.config/exllm/models).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Show one model's catalog entry.
    Show {
        /// provider/model, provider/alias or a bare model id.
        model: String,
        /// Print the whole entry as one JSON object.
        #[arg(long)]
        json: bool,
    },
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

/// The directory `sync` writes when no `--out` is given: the one the library reads.
fn default_dir() -> Result<PathBuf, Error> {
    let dir = exllm::catalog::user_catalog_path().ok_or_else(|| {
        Error::new(
            ErrorKind::Config,
            "no --out, and no EXLLM_CATALOG, XDG_CONFIG_HOME or HOME to say where the catalog lives",
        )
    })?;
    if dir.is_file() {
        return Err(Error::new(
            ErrorKind::Config,
            format!(
                "EXLLM_CATALOG names a file ({}); sync writes a directory: pass --out DIR or point EXLLM_CATALOG at a directory",
                dir.display()
            ),
        ));
    }
    Ok(dir)
}

async fn sync(from: &str, out: Option<PathBuf>) -> Result<(), Error> {
    let text = read_source(from).await?;
    let files = exllm::catalog::sync(&text)?;
    let dir = match out {
        Some(d) => d,
        None => default_dir()?,
    };
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
    let (result, json) = match args.command {
        CatalogCommand::Sync { from, out } => (sync(&from, out).await, false),
        CatalogCommand::Show { model, json } => (show(&model, json), json),
    };
    match result {
        Ok(()) => 0,
        Err(e) => output::report(&e, json),
    }
}

fn show(name: &str, json: bool) -> Result<(), Error> {
    let catalog = Catalog::load()?;
    let m = catalog.model(name).ok_or_else(|| {
        Error::new(
            ErrorKind::NotFound,
            format!("`{name}` is not in the catalog"),
        )
    })?;
    if json {
        let mut v = serde_json::to_value(m).unwrap_or_default();
        crate::money::round_json(&mut v);
        output::emit(v);
    } else {
        describe(m);
    }
    Ok(())
}

/// An entry for people: one `field: value` line each, known values only.
fn describe(m: &ModelEntry) {
    let info = m.info();
    let tokens = |n: Option<u64>| n.map(|n| format!("{n} tokens"));
    let per_1m = |p: Option<f64>| p.map(|p| format!("{} $/1M tokens", crate::money::amount(p)));
    let list = |v: &[String]| (!v.is_empty()).then(|| v.join(", "));
    let rows = [
        ("model", Some(info.name.clone())),
        ("aliases", list(&m.aliases)),
        ("mode", info.mode.clone()),
        ("context", tokens(info.context_window)),
        ("max output", tokens(info.max_output_tokens)),
        ("input", per_1m(info.input_per_1m)),
        ("cached input", per_1m(info.cached_input_per_1m)),
        ("output", per_1m(info.output_per_1m)),
        ("features", list(&info.features)),
        ("lacks", list(&info.lacks)),
        ("retires", info.deprecation_date.clone()),
        ("successor", m.successor_model.clone()),
        ("source", m.source.clone()),
    ];
    let width = rows.iter().map(|(k, _)| k.len()).max().unwrap_or(0) + 1;
    for (key, value) in rows {
        if let Some(v) = value {
            output::emit(format!("{:<width$} {v}", format!("{key}:")));
        }
    }
}
