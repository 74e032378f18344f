//! Router groups behind the gateway, configured by a LiteLLM proxy `config.yaml` as it is
//! and by our TOML's `[[deployments]]`.

use crate::support::{http, provider, start};
use exllm_gateway::GatewayConfig;
use serde_json::{json, Value};

fn hi(model: &str) -> Value {
    json!({"model": model, "messages": [{"role": "user", "content": "hi"}]})
}

#[tokio::test]
async fn a_litellm_config_yaml_serves_its_model_list() {
    let up = provider().await;
    let yaml = format!(
        r#"
model_list:
  - model_name: gpt-4o
    litellm_params:
      model: openai/echo
      api_base: http://{addr}/v1
      api_key: os.environ/UP_KEY
  - model_name: gpt-4o
    litellm_params:
      model: openai/echo
      api_base: http://{addr}/v1
      api_key: os.environ/UP_KEY
  - model_name: limited
    litellm_params:
      model: openai/limited
      api_base: http://{addr}/v1
      api_key: os.environ/UP_KEY
router_settings:
  routing_strategy: simple-shuffle
general_settings:
  master_key: os.environ/GW_MASTER
"#,
        addr = up.addr
    );
    let cfg = GatewayConfig::from_litellm_yaml(&yaml, "config.yaml").unwrap();
    let (gw, _) = start(cfg).await;
    let url = gw.url("/v1/chat/completions");
    let c = http();
    let resp = c
        .post(&url)
        .bearer_auth("sk-master")
        .json(&hi("gpt-4o"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let v: Value = resp.json().await.unwrap();
    assert_eq!(v["choices"][0]["message"]["content"], "hello world");
    assert_eq!(v["model"], "gpt-4o");
    let mut stream_body = hi("gpt-4o");
    stream_body["stream"] = json!(true);
    let text = c
        .post(&url)
        .bearer_auth("sk-master")
        .json(&stream_body)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(text.ends_with("data: [DONE]\n\n"), "{text}");
    let resp = c
        .post(&url)
        .bearer_auth("sk-master")
        .json(&hi("limited"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 429);
    assert!(resp.headers().contains_key("retry-after"));
    let unauthorised = c.post(&url).json(&hi("gpt-4o")).send().await.unwrap();
    assert_eq!(unauthorised.status(), 401);
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
    assert_eq!(ids, ["gpt-4o", "limited"]);
}

#[tokio::test]
async fn a_toml_group_is_served_under_its_name_and_an_alias() {
    let up = provider().await;
    let toml = format!(
        r#"
[[models]]
name = "smart"
group = "fast"
[[deployments]]
group = "fast"
model = "openai/echo"
api_base = "http://{}/v1"
api_key = "k"
"#,
        up.addr
    );
    let (gw, _) = start(GatewayConfig::from_toml(&toml, "gw.toml").unwrap()).await;
    for model in ["fast", "smart"] {
        let resp = http()
            .post(gw.url("/v1/chat/completions"))
            .json(&hi(model))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "{model}");
        let v: Value = resp.json().await.unwrap();
        assert_eq!(
            v["choices"][0]["message"]["content"], "hello world",
            "{model}"
        );
        // A group of one plain deployment passes through: the provider's own answer.
        assert_eq!(v["model"], "up", "{model}");
    }
}
