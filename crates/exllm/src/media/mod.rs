//! Images and documents as message input: loading them, knowing what they are, and knowing
//! whether a provider will take them.
//!
//! Vision requests fail in ways that are slow to find: a file's extension lies about its
//! format, a provider wants base64 where the caller has a URL, an image is over a size limit
//! that differs per provider, a PDF goes to an API with no documents. This module settles all
//! of that before a request leaves the process: [`sniff`] and [`image_info`] read the bytes,
//! [`from_path`], [`from_bytes`], [`from_url`] and [`from_path_or_url`] build
//! [`Part::Image`](crate::Part::Image) / [`Part::File`](crate::Part::File) values; each wire
//! API's documented limits ([`MediaLimits`](crate::provider::MediaLimits)) are checked by
//! [`check_media`](crate::provider::check_media) before a request is encoded.
//!
//! ```
//! use exllm::{media, Message, Part, Role};
//! let png = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\0\0\x01\0\0\0\x01\x08\x02\0\0\0";
//! let image = media::from_bytes(png, Some("dot.png"))?.with_detail(exllm::ImageDetail::Low);
//! let msg = Message::new(Role::User, vec![Part::text("What is this?"), image]);
//! # Ok::<(), exllm::Error>(())
//! ```

pub(crate) use crate::base64;
mod detect;
mod load;

pub use detect::{image_info, sniff, type_from_url, ImageInfo};
pub(crate) use load::parse_data_url;
pub use load::{from_bytes, from_path, from_path_or_url, from_url};

/// Decodes base64 (standard alphabet, padding optional, whitespace ignored), as media data
/// comes in parts and answers; `None` when it is not base64.
pub fn decode_base64(data: &str) -> Option<Vec<u8>> {
    base64::decode(data)
}
