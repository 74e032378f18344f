//! What an image costs in input tokens, by each provider's published rule.
//!
//! Providers do not tokenize image bytes; they resize the image and charge per tile or per
//! pixel area. The rules below follow the providers' documentation: OpenAI's 512-px tiles,
//! Anthropic's `width × height / 750` after its resize, Gemini's 258 tokens per 768-px tile.
//! Dimensions come from the image header (see [`crate::media::image_info`]); an image whose size
//! is unknown (a URL, a file id, an unreadable header) gets a typical count instead, flagged
//! as inexact by the caller.

use crate::types::{ImageDetail, MediaSource};

/// How a provider charges for images.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ImageRule {
    /// OpenAI: 85 at low detail; otherwise 170 per 512-px tile plus 85.
    OpenAi,
    /// Anthropic: `width × height / 750` after scaling to at most 1568 px and ~1.15 megapixels.
    Anthropic,
    /// Gemini: 258 per image up to 384 px, else 258 per tile of up to 768 px.
    Gemini,
    /// A fixed count per image.
    Fixed(u64),
}

impl ImageRule {
    /// Tokens for an image of `size` (`None` when unknown) at `detail`.
    ///
    /// ```
    /// use exllm::tokens::ImageRule;
    /// use exllm::ImageDetail;
    /// assert_eq!(ImageRule::OpenAi.tokens(Some((1024, 1024)), None), 765);
    /// assert_eq!(ImageRule::OpenAi.tokens(Some((4000, 3000)), Some(ImageDetail::Low)), 85);
    /// assert_eq!(ImageRule::Anthropic.tokens(Some((1000, 1000)), None), 1334);
    /// assert_eq!(ImageRule::Gemini.tokens(Some((300, 200)), None), 258);
    /// ```
    pub fn tokens(self, size: Option<(u32, u32)>, detail: Option<ImageDetail>) -> u64 {
        let size = size.filter(|&(w, h)| w > 0 && h > 0);
        match (self, size) {
            (ImageRule::OpenAi, _) if detail == Some(ImageDetail::Low) => 85,
            (ImageRule::OpenAi, Some((w, h))) => openai(w, h),
            (ImageRule::Anthropic, Some((w, h))) => anthropic(w, h),
            (ImageRule::Gemini, Some((w, h))) => gemini(w, h),
            (ImageRule::Fixed(n), _) => n,
            (rule, None) => rule.typical(),
        }
    }

    /// The count for an image of unknown size: a 1024×1024 image for tile rules.
    pub fn typical(self) -> u64 {
        match self {
            ImageRule::OpenAi => openai(1024, 1024),
            ImageRule::Anthropic => anthropic(1024, 1024),
            ImageRule::Gemini => gemini(1024, 1024),
            ImageRule::Fixed(n) => n,
        }
    }
}

/// Scales `(w, h)` down (never up) so that it fits `max_w × max_h`.
fn fit(w: u32, h: u32, max_w: f64, max_h: f64) -> (f64, f64) {
    let (w, h) = (f64::from(w), f64::from(h));
    let s = (max_w / w).min(max_h / h).min(1.0);
    (w * s, h * s)
}

fn openai(w: u32, h: u32) -> u64 {
    let (w, h) = fit(w, h, 2048.0, 2048.0);
    let s = (768.0 / w.min(h)).min(1.0);
    let (w, h) = ((w * s).round(), (h * s).round());
    let tiles = (w / 512.0).ceil() * (h / 512.0).ceil();
    170 * tiles as u64 + 85
}

fn anthropic(w: u32, h: u32) -> u64 {
    let (w, h) = fit(w, h, 1568.0, 1568.0);
    let area = w.round() * h.round();
    let s = (1_150_000.0 / area).min(1.0);
    ((area * s) / 750.0).ceil().max(1.0) as u64
}

fn gemini(w: u32, h: u32) -> u64 {
    if w <= 384 && h <= 384 {
        return 258;
    }
    let tile = (f64::from(w.min(h)) / 1.5).clamp(256.0, 768.0);
    let tiles = (f64::from(w) / tile).ceil() * (f64::from(h) / tile).ceil();
    258 * tiles as u64
}

/// Pixel size of an inline image (base64 data or a `data:` URL), read from its header.
pub(crate) fn inline_size(source: &MediaSource) -> Option<(u32, u32)> {
    let data = match source {
        MediaSource::Base64(d) => d.as_str(),
        MediaSource::Url(u) => crate::media::parse_data_url(u)?.1,
        _ => return None,
    };
    let bytes = crate::media::base64::decode_prefix(data, 64 * 1024)?;
    let info = crate::media::image_info(&bytes)?;
    Some((info.width?, info.height?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openai_tiles_follow_the_documented_examples() {
        // 2048×4096 → 1024×2048 → 768×1536: 2×3 tiles.
        assert_eq!(ImageRule::OpenAi.tokens(Some((2048, 4096)), None), 1105);
        assert_eq!(ImageRule::OpenAi.tokens(Some((512, 512)), None), 255);
        assert_eq!(ImageRule::OpenAi.tokens(None, Some(ImageDetail::Low)), 85);
    }

    #[test]
    fn odd_sizes_never_panic() {
        for rule in [ImageRule::OpenAi, ImageRule::Anthropic, ImageRule::Gemini] {
            for size in [(0, 0), (1, u32::MAX), (u32::MAX, u32::MAX), (1, 1)] {
                assert!(rule.tokens(Some(size), None) > 0);
            }
        }
        assert_eq!(ImageRule::Anthropic.tokens(Some((8000, 8000)), None), 1534);
        assert_eq!(ImageRule::Gemini.tokens(Some((1024, 1024)), None), 1032);
    }
}
