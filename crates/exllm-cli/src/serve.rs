//! `exllm serve`: the gateway (crate `exllm-gateway`) in the foreground: an OpenAI-compatible
//! server in front of every provider, configured by our TOML or a LiteLLM `config.yaml`.

use clap::Args;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

/// Arguments of `exllm serve`.
#[derive(Args)]
#[command(after_help = "Examples:
  exllm serve --config gateway.toml
  exllm serve --config litellm_config.yaml --host 0.0.0.0 --port 4000
  exllm -v serve --config gateway.toml        with an access log line per request

SIGHUP reloads the config without dropping connections; Ctrl-C or SIGTERM stops accepting
and lets open requests finish (up to `limits.shutdown_grace`).")]
pub struct ServeArgs {
    /// The config: our TOML (`.toml`) or a LiteLLM proxy YAML.
    #[arg(long)]
    config: PathBuf,
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: IpAddr,
    /// The port to listen on.
    #[arg(long, default_value_t = 4000)]
    port: u16,
}

/// Serves until stopped; the exit code.
pub async fn run(args: ServeArgs) -> u8 {
    let addr = SocketAddr::new(args.host, args.port);
    match exllm_gateway::run(&args.config, addr).await {
        Ok(()) => 0,
        Err(e) => crate::output::report(&e, false),
    }
}
