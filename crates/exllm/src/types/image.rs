//! Image generation in canonical form: a prompt in, images (a URL or the decoded bytes) out.
//! One shape for every server that speaks OpenAI's `/images/generations`.

use super::response::Warning;
use super::usage::Usage;
use super::JsonMap;
use bytes::Bytes;

/// How the server should hand back the images.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ImageOutput {
    /// A link to the image (it expires after a while on OpenAI).
    Url,
    /// The image's bytes, base64 in the body (decoded into [`GeneratedImage::data`]).
    Base64,
}

impl ImageOutput {
    /// The wire value of `response_format`.
    pub fn as_str(self) -> &'static str {
        match self {
            ImageOutput::Url => "url",
            ImageOutput::Base64 => "b64_json",
        }
    }
}

/// An image generation request.
///
/// ```
/// use exllm::ImageRequest;
/// let req = ImageRequest::new("openai/gpt-image-1", "a lighthouse at dusk");
/// assert_eq!(req.n, None);
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImageRequest {
    /// `provider/model`.
    pub model: String,
    /// What to draw.
    pub prompt: String,
    /// How many images (the server's default, one, when `None`).
    pub n: Option<u32>,
    /// Size as the server spells it (`1024x1024`).
    pub size: Option<String>,
    /// Quality as the server spells it (`standard`, `hd`, `high`, ...).
    pub quality: Option<String>,
    /// Style (`vivid`, `natural`), where the model has one.
    pub style: Option<String>,
    /// URL or bytes; `None` leaves it to the model (some refuse the setting).
    pub output: Option<ImageOutput>,
    /// Merged into the provider's request body.
    pub provider_options: JsonMap,
}

impl ImageRequest {
    /// A request for `model` (`provider/model`) drawing `prompt`.
    pub fn new(model: impl Into<String>, prompt: impl Into<String>) -> Self {
        ImageRequest {
            model: model.into(),
            prompt: prompt.into(),
            ..Default::default()
        }
    }
}

/// One generated image: a URL, its bytes, or both.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GeneratedImage {
    /// Where to fetch it, when the server answered with a link.
    pub url: Option<String>,
    /// The image's bytes, when the server sent them inline.
    pub data: Option<Bytes>,
    /// The bytes' media type (`image/png`), from the answer or the bytes themselves.
    pub media_type: Option<String>,
    /// The prompt the model actually drew, when it rewrote the one given.
    pub revised_prompt: Option<String>,
}

/// Generated images, in the server's order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImageResponse {
    /// Creation time (Unix seconds), when sent.
    pub created: Option<u64>,
    /// The images.
    pub images: Vec<GeneratedImage>,
    /// Token usage (token-priced image models), when reported.
    pub usage: Option<Usage>,
    /// The price in USD, when the catalog prices the model per image or per token.
    pub cost_usd: Option<f64>,
    /// Settings the provider could not honour.
    pub warnings: Vec<Warning>,
}
