//! Personal data found by pattern and checked by rule: e-mail addresses, international phone
//! numbers (country code and length), payment cards (issuer prefix and Luhn), IBANs (country
//! length and mod-97), US social security numbers (SSA numbering rules), IPv4 and IPv6
//! addresses. A pattern only proposes; the validator decides, so digit runs, order numbers,
//! dates and version strings are not taken for personal data.

use super::validate;
use super::{Action, Finding, Guardrail, Scope};
use regex::Regex;
use std::ops::Range;
use std::sync::LazyLock;

/// A kind of personal data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum PiiKind {
    /// E-mail addresses.
    Email,
    /// Phone numbers in international form (`+44 20 7946 0958`, `0033 1 23 45 67 89`).
    Phone,
    /// Payment card numbers.
    Card,
    /// International bank account numbers.
    Iban,
    /// US social security numbers (`123-45-6789`).
    Ssn,
    /// IPv4 addresses.
    Ipv4,
    /// IPv6 addresses.
    Ipv6,
}

impl PiiKind {
    /// Every kind.
    pub const ALL: [PiiKind; 7] = [
        PiiKind::Email,
        PiiKind::Phone,
        PiiKind::Card,
        PiiKind::Iban,
        PiiKind::Ssn,
        PiiKind::Ipv4,
        PiiKind::Ipv6,
    ];

    /// The rule name (`email`), as in errors, metrics and configuration.
    pub fn rule(self) -> &'static str {
        match self {
            PiiKind::Email => "email",
            PiiKind::Phone => "phone",
            PiiKind::Card => "card",
            PiiKind::Iban => "iban",
            PiiKind::Ssn => "ssn",
            PiiKind::Ipv4 => "ipv4",
            PiiKind::Ipv6 => "ipv6",
        }
    }

    /// The placeholder label (`EMAIL` gives `<EMAIL_1>`).
    pub fn label(self) -> &'static str {
        match self {
            PiiKind::Email => "EMAIL",
            PiiKind::Phone => "PHONE",
            PiiKind::Card => "CARD",
            PiiKind::Iban => "IBAN",
            PiiKind::Ssn => "SSN",
            PiiKind::Ipv4 => "IPV4",
            PiiKind::Ipv6 => "IPV6",
        }
    }

    /// The spans of this kind in `text`.
    pub fn find(self, text: &str) -> Vec<Range<usize>> {
        match self {
            PiiKind::Email => EMAIL.find_iter(text).map(|m| m.range()).collect(),
            PiiKind::Phone => grouped(&PHONE, text, validate::phone, true),
            PiiKind::Card => grouped(&CARD, text, validate::card, false),
            PiiKind::Iban => grouped(&IBAN, text, validate::iban, false),
            PiiKind::Ssn => ssns(text),
            PiiKind::Ipv4 => ipv4s(text),
            PiiKind::Ipv6 => ipv6s(text),
        }
    }
}

/// Personal data, masked in requests (restored in answers) by default.
#[derive(Debug, Clone, PartialEq)]
pub struct Pii {
    /// The kinds to look for.
    pub kinds: Vec<PiiKind>,
    /// What to do with personal data in the request.
    pub input: Action,
    /// What to do with personal data the answer brings up itself (restored originals are not
    /// checked again).
    pub output: Action,
}

impl Default for Pii {
    fn default() -> Self {
        Pii {
            kinds: PiiKind::ALL.to_vec(),
            input: Action::Mask,
            output: Action::Allow,
        }
    }
}

impl Pii {
    /// Only these kinds.
    pub fn with_kinds(mut self, kinds: impl IntoIterator<Item = PiiKind>) -> Self {
        self.kinds = kinds.into_iter().collect();
        self
    }

    /// The action on requests.
    pub fn with_input(mut self, action: Action) -> Self {
        self.input = action;
        self
    }

    /// The action on answers.
    pub fn with_output(mut self, action: Action) -> Self {
        self.output = action;
        self
    }
}

impl Guardrail for Pii {
    fn name(&self) -> &str {
        "pii"
    }

    fn scan(&self, text: &str, scope: Scope) -> Vec<Finding> {
        let Some(action) = scope.action(self.input, self.output) else {
            return Vec::new();
        };
        let mut found: Vec<(Range<usize>, usize, PiiKind)> = Vec::new();
        for (order, &kind) in self.kinds.iter().enumerate() {
            found.extend(kind.find(text).into_iter().map(|s| (s, order, kind)));
        }
        // One kind per span: the earliest, then the longest, then the first kind listed (a
        // phone number's first groups are no SSN; an IBAN's digits no card).
        found.sort_by_key(|(s, order, _)| (s.start, std::cmp::Reverse(s.end), *order));
        let mut out: Vec<Finding> = Vec::new();
        let mut end = 0;
        for (span, _, kind) in found {
            if span.start < end {
                continue;
            }
            end = span.end;
            out.push(Finding::span(kind.rule(), kind.label(), span, action));
        }
        out
    }

    fn max_match_len(&self) -> usize {
        // The e-mail pattern's longest match (64-byte local part, four labels, a TLD).
        384
    }
}

static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"[A-Za-z0-9._%+\-]{0,63}[A-Za-z0-9_%+\-]@(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.){1,4}[A-Za-z]{2,24}\b",
    )
    .expect("valid pattern")
});
static PHONE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:\+|\b00)[1-9]\d{0,3}(?:[ .\-]?\(?\d{1,5}\)?){0,7}").expect("valid pattern")
});
static CARD: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b\d(?:[ \-]?\d){11,18}\b").expect("valid pattern"));
static IBAN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{1,4}){3,8}\b").expect("valid pattern")
});
static SSN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(\d{3})([ \-])(\d{2})([ \-])(\d{4})\b").expect("valid pattern")
});
static IPV4: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b(?:\d{1,3}\.){3}\d{1,3}\b").expect("valid pattern"));
static IPV6: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:[0-9a-f]{1,4}|:)?(?::[0-9a-f]{0,4}){2,7}(?:\.\d{1,3}){0,3}")
        .expect("valid pattern")
});

/// Matches of a pattern of separated groups, each cut back group by group (longest first) to
/// the longest prefix whose alphanumerics the validator accepts: `+44 20 7946 0958 12` is the
/// number and a stray `12`.
fn grouped(
    re: &Regex,
    text: &str,
    valid: impl Fn(&[u8]) -> bool,
    skip_prefix: bool,
) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut chars = Vec::with_capacity(24);
    let mut at = 0;
    while let Some(m) = re.find_at(text, at) {
        let s = m.as_str().as_bytes();
        // Without a valid prefix, the search goes on from the match's next group (a longer
        // run such as `20 7946 0958 4111-1111-1111-1111` must not hide the card in it, and
        // what a stream sees of the run must not decide it); with one, right after it.
        at = next_group(s).map_or(m.end(), |i| m.start() + i);
        // Candidate ends: after each run of alphanumerics.
        let ends: Vec<usize> = (1..=s.len())
            .filter(|&i| {
                s[i - 1].is_ascii_alphanumeric()
                    && s.get(i).is_none_or(|c| !c.is_ascii_alphanumeric())
            })
            .collect();
        for &end in ends.iter().rev() {
            chars.clear();
            let body = if skip_prefix {
                // The international prefix (`+` or `00`) is not part of the number.
                let b = &s[..end];
                if b.first() == Some(&b'+') {
                    &b[1..]
                } else {
                    b.get(2..).unwrap_or(&[])
                }
            } else {
                &s[..end]
            };
            chars.extend(body.iter().filter(|c| c.is_ascii_alphanumeric()));
            if valid(&chars) {
                out.push(m.start()..m.start() + end);
                at = m.start() + end;
                break;
            }
        }
    }
    out
}

/// Where the second run of alphanumerics of a match starts, if it has one.
fn next_group(s: &[u8]) -> Option<usize> {
    let first = s.iter().position(u8::is_ascii_alphanumeric)?;
    let gap = first + s[first..].iter().position(|c| !c.is_ascii_alphanumeric())?;
    Some(gap + s[gap..].iter().position(u8::is_ascii_alphanumeric)?)
}

fn ssns(text: &str) -> Vec<Range<usize>> {
    let num = |s: &str| s.parse::<u16>().unwrap_or(0);
    SSN.captures_iter(text)
        .filter(|c| c[2] == c[4] && validate::ssn(num(&c[1]), num(&c[3]), num(&c[5])))
        .filter_map(|c| c.get(0).map(|m| m.range()))
        .collect()
}

/// Dotted quads that are addresses, not part of a longer dotted run (`1.2.3.4.5`).
fn ipv4s(text: &str) -> Vec<Range<usize>> {
    let b = text.as_bytes();
    IPV4.find_iter(text)
        .filter(|m| {
            let before = m.start().checked_sub(1).map(|i| b[i]);
            let after = b.get(m.end()..m.end() + 2);
            before != Some(b'.')
                && !matches!(after, Some([b'.', d]) if d.is_ascii_digit())
                && m.as_str().parse::<std::net::Ipv4Addr>().is_ok()
        })
        .map(|m| m.range())
        .collect()
}

/// Colon-separated hex groups that parse as an IPv6 address with at least three groups
/// (not a clock time, not a bare `::`).
fn ipv6s(text: &str) -> Vec<Range<usize>> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    for m in IPV6.find_iter(text) {
        let before = m.start().checked_sub(1).map(|i| b[i]);
        if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == b':' || c == b'.') {
            continue;
        }
        let mut s = m.as_str();
        // A sentence may end on the address's last colon-free group, never on a lone colon.
        while s.ends_with(':') && !s.ends_with("::") {
            s = &s[..s.len() - 1];
        }
        let groups = s.split(':').filter(|g| !g.is_empty()).count();
        if groups >= 3 && s.parse::<std::net::Ipv6Addr>().is_ok() {
            out.push(m.start()..m.start() + s.len());
        }
    }
    out
}
