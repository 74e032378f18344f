//! Credentials: the documented key formats of the providers exllm speaks to (OpenAI and the
//! many `sk-` keys, Anthropic, Google, Groq, xAI, Hugging Face, Replicate, Perplexity,
//! Cerebras, Fireworks, NVIDIA, Jina, Voyage), AWS access keys, GitHub and Slack tokens,
//! private-key blocks, JWTs (whose header must decode to JSON naming an `alg`), and — for
//! keys with no prefix, such as Mistral's and Cohere's — strings of high Shannon entropy.

use super::validate::entropy;
use super::{Action, Finding, Guardrail, Scope};
use regex_automata::meta::Regex;
use std::ops::Range;
use std::sync::LazyLock;

/// Known key formats and JWTs: rule name and pattern. All are searched in one pass (a pass per
/// format was most of the detector's time); where two match at the same place, the earlier
/// row wins.
const FORMATS: &[(&str, &str)] = &[
    ("anthropic_key", r"\bsk-ant-[A-Za-z0-9_\-]{32,}"),
    (
        "openai_key",
        r"\bsk-(?:proj-|svcacct-|admin-|or-v1-)?[A-Za-z0-9_\-]{20,}",
    ),
    ("google_api_key", r"\bAIza[0-9A-Za-z_\-]{35}"),
    ("groq_key", r"\bgsk_[A-Za-z0-9]{40,}"),
    ("xai_key", r"\bxai-[A-Za-z0-9]{40,}"),
    ("huggingface_token", r"\bhf_[A-Za-z0-9]{30,}"),
    ("replicate_token", r"\br8_[A-Za-z0-9]{30,}"),
    ("perplexity_key", r"\bpplx-[A-Za-z0-9]{40,}"),
    ("cerebras_key", r"\bcsk-[A-Za-z0-9]{40,}"),
    ("fireworks_key", r"\bfw_[A-Za-z0-9]{20,}"),
    ("nvidia_key", r"\bnvapi-[A-Za-z0-9_\-]{40,}"),
    ("jina_key", r"\bjina_[A-Za-z0-9_\-]{40,}"),
    ("voyage_key", r"\bpa-[A-Za-z0-9_\-]{40,}"),
    ("stripe_key", r"\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{24,}"),
    ("aws_access_key", r"\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b"),
    (
        "aws_secret_key",
        r"(?i:aws_?secret_?access_?key)[\x22']?\s*[:=]\s*[\x22']?[A-Za-z0-9/+]{40}\b",
    ),
    (
        "github_token",
        r"\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36,}",
    ),
    ("github_token", r"\bgithub_pat_[A-Za-z0-9_]{50,}"),
    ("slack_token", r"\bxox[baprs]-[A-Za-z0-9\-]{10,}"),
    (
        "private_key",
        // An unterminated block runs to the end of the text: a stream holds it back until
        // its end arrives.
        r"-----BEGIN[A-Z ]{0,24} PRIVATE KEY(?: BLOCK)?-----(?s:.*?)(?:-----END[A-Z ]{0,24} PRIVATE KEY(?: BLOCK)?-----|\z)",
    ),
    (
        "jwt",
        r"\beyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}",
    ),
];

static COMPILED: LazyLock<Regex> = LazyLock::new(|| {
    // ASCII word boundaries: keys are ASCII, and a Unicode `\b` makes the fast (DFA) search
    // give up on any text that is not.
    let patterns: Vec<String> = FORMATS
        .iter()
        .map(|(_, p)| p.replace(r"\b", r"(?-u:\b)"))
        .collect();
    Regex::new_many(&patterns).expect("valid patterns")
});

/// Credentials in requests and answers; blocked by default.
#[derive(Debug, Clone, PartialEq)]
pub struct Secrets {
    /// What to do with a credential in the request.
    pub input: Action,
    /// What to do with a credential in the answer.
    pub output: Action,
    /// Look for high-entropy strings besides the known formats.
    pub entropy: bool,
    /// The Shannon entropy, in bits per character, from which a string counts as a secret.
    pub entropy_threshold: f64,
    /// The shortest string the entropy rule considers.
    pub min_length: usize,
}

impl Default for Secrets {
    fn default() -> Self {
        Secrets {
            input: Action::Block,
            output: Action::Block,
            entropy: true,
            entropy_threshold: 4.0,
            min_length: 24,
        }
    }
}

impl Secrets {
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

    /// The entropy rule's threshold and shortest string.
    pub fn with_entropy(mut self, threshold: f64, min_length: usize) -> Self {
        self.entropy = true;
        self.entropy_threshold = threshold;
        self.min_length = min_length;
        self
    }
}

impl Guardrail for Secrets {
    fn name(&self) -> &str {
        "secrets"
    }

    fn scan(&self, text: &str, scope: Scope) -> Vec<Finding> {
        let Some(action) = scope.action(self.input, self.output) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        let mut push = |rule: &str, span| out.push(Finding::span(rule, label(rule), span, action));
        for m in COMPILED.find_iter(text) {
            let (rule, found) = (FORMATS[m.pattern().as_usize()].0, &text[m.range()]);
            let keep = match rule {
                "private_key" => true,
                "jwt" => jwt_header(found),
                _ => !placeholder(found),
            };
            if keep {
                push(rule, m.range());
            }
        }
        if self.entropy {
            for span in tokens(text, self.min_length) {
                if self.high_entropy(&text[span.clone()]) {
                    push("high_entropy", span);
                }
            }
        }
        out
    }

    fn max_match_len(&self) -> usize {
        256
    }
}

impl Secrets {
    /// A string long enough, mixing upper and lower case (so words, hex hashes and UUIDs stay
    /// out), whose entropy reaches the threshold, and that is not base64 of prose. Without
    /// digits it must also switch case like random text does, not like camelCase words.
    fn high_entropy(&self, s: &str) -> bool {
        let b = s.as_bytes();
        if s.len() < self.min_length
            || !b.iter().any(u8::is_ascii_uppercase)
            || !b.iter().any(u8::is_ascii_lowercase)
        {
            return false;
        }
        let body = s.trim_end_matches('=');
        if !b.iter().any(u8::is_ascii_digit) {
            let upper = body.bytes().filter(u8::is_ascii_uppercase).count() as f64;
            let share = upper / body.len() as f64;
            if !(0.25..=0.75).contains(&share) {
                return false;
            }
        }
        entropy(s) >= self.entropy_threshold && !encoded_prose(s)
    }
}

/// Runs of letters, digits and `+` (each with up to two `=` after it) at least `min` bytes
/// long: the candidates of the entropy rule. Only these characters: `/`, `-` and `_` join the
/// words of URL paths and slugs (`/Politics/new-york-city-2025-...`), which mix case and digits
/// like a key does; the unprefixed keys the rule is for (Mistral's, Cohere's) are plain
/// alphanumerics. Written by hand: as a regex (`[A-Za-z0-9+]+={0,2}`) every word of the text
/// was a match to produce and then drop for its length, the largest cost of this detector in
/// `benches/guardrails.rs`.
fn tokens(text: &str, min: usize) -> impl Iterator<Item = Range<usize>> + '_ {
    let b = text.as_bytes();
    let is_token = |c: u8| c.is_ascii_alphanumeric() || c == b'+';
    let mut i = 0;
    std::iter::from_fn(move || {
        while i < b.len() {
            if !is_token(b[i]) {
                i += 1;
                continue;
            }
            let start = i;
            while i < b.len() && is_token(b[i]) {
                i += 1;
            }
            let mut end = i;
            while end < b.len() && end - i < 2 && b[end] == b'=' {
                end += 1;
            }
            i = end;
            if end - start >= min.max(1) {
                return Some(start..end);
            }
        }
        None
    })
}

/// A key-shaped match that is a placeholder (`sk-xxxxxxxxxxxxxxxxxxxx`): its last 16
/// characters use fewer than 6 distinct ones.
fn placeholder(s: &str) -> bool {
    let tail = &s.as_bytes()[s.len().saturating_sub(16)..];
    let mut seen = [false; 256];
    tail.iter().for_each(|&c| seen[usize::from(c)] = true);
    seen.iter().filter(|&&x| x).count() < 6
}

/// Whether `s` is base64 of text with spaces (a sentence, not a credential, which has none).
fn encoded_prose(s: &str) -> bool {
    let Some(bytes) = base64url(s) else {
        return false;
    };
    let printable = bytes
        .iter()
        .all(|&c| c == b' ' || c.is_ascii_graphic() || c >= 0x80);
    printable && bytes.contains(&b' ') && std::str::from_utf8(&bytes).is_ok()
}

/// The placeholder label of a rule.
fn label(rule: &str) -> String {
    rule.to_ascii_uppercase()
}

/// Whether a JWT's first part decodes to a JSON object naming an `alg`.
fn jwt_header(token: &str) -> bool {
    let header = token.split('.').next().unwrap_or("");
    let Some(bytes) = base64url(header) else {
        return false;
    };
    matches!(
        serde_json::from_slice::<serde_json::Value>(&bytes),
        Ok(serde_json::Value::Object(m)) if m.contains_key("alg")
    )
}

/// Decodes base64 or base64url, padded or not, with nothing else in it (no white space).
pub(crate) fn base64url(s: &str) -> Option<Vec<u8>> {
    let body = s.trim_end_matches('=');
    if body.bytes().any(|c| c == b'=' || c.is_ascii_whitespace()) {
        return None;
    }
    crate::media::base64::decode_prefix(body, usize::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The hand-written candidate search finds what `[A-Za-z0-9+]+={0,2}` finds, less
        /// the matches shorter than the minimum.
        #[test]
        fn tokens_are_the_regex_matches(
            text in "([A-Za-z0-9+=/_ .-]|é|漢){0,80}",
            min in 0usize..12,
        ) {
            let re = regex::Regex::new(r"[A-Za-z0-9+]+={0,2}").unwrap();
            let want: Vec<_> = re
                .find_iter(&text)
                .map(|m| m.range())
                .filter(|r| r.len() >= min)
                .collect();
            prop_assert_eq!(tokens(&text, min).collect::<Vec<_>>(), want);
        }

        /// One pass over every format finds, for each format searched alone, a finding over
        /// each of its matches.
        #[test]
        fn the_single_pass_misses_nothing_a_pass_per_format_finds(
            pieces in prop::collection::vec(prop_oneof![
                "[a-z]{1,8}",
                "sk-(ant-|proj-)?[A-Za-z0-9]{20,40}",
                "(ghp|gsk|hf|xai|r8)_[A-Za-z0-9]{30,45}",
                "AKIA[A-Z0-9]{16}",
                "eyJhbGciOiJIUzI1NiJ9\\.[A-Za-z0-9]{8,20}\\.[A-Za-z0-9]{8,20}",
                Just("-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----".to_owned()),
            ], 0..8),
        ) {
            let text = pieces.join(" ");
            let found = Secrets::default().scan(&text, crate::guardrails::tests::INPUT);
            for (rule, pattern) in FORMATS {
                let alone = regex::Regex::new(pattern).unwrap();
                for m in alone.find_iter(&text) {
                    let s = m.as_str();
                    let kept = match *rule {
                        "private_key" => true,
                        "jwt" => jwt_header(s),
                        _ => !placeholder(s),
                    };
                    if kept {
                        prop_assert!(
                            found.iter().any(|f| f.span.as_ref().is_some_and(|r| r.start <= m.start() && m.end() <= r.end)),
                            "{rule} at {:?} in {text:?}: {found:?}", m.range()
                        );
                    }
                }
            }
        }
    }
}
