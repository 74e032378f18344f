//! `exllm files`: a provider's file store — upload (streamed from disk, with a progress bar on
//! a terminal), list, get, delete, and content (streamed to a file or stdout).

use crate::output;
use clap::{Args, Subcommand};
use exllm::{Error, FileObject};
use futures_util::StreamExt;
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Args)]
pub struct FilesArgs {
    #[command(subcommand)]
    command: FilesCommand,
}

/// The provider and how to print.
#[derive(Args)]
struct Common {
    /// The provider (openai, azure, groq, mistral, anthropic, gemini, ...).
    #[arg(short, long)]
    provider: String,
    /// The provider's base URL, replacing its default (include the version path).
    #[arg(long)]
    base_url: Option<String>,
    /// Print exactly one JSON object.
    #[arg(long)]
    json: bool,
}

#[derive(Subcommand)]
enum FilesCommand {
    /// Upload a file.
    Upload {
        /// The file.
        file: PathBuf,
        /// What it is for (OpenAI: batch, user_data, fine-tune, ...; default user_data).
        #[arg(long)]
        purpose: Option<String>,
        #[command(flatten)]
        common: Common,
    },
    /// List the stored files.
    List {
        /// At most this many.
        #[arg(long)]
        limit: Option<u32>,
        /// After this file id (the next page).
        #[arg(long)]
        after: Option<String>,
        #[command(flatten)]
        common: Common,
    },
    /// One file's metadata.
    Get {
        /// The file id.
        id: String,
        #[command(flatten)]
        common: Common,
    },
    /// Delete a file.
    Delete {
        /// The file id.
        id: String,
        #[command(flatten)]
        common: Common,
    },
    /// A file's content, to --out or stdout.
    Content {
        /// The file id.
        id: String,
        /// Write it here rather than to stdout.
        #[arg(short, long)]
        out: Option<PathBuf>,
        #[command(flatten)]
        common: Common,
    },
}

pub async fn run(args: FilesArgs) -> u8 {
    let json = match &args.command {
        FilesCommand::Upload { common, .. }
        | FilesCommand::List { common, .. }
        | FilesCommand::Get { common, .. }
        | FilesCommand::Delete { common, .. }
        | FilesCommand::Content { common, .. } => common.json,
    };
    match dispatch(args.command).await {
        Ok(()) => 0,
        Err(e) => output::report(&e, json),
    }
}

fn store(c: &Common) -> Result<exllm::batch::Files, Error> {
    crate::batch::client(&c.provider, c.base_url.as_deref())?.files(&c.provider)
}

async fn dispatch(cmd: FilesCommand) -> Result<(), Error> {
    match cmd {
        FilesCommand::Upload {
            file,
            purpose,
            common,
        } => {
            let files = store(&common)?;
            // OpenAI-style stores need a purpose; Anthropic's and Gemini's take none.
            let purpose = match common.provider.as_str() {
                "anthropic" | "gemini" => purpose,
                _ => purpose.or_else(|| Some("user_data".into())),
            };
            let bar = upload_bar();
            let b = bar.clone();
            let f = files
                .upload_with_progress(
                    &file,
                    purpose.as_deref(),
                    Arc::new(move |sent, total| {
                        b.set_length(total);
                        b.set_position(sent);
                    }),
                )
                .await;
            bar.finish_and_clear();
            print_file(&f?, common.json);
            Ok(())
        }
        FilesCommand::List {
            limit,
            after,
            common,
        } => {
            let list = store(&common)?.list(limit, after.as_deref()).await?;
            if common.json {
                output::emit(
                    json!({"files": list.files, "has_more": list.has_more, "next": list.next}),
                );
                return Ok(());
            }
            let rows: Vec<Vec<String>> = list.files.iter().map(row).collect();
            output::table(&["ID", "BYTES", "PURPOSE", "FILENAME"], &rows);
            if let Some(next) = &list.next {
                eprintln!("more files follow (--after {next})");
            }
            Ok(())
        }
        FilesCommand::Get { id, common } => {
            print_file(&store(&common)?.get(&id).await?, common.json);
            Ok(())
        }
        FilesCommand::Delete { id, common } => {
            store(&common)?.delete(&id).await?;
            if common.json {
                output::emit(json!({"id": id, "deleted": true}));
            } else {
                output::emit(format!("deleted {id}"));
            }
            Ok(())
        }
        FilesCommand::Content { id, out, common } => {
            let files = store(&common)?;
            match out {
                Some(path) => {
                    let n = files.download(&id, &path).await?;
                    if common.json {
                        output::emit(json!({"id": id, "path": path, "bytes": n}));
                    } else {
                        eprintln!("wrote {n} bytes to {}", path.display());
                    }
                }
                None => {
                    use tokio::io::AsyncWriteExt;
                    let mut chunks = files.content(&id).await?;
                    let mut stdout = tokio::io::stdout();
                    while let Some(chunk) = chunks.next().await {
                        if stdout.write_all(&chunk?).await.is_err() {
                            return Ok(());
                        }
                    }
                    let _ = stdout.flush().await;
                }
            }
            Ok(())
        }
    }
}

fn row(f: &FileObject) -> Vec<String> {
    vec![
        f.id.clone(),
        f.bytes.map_or("-".into(), |b| b.to_string()),
        f.purpose.clone().unwrap_or_else(|| "-".into()),
        f.filename.clone().unwrap_or_else(|| "-".into()),
    ]
}

fn print_file(f: &FileObject, json: bool) {
    if json {
        output::emit(serde_json::to_value(f).unwrap_or_default());
        return;
    }
    output::table(&["ID", "BYTES", "PURPOSE", "FILENAME"], &[row(f)]);
}

/// A byte progress bar on stderr when it is a terminal (hidden otherwise).
pub fn upload_bar() -> ProgressBar {
    use std::io::IsTerminal;
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template(
            "uploading {bar:30} {bytes}/{total_bytes} {bytes_per_sec} {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar
}
