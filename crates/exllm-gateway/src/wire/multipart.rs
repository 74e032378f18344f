//! `multipart/form-data` bodies (RFC 7578), as the OpenAI SDKs send audio and file uploads:
//! the boundary from the `Content-Type`, then each part's name, file name, type and bytes.
//! The body is already read whole (under the gateway's body limit); parts are slices of it,
//! not copies. Anything malformed is an error, never a panic.

use bytes::Bytes;

/// One part of a form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// The field name.
    pub name: String,
    /// The file name, for a file field.
    pub filename: Option<String>,
    /// The part's `Content-Type`, when sent.
    pub content_type: Option<String>,
    /// The bytes.
    pub data: Bytes,
}

impl Part {
    /// The bytes as text (a plain field), when they are UTF-8.
    pub fn text(&self) -> Option<&str> {
        std::str::from_utf8(&self.data).ok()
    }
}

/// The boundary of a `multipart/form-data` content type.
pub fn boundary(content_type: &str) -> Option<String> {
    let (kind, params) = content_type.split_once(';')?;
    if !kind.trim().eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    params.split(';').find_map(|p| {
        let (k, v) = p.split_once('=')?;
        let v = v.trim().trim_matches('"');
        (k.trim().eq_ignore_ascii_case("boundary") && !v.is_empty()).then(|| v.to_owned())
    })
}

/// The parts of `body`, cut at `boundary`.
pub fn parse(body: &Bytes, boundary: &str) -> Result<Vec<Part>, String> {
    let delim = format!("--{boundary}");
    let mut parts = Vec::new();
    let mut at = find(body, delim.as_bytes(), 0).ok_or("no multipart boundary in the body")?;
    loop {
        at += delim.len();
        if body[at..].starts_with(b"--") {
            return Ok(parts);
        }
        let head_start = skip_newline(body, at).ok_or("malformed multipart boundary line")?;
        let head_end = find(body, b"\r\n\r\n", head_start).ok_or("a part without headers")?;
        let head = std::str::from_utf8(&body[head_start..head_end])
            .map_err(|_| "part headers are not UTF-8")?;
        let data_start = head_end + 4;
        let next = find(body, format!("\r\n{delim}").as_bytes(), data_start)
            .ok_or("a part without its closing boundary")?;
        let mut part = Part {
            name: String::new(),
            filename: None,
            content_type: None,
            data: body.slice(data_start..next),
        };
        for line in head.split("\r\n") {
            let Some((k, v)) = line.split_once(':') else {
                continue;
            };
            if k.trim().eq_ignore_ascii_case("content-disposition") {
                part.name = param(v, "name").ok_or("a part without a name")?;
                part.filename = param(v, "filename");
            } else if k.trim().eq_ignore_ascii_case("content-type") {
                part.content_type = Some(v.trim().to_owned());
            }
        }
        if part.name.is_empty() {
            return Err("a part without a Content-Disposition name".into());
        }
        parts.push(part);
        at = next + 2;
    }
}

/// `parts` as a form cut at `boundary` (names and file names quoted, `"` and `\` escaped).
pub fn encode(parts: &[Part], boundary: &str) -> Vec<u8> {
    let quote = |s: &str| {
        s.replace('\\', "\\\\")
            .replace('"', "\\\"")
            .replace(['\r', '\n'], " ")
    };
    let mut out = Vec::new();
    for p in parts {
        out.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        let mut disposition = format!(
            "Content-Disposition: form-data; name=\"{}\"",
            quote(&p.name)
        );
        if let Some(f) = &p.filename {
            disposition += &format!("; filename=\"{}\"", quote(f));
        }
        out.extend_from_slice(disposition.as_bytes());
        out.extend_from_slice(b"\r\n");
        if let Some(t) = &p.content_type {
            out.extend_from_slice(
                format!("Content-Type: {}\r\n", t.replace(['\r', '\n'], "")).as_bytes(),
            );
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(&p.data);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    out
}

/// A `key="value"` parameter of a header value (quotes and `\"` escapes undone).
fn param(header: &str, key: &str) -> Option<String> {
    let mut rest = header;
    while let Some(i) = rest.find(';') {
        rest = rest[i + 1..].trim_start();
        let (k, v) = rest.split_once('=')?;
        if !k.trim().eq_ignore_ascii_case(key) {
            continue;
        }
        let v = v.trim_start();
        if let Some(quoted) = v.strip_prefix('"') {
            let mut out = String::new();
            let mut chars = quoted.chars();
            while let Some(c) = chars.next() {
                match c {
                    '"' => return Some(out),
                    '\\' => out.push(chars.next()?),
                    c => out.push(c),
                }
            }
            return None;
        }
        return Some(v.split(';').next().unwrap_or("").trim().to_owned());
    }
    None
}

fn skip_newline(b: &[u8], at: usize) -> Option<usize> {
    match b.get(at..at + 2) {
        Some(b"\r\n") => Some(at + 2),
        _ => None,
    }
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    hay.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|i| i + from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_with_files_and_fields() {
        let body = Bytes::from_static(
            b"--XyZ\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\nwhisper\r\n\
--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a \\\"b\\\".wav\"\r\nContent-Type: audio/wav\r\n\r\nRIFF\r\n--X\x00\r\n--XyZ--\r\n",
        );
        let b = boundary("multipart/form-data; boundary=\"XyZ\"").unwrap();
        let parts = parse(&body, &b).unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(
            (parts[0].name.as_str(), parts[0].text()),
            ("model", Some("whisper"))
        );
        assert_eq!(parts[1].filename.as_deref(), Some("a \"b\".wav"));
        assert_eq!(parts[1].content_type.as_deref(), Some("audio/wav"));
        assert_eq!(&parts[1].data[..], b"RIFF\r\n--X\x00");
    }

    #[test]
    fn encoded_forms_parse_back() {
        let parts = vec![
            Part {
                name: "purpose".into(),
                filename: None,
                content_type: None,
                data: Bytes::from_static(b"batch"),
            },
            Part {
                name: "file".into(),
                filename: Some("a\"b.jsonl".into()),
                content_type: Some("application/jsonl".into()),
                data: Bytes::from_static(b"{}\r\n{}"),
            },
        ];
        let body = Bytes::from(encode(&parts, "exllm-b"));
        assert_eq!(parse(&body, "exllm-b").unwrap(), parts);
    }

    #[test]
    fn malformed_forms_are_errors() {
        assert_eq!(boundary("application/json"), None);
        for body in [
            &b""[..],
            b"--B\r\nContent-Disposition: form-data\r\n\r\nx\r\n--B--",
            b"--B\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nno end",
            b"--Bjunk",
        ] {
            assert!(parse(&Bytes::from_static(body), "B").is_err());
        }
    }
}
