//! Malformed bodies and frames across every row: bad JSON, a bad frame mid-stream, a body
//! ending mid-event, a character split across reads and invalid UTF-8 in a delta.

use super::*;

#[tokio::test]
async fn a_malformed_json_body_is_a_decode_error_with_an_excerpt() {
    across("malformed JSON 200", |row| async move {
        let mut cell = Cell::default();
        let body = r#"{"id": "x-malformed", "choices": [{"index": 0, "message": {"content": "#;
        let server = TestServer::start(vec![Reply::json(200, body)]).await;
        let r = chat(&row, &client(&row, &server, 2, Timeouts::default())).await;
        cell.see("", &r, server.request_count());
        if let Some(e) = cell.failed(&r, &[ErrorKind::Decode]) {
            let shown = format!("{} {}", e.message(), e.body().unwrap_or_default());
            cell.check(shown.contains("x-malformed"), format!("no excerpt: {e}"));
            cell.check(!e.is_retryable(), "retryable");
        }
        cell.check(server.request_count() == 1, "retried");
        cell
    })
    .await;
}

#[tokio::test]
async fn a_malformed_frame_mid_stream_is_a_decode_error_keeping_the_partial() {
    across("malformed frame mid-stream", |row| async move {
        let mut cell = Cell::default();
        let s = Streamed::of(&row, &DELTAS);
        let i = s.event_with(MARK);
        let mut body = s.through(MARK);
        body.extend(s.broken(i));
        body.extend(s.after(i));
        let server = TestServer::start(vec![s.reply(vec![body])]).await;
        let r = stream(&row, &client(&row, &server, 0, Timeouts::default())).await;
        cell.see("", &r, server.request_count());
        let e = cell.failed(&r, &[ErrorKind::Decode]);
        cell.kept(e, PARTIAL, true);
        cell
    })
    .await;
}

#[tokio::test]
async fn a_body_ending_mid_event_is_truncated_keeping_the_partial() {
    across("body ends mid-event", |row| async move {
        let mut cell = Cell::default();
        let s = Streamed::of(&row, &DELTAS);
        // Mid-answer: after the marked event, half of the next one.
        let i = s.event_with(MARK);
        let mut body = s.through(MARK);
        let next = s.event(i + 1);
        body.extend_from_slice(&next[..next.len() / 2]);
        // The final event cut in half (Gemini's last event carries the last delta too).
        let last = s.events.len() - 1;
        let cut_last = s.body[..s.events[last].start + s.events[last].len() / 2].to_vec();
        let before_last = if s.event_with("ld!") == last {
            PARTIAL
        } else {
            WHOLE
        };
        for (label, body, kept) in [("mid", body, PARTIAL), ("last", cut_last, before_last)] {
            let server = TestServer::start(vec![s.reply(vec![body])]).await;
            let r = stream(&row, &client(&row, &server, 0, Timeouts::default())).await;
            cell.see(label, &r, server.request_count());
            if label == "last" && kept == WHOLE && r.is_ok() {
                // Anthropic: the stop reason and usage arrived before the cut
                // `message_stop`; the answer is complete and accepted.
                cell.answered(&r, WHOLE);
                continue;
            }
            let e = cell.failed(&r, &[ErrorKind::Truncated, ErrorKind::Decode]);
            cell.kept(e, kept, false);
        }
        cell
    })
    .await;
}

const COFFEE: &str = "☕";

#[tokio::test]
async fn a_character_split_across_reads_decodes() {
    across("UTF-8 char split across reads", |row| async move {
        let mut cell = Cell::default();
        let s = Streamed::of(&row, &["Hello ", "café ☕", "!"]);
        let at = faults::find(&s.body, COFFEE.as_bytes()).expect("the character") + 1;
        let pieces = vec![s.body[..at].to_vec(), s.body[at..].to_vec()];
        let server =
            TestServer::start(vec![s.reply(pieces).delay(Duration::from_millis(30))]).await;
        let r = stream(&row, &client(&row, &server, 0, Timeouts::default())).await;
        cell.see("stream", &r, server.request_count());
        cell.answered(&r, "Hello café ☕!");

        // A whole body split the same way.
        let (_, headers, body) = (row.text)("Hello café ☕!").parts().unwrap();
        let at = faults::find(&body, COFFEE.as_bytes()).expect("the character") + 2;
        let ct = faults::header(&headers, "content-type").unwrap();
        let server = TestServer::start(vec![Reply::stream(
            &ct,
            vec![body[..at].to_vec(), body[at..].to_vec()],
        )
        .delay(Duration::from_millis(30))])
        .await;
        let r = chat(&row, &client(&row, &server, 0, Timeouts::default())).await;
        cell.see("whole", &r, server.request_count());
        cell.answered(&r, "Hello café ☕!");
        cell
    })
    .await;
}

/// Invalid UTF-8 inside a text delta: an error or U+FFFD, never a panic or a silent loss of
/// the rest.
#[tokio::test]
async fn invalid_utf8_in_a_text_delta_is_an_error_or_replaced() {
    across("invalid UTF-8 in a delta", |row| async move {
        let mut cell = Cell::default();
        let s = Streamed::of(&row, &["Hello ", "café ☕", "!"]);
        let at = faults::find(&s.body, COFFEE.as_bytes()).expect("the character");
        let mut body = s.body.clone();
        body[at + 2] = b'('; // E2 98 28: a truncated sequence
        let pieces = vec![body[..at + 1].to_vec(), body[at + 1..].to_vec()];
        let server =
            TestServer::start(vec![s.reply(pieces).delay(Duration::from_millis(30))]).await;
        let r = stream(&row, &client(&row, &server, 0, Timeouts::default())).await;
        cell.see("stream", &r, server.request_count());
        match &r {
            Ok(resp) => cell.check(
                resp.text().contains('\u{fffd}') && resp.text().ends_with("(!"),
                format!("text {:?}", resp.text()),
            ),
            Err(e) => {
                cell.check(e.kind() == ErrorKind::Decode, format!("{e:?}"));
            }
        }

        let (_, _, body) = (row.text)("Hello café ☕!").parts().unwrap();
        let at = faults::find(&body, COFFEE.as_bytes()).expect("the character");
        let mut body = body;
        body[at + 2] = b'(';
        let server = TestServer::start(vec![Reply::body(200, "application/json", body)]).await;
        let r = chat(&row, &client(&row, &server, 0, Timeouts::default())).await;
        cell.see("whole", &r, server.request_count());
        match &r {
            Ok(resp) => cell.check(
                resp.text().contains('\u{fffd}'),
                format!("text {:?}", resp.text()),
            ),
            Err(e) => cell.check(e.kind() == ErrorKind::Decode, format!("{e:?}")),
        }
        cell
    })
    .await;
}
