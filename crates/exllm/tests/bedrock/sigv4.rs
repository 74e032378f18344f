//! An AWS Signature Version 4 verifier written from the AWS documentation, independent of the
//! `aws-sigv4` crate the client signs with: it rebuilds the canonical request from what the
//! server received (the URI path encoded a second time, as every service but S3 requires; the
//! headers the `Authorization` header names; the SHA-256 of the body), the string to sign, and
//! the signing key (HMAC chain over date, region, service and `aws4_request`), and compares the
//! signature.

use crate::support::Recorded;
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

/// What a valid signature covered.
#[derive(Debug, PartialEq, Eq)]
pub struct Signed {
    pub access_key: String,
    pub date: String,
    pub region: String,
    pub service: String,
    pub signed_headers: Vec<String>,
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut m = <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("any key length");
    m.update(data);
    m.finalize().into_bytes().to_vec()
}

fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// RFC 3986 encoding of every byte but the unreserved ones (and `/` when `keep_slash`).
fn uri_encode(s: &str, keep_slash: bool) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b'/' if keep_slash => out.push('/'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn uri_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The canonical query: names and values decoded, encoded once, sorted.
fn canonical_query(query: &str) -> String {
    let mut pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (
                uri_encode(&uri_decode(k), false),
                uri_encode(&uri_decode(v), false),
            )
        })
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// A header's values joined by commas, trimmed, inner runs of spaces collapsed.
fn canonical_value(r: &Recorded, name: &str) -> Option<String> {
    let values: Vec<String> = r
        .headers
        .iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    (!values.is_empty()).then(|| values.join(","))
}

/// Checks the request's SigV4 signature with `secret`; returns what it covered.
pub fn verify(r: &Recorded, secret: &str) -> Result<Signed, String> {
    let auth = r.header("authorization").ok_or("no Authorization header")?;
    let rest = auth
        .strip_prefix("AWS4-HMAC-SHA256 ")
        .ok_or_else(|| format!("not a SigV4 Authorization header: {auth}"))?;
    let mut credential = None;
    let mut signed_headers = None;
    let mut signature = None;
    for field in rest.split(',').map(str::trim) {
        match field.split_once('=') {
            Some(("Credential", v)) => credential = Some(v),
            Some(("SignedHeaders", v)) => signed_headers = Some(v),
            Some(("Signature", v)) => signature = Some(v),
            _ => return Err(format!("unexpected field `{field}`")),
        }
    }
    let credential = credential.ok_or("no Credential")?;
    let signed_headers = signed_headers.ok_or("no SignedHeaders")?;
    let signature = signature.ok_or("no Signature")?;
    let scope: Vec<&str> = credential.split('/').collect();
    let [access_key, date, region, service, terminator] = scope[..] else {
        return Err(format!("bad credential scope `{credential}`"));
    };
    if terminator != "aws4_request" {
        return Err(format!("scope does not end in aws4_request: {credential}"));
    }
    let amz_date = r.header("x-amz-date").ok_or("no X-Amz-Date header")?;
    if amz_date.len() != 16 || !amz_date.starts_with(date) {
        return Err(format!(
            "X-Amz-Date {amz_date} does not match the scope date {date}"
        ));
    }
    let names: Vec<&str> = signed_headers.split(';').collect();
    let mut sorted = names.clone();
    sorted.sort();
    if sorted != names || names.iter().any(|n| n.to_ascii_lowercase() != *n) {
        return Err(format!(
            "signed headers not lower-case and sorted: {signed_headers}"
        ));
    }
    let mut canonical_headers = String::new();
    for name in &names {
        let value =
            canonical_value(r, name).ok_or_else(|| format!("signed header `{name}` not sent"))?;
        canonical_headers.push_str(&format!("{name}:{value}\n"));
    }
    let payload_hash = sha256_hex(&r.body);
    if let Some(h) = r.header("x-amz-content-sha256") {
        if h != payload_hash {
            return Err(format!(
                "x-amz-content-sha256 {h} is not the body's {payload_hash}"
            ));
        }
    }
    let (path, query) = r.path.split_once('?').unwrap_or((&r.path, ""));
    // The path arrived encoded once; the canonical URI encodes it again.
    let canonical_request = format!(
        "{}\n{}\n{}\n{}\n{}\n{}",
        r.method,
        uri_encode(path, true),
        canonical_query(query),
        canonical_headers,
        signed_headers,
        payload_hash
    );
    let scope = format!("{date}/{region}/{service}/aws4_request");
    let string_to_sign = format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
        sha256_hex(canonical_request.as_bytes())
    );
    let k_date = hmac(format!("AWS4{secret}").as_bytes(), date.as_bytes());
    let k_region = hmac(&k_date, region.as_bytes());
    let k_service = hmac(&k_region, service.as_bytes());
    let k_signing = hmac(&k_service, b"aws4_request");
    let expected = hex::encode(hmac(&k_signing, string_to_sign.as_bytes()));
    if expected != signature {
        return Err(format!(
            "signature mismatch: sent {signature}, expected {expected}\ncanonical request:\n{canonical_request}"
        ));
    }
    Ok(Signed {
        access_key: access_key.to_owned(),
        date: date.to_owned(),
        region: region.to_owned(),
        service: service.to_owned(),
        signed_headers: names.iter().map(|s| (*s).to_owned()).collect(),
    })
}

/// The known-answer example of the AWS SigV4 documentation ("GET /" to IAM ListUsers signed
/// with the example credentials): proves the verifier computes signatures right.
pub fn documented_example() -> (Recorded, &'static str) {
    let r = Recorded {
        method: "GET".into(),
        path: "/?Action=ListUsers&Version=2010-05-08".into(),
        headers: vec![
            (
                "content-type".into(),
                "application/x-www-form-urlencoded; charset=utf-8".into(),
            ),
            ("host".into(), "iam.amazonaws.com".into()),
            ("x-amz-date".into(), "20150830T123600Z".into()),
            (
                "authorization".into(),
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7".into(),
            ),
        ],
        body: Vec::new(),
    };
    (r, "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
}
