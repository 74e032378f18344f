//! Governance through the gateway: virtual keys made, scoped, rotated and revoked through the
//! admin API; budgets that concurrent requests cannot overspend; RPM limits with
//! `Retry-After`; the spend ledger on disk, across a restart.

use crate::support::{config_toml, gateway, http, provider, Running};
use exllm_gateway::ledger::{query, SpendQuery};
use serde_json::{json, Value};
use std::path::PathBuf;

/// A fresh database path.
fn db() -> PathBuf {
    let n = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    std::env::temp_dir().join(format!("exllm-gov-{}-{n}.db", std::process::id()))
}

/// Every `up-*` model, with governance on: unpriced models cost $0.001 per input token and
/// $0.002 per output token, so one `up-echo` answer (12 in, 3 out) costs $0.018.
fn config(up: &Running, db: &std::path::Path) -> String {
    config_toml(
        up,
        &format!(
            "[governance]\ndb = \"{}\"\nunpriced_input_per_1m = 1000.0\nunpriced_output_per_1m = 2000.0\n\n[governance.teams.small]\nrpm = 2\n",
            db.display()
        ),
    )
}

async fn admin(gw: &Running, path: &str, body: Value) -> Value {
    let resp = http()
        .post(gw.url(path))
        .bearer_auth("sk-master")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "{path}");
    resp.json().await.unwrap()
}

async fn chat(gw: &Running, key: &str, model: &str, stream: bool) -> reqwest::Response {
    http()
        .post(gw.url("/v1/chat/completions"))
        .bearer_auth(key)
        .json(
            &json!({"model": model, "messages": [{"role": "user", "content": "hi"}],
            "max_tokens": 10, "stream": stream, "stream_options": {"include_usage": true}}),
        )
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn keys_are_scoped_rotated_and_revoked() {
    let up = provider().await;
    let path = db();
    let (gw, _) = gateway(&config(&up, &path)).await;
    let made = admin(
        &gw,
        "/key/generate",
        json!({"key_alias": "ci", "models": ["up-echo"],
        "metadata": {"owner": "ci"}}),
    )
    .await;
    let key = made["key"].as_str().unwrap().to_owned();
    let id = made["id"].as_str().unwrap().to_owned();
    assert!(key.starts_with("sk-exllm-"), "{made}");
    assert_eq!(chat(&gw, &key, "up-echo", false).await.status(), 200);
    // x-api-key works too; a model outside the key's scope is a 403.
    let r = http()
        .post(gw.url("/v1/chat/completions"))
        .header("x-api-key", &key)
        .json(&json!({"model": "up-tools", "messages": [{"role": "user", "content": "hi"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let v: Value = r.json().await.unwrap();
    assert!(
        v["error"]["message"].as_str().unwrap().contains("up-tools"),
        "{v}"
    );
    // The key is in no listing, only its hint; a virtual key cannot use the admin API.
    let listed = http()
        .get(gw.url("/key/list"))
        .bearer_auth("sk-master")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(listed.contains(&id) && !listed.contains(&key), "{listed}");
    let r = http()
        .get(gw.url("/key/list"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let info: Value = http()
        .get(gw.url(&format!("/key/info?key={id}")))
        .bearer_auth("sk-master")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(info["info"]["metadata"]["owner"], "ci");
    // Rotation with a grace period: both work; then without: only the newest.
    let rotated = admin(
        &gw,
        "/key/regenerate",
        json!({"key": id, "grace_period": "1h"}),
    )
    .await;
    let key2 = rotated["key"].as_str().unwrap().to_owned();
    assert_ne!(key2, key);
    assert_eq!(chat(&gw, &key, "up-echo", false).await.status(), 200);
    assert_eq!(chat(&gw, &key2, "up-echo", false).await.status(), 200);
    let rotated = admin(&gw, "/key/regenerate", json!({"key": key2})).await;
    let key3 = rotated["key"].as_str().unwrap().to_owned();
    assert_eq!(chat(&gw, &key2, "up-echo", false).await.status(), 401);
    assert_eq!(chat(&gw, &key3, "up-echo", false).await.status(), 200);
    // Revoked: refused at once, in the caller's format.
    let del = admin(&gw, "/key/delete", json!({"keys": [id]})).await;
    assert_eq!(del["deleted_keys"], json!([id]));
    assert_eq!(chat(&gw, &key3, "up-echo", false).await.status(), 401);
    let r = http().post(gw.url("/v1/messages")).header("x-api-key", &key3)
        .json(&json!({"model": "up-echo", "max_tokens": 5, "messages": [{"role": "user", "content": "hi"}]}))
        .send().await.unwrap();
    assert_eq!(r.status(), 401);
    let v: Value = r.json().await.unwrap();
    assert_eq!(
        (v["type"].as_str(), v["error"]["message"].as_str()),
        (Some("error"), Some("this API key was revoked"))
    );
    assert_eq!(
        chat(&gw, "sk-exllm-000000", "up-echo", false)
            .await
            .status(),
        401
    );
    // Expired keys are refused.
    let old = admin(&gw, "/key/generate", json!({"duration": "0s"})).await;
    assert_eq!(
        chat(&gw, old["key"].as_str().unwrap(), "up-echo", false)
            .await
            .status(),
        401
    );
    let _ = std::fs::remove_file(&path);
}

#[tokio::test]
async fn concurrent_requests_never_overspend_a_budget_and_the_ledger_adds_up() {
    let up = provider().await;
    let path = db();
    let (gw, _) = gateway(&config(&up, &path)).await;
    let made = admin(
        &gw,
        "/key/generate",
        json!({"max_budget": 0.1, "team_id": "t1"}),
    )
    .await;
    let key = made["key"].as_str().unwrap().to_owned();
    let id = made["id"].as_str().unwrap().to_owned();
    let gw = std::sync::Arc::new(gw);
    let mut tasks = Vec::new();
    for i in 0..64 {
        let (gw, key) = (gw.clone(), key.clone());
        tasks.push(tokio::spawn(async move {
            let r = chat(&gw, &key, "up-echo", i % 2 == 0).await;
            let status = r.status().as_u16();
            let body = r.text().await.unwrap();
            (status, body)
        }));
    }
    let mut ok = 0;
    for t in tasks {
        let (status, body) = t.await.unwrap();
        match status {
            200 => ok += 1,
            400 => assert!(
                body.contains("budget_exceeded") && body.contains("does not reset"),
                "{body}"
            ),
            s => panic!("status {s}: {body}"),
        }
    }
    assert!((1..64).contains(&ok), "{ok} admitted");
    let spend: Value = http()
        .get(gw.url(&format!("/spend/logs?key={id}&by=model")))
        .bearer_auth("sk-master")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let group = &spend["groups"][0];
    assert_eq!(
        (group["group"].as_str(), group["requests"].as_u64()),
        (Some("up-echo"), Some(ok)),
        "{spend}"
    );
    let total = group["cost_usd"].as_f64().unwrap();
    assert!(total <= 0.1 + 1e-9, "spent {total}");
    assert!((total - 0.018 * ok as f64).abs() < 1e-9, "{total} for {ok}");
    let info: Value = http()
        .get(gw.url(&format!("/key/info?key={id}")))
        .bearer_auth("sk-master")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        (info["info"]["spend"].as_f64().unwrap() - total).abs() < 1e-9,
        "{info}"
    );
    assert_eq!(info["info"]["reserved"].as_f64(), Some(0.0));
    let _ = std::fs::remove_file(&path);
}

#[tokio::test]
async fn rate_limits_admit_exactly_the_limit_and_every_refusal_says_when() {
    let up = provider().await;
    let path = db();
    let (gw, _) = gateway(&config(&up, &path)).await;
    let made = admin(&gw, "/key/generate", json!({"rpm_limit": 5})).await;
    let key = made["key"].as_str().unwrap().to_owned();
    let gw = std::sync::Arc::new(gw);
    let mut tasks = Vec::new();
    for i in 0..12 {
        let (gw, key) = (gw.clone(), key.clone());
        tasks.push(tokio::spawn(async move {
            chat(&gw, &key, "up-echo", i % 3 == 0).await
        }));
    }
    let mut ok = 0;
    for t in tasks {
        let r = t.await.unwrap();
        if r.status() == 200 {
            ok += 1;
        } else {
            assert_eq!(r.status(), 429);
            let after: u64 = r.headers()["retry-after"]
                .to_str()
                .unwrap()
                .parse()
                .unwrap();
            assert!((1..=60).contains(&after), "{after}");
        }
    }
    assert_eq!(ok, 5);
    // A team's limit caps its keys together.
    let a = admin(&gw, "/key/generate", json!({"team_id": "small"})).await;
    let b = admin(&gw, "/key/generate", json!({"team_id": "small"})).await;
    assert_eq!(
        chat(&gw, a["key"].as_str().unwrap(), "up-echo", false)
            .await
            .status(),
        200
    );
    assert_eq!(
        chat(&gw, b["key"].as_str().unwrap(), "up-echo", false)
            .await
            .status(),
        200
    );
    let r = chat(&gw, b["key"].as_str().unwrap(), "up-echo", false).await;
    assert_eq!(r.status(), 429);
    assert!(r.headers().contains_key("retry-after"));
    assert!(r.text().await.unwrap().contains("team `small`"));
    let _ = std::fs::remove_file(&path);
}

#[tokio::test]
async fn the_ledger_is_on_disk_after_shutdown_and_budgets_survive_a_restart() {
    let up = provider().await;
    let path = db();
    let toml = config(&up, &path);
    let (gw, _) = gateway(&toml).await;
    let made = admin(
        &gw,
        "/key/generate",
        json!({"max_budget": 0.05, "budget_duration": "1d"}),
    )
    .await;
    let key = made["key"].as_str().unwrap().to_owned();
    let id = made["id"].as_str().unwrap().to_owned();
    let streamed = chat(&gw, &key, "up-echo", true).await.text().await.unwrap();
    assert!(streamed.contains("[DONE]"), "{streamed}");
    assert_eq!(chat(&gw, &key, "up-echo", false).await.status(), 200);
    assert_eq!(chat(&gw, "sk-master", "up-echo", false).await.status(), 200);
    gw.shutdown().await;
    let report = query(
        &path,
        &SpendQuery {
            key: Some(id.clone()),
            ..SpendQuery::default()
        },
    )
    .unwrap();
    assert_eq!(report.rows.len(), 2);
    assert!(report
        .rows
        .iter()
        .all(|r| r.status == 200 && r.input_tokens == 12 && r.output_tokens == 3));
    let all = query(
        &path,
        &SpendQuery {
            by: Some("key".into()),
            ..SpendQuery::default()
        },
    )
    .unwrap();
    assert_eq!(all.groups.len(), 2, "{all:?}");
    // $0.036 spent today; a third call may cost up to more than the $0.014 left.
    let (gw, _) = gateway(&toml).await;
    let r = chat(&gw, &key, "up-echo", false).await;
    assert_eq!(r.status(), 429);
    let after: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=86_400).contains(&after));
    assert!(r.text().await.unwrap().contains("resets at"));
    let _ = std::fs::remove_file(&path);
}

#[tokio::test]
async fn embeddings_count_in_budgets_limits_and_the_ledger() {
    let up = provider().await;
    let path = db();
    let (gw, g) = gateway(&config(&up, &path)).await;
    let made = admin(&gw, "/key/generate", json!({"team_id": "small"})).await;
    let key = made["key"].as_str().unwrap().to_owned();
    let id = made["id"].as_str().unwrap().to_owned();
    let embed = || {
        http()
            .post(gw.url("/v1/embeddings"))
            .bearer_auth(&key)
            .json(&json!({"model": "up-echo", "input": ["a", "b"]}))
            .send()
    };
    assert_eq!(embed().await.unwrap().status(), 200);
    assert_eq!(embed().await.unwrap().status(), 200);
    // Team `small` allows 2 requests a minute: embeddings count.
    let third = embed().await.unwrap();
    assert_eq!(third.status(), 429);
    assert!(third.headers().contains_key("retry-after"));
    let gov = g.governance().unwrap();
    gov.ledger.flush();
    let report = query(
        &path,
        &SpendQuery {
            key: Some(id),
            ..SpendQuery::default()
        },
    )
    .unwrap();
    // 5 input tokens at $0.001 each, per request.
    assert_eq!(report.rows.len(), 2);
    assert!(report
        .rows
        .iter()
        .all(|r| r.input_tokens == 5 && (r.cost_usd - 0.005).abs() < 1e-9));
}
