//! Checksums and numbering rules that tell a real identifier from a look-alike digit run:
//! Luhn for payment cards, ISO 13616 mod-97 for IBANs, E.164 country codes and lengths for
//! phone numbers, the SSA's rules for US social security numbers, and Shannon entropy.

/// Luhn's checksum over ASCII digits.
pub(crate) fn luhn(digits: &[u8]) -> bool {
    let mut sum = 0u32;
    for (i, d) in digits.iter().rev().enumerate() {
        let mut v = u32::from(d - b'0');
        if i % 2 == 1 {
            v *= 2;
            if v > 9 {
                v -= 9;
            }
        }
        sum += v;
    }
    sum.is_multiple_of(10)
}

/// Maestro's prefixes, the one scheme with 12-digit numbers (and the UK's `0604`).
const MAESTRO: &[&[u8]] = &[
    b"5018", b"5020", b"5038", b"5893", b"6304", b"6759", b"6761", b"6762", b"6763", b"0604",
    b"6390", b"56", b"57", b"58",
];

/// A payment card number: 12–19 digits (12 only for Maestro), an issuer prefix in use, and
/// Luhn.
pub(crate) fn card(digits: &[u8]) -> bool {
    if !(12..=19).contains(&digits.len()) || !digits.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let maestro = MAESTRO.iter().any(|p| digits.starts_with(p));
    let issuer = match digits[0] {
        _ if digits.len() == 12 => maestro,
        b'3' | b'4' | b'5' | b'6' => true,
        // Mastercard's 2-series; JCB's 15-digit 2131 and 1800.
        b'2' => (b'2'..=b'7').contains(&digits[1]) || digits.starts_with(b"2131"),
        b'1' => digits.len() == 15 && digits.starts_with(b"1800"),
        b'0' => maestro,
        _ => false,
    };
    issuer && luhn(digits)
}

/// IBAN lengths by country (ISO 13616 registry).
const IBAN_LENGTHS: &[(&str, usize)] = &[
    ("AD", 24),
    ("AE", 23),
    ("AL", 28),
    ("AT", 20),
    ("AZ", 28),
    ("BA", 20),
    ("BE", 16),
    ("BG", 22),
    ("BH", 22),
    ("BR", 29),
    ("BY", 28),
    ("CH", 21),
    ("CR", 22),
    ("CY", 28),
    ("CZ", 24),
    ("DE", 22),
    ("DK", 18),
    ("DO", 28),
    ("EE", 20),
    ("EG", 29),
    ("ES", 24),
    ("FI", 18),
    ("FO", 18),
    ("FR", 27),
    ("GB", 22),
    ("GE", 22),
    ("GI", 23),
    ("GL", 18),
    ("GR", 27),
    ("GT", 28),
    ("HR", 21),
    ("HU", 28),
    ("IE", 22),
    ("IL", 23),
    ("IQ", 23),
    ("IS", 26),
    ("IT", 27),
    ("JO", 30),
    ("KW", 30),
    ("KZ", 20),
    ("LB", 28),
    ("LC", 32),
    ("LI", 21),
    ("LT", 20),
    ("LU", 20),
    ("LV", 21),
    ("MC", 27),
    ("MD", 24),
    ("ME", 22),
    ("MK", 19),
    ("MR", 27),
    ("MT", 31),
    ("MU", 30),
    ("NL", 18),
    ("NO", 15),
    ("PK", 24),
    ("PL", 28),
    ("PS", 29),
    ("PT", 25),
    ("QA", 29),
    ("RO", 24),
    ("RS", 22),
    ("SA", 24),
    ("SC", 31),
    ("SE", 24),
    ("SI", 19),
    ("SK", 24),
    ("SM", 27),
    ("ST", 25),
    ("SV", 28),
    ("TL", 23),
    ("TN", 24),
    ("TR", 26),
    ("UA", 29),
    ("VA", 22),
    ("VG", 24),
    ("XK", 20),
];

/// An IBAN without spaces: the country's length and the mod-97 check.
pub(crate) fn iban(s: &[u8]) -> bool {
    if s.len() < 15 || !s.iter().all(u8::is_ascii_alphanumeric) {
        return false;
    }
    let country = std::str::from_utf8(&s[..2]).unwrap_or("");
    let Some(&(_, len)) = IBAN_LENGTHS.iter().find(|(c, _)| *c == country) else {
        return false;
    };
    if s.len() != len || !s[2].is_ascii_digit() || !s[3].is_ascii_digit() {
        return false;
    }
    let mut rem = 0u32;
    for &c in s[4..].iter().chain(&s[..4]) {
        let v = match c {
            b'0'..=b'9' => u32::from(c - b'0'),
            b'A'..=b'Z' => u32::from(c - b'A') + 10,
            _ => return false,
        };
        rem = if v >= 10 {
            (rem * 100 + v) % 97
        } else {
            (rem * 10 + v) % 97
        };
    }
    rem == 1
}

/// Three-digit country calling codes in service (ITU-T E.164 assignments).
const CC3: &[(u16, u16)] = &[
    (211, 212),
    (213, 213),
    (216, 216),
    (218, 218),
    (220, 258),
    (260, 269),
    (290, 291),
    (297, 299),
    (350, 359),
    (370, 378),
    (380, 383),
    (385, 387),
    (389, 389),
    (420, 421),
    (423, 423),
    (500, 509),
    (590, 599),
    (670, 670),
    (672, 692),
    (800, 800),
    (808, 808),
    (850, 850),
    (852, 853),
    (855, 856),
    (870, 870),
    (878, 878),
    (880, 883),
    (886, 886),
    (888, 888),
    (960, 968),
    (970, 977),
    (979, 979),
    (992, 996),
    (998, 998),
];

/// Two-digit country calling codes in service.
const CC2: &[u8] = &[
    20, 27, 30, 31, 32, 33, 34, 36, 39, 40, 41, 43, 44, 45, 46, 47, 48, 49, 51, 52, 53, 54, 55, 56,
    57, 58, 60, 61, 62, 63, 64, 65, 66, 81, 82, 84, 86, 90, 91, 92, 93, 94, 95, 98,
];

/// The length of the country code that starts `digits` (codes are prefix-free).
fn country_code(digits: &[u8]) -> Option<usize> {
    let num = |n: usize| -> Option<u16> {
        let s = digits.get(..n)?;
        Some(s.iter().fold(0u16, |a, d| a * 10 + u16::from(d - b'0')))
    };
    if matches!(digits.first(), Some(b'1' | b'7')) {
        return Some(1);
    }
    if num(2).is_some_and(|c| CC2.contains(&(c as u8))) {
        return Some(2);
    }
    let c = num(3)?;
    CC3.iter()
        .any(|&(lo, hi)| (lo..=hi).contains(&c))
        .then_some(3)
}

/// An international phone number's digits (after `+` or `00`): a country code in service
/// and a national number of a length that country uses (E.164: at most 15 digits in all).
pub(crate) fn phone(digits: &[u8]) -> bool {
    if digits.len() > 15 || !digits.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let Some(cc) = country_code(digits) else {
        return false;
    };
    let national = &digits[cc..];
    let n = national.len();
    let code = &digits[..cc];
    match code {
        // North America: NPA and exchange never start with 0 or 1.
        b"1" => n == 10 && national[0] >= b'2' && national[3] >= b'2',
        b"7" | b"91" => n == 10,
        b"33" | b"61" => n == 9,
        b"44" | b"81" => (9..=10).contains(&n),
        b"86" => (10..=11).contains(&n),
        // Italy keeps the leading 0 of landlines in international form; others drop it.
        b"39" => (6..=11).contains(&n),
        _ => n >= 6 && national[0] != b'0',
    }
}

/// A US social security number's parts: no area 000, 666 or 900–999, no group 00, no serial
/// 0000, and not one of the numbers printed in advertising.
pub(crate) fn ssn(area: u16, group: u16, serial: u16) -> bool {
    area != 0
        && area != 666
        && area < 900
        && group != 0
        && serial != 0
        && !matches!((area, group, serial), (78, 5, 1120) | (219, 9, 9999))
}

/// Shannon entropy of `s`, in bits per character.
pub(crate) fn entropy(s: &str) -> f64 {
    let mut counts = [0u32; 256];
    for b in s.bytes() {
        counts[usize::from(b)] += 1;
    }
    let n = s.len() as f64;
    if n == 0.0 {
        return 0.0;
    }
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / n;
            -p * p.log2()
        })
        .sum()
}
