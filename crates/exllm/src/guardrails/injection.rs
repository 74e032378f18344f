//! Prompt-injection screening: a scored detector over the untrusted texts of a request (user
//! messages and tool results — the caller's own system prompt is trusted). Each signal has a
//! weight; the score combines them as independent evidence (1 − Π(1 − wᵢ)), and the request
//! is blocked from a threshold. Signals: instruction-override and role-confusion phrasing,
//! fake chat-template and tool markers, invisible Unicode tag characters (whose hidden ASCII
//! is screened too), bidi controls, and base64 or hex payloads that decode to such phrasing.

use super::secrets::base64url;
use super::{Action, Finding, Guardrail, Scope, Stage};
use crate::types::Role;
use regex::Regex;
use std::sync::LazyLock;

/// Phrasings, by signal, with their weights.
const PHRASES: &[(&str, f64, &str)] = &[
    (
        "instruction_override",
        0.85,
        r"(?i)\b(?:ignore|disregard|forget|override|bypass|skip)\b[\w\s,]{0,30}?\b(?:previous|prior|above|earlier|preceding|all|your|system|initial|original)\b[\w\s]{0,20}?\b(?:instructions?|prompts?|rules|directions|guidelines|context|messages?)\b",
    ),
    (
        "instruction_override",
        0.6,
        r"(?i)\b(?:new|updated|real|actual)\s+(?:system\s+)?instructions?\s*:",
    ),
    (
        "prompt_leak",
        0.6,
        r"(?i)\b(?:reveal|print|repeat|show|output|leak)\b[\w\s]{0,20}?\b(?:system\s+prompt|hidden\s+instructions|initial\s+instructions)\b",
    ),
    (
        "jailbreak",
        0.7,
        r"(?i)\b(?:you\s+are\s+now|act\s+as|pretend\s+(?:to\s+be|you\s+are))\b[\w\s]{0,20}?\b(?:DAN|unrestricted|jailbroken|developer\s+mode|no\s+(?:rules|restrictions|limits))\b|\bdo\s+anything\s+now\b",
    ),
    (
        "role_confusion",
        0.4,
        r"(?im)^\s*(?:#{1,3}\s*)?(?:system|assistant|developer)\s*(?:prompt)?\s*:",
    ),
    (
        "fake_marker",
        0.8,
        r"(?i)<\|(?:im_start|im_end|system|user|assistant|endoftext|eot_id|start_header_id|end_header_id)\|>|\[/?INST\]|<<SYS>>|<</SYS>>|</?(?:tool|tool_call|tool_result|function_call|system)>",
    ),
];

static COMPILED: LazyLock<Vec<(&'static str, f64, Regex)>> = LazyLock::new(|| {
    PHRASES
        .iter()
        .map(|(n, w, p)| (*n, *w, Regex::new(p).expect("valid pattern")))
        .collect()
});
static BASE64: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"[A-Za-z0-9+/_\-]{16,}={0,2}").expect("valid pattern"));
static HEX: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b(?:[0-9A-Fa-f]{2}){8,}\b").expect("valid pattern"));

/// A scored prompt-injection detector.
#[derive(Debug, Clone, PartialEq)]
pub struct Injection {
    /// The score (0–1) from which a text is acted on.
    pub threshold: f64,
    /// What to do from the threshold on.
    pub action: Action,
    /// The roles whose texts are screened.
    pub roles: Vec<Role>,
}

impl Default for Injection {
    fn default() -> Self {
        Injection {
            threshold: 0.5,
            action: Action::Block,
            roles: vec![Role::User, Role::Tool],
        }
    }
}

impl Injection {
    /// The threshold.
    pub fn with_threshold(mut self, threshold: f64) -> Self {
        self.threshold = threshold;
        self
    }

    /// The action from the threshold on.
    pub fn with_action(mut self, action: Action) -> Self {
        self.action = action;
        self
    }

    /// The score of `text` (0–1) and its strongest signal.
    pub fn score(&self, text: &str) -> (f64, &'static str) {
        let mut signals: Vec<(&'static str, f64)> = Vec::new();
        phrasing(text, &mut signals);
        let mut hidden = String::new();
        let mut bidi = false;
        for c in text.chars() {
            match u32::from(c) {
                // Tag characters mirror ASCII invisibly: read what they spell.
                0xE0000..=0xE007F => {
                    if let Some(a) = char::from_u32(u32::from(c) - 0xE0000).filter(char::is_ascii) {
                        hidden.push(a);
                    }
                }
                0x202A..=0x202E | 0x2066..=0x2069 => bidi = true,
                _ => {}
            }
        }
        if !hidden.is_empty() {
            signals.push(("unicode_tags", 0.9));
            phrasing(&hidden, &mut signals);
        }
        if bidi {
            signals.push(("bidi_control", 0.5));
        }
        for m in BASE64.find_iter(text) {
            if let Some(s) = base64url(m.as_str()).and_then(|b| String::from_utf8(b).ok()) {
                encoded(&s, &mut signals);
            }
        }
        for m in HEX.find_iter(text) {
            let s = m.as_str().as_bytes();
            let bytes: Option<Vec<u8>> = s
                .chunks(2)
                .map(|p| {
                    std::str::from_utf8(p)
                        .ok()
                        .and_then(|h| u8::from_str_radix(h, 16).ok())
                })
                .collect();
            if let Some(s) = bytes.and_then(|b| String::from_utf8(b).ok()) {
                encoded(&s, &mut signals);
            }
        }
        let strongest = signals
            .iter()
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map_or("", |s| s.0);
        // Each signal counts once, however often it occurs.
        signals.sort_by(|a, b| a.0.cmp(b.0).then(b.1.total_cmp(&a.1)));
        signals.dedup_by(|a, b| a.0 == b.0);
        let clean: f64 = signals.iter().map(|s| 1.0 - s.1).product();
        (1.0 - clean, strongest)
    }
}

/// The phrasing signals of `text`.
fn phrasing(text: &str, out: &mut Vec<(&'static str, f64)>) {
    for (name, weight, re) in COMPILED.iter() {
        if re.is_match(text) {
            out.push((name, *weight));
        }
    }
}

/// A decoded payload that carries injection phrasing.
fn encoded(decoded: &str, out: &mut Vec<(&'static str, f64)>) {
    let mut inner = Vec::new();
    phrasing(decoded, &mut inner);
    if !inner.is_empty() {
        out.push(("encoded_payload", 0.9));
    }
}

impl Guardrail for Injection {
    fn name(&self) -> &str {
        "injection"
    }

    fn scan(&self, text: &str, scope: Scope) -> Vec<Finding> {
        if scope.stage != Stage::Input || !self.roles.contains(&scope.role) {
            return Vec::new();
        }
        let (score, signal) = self.score(text);
        if score >= self.threshold && self.action != Action::Allow {
            vec![Finding::whole(signal, self.action, Some(score))]
        } else {
            Vec::new()
        }
    }
}
