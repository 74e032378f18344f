//! The text pass every guardrail set runs, whole or streamed: collect the matches of every
//! guardrail (and, on the answer, the placeholders to restore), settle overlaps (earliest,
//! then longest), and act on each. A stream is the same pass fed chunk by chunk: text is
//! released only up to a point no later chunk can change — at least a window's length before
//! the end, never inside a word, never inside a match that is still growing — so a split
//! match is still seen whole, and a whole text gives the same result as any split of it.

use super::vault::Vault;
use super::{blocked, report, Action, Guardrail, Scope, Stage};
use crate::error::Result;
use std::collections::HashSet;
use std::ops::Range;
use std::sync::Arc;

/// Past this much held-back text with no place to cut (one enormous word), text is released
/// anyway, a window short of the end, so that memory stays bounded.
const MAX_HOLD: usize = 64 << 10;

/// A text pass over one text (a whole text, or the deltas of one stream part).
pub(crate) struct TextScanner {
    /// Already-released text kept as context (`..ctx`), then held-back text.
    buf: String,
    ctx: usize,
    window: usize,
    scope: Scope,
    /// The text is JSON (streamed tool arguments): restored originals are escaped.
    json: bool,
    /// Whole-text verdicts already acted on (a stream rescans its buffer).
    seen: HashSet<(usize, String)>,
    /// Bytes pushed since the last pass: a pass runs once a quarter window has arrived, not
    /// at every chunk, since each pass rescans up to two windows of text.
    fresh: usize,
}

enum What {
    Rule(usize, super::Finding),
    Restore(String),
}

struct Hit {
    span: Range<usize>,
    what: What,
}

impl TextScanner {
    pub(crate) fn new(scope: Scope, window: usize, json: bool) -> Self {
        TextScanner {
            buf: String::new(),
            ctx: 0,
            window,
            scope,
            json,
            seen: HashSet::new(),
            fresh: 0,
        }
    }

    /// Adds a chunk; returns the text that can be released.
    pub(crate) fn push(
        &mut self,
        chunk: &str,
        rails: &[Arc<dyn Guardrail>],
        vault: &mut Vault,
    ) -> Result<String> {
        self.buf.push_str(chunk);
        self.fresh += chunk.len();
        if self.buf.len() - self.ctx < self.window || self.fresh < (self.window / 4).max(1) {
            return Ok(String::new());
        }
        self.fresh = 0;
        self.run(rails, vault, false)
    }

    /// The end of the text: releases everything held back.
    pub(crate) fn finish(
        &mut self,
        rails: &[Arc<dyn Guardrail>],
        vault: &mut Vault,
    ) -> Result<String> {
        if self.buf.len() == self.ctx {
            self.buf.clear();
            self.ctx = 0;
            return Ok(String::new());
        }
        self.run(rails, vault, true)
    }

    /// Whether text is held back.
    pub(crate) fn holding(&self) -> bool {
        self.buf.len() > self.ctx
    }

    fn run(
        &mut self,
        rails: &[Arc<dyn Guardrail>],
        vault: &mut Vault,
        last: bool,
    ) -> Result<String> {
        let window = self.window.max(vault.longest() + 1);
        let stage = self.scope.stage;
        let (buf, ctx) = (&self.buf, self.ctx);
        let mut hits = Vec::new();
        for (i, rail) in rails.iter().enumerate() {
            for f in rail.scan(buf, self.scope) {
                match f.span.clone() {
                    Some(s) => {
                        let ok = s.start >= ctx
                            && s.start < s.end
                            && s.end <= buf.len()
                            && buf.is_char_boundary(s.start)
                            && buf.is_char_boundary(s.end);
                        if ok {
                            hits.push(Hit {
                                span: s,
                                what: What::Rule(i, f),
                            });
                        }
                    }
                    None => {
                        if f.action == Action::Allow || !self.seen.insert((i, f.rule.clone())) {
                            continue;
                        }
                        if f.action == Action::Block {
                            return Err(blocked(rail.name(), &f.rule, stage));
                        }
                        report(rail.name(), &f, stage);
                    }
                }
            }
        }
        if stage == Stage::Output {
            for (span, value) in vault.find(buf) {
                if span.start >= ctx {
                    hits.push(Hit {
                        span,
                        what: What::Restore(value.to_owned()),
                    });
                }
            }
        }
        hits.sort_by(|a, b| {
            let restore = |h: &Hit| !matches!(h.what, What::Restore(_));
            (a.span.start, std::cmp::Reverse(a.span.end), restore(a)).cmp(&(
                b.span.start,
                std::cmp::Reverse(b.span.end),
                restore(b),
            ))
        });
        let len = buf.len();
        let limit = if last {
            len
        } else {
            release_limit(buf, ctx, window)
        };
        let mut out = String::new();
        let (mut pos, mut cut) = (ctx, limit);
        for hit in hits {
            let span = hit.span;
            if span.start < pos {
                continue; // overlaps a match already taken
            }
            if span.start >= limit {
                break;
            }
            if span.end > limit {
                cut = span.start; // may still grow: wait for more text
                break;
            }
            out.push_str(&buf[pos..span.start]);
            match hit.what {
                What::Restore(v) if self.json => {
                    let quoted = serde_json::to_string(&v).unwrap_or_default();
                    out.push_str(quoted.get(1..quoted.len().saturating_sub(1)).unwrap_or(""));
                }
                What::Restore(v) => out.push_str(&v),
                What::Rule(i, f) => {
                    let rail = &rails[i];
                    let text = &buf[span.clone()];
                    match f.action {
                        Action::Block => return Err(blocked(rail.name(), &f.rule, stage)),
                        Action::Mask => {
                            out.push_str(&vault.placeholder(&f.label, text, stage == Stage::Input));
                            report(rail.name(), &f, stage);
                        }
                        Action::Allow => out.push_str(text),
                        Action::Strip => report(rail.name(), &f, stage),
                        _ => {
                            report(rail.name(), &f, stage);
                            out.push_str(text);
                        }
                    }
                }
            }
            pos = span.end;
        }
        out.push_str(&buf[pos..cut]);
        if last {
            self.buf.clear();
            self.ctx = 0;
        } else {
            let keep = floor_char(&self.buf, cut.saturating_sub(window));
            self.buf.drain(..keep);
            self.ctx = cut - keep;
        }
        Ok(out)
    }
}

/// How far held-back text may be released: a window before the end, moved back to the start
/// of a word (a word still arriving may yet become a match), or, past [`MAX_HOLD`] with no
/// such place, a window before the end anyway.
fn release_limit(buf: &str, ctx: usize, window: usize) -> usize {
    let end = floor_char(buf, buf.len().saturating_sub(window));
    if end <= ctx {
        return ctx;
    }
    let bytes = buf.as_bytes();
    let mut p = end;
    while p > ctx && !bytes[p - 1].is_ascii_whitespace() {
        p -= 1;
    }
    if p == ctx && buf.len() - ctx > MAX_HOLD {
        return end;
    }
    p
}

/// The largest char boundary at or before `i`.
fn floor_char(s: &str, mut i: usize) -> usize {
    if i >= s.len() {
        return s.len();
    }
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Runs the pass over a whole text.
pub(crate) fn scan_whole(
    text: &str,
    scope: Scope,
    rails: &[Arc<dyn Guardrail>],
    vault: &mut Vault,
) -> Result<String> {
    let mut s = TextScanner::new(scope, usize::MAX, false);
    s.buf.push_str(text);
    s.run(rails, vault, true)
}
