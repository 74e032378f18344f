//! What the subcommands other than chat share: the `--model`, `--base-url`, `--api` and
//! `--json` options, the client they configure, and the digests printed for files.

use clap::Args;
use exllm::provider::{ServiceApi, Task};
use exllm::{Client, Error};

/// The options every such subcommand takes.
#[derive(Args)]
pub struct ServiceArgs {
    /// provider/model, e.g. openai/gpt-image-1.
    #[arg(short, long)]
    pub model: String,
    /// The provider's base URL, replacing its default (include the version path, e.g. /v1).
    #[arg(long)]
    pub base_url: Option<String>,
    /// Wire API (default: the provider's own for this call).
    #[arg(long)]
    pub api: Option<String>,
    /// Print exactly one JSON object.
    #[arg(long)]
    pub json: bool,
}

impl ServiceArgs {
    /// The client for these options.
    pub fn client(&self, task: Task) -> Result<Client, Error> {
        client_for(
            &self.model,
            self.base_url.as_deref(),
            self.api.as_deref(),
            task,
        )
    }
}

/// A client with `base_url` and the wire API `api` (checked to serve `task`) applied to
/// `model`'s provider.
pub fn client_for(
    model: &str,
    base_url: Option<&str>,
    api: Option<&str>,
    task: Task,
) -> Result<Client, Error> {
    let (provider, _) = exllm::client::split_model(model)?;
    let mut b = crate::local::register(Client::builder());
    if let Some(url) = base_url {
        b = b.base_url(provider, url.to_owned());
    }
    if let Some(api) = api {
        b = b.api(provider, ServiceApi::parse_for(api, task)?.api());
    }
    b.build()
}

/// The SHA-256 of `bytes`, in lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex(&sha2::Sha256::digest(bytes))
}

/// Bytes in lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(2 * bytes.len());
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}
