//! Blob upload: the file's sha256 is computed while reading it in chunks, and the upload body
//! is streamed from disk, so a model file is never held in memory whole.

use crate::error::{Error, ErrorKind, Result};
use sha2::{Digest, Sha256};
use std::path::Path;
use tokio::io::AsyncReadExt;

/// `sha256:<hex>` of a file, read in 1 MiB chunks; `progress` gets the bytes read so far.
pub(crate) async fn file_digest(
    path: &Path,
    mut progress: impl FnMut(u64),
) -> Result<(String, u64)> {
    let mut file = tokio::fs::File::open(path)
        .await
        .map_err(|e| io_error(path, e))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut total = 0u64;
    loop {
        let n = file.read(&mut buf).await.map_err(|e| io_error(path, e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        total += n as u64;
        progress(total);
    }
    let hex: String = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok((format!("sha256:{hex}"), total))
}

pub(crate) fn io_error(path: &Path, e: std::io::Error) -> Error {
    Error::new(
        ErrorKind::InvalidInput,
        format!("cannot read {}: {e}", path.display()),
    )
    .with_source(e)
}

/// Checks that a digest looks like `sha256:` and 64 hex digits.
pub(crate) fn check_digest(digest: &str) -> Result<()> {
    let ok = digest
        .strip_prefix("sha256:")
        .is_some_and(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()));
    if ok {
        Ok(())
    } else {
        Err(Error::new(
            ErrorKind::InvalidInput,
            format!("`{digest}` is not a sha256:<64 hex digits> digest"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn digest_of_a_file() {
        let dir = std::env::temp_dir().join(format!("exllm-blob-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("b");
        std::fs::write(&p, b"abc").unwrap();
        let (d, n) = file_digest(&p, |_| {}).await.unwrap();
        assert_eq!(
            d,
            "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(n, 3);
        check_digest(&d).unwrap();
        assert!(check_digest("sha256:xyz").is_err());
        assert_eq!(
            file_digest(&dir.join("missing"), |_| {})
                .await
                .unwrap_err()
                .kind(),
            ErrorKind::InvalidInput
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
