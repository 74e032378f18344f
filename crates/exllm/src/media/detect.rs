//! Format detection from magic bytes, and pixel dimensions read from image headers.
//!
//! A file's extension says what someone named it, not what it holds: a PNG saved as
//! `photo.jpg` would be sent with the wrong media type and rejected by the provider. So the
//! type is always read from the first bytes. Dimensions come from the header alone (PNG
//! `IHDR`, JPEG `SOF` markers, GIF logical screen, WebP `VP8`/`VP8L`/`VP8X`), enough for
//! size limits and image token estimates without decoding any pixels.

/// What an image's header says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageInfo {
    /// The media type the bytes are (`image/png`, ...).
    pub media_type: &'static str,
    /// Width in pixels, when the header could be read.
    pub width: Option<u32>,
    /// Height in pixels, when the header could be read.
    pub height: Option<u32>,
}

/// The media type a URL's file extension names, for a remote file exllm does not download
/// (the bytes are not at hand, so the name is all there is). Query and fragment are ignored.
///
/// ```
/// assert_eq!(exllm::media::type_from_url("https://x.dev/a/cat.PNG?w=2"), Some("image/png"));
/// assert_eq!(exllm::media::type_from_url("gs://bucket/report.pdf"), Some("application/pdf"));
/// assert_eq!(exllm::media::type_from_url("https://example.com/dog"), None);
/// ```
pub fn type_from_url(url: &str) -> Option<&'static str> {
    let path = url.split(['?', '#']).next().unwrap_or(url);
    let name = path.rsplit('/').next().unwrap_or(path);
    let (_, ext) = name.rsplit_once('.')?;
    Some(match ext.to_ascii_lowercase().as_str() {
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "heic" => "image/heic",
        "heif" => "image/heif",
        "pdf" => "application/pdf",
        "txt" => "text/plain",
        "mp3" => "audio/mpeg",
        "wav" => "audio/wav",
        "flac" => "audio/flac",
        "mp4" => "video/mp4",
        "mov" => "video/quicktime",
        "webm" => "video/webm",
        _ => return None,
    })
}

/// The media type of `bytes` from their magic number: JPEG, PNG, GIF, WebP or PDF.
///
/// ```
/// assert_eq!(exllm::media::sniff(b"%PDF-1.7\n"), Some("application/pdf"));
/// assert_eq!(exllm::media::sniff(b"hello"), None);
/// ```
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"%PDF-") {
        return Some("application/pdf");
    }
    image_type(bytes)
}

fn image_type(b: &[u8]) -> Option<&'static str> {
    if b.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if b.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if b.starts_with(b"GIF87a") || b.starts_with(b"GIF89a") {
        Some("image/gif")
    } else if b.len() >= 12 && b.starts_with(b"RIFF") && &b[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

/// The type and pixel size of an image, from its header; `None` when the bytes are no
/// image exllm knows (JPEG, PNG, GIF, WebP). A known format with a cut or odd header has
/// `None` dimensions.
///
/// ```
/// // A PNG signature and IHDR chunk for a 3 × 2 image.
/// let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
/// png.extend([0, 0, 0, 3, 0, 0, 0, 2]);
/// let info = exllm::media::image_info(&png).unwrap();
/// assert_eq!((info.media_type, info.width, info.height), ("image/png", Some(3), Some(2)));
/// ```
pub fn image_info(bytes: &[u8]) -> Option<ImageInfo> {
    let media_type = image_type(bytes)?;
    let dims = match media_type {
        "image/png" => png(bytes),
        "image/gif" => gif(bytes),
        "image/webp" => webp(bytes),
        _ => jpeg(bytes),
    };
    let (width, height) = match dims {
        Some((w, h)) => (Some(w), Some(h)),
        None => (None, None),
    };
    Some(ImageInfo {
        media_type,
        width,
        height,
    })
}

fn be16(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at + 2)?;
    Some(u32::from(u16::from_be_bytes([s[0], s[1]])))
}

fn le16(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at + 2)?;
    Some(u32::from(u16::from_le_bytes([s[0], s[1]])))
}

fn le24(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at + 3)?;
    Some(u32::from_le_bytes([s[0], s[1], s[2], 0]))
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at + 4)?;
    Some(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

/// The first chunk after the signature must be `IHDR`: width and height, big-endian.
fn png(b: &[u8]) -> Option<(u32, u32)> {
    (b.get(12..16)? == b"IHDR").then_some(())?;
    Some((be32(b, 16)?, be32(b, 20)?))
}

/// The logical screen descriptor follows the 6-byte signature: width and height, little-endian.
fn gif(b: &[u8]) -> Option<(u32, u32)> {
    Some((le16(b, 6)?, le16(b, 8)?))
}

/// The first chunk after `RIFF....WEBP` says which flavour: lossy `VP8 ` (14-bit sizes after
/// a start code), lossless `VP8L` (14-bit sizes minus one, packed) or extended `VP8X`
/// (24-bit canvas sizes minus one).
fn webp(b: &[u8]) -> Option<(u32, u32)> {
    match b.get(12..16)? {
        b"VP8 " => {
            (b.get(23..26)? == [0x9D, 0x01, 0x2A]).then_some(())?;
            Some((le16(b, 26)? & 0x3FFF, le16(b, 28)? & 0x3FFF))
        }
        b"VP8L" => {
            (*b.get(20)? == 0x2F).then_some(())?;
            let s = b.get(21..25)?;
            let bits = u32::from_le_bytes([s[0], s[1], s[2], s[3]]);
            Some(((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1))
        }
        b"VP8X" => Some((le24(b, 24)? + 1, le24(b, 27)? + 1)),
        _ => None,
    }
}

/// Walks the marker segments up to the first start-of-frame (`SOF0`–`SOF15` but `DHT`,
/// `JPG` and `DAC`), whose body is precision, height, width.
fn jpeg(b: &[u8]) -> Option<(u32, u32)> {
    let mut i = 2;
    loop {
        if *b.get(i)? != 0xFF {
            return None;
        }
        // Fill bytes: any number of 0xFF before the marker code.
        while *b.get(i + 1)? == 0xFF {
            i += 1;
        }
        let marker = *b.get(i + 1)?;
        match marker {
            // Markers without a length: TEM, RSTn, SOI.
            0x01 | 0xD0..=0xD8 => {
                i += 2;
                continue;
            }
            // End of image or start of scan before any frame header.
            0xD9 | 0xDA => return None,
            _ => {}
        }
        let len = be16(b, i + 2)? as usize;
        if matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC) {
            return Some((be16(b, i + 7)?, be16(b, i + 5)?));
        }
        if len < 2 {
            return None;
        }
        i += 2 + len;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(b: &[u8]) -> (Option<&'static str>, Option<u32>, Option<u32>) {
        match image_info(b) {
            Some(i) => (Some(i.media_type), i.width, i.height),
            None => (None, None, None),
        }
    }

    #[test]
    fn reads_each_format() {
        let mut gif = b"GIF89a".to_vec();
        gif.extend([0x40, 0x01, 0xF0, 0x00]);
        assert_eq!(info(&gif), (Some("image/gif"), Some(320), Some(240)));

        // APP0 segment, then SOF2 (progressive): 100 high, 200 wide.
        let mut jpg = vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 4, 0, 0];
        jpg.extend([0xFF, 0xFF, 0xC2, 0, 11, 8, 0, 100, 0, 200, 3]);
        assert_eq!(info(&jpg), (Some("image/jpeg"), Some(200), Some(100)));

        let riff = |kind: &[u8], body: &[u8]| {
            let mut v = b"RIFF\0\0\0\0WEBP".to_vec();
            v.extend(kind);
            v.extend([0, 0, 0, 0]);
            v.extend(body);
            v
        };
        let lossy = riff(
            b"VP8 ",
            &[0, 0, 0, 0x9D, 0x01, 0x2A, 0x80, 0x02, 0xE0, 0x01],
        );
        assert_eq!(info(&lossy), (Some("image/webp"), Some(640), Some(480)));
        // Lossless: width-1 = 9, height-1 = 4 packed into 14-bit fields.
        let packed: u32 = 9 | (4 << 14);
        let mut body = vec![0x2F];
        body.extend(packed.to_le_bytes());
        assert_eq!(
            info(&riff(b"VP8L", &body)),
            (Some("image/webp"), Some(10), Some(5))
        );
        let ext = riff(b"VP8X", &[0, 0, 0, 0, 0x1F, 0x03, 0, 0x0F, 0x02, 0]);
        assert_eq!(info(&ext), (Some("image/webp"), Some(800), Some(528)));
    }

    #[test]
    fn damaged_headers_never_panic() {
        assert_eq!(info(&[0xFF, 0xD8, 0xFF]), (Some("image/jpeg"), None, None));
        assert_eq!(info(b"\x89PNG\r\n\x1a\n"), (Some("image/png"), None, None));
        // A zero segment length must not loop forever.
        assert_eq!(
            info(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0]),
            (Some("image/jpeg"), None, None)
        );
        assert_eq!(
            info(b"RIFF\0\0\0\0WEBPVP8X"),
            (Some("image/webp"), None, None)
        );
        assert_eq!(image_info(b"%PDF-1.4"), None);
        assert_eq!(sniff(b"%PDF-1.4"), Some("application/pdf"));
        for n in 0..64 {
            let junk: Vec<u8> = (0..n).map(|i| (i * 37 + 255) as u8).collect();
            let _ = image_info(&junk);
            let mut j = vec![0xFF, 0xD8];
            j.extend(&junk);
            let _ = image_info(&j);
        }
    }
}
