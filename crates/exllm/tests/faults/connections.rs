//! Connections reset or closed across every row: before the headers, inside a whole body,
//! inside a stream (kept for recovery, auto-resumed), and after the final event.

use super::*;

#[tokio::test]
async fn reset_before_headers_is_a_network_error_and_retried() {
    across("reset before headers", |row| async move {
        let mut cell = Cell::default();
        let server = TestServer::start(vec![Reply::reset()]).await;
        let r = chat(&row, &client(&row, &server, 0, Timeouts::default())).await;
        cell.see("retries 0", &r, server.request_count());
        if let Some(e) = cell.failed(&r, &[ErrorKind::Network]) {
            cell.check(e.is_retryable(), "not retryable");
        }
        let server = TestServer::start(vec![Reply::reset(), (row.text)(WHOLE)]).await;
        let r = chat(&row, &client(&row, &server, 1, Timeouts::default())).await;
        cell.see("retries 1", &r, server.request_count());
        cell.answered(&r, WHOLE);
        cell
    })
    .await;
}

#[tokio::test]
async fn a_whole_body_broken_after_the_headers_is_an_error() {
    across("whole body cut/reset after headers", |row| async move {
        let mut cell = Cell::default();
        let (_, headers, body) = (row.text)(WHOLE).parts().unwrap();
        let half = body[..body.len() / 2].to_vec();
        for (label, reply) in [
            ("close", Reply::cut_body(200, half.clone(), body.len())),
            ("reset", faults::reset_after(headers, half, false)),
        ] {
            let server = TestServer::start(vec![reply]).await;
            let r = chat(&row, &client(&row, &server, 0, Timeouts::default())).await;
            cell.see(label, &r, server.request_count());
            cell.failed(&r, &[ErrorKind::Network, ErrorKind::Decode]);
        }
        cell
    })
    .await;
}

#[tokio::test]
async fn a_stream_broken_after_content_keeps_it_for_recovery() {
    across("stream cut/reset mid-body", |row| async move {
        let mut cell = Cell::default();
        let s = Streamed::of(&row, &DELTAS);
        for (label, reply) in [
            (
                "close",
                s.reply(vec![s.through(MARK)]).ending(Ending::Close),
            ),
            (
                "reset",
                faults::reset_after(s.headers.clone(), s.through(MARK), true),
            ),
        ] {
            let server = TestServer::start(vec![reply]).await;
            let c = client(&row, &server, 2, Timeouts::default());
            let r = stream(&row, &c).await;
            cell.see(label, &r, server.request_count());
            let e = cell.failed(&r, &[ErrorKind::Network, ErrorKind::Truncated]);
            cell.kept(e, PARTIAL, true);
            cell.check(server.request_count() == 1, "a started stream was retried");
            if let Some(id) = e.and_then(|e| e.recovery_id()) {
                cell.check(
                    c.recovery_store().unwrap().get(id).is_some(),
                    "recovery id not in the store",
                );
            }
        }
        cell
    })
    .await;
}

#[tokio::test]
async fn auto_resume_hides_a_broken_stream() {
    across("auto_resume(1) after cut/reset", |row| async move {
        let mut cell = Cell::default();
        let s = Streamed::of(&row, &DELTAS);
        for (label, broken) in [
            (
                "close",
                s.reply(vec![s.through(MARK)]).ending(Ending::Close),
            ),
            (
                "reset",
                faults::reset_after(s.headers.clone(), s.through(MARK), true),
            ),
        ] {
            let server = TestServer::start(vec![broken, (row.text_stream)(&["ld!"])]).await;
            let c = builder(&row, &server)
                .retry(RetryPolicy::none())
                .auto_resume(1)
                .build()
                .unwrap();
            let mut events = c.chat_stream(request(&row)).await.unwrap();
            let mut text = String::new();
            let mut error = None;
            while let Some(e) = events.next().await {
                match e {
                    Ok(StreamEvent::TextDelta(t)) => text.push_str(&t),
                    Ok(_) => {}
                    Err(e) => {
                        error = Some(e);
                        break;
                    }
                }
            }
            cell.seen.push(format!(
                "{label}: {} {text:?}, {} req",
                match &error {
                    Some(e) => format!("{:?}", e.kind()),
                    None => "ok".into(),
                },
                server.request_count()
            ));
            cell.check(error.is_none(), format!("{label}: {error:?}"));
            cell.check(text == WHOLE, format!("{label}: text {text:?}"));
            cell.check(server.request_count() == 2, format!("{label}: requests"));
        }
        cell
    })
    .await;
}

/// A connection that breaks after the last event (the answer is complete, only the end of the
/// body is missing) must not be resumed into a duplicated answer.
#[tokio::test]
async fn a_break_after_the_final_event_is_not_resumed() {
    across(
        "break after the last event, auto_resume(1)",
        |row| async move {
            let mut cell = Cell::default();
            let s = Streamed::of(&row, &DELTAS);
            let server = TestServer::start(vec![
                s.reply(vec![s.body.clone()]).ending(Ending::Close),
                (row.text_stream)(&["ld!"]),
            ])
            .await;
            let c = builder(&row, &server)
                .retry(RetryPolicy::none())
                .auto_resume(1)
                .build()
                .unwrap();
            let r = stream(&row, &c).await;
            cell.see("", &r, server.request_count());
            match &r {
                Ok(resp) => cell.check(resp.text() == WHOLE, format!("text {:?}", resp.text())),
                Err(e) => {
                    let kept = e.partial().map(|p| p.text()).unwrap_or_default();
                    cell.check(kept == WHOLE, format!("{e:?}"));
                }
            }
            cell.check(server.request_count() == 1, "resumed a finished answer");
            cell
        },
    )
    .await;
}
