use super::*;
use proptest::prelude::*;

proptest! {
    /// A key verifies against its own hash only: another key, or the same key under
    /// another secret, gives another hash; the hash never contains the key.
    #[test]
    fn a_hash_verifies_its_key_and_nothing_else(
        key in "[a-f0-9]{1,64}",
        other in "[a-f0-9]{1,64}",
        secret in proptest::collection::vec(any::<u8>(), 0..64),
        other_secret in proptest::collection::vec(any::<u8>(), 0..64),
    ) {
        let full = format!("{PREFIX}{key}");
        let h = KeyHasher::new(&secret);
        let stored = h.hash(full.as_bytes());
        prop_assert_eq!(stored.len(), 64);
        prop_assert_eq!(&h.hash(full.as_bytes()), &stored);
        prop_assert!(!stored.contains(&key) || key.len() < 8);
        if other != key {
            prop_assert_ne!(&h.hash(format!("{PREFIX}{other}").as_bytes()), &stored);
        }
        if other_secret != secret {
            prop_assert_ne!(&KeyHasher::new(&other_secret).hash(full.as_bytes()), &stored);
        }
    }
}

#[test]
fn new_keys_are_distinct_and_prefixed() {
    let (a, hint) = new_key().unwrap();
    let (b, _) = new_key().unwrap();
    assert_ne!(a, b);
    assert!(a.starts_with(PREFIX) && a.len() == PREFIX.len() + 48);
    assert!(a.starts_with(hint.trim_end_matches('.')));
    let master = KeyHasher::from_master(b"sk-master");
    assert_ne!(
        master.hash(a.as_bytes()),
        KeyHasher::new(b"sk-master").hash(a.as_bytes())
    );
    assert_eq!(format!("{master:?}"), "KeyHasher(..)");
}

#[test]
fn periods_start_and_end_on_utc_calendar_bounds() {
    // 2026-12-07T01:43:03Z
    let t = 1_796_607_783;
    assert_eq!(rfc3339(t), "2026-12-07T01:43:03Z");
    let (s, e) = Period::Day.bounds(t);
    assert_eq!(
        (rfc3339(s), rfc3339(e.unwrap())),
        ("2026-12-07T00:00:00Z".into(), "2026-12-08T00:00:00Z".into())
    );
    let (s, e) = Period::Month.bounds(t);
    assert_eq!(
        (rfc3339(s), rfc3339(e.unwrap())),
        ("2026-12-01T00:00:00Z".into(), "2027-01-01T00:00:00Z".into())
    );
    assert_eq!(Period::Total.bounds(t), (0, None));
    assert_eq!(Period::parse(Some("1mo")), Some(Period::Month));
    assert_eq!(Period::parse(None), Some(Period::Total));
    assert_eq!(Period::parse(Some("week")), None);
}

#[test]
fn the_store_finds_keys_by_hash_rotates_with_grace_and_revokes() {
    let path = std::env::temp_dir().join(format!("exllm-keys-{}.db", new_id().unwrap()));
    let store = SqliteStore::open(&path).unwrap();
    let rec = KeyRecord {
        id: "key_1".into(),
        hash: "h1".into(),
        hint: "sk-exllm-ab...".into(),
        team: Some("t".into()),
        models: vec!["m".into()],
        metadata: serde_json::json!({"owner": "x"}),
        limits: Limits {
            max_budget: Some(1.5),
            period: Period::Day,
            rpm: Some(3),
            tpm: None,
        },
        created_at: 10,
        ..KeyRecord::default()
    };
    store.insert(&rec).unwrap();
    assert_eq!(store.by_hash("h1", 100).unwrap().as_ref(), Some(&rec));
    assert!(store
        .rotate("key_1", "h2", "sk-exllm-cd...", Some(200))
        .unwrap());
    assert_eq!(store.by_hash("h1", 100).unwrap().unwrap().id, "key_1");
    assert!(store.by_hash("h1", 200).unwrap().is_none());
    assert_eq!(
        store.by_hash("h2", 300).unwrap().unwrap().hint,
        "sk-exllm-cd..."
    );
    assert!(store.revoke("key_1", 400).unwrap());
    assert_eq!(
        store.get("key_1").unwrap().unwrap().refusal(500),
        Some("this API key was revoked")
    );
    assert!(!store.rotate("key_1", "h3", "x", None).unwrap());
    assert_eq!(store.list(Some("t")).unwrap().len(), 1);
    assert!(store.list(Some("u")).unwrap().is_empty());
    let _ = std::fs::remove_file(&path);
}
