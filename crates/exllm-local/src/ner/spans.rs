//! From per-token labels to entity spans, as Rampart's own runner does it: tokens of one type
//! join while only whitespace separates them and the next is not a `B-` (beginning) token;
//! windows' partial spans of one type that overlap are unioned. Then the guardrail's own
//! step: a given name next to a surname is one name, and the parts of an address (number,
//! street, unit, city, state, ZIP) on one line with at most 16 bytes between them are one
//! address (see [`fold`]).

use std::ops::Range;

/// One classified token: its label, confidence and byte span in the scanned text.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token {
    pub label: String,
    pub score: f32,
    pub span: Range<usize>,
}

/// A span of one of the model's types (`GIVEN_NAME`, `STREET_NAME`, …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Typed {
    pub kind: String,
    pub span: Range<usize>,
}

/// The type of a `B-X` / `I-X` label (`None` for `O`) and whether it begins an entity; the
/// prefix in either case, and a label without one continues (as Rampart's runner reads them).
fn split_label(label: &str) -> Option<(&str, bool)> {
    let (prefix, rest) = (label.get(..2), label.get(2..));
    match (prefix, rest) {
        (Some(p), Some(t)) if p.eq_ignore_ascii_case("b-") => Some((t, true)),
        (Some(p), Some(t)) if p.eq_ignore_ascii_case("i-") => Some((t, false)),
        _ if label.eq_ignore_ascii_case("o") || label.is_empty() => None,
        _ => Some((label, false)),
    }
}

fn blank(text: &str, span: Range<usize>) -> bool {
    text.get(span)
        .is_some_and(|s| s.chars().all(char::is_whitespace))
}

/// Joins tokens into typed spans (tokens below `threshold` or outside break a span).
pub(crate) fn aggregate(text: &str, tokens: &[Token], threshold: f32) -> Vec<Typed> {
    let mut out: Vec<Typed> = Vec::new();
    let mut open = false;
    for t in tokens {
        let Some((kind, begins)) = split_label(&t.label).filter(|_| t.score >= threshold) else {
            open = false;
            continue;
        };
        if let Some(last) = out
            .last_mut()
            .filter(|l| open && l.kind.eq_ignore_ascii_case(kind))
        {
            // Tokens may share a character (a Hangul syllable becomes several): no gap then.
            let gap = last.span.end.min(t.span.start)..t.span.start;
            if !begins && blank(text, gap) {
                last.span.end = last.span.end.max(t.span.end);
                continue;
            }
        }
        out.push(Typed {
            kind: kind.to_ascii_uppercase(),
            span: t.span.clone(),
        });
        open = true;
    }
    out
}

/// Unions overlapping spans of one type (from overlapping windows), in order.
pub(crate) fn union_windows(mut spans: Vec<Typed>) -> Vec<Typed> {
    spans.sort_by_key(|s| (s.span.start, s.span.end));
    let mut out: Vec<Typed> = Vec::new();
    let mut running: std::collections::HashMap<String, usize> = Default::default();
    for s in spans {
        match running.get(&s.kind) {
            Some(&i) if s.span.start < out[i].span.end => {
                out[i].span.end = out[i].span.end.max(s.span.end);
            }
            _ => {
                running.insert(s.kind.clone(), out.len());
                out.push(s);
            }
        }
    }
    out
}

/// The guardrail's entity of a model type: names and address parts fold into one each.
pub(crate) fn entity_of(kind: &str) -> &'static str {
    match kind {
        "GIVEN_NAME" | "SURNAME" => "name",
        "BUILDING_NUMBER" | "STREET_NAME" | "SECONDARY_ADDRESS" | "CITY" | "STATE" | "ZIP_CODE" => {
            "address"
        }
        "EMAIL" => "email",
        "PHONE" => "phone",
        "URL" => "url",
        "TAX_ID" => "tax_id",
        "BANK_ACCOUNT" => "bank_account",
        "ROUTING_NUMBER" => "routing_number",
        "GOVERNMENT_ID" => "government_id",
        "PASSPORT" => "passport",
        "DRIVERS_LICENSE" => "drivers_license",
        _ => "other",
    }
}

/// Whether two parts of `entity` with `gap` between them are one: a name's across whitespace;
/// an address's across up to 16 bytes on one line (the model often leaves a state code, a unit
/// word or a ZIP's letters unlabelled between parts it did label, and masking must take the
/// whole address: `Apt. 548, West Ginaport, HI 10750`).
///
/// Only building numbers so far (`numbers`) join across whitespace and commas alone, so a
/// ticket number does not reach over a word to the address after it.
fn joinable(entity: &str, gap: &str, numbers: bool) -> bool {
    let tight =
        |extra: char| gap.len() <= 4 && gap.chars().all(|c| c.is_whitespace() || c == extra);
    match entity {
        "address" if numbers => tight(','),
        "address" => gap.len() <= 16 && !gap.contains(['\n', ';', '!', '?']),
        _ => tight(' '),
    }
}

/// Spans folded into entities: neighbours of one entity join across whitespace (a name) or
/// a short gap on one line (an address); overlaps keep the earliest. Callers pass only the
/// kinds they mask, so a span of an unwanted kind cannot swallow a wanted one. A building number with no
/// other part of an address beside it is dropped: alone it is a ticket or section number as
/// often as a house (the evaluation's hard negatives).
pub(crate) fn fold(text: &str, spans: &[Typed]) -> Vec<(&'static str, Range<usize>)> {
    let mut sorted: Vec<&Typed> = spans.iter().collect();
    sorted.sort_by_key(|s| (s.span.start, std::cmp::Reverse(s.span.end)));
    // Each entity with whether it is only building numbers so far.
    let mut out: Vec<(&'static str, Range<usize>, bool)> = Vec::new();
    for s in sorted {
        let entity = entity_of(&s.kind);
        let number = s.kind == "BUILDING_NUMBER";
        if let Some((last, span, numbers)) = out.last_mut() {
            if s.span.start < span.end {
                span.end = span.end.max(s.span.end);
                *numbers &= number;
                continue;
            }
            let joins = *last == entity
                && text
                    .get(span.end..s.span.start)
                    .is_some_and(|gap| joinable(entity, gap, *numbers));
            if joins {
                span.end = s.span.end;
                *numbers &= number;
                continue;
            }
        }
        out.push((entity, s.span.clone(), number));
    }
    out.into_iter()
        .filter(|(_, _, numbers)| !numbers)
        .map(|(e, s, _)| (e, s))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tok(label: &str, score: f32, span: Range<usize>) -> Token {
        Token {
            label: label.into(),
            score,
            span,
        }
    }

    fn typed(kind: &str, span: Range<usize>) -> Typed {
        Typed {
            kind: kind.into(),
            span,
        }
    }

    #[test]
    fn tokens_join_into_spans_like_rampart() {
        let text = "Ann Marie Lee at 1 Main St";
        let tokens = [
            tok("B-GIVEN_NAME", 0.9, 0..3),
            tok("I-GIVEN_NAME", 0.8, 4..9),
            tok("B-SURNAME", 0.9, 10..13),
            tok("O", 0.99, 14..16),
            tok("B-BUILDING_NUMBER", 0.4, 17..18),
            tok("B-STREET_NAME", 0.7, 19..23),
            tok("I-STREET_NAME", 0.7, 24..26),
        ];
        let spans = aggregate(text, &tokens, 0.5);
        assert_eq!(
            spans,
            vec![
                typed("GIVEN_NAME", 0..9),
                typed("SURNAME", 10..13),
                typed("STREET_NAME", 19..26)
            ]
        );
        // Tokens sharing a character join; labels in lower case or without a prefix count.
        let tokens = [
            tok("b-city", 0.9, 0..3),
            tok("CITY", 0.9, 2..3),
            tok("i-CITY", 0.9, 3..5),
        ];
        assert_eq!(aggregate("Seoul", &tokens, 0.5), vec![typed("CITY", 0..5)]);
        // A `B-` token starts a new span even of the same type; an `O` breaks one.
        let tokens = [tok("B-CITY", 0.9, 0..3), tok("B-CITY", 0.9, 4..9)];
        assert_eq!(aggregate(text, &tokens, 0.5).len(), 2);
    }

    #[test]
    fn windows_union_and_entities_fold() {
        let merged = union_windows(vec![
            typed("STREET_NAME", 10..20),
            typed("STREET_NAME", 15..30),
            typed("CITY", 12..14),
            typed("STREET_NAME", 40..45),
        ]);
        assert_eq!(
            merged,
            vec![
                typed("STREET_NAME", 10..30),
                typed("CITY", 12..14),
                typed("STREET_NAME", 40..45)
            ]
        );
        let text = "Alex Rivera lives at 742 Evergreen Terrace, Springfield, IL 62704. Bo";
        let spans = [
            typed("GIVEN_NAME", 0..4),
            typed("SURNAME", 5..11),
            typed("BUILDING_NUMBER", 21..24),
            typed("STREET_NAME", 25..42),
            typed("CITY", 44..55),
            typed("STATE", 57..59),
            typed("ZIP_CODE", 60..65),
            typed("GIVEN_NAME", 67..69),
        ];
        assert_eq!(
            fold(text, &spans),
            vec![("name", 0..11), ("address", 21..65), ("name", 67..69)]
        );
        // A state code the model left out stays inside the address; a new line ends it.
        let text = "West Ginaport, HI 10750\nBo";
        let spans = [
            typed("CITY", 0..13),
            typed("ZIP_CODE", 18..23),
            typed("CITY", 24..26),
        ];
        assert_eq!(
            fold(text, &spans),
            vec![("address", 0..23), ("address", 24..26)]
        );
        let text = "ticket #990 at 12 High St";
        let spans = [
            typed("BUILDING_NUMBER", 8..11),
            typed("BUILDING_NUMBER", 15..17),
            typed("STREET_NAME", 18..25),
        ];
        assert_eq!(fold(text, &spans), vec![("address", 15..25)]);
    }
}
