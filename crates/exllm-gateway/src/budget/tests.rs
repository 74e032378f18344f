use super::*;

fn scope(limits: &Limits) -> Scope<'_> {
    Scope {
        key: "key:k".into(),
        label: "key `k`".into(),
        limits,
    }
}

#[test]
fn a_budget_holds_reservations_and_settles_to_the_real_cost() {
    let g = Governor::new(None);
    let l = Limits {
        max_budget: Some(1.0),
        period: Period::Day,
        ..Limits::default()
    };
    let now = Instant::now();
    let a = g.admit(&[scope(&l)], 10, 0.6, 0, now).unwrap();
    let refused = g.admit(&[scope(&l)], 10, 0.6, 0, now).unwrap_err();
    assert_eq!((refused.status, refused.retry_after), (429, Some(86_400)));
    assert!(
        refused.message.contains("resets at 1970-01-02T00:00:00Z"),
        "{}",
        refused.message
    );
    g.settle(&a, 5, 0.25);
    assert_eq!(g.spent("key:k"), (0.25, 0.0));
    let b = g.admit(&[scope(&l)], 10, 0.6, 0, now).unwrap();
    g.settle(&b, 5, 0.6);
    let total = Limits {
        max_budget: Some(0.9),
        ..Limits::default()
    };
    let r = g.admit(
        &[Scope {
            key: "key:t".into(),
            label: "t".into(),
            limits: &total,
        }],
        1,
        1.0,
        0,
        now,
    );
    assert_eq!(r.unwrap_err().status, 400);
    // The next day starts from zero.
    assert!(g.admit(&[scope(&l)], 10, 0.6, 86_400, now).is_ok());
}

#[test]
fn every_scope_admits_or_none_reserves() {
    let g = Governor::new(None);
    let key = Limits {
        max_budget: Some(10.0),
        ..Limits::default()
    };
    let team = Limits {
        rpm: Some(1),
        ..Limits::default()
    };
    let scopes = |k: &'static str| {
        [
            Scope {
                key: k.into(),
                label: k.into(),
                limits: &key,
            },
            Scope {
                key: "team:t".into(),
                label: "team".into(),
                limits: &team,
            },
        ]
    };
    let now = Instant::now();
    g.admit(&scopes("key:a"), 1, 1.0, 0, now).unwrap();
    let r = g.admit(&scopes("key:b"), 1, 1.0, 0, now).unwrap_err();
    assert_eq!((r.status, r.retry_after), (429, Some(60)));
    assert_eq!(g.spent("key:b"), (0.0, 0.0));
}

#[test]
fn windows_slide_and_say_when_room_returns() {
    let g = Governor::new(None);
    let l = Limits {
        rpm: Some(2),
        tpm: Some(100),
        ..Limits::default()
    };
    let t0 = Instant::now();
    let a = g.admit(&[scope(&l)], 60, 0.0, 0, t0).unwrap();
    g.admit(&[scope(&l)], 30, 0.0, 0, t0 + Duration::from_secs(20))
        .unwrap();
    let r = g
        .admit(&[scope(&l)], 1, 0.0, 0, t0 + Duration::from_secs(30))
        .unwrap_err();
    assert_eq!(r.retry_after, Some(30), "{}", r.message);
    // Settling the first call with fewer tokens frees token room, not request room.
    g.settle(&a, 10, 0.0);
    let later = t0 + Duration::from_secs(61);
    let r = g.admit(&[scope(&l)], 80, 0.0, 0, later).unwrap_err();
    assert!(r.message.contains("100 tokens per minute"), "{}", r.message);
    assert_eq!(r.retry_after, Some(19));
    g.admit(&[scope(&l)], 70, 0.0, 0, later).unwrap();
}

#[test]
fn the_token_window_sum_follows_settlements_of_calls_in_and_out_of_the_window() {
    let g = Governor::new(None);
    let l = Limits {
        tpm: Some(1_000),
        ..Limits::default()
    };
    let t0 = Instant::now();
    let old = g.admit(&[scope(&l)], 400, 0.0, 0, t0).unwrap();
    let holds: Vec<Hold> = (0..5)
        .map(|i| {
            let at = t0 + Duration::from_secs(30 + i);
            g.admit(&[scope(&l)], 100, 0.0, 0, at).unwrap()
        })
        .collect();
    // 900 of 1,000 reserved: one more call of 200 does not fit.
    let at = t0 + Duration::from_secs(40);
    g.admit(&[scope(&l)], 200, 0.0, 0, at).unwrap_err();
    // Settled lower, the middle calls free room: 400 + 3 × 100 + 2 × 10.
    g.settle(&holds[1], 10, 0.0);
    g.settle(&holds[3], 10, 0.0);
    let fits = g.admit(&[scope(&l)], 280, 0.0, 0, at).unwrap();
    g.settle(&fits, 0, 0.0);
    // The first call leaves the window (320 left in it), then settles: that changes
    // nothing any more.
    let late = t0 + Duration::from_secs(61);
    g.admit(&[scope(&l)], 681, 0.0, 0, late).unwrap_err();
    g.settle(&old, 0, 0.0);
    g.admit(&[scope(&l)], 680, 0.0, 0, late).unwrap();
    g.admit(&[scope(&l)], 1, 0.0, 0, late).unwrap_err();
}
