//! `exllm serve` builds the `ner` guardrail of a key's guardrail set (the binary registers
//! the model at start): a key whose set blocks names is refused, naming the rule and not the
//! name, while a key without it is answered.

use crate::support::{exllm, temp_dir, Gateway};
use serde_json::{json, Value};

#[test]
fn a_key_whose_set_blocks_names_is_refused_and_one_without_is_answered() {
    let home = temp_dir("serve-ner");
    let config = home.join("gateway.toml");
    std::fs::write(
        &config,
        format!(
            "master_key = \"sk-cli\"\n[governance]\ndb = \"{}\"\n\
             [guardrail_sets.people]\nner = {{ input = \"block\" }}\n\
             [[models]]\nname = \"echo\"\nmodel = \"mock/echo\"\n",
            home.join("gw.db").display()
        ),
    )
    .unwrap();
    // The model's one download is shared with the other CLI tests' (not one per run).
    let cache = std::env::temp_dir().join("exllm-cli-test-home/.cache/exllm");
    let mut cmd = exllm(&home);
    cmd.env("EXLLM_CACHE_DIR", &cache);
    let server = Gateway::start(cmd, &config);
    let post = |path: &str, key: &str, body: &Value| server.post(path, key, &body.to_string());
    let key = |body: Value| {
        let (status, out) = post("/key/generate", "sk-cli", &body);
        assert_eq!(status, 200, "{out}");
        let v: Value = serde_json::from_str(&out).unwrap();
        v["key"].as_str().unwrap().to_owned()
    };
    let guarded = key(json!({"metadata": {"guardrails": ["people"]}}));
    let plain = key(json!({}));
    let said = "My name is Alex Rivera and I live at 742 Evergreen Terrace, Springfield.";
    let chat = json!({"model": "echo", "messages": [{"role": "user", "content": said}]});

    let (status, body) = post("/v1/chat/completions", &guarded, &chat);
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("person_name"), "{body}");
    assert!(!body.contains("Rivera"), "{body}");

    let (status, body) = post("/v1/chat/completions", &plain, &chat);
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("Alex Rivera"), "{body}");
}
