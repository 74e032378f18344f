//! What each wire API accepts in images and documents, checked before a request is sent.
//!
//! A provider refuses an oversized image only after the whole body has been uploaded, with an
//! error that differs per provider; some (Ollama, Cohere) silently ignore what they cannot
//! take. Checking here costs nothing and fails fast with one error kind per problem:
//! [`ErrorKind::TooLarge`] for bytes, [`ErrorKind::InvalidInput`] for counts,
//! [`ErrorKind::Unsupported`] for media the API has no place for. Inline size is the decoded
//! size of the base64 data; media given by URL or file id is counted but not measured.
//!
//! Sources (as documented in 2025):
//! - OpenAI "Images and vision": up to 20 MB per image, 500 images per request; "File inputs":
//!   PDFs up to 32 MB of total file content per request.
//! - Anthropic "Vision": 5 MB per image, 100 images per API request, 8000 × 8000 px at most;
//!   API request size limit 32 MB; "PDF support": PDFs as `document` blocks.
//! - Gemini "Image understanding" / "Document understanding": inline data up to 20 MB for the
//!   whole request (larger files go through the File API).
//! - Bedrock `Message` (Converse): up to 20 images of at most 3.75 MB and 8000 × 8000 px; up to
//!   five documents of at most 4.5 MB.
//! - Ollama `/api/chat`: `images` is a list of base64 strings; no documents, no URLs.
//! - Cohere "Image inputs" (v2 chat): up to 20 images per request; no document inputs.

use super::Api;
use crate::error::{Error, ErrorKind, Result};
use crate::media::{base64, image_info, parse_data_url};
use crate::types::{ChatRequest, MediaSource, Part};

const MB: usize = 1024 * 1024;

/// What one wire API accepts in media; `None` means no limit exllm knows of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct MediaLimits {
    /// Images per request.
    pub max_images: Option<usize>,
    /// Decoded bytes per inline image.
    pub max_image_bytes: Option<usize>,
    /// Pixels along either side of an image.
    pub max_image_side: Option<u32>,
    /// Whether images and documents may be given by URL or file id rather than as bytes
    /// (Bedrock's `s3://` locations are always allowed).
    pub media_urls: bool,
    /// Documents per request; `Some(0)` when the API takes none.
    pub max_documents: Option<usize>,
    /// Decoded bytes per inline document.
    pub max_document_bytes: Option<usize>,
    /// Decoded bytes of all inline media together.
    pub max_inline_bytes: Option<usize>,
}

impl MediaLimits {
    /// The limits of `api` (see the module documentation for their sources).
    ///
    /// ```
    /// let l = exllm::provider::MediaLimits::of(exllm::Api::Bedrock);
    /// assert_eq!(l.max_images, Some(20));
    /// ```
    pub fn of(api: Api) -> Self {
        let none = MediaLimits {
            max_images: None,
            max_image_bytes: None,
            max_image_side: None,
            media_urls: true,
            max_documents: None,
            max_document_bytes: None,
            max_inline_bytes: None,
        };
        match api {
            Api::OpenAiChat | Api::OpenAiResponses => MediaLimits {
                max_images: Some(500),
                max_image_bytes: Some(20 * MB),
                max_document_bytes: Some(32 * MB),
                ..none
            },
            Api::Anthropic => MediaLimits {
                max_images: Some(100),
                max_image_bytes: Some(5 * MB),
                max_image_side: Some(8000),
                max_inline_bytes: Some(32 * MB),
                ..none
            },
            Api::Gemini => MediaLimits {
                max_inline_bytes: Some(20 * MB),
                ..none
            },
            Api::Bedrock => MediaLimits {
                max_images: Some(20),
                max_image_bytes: Some(15 * MB / 4),
                max_image_side: Some(8000),
                media_urls: false,
                max_documents: Some(5),
                max_document_bytes: Some(9 * MB / 2),
                ..none
            },
            Api::Ollama => MediaLimits {
                media_urls: false,
                max_documents: Some(0),
                ..none
            },
            Api::Cohere => MediaLimits {
                max_images: Some(20),
                max_documents: Some(0),
                ..none
            },
            // One image, as the model's `image` input; no documents.
            Api::Replicate => MediaLimits {
                max_images: Some(1),
                max_documents: Some(0),
                ..none
            },
            // Text prompts only on TGI / LMI bodies.
            Api::SageMaker => MediaLimits {
                max_images: Some(0),
                max_documents: Some(0),
                ..none
            },
            // Images on vision models; no documents.
            Api::Watsonx | Api::SageMakerChat => MediaLimits {
                max_documents: Some(0),
                ..none
            },
        }
    }
}

/// Checks the images and documents of `req` against what `api` accepts, before anything is
/// sent. Media inside tool results counts too.
///
/// ```
/// use exllm::{media, provider, Api, ChatRequest, ErrorKind, Message, Part, Role};
/// let pdf = media::from_bytes(b"%PDF-1.7\n", Some("a.pdf")).unwrap();
/// let req = ChatRequest::new("ollama/llava", vec![Message::new(Role::User, vec![pdf])]);
/// assert!(provider::check_media(Api::Anthropic, &req).is_ok());
/// let e = provider::check_media(Api::Ollama, &req).unwrap_err();
/// assert_eq!(e.kind(), ErrorKind::Unsupported);
/// ```
pub fn check_media(api: Api, req: &ChatRequest) -> Result<()> {
    let limits = MediaLimits::of(api);
    let mut tally = Tally::default();
    for m in &req.messages {
        for p in &m.content {
            check_part(api, &limits, p, &mut tally)?;
        }
    }
    let over = |n: usize, max: Option<usize>| max.filter(|m| n > *m);
    if let Some(max) = over(tally.images, limits.max_images) {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            format!(
                "the request has {} images; {api} takes at most {max}",
                tally.images
            ),
        ));
    }
    if let Some(max) = over(tally.documents, limits.max_documents) {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            format!(
                "the request has {} documents; {api} takes at most {max}",
                tally.documents
            ),
        ));
    }
    if let Some(max) = over(tally.inline_bytes, limits.max_inline_bytes) {
        return Err(Error::new(
            ErrorKind::TooLarge,
            format!(
                "the request carries {} of inline media; {api} takes at most {} per request",
                size(tally.inline_bytes),
                size(max)
            ),
        ));
    }
    Ok(())
}

#[derive(Default)]
struct Tally {
    images: usize,
    documents: usize,
    inline_bytes: usize,
}

/// The base64 data of an inline source (base64 or a base64 `data:` URL).
fn inline(source: &MediaSource) -> Option<&str> {
    match source {
        MediaSource::Base64(d) => Some(d),
        MediaSource::Url(u) => parse_data_url(u).map(|(_, d)| d),
        _ => None,
    }
}

fn check_part(api: Api, limits: &MediaLimits, p: &Part, tally: &mut Tally) -> Result<()> {
    match p {
        Part::Image { source, .. } => {
            tally.images += 1;
            let Some(data) = inline(source) else {
                return by_reference(api, limits, source, "image");
            };
            let n = base64::decoded_len(data);
            tally.inline_bytes += n;
            check_size("an image", n, limits.max_image_bytes, api)?;
            if let Some(side) = limits.max_image_side {
                // Header fields sit in the first few hundred bytes except behind large JPEG
                // metadata segments; a header not found is left to the provider.
                let head = base64::decode_prefix(data, 64 * 1024).unwrap_or_default();
                if let Some(info) = image_info(&head) {
                    let (w, h) = (info.width.unwrap_or(0), info.height.unwrap_or(0));
                    if w > side || h > side {
                        return Err(Error::new(
                            ErrorKind::TooLarge,
                            format!(
                                "an image is {w} × {h} px; {api} takes at most {side} px a side"
                            ),
                        ));
                    }
                }
            }
        }
        Part::File { source, .. } => {
            if limits.max_documents == Some(0) {
                return Err(Error::new(
                    ErrorKind::Unsupported,
                    format!("{api} takes no document or file inputs; send the text instead"),
                ));
            }
            tally.documents += 1;
            let Some(data) = inline(source) else {
                return by_reference(api, limits, source, "document");
            };
            let n = base64::decoded_len(data);
            tally.inline_bytes += n;
            check_size("a document", n, limits.max_document_bytes, api)?;
        }
        Part::ToolResult(r) => {
            for p in &r.content {
                check_part(api, limits, p, tally)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// Media given by URL or file id: refused where the API needs the bytes.
fn by_reference(api: Api, limits: &MediaLimits, source: &MediaSource, what: &str) -> Result<()> {
    let s3 = matches!(source, MediaSource::Url(u) if api == Api::Bedrock && u.starts_with("s3://"));
    if limits.media_urls || s3 {
        return Ok(());
    }
    Err(Error::new(
        ErrorKind::Unsupported,
        format!("{api} needs the {what}'s bytes, not a URL or file id; load it with exllm::media::from_path or from_bytes"),
    ))
}

fn check_size(what: &str, n: usize, max: Option<usize>, api: Api) -> Result<()> {
    match max {
        Some(max) if n > max => Err(Error::new(
            ErrorKind::TooLarge,
            format!(
                "{what} of {} is over {api}'s limit of {} each",
                size(n),
                size(max)
            ),
        )),
        _ => Ok(()),
    }
}

fn size(n: usize) -> String {
    format!("{:.2} MB", n as f64 / MB as f64)
}
