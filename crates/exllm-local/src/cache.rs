//! Where downloaded weights live and how they are verified: the platform cache directory
//! (`dirs`), overridden by `EXLLM_CACHE_DIR`, with one folder per model and a sha256 check that
//! is remembered in a small marker file so a 100 MB model is not re-hashed on every load.

use crate::error::{config, err};
use exllm::{ErrorKind, Result};
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::{Path, PathBuf};

/// The environment variable that overrides the cache directory.
pub const CACHE_ENV: &str = "EXLLM_CACHE_DIR";

/// The root cache directory: `$EXLLM_CACHE_DIR`, else `<platform cache dir>/exllm`.
pub fn cache_root() -> Result<PathBuf> {
    if let Some(dir) = std::env::var_os(CACHE_ENV).filter(|v| !v.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    dirs::cache_dir().map(|d| d.join("exllm")).ok_or_else(|| {
        err(
            ErrorKind::Config,
            format!("no platform cache directory; set {CACHE_ENV}"),
        )
    })
}

/// The folder of one model inside the cache.
pub fn model_dir(name: &str) -> Result<PathBuf> {
    Ok(cache_root()?.join("models").join(name))
}

/// The sha256 of a file, as lowercase hex.
pub fn sha256_file(path: &Path) -> Result<String> {
    let mut f = std::fs::File::open(path)
        .map_err(|e| config(&format!("cannot open {}", path.display()), e))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f
            .read(&mut buf)
            .map_err(|e| config(&format!("cannot read {}", path.display()), e))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

fn marker(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".sha256");
    PathBuf::from(s)
}

/// Checks `path` against `expected` (hex sha256). A successful check is remembered next to the
/// file together with its size, so it is redone only when the file changes size.
pub fn verify_sha256(path: &Path, expected: &str) -> Result<()> {
    let expected = expected.to_ascii_lowercase();
    let size = std::fs::metadata(path)
        .map_err(|e| config(&format!("model file {}", path.display()), e))?
        .len();
    let remembered = format!("{expected} {size}");
    if std::fs::read_to_string(marker(path)).is_ok_and(|m| m.trim() == remembered) {
        return Ok(());
    }
    let actual = sha256_file(path)?;
    if actual != expected {
        return Err(err(
            ErrorKind::Decode,
            format!(
                "sha256 mismatch for {}: expected {expected}, got {actual} (delete the file to fetch it again)",
                path.display()
            ),
        )
        .with_code("sha256_mismatch"));
    }
    // Best effort: failing to write the marker only costs a re-hash next time.
    let _ = std::fs::write(marker(path), remembered);
    Ok(())
}

/// Whether every file of `files` exists in `dir`.
pub fn has_all(dir: &Path, files: &[&str]) -> bool {
    files.iter().all(|f| dir.join(f).is_file())
}
