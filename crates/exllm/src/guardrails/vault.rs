//! The placeholders of one call: which original each `<LABEL_n>` stands for, so the same
//! value gets the same placeholder within a request and the answer can be given back with the
//! originals. It lives for one call and is never logged (its `Debug` shows only counts).

use std::collections::HashMap;

/// The placeholders of one call and the values they replace.
#[derive(Clone, Default)]
pub struct Vault {
    by_value: HashMap<(String, String), String>,
    entries: HashMap<String, Entry>,
    counters: HashMap<String, usize>,
    longest: usize,
}

#[derive(Clone)]
struct Entry {
    value: String,
    /// Masked in the request (given back in the answer), not in the answer itself.
    restorable: bool,
}

/// Shows how many placeholders there are, never the values.
impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vault")
            .field("placeholders", &self.entries.len())
            .finish()
    }
}

impl Vault {
    /// An empty vault.
    pub fn new() -> Self {
        Self::default()
    }

    /// The placeholder of `value` under `label` (`<EMAIL_1>`), made on first sight. Values
    /// masked in the request are `restorable`: the answer gets them back.
    pub fn placeholder(&mut self, label: &str, value: &str, restorable: bool) -> String {
        let key = (label.to_owned(), value.to_owned());
        if let Some(p) = self.by_value.get(&key) {
            if restorable {
                if let Some(e) = self.entries.get_mut(p) {
                    e.restorable = true;
                }
            }
            return p.clone();
        }
        let n = self.counters.entry(label.to_owned()).or_insert(0);
        *n += 1;
        let placeholder = format!("<{}_{}>", sanitize(label), n);
        self.longest = self.longest.max(placeholder.len());
        self.entries.insert(
            placeholder.clone(),
            Entry {
                value: value.to_owned(),
                restorable,
            },
        );
        self.by_value.insert(key, placeholder.clone());
        placeholder
    }

    /// The original a restorable placeholder stands for.
    pub fn original(&self, placeholder: &str) -> Option<&str> {
        self.entries
            .get(placeholder)
            .filter(|e| e.restorable)
            .map(|e| e.value.as_str())
    }

    /// How many placeholders were made.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing was masked.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The byte length of the longest placeholder (for stream hold-back).
    pub(crate) fn longest(&self) -> usize {
        self.longest
    }

    /// The restorable placeholders in `text`, with their spans and originals.
    pub(crate) fn find(&self, text: &str) -> Vec<(std::ops::Range<usize>, &str)> {
        let mut out = Vec::new();
        if self.entries.is_empty() {
            return out;
        }
        let bytes = text.as_bytes();
        let mut i = 0;
        while let Some(off) = memchr::memchr(b'<', &bytes[i..]) {
            let start = i + off;
            let end = match memchr::memchr(b'>', &bytes[start..]) {
                Some(e) if e <= self.longest => start + e + 1,
                _ => {
                    i = start + 1;
                    continue;
                }
            };
            match self.original(&text[start..end]) {
                Some(v) => {
                    out.push((start..end, v));
                    i = end;
                }
                None => i = start + 1,
            }
        }
        out
    }

    /// `text` with every restorable placeholder replaced by its original.
    pub fn restore(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        let mut last = 0;
        for (span, value) in self.find(text) {
            out.push_str(&text[last..span.start]);
            out.push_str(value);
            last = span.end;
        }
        out.push_str(&text[last..]);
        out
    }
}

/// A label as placeholder text: upper-case letters, digits and `_` only, so a placeholder
/// never contains what a detector or JSON would treat specially.
fn sanitize(label: &str) -> String {
    let s: String = label
        .chars()
        .map(|c| match c {
            'a'..='z' => c.to_ascii_uppercase(),
            'A'..='Z' | '0'..='9' | '_' => c,
            _ => '_',
        })
        .take(24)
        .collect();
    if s.is_empty() {
        "REDACTED".into()
    } else {
        s
    }
}
