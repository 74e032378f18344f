//! Media for the vision tests, made here rather than stored: a valid PNG (with real CRCs and
//! a stored zlib block), a JPEG header, a tiny PDF, and files written to fresh temporary
//! directories under the names a test wants.

use exllm::{media, MediaSource, Part};
use serde_json::{json, Value};
use std::path::PathBuf;

/// CRC-32 (IEEE) of PNG chunks.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A valid 1 × 1 red PNG: signature, IHDR, one stored (uncompressed) zlib IDAT, IEND.
pub fn tiny_png() -> Vec<u8> {
    fn chunk(out: &mut Vec<u8>, kind: &[u8], data: &[u8]) {
        out.extend((data.len() as u32).to_be_bytes());
        let mut typed = kind.to_vec();
        typed.extend(data);
        out.extend(&typed);
        out.extend(crc32(&typed).to_be_bytes());
    }
    let raw = [0u8, 255, 0, 0]; // filter byte, then R G B
    let (a, b) = raw.iter().fold((1u32, 0u32), |(a, b), &x| {
        let a = (a + u32::from(x)) % 65521;
        (a, (b + a) % 65521)
    });
    let mut zlib = vec![0x78, 0x01, 0x01, 4, 0, !4, 0xFF];
    zlib.extend(raw);
    zlib.extend(((b << 16) | a).to_be_bytes());
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    chunk(&mut png, b"IHDR", &[0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0]);
    chunk(&mut png, b"IDAT", &zlib);
    chunk(&mut png, b"IEND", &[]);
    png
}

/// A JPEG header (SOI, APP0, SOF0 for 4 × 3) — enough to be recognised.
pub fn jpeg_head() -> Vec<u8> {
    let mut j = vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 16];
    j.extend(b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0");
    j.extend([0xFF, 0xC0, 0, 11, 8, 0, 3, 0, 4, 1, 1, 0x11, 0]);
    j
}

pub const PDF: &[u8] = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";

pub fn b64(bytes: &[u8]) -> String {
    match media::from_bytes(bytes, None).unwrap() {
        Part::Image {
            source: MediaSource::Base64(d),
            ..
        }
        | Part::File {
            source: MediaSource::Base64(d),
            ..
        } => d,
        other => panic!("{other:?}"),
    }
}

/// A fresh directory holding `name` with `bytes`; returns the file's path.
pub fn write_temp(name: &str, bytes: &[u8]) -> PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "exllm-vision-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

pub fn chat_reply() -> Value {
    json!({"id": "c1", "model": "m", "choices": [{"index": 0, "message": {"role": "assistant", "content": "ok"}, "finish_reason": "stop"}]})
}
pub fn gemini_reply() -> Value {
    json!({"candidates": [{"content": {"role": "model", "parts": [{"text": "ok"}]}, "finishReason": "STOP"}]})
}
pub fn png_file() -> Part {
    media::from_path(write_temp("dot.png", &tiny_png())).unwrap()
}

/// Answers each API decodes to the text "ok".
pub fn anthropic_reply() -> Value {
    json!({"id": "msg_1", "type": "message", "role": "assistant", "model": "m", "content": [{"type": "text", "text": "ok"}], "stop_reason": "end_turn", "usage": {"input_tokens": 1, "output_tokens": 1}})
}
