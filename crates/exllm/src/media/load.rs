//! Building image and document parts from what a user has at hand: a file on disk, bytes in
//! memory, an `http(s)` URL or a `data:` URL. The type always comes from the bytes (see
//! [`sniff`]), so a mislabelled file is still sent for what it is, and bytes exllm cannot
//! identify are refused before anything is sent.

use super::base64;
use super::detect::sniff;
use crate::error::{Error, ErrorKind, Result};
use crate::types::{ImageDetail, MediaSource, Part};
use std::path::Path;

/// An image part (JPEG, PNG, GIF, WebP) or a document part (PDF) of `bytes`, inline as base64.
/// `name` names the bytes in errors and becomes a document's file name.
///
/// ```
/// let part = exllm::media::from_bytes(b"%PDF-1.7\n%...", Some("report.pdf")).unwrap();
/// assert!(matches!(part, exllm::Part::File { .. }));
/// assert!(exllm::media::from_bytes(b"plain text", None).is_err());
/// ```
pub fn from_bytes(bytes: &[u8], name: Option<&str>) -> Result<Part> {
    let media_type = sniff(bytes).ok_or_else(|| {
        Error::new(
            ErrorKind::InvalidInput,
            format!(
                "{} is not a JPEG, PNG, GIF, WebP image or a PDF document (judged by its bytes)",
                name.map(|n| format!("`{n}`"))
                    .unwrap_or_else(|| "the data".into())
            ),
        )
    })?;
    Ok(part(
        media_type,
        MediaSource::Base64(base64::encode(bytes)),
        name,
    ))
}

fn part(media_type: &str, source: MediaSource, name: Option<&str>) -> Part {
    if media_type.starts_with("image/") {
        Part::Image {
            source,
            media_type: Some(media_type.to_owned()),
            detail: None,
        }
    } else {
        Part::File {
            source,
            media_type: Some(media_type.to_owned()),
            filename: name.map(str::to_owned),
        }
    }
}

/// Reads a local file into an image or document part (see [`from_bytes`]).
///
/// ```no_run
/// let part = exllm::media::from_path("chart.png")?;
/// # Ok::<(), exllm::Error>(())
/// ```
pub fn from_path(path: impl AsRef<Path>) -> Result<Part> {
    let path = path.as_ref();
    let shown = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| {
        Error::new(
            ErrorKind::InvalidInput,
            format!("cannot read `{shown}`: {e}"),
        )
        .with_source(e)
    })?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or(shown);
    from_bytes(&bytes, Some(&name))
}

/// An image part for a URL: an `http(s)` URL is passed on for the provider to fetch (its type
/// is unknown until then); a base64 `data:` URL is decoded far enough to check that its bytes
/// are the type it claims, and becomes inline data.
///
/// ```
/// let part = exllm::media::from_url("https://example.com/cat.png").unwrap();
/// assert_eq!(part, exllm::Part::image_url("https://example.com/cat.png"));
/// assert!(exllm::media::from_url("data:image/png;base64,aGVsbG8=").is_err());
/// ```
pub fn from_url(url: &str) -> Result<Part> {
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") {
        return Ok(Part::image_url(url));
    }
    let bad = |why: &str| Error::new(ErrorKind::InvalidInput, format!("bad data URL: {why}"));
    let (declared, data) = parse_data_url(url)
        .ok_or_else(|| bad("expected `http(s)://...` or `data:<type>;base64,<data>`"))?;
    if !base64::is_valid(data) {
        return Err(bad("the data is not base64"));
    }
    let head = base64::decode_prefix(data, 64).unwrap_or_default();
    let found = sniff(&head)
        .ok_or_else(|| bad("its bytes are not a JPEG, PNG, GIF, WebP image or a PDF"))?;
    if let Some(d) = declared.filter(|d| !d.is_empty() && !same_type(d, found)) {
        return Err(bad(&format!("it says `{d}` but its bytes are `{found}`")));
    }
    Ok(part(found, MediaSource::Base64(data.to_owned()), None))
}

fn same_type(declared: &str, found: &str) -> bool {
    let d = declared.trim().to_ascii_lowercase();
    d == found || (d == "image/jpg" && found == "image/jpeg")
}

/// A part from a command-line argument: a URL when it starts with `http://`, `https://` or
/// `data:`, else a local file path.
///
/// ```no_run
/// let part = exllm::media::from_path_or_url("./scan.pdf")?;
/// # Ok::<(), exllm::Error>(())
/// ```
pub fn from_path_or_url(s: &str) -> Result<Part> {
    let lower = s.get(..8).unwrap_or(s).to_ascii_lowercase();
    if ["http://", "https://", "data:"]
        .iter()
        .any(|p| lower.starts_with(p))
    {
        from_url(s)
    } else {
        from_path(s)
    }
}

/// Splits `data:<type>[;params];base64,<data>` into its media type (if any) and base64 data;
/// `None` for anything else (including data URLs that are not base64).
pub(crate) fn parse_data_url(url: &str) -> Option<(Option<&str>, &str)> {
    let prefix = url.get(..5)?;
    if !prefix.eq_ignore_ascii_case("data:") {
        return None;
    }
    let (head, data) = url[5..].split_once(',')?;
    let mut params = head.split(';');
    let media_type = params.next().map(str::trim).filter(|m| !m.is_empty());
    params
        .any(|p| p.trim().eq_ignore_ascii_case("base64"))
        .then_some((media_type, data))
}

impl Part {
    /// Sets OpenAI's image `detail` (also sent to Cohere); no effect on other parts.
    ///
    /// ```
    /// use exllm::{ImageDetail, Part};
    /// let p = Part::image_url("https://example.com/a.png").with_detail(ImageDetail::Low);
    /// assert!(matches!(p, Part::Image { detail: Some(ImageDetail::Low), .. }));
    /// ```
    pub fn with_detail(mut self, detail: ImageDetail) -> Self {
        if let Part::Image { detail: d, .. } = &mut self {
            *d = Some(detail);
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_urls_are_checked_against_their_bytes() {
        let png = base64::encode(b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR");
        let ok = from_url(&format!("data:image/png;base64,{png}")).unwrap();
        assert_eq!(
            ok,
            Part::image_base64("image/png", png.clone()),
            "becomes inline data"
        );
        let lied = from_url(&format!("data:image/jpeg;base64,{png}")).unwrap_err();
        assert_eq!(lied.kind(), ErrorKind::InvalidInput);
        assert!(lied.to_string().contains("image/png"), "{lied}");
        assert!(from_url(&format!("data:;base64,{png}")).is_ok());
        for bad in [
            "data:image/png,rawtext",
            "data:image/png;base64,*!",
            "ftp://x",
            "data:",
        ] {
            assert_eq!(
                from_url(bad).unwrap_err().kind(),
                ErrorKind::InvalidInput,
                "{bad}"
            );
        }
        assert_eq!(
            parse_data_url("DATA:a/b;base64,xx"),
            Some((Some("a/b"), "xx"))
        );
        assert_eq!(parse_data_url("dat"), None);
    }

    #[test]
    fn unknown_files_are_named_in_the_error() {
        let dir = std::env::temp_dir().join(format!("exllm-media-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("notes.png");
        std::fs::write(&path, b"just text").unwrap();
        let e = from_path_or_url(path.to_str().unwrap()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
        assert!(e.to_string().contains("notes.png"), "{e}");
        let missing = from_path(dir.join("missing.png")).unwrap_err();
        assert!(missing.to_string().contains("missing.png"), "{missing}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
