//! `exllm ollama ...`: Ollama's model management from the command line, with progress bars for
//! pull, push, create and blob uploads.

use crate::ollama_print as print;
use crate::output;
use clap::{Args, Subcommand};
use exllm::ollama::{describe, Ollama, ProgressStream};
use exllm::{Error, ErrorKind};
use futures_util::StreamExt;
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{json, Value};
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Args)]
pub struct OllamaArgs {
    /// The server (default: OLLAMA_HOST, else http://localhost:11434).
    #[arg(long, global = true)]
    host: Option<String>,
    /// Print one JSON object instead of tables and bars.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: OllamaCommand,
}

#[derive(Subcommand)]
enum OllamaCommand {
    /// Models on the server.
    List,
    /// Models loaded in memory.
    Ps,
    /// The server's version.
    Version,
    /// A model's details, parameters and template.
    Show {
        /// The model.
        model: String,
        /// Include the full model info (named apart from the global -v/--verbose, whose
        /// name it shared and which made `show` panic).
        #[arg(long)]
        full: bool,
    },
    /// Download a model.
    Pull {
        /// The model.
        model: String,
        /// Allow an insecure registry.
        #[arg(long)]
        insecure: bool,
    },
    /// Upload a model to a registry.
    Push {
        /// The model.
        model: String,
        /// Allow an insecure registry.
        #[arg(long)]
        insecure: bool,
    },
    /// Copy a model under a new name.
    Copy {
        /// Existing model.
        source: String,
        /// New name.
        destination: String,
    },
    /// Delete a model.
    Delete {
        /// The model.
        model: String,
    },
    /// Create a model from a JSON spec (`from`, `files`, `system`, `parameters`, ...), with
    /// `--file NAME=PATH` blobs uploaded first.
    Create {
        /// The new model's name.
        model: String,
        /// Base model to build on.
        #[arg(long)]
        from: Option<String>,
        /// A system prompt.
        #[arg(long)]
        system: Option<String>,
        /// A file of the model (GGUF, safetensors ...) as NAME=PATH; uploaded as a blob.
        #[arg(long = "file", value_name = "NAME=PATH")]
        files: Vec<String>,
        /// Quantize to this type (q4_K_M, q8_0, ...).
        #[arg(long)]
        quantize: Option<String>,
    },
    /// Upload a file as a blob (streamed, sha256 computed on the way) and print its digest.
    BlobPush {
        /// The file.
        path: PathBuf,
    },
}

fn bar(json: bool) -> ProgressBar {
    if json {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template(
            "{msg:30} {bar:30} {bytes}/{total_bytes} {bytes_per_sec} {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar
}

/// Follows a progress stream, drawing one bar per layer (none with `--json`, which prints
/// only the final status, as one object like every other command).
async fn follow(mut stream: ProgressStream, json: bool) -> Result<Value, Error> {
    let bar = bar(json);
    let mut last = String::new();
    while let Some(p) = stream.next().await {
        let p = p?;
        match (p.total, p.completed) {
            (Some(t), c) => {
                bar.set_length(t);
                bar.set_position(c.unwrap_or(0));
            }
            _ => bar.set_length(0),
        }
        bar.set_message(p.status.clone());
        last = describe(&p);
    }
    bar.finish_with_message(last.clone());
    Ok(json!({ "status": last }))
}

async fn blob(ollama: &Ollama, path: &std::path::Path, json: bool) -> Result<String, Error> {
    let bar = Arc::new(bar(json));
    bar.set_message(format!("{}", path.display()));
    let b = bar.clone();
    let digest = ollama
        .push_blob(path, move |done, total| {
            b.set_length(total);
            b.set_position(done);
        })
        .await?;
    bar.finish_with_message(digest.clone());
    Ok(digest)
}

async fn exec(args: &OllamaArgs, ollama: &Ollama) -> Result<Value, Error> {
    let json = args.json;
    Ok(match &args.command {
        OllamaCommand::List => {
            let models = ollama.list().await?;
            if !json {
                print::list(&models);
            }
            serde_json::to_value(models).unwrap_or_default()
        }
        OllamaCommand::Ps => {
            let models = ollama.ps().await?;
            if !json {
                print::ps(&models);
            }
            serde_json::to_value(models).unwrap_or_default()
        }
        OllamaCommand::Version => {
            let v = ollama.version().await?;
            if !json {
                println!("{v}");
            }
            json!({ "version": v })
        }
        OllamaCommand::Show { model, full } => {
            let v = ollama.show(model, *full).await?;
            if !json {
                print::show(&v);
            }
            v
        }
        OllamaCommand::Pull { model, insecure } => {
            follow(ollama.pull(model, *insecure).await?, json).await?
        }
        OllamaCommand::Push { model, insecure } => {
            follow(ollama.push(model, *insecure).await?, json).await?
        }
        OllamaCommand::Copy {
            source,
            destination,
        } => {
            ollama.copy(source, destination).await?;
            if !json {
                output::emit(format!("copied {source} to {destination}"));
            }
            json!({ "copied": destination })
        }
        OllamaCommand::Delete { model } => {
            ollama.delete(model).await?;
            if !json {
                output::emit(format!("deleted {model}"));
            }
            json!({ "deleted": model })
        }
        OllamaCommand::Create {
            model,
            from,
            system,
            files,
            quantize,
        } => {
            let mut spec = exllm::JsonMap::new();
            if let Some(f) = from {
                spec.insert("from".into(), f.clone().into());
            }
            if let Some(s) = system {
                spec.insert("system".into(), s.clone().into());
            }
            if let Some(q) = quantize {
                spec.insert("quantize".into(), q.clone().into());
            }
            let mut blobs = exllm::JsonMap::new();
            for f in files {
                let (name, path) = f.split_once('=').ok_or_else(|| {
                    Error::new(
                        ErrorKind::InvalidInput,
                        format!("--file takes NAME=PATH, got `{f}`"),
                    )
                })?;
                let digest = blob(ollama, std::path::Path::new(path), json).await?;
                blobs.insert(name.to_owned(), digest.into());
            }
            if !blobs.is_empty() {
                spec.insert("files".into(), Value::Object(blobs));
            }
            follow(ollama.create(model, spec).await?, json).await?
        }
        OllamaCommand::BlobPush { path } => {
            let digest = blob(ollama, path, json).await?;
            if !json {
                println!("{digest}");
            }
            json!({ "digest": digest })
        }
    })
}

pub async fn run(args: OllamaArgs) -> u8 {
    let ollama = match &args.host {
        Some(h) => Ollama::new(h.clone()),
        None => Ollama::from_env(),
    };
    let result = match ollama {
        Ok(o) => exec(&args, &o).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(v) => {
            if args.json {
                output::emit(v);
            }
            0
        }
        Err(e) => output::report(&e, args.json),
    }
}
