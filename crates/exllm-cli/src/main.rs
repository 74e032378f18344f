//! `exllm`: the command-line face of the library, built only on its public API.

mod batch;
mod batch_input;
mod batch_print;
mod caller;
mod catalog;
mod chat;
mod chat_media;
mod compare;
mod cost;
mod demo;
mod demo_more;
mod demo_steps;
mod embed;
mod files;
mod guardrails;
mod health;
mod image;
mod keys;
mod local;
mod models;
mod moderate;
mod money;
mod ollama;
mod ollama_print;
mod output;
mod repl;
mod repl_input;
mod rerank;
mod route;
mod router_config;
mod serve;
mod service;
mod session;
mod shell;
mod speak;
mod spend;
mod tokens;
mod transcribe;
mod usage;

use clap::{CommandFactory, Parser, Subcommand};
use std::process::ExitCode;

/// Talk to any large-language-model provider through one interface.
#[derive(Parser)]
#[command(name = "exllm", version, about, long_about = None)]
#[command(after_help = "Examples:
  exllm chat \"Hello\"                                   the configured default model
  exllm chat -m anthropic/claude-sonnet-4-5 --stream \"Write a haiku\"
  echo \"Summarise this\" | exllm chat -m openai/gpt-4o-mini
  exllm chat -m groq/qwen/qwen3-32b --json \"2+2?\"     one JSON object on stdout
  exllm compare -m openai/gpt-4o-mini -m anthropic/claude-haiku-4-5 \"Explain TCP\"
  exllm models --provider openai                      the provider's live model list
  exllm chat -m local/smollm2-135m-instruct \"Hi\"    in-process, no key (the keyless default)
  exllm local info                                    CPU features, threads, CUDA/Metal
  exllm chat --session work \"Go on\"                   continue a saved conversation
  exllm chat -i -m openai/gpt-4o-mini                 interactive (/model, /system, /save, /cost, /quit)
  exllm completions bash > ~/.local/share/bash-completion/completions/exllm

Environment: OPENAI_API_KEY, ANTHROPIC_API_KEY, GROQ_API_KEY, ... select and authenticate
providers; EXLLM_MODEL sets the default model; EXLLM_LOG=debug shows what happens;
EXLLM_SESSIONS_DIR holds saved sessions; EXLLM_CACHE_DIR holds local model weights;
EXLLM_LOCAL_THREADS sets their CPU threads; OTEL_EXPORTER_OTLP_ENDPOINT exports spans and
metrics to an OpenTelemetry collector (builds with the `otlp` feature); EXLLM_HISTORY is the
`chat -i` history file; NO_COLOR turns colour off.")]
struct Cli {
    /// More logging on stderr (-v info, -vv debug).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Send a prompt and print the answer.
    Chat(chat::ChatArgs),
    /// Send one prompt to several models at once; answers side by side with timings and cost.
    Compare(compare::CompareArgs),
    /// List providers, or a provider's models.
    Models(models::ModelsArgs),
    /// Local models: hardware detection, fetching, cache.
    #[cfg(feature = "local")]
    Local(local::LocalArgs),
    /// Embed texts (any provider; the local model by default); prints vectors as JSON.
    Embed(embed::EmbedArgs),
    /// The lines of a file most similar to a query (embedding cosine similarity).
    Similar(embed::SimilarArgs),
    /// Order documents by relevance to a query (Cohere, Voyage, Jina, Together, ...).
    Rerank(rerank::RerankArgs),
    /// Generate images from a prompt.
    Image(image::ImageArgs),
    /// Transcribe (or translate into English) an audio file.
    Transcribe(transcribe::TranscribeArgs),
    /// Speak text into an audio file.
    Speak(speak::SpeakArgs),
    /// Check texts against the provider's content policy.
    Moderate(moderate::ModerateArgs),
    /// Count a prompt's input tokens (the provider's count where it has one, else local).
    Tokens(tokens::TokensArgs),
    /// Batch jobs: submit a JSONL file of requests, then status, results, cancel, list.
    Batch(batch::BatchArgs),
    /// A provider's file store: upload, list, get, delete, content.
    Files(files::FilesArgs),
    /// The model catalog: sync it from LiteLLM's data, show an entry.
    Catalog(catalog::CatalogArgs),
    /// Price a call from its token counts.
    Cost(cost::CostArgs),
    /// Manage an Ollama server's models: list, show, pull, push, copy, delete, ps, create, blobs.
    Ollama(ollama::OllamaArgs),
    /// Explain how a router config routes a request to a group (`--explain`), or send it.
    Route(route::RouteArgs),
    /// Serve an OpenAI-compatible gateway in front of every provider.
    Serve(serve::ServeArgs),
    /// Virtual keys of a running gateway: create, list, info, revoke, rotate.
    Keys(keys::KeysArgs),
    /// The gateway's spend ledger, by key, team, model or day.
    Spend(spend::SpendArgs),
    /// The local usage log (`EXLLM_USAGE_LOG`): calls and cost by model, provider, day or tag;
    /// cheaper models; next month's forecast.
    Usage(usage::UsageArgs),
    /// A guided tour: an interactive menu running each feature on the keyless mock.
    Demo(demo::DemoArgs),
    /// Each router deployment's state: cooling or not, in flight, recent latency.
    Health(health::HealthArgs),
    /// Saved conversations (`exllm chat --session NAME`): list, show, delete, export.
    Session(session::SessionArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions(shell::CompletionsArgs),
    /// Print the manual page (roff), or write one per subcommand with --out DIR.
    Man(shell::ManArgs),
}

/// Exit code for usage and configuration errors (missing key, unknown provider).
pub const EXIT_CONFIG: u8 = 2;
/// Exit code for provider and runtime errors.
pub const EXIT_FAILURE: u8 = 1;

/// What must live until exit for telemetry export (it flushes when dropped).
#[cfg(feature = "otlp")]
type Export = Option<exllm::telemetry::otlp::OtlpGuard>;
/// (Nothing without the `otlp` feature.)
#[cfg(not(feature = "otlp"))]
type Export = Option<std::convert::Infallible>;

/// Logs on stderr; with the `otlp` feature and `OTEL_EXPORTER_OTLP_ENDPOINT` set, spans and
/// metrics also go to that OpenTelemetry collector.
fn init_logging(verbose: u8) -> Export {
    use tracing_subscriber::filter::LevelFilter;
    use tracing_subscriber::prelude::*;
    let from_env = std::env::var("EXLLM_LOG")
        .ok()
        .and_then(|v| v.parse::<LevelFilter>().ok());
    let level = match verbose {
        0 => from_env.unwrap_or(LevelFilter::WARN),
        1 => LevelFilter::INFO,
        _ => LevelFilter::DEBUG,
    };
    let logs = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(output::stderr_color())
        .with_filter(level);
    let registry = tracing_subscriber::registry().with(logs);
    #[cfg(feature = "otlp")]
    if std::env::var_os("OTEL_EXPORTER_OTLP_ENDPOINT").is_some() {
        use exllm::telemetry::otlp::{OtlpConfig, OtlpGuard};
        match OtlpConfig::from_env().and_then(|c| OtlpGuard::new(&c)) {
            Ok(guard) => {
                registry
                    .with(guard.layer().with_filter(LevelFilter::INFO))
                    .init();
                if let Err(e) = guard.install_recorder() {
                    tracing::warn!("OTLP metrics disabled: {e}");
                }
                return Some(guard);
            }
            Err(e) => eprintln!("exllm: OTLP export disabled: {e}"),
        }
    }
    registry.init();
    Export::default()
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // `ner` tables in guardrail configurations (chat, router, gateway) build the model's check.
    #[cfg(feature = "ner")]
    exllm_local::ner::register();
    // Declared before the runtime so that it is dropped (and flushes) after it.
    let _export = init_logging(cli.verbose);
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("exllm: cannot start the runtime: {e}");
            return ExitCode::from(EXIT_FAILURE);
        }
    };
    let code = rt.block_on(async {
        match cli.command {
            Command::Chat(args) => chat::run(args).await,
            Command::Compare(args) => compare::run(args).await,
            Command::Models(args) => models::run(args).await,
            #[cfg(feature = "local")]
            Command::Local(args) => local::run(args).await,
            Command::Embed(args) => embed::run(args).await,
            Command::Ollama(args) => ollama::run(args).await,
            Command::Similar(args) => embed::similar(args).await,
            Command::Rerank(args) => rerank::run(args).await,
            Command::Image(args) => image::run(args).await,
            Command::Transcribe(args) => transcribe::run(args).await,
            Command::Speak(args) => speak::run(args).await,
            Command::Moderate(args) => moderate::run(args).await,
            Command::Tokens(args) => tokens::run(args).await,
            Command::Batch(args) => batch::run(args).await,
            Command::Files(args) => files::run(args).await,
            Command::Catalog(args) => catalog::run(args).await,
            Command::Cost(args) => cost::run(args).await,
            Command::Session(args) => session::run(args).await,
            Command::Route(args) => route::run(args).await,
            Command::Serve(args) => serve::run(args).await,
            Command::Keys(args) => keys::run(args).await,
            Command::Spend(args) => spend::run(args).await,
            Command::Health(args) => health::run(args).await,
            Command::Usage(args) => usage::run(args).await,
            Command::Demo(args) => demo::run(args).await,
            Command::Completions(args) => shell::completions(args, Cli::command()),
            Command::Man(args) => shell::man(args, Cli::command()),
        }
    });
    ExitCode::from(code)
}
