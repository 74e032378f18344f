//! `exllm moderate` with Mistral against a scripted server on 127.0.0.1: texts to
//! `/moderations`, `--chat` turns to `/chat/moderations`, the verdict from the categories.

use crate::services::serve;
use std::process::{Command, Output};

const ANSWER: &[u8] = br#"{"id":"m-1","model":"mistral-moderation-latest","results":[{"categories":{"sexual":false,"violence_and_threats":true,"pii":false},"category_scores":{"sexual":0.001,"violence_and_threats":0.91,"pii":0.02}}]}"#;

fn moderate(url: &str, extra: &[&str]) -> Output {
    let mut args = vec![
        "moderate",
        "-m",
        "mistral/mistral-moderation-latest",
        "--base-url",
        url,
        "--json",
    ];
    args.extend_from_slice(extra);
    Command::new(env!("CARGO_BIN_EXE_exllm"))
        .args(&args)
        .env("MISTRAL_API_KEY", "mi-cli-test")
        .env("NO_PROXY", "127.0.0.1")
        .env_remove("HTTP_PROXY")
        .env_remove("HTTPS_PROXY")
        .env_remove("ALL_PROXY")
        .env("HOME", std::env::temp_dir().join("exllm-cli-test-home"))
        .output()
        .expect("the binary runs")
}

#[test]
fn mistral_moderation_of_a_text_and_of_a_conversation() {
    let server = serve(vec![(200, "application/json", ANSWER.to_vec()); 2]);
    let out = moderate(&server.url, &["I will hurt you."]);
    assert!(out.status.success(), "{out:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v,
        serde_json::json!({"flagged": true, "categories": ["violence_and_threats"]})
    );
    let out = moderate(&server.url, &["--chat", "Say it.", "I will hurt you."]);
    assert!(out.status.success(), "{out:?}");
    let r = server.requests();
    assert!(r[0].head.starts_with("post /moderations "), "{}", r[0].head);
    assert!(r[0].head.contains("authorization: bearer mi-cli-test"));
    assert_eq!(r[0].json()["input"], "I will hurt you.");
    assert!(
        r[1].head.starts_with("post /chat/moderations "),
        "{}",
        r[1].head
    );
    assert_eq!(
        r[1].json()["input"],
        serde_json::json!([{"role": "user", "content": "Say it."},
                           {"role": "assistant", "content": "I will hurt you."}])
    );
}
