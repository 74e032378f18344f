//! A local model name is user input — a gateway passes its callers' model names straight
//! through — so it is parsed here before anything touches the file system: a known name, a
//! Hub file `hf:owner/repo/path/file.gguf` whose every part is a plain name (no `..`, no
//! absolute paths, no separators of another platform) so the download stays inside the
//! cache, or a path to a `.gguf` file, accepted only where the provider allows paths.

use crate::catalog::{self, KnownModel};
use crate::error::err;
use exllm::{ErrorKind, Result};
use std::path::PathBuf;

/// What a model name refers to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ModelRef {
    /// A model of the built-in list.
    Known(&'static KnownModel),
    /// A GGUF file of a Hugging Face Hub repository.
    Hub {
        owner: String,
        repo: String,
        /// The file inside the repository (may sit in sub-folders).
        file: String,
    },
    /// A GGUF file on the local disk.
    Path(PathBuf),
}

/// Parses `name`; `allow_paths` says whether file paths may be read at all.
pub(crate) fn parse(name: &str, allow_paths: bool) -> Result<ModelRef> {
    if let Some(known) = catalog::find(name) {
        return Ok(ModelRef::Known(known));
    }
    if let Some(spec) = name.strip_prefix("hf:") {
        return hub(spec);
    }
    let is_gguf = |p: &std::path::Path| {
        p.extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("gguf"))
    };
    let path = PathBuf::from(name);
    if is_gguf(&path) {
        if !allow_paths {
            return Err(err(
                ErrorKind::InvalidInput,
                "local model paths are not allowed here; use a known model name or hf:owner/repo/file.gguf",
            ));
        }
        return Ok(ModelRef::Path(path));
    }
    let known: Vec<&str> = catalog::KNOWN_MODELS.iter().map(|m| m.name).collect();
    Err(err(
        ErrorKind::NotFound,
        format!(
            "unknown local model `{}`: use one of {}, hf:owner/repo/file.gguf or a path to a .gguf file",
            shown(name),
            known.join(", ")
        ),
    ))
}

fn hub(spec: &str) -> Result<ModelRef> {
    let bad = || {
        err(
            ErrorKind::InvalidInput,
            format!(
                "`hf:{}` must be hf:owner/repo/file.gguf with plain names (letters, digits, `.`, `_`, `-`)",
                shown(spec)
            ),
        )
    };
    let mut parts = spec.splitn(3, '/');
    let (Some(owner), Some(repo), Some(file)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(bad());
    };
    let file_ok = file.split('/').all(plain)
        && std::path::Path::new(file)
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("gguf"));
    if !plain(owner) || !plain(repo) || !file_ok {
        return Err(bad());
    }
    Ok(ModelRef::Hub {
        owner: owner.to_owned(),
        repo: repo.to_owned(),
        file: file.to_owned(),
    })
}

/// A path segment that cannot leave its folder: not empty, not `.` or `..`, only letters,
/// digits, `.`, `_` and `-`.
fn plain(s: &str) -> bool {
    !s.is_empty()
        && s != "."
        && s != ".."
        && s.len() <= 200
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// A name as errors show it: bounded and without control characters.
fn shown(name: &str) -> String {
    name.chars().filter(|c| !c.is_control()).take(120).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traversal_and_odd_names_are_refused_before_any_file_is_touched() {
        for name in [
            "hf:../../etc/x.gguf",
            "hf:owner/../x.gguf",
            "hf:owner/repo/../../../outside.gguf",
            "hf:owner/repo/sub/../../x.gguf",
            "hf:owner/repo//x.gguf",
            "hf:/abs/repo/x.gguf",
            "hf:owner/repo/C:\\x.gguf",
            "hf:owner/repo/x.bin",
            "hf:owner/repo",
            "hf:ow ner/repo/x.gguf",
        ] {
            let e = parse(name, true).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidInput, "{name}");
        }
    }

    #[test]
    fn hub_files_in_sub_folders_parse() {
        assert_eq!(
            parse(
                "hf:Qwen/Qwen2.5-0.5B-Instruct-GGUF/q8/qwen2.5-0.5b-q8_0.gguf",
                false
            )
            .unwrap(),
            ModelRef::Hub {
                owner: "Qwen".into(),
                repo: "Qwen2.5-0.5B-Instruct-GGUF".into(),
                file: "q8/qwen2.5-0.5b-q8_0.gguf".into(),
            }
        );
    }

    #[test]
    fn paths_need_permission_and_a_gguf_extension() {
        assert_eq!(
            parse("/models/x.gguf", true).unwrap(),
            ModelRef::Path("/models/x.gguf".into())
        );
        assert_eq!(
            parse("/models/x.gguf", false).unwrap_err().kind(),
            ErrorKind::InvalidInput
        );
        // Any other existing file is not a model, whatever the permission.
        assert_eq!(
            parse("/etc/passwd", true).unwrap_err().kind(),
            ErrorKind::NotFound
        );
        assert_eq!(
            parse("Cargo.toml", true).unwrap_err().kind(),
            ErrorKind::NotFound
        );
    }

    #[test]
    fn known_names_win() {
        assert!(matches!(
            parse(crate::DEFAULT_CHAT_MODEL, false).unwrap(),
            ModelRef::Known(_)
        ));
    }
}
