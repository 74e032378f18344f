//! Which router config the CLI uses: `--router-config FILE`, else `EXLLM_ROUTER_CONFIG`, else
//! `router.toml` in the user's exllm config directory (`$XDG_CONFIG_HOME/exllm`, else
//! `~/.config/exllm`, as for the catalog) when it exists. A named file must exist; the default
//! one is optional.

use clap::Args;
use exllm::router::Router;
use exllm::{Client, Error, ErrorKind};
use std::path::PathBuf;

/// The `--router-config` option, shared by `chat`, `route` and `health`.
#[derive(Args, Clone, Default)]
pub struct RouterArg {
    /// A router config (our TOML, or LiteLLM's model_list YAML): a model name that is one of
    /// its groups is routed (default: ~/.config/exllm/router.toml when present).
    #[arg(long, value_name = "FILE", env = "EXLLM_ROUTER_CONFIG")]
    pub router_config: Option<PathBuf>,
}

/// `router.toml` in the user's exllm config directory.
fn default_path() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    Some(base.join("exllm").join("router.toml"))
}

/// The config file to use, if any.
pub fn path(arg: &RouterArg) -> Option<PathBuf> {
    arg.router_config
        .clone()
        .filter(|p| !p.as_os_str().is_empty())
        .or_else(|| default_path().filter(|p| p.is_file()))
}

/// The router of the config file, if one is configured.
pub fn load(arg: &RouterArg) -> Result<Option<Router>, Error> {
    let Some(p) = path(arg) else {
        return Ok(None);
    };
    let config = exllm::router::RouterConfig::load(&p)?;
    exllm::router::RouterBuilder::from_config(config)
        .client_template(crate::local::register(Client::builder()))
        .build()
        .map(Some)
}

/// The router, required (for `route` and `health`).
pub fn require(arg: &RouterArg) -> Result<Router, Error> {
    load(arg)?.ok_or_else(|| {
        Error::new(
            ErrorKind::Config,
            "no router config: pass --router-config FILE, set EXLLM_ROUTER_CONFIG, or write ~/.config/exllm/router.toml",
        )
    })
}
