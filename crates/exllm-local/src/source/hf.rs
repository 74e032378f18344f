//! The Hugging Face Hub source: `hf-hub`'s sync API (ureq with rustls) with its indicatif
//! progress bar. Files land in hf-hub's own cache and are copied into exllm's model folder.
//! `HF_HUB_OFFLINE=1` skips the Hub at once; an unreachable Hub fails fast so the chain moves on.

use crate::error::{config, err};
use exllm::{ErrorKind, Result};
use std::path::Path;

pub fn fetch(repo: &str, files: &[&str], dest: &Path) -> Result<()> {
    if std::env::var("HF_HUB_OFFLINE").is_ok_and(|v| v == "1" || v.eq_ignore_ascii_case("true")) {
        return Err(err(ErrorKind::Config, "HF_HUB_OFFLINE is set"));
    }
    let api = hf_hub::api::sync::ApiBuilder::from_env()
        .with_progress(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .build()
        .map_err(|e| config("cannot set up the Hugging Face client", e))?;
    let repo = api.model(repo.to_owned());
    std::fs::create_dir_all(dest)
        .map_err(|e| config(&format!("cannot create {}", dest.display()), e))?;
    for file in files {
        if dest.join(file).is_file() {
            continue;
        }
        let got = repo.get(file).map_err(|e| {
            err(
                ErrorKind::Network,
                format!("Hugging Face download of {file} failed: {e}"),
            )
        })?;
        let (target, part) = super::target_and_part(dest, file)?;
        std::fs::copy(&got, &part)
            .and_then(|_| std::fs::rename(&part, &target))
            .map_err(|e| config(&format!("cannot copy {} into the cache", got.display()), e))?;
    }
    Ok(())
}
