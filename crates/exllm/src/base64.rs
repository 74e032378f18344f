//! Standard base64 (RFC 4648 §4), written here because the crate has no base64 dependency and
//! media loading needs only a few small operations: encode bytes, measure the decoded size of
//! inline data without decoding it, decode a short prefix to sniff its format, and decode whole
//! payloads that providers send base64 (embedding vectors, generated images).

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Encodes bytes as padded standard base64.
pub(crate) fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The value of one base64 character (standard or URL-safe alphabet).
fn value(c: u8) -> Option<u32> {
    Some(match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' | b'-' => 62,
        b'/' | b'_' => 63,
        _ => return None,
    } as u32)
}

/// How many bytes `data` decodes to (whitespace and padding ignored), without decoding it.
pub(crate) fn decoded_len(data: &str) -> usize {
    let n = data
        .bytes()
        .filter(|c| !c.is_ascii_whitespace() && *c != b'=')
        .count();
    n / 4 * 3 + (n % 4).saturating_sub(1)
}

/// Whether `data` holds only base64 characters, whitespace and trailing padding.
pub(crate) fn is_valid(data: &str) -> bool {
    let body = data.trim_end().trim_end_matches('=');
    body.bytes()
        .all(|c| c.is_ascii_whitespace() || value(c).is_some())
}

/// Decodes at most the first `max` bytes of `data`; `None` when a character is not base64.
pub(crate) fn decode_prefix(data: &str, max: usize) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(max.min(data.len()));
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in data.bytes() {
        if out.len() >= max || c == b'=' {
            break;
        }
        if c.is_ascii_whitespace() {
            continue;
        }
        acc = (acc << 6) | value(c)?;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// Decodes all of `data` (whitespace ignored, padding optional); `None` when it is not base64:
/// a foreign character, text after the padding, or a dangling sixth of a byte.
pub(crate) fn decode(data: &str) -> Option<Vec<u8>> {
    let body = data.trim_end().trim_end_matches('=');
    if body.contains('=') {
        return None;
    }
    let n = body.bytes().filter(|c| !c.is_ascii_whitespace()).count();
    if n % 4 == 1 {
        return None;
    }
    decode_prefix(body, usize::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_the_rfc_vectors() {
        let cases = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (plain, coded) in cases {
            assert_eq!(encode(plain.as_bytes()), coded);
            assert_eq!(decoded_len(coded), plain.len(), "{coded}");
            assert_eq!(decode_prefix(coded, 100).unwrap(), plain.as_bytes());
            assert!(is_valid(coded));
        }
        assert_eq!(decode_prefix("Zm9vYmFy", 2).unwrap(), b"fo");
        assert!(decode_prefix("Zm9v*", 10).is_none());
        assert!(!is_valid("Zm9v*"));
        let all: Vec<u8> = (0..=255).collect();
        assert_eq!(decode_prefix(&encode(&all), 1000).unwrap(), all);
    }

    #[test]
    fn whole_decoding_refuses_what_is_not_base64() {
        let all: Vec<u8> = (0..=255).collect();
        assert_eq!(decode(&encode(&all)).unwrap(), all);
        assert_eq!(decode("Zm9vYg").unwrap(), b"foob", "padding is optional");
        assert_eq!(decode("Zm9v\nYmFy\n").unwrap(), b"foobar");
        assert!(decode("Zm9v*").is_none());
        assert!(decode("Zg==Zm9v").is_none(), "text after the padding");
        assert!(decode("Zm9vY").is_none(), "a dangling character");
    }
}
