use super::*;
use crate::catalog::{Catalog, ModelEntry, PriceSet, PriceTable};

const DAY: i64 = 86_400_000;

fn call(day: i64, model: &str, input: u64, output: u64, cost: f64) -> UsageRecord {
    let (provider, id) = model.split_once('/').unwrap();
    UsageRecord {
        time_ms: day * DAY + 3_600_000,
        provider: provider.into(),
        model: id.into(),
        input_tokens: input,
        output_tokens: output,
        cost_usd: Some(cost),
        latency_ms: 100,
        status: "ok".into(),
        ..Default::default()
    }
}

fn entry(name: &str, input: f64, output: f64, window: u64, caps: &[&str]) -> ModelEntry {
    let (provider, id) = name.split_once('/').unwrap();
    ModelEntry {
        provider: provider.into(),
        id: id.into(),
        mode: Some("chat".into()),
        context_window: Some(window),
        max_input_tokens: Some(window),
        prices: PriceTable {
            base: PriceSet {
                input: Some(input / 1e6),
                output: Some(output / 1e6),
                ..Default::default()
            },
            ..Default::default()
        },
        capabilities: caps.iter().map(|c| (c.to_string(), true)).collect(),
        ..Default::default()
    }
}

#[test]
fn days_are_utc_calendar_days() {
    assert_eq!(day_of(0), "1970-01-01");
    assert_eq!(day_of(DAY - 1), "1970-01-01");
    assert_eq!(day_of(951_782_400_000), "2000-02-29");
    assert_eq!(day_of(1_796_601_600_000), "2026-12-07");
    assert_eq!(day_of(-1), "1969-12-31");
}

#[test]
fn rows_sum_per_group_and_tags_count_in_each() {
    let mut a = call(1, "openai/gpt-4o", 1000, 100, 0.5);
    a.tags = vec!["search".into(), "nightly".into()];
    let mut b = call(2, "openai/gpt-4o-mini", 2000, 50, 0.1);
    b.status = "rate_limit".into();
    b.latency_ms = 300;
    let c = call(2, "anthropic/claude-haiku-4-5", 10, 10, 0.2);
    let recs = vec![a, b, c];

    let by_model = summarize(&recs, GroupBy::Model);
    assert_eq!(by_model[0].key, "openai/gpt-4o");
    assert_eq!(by_model.len(), 3);
    let by_provider = summarize(&recs, GroupBy::Provider);
    assert_eq!(by_provider[0].key, "openai");
    assert_eq!(by_provider[0].calls, 2);
    assert_eq!(by_provider[0].errors, 1);
    assert_eq!(by_provider[0].input_tokens, 3000);
    assert_eq!(by_provider[0].avg_latency_ms, 200);
    assert!((by_provider[0].cost_usd - 0.6).abs() < 1e-9);
    let by_day = summarize(&recs, GroupBy::Day);
    assert_eq!(
        by_day.iter().map(|r| r.key.as_str()).collect::<Vec<_>>(),
        ["1970-01-02", "1970-01-03"]
    );
    let by_tag = summarize(&recs, GroupBy::Tag);
    let keys: Vec<&str> = by_tag.iter().map(|r| r.key.as_str()).collect();
    assert_eq!(keys, ["nightly", "search", "(none)"]);
    assert_eq!(by_tag[2].calls, 2);
    assert!("week".parse::<GroupBy>().is_err());
    let mut with_session = recs.clone();
    with_session[1].session = Some("s1".into());
    let by_session = summarize(&with_session, GroupBy::Session);
    let keys: Vec<&str> = by_session.iter().map(|r| r.key.as_str()).collect();
    assert_eq!(keys, ["(none)", "s1"]);
    assert_eq!(by_session[0].calls, 2);
}

#[test]
fn a_cheaper_model_with_the_same_capabilities_and_enough_context_is_suggested() {
    let catalog = Catalog::from_models(vec![
        entry(
            "acme/big",
            10.0,
            30.0,
            200_000,
            &["supports_vision", "supports_function_calling"],
        ),
        // Cheaper, same capabilities: suggested.
        entry(
            "acme/small",
            1.0,
            3.0,
            128_000,
            &["supports_vision", "supports_function_calling"],
        ),
        // A dated snapshot of `small` at its price: not suggested twice.
        entry(
            "acme/small-2025-01-01",
            1.0,
            3.0,
            128_000,
            &["supports_vision", "supports_function_calling"],
        ),
        // Cheaper but no vision: not suggested.
        entry(
            "acme/text",
            0.1,
            0.3,
            128_000,
            &["supports_function_calling"],
        ),
        // Cheaper but the window is smaller than the largest call: not suggested.
        entry(
            "acme/tiny",
            0.5,
            1.0,
            4_000,
            &["supports_vision", "supports_function_calling"],
        ),
        // Cheaper, but another provider than the ones used.
        entry(
            "other/cheap",
            0.2,
            0.6,
            128_000,
            &["supports_vision", "supports_function_calling"],
        ),
    ]);
    // 100k in, 10k out on big: $1.00 + $0.30 = $1.30; on small: $0.10 + $0.03.
    let recs = vec![
        call(1, "acme/big", 90_000, 5_000, 0.9 + 0.15),
        call(2, "acme/big", 10_000, 5_000, 0.1 + 0.15),
    ];
    let found = recommend(&recs, &catalog, false, 3);
    assert_eq!(found.len(), 1, "{found:?}");
    let s = &found[0];
    assert_eq!(
        (s.model.as_str(), s.suggestion.as_str()),
        ("acme/big", "acme/small")
    );
    assert_eq!(s.calls, 2);
    assert!((s.actual_usd - 1.3).abs() < 1e-9);
    assert!((s.would_cost_usd - 0.13).abs() < 1e-9);
    assert!((s.saving_pct - 90.0).abs() < 1e-6);

    let wider = recommend(&recs, &catalog, true, 3);
    assert_eq!(wider[0].suggestion, "other/cheap");
    assert_eq!(wider.len(), 2);
    // The cheapest model used has nothing cheaper to move to.
    let small_only = vec![call(1, "acme/small", 10_000, 1000, 0.013)];
    assert!(recommend(&small_only, &catalog, false, 3).is_empty());
}

#[test]
fn the_forecast_follows_the_trend_and_never_goes_negative() {
    let now = 10 * DAY + 5;
    // Days 1..=10: $1, $2, ..., $10.
    let rising: Vec<UsageRecord> = (1..=10)
        .map(|d| call(d, "acme/big", 1, 1, d as f64))
        .collect();
    let f = forecast(&rising, now, 10);
    assert_eq!(f.days, 10);
    assert!((f.spent_usd - 55.0).abs() < 1e-9);
    assert!((f.trend_usd_per_day - 1.0).abs() < 1e-9);
    // Days 11..=40 on the line: 11 + ... + 40.
    assert!((f.next_30_days_usd - 765.0).abs() < 1e-6, "{f:?}");
    assert!((f.at_average_usd - 165.0).abs() < 1e-9);

    let falling: Vec<UsageRecord> = (1..=10)
        .map(|d| call(d, "acme/big", 1, 1, (11 - d) as f64))
        .collect();
    let f = forecast(&falling, now, 10);
    assert!(f.trend_usd_per_day < 0.0);
    assert_eq!(f.next_30_days_usd, 0.0);

    // Calls outside the window do not count; one day of history is a flat line.
    let f = forecast(&rising, now, 1);
    assert!((f.spent_usd - 10.0).abs() < 1e-9);
    assert!((f.next_30_days_usd - 300.0).abs() < 1e-9);
}

#[cfg(feature = "usage-log")]
mod log {
    use super::*;
    use crate::{ChatRequest, Client, Message, MockProvider};
    use std::sync::Arc;

    #[test]
    fn records_round_trip_through_sqlite() {
        let dir = std::env::temp_dir().join(format!("exllm-usage-{}", std::process::id()));
        let path = dir.join("rt.db");
        let log = UsageLog::open(&path).unwrap();
        let mut a = call(1, "openai/gpt-4o", 1000, 100, 0.5);
        a.tags = vec!["x".into()];
        a.session = Some("s1".into());
        a.cache_read_tokens = 10;
        let b = call(3, "openai/gpt-4o", 1, 1, 0.0);
        log.record(&a).unwrap();
        log.record(&b).unwrap();
        assert_eq!(log.since(0).unwrap(), vec![a, b.clone()]);
        assert_eq!(
            UsageLog::open(&path).unwrap().since(2 * DAY).unwrap(),
            vec![b]
        );
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn the_logger_records_answers_and_errors() {
        let dir = std::env::temp_dir().join(format!("exllm-usage-l-{}", std::process::id()));
        let log = UsageLog::open(dir.join("l.db")).unwrap();
        let mock = MockProvider::new()
            .with_text("one two three")
            .with_error(crate::Error::new(crate::ErrorKind::RateLimit, "slow down"));
        let client = Client::builder()
            .provider("mock", Arc::new(mock))
            .callback(
                UsageLogger::new(log.clone())
                    .with_session("s")
                    .with_tags(["t"]),
            )
            .build()
            .unwrap();
        let req = || ChatRequest::new("mock/m", vec![Message::user("hi")]);
        client.chat(req()).await.unwrap();
        client.chat(req()).await.unwrap_err();
        let got = log.since(0).unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].status, "ok");
        assert_eq!(got[0].full_model(), "mock/m");
        assert_eq!(got[0].output_tokens, 3);
        assert_eq!(got[0].session.as_deref(), Some("s"));
        assert_eq!(got[0].tags, ["t"]);
        assert_eq!(got[1].status, "rate_limit");
        let _ = std::fs::remove_dir_all(dir);
    }
}
