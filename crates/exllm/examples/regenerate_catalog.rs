//! Regenerates the catalog compiled into exllm (`crates/exllm/catalog/*.json` and
//! `src/catalog/embedded_index.rs`) from LiteLLM's model catalog. A maintainer's step, run by
//! `scripts/regenerate-catalog`; `exllm catalog sync` is the user's way to refresh prices.

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let crate_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let input = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            crate_dir
                .join("../../../shared/data/litellm/model_prices_and_context_window_backup.json")
        });
    let written = exllm::catalog::sync::write_catalog(
        &input,
        &crate_dir.join("catalog"),
        &crate_dir.join("src/catalog/embedded_index.rs"),
    );
    match written {
        Ok(n) => {
            eprintln!("wrote {n} catalog files from {}", input.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("regenerate_catalog: {e}");
            ExitCode::FAILURE
        }
    }
}
