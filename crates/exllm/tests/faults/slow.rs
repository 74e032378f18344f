//! Stalls, endless and trickling streams and huge bodies across every row: each ends at
//! the right timeout or size cap, keeping what arrived.

use super::*;

#[tokio::test]
async fn a_stall_before_the_headers_is_a_first_byte_timeout() {
    across("stall before headers", |row| async move {
        let mut cell = Cell::default();
        let server = TestServer::start(vec![Reply::stall(Duration::from_secs(5))]).await;
        let started = Instant::now();
        let r = chat(&row, &client(&row, &server, 0, short(SHORT))).await;
        cell.see("", &r, server.request_count());
        if let Some(e) = cell.failed(&r, &[ErrorKind::Timeout]) {
            cell.check(
                e.timeout_kind() == Some(TimeoutKind::FirstByte),
                format!("{:?}", e.timeout_kind()),
            );
            cell.check(e.is_retryable(), "not retryable");
        }
        cell.check(started.elapsed() < Duration::from_secs(2), "slow");
        cell
    })
    .await;
}

#[tokio::test]
async fn a_stall_mid_stream_is_a_stall_timeout_keeping_the_partial() {
    across("stall mid-stream", |row| async move {
        let mut cell = Cell::default();
        let s = Streamed::of(&row, &DELTAS);
        let reply = s
            .reply(vec![s.through(MARK)])
            .ending(Ending::Stall(Duration::from_secs(5)));
        let server = TestServer::start(vec![reply]).await;
        let started = Instant::now();
        // Only the stall is short: a first-byte limit this tight fails on a loaded machine
        // before the stream even starts, and that failure is retried.
        let t = Timeouts::default()
            .with_first_byte(Duration::from_secs(10))
            .with_stall(SHORT);
        let r = stream(&row, &client(&row, &server, 2, t)).await;
        cell.see("", &r, server.request_count());
        let e = cell.failed(&r, &[ErrorKind::Timeout]);
        if let Some(e) = e {
            cell.check(
                e.timeout_kind() == Some(TimeoutKind::Stall),
                format!("{:?}", e.timeout_kind()),
            );
        }
        cell.kept(e, PARTIAL, true);
        // Well under the server's 5 s stall, with room for a loaded machine.
        cell.check(started.elapsed() < Duration::from_secs(4), "slow");
        cell.check(server.request_count() == 1, "retried");
        cell
    })
    .await;
}

#[tokio::test]
async fn an_endless_stream_ends_at_the_total_timeout() {
    across("endless stream, total 500ms", |row| async move {
        let mut cell = Cell::default();
        let s = Streamed::of(&row, &DELTAS);
        let i = s.event_with(MARK);
        let sent = Arc::new(AtomicUsize::new(0));
        let reply = faults::endless(
            s.headers.clone(),
            s.through(MARK),
            s.event(i).to_vec(),
            sent.clone(),
        );
        let server = TestServer::start(vec![reply]).await;
        let t = Timeouts::default()
            .with_stall(Duration::from_secs(5))
            .with_total(Duration::from_millis(500));
        let started = Instant::now();
        let r = stream(&row, &client(&row, &server, 0, t)).await;
        let took = started.elapsed();
        cell.see("", &r, server.request_count());
        let e = cell.failed(&r, &[ErrorKind::Timeout]);
        if let Some(e) = e {
            cell.check(
                e.timeout_kind() == Some(TimeoutKind::Total),
                format!("{:?}", e.timeout_kind()),
            );
            let text = e.partial().map(|p| p.text()).unwrap_or_default();
            let max = PARTIAL.len() + MARK.len() * sent.load(Ordering::Relaxed);
            cell.check(text.starts_with(PARTIAL), "partial lost");
            // What is kept is what arrived, nothing more.
            cell.check(text.len() <= max, format!("{} > {max} bytes", text.len()));
            cell.seen.push(format!(
                "{} events sent, {} kept",
                sent.load(Ordering::Relaxed),
                text.len().saturating_sub(PARTIAL.len()) / MARK.len()
            ));
        }
        // The stream never stalls: only the total limit can end it (4 s leaves room for a
        // loaded machine).
        cell.check(took < Duration::from_secs(4), format!("took {took:?}"));
        cell
    })
    .await;
}

#[tokio::test]
async fn a_trickle_ends_at_the_total_timeout() {
    across(
        "trickle 1B/50ms, stall 300ms, total 600ms",
        |row| async move {
            let mut cell = Cell::default();
            let t = Timeouts::default()
                .with_stall(SHORT)
                .with_total(Duration::from_millis(600));
            let s = Streamed::of(&row, &DELTAS);
            let server = TestServer::start(vec![faults::trickle(
                s.headers.clone(),
                s.body.clone(),
                Duration::from_millis(50),
            )])
            .await;
            let started = Instant::now();
            let r = stream(&row, &client(&row, &server, 0, t)).await;
            let took = started.elapsed();
            cell.see("stream", &r, server.request_count());
            if let Some(e) = cell.failed(&r, &[ErrorKind::Timeout]) {
                cell.check(
                    e.timeout_kind() == Some(TimeoutKind::Total),
                    format!("stream: {:?}", e.timeout_kind()),
                );
            }
            cell.check(
                took < Duration::from_secs(2),
                format!("stream took {took:?}"),
            );

            let (_, headers, body) = (row.text)(WHOLE).parts().unwrap();
            let server = TestServer::start(vec![faults::trickle(
                headers,
                body,
                Duration::from_millis(50),
            )])
            .await;
            let started = Instant::now();
            let r = chat(&row, &client(&row, &server, 0, t)).await;
            let took = started.elapsed();
            cell.see("whole", &r, server.request_count());
            if let Some(e) = cell.failed(&r, &[ErrorKind::Timeout]) {
                cell.check(
                    e.timeout_kind() == Some(TimeoutKind::Total),
                    format!("whole: {:?}", e.timeout_kind()),
                );
            }
            cell.check(
                took < Duration::from_secs(2),
                format!("whole took {took:?}"),
            );
            cell
        },
    )
    .await;
}

const HUGE: usize = 100 << 20;

/// A whole call answered by a 100 MB body (announced by `content-length` or chunked): it must
/// fail as TooLarge quickly and once. The cell, and how many bytes the server sent.
async fn huge_body(row: &Wire, with_length: bool) -> (Cell, Arc<AtomicUsize>) {
    let mut cell = Cell::default();
    let sent = Arc::new(AtomicUsize::new(0));
    let reply = faults::huge(
        "application/json",
        br#"{"id":"x","text":""#,
        b'a',
        HUGE,
        with_length,
        sent.clone(),
    );
    let server = TestServer::start(vec![reply]).await;
    let started = Instant::now();
    let r = chat(row, &client(row, &server, 2, Timeouts::default())).await;
    let took = started.elapsed();
    cell.see("", &r, server.request_count());
    cell.failed(&r, &[ErrorKind::TooLarge]);
    cell.check(took < Duration::from_secs(3), format!("took {took:?}"));
    cell.check(server.request_count() == 1, "retried");
    (cell, sent)
}

#[tokio::test]
async fn a_100_mb_body_is_too_large_without_being_read() {
    // Announced by content-length: refused from the headers.
    across("100 MB body, content-length", |row| async move {
        huge_body(&row, true).await.0
    })
    .await;
}

#[tokio::test]
async fn a_100_mb_chunked_body_stops_at_the_cap() {
    // Chunked, no length: read up to the 64 MiB cap (one row at a time: each holds the cap).
    one_by_one("100 MB body, chunked", |row| async move {
        let (mut cell, sent) = huge_body(&row, false).await;
        // Give the server a moment to notice the client went away.
        tokio::time::sleep(Duration::from_millis(50)).await;
        let n = sent.load(Ordering::Relaxed);
        cell.seen.push(format!("{} MiB sent", n >> 20));
        cell.check(n < HUGE, "the whole body was read");
        cell
    })
    .await;
}

/// One streamed event that never ends (no event terminator): the framer must refuse it at a
/// bound instead of buffering it whole.
#[tokio::test]
async fn an_unterminated_stream_event_is_bounded() {
    one_by_one("stream event of 100 MB", |row| async move {
        let mut cell = Cell::default();
        let s = Streamed::of(&row, &DELTAS);
        let mut prefix = s.through(MARK);
        match s.format {
            faults::Format::Sse => prefix.extend_from_slice(b"data: {\"x\": \""),
            faults::Format::Ndjson => prefix.extend_from_slice(b"{\"x\": \""),
            faults::Format::AwsEventStream => {
                // A prelude announcing a 100 MB message.
                prefix.extend_from_slice(&(HUGE as u32).to_be_bytes());
                prefix.extend_from_slice(&[0; 8]);
            }
        }
        let sent = Arc::new(AtomicUsize::new(0));
        let reply = faults::huge(&s.content_type(), &prefix, b'a', HUGE, false, sent.clone());
        let server = TestServer::start(vec![reply]).await;
        let t = Timeouts::default().with_total(Duration::from_secs(5));
        let started = Instant::now();
        let r = stream(&row, &client(&row, &server, 0, t)).await;
        let took = started.elapsed();
        cell.see("", &r, server.request_count());
        let e = cell.failed(
            &r,
            &[ErrorKind::TooLarge, ErrorKind::Decode, ErrorKind::Truncated],
        );
        cell.kept(e, PARTIAL, false);
        tokio::time::sleep(Duration::from_millis(50)).await;
        let n = sent.load(Ordering::Relaxed);
        cell.seen.push(format!("{} MiB sent in {took:?}", n >> 20));
        cell.check(n < HUGE, "the whole event was buffered");
        cell
    })
    .await;
}
