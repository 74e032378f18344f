//! The gateway's operations: auth, body limit, concurrency limit, reload, models,
//! embeddings, health, metrics and graceful shutdown.

use crate::support::{config_toml, gateway, http, provider};
use serde_json::{json, Value};

fn hi(model: &str) -> Value {
    json!({"model": model, "messages": [{"role": "user", "content": "hi"}]})
}

#[tokio::test]
async fn a_missing_or_wrong_key_gets_401_and_either_header_works() {
    let up = provider().await;
    let (gw, _) = gateway(&config_toml(&up, "")).await;
    let url = gw.url("/v1/chat/completions");
    let c = http();
    let none = c.post(&url).json(&hi("up-echo")).send().await.unwrap();
    assert_eq!(none.status(), 401);
    let v: Value = none.json().await.unwrap();
    assert_eq!(v["error"]["type"], "authentication_error");
    let wrong = c
        .post(&url)
        .bearer_auth("sk-other")
        .json(&hi("up-echo"))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let models = c.get(gw.url("/v1/models")).send().await.unwrap();
    assert_eq!(models.status(), 401);
    let ok = c
        .post(&url)
        .header("x-api-key", "sk-master")
        .json(&hi("up-echo"))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
}

#[tokio::test]
async fn without_a_master_key_or_virtual_keys_any_key_is_let_through() {
    // SDKs always send some key; a gateway configured with none must not refuse it.
    let up = provider().await;
    let toml = config_toml(&up, "").replace("master_key = \"os.environ/GW_MASTER\"\n", "");
    let (gw, _) = gateway(&toml).await;
    let url = gw.url("/v1/chat/completions");
    let c = http();
    for key in [None, Some("unused"), Some("sk-anything")] {
        let mut req = c.post(&url).json(&hi("up-echo"));
        if let Some(k) = key {
            req = req.bearer_auth(k);
        }
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status(), 200, "key {key:?}");
    }
}

#[tokio::test]
async fn a_body_over_the_limit_gets_413() {
    let up = provider().await;
    let (gw, _) = gateway(&config_toml(&up, "[limits]\nmax_body_bytes = 2000\n")).await;
    let big =
        json!({"model": "up-echo", "messages": [{"role": "user", "content": "x".repeat(5000)}]});
    let resp = http()
        .post(gw.url("/v1/chat/completions"))
        .bearer_auth("sk-master")
        .json(&big)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 413);
    let v: Value = resp.json().await.unwrap();
    assert_eq!(v["error"]["type"], "invalid_request_error");
}

#[tokio::test]
async fn past_the_concurrency_limit_requests_get_429_with_retry_after() {
    let up = provider().await;
    let (gw, _) = gateway(&config_toml(&up, "[limits]\nmax_concurrency = 1\n")).await;
    let url = gw.url("/v1/chat/completions");
    let send = || {
        http()
            .post(&url)
            .bearer_auth("sk-master")
            .json(&hi("up-slow"))
            .send()
    };
    let (a, b) = tokio::join!(send(), async {
        crate::support::slow_started(1).await;
        send().await
    });
    assert_eq!(a.unwrap().status(), 200);
    let b = b.unwrap();
    assert_eq!(b.status(), 429);
    assert_eq!(b.headers()["retry-after"], "1");
}

#[tokio::test]
async fn reload_swaps_the_models_without_a_restart() {
    let up = provider().await;
    let (gw, handle) = gateway(&config_toml(&up, "")).await;
    let url = gw.url("/v1/chat/completions");
    let send = |model: &'static str| {
        http()
            .post(&url)
            .bearer_auth("sk-master")
            .json(&hi(model))
            .send()
    };
    assert_eq!(send("renamed").await.unwrap().status(), 404);
    let extra = format!(
        "[[models]]\nname = \"renamed\"\nmodel = \"openai/echo\"\napi_base = \"http://{}/v1\"\napi_key = \"k\"\n",
        up.addr
    );
    let cfg =
        exllm_gateway::GatewayConfig::from_toml(&config_toml(&up, &extra), "new.toml").unwrap();
    handle.reload(&cfg).unwrap();
    let resp = send("renamed").await.unwrap();
    assert_eq!(resp.status(), 200);
    let v: Value = resp.json().await.unwrap();
    assert_eq!(v["choices"][0]["message"]["content"], "hello world");
    // A config that cannot load leaves the running one in place.
    let bad =
        exllm_gateway::GatewayConfig::from_toml("master_key = \"os.environ/UNSET\"", "bad.toml")
            .unwrap();
    assert!(handle.reload(&bad).is_err());
    assert_eq!(send("renamed").await.unwrap().status(), 200);
}

#[tokio::test]
async fn reload_applies_the_body_limit_timeout_and_concurrency_limit() {
    let up = provider().await;
    let (gw, handle) = gateway(&config_toml(&up, "")).await;
    let url = gw.url("/v1/chat/completions");
    let send = |body: Value| {
        http()
            .post(&url)
            .bearer_auth("sk-master")
            .json(&body)
            .send()
    };
    let big =
        json!({"model": "up-echo", "messages": [{"role": "user", "content": "x".repeat(5000)}]});
    assert_eq!(send(big.clone()).await.unwrap().status(), 200);
    assert_eq!(send(hi("up-slow")).await.unwrap().status(), 200);
    let reload = |limits: &str| {
        let cfg =
            exllm_gateway::GatewayConfig::from_toml(&config_toml(&up, limits), "new.toml").unwrap();
        handle.reload(&cfg).unwrap();
    };
    reload("[limits]\nmax_body_bytes = 2000\ntimeout = \"150ms\"\n");
    assert_eq!(send(big).await.unwrap().status(), 413);
    // `slow` answers after 400 ms: past the new timeout.
    assert_eq!(send(hi("up-slow")).await.unwrap().status(), 504);
    reload("[limits]\nmax_concurrency = 1\n");
    assert_eq!(handle.limits().max_concurrency, 1);
    // One request at a time now: a second one while the first runs gets 429.
    let before = crate::support::SLOW_STARTED.load(std::sync::atomic::Ordering::SeqCst);
    let (a, b) = tokio::join!(send(hi("up-slow")), async {
        crate::support::slow_started(before + 1).await;
        send(hi("up-echo")).await
    });
    assert_eq!(a.unwrap().status(), 200);
    let b = b.unwrap();
    assert_eq!(b.status(), 429);
    assert_eq!(b.headers()["retry-after"], "1");
    // And back: the old limits return with the old config.
    reload("");
    let (a, b) = tokio::join!(send(hi("up-slow")), send(hi("up-slow")));
    assert_eq!(
        (a.unwrap().status().as_u16(), b.unwrap().status().as_u16()),
        (200, 200)
    );
}

#[tokio::test]
async fn metrics_can_require_the_master_key() {
    let up = provider().await;
    let (gw, handle) = gateway(&config_toml(&up, "protect_metrics = true\n")).await;
    let get = |key: Option<&'static str>| {
        let mut r = http().get(gw.url("/metrics"));
        if let Some(k) = key {
            r = r.bearer_auth(k);
        }
        r.send()
    };
    let r = get(None).await.unwrap();
    assert_eq!(r.status(), 401);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"]["type"], "authentication_error");
    assert_eq!(get(Some("wrong")).await.unwrap().status(), 401);
    let r = get(Some("sk-master")).await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("# TYPE exllm_requests_total counter"));
    // A reload that turns protection off opens it again.
    let cfg = exllm_gateway::GatewayConfig::from_toml(&config_toml(&up, ""), "new.toml").unwrap();
    handle.reload(&cfg).unwrap();
    assert_eq!(get(None).await.unwrap().status(), 200);
}

#[tokio::test]
async fn models_embeddings_health_and_metrics() {
    let up = provider().await;
    let (gw, _) = gateway(&config_toml(&up, "")).await;
    let c = http();
    let models: Value = c
        .get(gw.url("/v1/models"))
        .bearer_auth("sk-master")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ids: Vec<&str> = models["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["id"].as_str())
        .collect();
    assert_eq!(
        ids,
        [
            "up-echo",
            "up-tools",
            "up-limited",
            "up-broken",
            "up-slow",
            "up-failed"
        ]
    );
    let emb: Value = c
        .post(gw.url("/v1/embeddings"))
        .bearer_auth("sk-master")
        .json(&json!({"model": "up-echo", "input": ["a", "b"], "encoding_format": "float"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(emb["data"][1]["embedding"], json!([1.0, 1.0]));
    assert_eq!(emb["usage"]["prompt_tokens"], 5);
    assert_eq!(
        c.get(gw.url("/health/live")).send().await.unwrap().status(),
        200
    );
    assert_eq!(
        c.get(gw.url("/health/ready"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    c.post(gw.url("/v1/chat/completions"))
        .bearer_auth("sk-master")
        .json(&hi("up-echo"))
        .send()
        .await
        .unwrap();
    c.post(gw.url("/v1/chat/completions"))
        .bearer_auth("sk-master")
        .json(&hi("up-limited"))
        .send()
        .await
        .unwrap();
    let text = c
        .get(gw.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        text.contains(
            "exllm_requests_total{model=\"up-echo\",deployment=\"openai/echo\",status=\"200\"} 1"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "exllm_tokens_total{model=\"up-echo\",deployment=\"openai/echo\",type=\"input\"} 12"
        ),
        "{text}"
    );
    assert!(
        text.contains("exllm_errors_total{model=\"up-limited\",deployment=\"openai/limited\",kind=\"rate_limit\"} 1"),
        "{text}"
    );
    assert!(
        text.contains(
            "exllm_request_duration_seconds_count{model=\"up-echo\",deployment=\"openai/echo\"} 1"
        ),
        "{text}"
    );
}

#[tokio::test]
async fn shutdown_lets_an_open_request_finish() {
    let up = provider().await;
    let (gw, _) = gateway(&config_toml(&up, "")).await;
    let url = gw.url("/v1/chat/completions");
    let slow = tokio::spawn(async move {
        http()
            .post(&url)
            .bearer_auth("sk-master")
            .json(&hi("up-slow"))
            .send()
            .await
    });
    crate::support::slow_started(1).await;
    gw.shutdown().await;
    let resp = slow.await.unwrap().unwrap();
    assert_eq!(resp.status(), 200);
}
