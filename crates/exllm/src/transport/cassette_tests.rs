use super::*;

#[test]
fn credentials_are_redacted_from_urls() {
    let u = reqwest::Url::parse("https://h/v1/m:generate?key=AIza123&alt=sse").unwrap();
    let r = redact_url(&u);
    assert!(!r.contains("AIza123"), "{r}");
    assert!(r.contains("alt=sse"), "{r}");
    let plain = reqwest::Url::parse("https://h/v1/chat").unwrap();
    assert_eq!(redact_url(&plain), "https://h/v1/chat");
}

#[test]
fn secret_header_names() {
    for n in [
        "Authorization",
        "x-api-key",
        "api-key",
        "x-goog-api-key",
        "Cookie",
        "x-amz-security-token",
    ] {
        assert!(secret_name(n), "{n}");
    }
    for n in ["content-type", "anthropic-version", "accept"] {
        assert!(!secret_name(n), "{n}");
    }
}

#[test]
fn json_bodies_compare_with_sorted_keys_and_no_whitespace() {
    let a = normalised(br#"{"b": 1, "a": {"y": [1, {"d": 2, "c": 3}], "x": null}}"#);
    let b = normalised(br#"{"a":{"x":null,"y":[1,{"c":3,"d":2}]},"b":1}"#);
    assert_eq!(a, b);
    assert_ne!(
        a,
        normalised(br#"{"a":{"x":null,"y":[1,{"c":3,"d":2}]},"b":2}"#)
    );
    assert_eq!(normalised(b"--boundary\r\nnot json"), None);
}

#[test]
fn bodies_keep_their_bytes() {
    let binary = [0u8, 159, 146, 150, 255];
    let b = Body::of(&binary);
    assert!(b.body.is_none());
    assert_eq!(b.bytes().unwrap(), binary);
    let t = Body::of("café".as_bytes());
    assert_eq!(t.body.as_deref(), Some("café"));
}

fn post(url: &str, body: &str) -> reqwest::Request {
    let mut r = reqwest::Request::new(http::Method::POST, reqwest::Url::parse(url).unwrap());
    *r.body_mut() = Some(reqwest::Body::from(body.to_owned()));
    r
}

#[tokio::test]
async fn replay_serves_the_recorded_bytes_in_their_pieces_in_order() {
    let path =
        std::env::temp_dir().join(format!("exllm-cassette-unit-{}.jsonl", std::process::id()));
    let line = |text: &str, chunks: &str| {
        format!(
            r#"{{"request":{{"method":"POST","url":"http://h/v1/x","headers":{{}},"body":"{{\"q\": 1}}"}},"response":{{"status":200,"headers":[["content-type","text/event-stream"]],"body":{text},"chunks":{chunks}}}}}"#,
            text = serde_json::to_string(text).unwrap()
        )
    };
    let first = line("data: a\n\ndata: b\n\n", "[3,9,8]");
    let second = line("data: c\n\n", "[]");
    std::fs::write(&path, format!("{first}\n\n{second}\n")).unwrap();
    let c = Cassette::replay(&path).unwrap();
    let client = reqwest::Client::new();
    let mut pieces = Vec::new();
    let mut resp = c
        .execute(&client, post("http://h/v1/x", r#"{"q":1}"#), "p")
        .await
        .unwrap();
    assert_eq!(resp.headers()["content-type"], "text/event-stream");
    while let Some(chunk) = resp.chunk().await.unwrap() {
        pieces.push(String::from_utf8(chunk.to_vec()).unwrap());
    }
    assert_eq!(pieces, ["dat", "a: a\n\ndat", "a: b\n\n"]);
    let again = c
        .execute(&client, post("http://h/v1/x", r#"{"q":1}"#), "p")
        .await
        .unwrap();
    assert_eq!(again.text().await.unwrap(), "data: c\n\n");
    // Everything served: the last match serves again.
    let third = c
        .execute(&client, post("http://h/v1/x", r#"{"q":1}"#), "p")
        .await
        .unwrap();
    assert_eq!(third.text().await.unwrap(), "data: c\n\n");
    let miss = c
        .execute(&client, post("http://h/v1/x", r#"{"q":2}"#), "p")
        .await
        .unwrap_err();
    assert_eq!(miss.kind(), ErrorKind::Config);
    assert_eq!(miss.provider(), Some("p"));
    let _ = std::fs::remove_file(&path);
}

#[test]
fn a_broken_cassette_line_names_its_line() {
    let path =
        std::env::temp_dir().join(format!("exllm-cassette-bad-{}.jsonl", std::process::id()));
    std::fs::write(&path, "{not json\n").unwrap();
    let e = Cassette::replay(&path).unwrap_err();
    assert!(e.message().contains("line 1"), "{e}");
    let _ = std::fs::remove_file(&path);
}
