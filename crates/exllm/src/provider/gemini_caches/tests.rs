use super::*;
use crate::types::{Message, Tool};

fn gemini() -> Endpoint {
    Endpoint::new("gemini", "https://generativelanguage.googleapis.com/v1beta")
}

fn vertex() -> Endpoint {
    Endpoint::new(
        "vertex",
        "https://l-aiplatform.googleapis.com/v1/projects/p/locations/l/publishers/google",
    )
}

fn json_of(r: &http::Request<Bytes>) -> Value {
    serde_json::from_slice(r.body()).unwrap()
}

fn content() -> CachedContentCreate {
    let mut c = CachedContentCreate::new(
        "gemini-2.5-flash",
        vec![
            Message::system("You know the book."),
            Message::user("The book: ..."),
        ],
    )
    .with_ttl(Duration::from_secs(300));
    c.tools = vec![Tool::new("f", "does f", json!({"type": "object"}))];
    c.display_name = Some("book".into());
    c
}

#[test]
fn create_body_is_the_documented_shape() {
    let r = create(&gemini(), "gemini-2.5-flash", &content()).unwrap();
    assert_eq!(r.method(), http::Method::POST);
    assert_eq!(r.uri().path(), "/v1beta/cachedContents");
    let b = json_of(&r);
    assert_eq!(b["model"], "models/gemini-2.5-flash");
    assert_eq!(b["ttl"], "300s");
    assert_eq!(b["displayName"], "book");
    assert_eq!(
        b["systemInstruction"]["parts"][0]["text"],
        "You know the book."
    );
    assert_eq!(b["contents"][0]["role"], "user");
    assert_eq!(b["contents"][0]["parts"][0]["text"], "The book: ...");
    assert_eq!(b["tools"][0]["functionDeclarations"][0]["name"], "f");
    assert!(b.get("expireTime").is_none());
    assert!(b.get("generationConfig").is_none());
}

#[test]
fn create_with_expire_time_and_not_both() {
    let mut c = content();
    c.ttl = None;
    c.expire_time = Some("2026-12-07T10:00:00Z".into());
    let b = json_of(&create(&gemini(), "gemini-2.5-flash", &c).unwrap());
    assert_eq!(b["expireTime"], "2026-12-07T10:00:00Z");
    assert!(b.get("ttl").is_none());
    c.ttl = Some(Duration::from_secs(1));
    let e = create(&gemini(), "gemini-2.5-flash", &c).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
}

#[test]
fn vertex_caches_live_under_the_location() {
    let r = create(&vertex(), "gemini-2.5-flash", &content()).unwrap();
    assert_eq!(r.uri().path(), "/v1/projects/p/locations/l/cachedContents");
    assert_eq!(
        json_of(&r)["model"],
        "projects/p/locations/l/publishers/google/models/gemini-2.5-flash"
    );
    let full = "projects/p/locations/l/cachedContents/123";
    let r = get(&vertex(), full).unwrap();
    assert_eq!(
        r.uri().path(),
        "/v1/projects/p/locations/l/cachedContents/123"
    );
}

#[test]
fn get_delete_update_and_list_requests() {
    let r = get(&gemini(), "cachedContents/abc").unwrap();
    assert_eq!(r.method(), http::Method::GET);
    assert_eq!(r.uri().path(), "/v1beta/cachedContents/abc");
    assert_eq!(get(&gemini(), "abc").unwrap().uri(), r.uri());
    let r = delete(&gemini(), "cachedContents/abc").unwrap();
    assert_eq!(r.method(), http::Method::DELETE);
    let r = update_ttl(&gemini(), "cachedContents/abc", Duration::from_millis(1500)).unwrap();
    assert_eq!(r.method(), http::Method::PATCH);
    assert_eq!(r.uri().query(), Some("updateMask=ttl"));
    assert_eq!(json_of(&r), json!({"ttl": "1.5s"}));
    let r = list(&gemini(), Some(10), Some("t/1")).unwrap();
    assert_eq!(r.uri().query(), Some("pageSize=10&pageToken=t%2F1"));
    assert_eq!(list(&gemini(), None, None).unwrap().uri().query(), None);
    // A name that would leave the collection is one segment, not a path.
    let r = get(&gemini(), "cachedContents/../files").unwrap();
    assert_eq!(r.uri().path(), "/v1beta/cachedContents/..%2Ffiles");
    assert!(get(&gemini(), "cachedContents/").is_err());
    assert!(delete(&gemini(), "cachedContents/..").is_err());
}

#[test]
fn decode_a_cache_and_a_list() {
    let one = json!({
        "name": "cachedContents/abc",
        "model": "models/gemini-2.5-flash",
        "displayName": "book",
        "createTime": "2026-12-07T09:00:00.000Z",
        "updateTime": "2026-12-07T09:00:00.000Z",
        "expireTime": "2026-12-07T09:05:00.000Z",
        "usageMetadata": {"totalTokenCount": 4096}
    });
    let c = decode(one.to_string().as_bytes()).unwrap();
    assert_eq!(c.name, "cachedContents/abc");
    assert_eq!(c.total_tokens, Some(4096));
    assert_eq!(c.expire_time.as_deref(), Some("2026-12-07T09:05:00.000Z"));
    let page = json!({"cachedContents": [one], "nextPageToken": "n2"});
    let l = decode_list(page.to_string().as_bytes()).unwrap();
    assert_eq!(l.caches, vec![c]);
    assert_eq!(l.next_page_token.as_deref(), Some("n2"));
    assert_eq!(decode_list(b"{}").unwrap(), CachedContentList::default());
    assert!(decode(b"{}").is_err());
    assert!(decode(b"[").is_err());
}
