//! Framers give the same frames wherever a body is cut: SSE and NDJSON bodies built from
//! known frames give those frames back, and any bytes frame the same whole or in pieces.

use super::*;

/// Cuts `body` at the given points (taken modulo its length, sorted).
fn cut<'a>(body: &'a [u8], points: &[usize]) -> Vec<&'a [u8]> {
    let mut points: Vec<usize> = points.iter().map(|p| p % (body.len() + 1)).collect();
    points.sort_unstable();
    let mut chunks = Vec::new();
    let mut at = 0;
    for p in points {
        chunks.push(&body[at..p]);
        at = p;
    }
    chunks.push(&body[at..]);
    chunks
}

/// An SSE event: an optional name and one or more `data:` lines.
type SseEvent = (Option<String>, Vec<String>);

fn sse_event() -> impl Strategy<Value = SseEvent> {
    (option::of("[a-z_.-]{1,12}"), vec("[^\\r\\n]{0,16}", 1..4))
}

const LINE_ENDS: [&str; 3] = ["\n", "\r\n", "\r"];

/// Writes events as SSE with the given line end, a comment between events, an optional BOM,
/// and the last blank line left out when `open_end`.
fn write_sse(events: &[SseEvent], eol: &str, bom: bool, open_end: bool) -> Vec<u8> {
    let mut out = String::new();
    if bom {
        out.push('\u{feff}');
    }
    for (i, (name, data)) in events.iter().enumerate() {
        if i % 2 == 1 {
            out.push_str(&format!(": keep-alive{eol}"));
        }
        if let Some(name) = name {
            out.push_str(&format!("event: {name}{eol}"));
        }
        for line in data {
            out.push_str(&format!("data: {line}{eol}"));
        }
        if !(open_end && i + 1 == events.len()) {
            out.push_str(eol);
        }
    }
    out.into_bytes()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn sse_frames_come_back_whatever_the_cuts(
        events in vec(sse_event(), 1..5),
        eol in 0..LINE_ENDS.len(),
        bom in any::<bool>(),
        open_end in any::<bool>(),
        points in vec(any::<usize>(), 0..6),
    ) {
        let body = write_sse(&events, LINE_ENDS[eol], bom, open_end);
        let want: Vec<(String, Vec<u8>)> = events
            .iter()
            .map(|(name, data)| (name.clone().unwrap_or_default(), data.join("\n").into_bytes()))
            .collect();
        let got = dispatch::frame_chunks(Framing::Sse, &cut(&body, &points));
        prop_assert_eq!(got, (want, Ok(())));
    }

    #[test]
    fn ndjson_lines_come_back_whatever_the_cuts(
        lines in vec("\\{[^\\r\\n]{0,20}", 1..6),
        crlf in any::<bool>(),
        blank_lines in any::<bool>(),
        open_end in any::<bool>(),
        points in vec(any::<usize>(), 0..6),
    ) {
        let eol = if crlf { "\r\n" } else { "\n" };
        let mut body = String::new();
        for (i, line) in lines.iter().enumerate() {
            body.push_str(line);
            if !(open_end && i + 1 == lines.len()) {
                body.push_str(eol);
            }
            if blank_lines && i + 1 < lines.len() {
                body.push_str(" \t");
                body.push_str(eol);
            }
        }
        let want: Vec<(String, Vec<u8>)> = lines
            .iter()
            .map(|l| (String::new(), l.as_bytes().to_vec()))
            .collect();
        let got = dispatch::frame_chunks(Framing::Ndjson, &cut(body.as_bytes(), &points));
        prop_assert_eq!(got, (want, Ok(())));
    }

    #[test]
    fn framers_agree_with_themselves_on_any_bytes(
        framing in 0..dispatch::FRAMINGS.len(),
        body in vec(any::<u8>(), 0..256),
        points in vec(any::<usize>(), 0..6),
    ) {
        let framing = dispatch::FRAMINGS[framing].1;
        let whole = dispatch::frame_chunks(framing, &[&body]);
        let pieces = dispatch::frame_chunks(framing, &cut(&body, &points));
        prop_assert_eq!(pieces, whole);
    }

    #[test]
    fn sse_shaped_noise_frames_the_same_whatever_the_cuts(
        body in vec(prop_oneof![
            Just(b'\n'), Just(b'\r'), Just(b':'), Just(b' '), Just(b'd'), Just(b'a'),
            Just(b't'), Just(0xEF), Just(0xBB), Just(0xBF), any::<u8>(),
        ], 0..128),
        points in vec(any::<usize>(), 0..6),
    ) {
        let mut body = body;
        body.splice(0..0, b"data: ".iter().copied());
        let whole = dispatch::frame_chunks(Framing::Sse, &[&body]);
        let pieces = dispatch::frame_chunks(Framing::Sse, &cut(&body, &points));
        prop_assert_eq!(pieces, whole);
    }
}
