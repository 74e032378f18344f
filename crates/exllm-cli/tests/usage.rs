//! `exllm usage` and the opt-in usage log: calls recorded when `EXLLM_USAGE_LOG` is set, read
//! back as tables and JSON, with cheaper-model advice and a forecast.

use crate::support::{exllm, temp_dir};
use exllm::catalog::Catalog;
use exllm::usage::{UsageLog, UsageRecord};
use serde_json::Value;

fn json(out: &std::process::Output) -> Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON on stdout")
}

#[test]
fn calls_are_logged_only_when_asked_and_read_back_by_tag_and_model() {
    let home = temp_dir("usage-log");
    let db = home.join("usage.db");
    // Without EXLLM_USAGE_LOG nothing is written.
    let out = exllm(&home)
        .args(["chat", "-m", "mock/echo", "not logged"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(!db.exists());
    for q in ["hello", "again"] {
        let out = exllm(&home)
            .env("EXLLM_USAGE_LOG", &db)
            .env("EXLLM_USAGE_TAGS", "demo, cli")
            .env("EXLLM_USAGE_SESSION", "work")
            .args(["chat", "-m", "mock/echo", q])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let v = json(
        &exllm(&home)
            .args(["usage", "--by", "tag", "--since", "1d", "--json", "--db"])
            .arg(&db)
            .output()
            .unwrap(),
    );
    assert_eq!(v["calls"], 2);
    let keys: Vec<&str> = v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["cli", "demo"]);
    assert_eq!(v["rows"][0]["calls"], 2);
    let v = json(
        &exllm(&home)
            .args(["usage", "--by", "session", "--json", "--db"])
            .arg(&db)
            .output()
            .unwrap(),
    );
    assert_eq!(v["rows"][0]["key"], "work");
    assert_eq!(v["rows"][0]["calls"], 2);
    // The table, the log named by the environment.
    let out = exllm(&home)
        .env("EXLLM_USAGE_LOG", &db)
        .args(["usage", "--by", "model"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(text.starts_with("MODEL"), "{text}");
    assert!(text.contains("mock/echo"), "{text}");
    assert!(text.contains("next 30 days"), "{text}");
}

#[test]
fn cheaper_models_are_priced_on_the_calls_made_and_spend_is_forecast() {
    let home = temp_dir("usage-advice");
    let db = home.join("usage.db");
    let log = UsageLog::open(&db).unwrap();
    let model = Catalog::shared_model("openai/gpt-4o").expect("gpt-4o in the catalog");
    let now = exllm::usage::now_ms();
    for day in 0..5i64 {
        let mut r = UsageRecord {
            time_ms: now - day * 86_400_000,
            provider: "openai".into(),
            model: "gpt-4o".into(),
            input_tokens: 20_000 * (5 - day as u64),
            output_tokens: 2_000,
            latency_ms: 900,
            status: "ok".into(),
            ..Default::default()
        };
        r.cost_usd = Some(model.cost(&r.usage(), Default::default()).total);
        log.record(&r).unwrap();
    }
    let v = json(
        &exllm(&home)
            .args(["usage", "--since", "7d", "--json", "--db"])
            .arg(&db)
            .output()
            .unwrap(),
    );
    let recs = v["recommendations"].as_array().unwrap();
    assert!(!recs.is_empty(), "{v}");
    for r in recs {
        assert_eq!(r["model"], "openai/gpt-4o");
        assert!(
            r["suggestion"].as_str().unwrap().starts_with("openai/"),
            "{r}"
        );
        let (spent, would) = (
            r["actual_usd"].as_f64().unwrap(),
            r["would_cost_usd"].as_f64().unwrap(),
        );
        assert!(would < spent, "{r}");
        assert!((r["saving_usd"].as_f64().unwrap() - (spent - would)).abs() < 1e-9);
        assert!(r["context_window"].as_u64().unwrap() >= 102_000, "{r}");
    }
    let fc = &v["forecast"];
    assert_eq!(fc["days"], 7);
    // Spend grew every day: the trend is up and the forecast above zero.
    assert!(fc["trend_usd_per_day"].as_f64().unwrap() > 0.0, "{fc}");
    assert!(fc["next_30_days_usd"].as_f64().unwrap() > 0.0, "{fc}");
}

#[test]
fn bad_arguments_are_usage_errors() {
    let home = temp_dir("usage-bad");
    let out = exllm(&home)
        .args(["usage", "--by", "week", "--db", "x.db"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--by"));
    let out = exllm(&home).args(["usage"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("EXLLM_USAGE_LOG"));
}
