//! `exllm chat --guardrails FILE` and `--guard pii,secrets,injection`: the library's
//! guardrails around one chat call (whole or streamed). The file is the `[guardrails]` table
//! the router and gateway configurations share; `--guard` turns detectors on with their
//! defaults. Paths the guardrails do not cover yet (sessions, the REPL, `--schema`, routed
//! groups) are refused rather than run unguarded.

use crate::chat::ChatArgs;
use exllm::guardrails::{
    Guardrails, GuardrailsConfig, InjectionConfig, NerConfig, PiiConfig, SecretsConfig,
};
use exllm::{Client, Error, ErrorKind};
use std::path::PathBuf;

/// The guardrail flags of `exllm chat`.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct GuardArgs {
    /// A guardrails file: TOML with a [guardrails] table (pii, secrets, injection, moderation,
    /// [[guardrails.rules]]). PII is masked before sending and restored in the answer.
    #[arg(long, value_name = "FILE")]
    pub guardrails: Option<PathBuf>,
    /// Built-in guardrails with their defaults, comma-separated: pii, names (people's names
    /// and postal addresses, by a small local model fetched once), secrets, injection.
    #[arg(long, value_delimiter = ',', value_name = "LIST")]
    pub guard: Vec<String>,
}

impl GuardArgs {
    /// Whether any guardrail was asked for.
    pub fn any(&self) -> bool {
        self.guardrails.is_some() || !self.guard.is_empty()
    }

    /// The guardrails the flags name (`client` calls a moderation model, when configured).
    pub fn load(&self, client: &Client) -> Result<Guardrails, Error> {
        let mut cfg = match &self.guardrails {
            Some(path) => GuardrailsConfig::from_file(path)?,
            None => GuardrailsConfig::default(),
        };
        for name in &self.guard {
            match name.trim() {
                "pii" => cfg.pii = cfg.pii.take().or(Some(PiiConfig::default())),
                "names" | "ner" => cfg.ner = cfg.ner.take().or(Some(NerConfig::default())),
                "secrets" => cfg.secrets = cfg.secrets.take().or(Some(SecretsConfig::default())),
                "injection" => {
                    cfg.injection = cfg.injection.take().or(Some(InjectionConfig::default()))
                }
                other => {
                    return Err(Error::new(
                        ErrorKind::Config,
                        format!(
                            "unknown guardrail `{other}` (known: pii, names, secrets, injection)"
                        ),
                    ))
                }
            }
        }
        cfg.build(Some(client))
    }
}

/// Refuses the chat modes the guardrails do not cover yet.
pub fn check_supported(args: &ChatArgs) -> Result<(), Error> {
    let unsupported = if args.session.is_some() || args.interactive {
        Some("--session and --interactive")
    } else if args.schema.is_some() {
        Some("--schema")
    } else {
        None
    };
    if let Some(what) = unsupported {
        return Err(Error::new(
            ErrorKind::Unsupported,
            format!("guardrails are not applied with {what} yet; run without them"),
        ));
    }
    let routed = crate::router_config::load(&args.router)?
        .zip(args.model.as_deref())
        .is_some_and(|(r, m)| r.has_group(m));
    if routed {
        return Err(Error::new(
            ErrorKind::Unsupported,
            "--guard/--guardrails are not applied to routed groups; give the group a \
             [guardrails.<group>] table in the router config (the router runs it)",
        ));
    }
    Ok(())
}
