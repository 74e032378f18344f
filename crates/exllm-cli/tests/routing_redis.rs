//! `exllm chat -m GROUP` with a router config keeping its state in a real redis-server: two
//! separate processes hold one RPM limit between them.

use crate::support::{exllm, serve, temp_dir, Reply};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

// The library's redis-server harness (its other helpers serve the library's tests).
#[allow(dead_code)]
#[path = "../../exllm/tests/support/redis.rs"]
mod redis;

#[test]
fn two_processes_with_a_redis_config_share_one_limit() {
    let redis = redis::Redis::start();
    let home = temp_dir("route-redis");
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    let url = serve(4, move |_| {
        counter.fetch_add(1, Ordering::SeqCst);
        Reply::json(
            &serde_json::json!({
                "id": "c1", "object": "chat.completion", "model": "gpt-4o-mini",
                "choices": [{"index": 0, "message": {"role": "assistant", "content": "shared"},
                    "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7}
            })
            .to_string(),
        )
    });
    let config = home.join("router.toml");
    std::fs::write(
        &config,
        format!(
            r#"max_wait = "0s"
[state]
redis_url = "redis://127.0.0.1:{}/"
prefix = "cli-shared:"
on_unavailable = "closed"
[[deployments]]
group = "fast"
model = "openai/gpt-4o-mini"
api_base = "{url}/v1"
api_key = "sk-one"
rpm = 1
"#,
            redis.port
        ),
    )
    .unwrap();
    let run = || {
        exllm(&home)
            .args(["chat", "--router-config"])
            .arg(&config)
            .args(["-m", "fast", "--json", "Hi"])
            .output()
            .unwrap()
    };
    let first = run();
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&first.stdout).unwrap();
    assert_eq!(v["text"], "shared", "{v}");
    // Another process: the limit of 1 a minute is already taken in Redis.
    let second = run();
    assert!(!second.status.success());
    let v: serde_json::Value = serde_json::from_slice(&second.stdout).unwrap();
    assert_eq!(v["error"]["kind"], "RateLimit", "{v}");
    assert_eq!(hits.load(Ordering::SeqCst), 1);
}
