use super::*;
use crate::provider::Auth;
use crate::types::Secret;

fn endpoint() -> Endpoint {
    let mut ep = Endpoint::new("up", "http://127.0.0.1:9/v1");
    ep.auth = Auth::Bearer(Secret::new("sk-upstream"));
    ep.headers
        .push(("anthropic-version".into(), Secret::new("2023-06-01")));
    ep
}

#[test]
fn the_body_goes_as_it_is_with_the_endpoints_auth_and_the_callers_extra_headers() {
    let req = RawRequest {
        path: "/chat/completions".into(),
        body: Bytes::from_static(b"{ \"model\" : \"m\" }"),
        accept: Some("text/event-stream".into()),
        headers: vec![
            ("authorization".into(), "Bearer caller".into()),
            ("x-api-key".into(), "caller".into()),
            ("anthropic-version".into(), "1999-01-01".into()),
            ("anthropic-beta".into(), "tools-2099".into()),
        ],
        ..RawRequest::default()
    };
    let r = raw_request(&endpoint(), &req).unwrap().request;
    assert_eq!(r.method(), http::Method::POST);
    assert_eq!(r.uri(), "http://127.0.0.1:9/v1/chat/completions");
    assert_eq!(r.body(), &req.body);
    let h = r.headers();
    assert_eq!(h["authorization"], "Bearer sk-upstream");
    assert!(h.get("x-api-key").is_none());
    assert_eq!(h["anthropic-version"], "2023-06-01");
    assert_eq!(h["anthropic-beta"], "tools-2099");
    assert_eq!(h["accept"], "text/event-stream");
    assert_eq!(h["content-type"], "application/json");
}

#[test]
fn reads_carry_no_content_type_and_bad_headers_are_refused() {
    let get = RawRequest {
        method: http::Method::GET,
        path: "/files?limit=2".into(),
        ..RawRequest::default()
    };
    let r = raw_request(&endpoint(), &get).unwrap().request;
    assert_eq!(r.uri(), "http://127.0.0.1:9/v1/files?limit=2");
    assert!(r.headers().get("content-type").is_none());
    let bad = RawRequest {
        path: "/x".into(),
        headers: vec![("bad header".into(), "v".into())],
        ..RawRequest::default()
    };
    assert_eq!(
        raw_request(&endpoint(), &bad).unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
}
